package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

func testTenantIsolation(t *testing.T, open func(t *testing.T) sales.Store) {
	a := fixture(t, open)
	b := a.AddTenant(t, "b", "32020202")

	// Tenant A's objects.
	order := a.Buy(t, a.Clerk, "A-1", "A-2")
	hold := a.Hold(t, a.Clerk, sales.ChannelPOS, "B-1")
	pendingHold := a.Hold(t, a.Clerk, sales.ChannelPOS, "B-2")
	pending, err := a.Svc.ConfirmOrder(ctx, a.Clerk, sales.OrderRequest{HoldID: pendingHold.ID})
	if err != nil {
		t.Fatal(err)
	}
	refund, err := a.Svc.RequestRefund(ctx, a.Clerk, sales.RefundInput{OrderID: order.ID, Reason: "isolation test"})
	if err != nil {
		t.Fatal(err)
	}
	tk := order.Tickets[0]
	seq := a.AuditSeq(t)

	m := seatmap.Grid("X", "Stolen", 2, 2)
	seat := a.SeatIDs(t, "C-1")
	for _, p := range []sales.Principal{b.TenantAdmin, b.Manager, b.Clerk, b.Auditor} {
		t.Run(string(p.Role), func(t *testing.T) {
			notFound := func(what string, err error) {
				t.Helper()
				if !sales.IsKind(err, sales.KindNotFound) {
					t.Errorf("%s of tenant A's object by tenant B's %s: got %v, want not found", what, p.Role, err)
				}
			}
			var err error
			_, err = a.Svc.GetVenue(ctx, p, a.Venue.ID)
			notFound("GetVenue", err)
			_, err = a.Svc.ListHalls(ctx, p, a.Venue.ID)
			notFound("ListHalls", err)
			_, err = a.Svc.GetHall(ctx, p, a.Hall.ID)
			notFound("GetHall", err)
			_, _, err = a.Svc.HallSeatMap(ctx, p, a.Hall.ID)
			notFound("HallSeatMap", err)
			_, err = a.Svc.GetEvent(ctx, p, a.Event.ID)
			notFound("GetEvent", err)
			_, err = a.Svc.GetSession(ctx, p, a.Session.ID)
			notFound("GetSession", err)
			_, err = a.Svc.SessionSeats(ctx, p, a.Session.ID)
			notFound("SessionSeats", err)
			_, err = a.Svc.Prices(ctx, p, a.Session.ID)
			notFound("Prices", err)
			_, err = a.Svc.AvailabilityJSON(ctx, p, a.Session.ID)
			notFound("AvailabilityJSON", err)
			_, err = a.Svc.GetTicket(ctx, p, tk.Number)
			notFound("GetTicket", err)
			_, err = a.Svc.GetHold(ctx, p, hold.ID)
			notFound("GetHold", err)
			if auth.Can(p.Role, auth.ReadSales) {
				_, err = a.Svc.GetOrder(ctx, p, order.ID)
				notFound("GetOrder", err)
				_, err = a.Svc.GetRefund(ctx, p, refund.ID)
				notFound("GetRefund", err)
			}
			if auth.Can(p.Role, auth.Sell) {
				_, err = a.Svc.HoldSeats(ctx, p, sales.HoldRequest{SessionID: a.Session.ID, Channel: sales.ChannelPOS, SeatIDs: seat})
				notFound("HoldSeats", err)
				_, err = a.Svc.HoldSeats(ctx, p, sales.HoldRequest{SessionID: a.Session.ID, Channel: sales.ChannelPOS, Count: 1})
				notFound("HoldSeats best available", err)
				_, err = a.Svc.ReleaseHold(ctx, p, hold.ID)
				notFound("ReleaseHold", err)
				_, err = a.Svc.ConfirmOrder(ctx, p, sales.OrderRequest{HoldID: hold.ID})
				notFound("ConfirmOrder", err)
				_, err = a.Svc.PayOrder(ctx, p, pending.ID, sales.PaymentRequest{Method: "cash"})
				notFound("PayOrder", err)
				_, err = a.Svc.RequestRefund(ctx, p, sales.RefundInput{OrderID: order.ID, Reason: "not mine"})
				notFound("RequestRefund", err)
			}
			if auth.Can(p.Role, auth.ApproveRefund) {
				_, err = a.Svc.DecideRefund(ctx, p, refund.ID, true, "not mine")
				notFound("DecideRefund", err)
			}
			if auth.Can(p.Role, auth.ManageSessions) {
				_, err = a.Svc.SetPrices(ctx, p, a.Session.ID, []sales.PriceTier{{Name: "Cheap", PriceCents: 3000}})
				notFound("SetPrices", err)
				_, err = a.Svc.SetQuotas(ctx, p, a.Session.ID, []sales.Quota{{Channel: sales.ChannelWeb, Limit: 0}})
				notFound("SetQuotas", err)
				err = a.Svc.SetSeatCategory(ctx, p, a.Session.ID, sales.CategoryChange{SeatIDs: seat, Category: sales.CategoryNonSale})
				notFound("SetSeatCategory", err)
				_, err = a.Svc.CancelSession(ctx, p, a.Session.ID, "not mine")
				notFound("CancelSession", err)
				_, err = a.Svc.CreateSession(ctx, p, sales.NewSession{HallID: a.Hall.ID, EventID: b.Event.ID,
					StartsAt: a.Session.StartsAt.Add(24 * time.Hour), EndsAt: a.Session.EndsAt.Add(24 * time.Hour)})
				notFound("CreateSession in A's hall", err)
			}
			if auth.Can(p.Role, auth.ManageVenues) {
				_, err = a.Svc.ImportSeatMap(ctx, p, a.Hall.ID, m, "not mine")
				notFound("ImportSeatMap", err)
				err = a.Svc.SetSeatState(ctx, p, a.Hall.ID, "A-3", seatmap.StateDamaged, "not mine")
				notFound("SetSeatState", err)
				_, err = a.Svc.CreateHall(ctx, p, a.Venue.ID, sales.NewHall{Code: "H9", Name: "Mine now"})
				notFound("CreateHall in A's venue", err)
			}
			if auth.Can(p.Role, auth.ManageUsers) {
				_, err = a.Svc.UpdateUser(ctx, p, a.Clerk.UserID, sales.UserPatch{Disabled: ptr(true)})
				notFound("UpdateUser", err)
				_, err = a.Svc.CreateUser(ctx, p, sales.NewUser{Username: "b-spy", Password: Password, Role: string(auth.RoleClerk), VenueIDs: []int64{a.Venue.ID}})
				if err == nil {
					t.Errorf("tenant B created a user on tenant A's venue")
				}
			}

			// Lists show only B's objects.
			if vs, err := a.Svc.ListVenues(ctx, p); err != nil || slices.ContainsFunc(vs, func(v sales.Venue) bool { return v.TenantID != b.Tenant.ID }) {
				t.Errorf("ListVenues: %v, %+v", err, vs)
			}
			if ss, err := a.Svc.ListSessions(ctx, p, sales.SessionFilter{}); err != nil || slices.ContainsFunc(ss, func(s sales.Session) bool { return s.TenantID != b.Tenant.ID }) {
				t.Errorf("ListSessions: %v, %+v", err, ss)
			}
			if ss, err := a.Svc.ListSessions(ctx, p, sales.SessionFilter{VenueID: a.Venue.ID}); err != nil || len(ss) != 0 {
				t.Errorf("ListSessions of A's venue: %v, %d sessions", err, len(ss))
			}
			if es, err := a.Svc.ListEvents(ctx, p); err != nil || slices.ContainsFunc(es, func(e sales.Event) bool { return e.TenantID != b.Tenant.ID }) {
				t.Errorf("ListEvents: %v, %+v", err, es)
			}
			if ts, err := a.Svc.ListTenants(ctx, p); err != nil || len(ts) != 1 || ts[0].ID != b.Tenant.ID {
				t.Errorf("ListTenants: %v, %+v", err, ts)
			}
			if auth.Can(p.Role, auth.ReadSales) {
				for _, flt := range []sales.OrderFilter{{}, {PickupCode: order.PickupCode}, {TicketNumber: tk.Number}, {SessionID: a.Session.ID}, {CustomerName: "Test"}} {
					if os, err := a.Svc.FindOrders(ctx, p, flt); err != nil || len(os) != 0 {
						t.Errorf("FindOrders(%+v): %v, %d orders of A", flt, err, len(os))
					}
				}
				if rs, err := a.Svc.ListRefunds(ctx, p, ""); err != nil || len(rs) != 0 {
					t.Errorf("ListRefunds: %v, %d refunds of A", err, len(rs))
				}
			}
			if auth.Can(p.Role, auth.ReadAudit) {
				es, err := a.Svc.AuditLog(ctx, p, sales.AuditFilter{TenantID: a.Tenant.ID, Limit: 1000})
				if err != nil {
					t.Errorf("AuditLog: %v", err)
				}
				for _, e := range es {
					if e.TenantID != b.Tenant.ID {
						t.Errorf("tenant B reads A's audit entry %d %s", e.Seq, e.Action)
						break
					}
				}
			}
			if auth.Can(p.Role, auth.ManageUsers) {
				us, err := a.Svc.ListUsers(ctx, p, a.Tenant.ID)
				if err != nil || slices.ContainsFunc(us, func(u sales.User) bool { return u.TenantID != b.Tenant.ID }) {
					t.Errorf("ListUsers: %v, %+v", err, us)
				}
			}
			// A's signature is not B's.
			if chk, err := a.Svc.VerifyTicket(ctx, p, tk.QR); err != nil || chk.Valid {
				t.Errorf("tenant B verifies A's ticket: %+v, %v", chk, err)
			}
		})
	}
	if got := a.AuditSeq(t); got != seq {
		t.Errorf("tenant B's refused calls wrote %d audit entries", got-seq)
	}
	// A's data is untouched.
	if got, _ := a.Svc.GetOrder(ctx, a.Clerk, order.ID); got.Status != sales.OrderPaid {
		t.Errorf("A's order is %s", got.Status)
	}
	if tiers, _ := a.Svc.Prices(ctx, a.Clerk, a.Session.ID); len(tiers) != 1 || tiers[0].PriceCents != 4500 {
		t.Errorf("A's prices are %+v", tiers)
	}
	if ss, _ := a.Svc.GetSession(ctx, a.Clerk, a.Session.ID); ss.Status != sales.SessionScheduled || len(ss.Quotas) != 0 {
		t.Errorf("A's session is %+v", ss)
	}
	if st := a.SessionSeat(t, "B-1"); st.Status != sales.SeatHeld {
		t.Errorf("A's held seat is %s", st.Status)
	}
	// And B works normally on its own data.
	b.Buy(t, b.Clerk, "A-1")
}

func ptr[T any](v T) *T { return &v }

func testVenueScope(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	y, err := f.Svc.CreateVenue(ctx, f.TenantAdmin, sales.NewVenue{Code: "31010102", Name: "Venue Y"})
	if err != nil {
		t.Fatal(err)
	}
	gm := seatmap.Grid("M", "Main", 5, 5)
	hy, err := f.Svc.CreateHall(ctx, f.TenantAdmin, y.ID, sales.NewHall{Code: "Y1", Name: "Hall Y", Map: &gm})
	if err != nil {
		t.Fatal(err)
	}
	yManager := f.User(t, f.TenantAdmin, "y-manager", auth.RoleVenueManager, 0, y.ID)
	sy, err := f.Svc.CreateSession(ctx, yManager, sales.NewSession{HallID: hy.ID, EventID: f.Event.ID,
		StartsAt: f.Session.StartsAt, EndsAt: f.Session.EndsAt, MinPriceCents: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.SetPrices(ctx, yManager, sy.ID, []sales.PriceTier{{Name: "All", PriceCents: 5000}}); err != nil {
		t.Fatal(err)
	}
	yOrder := func() sales.Order {
		h, err := f.Svc.HoldSeats(ctx, yManager, sales.HoldRequest{SessionID: sy.ID, Channel: sales.ChannelPOS, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		return f.ConfirmAndPay(t, yManager, h, sales.PaymentRequest{Method: "cash"})
	}()
	xOrder := f.Buy(t, f.Clerk, "A-1")

	for _, p := range []sales.Principal{f.Clerk, f.Manager} {
		_, err = f.Svc.GetVenue(ctx, p, y.ID)
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.GetHall(ctx, p, hy.ID)
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.GetSession(ctx, p, sy.ID)
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.AvailabilityJSON(ctx, p, sy.ID)
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.HoldSeats(ctx, p, sales.HoldRequest{SessionID: sy.ID, Channel: sales.ChannelPOS, Count: 1})
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.GetOrder(ctx, p, yOrder.ID)
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.GetTicket(ctx, p, yOrder.Tickets[0].Number)
		WantError(t, err, sales.KindNotFound, "")
		_, err = f.Svc.RequestRefund(ctx, p, sales.RefundInput{OrderID: yOrder.ID, Reason: "other venue"})
		WantError(t, err, sales.KindNotFound, "")
		if vs, _ := f.Svc.ListVenues(ctx, p); len(vs) != 1 || vs[0].ID != f.Venue.ID {
			t.Errorf("%s lists venues %+v, want only X", p.Role, vs)
		}
		if ss, _ := f.Svc.ListSessions(ctx, p, sales.SessionFilter{}); len(ss) != 1 || ss[0].ID != f.Session.ID {
			t.Errorf("%s lists %d sessions, want only X's", p.Role, len(ss))
		}
		if os, _ := f.Svc.FindOrders(ctx, p, sales.OrderFilter{}); len(os) != 1 || os[0].ID != xOrder.ID {
			t.Errorf("%s finds %d orders, want only X's", p.Role, len(os))
		}
	}
	if es, err := f.Svc.AuditLog(ctx, f.Manager, sales.AuditFilter{Limit: 1000}); err != nil {
		t.Fatal(err)
	} else {
		for _, e := range es {
			if e.VenueID == y.ID || e.TenantID != f.Tenant.ID {
				t.Errorf("venue X's manager reads audit entry %s of venue %d", e.Action, e.VenueID)
				break
			}
		}
	}
	// Tenant-wide roles see both.
	for _, p := range []sales.Principal{f.TenantAdmin, f.Auditor} {
		if vs, _ := f.Svc.ListVenues(ctx, p); len(vs) != 2 {
			t.Errorf("%s lists %d venues, want 2", p.Role, len(vs))
		}
		if _, err := f.Svc.GetOrder(ctx, p, yOrder.ID); err != nil {
			t.Errorf("%s cannot read venue Y's order: %v", p.Role, err)
		}
	}
}
