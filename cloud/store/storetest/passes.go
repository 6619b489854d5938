package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/ticket"
	wire "github.com/admitbox/admit/sync"
)

// passService is the passes on the fixture's store.
func passService(t *testing.T, f *Fixture) *pass.Service {
	t.Helper()
	ps, ok := f.Store.(interface{ Passes() pass.Store })
	if !ok {
		t.Fatal("the store keeps no passes")
	}
	return pass.New(ps.Passes(), f.Svc, f.Clock.Now)
}

// testPasses: a seated pass takes its seat in every session in one
// transaction or none; racing buyers of one seat sell one pass; the stock
// holds; a refund gives every seat back.
func testPasses(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	svc := passService(t, f)
	s2, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 1), 4500)
	s3, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 2), 4500)
	ids := []int64{f.Session.ID, s2.ID, s3.ID}
	pr, err := svc.Create(ctx, f.Manager, pass.Product{Name: "Festival", SessionIDs: ids, Seated: true, PriceCents: 10000, Stock: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, f.Clerk, pass.Product{Name: "x", SessionIDs: ids, PriceCents: 1}); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk made a pass: %v", err)
	}
	cash := sales.PaymentRequest{Method: "cash"}
	seat := func(label string) int64 { return f.SeatID(t, f.Session.ID, label) }

	// Eight clerks race for one seat's pass: one pass, no partial sale.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []sales.Bundle
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := svc.Sell(ctx, f.Clerk, pr.ID, pass.SellRequest{SeatID: seat("C-5"), Payment: cash})
			if err != nil && !isKind(err, sales.KindConflict) {
				t.Errorf("a racing pass: %v", err)
			}
			if err == nil {
				mu.Lock()
				won = append(won, b)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || len(won[0].Orders) != 3 {
		t.Fatalf("%d passes sold for one seat", len(won))
	}
	// Its one code names each session's ticket, so a gate that never
	// heard of the pass admits it on the signature.
	pp, err := ticket.VerifyPass(won[0].Code, publicKeys(t, f))
	if err != nil || pp.PassID != won[0].ID || len(pp.Tickets) != 3 {
		t.Fatalf("the pass's code: %+v %v", pp, err)
	}
	for i, o := range won[0].Orders {
		if pp.Tickets[i].Number() != o.Tickets[0].Number || pp.Tickets[i].SessionID != o.SessionID {
			t.Fatalf("the code's ticket %d is %s of session %d; the pass's is %s of %d", i, pp.Tickets[i].Number(), pp.Tickets[i].SessionID, o.Tickets[0].Number, o.SessionID)
		}
	}
	// The prices add up to the pass's: 3334 + 3333 + 3333.
	var sum int64
	for _, o := range won[0].Orders {
		sum += o.TotalCents
	}
	if sum != 10000 || won[0].Orders[0].TotalCents != 3334 {
		t.Fatalf("the pass's parts: %+v", won[0].Orders)
	}
	if _, err := svc.Sell(ctx, f.Clerk, pr.ID, pass.SellRequest{SeatID: seat("C-6"), Payment: cash}); err != nil {
		t.Fatal(err)
	}
	b3, err := svc.Sell(ctx, f.Clerk, pr.ID, pass.SellRequest{SeatID: seat("C-7"), Payment: cash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sell(ctx, f.Clerk, pr.ID, pass.SellRequest{SeatID: seat("C-8"), Payment: cash}); !isCode(err, "sold_out") {
		t.Fatalf("a fourth pass of a stock of 3: %v", err)
	}
	for _, sid := range ids {
		if st := seatStatus(t, f, sid, seat("C-8")); st != sales.SeatAvailable {
			t.Fatalf("seat C-8 of session %d after the refused pass: %s", sid, st)
		}
	}

	// The gates' admissions of a pass count on the dashboard, per session.
	gate, _ := f.Device(t, "gate", "Gate 1")
	n1 := won[0].Orders[0].Tickets[0].Number
	if _, err := f.Svc.IngestFacts(ctx, gate.ID, []wire.Fact{admission(gate.ID, 1, n1, f.Session.ID, f.Clock.Now())}); err != nil {
		t.Fatal(err)
	}
	d, err := f.Svc.Dashboard(ctx, f.Manager, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Sessions {
		want := 0
		if s.ID == f.Session.ID {
			want = 1
		}
		if s.PassAdmitted != want {
			t.Fatalf("session %d counts %d pass entries, want %d", s.ID, s.PassAdmitted, want)
		}
	}

	// A refund takes the pass back whole, by another person's approval.
	rf, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{BundleID: b3.ID, Reason: "ill"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{BundleID: b3.ID, Reason: "again"}); !isCode(err, "refund_pending") {
		t.Fatalf("a second refund of the pass: %v", err)
	}
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, rf.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	for _, sid := range ids {
		if st := seatStatus(t, f, sid, seat("C-7")); st != sales.SeatAvailable {
			t.Fatalf("seat C-7 of session %d after the pass's refund: %s", sid, st)
		}
	}
	got, err := svc.Get(ctx, f.Manager, b3.ID)
	if err != nil || got.Status != sales.BundleRefunded {
		t.Fatalf("the refunded pass: %+v %v", got.Status, err)
	}
	for _, o := range got.Orders {
		if o.Status != sales.OrderRefunded {
			t.Fatalf("an order of the refunded pass is %s", o.Status)
		}
	}
	// Its stock is free again.
	if _, err := svc.Sell(ctx, f.Clerk, pr.ID, pass.SellRequest{SeatID: seat("C-8"), Payment: cash}); err != nil {
		t.Fatalf("a pass after one was refunded: %v", err)
	}
}

func seatStatus(t *testing.T, f *Fixture, sessionID, seatID int64) sales.SeatStatus {
	t.Helper()
	seats, err := f.Svc.SessionSeats(ctx, f.Manager, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range seats {
		if st.SeatID == seatID {
			return st.Status
		}
	}
	t.Fatalf("no seat %d", seatID)
	return ""
}

// testRealNamePasses: a pass over sessions of a real-name event is one
// person's: it names its holder, whose document is on every session's
// ticket; the same document cannot hold a second pass (one ticket per
// person per session), nor more than the event's limit, and a refused
// pass sells nothing.
func testRealNamePasses(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	svc := passService(t, f)
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Final", Kind: "match", RealName: true, HolderLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.Event = ev
	day := Tomorrow(f.Clock, 9, 0).AddDate(0, 0, 1)
	var ids []int64
	for i := range 3 {
		ss, _ := f.AddSession(t, f.Hall.ID, day.Add(time.Duration(i)*3*time.Hour), 8000)
		ids = append(ids, ss.ID)
	}
	two, err := svc.Create(ctx, f.Manager, pass.Product{Name: "Semis", SessionIDs: ids[:2], PriceCents: 15000})
	if err != nil {
		t.Fatal(err)
	}
	three, err := svc.Create(ctx, f.Manager, pass.Product{Name: "All", SessionIDs: ids, PriceCents: 20000})
	if err != nil {
		t.Fatal(err)
	}
	cash := sales.PaymentRequest{Method: "cash"}
	me := &sales.HolderRequest{DocType: identity.ResidentID, DocNumber: ResidentID(71), Name: "陈静"}
	if _, err := svc.Sell(ctx, f.Clerk, two.ID, pass.SellRequest{Payment: cash}); !isCode(err, "holder_required") {
		t.Fatalf("a real-name pass without its holder: %v", err)
	}
	bad := &sales.HolderRequest{DocType: identity.ResidentID, DocNumber: "110105199001010000", Name: "x"}
	var e *sales.Error
	if _, err := svc.Sell(ctx, f.Clerk, two.ID, pass.SellRequest{Payment: cash, Holder: bad}); !errors.As(err, &e) || e.Code != "invalid_holders" ||
		len(e.Fields) != 1 || e.Fields[0].Field != "holder.doc_number" {
		t.Fatalf("a mistyped document: %+v", err)
	}
	b, err := svc.Sell(ctx, f.Clerk, two.ID, pass.SellRequest{Payment: cash, Holder: me})
	if err != nil {
		t.Fatal(err)
	}
	tag := ""
	for _, o := range b.Orders {
		full, err := f.Svc.GetOrder(ctx, f.Manager, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Holders) != 1 || full.Holders[0].Name != "陈静" || len(full.Tickets) != 1 {
			t.Fatalf("a session's part of the pass: %+v", full.Holders)
		}
		tk := full.Tickets[0]
		if tk.Holder == "" || (tag != "" && tk.Holder != tag) {
			t.Fatalf("the pass's tickets name different holders: %q %q", tag, tk.Holder)
		}
		tag = tk.Holder
	}
	// The same person again: a second ticket of the same sessions, so the
	// whole pass is refused and nothing of it is sold.
	before := soldSeats(t, f, ids)
	if _, err := svc.Sell(ctx, f.Clerk, three.ID, pass.SellRequest{Payment: cash, Holder: me}); !isCode(err, "holder_taken") && !isCode(err, "holder_limit") {
		t.Fatalf("the same document for a second pass: %v", err)
	}
	if after := soldSeats(t, f, ids); after != before {
		t.Fatalf("a refused pass sold %d seats", after-before)
	}
	// Someone else holds it.
	other := &sales.HolderRequest{DocType: identity.ResidentID, DocNumber: ResidentID(72), Name: "林平"}
	if _, err := svc.Sell(ctx, f.Clerk, three.ID, pass.SellRequest{Payment: cash, Holder: other}); !isCode(err, "holder_limit") {
		t.Fatalf("a three-session pass over an event limit of two: %v", err)
	}
	if after := soldSeats(t, f, ids); after != before {
		t.Fatalf("a pass over the holder limit sold %d seats", after-before)
	}
}

// soldSeats counts the sold seats of sessions.
func soldSeats(t *testing.T, f *Fixture, ids []int64) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		seats, err := f.Svc.SessionSeats(ctx, f.Manager, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range seats {
			if s.Status == sales.SeatSold {
				n++
			}
		}
	}
	return n
}
