package storetest

import (
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/inventory"
	"github.com/admitbox/admit/cloud/sales"
)

// testInventoryExports: the daily and weekly exports are taken once per
// moment, keep their file and its digest, and count the channels' tickets
// alike with the seats sold.
func testInventoryExports(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	is, ok := f.Store.(interface{ Inventory() inventory.Store })
	if !ok {
		t.Fatal("the store keeps no inventory")
	}
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(24 * time.Hour)
	svc := inventory.New(is.Inventory(), f.Svc, f.Clock.Now)
	n, err := svc.TakeExports(ctx)
	if err != nil || n != 2 {
		t.Fatalf("exports taken: %d %v, want the daily and the weekly", n, err)
	}
	if n, err := svc.TakeExports(ctx); err != nil || n != 0 {
		t.Fatalf("exports taken again: %d %v", n, err)
	}
	es, err := svc.Exports(ctx, f.Manager, f.Venue.ID)
	if err != nil || len(es) != 2 {
		t.Fatalf("exports: %+v %v", es, err)
	}
	for _, e := range es {
		if e.Period != "daily" {
			continue
		}
		if e.Sold != 2 || e.Channels["pos"] != 2 || len(e.Anomalies) != 0 {
			t.Fatalf("the daily export: %+v", e)
		}
		got, body, err := svc.ExportFile(ctx, f.Manager, f.Venue.ID, e.ID)
		if err != nil || got.SHA256 != e.SHA256 || inventory.Digest(body) != e.SHA256 || len(body) != e.Bytes {
			t.Fatalf("the daily export's file: %+v %d bytes %v", got, len(body), err)
		}
		return
	}
	t.Fatalf("no daily export in %+v", es)
}
