package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

func testRefundFourEyes(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	o := f.Buy(t, f.Clerk, "E-1", "E-2")

	r, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "customer is ill"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != sales.RefundPending || r.AmountCents != 9000 || len(r.TicketIDs) != 2 {
		t.Fatalf("refund request %+v", r)
	}
	// Nothing changes until someone else approves.
	if got, _ := f.Svc.GetOrder(ctx, f.Clerk, o.ID); got.Status != sales.OrderPaid {
		t.Fatalf("a pending refund made the order %s", got.Status)
	}
	_, err = f.Svc.DecideRefund(ctx, f.Clerk, r.ID, true, "ok")
	WantError(t, err, sales.KindForbidden, "")
	if q, _ := f.Svc.ListRefunds(ctx, f.Manager, sales.RefundPending); len(q) != 1 || q[0].ID != r.ID {
		t.Fatalf("the approval queue has %v, want the clerk's request", q)
	}

	r, err = f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "approved")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != sales.RefundApproved || r.DecidedBy != f.Manager.UserID || r.DecidedAt == nil {
		t.Fatalf("decided refund %+v", r)
	}
	got, err := f.Svc.GetOrder(ctx, f.Clerk, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sales.OrderRefunded {
		t.Fatalf("refunded order is %s", got.Status)
	}
	revs, err := f.Store.Revocations(ctx, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range got.Tickets {
		if tk.Status != sales.TicketRefunded {
			t.Errorf("ticket %s is %s, want refunded", tk.Number, tk.Status)
		}
		if st := f.SessionSeat(t, tk.SeatLabel); st.Status != sales.SeatAvailable {
			t.Errorf("seat %s of a refunded ticket is %s, want available", tk.SeatLabel, st.Status)
		}
		if !slices.ContainsFunc(revs, func(v sales.Revocation) bool {
			return v.TicketID == tk.ID && v.Number == tk.Number && v.SessionID == f.Session.ID
		}) {
			t.Errorf("no revocation for ticket %s in %+v", tk.Number, revs)
		}
		chk, err := f.Svc.VerifyTicket(ctx, f.Gate, tk.QR)
		if err != nil || chk.Valid {
			t.Errorf("a refunded ticket verifies as %+v, %v", chk, err)
		}
	}
	// The seats sell again; the request cannot be decided twice.
	f.Buy(t, f.Clerk, "E-1")
	_, err = f.Svc.DecideRefund(ctx, f.TenantAdmin, r.ID, true, "again")
	WantError(t, err, sales.KindConflict, "")
	_, err = f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "again please"})
	WantError(t, err, sales.KindConflict, "")

	// Partial refund; a manager cannot approve their own request.
	o2 := f.Buy(t, f.Clerk, "F-1", "F-2")
	r2, err := f.Svc.RequestRefund(ctx, f.Manager, sales.RefundInput{OrderID: o2.ID, TicketIDs: []int64{o2.Tickets[0].ID}, Reason: "one cannot come"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.AmountCents != 4500 {
		t.Errorf("partial refund amount %d, want 4500", r2.AmountCents)
	}
	_, err = f.Svc.DecideRefund(ctx, f.Manager, r2.ID, true, "self")
	WantError(t, err, sales.KindForbidden, "")
	if _, err := f.Svc.DecideRefund(ctx, f.TenantAdmin, r2.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	got, _ = f.Svc.GetOrder(ctx, f.Clerk, o2.ID)
	if got.Status != sales.OrderPartiallyRefunded {
		t.Fatalf("order with one of two tickets refunded is %s", got.Status)
	}
	if got.Tickets[0].Status != sales.TicketRefunded || got.Tickets[1].Status != sales.TicketValid {
		t.Fatalf("ticket statuses %s, %s", got.Tickets[0].Status, got.Tickets[1].Status)
	}
	if f.SessionSeat(t, got.Tickets[1].SeatLabel).Status != sales.SeatSold {
		t.Errorf("the seat of the kept ticket is no longer sold")
	}
	// A rejection changes nothing but the request.
	r3, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o2.ID, Reason: "changed mind"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r3.TicketIDs) != 1 || r3.TicketIDs[0] != got.Tickets[1].ID {
		t.Fatalf("refund of the rest covers %v, want the valid ticket", r3.TicketIDs)
	}
	if r3, err = f.Svc.DecideRefund(ctx, f.Manager, r3.ID, false, "no"); err != nil || r3.Status != sales.RefundRejected {
		t.Fatalf("reject: %+v, %v", r3, err)
	}
	if got, _ = f.Svc.GetOrder(ctx, f.Clerk, o2.ID); got.Status != sales.OrderPartiallyRefunded || got.Tickets[1].Status != sales.TicketValid {
		t.Fatalf("a rejected refund changed the order: %s, ticket %s", got.Status, got.Tickets[1].Status)
	}
}

func testRefundAfterStart(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	o1 := f.Buy(t, f.Clerk, "A-1")
	o2 := f.Buy(t, f.Clerk, "A-2")
	r, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o1.ID, Reason: "asked in time"})
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(f.Session.StartsAt.Sub(f.Clock.Now()) + time.Minute)
	_, err = f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o2.ID, Reason: "too late"})
	WantError(t, err, sales.KindConflict, "session_started")
	_, err = f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "late approval")
	WantError(t, err, sales.KindConflict, "session_started")
	for _, id := range []int64{o1.ID, o2.ID} {
		if got, _ := f.Svc.GetOrder(ctx, f.Clerk, id); got.Status != sales.OrderPaid || got.Tickets[0].Status != sales.TicketValid {
			t.Errorf("order %d after a refused late refund: %s", id, got.Status)
		}
	}
	if revs, _ := f.Store.Revocations(ctx, f.Venue.ID); len(revs) != 0 {
		t.Errorf("late refunds revoked %d tickets", len(revs))
	}
}
