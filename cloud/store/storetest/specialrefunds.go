package storetest

import (
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	wire "github.com/admitbox/admit/sync"
)

// testSpecialRefunds: an event whose refunds are closed takes none until
// the organiser postpones (or cancels) the session; a printed ticket must
// be handed back before its refund is approved.
func testSpecialRefunds(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Final", Kind: "match", RefundPolicy: sales.RefundsClosed})
	if err != nil {
		t.Fatal(err)
	}
	start := Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 3)
	ss, err := f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.SetPrices(ctx, f.Manager, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 6000}}); err != nil {
		t.Fatal(err)
	}
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	o := f.ConfirmAndPay(t, f.Clerk, h, sales.PaymentRequest{Method: "cash"})
	in := sales.RefundInput{OrderID: o.ID, TicketIDs: []int64{o.Tickets[0].ID}, Reason: "cannot come"}
	if _, err := f.Svc.RequestRefund(ctx, f.Clerk, in); !isCode(err, "refunds_closed") {
		t.Fatalf("a refund of a closed event: %v", err)
	}
	// The ticket is printed at a kiosk.
	kiosk, _ := f.Device(t, "kiosk", "Kiosk 1")
	if _, err := f.Svc.IngestFacts(ctx, kiosk.ID, []wire.Fact{fact(kiosk.ID, 1, wire.FactPrint, f.Clock.Now(), wire.PrintFact{Number: o.Tickets[0].Number})}); err != nil {
		t.Fatal(err)
	}
	// The organiser postpones the show: refunds open.
	if _, err := f.Svc.PostponeSession(ctx, f.Clerk, ss.ID, sales.Postponement{StartsAt: start.Add(48 * time.Hour), EndsAt: start.Add(50 * time.Hour), Reason: "storm"}); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk postpones: %v", err)
	}
	if _, err := f.Svc.PostponeSession(ctx, f.Manager, ss.ID, sales.Postponement{StartsAt: start.Add(-time.Hour), EndsAt: start, Reason: "earlier"}); !isCode(err, "invalid_postponement") {
		t.Fatalf("postponed to an earlier time: %v", err)
	}
	moved, err := f.Svc.PostponeSession(ctx, f.Manager, ss.ID, sales.Postponement{StartsAt: start.Add(48 * time.Hour), EndsAt: start.Add(50 * time.Hour), Reason: "storm"})
	if err != nil || !moved.Postponed || moved.BusinessDate != ss.BusinessDate {
		t.Fatalf("postponed: %+v %v", moved, err)
	}
	r, err := f.Svc.RequestRefund(ctx, f.Clerk, in)
	if err != nil {
		t.Fatalf("a refund of a postponed session: %v", err)
	}
	// The printed ticket is not back yet: no money.
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); !isCode(err, "tickets_not_returned") {
		t.Fatalf("approving a refund of a printed ticket not handed back: %v", err)
	}
	if _, err := f.Svc.MarkReturned(ctx, f.Clerk, o.Tickets[1].Number, "never printed"); !isCode(err, "not_on_paper") {
		t.Fatalf("marking an electronic ticket returned: %v", err)
	}
	tk, err := f.Svc.MarkReturned(ctx, f.Clerk, o.Tickets[0].Number, "handed back at the booth")
	if err != nil || tk.ReturnedAt == nil {
		t.Fatalf("marked returned: %+v %v", tk, err)
	}
	if r, err = f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); err != nil || r.Status != sales.RefundApproved {
		t.Fatalf("the refund once the ticket is back: %+v %v", r, err)
	}
	if st := seatStatus(t, f, ss.ID, o.Tickets[0].SeatID); st != sales.SeatAvailable {
		t.Fatalf("the refunded seat is %s", st)
	}
}
