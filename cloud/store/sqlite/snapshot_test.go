package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/storetest"
	wire "github.com/admitbox/admit/sync"
)

// TestSnapshotStreamsALargeVenue: a venue with 100,000 valid tickets is
// snapshotted in one pass per kind, quickly, without loading it twice.
func TestSnapshotStreamsALargeVenue(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "admit.db"))
	f := storetest.NewFixture(t, st)
	o := f.Buy(t, f.Clerk, "A-1")
	const n = 100_000
	tk := o.Tickets[0]
	for b := 0; b < n/1000; b++ {
		ts := make([]sales.Ticket, 1000)
		for i := range ts {
			x := tk
			x.ID, x.Serial = 0, uint32(1000+b*1000+i)
			x.Number = fmt.Sprintf("bulk-%07d", b*1000+i)
			ts[i] = x
		}
		if err := st.Update(ctx, func(tx sales.Tx) error { return tx.InsertTickets(ctx, ts) }); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	tickets := 0
	head, err := f.Svc.SnapshotTo(ctx, f.Venue.ID, func(e wire.FeedEvent) error {
		if e.Kind == wire.EventTicket {
			tickets++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if tickets != n+1 || head == 0 {
		t.Fatalf("snapshot has %d tickets at head %d, want %d", tickets, head, n+1)
	}
	t.Logf("snapshot of %d tickets in %v", tickets, took)
	if took > 30*time.Second {
		t.Errorf("snapshot of %d tickets took %v", tickets, took)
	}
}
