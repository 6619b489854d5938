package storetest

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/internal/reqid"
)

func testAudit(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	type step struct {
		name string
		do   func()
	}
	var steps []step
	var h sales.Hold
	var o sales.Order
	var r sales.RefundRequest
	var err error
	steps = append(steps,
		step{"hold", func() { h = f.Hold(t, f.Clerk, sales.ChannelPOS, "D-1", "D-2") }},
		step{"confirm", func() {
			if o, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID}); err != nil {
				t.Fatal(err)
			}
		}},
		step{"pay", func() {
			if o, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"}); err != nil {
				t.Fatal(err)
			}
		}},
		step{"request refund", func() {
			if r, err = f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "wrong date"}); err != nil {
				t.Fatal(err)
			}
		}},
		step{"approve refund", func() {
			if _, err = f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "fine"); err != nil {
				t.Fatal(err)
			}
		}},
		step{"set prices", func() {
			if _, err = f.Svc.SetPrices(ctx, f.Manager, f.Session.ID, []sales.PriceTier{{Name: "New", PriceCents: 5000}}); err != nil {
				t.Fatal(err)
			}
		}},
		step{"release hold", func() {
			h2 := f.Hold(t, f.Clerk, sales.ChannelPOS, "D-5")
			if _, err = f.Svc.ReleaseHold(ctx, f.Clerk, h2.ID); err != nil {
				t.Fatal(err)
			}
		}},
		step{"damage a seat", func() {
			if err = f.Svc.SetSeatState(ctx, f.TenantAdmin, f.Hall.ID, "L-1", seatmap.StateDamaged, "broken armrest"); err != nil {
				t.Fatal(err)
			}
		}},
	)
	for _, s := range steps {
		before := f.AuditSeq(t)
		s.do()
		if f.AuditSeq(t) <= before {
			t.Errorf("%s wrote no audit entry", s.name)
		}
	}
	rep, err := sales.VerifyAudit(ctx, f.Store)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Entries != f.AuditSeq(t) {
		t.Fatalf("audit chain: %+v, head seq %d", rep, f.AuditSeq(t))
	}

	var all []audit.Entry
	if err := f.Store.AuditLog(ctx, sales.AuditFilter{}, func(e audit.Entry) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, e := range all {
		if e.Seq != int64(i+1) || e.Action == "" || e.Object == "" || e.Actor == "" || e.At.IsZero() || e.Hash == "" {
			t.Errorf("entry %d is incomplete: %+v", i, e)
		}
	}
	find := func(action, object string) audit.Entry {
		t.Helper()
		for _, e := range all {
			if e.Action == action && (object == "" || e.Object == object) {
				return e
			}
		}
		t.Fatalf("no %s audit entry for %s", action, object)
		return audit.Entry{}
	}
	hold := find("hold.create", "hold:"+itoa64(h.ID))
	if hold.Actor != f.Clerk.Actor() || hold.After == nil || hold.TenantID != f.Tenant.ID || hold.VenueID != f.Venue.ID {
		t.Errorf("hold entry %+v", hold)
	}
	find("order.create", "order:"+itoa64(o.ID))
	pay := find("order.pay", "order:"+itoa64(o.ID))
	if pay.Before == nil || pay.After == nil || !strings.Contains(string(pay.After), o.Tickets[0].Number) {
		t.Errorf("pay entry lacks before/after or ticket numbers: %+v", pay)
	}
	req := find("refund.request", "refund:"+itoa64(r.ID))
	if req.Actor != f.Clerk.Actor() || req.Reason != "wrong date" {
		t.Errorf("refund request entry %+v", req)
	}
	appr := find("refund.approve", "refund:"+itoa64(r.ID))
	if appr.Actor != f.Manager.Actor() || appr.Approver != f.Manager.Actor() || appr.Before == nil || appr.After == nil || appr.Reason == "" {
		t.Errorf("refund approval entry %+v", appr)
	}
	ref := find("order.refund", "order:"+itoa64(o.ID))
	if ref.Approver != f.Manager.Actor() || !strings.Contains(string(ref.Before), "paid") || !strings.Contains(string(ref.After), "refunded") {
		t.Errorf("order refund entry %+v", ref)
	}
	find("prices.set", "session:"+itoa64(f.Session.ID))
	var last audit.Entry
	for _, e := range all {
		if e.Action == "prices.set" {
			last = e
		}
	}
	if !strings.Contains(string(last.Before), "4500") || !strings.Contains(string(last.After), "5000") {
		t.Errorf("price change entry before %s after %s", last.Before, last.After)
	}
	find("seatmap.import", "")
	var smLast audit.Entry
	for _, e := range all {
		if e.Action == "seatmap.import" {
			smLast = e
		}
	}
	if smLast.Reason != "broken armrest" || smLast.Before == nil || smLast.Actor != f.TenantAdmin.Actor() {
		t.Errorf("seat map entry %+v", smLast)
	}
	find("hold.release", "")

	// The service's filtered reads agree with the chain.
	es, err := f.Svc.AuditLog(ctx, f.Auditor, sales.AuditFilter{Object: "order:" + itoa64(o.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Errorf("auditor sees %d entries of the order, want create, pay, refund", len(es))
	}
	if _, err := f.Svc.AuditLog(ctx, f.Clerk, sales.AuditFilter{}); !sales.IsKind(err, sales.KindForbidden) {
		t.Errorf("a clerk reads the audit log: %v", err)
	}
	tail, err := f.Svc.AuditLog(ctx, f.Auditor, sales.AuditFilter{AfterSeq: f.AuditSeq(t) - 2})
	if err != nil || len(tail) != 2 {
		t.Errorf("audit entries after seq: %d, %v", len(tail), err)
	}
}

func itoa64(n int64) string { return itoa(int(n)) }

func testKeyRotation(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	old := f.Buy(t, f.Clerk, "A-1")
	oldKey := old.Tickets[0].KeyID
	k2, err := f.Svc.RotateKey(ctx, f.TenantAdmin, 0, "yearly rotation")
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID == oldKey || k2.Status != sales.KeyActive {
		t.Fatalf("rotation made key %+v (old %d)", k2, oldKey)
	}
	fresh := f.Buy(t, f.Clerk, "A-2")
	if fresh.Tickets[0].KeyID != k2.ID {
		t.Fatalf("a ticket sold after rotation carries key %d, want %d", fresh.Tickets[0].KeyID, k2.ID)
	}
	keys := publicKeys(t, f)
	for _, tk := range []sales.Ticket{old.Tickets[0], fresh.Tickets[0]} {
		if _, kid, err := ticket.Verify(tk.QR, keys); err != nil || uint32(kid) != tk.KeyID {
			t.Errorf("ticket %s with key %d: verify says key %d, %v", tk.Number, tk.KeyID, kid, err)
		}
		if chk, err := f.Svc.VerifyTicket(ctx, f.Gate, tk.QR); err != nil || !chk.Valid {
			t.Errorf("VerifyTicket(%s) after rotation: %+v, %v", tk.Number, chk, err)
		}
	}
	ks, _ := f.Svc.SigningKeys(ctx, f.TenantAdmin, 0)
	statuses := map[uint32]sales.KeyStatus{}
	for _, k := range ks {
		statuses[k.ID] = k.Status
	}
	if statuses[oldKey] != sales.KeyRetired || statuses[k2.ID] != sales.KeyActive {
		t.Fatalf("key statuses after rotation: %v", statuses)
	}

	err = f.Svc.RevokeKey(ctx, f.TenantAdmin, 0, k2.ID, "active keys cannot be revoked")
	WantError(t, err, sales.KindConflict, "key_not_retired")
	if err := f.Svc.RevokeKey(ctx, f.TenantAdmin, 0, oldKey, "key leaked"); err != nil {
		t.Fatal(err)
	}
	chk, err := f.Svc.VerifyTicket(ctx, f.Gate, old.Tickets[0].QR)
	if err != nil || chk.Valid {
		t.Errorf("a ticket signed by a revoked key verifies: %+v, %v", chk, err)
	}
	if _, _, err := ticket.Verify(old.Tickets[0].QR, publicKeys(t, f)); err == nil {
		t.Errorf("the published key set still verifies a ticket of the revoked key")
	}
	if chk, err := f.Svc.VerifyTicket(ctx, f.Gate, fresh.Tickets[0].QR); err != nil || !chk.Valid {
		t.Errorf("a ticket of the active key after revocation: %+v, %v", chk, err)
	}
	// Altered bytes never verify.
	qr := []byte(fresh.Tickets[0].QR)
	qr[len(qr)/2] ^= 1
	if chk, err := f.Svc.VerifyTicket(ctx, f.Gate, string(qr)); err != nil || chk.Valid {
		t.Errorf("an altered QR verifies: %+v, %v", chk, err)
	}
	// Another service over the same store sees the rotation too.
	svc2, err := sales.New(ctx, f.Store, Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	if chk, err := svc2.VerifyTicket(ctx, f.Gate, old.Tickets[0].QR); err != nil || chk.Valid {
		t.Errorf("a fresh service verifies a revoked key's ticket: %+v, %v", chk, err)
	}
}

func testSeatMapChanges(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	sold := f.Buy(t, f.Clerk, "C-6")
	held := f.Hold(t, f.Clerk, sales.ChannelPOS, "C-7")
	ver, _ := f.Store.SessionVersion(ctx, f.Session.ID)
	for _, l := range []string{"C-5", "C-6", "C-7"} {
		if err := f.Svc.SetSeatState(ctx, f.TenantAdmin, f.Hall.ID, l, seatmap.StateDamaged, "water damage"); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := f.Store.SessionVersion(ctx, f.Session.ID); v == ver {
		t.Errorf("the session version did not move when seats left service")
	}
	st := f.SessionSeat(t, "C-5")
	if st.State != seatmap.StateDamaged {
		t.Fatalf("session seat C-5 is %s, want damaged", st.State)
	}
	a := f.Availability(t, f.Clerk, f.Session.ID)
	if a.Counts["out_of_service"] != 2 {
		t.Errorf("availability counts %v, want 2 out of service (C-5, C-7)", a.Counts)
	}
	_, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "C-5")})
	e := WantError(t, err, sales.KindConflict, "seats_unavailable")
	if len(e.Seats) != 1 || !strings.Contains(e.Seats[0].Reason, "out of service") {
		t.Errorf("seat problems %+v, want C-5 out of service", e.Seats)
	}
	// The held seat cannot be confirmed any more.
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: held.ID})
	WantError(t, err, sales.KindConflict, "")
	// The sold seat keeps its ticket.
	if st := f.SessionSeat(t, "C-6"); st.Status != sales.SeatSold {
		t.Errorf("sold seat C-6 is %s", st.Status)
	}
	got, _ := f.Svc.GetOrder(ctx, f.Clerk, sold.ID)
	if got.Status != sales.OrderPaid || got.Tickets[0].Status != sales.TicketValid {
		t.Errorf("the order of a seat damaged after sale is %s, ticket %s", got.Status, got.Tickets[0].Status)
	}
	if chk, err := f.Svc.VerifyTicket(ctx, f.Gate, got.Tickets[0].QR); err != nil || !chk.Valid {
		t.Errorf("the ticket of a seat damaged after sale: %+v, %v", chk, err)
	}
	// Best available never picks it; repair brings it back.
	if h, _ := f.Svc.GetHall(ctx, f.Clerk, f.Hall.ID); h.Seats != 240-3 {
		t.Errorf("hall has %d seats in service, want %d", h.Seats, 240-3)
	}
	if err := f.Svc.SetSeatState(ctx, f.TenantAdmin, f.Hall.ID, "C-5", seatmap.StateOK, "repaired"); err != nil {
		t.Fatal(err)
	}
	f.Hold(t, f.Clerk, sales.ChannelPOS, "C-5")
	// A new session of the hall copies the current map.
	s2, _ := f.AddSession(t, f.Hall.ID, f.Session.StartsAt.Add(24*time.Hour), 4500)
	seats, _ := f.Store.SessionSeats(ctx, s2.ID)
	for _, s := range seats {
		if (s.Label == "C-6" || s.Label == "C-7") != (s.State == seatmap.StateDamaged) {
			t.Errorf("new session seat %s is %s", s.Label, s.State)
		}
	}
}

func testBadInput(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ids := f.SeatIDs(t, "K-1", "K-2", "K-3")
	until := f.Clock.Now().Add(24 * time.Hour)
	for i, c := range []sales.CategoryChange{
		{Category: sales.CategoryHeldBack},
		{Category: sales.CategoryNonSale},
		{Category: sales.CategoryReserved, ReservedFor: "Bob", ReservedUntil: &until},
	} {
		c.SeatIDs = ids[i : i+1]
		if err := f.Svc.SetSeatCategory(ctx, f.Manager, f.Session.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	f.Buy(t, f.Clerk, "K-5")
	seq := f.AuditSeq(t)
	ver, _ := f.Store.SessionVersion(ctx, f.Session.ID)
	hold := func(in sales.HoldRequest) error {
		in.SessionID, in.Channel = f.Session.ID, sales.ChannelPOS
		_, err := f.Svc.HoldSeats(ctx, f.Clerk, in)
		return err
	}
	seatProblem := func(err error, reason string) {
		t.Helper()
		e := WantError(t, err, sales.KindConflict, "seats_unavailable")
		if len(e.Seats) != 1 || !strings.Contains(e.Seats[0].Reason, reason) {
			t.Errorf("seat problems %+v, want %q", e.Seats, reason)
		}
	}
	_, err := f.Svc.SetPrices(ctx, f.Manager, f.Session.ID, []sales.PriceTier{{Name: "Neg", PriceCents: -1}})
	if e := WantError(t, err, sales.KindInvalid, "invalid_prices"); len(e.Fields) == 0 {
		t.Errorf("no field named for a negative price")
	}
	_, err = f.Svc.SetPrices(ctx, f.Manager, f.Session.ID, []sales.PriceTier{{Name: "Cheap", PriceCents: 2999}})
	WantError(t, err, sales.KindInvalid, "invalid_prices")
	_, err = f.Svc.SetPrices(ctx, f.Manager, f.Session.ID, nil)
	WantError(t, err, sales.KindInvalid, "invalid_prices")
	_, err = f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: f.Event.ID,
		StartsAt: f.Session.StartsAt.Add(time.Hour), EndsAt: f.Session.EndsAt.Add(time.Hour), MinPriceCents: 3000})
	WantError(t, err, sales.KindConflict, "session_overlap")
	_, err = f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: f.Event.ID + 1000,
		StartsAt: f.Session.StartsAt.Add(48 * time.Hour), EndsAt: f.Session.EndsAt.Add(48 * time.Hour)})
	WantError(t, err, sales.KindInvalid, "")
	_, err = f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: f.Event.ID,
		StartsAt: f.Session.StartsAt.Add(48 * time.Hour), EndsAt: f.Session.StartsAt.Add(47 * time.Hour)})
	WantError(t, err, sales.KindInvalid, "invalid_session")
	WantError(t, hold(sales.HoldRequest{}), sales.KindInvalid, "invalid_hold")
	WantError(t, hold(sales.HoldRequest{SeatIDs: []int64{}, Count: 0}), sales.KindInvalid, "invalid_hold")
	dup := f.SeatIDs(t, "A-1", "A-1")
	WantError(t, hold(sales.HoldRequest{SeatIDs: dup}), sales.KindInvalid, "invalid_hold")
	var eleven []int64
	for c := 1; c <= 11; c++ {
		eleven = append(eleven, f.SeatID(t, f.Session.ID, "B-"+itoa(c)))
	}
	WantError(t, hold(sales.HoldRequest{SeatIDs: eleven}), sales.KindInvalid, "invalid_hold")
	WantError(t, hold(sales.HoldRequest{Count: 11}), sales.KindInvalid, "invalid_hold")
	WantError(t, hold(sales.HoldRequest{SeatIDs: []int64{-5}}), sales.KindInvalid, "unknown_seat")
	_, err = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: "telepathy", SeatIDs: f.SeatIDs(t, "A-1")})
	WantError(t, err, sales.KindInvalid, "invalid_hold")
	_, err = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID + 1000, Channel: sales.ChannelPOS, Count: 1})
	WantError(t, err, sales.KindNotFound, "")
	seatProblem(hold(sales.HoldRequest{SeatIDs: ids[0:1]}), "held back")
	seatProblem(hold(sales.HoldRequest{SeatIDs: ids[1:2]}), "not for sale")
	seatProblem(hold(sales.HoldRequest{SeatIDs: ids[2:3], Customer: "Alice"}), "reserved for another")
	seatProblem(hold(sales.HoldRequest{SeatIDs: f.SeatIDs(t, "K-5")}), "sold")
	// A category change on a sold seat is refused whole.
	err = f.Svc.SetSeatCategory(ctx, f.Manager, f.Session.ID, sales.CategoryChange{SeatIDs: f.SeatIDs(t, "K-6", "K-5"), Category: sales.CategoryHeldBack})
	WantError(t, err, sales.KindConflict, "seats_unavailable")
	if st := f.SessionSeat(t, "K-6"); st.Category != sales.CategorySellable {
		t.Errorf("a refused category change moved K-6 to %s", st.Category)
	}
	err = f.Svc.SetSeatCategory(ctx, f.Manager, f.Session.ID, sales.CategoryChange{SeatIDs: ids[:1], Category: sales.CategoryReserved, ReservedFor: "Bob"})
	WantError(t, err, sales.KindInvalid, "invalid_category")
	_, err = f.Svc.SetQuotas(ctx, f.Manager, f.Session.ID, []sales.Quota{{Channel: sales.ChannelPOS, Limit: -1}})
	WantError(t, err, sales.KindInvalid, "invalid_quotas")
	_, err = f.Svc.CreateVenue(ctx, f.TenantAdmin, sales.NewVenue{Code: "1234", Name: "Short code"})
	WantError(t, err, sales.KindInvalid, "invalid_venue")
	_, err = f.Svc.CreateVenue(ctx, f.TenantAdmin, sales.NewVenue{Code: f.Venue.Code, Name: "Same code"})
	WantError(t, err, sales.KindConflict, "")
	bad := seatmap.Grid("M", "Main", 2, 2)
	bad.Seats[1].Label = bad.Seats[0].Label
	_, err = f.Svc.ImportSeatMap(ctx, f.TenantAdmin, f.Hall.ID, bad, "broken file")
	WantError(t, err, sales.KindInvalid, "invalid_seat_map")
	// Roles: a clerk cannot set prices.
	_, err = f.Svc.SetPrices(ctx, f.Clerk, f.Session.ID, []sales.PriceTier{{Name: "x", PriceCents: 4000}})
	WantError(t, err, sales.KindForbidden, "")

	if got := f.AuditSeq(t); got != seq {
		t.Errorf("refused input wrote %d audit entries", got-seq)
	}
	if v, _ := f.Store.SessionVersion(ctx, f.Session.ID); v != ver {
		t.Errorf("refused input moved the session version %d -> %d", ver, v)
	}
	if tiers, _ := f.Svc.Prices(ctx, f.Clerk, f.Session.ID); len(tiers) != 1 || tiers[0].PriceCents != 4500 {
		t.Errorf("prices after refused changes: %+v", tiers)
	}
	if ss, _ := f.Svc.ListSessions(ctx, f.Manager, sales.SessionFilter{}); len(ss) != 1 {
		t.Errorf("%d sessions after refused creations, want 1", len(ss))
	}
	if h, _ := f.Svc.GetHall(ctx, f.Clerk, f.Hall.ID); h.Seats != 240 {
		t.Errorf("hall has %d seats after a refused import", h.Seats)
	}
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Counts["held"] != 0 || a.Counts["sold"] != 1 {
		t.Errorf("availability after refused holds: %v", a.Counts)
	}
}

func testQuotas(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	if _, err := f.Svc.SetQuotas(ctx, f.Manager, f.Session.ID, []sales.Quota{{Channel: sales.ChannelPOS, Limit: 4}}); err != nil {
		t.Fatal(err)
	}
	if ss, _ := f.Svc.GetSession(ctx, f.Clerk, f.Session.ID); len(ss.Quotas) != 1 || ss.Quotas[0].Limit != 4 {
		t.Fatalf("stored quotas %+v", ss.Quotas)
	}
	f.Buy(t, f.Clerk, "A-1", "A-2")
	f.Hold(t, f.Clerk, sales.ChannelPOS, "A-3")
	_, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "A-4", "A-5")})
	WantError(t, err, sales.KindConflict, "quota_exhausted")
	if st := f.SessionSeat(t, "A-4"); st.Status != sales.SeatAvailable {
		t.Fatalf("a hold over quota left A-4 %s", st.Status)
	}
	f.Hold(t, f.Clerk, sales.ChannelPOS, "A-4")
	_, err = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 1})
	WantError(t, err, sales.KindConflict, "quota_exhausted")
	// Web still sells.
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelWeb, Count: 3})
	if err != nil {
		t.Fatalf("web sale under a pos quota: %v", err)
	}
	f.ConfirmAndPay(t, f.Clerk, h, sales.PaymentRequest{Method: "card", CardToken: "tok_approve"})
	// An expired pos hold gives its quota back.
	f.Clock.Advance(5*time.Minute + time.Second)
	f.Hold(t, f.Clerk, sales.ChannelPOS, "A-10", "A-11")
}

func testReservedSeats(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	until := f.Clock.Now().Add(24 * time.Hour)
	ids := f.SeatIDs(t, "D-4", "D-5")
	if err := f.Svc.SetSeatCategory(ctx, f.Manager, f.Session.ID, sales.CategoryChange{SeatIDs: ids, Category: sales.CategoryReserved,
		ReservedFor: "Alice", ReservedUntil: &until, Reason: "VIP guest"}); err != nil {
		t.Fatal(err)
	}
	st := f.SessionSeat(t, "D-4")
	if st.Category != sales.CategoryReserved || st.ReservedFor != "Alice" || st.ReservedUntil == nil || !st.ReservedUntil.Equal(until) {
		t.Fatalf("reserved seat %+v", st)
	}
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Counts["reserved"] != 2 {
		t.Errorf("availability counts %v, want 2 reserved", a.Counts)
	}
	for _, who := range []string{"", "Bob"} {
		_, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: ids[:1], Customer: who})
		WantError(t, err, sales.KindConflict, "seats_unavailable")
	}
	// Best available skips reserved seats.
	for range 3 {
		h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelWeb, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range h.Seats {
			if s.SeatID == ids[0] || s.SeatID == ids[1] {
				t.Fatalf("best available gave away reserved seat %s", s.Label)
			}
		}
	}
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: ids[:1], Customer: "Alice"})
	if err != nil {
		t.Fatalf("Alice cannot hold her reserved seat: %v", err)
	}
	f.ConfirmAndPay(t, f.Clerk, h, sales.PaymentRequest{Method: "cash"})
	// After the reservation lapses, anyone may buy.
	f.Clock.Advance(24*time.Hour + time.Minute)
	f.Hold(t, f.Clerk, sales.ChannelPOS, "D-5")
}

func testLoginLockout(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	name := f.Clerk.Username
	for i := range 5 {
		_, err := f.Svc.Login(ctx, name, "wrong-password-"+itoa(i))
		WantError(t, err, sales.KindUnauthenticated, "")
	}
	_, err := f.Svc.Login(ctx, name, Password)
	WantError(t, err, sales.KindLocked, "")
	f.Clock.Advance(10 * time.Minute)
	_, err = f.Svc.Login(ctx, name, Password)
	WantError(t, err, sales.KindLocked, "")
	f.Clock.Advance(6 * time.Minute)
	res, err := f.Svc.Login(ctx, name, Password)
	if err != nil {
		t.Fatalf("the right password after the lockout: %v", err)
	}
	p, err := f.Svc.Authenticate(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != f.Clerk.UserID || p.TenantID != f.Tenant.ID || p.Role != f.Clerk.Role || len(p.VenueIDs) != 1 || p.VenueIDs[0] != f.Venue.ID {
		t.Fatalf("authenticated as %+v, want %+v", p, f.Clerk)
	}
	// A success resets the count: four more failures do not lock.
	for range 4 {
		_, _ = f.Svc.Login(ctx, name, "wrong-again-123")
	}
	if _, err := f.Svc.Login(ctx, name, Password); err != nil {
		t.Fatalf("four failures after a success locked the account: %v", err)
	}
	// Unknown users and wrong passwords look the same.
	_, err = f.Svc.Login(ctx, "nobody-here", Password)
	WantError(t, err, sales.KindUnauthenticated, "bad_credentials")
}

func testPasswordChangeEndsLogins(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	res, err := f.Svc.Login(ctx, f.Clerk.Username, Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.Authenticate(ctx, res.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.UpdateUser(ctx, f.TenantAdmin, f.Clerk.UserID, sales.UserPatch{Password: ptr("a-brand-new-password")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Svc.Authenticate(ctx, res.Token)
	WantError(t, err, sales.KindUnauthenticated, "")
	_, err = f.Svc.Login(ctx, f.Clerk.Username, Password)
	WantError(t, err, sales.KindUnauthenticated, "")
	res, err = f.Svc.Login(ctx, f.Clerk.Username, "a-brand-new-password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.Authenticate(ctx, res.Token); err != nil {
		t.Fatal(err)
	}
	// Disabling ends logins too.
	if _, err := f.Svc.UpdateUser(ctx, f.TenantAdmin, f.Clerk.UserID, sales.UserPatch{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Svc.Authenticate(ctx, res.Token)
	WantError(t, err, sales.KindUnauthenticated, "")
	_, err = f.Svc.Login(ctx, f.Clerk.Username, "a-brand-new-password")
	WantError(t, err, sales.KindUnauthenticated, "")
}

func testSessionVersion(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	last, _ := f.Store.SessionVersion(ctx, f.Session.ID)
	lastAvail := f.Availability(t, f.Clerk, f.Session.ID).Version
	moved := func(what string) {
		t.Helper()
		v, err := f.Store.SessionVersion(ctx, f.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v == last {
			t.Errorf("%s did not change the session version", what)
		}
		last = v
		// The availability version is the seat change log's position:
		// it moves with every change, and only forward.
		a := f.Availability(t, f.Clerk, f.Session.ID)
		if a.Version <= lastAvail {
			t.Errorf("after %s availability has version %d, before %d", what, a.Version, lastAvail)
		}
		if head, err := f.Store.SeatLogHead(ctx); err != nil || a.Version > head {
			t.Errorf("after %s availability has version %d, the seat log ends at %d (%v)", what, a.Version, head, err)
		}
		lastAvail = a.Version
	}
	f.Availability(t, f.Clerk, f.Session.ID)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1", "A-2")
	moved("a hold")
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Seats[0] != sales.AvailHeld || a.Seats[1] != sales.AvailHeld || a.Seats[2] != sales.AvailOpen {
		t.Errorf("availability string starts %q, want HHA", a.Seats[:3])
	}
	if _, err := f.Svc.ReleaseHold(ctx, f.Clerk, h.ID); err != nil {
		t.Fatal(err)
	}
	moved("a release")
	o := f.Buy(t, f.Clerk, "A-3")
	moved("a sale")
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Seats[2] != sales.AvailSold || a.Seats[0] != sales.AvailOpen {
		t.Errorf("availability string starts %q, want AAS", a.Seats[:3])
	}
	r, _ := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "version test"})
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	moved("a refund")
	if _, err := f.Svc.SetPrices(ctx, f.Manager, f.Session.ID, []sales.PriceTier{{Name: "Front", Section: "Z", PriceCents: 3000}}); err != nil {
		t.Fatal(err)
	}
	moved("a price change")
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Counts["unpriced"] != 240 {
		t.Errorf("with no tier matching, availability counts %v, want 240 unpriced", a.Counts)
	}
	_, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 1})
	WantError(t, err, sales.KindConflict, "sold_out")
	if err := f.Svc.SetSeatCategory(ctx, f.Manager, f.Session.ID, sales.CategoryChange{SeatIDs: f.SeatIDs(t, "L-1"), Category: sales.CategoryNonSale}); err != nil {
		t.Fatal(err)
	}
	moved("a category change")
	if _, err := f.Svc.CancelSession(ctx, f.Manager, f.Session.ID, "storm"); err != nil {
		t.Fatal(err)
	}
	_, err = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "A-1")})
	WantError(t, err, sales.KindConflict, "session_cancelled")
}

// testPasswordPolicy: under a policy, a password too plain is refused,
// the current one and the ones just before it are refused, one older
// than the history is taken again, and a login past the password's age
// says it expired; every change is audited.
func testPasswordPolicy(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	cfg := Config(f.Clock)
	cfg.PasswordPolicy = auth.PasswordPolicy{MinLength: 12, Classes: 3, History: 3, MaxAgeDays: 90}
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	change := func(pw string) error {
		_, err := svc.UpdateUser(ctx, f.TenantAdmin, f.Clerk.UserID, sales.UserPatch{Password: ptr(pw)})
		return err
	}
	WantError(t, change("alllowercase-only"), sales.KindInvalid, "invalid_user")
	before := f.AuditSeq(t)
	for _, pw := range []string{"First-password-1", "Second-password-2", "Third-password-3"} {
		if err := change(pw); err != nil {
			t.Fatalf("%s: %v", pw, err)
		}
	}
	if got := f.AuditSeq(t) - before; got != 3 {
		t.Errorf("%d audit entries for 3 password changes", got)
	}
	WantError(t, change("Third-password-3"), sales.KindInvalid, "password_reused")
	WantError(t, change("First-password-1"), sales.KindInvalid, "password_reused")
	if err := change("Fourth-password-4"); err != nil {
		t.Fatal(err)
	}
	if err := change("First-password-1"); err != nil {
		t.Fatalf("a password older than the history of 3 refused: %v", err)
	}
	res, err := svc.Login(ctx, f.Clerk.Username, "First-password-1")
	if err != nil || res.PasswordExpired {
		t.Fatalf("a fresh password's login: %+v %v", res.PasswordExpired, err)
	}
	f.Clock.Advance(91 * 24 * time.Hour)
	if res, err = svc.Login(ctx, f.Clerk.Username, "First-password-1"); err != nil || !res.PasswordExpired {
		t.Fatalf("a 91-day-old password's login does not say it expired: %v %v", res.PasswordExpired, err)
	}
}

// testSecretsAtRest: a store used without a master key holds its secrets
// in clear; started with one, they are sealed (signing keys, device
// secrets, the token and sync secrets) and sales go on; the store is then
// useless without the key or with another; the master key rotates, after
// which only the new one opens it.
func testSecretsAtRest(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	f.Buy(t, f.Clerk, "A-1")
	_, code, err := f.Svc.RegisterDevice(ctx, f.TenantAdmin, f.Venue.ID, sales.NewDevice{Role: "gate", Name: "sealed-gate"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := f.Svc.Enroll(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	with := func(key []byte) (*sales.Service, error) {
		cfg := Config(f.Clock)
		cfg.MasterKey = key
		return sales.New(ctx, f.Store, cfg)
	}
	k1 := bytes.Repeat([]byte{7}, 32)
	svc, err := with(k1)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := f.Store.SigningKeys(ctx, f.Tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !bytes.HasPrefix(k.Private, []byte("admit-sealed:")) {
			t.Errorf("signing key %d is stored in clear", k.ID)
		}
	}
	if _, secret, err := f.Store.DeviceSecret(ctx, dev.DeviceID); err != nil || !bytes.HasPrefix(secret, []byte("admit-sealed:")) {
		t.Errorf("the device secret is stored in clear (%v)", err)
	}
	for _, name := range []string{"token_secret", "sync_key_seed"} {
		if v, _, _ := f.Store.Setting(ctx, name); !strings.HasPrefix(v, "admit-sealed:") {
			t.Errorf("setting %s is stored in clear", name)
		}
	}
	// Sales go on, signed, and the device still logs in with its secret.
	h, err := svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "A-2")})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	if err != nil {
		t.Fatalf("a sale with sealed keys: %v", err)
	}
	if chk, err := svc.VerifyTicket(ctx, f.TenantAdmin, o.Tickets[0].QR); err != nil || !chk.Valid {
		t.Fatalf("the ticket sold with a sealed key: %+v %v", chk, err)
	}
	if _, err := svc.AuthenticateDevice(ctx, dev.DeviceID, dev.Secret); err != nil {
		t.Fatalf("the device with its sealed secret: %v", err)
	}
	// A copy of the store without the key, or with another, is useless.
	if _, err := with(nil); err == nil {
		t.Fatal("the store opened without its master key")
	}
	if _, err := with(bytes.Repeat([]byte{8}, 32)); err == nil {
		t.Fatal("the store opened with another master key")
	}
	// Rotation: the data key is rewrapped; the old master key opens nothing.
	k2 := bytes.Repeat([]byte{9}, 32)
	before := f.AuditSeq(t)
	if err := svc.RewrapDataKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if f.AuditSeq(t) == before {
		t.Error("the rotation was not audited")
	}
	if _, err := with(k1); err == nil {
		t.Fatal("the old master key still opens the store")
	}
	if _, err := with(k2); err != nil {
		t.Fatalf("the new master key: %v", err)
	}
}

// testSingleLogin: for a role held to one login at a time, a new login
// ends the user's earlier one (another POS); other roles keep theirs.
func testSingleLogin(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	cfg := Config(f.Clock)
	cfg.SingleLoginRoles = []auth.Role{auth.RoleClerk}
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.Login(ctx, f.Clerk.Username, Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, first.Token); err != nil {
		t.Fatal(err)
	}
	second, err := svc.Login(ctx, f.Clerk.Username, Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, second.Token); err != nil {
		t.Fatalf("the new login: %v", err)
	}
	_, err = svc.Authenticate(ctx, first.Token)
	WantError(t, err, sales.KindUnauthenticated, "")
	a, err := svc.Login(ctx, f.TenantAdmin.Username, Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, f.TenantAdmin.Username, Password); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, a.Token); err != nil {
		t.Fatalf("an admin's first login ended by a second: %v", err)
	}
}

// testPersonalDataMasked: a customer's name and phone are stored as
// given, shown masked to a clerk in every answer (the sale, the order,
// a search), and unmasked to a venue manager, each such read audited.
func testPersonalDataMasked(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1")
	o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, CustomerName: "张三丰", CustomerPhone: "13812345678",
		Payment: &sales.PaymentRequest{Method: "cash"}})
	if err != nil {
		t.Fatal(err)
	}
	masked := func(where string, got sales.Order) {
		t.Helper()
		if got.CustomerName != "张**" || got.CustomerPhone != "138****5678" {
			t.Errorf("%s shows a clerk %q %q", where, got.CustomerName, got.CustomerPhone)
		}
	}
	masked("the sale", o)
	got, err := f.Svc.GetOrder(ctx, f.Clerk, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	masked("the order", got)
	found, err := f.Svc.FindOrders(ctx, f.Clerk, sales.OrderFilter{PickupCode: o.PickupCode})
	if err != nil || len(found) != 1 {
		t.Fatalf("search: %v %v", found, err)
	}
	masked("a search", found[0])
	if stored, _ := f.Store.GetOrder(ctx, -1, o.ID); stored.CustomerName != "张三丰" || stored.CustomerPhone != "13812345678" {
		t.Fatalf("stored %q %q", stored.CustomerName, stored.CustomerPhone)
	}

	before := f.AuditSeq(t)
	got, err = f.Svc.GetOrder(ctx, f.Manager, o.ID)
	if err != nil || got.CustomerName != "张三丰" || got.CustomerPhone != "13812345678" {
		t.Fatalf("a manager sees %q %q (%v)", got.CustomerName, got.CustomerPhone, err)
	}
	if f.AuditSeq(t) != before+1 {
		t.Fatal("a manager's unmasked read was not audited")
	}
	var reads int
	f.Store.AuditLog(ctx, sales.AuditFilter{}, func(e audit.Entry) error {
		if e.Action == "personal_data.read" && e.Object == "order:"+strconv.FormatInt(o.ID, 10) {
			reads++
		}
		return nil
	})
	if reads != 1 {
		t.Fatalf("%d audited reads of the order's personal data", reads)
	}
}

// auditActions lists the actions of the audit entries after seq, with
// their request ids.
func auditActions(t *testing.T, st sales.Store, after int64) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := st.AuditLog(ctx, sales.AuditFilter{AfterSeq: after}, func(e audit.Entry) error {
		got[e.Action] = e.RequestID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// testLoginSessions: a login is a session the cloud can end before its
// token expires. Logging out ends it at once; a login unused for the idle
// timeout ends at its next use; both audited. Who is online is the logins
// in use, scoped like the rest of the tenant's data.
func testLoginSessions(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	cfg := Config(f.Clock)
	cfg.IdleTimeout = 10 * time.Minute
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	login := func(name string) string {
		t.Helper()
		r, err := svc.Login(ctx, name, Password)
		if err != nil {
			t.Fatal(err)
		}
		return r.Token
	}
	clerk, admin := login(f.Clerk.Username), login(f.TenantAdmin.Username)
	online := func(p sales.Principal) []string {
		t.Helper()
		ls, err := svc.OnlineUsers(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range ls {
			names = append(names, l.Username)
		}
		slices.Sort(names)
		return names
	}
	want := []string{f.Clerk.Username, f.TenantAdmin.Username}
	slices.Sort(want)
	if got := online(f.TenantAdmin); !slices.Equal(got, want) {
		t.Fatalf("online %v, want %v", got, want)
	}
	_, err = svc.OnlineUsers(ctx, f.Clerk)
	WantError(t, err, sales.KindForbidden, "")

	// Used every 6 minutes, the clerk stays in well past the idle timeout.
	for range 4 {
		f.Clock.Advance(6 * time.Minute)
		if _, err := svc.Authenticate(ctx, clerk); err != nil {
			t.Fatalf("a login in use: %v", err)
		}
	}
	// The admin, unused for 24 minutes, is out, and no longer online.
	before := f.AuditSeq(t)
	_, err = svc.Authenticate(ctx, admin)
	WantError(t, err, sales.KindUnauthenticated, "session_idle")
	if _, ok := auditActions(t, f.Store, before)["session.idle_timeout"]; !ok {
		t.Fatal("the idle timeout is not audited")
	}
	_, err = svc.Authenticate(ctx, admin)
	WantError(t, err, sales.KindUnauthenticated, "")
	if got := online(f.TenantAdmin); !slices.Equal(got, []string{f.Clerk.Username}) {
		t.Fatalf("online after the idle timeout: %v", got)
	}

	// Logging out ends the login at once, on a second process too.
	other, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, clerk); err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, clerk)
	if err != nil {
		t.Fatal(err)
	}
	before = f.AuditSeq(t)
	if err := svc.Logout(reqid.With(ctx, "req-logout-1"), p, clerk); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Authenticate(ctx, clerk)
	WantError(t, err, sales.KindUnauthenticated, "")
	f.Clock.Advance(6 * time.Second) // past the other process's principal cache
	_, err = other.Authenticate(ctx, clerk)
	WantError(t, err, sales.KindUnauthenticated, "")
	if id, ok := auditActions(t, f.Store, before)["session.logout"]; !ok || id != "req-logout-1" {
		t.Fatalf("the logout is audited with request id %q (%v)", id, ok)
	}
	if got := online(f.TenantAdmin); len(got) != 0 {
		t.Fatalf("online after both ended: %v", got)
	}
	// A new login works, and the chain with request ids verifies.
	if _, err := svc.Authenticate(ctx, login(f.Clerk.Username)); err != nil {
		t.Fatal(err)
	}
	f.VerifyAudit(t)
}

// testPersonalDataSealed: with a master key, customers' names and phones
// are stored sealed, those stored before the key included, and never in
// clear in the audit log; a role allowed sees them, a clerk sees them
// masked, and an order is found by its customer's whole name.
func testPersonalDataSealed(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1")
	before, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, CustomerName: "李雷", CustomerPhone: "13900001111",
		Payment: &sales.PaymentRequest{Method: "cash"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config(f.Clock)
	cfg.MasterKey = bytes.Repeat([]byte{9}, 32)
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "A-2")
	after, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, CustomerName: "Han Meimei", CustomerPhone: "13800002222",
		Payment: &sales.PaymentRequest{Method: "cash"}})
	if err != nil {
		t.Fatal(err)
	}
	if after.CustomerName != "H*********" || after.CustomerPhone != "138****2222" {
		t.Fatalf("the clerk's sale shows %q %q", after.CustomerName, after.CustomerPhone)
	}
	for _, o := range []sales.Order{before, after} {
		stored, err := f.Store.GetOrder(ctx, -1, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored.CustomerName, "admit-sealed:") || !strings.HasPrefix(stored.CustomerPhone, "admit-sealed:") || stored.CustomerIndex == "" {
			t.Errorf("order %d is stored as %q %q (index %q)", o.ID, stored.CustomerName, stored.CustomerPhone, stored.CustomerIndex)
		}
		got, err := svc.GetOrder(ctx, f.Manager, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CustomerName != map[int64]string{before.ID: "李雷", after.ID: "Han Meimei"}[o.ID] {
			t.Errorf("a manager sees %q", got.CustomerName)
		}
	}
	err = f.Store.AuditLog(ctx, sales.AuditFilter{}, func(e audit.Entry) error {
		if bytes.Contains(e.After, []byte("Han Meimei")) || bytes.Contains(e.After, []byte("13800002222")) {
			t.Errorf("audit entry %d (%s) holds the customer in clear", e.Seq, e.Action)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	find := func(name string) []int64 {
		t.Helper()
		os, err := svc.FindOrders(ctx, f.Manager, sales.OrderFilter{CustomerName: name})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, o := range os {
			ids = append(ids, o.ID)
		}
		return ids
	}
	if got := find("han  MEIMEI"); !slices.Equal(got, []int64{after.ID}) {
		t.Fatalf("found by the whole name: %v", got)
	}
	if got := find("李雷"); !slices.Equal(got, []int64{before.ID}) {
		t.Fatalf("an order sealed after the fact, found by name: %v", got)
	}
	if got := find("Han"); len(got) != 0 {
		t.Fatalf("a part of a sealed name finds %v", got)
	}
}
