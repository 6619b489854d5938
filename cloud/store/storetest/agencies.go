package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/sales"
)

// testAgencies: keys found by their token only while current; an
// agency's quota holds when its systems and the box office race; one
// order per idempotency key however many retries race.
func testAgencies(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	as, ok := f.Store.(interface{ Agencies() agency.Store })
	if !ok {
		t.Fatal("the store keeps no agencies")
	}
	svc := agency.New(as.Agencies(), f.Svc, f.Clock.Now)
	a, err := svc.Create(ctx, f.TenantAdmin, agency.Agency{Code: "maoyan", Name: "Maoyan", Enabled: true, CommissionBP: 250, RatePerSecond: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, f.TenantAdmin, agency.Agency{Code: "maoyan", Name: "Again", RatePerSecond: 1}); !isCode(err, "code_taken") {
		t.Fatalf("a second agency with the code: %v", err)
	}
	if _, err := svc.Create(ctx, f.Manager, agency.Agency{Code: "x", Name: "x"}); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a venue manager made an agency: %v", err)
	}
	k, err := svc.IssueKey(ctx, f.TenantAdmin, a.ID, "prod")
	if err != nil {
		t.Fatal(err)
	}
	caller, err := svc.Authenticate(ctx, k.Token)
	if err != nil || caller.Agency.ID != a.ID {
		t.Fatalf("authenticate with a fresh key: %+v %v", caller, err)
	}
	rot, err := svc.RotateKey(ctx, f.TenantAdmin, a.ID, k.Key.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(59 * time.Minute)
	if _, err := svc.Authenticate(ctx, k.Token); err != nil {
		t.Fatalf("the rotated key within its grace: %v", err)
	}
	f.Clock.Advance(2 * time.Minute)
	if _, err := svc.Authenticate(ctx, k.Token); !isCode(err, "bad_api_key") {
		t.Fatalf("the rotated key after its grace: %v", err)
	}
	if _, err := svc.RevokeKey(ctx, f.TenantAdmin, a.ID, rot.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, rot.Token); !isCode(err, "bad_api_key") {
		t.Fatalf("a revoked key: %v", err)
	}
	k, err = svc.IssueKey(ctx, f.TenantAdmin, a.ID, "prod 2")
	if err != nil {
		t.Fatal(err)
	}
	if caller, err = svc.Authenticate(ctx, k.Token); err != nil {
		t.Fatal(err)
	}

	// Quota 6 for the agency; the agency's systems (8 orders of one seat)
	// race the box office (8 orders of one seat) for 16 free seats.
	ss, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 2), 6000)
	if _, err := f.Svc.SetQuotas(ctx, f.Manager, ss.ID, []sales.Quota{{Channel: sales.ChannelAgency, Party: a.Party(), Limit: 6}}); err != nil {
		t.Fatal(err)
	}
	all, err := f.Svc.SessionSeats(ctx, f.Manager, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	seats := make([]int64, len(all))
	for i, st := range all {
		seats[i] = st.SeatID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	agencySold, posSold := 0, 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				o, _, err := svc.Order(ctx, caller, fmt.Sprintf("race-%d", i), agency.OrderRequest{SessionID: ss.ID, SeatIDs: []int64{seats[i]}})
				if err != nil && !isCode(err, "quota_exhausted") {
					t.Errorf("agency order %d: %v", i, err)
				}
				if err == nil && len(o.Tickets) == 1 {
					mu.Lock()
					agencySold++
					mu.Unlock()
				}
				return
			}
			h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seats[i]}})
			if err == nil {
				_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
			}
			if err != nil {
				t.Errorf("box office order %d: %v", i, err)
				return
			}
			mu.Lock()
			posSold++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if agencySold != 6 || posSold != 8 {
		t.Fatalf("agency sold %d (quota 6), box office %d of 8", agencySold, posSold)
	}

	// One key, eight racing retries: one order.
	ids := make([]int64, 8)
	req := agency.OrderRequest{SessionID: ss.ID, Count: 1}
	if _, err := f.Svc.SetQuotas(ctx, f.Manager, ss.ID, nil); err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, _, err := svc.Order(ctx, caller, "retry-me", req)
			if err != nil && !isCode(err, sales.CodeKeyInFlight) {
				t.Errorf("retry %d: %v", i, err)
			}
			ids[i] = o.ID
		}()
	}
	wg.Wait()
	o, replayed, err := svc.Order(ctx, caller, "retry-me", req)
	if err != nil || !replayed {
		t.Fatalf("after the race: replayed=%v %v", replayed, err)
	}
	for _, id := range ids {
		if id != 0 && id != o.ID {
			t.Fatalf("racing retries made orders %v; want only %d", ids, o.ID)
		}
	}
	found, err := f.Svc.FindOrders(ctx, f.TenantAdmin, sales.OrderFilter{SessionID: ss.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	mine := 0
	for _, x := range found {
		if x.Party == a.Party() {
			mine++
		}
	}
	if mine != 7 {
		t.Fatalf("the agency has %d orders of the session, want 6 within the quota and 1 retried", mine)
	}
}
