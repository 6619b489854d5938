package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	wire "github.com/admitbox/admit/sync"
)

func kinds(evs []wire.FeedEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func decodeEvents[T any](t testing.TB, evs []wire.FeedEvent, kind string) []T {
	t.Helper()
	var out []T
	for _, e := range evs {
		if e.Kind != kind {
			continue
		}
		var v T
		if err := json.Unmarshal(e.Data, &v); err != nil {
			t.Fatalf("%s event %s: %v", kind, e.Data, err)
		}
		out = append(out, v)
	}
	return out
}

// after returns the feed events after seq.
func (f *Fixture) after(t testing.TB, venueID int64, seq uint64) []wire.FeedEvent {
	t.Helper()
	evs, err := f.Svc.FeedSince(ctx, venueID, seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (f *Fixture) head(t testing.TB, venueID int64) uint64 {
	t.Helper()
	h, err := f.Svc.FeedHead(ctx, venueID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testFeed(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	other := f.AddTenant(t, "b", "31020202")

	// The venue's feed starts with its tenant's key, then its session and
	// the session's seat map (once unpriced, once priced).
	all := f.Feed(t, f.Venue.ID)
	if got := kinds(all); !slices.Equal(got, []string{wire.EventKey, wire.EventSession, wire.EventSeatMap, wire.EventSeatMap}) {
		t.Fatalf("a new venue's feed is %v, want [key session seatmap seatmap]", got)
	}
	maps := decodeEvents[wire.SeatMapData](t, all, wire.EventSeatMap)
	if m := maps[1]; m.SessionID != f.Session.ID || m.Total != 240 || m.Available != 240 || len(m.Seats) != 240 || maps[0].Available != 0 {
		t.Fatalf("seat map summaries: unpriced %+v, priced {total %d available %d}", maps[0].Total, m.Total, m.Available)
	}
	ss := decodeEvents[wire.SessionData](t, all, wire.EventSession)[0]
	if ss.ID != f.Session.ID || ss.Event != f.Event.Name || ss.Hall != f.Hall.Name || ss.Status != "scheduled" ||
		ss.Reentry != "none" || ss.OpensBeforeMin != 60 || !ss.StartsAt.Equal(f.Session.StartsAt) || ss.BusinessDate != f.Session.BusinessDate {
		t.Errorf("session event %+v for session %+v", ss, f.Session)
	}

	steps := []struct {
		name  string
		do    func(t *testing.T) []string // returns the kinds it must add
		venue int64
	}{
		{"a payment refused inside its transaction adds nothing", func(t *testing.T) []string {
			h := f.Hold(t, f.Clerk, sales.ChannelPOS, "C-1", "C-2")
			o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
			if err != nil {
				t.Fatal(err)
			}
			// A held seat breaks: the sale fails after marking the order paid.
			if err := f.Svc.SetSeatState(ctx, f.TenantAdmin, f.Hall.ID, "C-2", seatmap.StateDamaged, "broken"); err != nil {
				t.Fatal(err)
			}
			_, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"})
			WantError(t, err, sales.KindConflict, "hold_lost")
			return []string{wire.EventSeatMap} // the broken seat, announced by the seat-map change; the payment adds nothing
		}, f.Venue.ID},
		{"a declined card adds nothing", func(t *testing.T) []string {
			h := f.Hold(t, f.Clerk, sales.ChannelWeb, "D-1")
			o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenDecline})
			WantError(t, err, sales.KindPayment, "")
			return nil
		}, f.Venue.ID},
		{"a paid two-seat order adds exactly two tickets", func(t *testing.T) []string {
			f.Buy(t, f.Clerk, "E-1", "E-2")
			return []string{wire.EventTicket, wire.EventTicket}
		}, f.Venue.ID},
		{"an approved refund adds a revocation per ticket", func(t *testing.T) []string {
			o := f.Buy(t, f.Clerk, "F-1", "F-2")
			r, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "cannot come"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); err != nil {
				t.Fatal(err)
			}
			return []string{wire.EventTicket, wire.EventTicket, wire.EventRevocation, wire.EventRevocation}
		}, f.Venue.ID},
		{"a rejected refund adds nothing", func(t *testing.T) []string {
			o := f.Buy(t, f.Clerk, "G-1")
			r, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "changed mind"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, false, "no"); err != nil {
				t.Fatal(err)
			}
			return []string{wire.EventTicket}
		}, f.Venue.ID},
		{"a key rotation adds the retired and the new key", func(t *testing.T) []string {
			if _, err := f.Svc.RotateKey(ctx, f.TenantAdmin, 0, "yearly"); err != nil {
				t.Fatal(err)
			}
			return []string{wire.EventKey, wire.EventKey}
		}, f.Venue.ID},
		{"cancelling a session adds the session", func(t *testing.T) []string {
			ss, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 14, 0), 4000)
			if _, err := f.Svc.CancelSession(ctx, f.Manager, ss.ID, "no audience"); err != nil {
				t.Fatal(err)
			}
			// created (with its seat map, unpriced then priced), then cancelled
			return []string{wire.EventSession, wire.EventSeatMap, wire.EventSeatMap, wire.EventSession}
		}, f.Venue.ID},
		{"another tenant's sales add nothing to this venue", func(t *testing.T) []string {
			other.Buy(t, other.Clerk, "A-1")
			if _, err := other.Svc.RotateKey(ctx, other.TenantAdmin, 0, "theirs"); err != nil {
				t.Fatal(err)
			}
			return nil
		}, f.Venue.ID},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := f.head(t, st.venue)
			want := st.do(t)
			evs := f.after(t, st.venue, before)
			if got := kinds(evs); !slices.Equal(got, want) {
				t.Fatalf("added %v, want %v", got, want)
			}
			if h := f.head(t, st.venue); h != before+uint64(len(want)) {
				t.Errorf("head %d after %d events from %d", h, len(want), before)
			}
		})
	}

	t.Run("ticket events carry what a device needs", func(t *testing.T) {
		before := f.head(t, f.Venue.ID)
		o := f.Buy(t, f.Clerk, "H-1")
		tds := decodeEvents[wire.TicketData](t, f.after(t, f.Venue.ID, before), wire.EventTicket)
		tk := o.Tickets[0]
		want := wire.TicketData{Number: tk.Number, QR: tk.QR, SessionID: tk.SessionID, SeatID: tk.SeatID, SeatLabel: "H-1",
			OrderID: o.ID, PickupCode: o.PickupCode, PriceCents: 4500}
		if len(tds) != 1 || tds[0] != want {
			t.Errorf("ticket events %+v, want [%+v]", tds, want)
		}
	})

	t.Run("every venue of the tenant hears of a key change, a new venue of the keys", func(t *testing.T) {
		v2, err := f.Svc.CreateVenue(ctx, f.TenantAdmin, sales.NewVenue{Code: "31010102", Name: "Second"})
		if err != nil {
			t.Fatal(err)
		}
		keys := decodeEvents[wire.KeyData](t, f.Feed(t, v2.ID), wire.EventKey)
		if len(keys) != 2 || keys[0].Status != "retired" || keys[1].Status != "active" {
			t.Fatalf("a new venue's feed has keys %+v, want the retired and the active one", keys)
		}
		h1, h2, hOther := f.head(t, f.Venue.ID), f.head(t, v2.ID), f.head(t, other.Venue.ID)
		k, err := f.Svc.RotateKey(ctx, f.TenantAdmin, 0, "again")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []int64{f.Venue.ID, v2.ID} {
			from := map[int64]uint64{f.Venue.ID: h1, v2.ID: h2}[v]
			kd := decodeEvents[wire.KeyData](t, f.after(t, v, from), wire.EventKey)
			if len(kd) != 2 || kd[0].Status != "retired" || kd[1].ID != k.ID || kd[1].Status != "active" || string(kd[1].Public) != string(k.Public) {
				t.Errorf("venue %d got key events %+v", v, kd)
			}
		}
		if got := f.head(t, other.Venue.ID); got != hOther {
			t.Errorf("another tenant's venue feed moved from %d to %d", hOther, got)
		}
		if err := f.Svc.RevokeKey(ctx, f.TenantAdmin, 0, keys[0].ID, "leaked"); err != nil {
			t.Fatal(err)
		}
		kd := decodeEvents[wire.KeyData](t, f.after(t, v2.ID, h2+2), wire.EventKey)
		if len(kd) != 1 || kd[0].ID != keys[0].ID || kd[0].Status != "revoked" {
			t.Errorf("revoking a key told the venue %+v", kd)
		}
	})

	t.Run("the feed is contiguous and pages cleanly", func(t *testing.T) {
		all := f.Feed(t, f.Venue.ID)
		head := f.head(t, f.Venue.ID)
		if uint64(len(all)) != head {
			t.Fatalf("%d events, head %d", len(all), head)
		}
		for i, e := range all {
			if e.Seq != uint64(i+1) || e.At.IsZero() || len(e.Data) == 0 {
				t.Fatalf("event %d is %+v", i, e)
			}
		}
		heads, err := f.Svc.FeedHeads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range heads {
			if h.VenueID == f.Venue.ID {
				found = h.Seq == head && h.Code == f.Venue.Code
			}
		}
		if !found || len(heads) != 3 {
			t.Errorf("FeedHeads %+v: want the fixture venue at %d among 3 venues", heads, head)
		}
		for _, c := range []struct {
			after uint64
			limit int
			want  []uint64
		}{
			{0, 3, []uint64{1, 2, 3}},
			{head - 2, 10, []uint64{head - 1, head}},
			{head, 10, nil},
			{head + 5, 10, nil},
		} {
			evs, err := f.Svc.FeedSince(ctx, f.Venue.ID, c.after, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for _, e := range evs {
				got = append(got, e.Seq)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("FeedSince(%d, %d) = %v, want %v", c.after, c.limit, got, c.want)
			}
		}
	})
}

func testFeedUnderLoad(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	// Concurrent sales share group-committed transactions: the seqs must
	// still be contiguous and each sale's tickets all there. Among them,
	// transactions that append to the feed and then fail give their seqs
	// back, and those that append and commit keep theirs.
	const buyers, probes = 20, 20
	errs := make(chan error, buyers)
	probed := make(chan bool, probes)
	for i := range probes {
		go func() {
			err := f.Store.Update(ctx, func(tx sales.Tx) error {
				if _, err := tx.AppendFeed(ctx, f.Venue.ID, "probe", json.RawMessage(`{}`), f.Clock.Now()); err != nil {
					return err
				}
				if i%2 == 1 {
					return errors.New("changed its mind")
				}
				return nil
			})
			probed <- err == nil
		}()
	}

	for i := range buyers {
		seat := f.SeatID(t, f.Session.ID, fmt.Sprintf("%c-%d", 'A'+i%10, 1+i/10))
		go func() {
			h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seat}})
			if err == nil {
				var o sales.Order
				if o, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID}); err == nil {
					_, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"})
				}
			}
			errs <- err
		}()
	}
	for range buyers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	kept := 0
	for range probes {
		if <-probed {
			kept++
		}
	}
	if kept != probes/2 {
		t.Fatalf("%d of %d probes committed, want %d", kept, probes, probes/2)
	}
	all := contiguousFeed(t, f)
	if n := len(decodeEvents[wire.TicketData](t, all, wire.EventTicket)); n != buyers {
		t.Errorf("%d ticket events for %d sales", n, buyers)
	}
	if n := slices.Index(kinds(all), "probe"); n < 0 || len(slices.DeleteFunc(kinds(all), func(k string) bool { return k != "probe" })) != kept {
		t.Errorf("the feed holds %v; want the %d probes that committed", kinds(all), kept)
	}
	if h := f.head(t, f.Venue.ID); h != uint64(len(all)) {
		t.Errorf("the feed head is %d with %d events", h, len(all))
	}
}

func testSnapshot(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	kept := f.Buy(t, f.Clerk, "A-1", "A-2")
	part := f.Buy(t, f.Clerk, "B-1", "B-2")
	r, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: part.ID, TicketIDs: []int64{part.Tickets[0].ID}, Reason: "one cannot come"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.RotateKey(ctx, f.TenantAdmin, 0, "rotate"); err != nil {
		t.Fatal(err)
	}
	gate, _ := f.Device(t, "gate", "Gate 1")
	f.Clock.Advance(32 * time.Hour) // the session opens
	if _, err := f.Svc.IngestFacts(ctx, gate.ID, []wire.Fact{admission(gate.ID, 1, kept.Tickets[0].Number, f.Session.ID, f.Clock.Now())}); err != nil {
		t.Fatal(err)
	}
	other := f.AddTenant(t, "b", "31020202")
	other.Buy(t, other.Clerk, "A-1")

	head, evs, err := f.Svc.Snapshot(ctx, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.head(t, f.Venue.ID); head != want {
		t.Errorf("snapshot head %d, feed head %d", head, want)
	}
	for _, e := range evs {
		if e.Seq != 0 {
			t.Fatalf("snapshot event with seq %d", e.Seq)
		}
	}
	numbers := func(ds []wire.TicketData) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Number)
		}
		slices.Sort(out)
		return out
	}
	tickets := numbers(decodeEvents[wire.TicketData](t, evs, wire.EventTicket))
	want := []string{kept.Tickets[0].Number, kept.Tickets[1].Number, part.Tickets[1].Number}
	slices.Sort(want)
	if !slices.Equal(tickets, want) {
		t.Errorf("snapshot tickets %v, want exactly the valid ones %v", tickets, want)
	}
	revs := decodeEvents[wire.RevocationData](t, evs, wire.EventRevocation)
	if len(revs) != 1 || revs[0].Number != part.Tickets[0].Number {
		t.Errorf("snapshot revocations %+v, want %s", revs, part.Tickets[0].Number)
	}
	keys := decodeEvents[wire.KeyData](t, evs, wire.EventKey)
	if len(keys) != 2 || keys[0].Status != "retired" || keys[1].Status != "active" {
		t.Errorf("snapshot keys %+v, want the retired and the active one", keys)
	}
	sessions := decodeEvents[wire.SessionData](t, evs, wire.EventSession)
	if len(sessions) != 1 || sessions[0].ID != f.Session.ID || sessions[0].Event != f.Event.Name {
		t.Errorf("snapshot sessions %+v", sessions)
	}
	adms := decodeEvents[wire.AdmissionData](t, evs, wire.EventAdmission)
	if len(adms) != 1 || adms[0].Number != kept.Tickets[0].Number || adms[0].DeviceID != gate.ID || adms[0].Direction != "in" {
		t.Errorf("snapshot admissions %+v", adms)
	}

	// Once the session has ended, only the keys are left.
	f.Clock.Advance(24 * time.Hour)
	_, evs, err = f.Svc.Snapshot(ctx, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(evs); !slices.Equal(got, []string{wire.EventKey, wire.EventKey}) {
		t.Errorf("snapshot after the session ended: %v, want only keys", got)
	}
	if _, _, err := f.Svc.Snapshot(ctx, 987654); !sales.IsKind(err, sales.KindNotFound) {
		t.Errorf("snapshot of a missing venue: %v", err)
	}
}

// contiguousFeed is the venue's whole feed, which must be numbered 1, 2, 3…
func contiguousFeed(t *testing.T, f *Fixture) []wire.FeedEvent {
	t.Helper()
	all := f.Feed(t, f.Venue.ID)
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("feed event %d has seq %d", i, e.Seq)
		}
	}
	return all
}
