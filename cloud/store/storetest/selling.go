package storetest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/ticket"
)

func testHoldAllOrNothing(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	f.Buy(t, f.Clerk, "C-3")
	seq := f.AuditSeq(t)
	ver, _ := f.Store.SessionVersion(ctx, f.Session.ID)

	_, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS,
		SeatIDs: f.SeatIDs(t, "A-1", "A-2", "C-3")})
	e := WantError(t, err, sales.KindConflict, "seats_unavailable")
	if len(e.Seats) != 1 || e.Seats[0].SeatID != f.SeatID(t, f.Session.ID, "C-3") || e.Seats[0].Label != "C-3" ||
		!strings.Contains(e.Seats[0].Reason, "sold") {
		t.Fatalf("want one seat problem naming C-3 as sold, got %+v", e.Seats)
	}
	for _, l := range []string{"A-1", "A-2"} {
		if st := f.SessionSeat(t, l); st.Status != sales.SeatAvailable {
			t.Fatalf("%s is %s after a refused hold, want available", l, st.Status)
		}
	}
	if got := f.AuditSeq(t); got != seq {
		t.Fatalf("a refused hold wrote %d audit entries", got-seq)
	}
	if v, _ := f.Store.SessionVersion(ctx, f.Session.ID); v != ver {
		t.Fatalf("a refused hold moved the session version %d -> %d", ver, v)
	}
	// Someone else can hold the two free seats.
	h := f.Hold(t, f.Manager, sales.ChannelWeb, "A-1", "A-2")
	if len(h.Seats) != 2 {
		t.Fatalf("hold has %d seats, want 2", len(h.Seats))
	}
}

// testAHoldMakesOneOrder: a hold is confirmed once. Confirming it again,
// or from several requests at once, makes no second order.
func testAHoldMakesOneOrder(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "B-1", "B-2")
	const clerks = 8
	var wg sync.WaitGroup
	orders := make([]sales.Order, clerks)
	errs := make([]error, clerks)
	start := make(chan struct{})
	for i := range clerks {
		wg.Go(func() {
			<-start
			orders[i], errs[i] = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, CustomerName: "Test Buyer"})
		})
	}
	close(start)
	wg.Wait()
	var made []sales.Order
	for i, err := range errs {
		if err == nil {
			made = append(made, orders[i])
			continue
		}
		WantError(t, err, sales.KindConflict, "hold_not_active")
	}
	if len(made) != 1 {
		t.Fatalf("%d orders made of one hold, want 1", len(made))
	}
	_, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, CustomerName: "Test Buyer"})
	WantError(t, err, sales.KindConflict, "hold_not_active")
	if _, err := f.Svc.PayOrder(ctx, f.Clerk, made[0].ID, sales.PaymentRequest{Method: "cash"}); err != nil {
		t.Fatalf("paying the one order: %v", err)
	}
	for _, l := range []string{"B-1", "B-2"} {
		if st := f.SessionSeat(t, l); st.Status != sales.SeatSold {
			t.Fatalf("%s is %s, want sold", l, st.Status)
		}
	}
}

func testRaceSameSeats(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ids := f.SeatIDs(t, "F-9", "F-10", "F-11")
	const buyers = 50
	var wg sync.WaitGroup
	errs := make([]error, buyers)
	start := make(chan struct{})
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: ids})
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		if !sales.IsKind(err, sales.KindConflict) {
			t.Errorf("a losing buyer got %v, want a conflict", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d buyers held the same 3 seats, want exactly 1", ok)
	}
	a := f.Availability(t, f.Clerk, f.Session.ID)
	if a.Counts["held"] != 3 {
		t.Fatalf("availability shows %d held seats, want 3", a.Counts["held"])
	}
}

func testRaceSellOut(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	const (
		seats    = 12 * 20
		perOrder = 2
		buyers   = seats/perOrder + 30
		workers  = 100
	)
	type result struct {
		order sales.Order
		err   error
	}
	jobs := make(chan int)
	results := make(chan result, buyers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				// The last pairs of a sold-out hall are single seats apart:
				// these buyers accept that, so the hall sells out.
				h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: perOrder, AllowSplit: true})
				if err != nil {
					results <- result{err: err}
					continue
				}
				o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
				if err == nil {
					o, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"})
				}
				results <- result{o, err}
			}
		}()
	}
	for i := range buyers {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(results)

	seatOwner := map[int64]int64{}
	numbers := map[string]bool{}
	paid, refused := 0, 0
	for r := range results {
		if r.err != nil {
			e := WantError(t, r.err, sales.KindConflict, "")
			if e.Code != "sold_out" && e.Code != "seats_unavailable" {
				t.Errorf("a losing buyer got code %s: %v", e.Code, r.err)
			}
			refused++
			continue
		}
		paid++
		if len(r.order.Tickets) != perOrder {
			t.Errorf("order %d has %d tickets", r.order.ID, len(r.order.Tickets))
		}
		for _, tk := range r.order.Tickets {
			if prev, dup := seatOwner[tk.SeatID]; dup {
				t.Errorf("seat %d sold twice: orders %d and %d", tk.SeatID, prev, r.order.ID)
			}
			seatOwner[tk.SeatID] = r.order.ID
			if numbers[tk.Number] {
				t.Errorf("ticket number %s issued twice", tk.Number)
			}
			numbers[tk.Number] = true
		}
	}
	if paid != seats/perOrder || refused != buyers-paid {
		t.Errorf("%d buyers paid and %d were refused; want %d and %d", paid, refused, seats/perOrder, buyers-seats/perOrder)
	}
	if len(seatOwner) != seats {
		t.Errorf("%d distinct seats have tickets, want %d", len(seatOwner), seats)
	}
	sold := 0
	all, err := f.Store.SessionSeats(ctx, f.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if st.Status == sales.SeatSold {
			sold++
		}
	}
	if sold != seats {
		t.Fatalf("the store says %d seats are sold, want %d", sold, seats)
	}
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Counts["sold"] != seats || a.Counts["available"] != 0 {
		t.Fatalf("availability counts %v, want all %d sold", a.Counts, seats)
	}
	_, err = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 1})
	WantError(t, err, sales.KindConflict, "sold_out")
}

func testHoldsExpire(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	h1 := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1", "A-2")
	h2 := f.Hold(t, f.Clerk, sales.ChannelPOS, "B-1", "B-2", "B-3")
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Counts["held"] != 5 || a.Counts["available"] != 235 {
		t.Fatalf("availability counts %v, want 5 held and 235 available", a.Counts)
	}
	// Before the TTL passes, the seats are taken.
	_, err := f.Svc.HoldSeats(ctx, f.Manager, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelWeb, SeatIDs: f.SeatIDs(t, "A-1")})
	WantError(t, err, sales.KindConflict, "seats_unavailable")

	f.Clock.Advance(5*time.Minute + time.Second) // pos hold TTL is 5 minutes
	h3 := f.Hold(t, f.Manager, sales.ChannelWeb, "A-1", "A-2")
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h1.ID})
	WantError(t, err, sales.KindConflict, "")
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h2.ID})
	WantError(t, err, sales.KindConflict, "")

	n, err := f.Svc.ExpireHolds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("ExpireHolds expired %d holds, want 2", n)
	}
	for _, id := range []int64{h1.ID, h2.ID} {
		h, err := f.Svc.GetHold(ctx, f.Clerk, id)
		if err != nil {
			t.Fatal(err)
		}
		if h.Status != sales.HoldExpired {
			t.Errorf("hold %d is %s, want expired", id, h.Status)
		}
	}
	if h, _ := f.Svc.GetHold(ctx, f.Manager, h3.ID); h.Status != sales.HoldActive {
		t.Errorf("the new hold is %s, want active", h.Status)
	}
	if a := f.Availability(t, f.Clerk, f.Session.ID); a.Counts["held"] != 2 || a.Counts["available"] != 238 {
		t.Fatalf("availability counts %v after expiry, want 2 held and 238 available", a.Counts)
	}
	for _, l := range []string{"B-1", "B-2", "B-3"} {
		if st := f.SessionSeat(t, l); st.Status != sales.SeatAvailable {
			t.Errorf("%s is %s after expiry, want available", l, st.Status)
		}
	}
	// A confirmed order that is not paid in time loses its seats too.
	h4 := f.Hold(t, f.Clerk, sales.ChannelPOS, "D-1")
	o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h4.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(6 * time.Minute)
	_, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"})
	WantError(t, err, sales.KindConflict, "")
	f.Hold(t, f.Manager, sales.ChannelWeb, "D-1")
}

func testBestAvailable(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	// Every other seat of the middle rows is taken: the seats nearest the
	// centre are not adjacent.
	for _, row := range []string{"G", "H", "I"} {
		var labels []string
		for c := 2; c <= 20; c += 2 {
			labels = append(labels, row+"-"+itoa(c))
		}
		f.Hold(t, f.Manager, sales.ChannelWeb, labels...)
	}
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	seats, err := f.Store.SessionSeats(ctx, f.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]sales.SessionSeat{}
	for _, s := range seats {
		byID[s.SeatID] = s
	}
	var got []sales.SessionSeat
	for _, hs := range h.Seats {
		got = append(got, byID[hs.SeatID])
	}
	if len(got) != 4 {
		t.Fatalf("best available held %d seats, want 4", len(got))
	}
	minC, maxC := got[0].Col, got[0].Col
	for _, s := range got {
		if s.RowNo != got[0].RowNo {
			t.Fatalf("best available split the party over rows: %v", labelsOf(got))
		}
		minC, maxC = min(minC, s.Col), max(maxC, s.Col)
	}
	if maxC-minC != 3 {
		t.Fatalf("best available seats are not adjacent: %v", labelsOf(got))
	}
	if r := got[0].Row; r != "F" && r != "J" {
		t.Errorf("best available picked row %s; rows F and J are the free rows nearest the centre", r)
	}
}

func labelsOf(ss []sales.SessionSeat) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Label
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// publicKeys is the tenant's verifying key set, from the service.
func publicKeys(t *testing.T, f *Fixture) ticket.PublicKeys {
	t.Helper()
	ks, err := f.Svc.SigningKeys(ctx, f.TenantAdmin, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := ticket.PublicKeys{}
	for _, k := range ks {
		if k.Status != sales.KeyRevoked {
			out[ticket.KeyID(k.ID)] = ed25519.PublicKey(k.Public)
		}
	}
	return out
}

func testPayIssuesTickets(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "E-5", "E-6", "E-7")
	o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, CustomerName: "Wang Fang", CustomerPhone: "13800000000"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != sales.OrderPending || o.TotalCents != 3*4500 {
		t.Fatalf("confirmed order is %s for %d cents, want pending_payment for %d", o.Status, o.TotalCents, 3*4500)
	}
	if got, _ := f.Svc.GetOrder(ctx, f.Clerk, o.ID); len(got.Tickets) != 0 {
		t.Fatalf("an unpaid order has %d tickets", len(got.Tickets))
	}
	paid, err := f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Svc.GetOrder(ctx, f.Clerk, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sales.OrderPaid || got.PaidAt == nil || got.PaymentMethod != "cash" {
		t.Fatalf("paid order: status %s, paid at %v, method %q", got.Status, got.PaidAt, got.PaymentMethod)
	}
	if len(got.Tickets) != 3 || len(paid.Tickets) != 3 {
		t.Fatalf("order has %d stored and %d returned tickets, want 3", len(got.Tickets), len(paid.Tickets))
	}
	keys := publicKeys(t, f)
	seen := map[string]bool{}
	for _, tk := range got.Tickets {
		pl, _, err := ticket.Verify(tk.QR, keys)
		if err != nil {
			t.Fatalf("ticket %s does not verify: %v", tk.Number, err)
		}
		if pl.SessionID != f.Session.ID || pl.SeatID != tk.SeatID || pl.VenueCode != f.Venue.Code || pl.Number() != tk.Number {
			t.Errorf("ticket %s payload %+v does not match the ticket", tk.Number, pl)
		}
		venue, _, _, err := ticket.ParseNumber(tk.Number)
		if err != nil || venue != f.Venue.Code {
			t.Errorf("ticket number %s: venue %s, %v", tk.Number, venue, err)
		}
		if seen[tk.Number] {
			t.Errorf("ticket number %s twice", tk.Number)
		}
		seen[tk.Number] = true
		if tk.Status != sales.TicketValid || tk.PriceCents != 4500 || tk.BusinessDate != f.Session.BusinessDate {
			t.Errorf("ticket %+v", tk)
		}
		if st := f.SessionSeat(t, tk.SeatLabel); st.Status != sales.SeatSold {
			t.Errorf("seat %s of a paid ticket is %s", tk.SeatLabel, st.Status)
		}
	}
	if code, ok := sales.NormalizePickupCode(got.PickupCode); !ok || code != got.PickupCode {
		t.Errorf("pickup code %q is not a normal pickup code", got.PickupCode)
	}
	found, err := f.Svc.FindOrders(ctx, f.Clerk, sales.OrderFilter{PickupCode: strings.ToLower(got.PickupCode[:4]) + "-" + got.PickupCode[4:]})
	if err != nil || len(found) != 1 || found[0].ID != o.ID {
		t.Errorf("finding the order by its typed pickup code: %v, %d orders", err, len(found))
	}
	found, err = f.Svc.FindOrders(ctx, f.Clerk, sales.OrderFilter{TicketNumber: got.Tickets[0].Number})
	if err != nil || len(found) != 1 || found[0].ID != o.ID {
		t.Errorf("finding the order by ticket number: %v, %d orders", err, len(found))
	}
	// Paying twice is refused and issues nothing.
	_, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"})
	WantError(t, err, sales.KindConflict, "order_not_pending")
	if again, _ := f.Svc.GetOrder(ctx, f.Clerk, o.ID); len(again.Tickets) != 3 {
		t.Errorf("paying twice left %d tickets", len(again.Tickets))
	}
	// Ticket serials continue across orders of the venue and date.
	o2 := f.Buy(t, f.Clerk, "E-8")
	for _, tk := range got.Tickets {
		if o2.Tickets[0].Serial <= tk.Serial || o2.Tickets[0].Number == tk.Number {
			t.Errorf("the next order's ticket %s (serial %d) does not follow %s (serial %d)", o2.Tickets[0].Number, o2.Tickets[0].Serial, tk.Number, tk.Serial)
		}
	}
}

func testCardPayments(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	h := f.Hold(t, f.Clerk, sales.ChannelWeb, "A-1", "A-2")
	o := f.ConfirmAndPay(t, f.Clerk, h, sales.PaymentRequest{Method: "card", CardToken: "tok_approve"})
	if o.Status != sales.OrderPaid || o.PaymentRef == "" || len(o.Tickets) != 2 {
		t.Fatalf("card order: %s, ref %q, %d tickets", o.Status, o.PaymentRef, len(o.Tickets))
	}

	h = f.Hold(t, f.Clerk, sales.ChannelWeb, "B-1", "B-2")
	pending, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
	if err != nil {
		t.Fatal(err)
	}
	seq := f.AuditSeq(t)
	_, err = f.Svc.PayOrder(ctx, f.Clerk, pending.ID, sales.PaymentRequest{Method: "card", CardToken: "tok_decline"})
	WantError(t, err, sales.KindPayment, "")
	got, err := f.Svc.GetOrder(ctx, f.Clerk, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sales.OrderPending || len(got.Tickets) != 0 {
		t.Fatalf("a declined order is %s with %d tickets, want pending_payment and none", got.Status, len(got.Tickets))
	}
	for _, l := range []string{"B-1", "B-2"} {
		if st := f.SessionSeat(t, l); st.Status != sales.SeatHeld {
			t.Errorf("seat %s of a declined order is %s, want held", l, st.Status)
		}
	}
	if f.AuditSeq(t) != seq {
		t.Errorf("a declined payment wrote audit entries")
	}
	// Cash is for the box office only.
	_, err = f.Svc.PayOrder(ctx, f.Clerk, pending.ID, sales.PaymentRequest{Method: "cash"})
	WantError(t, err, sales.KindInvalid, "invalid_payment")
	if got, _ := f.Svc.GetOrder(ctx, f.Clerk, pending.ID); got.Status != sales.OrderPending {
		t.Errorf("refused cash left the order %s", got.Status)
	}

	// A card charged for seats lost meanwhile is voided: no money without tickets.
	sim := payment.NewSimulator()
	cfg := Config(f.Clock)
	cfg.Payments = sim
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err = svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelWeb, SeatIDs: f.SeatIDs(t, "C-1")})
	if err != nil {
		t.Fatal(err)
	}
	lost, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetSeatState(ctx, f.TenantAdmin, f.Hall.ID, "C-1", seatmap.StateDamaged, "seat broke before payment"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.PayOrder(ctx, f.Clerk, lost.ID, sales.PaymentRequest{Method: "card", CardToken: "tok_approve"})
	WantError(t, err, sales.KindConflict, "hold_lost")
	if sim.Charges() != 0 || sim.Voids() != 1 {
		t.Errorf("after a payment whose seats were lost: %d charges stand, %d voided; want 0 and 1", sim.Charges(), sim.Voids())
	}
}

func testSerialsAcrossProcesses(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	// A second service on the same store stands for a second cloud process.
	other, err := sales.New(ctx, f.Store, Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	var prev uint32
	for i, label := range []string{"A-1", "A-2", "A-3", "A-4", "A-5", "A-6"} {
		svc := f.Svc
		if i%2 == 1 {
			svc = other
		}
		h, err := svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, label)})
		if err != nil {
			t.Fatal(err)
		}
		o, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
		if err != nil {
			t.Fatal(err)
		}
		if o, err = svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"}); err != nil {
			t.Fatal(err)
		}
		tk := o.Tickets[0]
		if numbers[tk.Number] {
			t.Fatalf("ticket number %s issued twice", tk.Number)
		}
		numbers[tk.Number] = true
		if i%2 == 0 && prev != 0 && tk.Serial <= prev {
			t.Errorf("serials of one process went backwards: %d after %d", tk.Serial, prev)
		}
		if i%2 == 0 {
			prev = tk.Serial
		}
	}
}

// testCallerHangsUpMidTransaction: a request's context ends while its
// transaction runs (the buyer closed the browser). The transaction was
// started, so it is finished and its caller told how it ended; it once
// failed on SQLite (the driver interrupted the shared writer connection)
// and would fail its whole batch on PostgreSQL (pgx closes a connection
// whose query's context ends).
func testCallerHangsUpMidTransaction(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	for i := range 20 {
		reqCtx, hangUp := context.WithCancel(ctx)
		a, b := fmt.Sprintf("hangup.%d.a", i), fmt.Sprintf("hangup.%d.b", i)
		err := f.Store.Update(reqCtx, func(tx sales.Tx) error {
			if err := tx.PutSetting(reqCtx, a, "before"); err != nil {
				return err
			}
			hangUp()
			if err := tx.PutSetting(reqCtx, b, "after"); err != nil {
				return err
			}
			_, _, err := tx.Setting(reqCtx, a)
			return err
		})
		hangUp()
		if err != nil {
			t.Fatalf("round %d: a transaction whose caller hung up halfway failed: %v", i, err)
		}
		for _, k := range []string{a, b} {
			if _, ok, err := f.Store.Setting(ctx, k); err != nil || !ok {
				t.Fatalf("round %d: %s not stored (%v)", i, k, err)
			}
		}
	}
	// The store goes on selling.
	f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1")
}
