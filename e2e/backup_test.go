package e2e

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// TestARestoreDrillUnderWriteLoad: the box office sells on four tills
// while the cloud is backed up; the backup restores into a new data dir,
// checks (integrity, audit chain), holds every order acknowledged before
// the backup began, and holds no half of a sale.
func TestARestoreDrillUnderWriteLoad(t *testing.T) {
	w := newWorld(t, embedded)
	ctx := context.Background()
	const tills, each = 4, 40
	var mu sync.Mutex
	var acked []int64 // orders told paid, in the order the tills heard it
	started := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range tills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				select {
				case <-stop:
					return
				default:
				}
				seat := w.seats[g*each+i].SeatID
				h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seat}})
				if err != nil {
					t.Error(err)
					return
				}
				o, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, o.ID)
				if len(acked) == 20 {
					close(started)
				}
				mu.Unlock()
			}
		}()
	}
	<-started
	mu.Lock()
	before := append([]int64{}, acked...) // acknowledged before the backup began
	mu.Unlock()
	path := filepath.Join(t.TempDir(), "admit-backup.db")
	live := w.srv.Store.(*sqlite.Store)
	if err := live.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := live.Backup(ctx, path); err == nil {
		t.Fatal("a backup overwrote an existing file")
	}

	dir := t.TempDir()
	rep, err := sqlite.Restore(ctx, path, dir)
	if err != nil || !rep.OK() {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	if _, err := sqlite.Restore(ctx, path, dir); err == nil {
		t.Fatal("a restore over a database")
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "admit.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := sales.VerifyAudit(ctx, st)
	if err != nil || !a.OK || a.Entries == 0 {
		t.Fatalf("the restored audit chain: %+v %v", a, err)
	}
	for _, id := range before {
		o, err := st.GetOrder(ctx, -1, id)
		if err != nil || o.Status != sales.OrderPaid {
			t.Fatalf("order %d, acknowledged before the backup, after the restore: %+v %v", id, o, err)
		}
	}
	// No half of a sale: every paid order has its ticket, every ticket its order.
	var halves int
	if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM orders o WHERE o.status = 'paid' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = o.id))
  + (SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = t.order_id AND o.status = 'paid'))`).Scan(&halves); err != nil {
		t.Fatal(err)
	}
	if halves != 0 || rep.Orders < int64(len(before)) || rep.Tickets != rep.Orders {
		t.Fatalf("the restored sales: %d halves, %+v, %d acknowledged before", halves, rep, len(before))
	}

	// A backup whose audit log was edited does not restore.
	edited := filepath.Join(t.TempDir(), "edited.db")
	if err := st.Backup(ctx, edited); err != nil {
		t.Fatal(err)
	}
	ed, err := sqlite.Open(ctx, edited, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ed.DB().Exec(`UPDATE audit_log SET reason = 'nothing happened' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	ed.Close()
	if rep, err := sqlite.Restore(ctx, edited, t.TempDir()); err == nil || rep.AuditOK {
		t.Fatalf("an edited backup restored: %+v %v", rep, err)
	}
}
