package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/storefront"
)

// testStorefront: the shop shows a tenant's events with sessions still to
// come and the seats left by price level, built at most once per TTL: a
// sale shows after the TTL, not before; a cancelled session and an
// unknown shop show nothing.
func testStorefront(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	later, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 2), 9000)
	gone, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 3), 9000)
	if _, err := f.Svc.CancelSession(ctx, f.Manager, gone.ID, "rain"); err != nil {
		t.Fatal(err)
	}
	shop := storefront.New(f.Svc, time.Second, f.Clock.Now)
	home := func() storefront.Home {
		t.Helper()
		b, err := shop.HomeJSON(ctx, f.Tenant.Code)
		if err != nil {
			t.Fatal(err)
		}
		var h storefront.Home
		if err := json.Unmarshal(b, &h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := home()
	if len(h.Events) != 1 || h.Events[0].ID != f.Event.ID || h.Events[0].Sessions != 2 {
		t.Fatalf("home %+v", h)
	}
	seats := h.Events[0].Remaining
	b, err := shop.EventJSON(ctx, f.Tenant.Code, f.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	var page storefront.EventPage
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Dates) != 2 || page.Dates[0].ID != f.Session.ID || page.Dates[1].ID != later.ID || len(page.Dates[0].Levels) == 0 {
		t.Fatalf("event page %+v", page)
	}
	f.Buy(t, f.Clerk, "A-1", "A-2")
	if got := home().Events[0].Remaining; got != seats {
		t.Fatalf("within the TTL the page changed: %d, was %d", got, seats)
	}
	f.Clock.Advance(time.Second)
	if got := home().Events[0].Remaining; got != seats-2 {
		t.Fatalf("after the TTL %d seats left, want %d", got, seats-2)
	}
	if _, err := shop.HomeJSON(ctx, "nobody"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("an unknown shop: %v", err)
	}
	if _, err := shop.EventJSON(ctx, f.Tenant.Code, f.Event.ID+1000); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("an unknown event: %v", err)
	}

	// A session's seat map: the seats sold are not free, the others of a
	// priced level are; within the TTL it does not change.
	seatMap := func(tenant string, session int64) (storefront.SeatsPage, error) {
		b, err := shop.SeatsJSON(ctx, tenant, session)
		if err != nil {
			return storefront.SeatsPage{}, err
		}
		var p storefront.SeatsPage
		return p, json.Unmarshal(b, &p)
	}
	m, err := seatMap(f.Tenant.Code, f.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	free, nFree, left := map[string]bool{}, 0, 0
	for _, c := range m.Seats {
		free[c.Label] = c.Free
		if c.Free && c.Level == 0 {
			t.Fatalf("seat %s is free without a price level", c.Label)
		}
		if c.Free {
			nFree++
		}
	}
	for _, l := range m.Levels {
		left += l.Remaining
	}
	if len(m.Seats) == 0 || free["A-1"] || free["A-2"] || !free["A-3"] || nFree == 0 || left != nFree {
		t.Fatalf("seat map: A-1 %v, A-2 %v, A-3 %v, %d free, levels %+v", free["A-1"], free["A-2"], free["A-3"], nFree, m.Levels)
	}
	f.Buy(t, f.Clerk, "A-3")
	if m, _ := seatMap(f.Tenant.Code, f.Session.ID); !cell(m, "A-3").Free {
		t.Fatal("within the TTL the seat map changed")
	}
	f.Clock.Advance(time.Second)
	if m, _ := seatMap(f.Tenant.Code, f.Session.ID); cell(m, "A-3").Free {
		t.Fatal("after the TTL a sold seat is still free")
	}
	// A cancelled session, another tenant's, one that does not exist: not found.
	other := f.AddTenant(t, "z", "31020299")
	for _, c := range []struct {
		tenant  string
		session int64
	}{{f.Tenant.Code, gone.ID}, {other.Tenant.Code, f.Session.ID}, {f.Tenant.Code, 987654}} {
		if _, err := seatMap(c.tenant, c.session); !errors.Is(err, storefront.ErrNotFound) {
			t.Fatalf("session %d at shop %s: %v", c.session, c.tenant, err)
		}
	}
}

func cell(m storefront.SeatsPage, label string) storefront.SeatCell {
	for _, c := range m.Seats {
		if c.Label == label {
			return c
		}
	}
	return storefront.SeatCell{}
}
