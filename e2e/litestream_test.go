package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// TestLitestreamReplicatesWhileTheCloudSells runs the shipped Litestream
// sidecar configuration (packaging/litestream) beside a selling cloud, with
// a file replica: restored, the replica checks (integrity, audit chain)
// and holds every order the tills were told about. It needs the
// Litestream CLI (ADMIT_LITESTREAM, which .ci/run installs by version).
func TestLitestreamReplicatesWhileTheCloudSells(t *testing.T) {
	bin := os.Getenv("ADMIT_LITESTREAM")
	if bin == "" {
		t.Skip("ADMIT_LITESTREAM is not set (go install github.com/benbjohnson/litestream/cmd/litestream@v0.3.13)")
	}
	data, replica := t.TempDir(), t.TempDir()
	db := filepath.Join(data, "admit.db")
	w := newWorldWith(t, embedded, func(c *server.Config) { c.DataDir = data })
	tmpl, err := os.ReadFile("../packaging/litestream/admit-cloud.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("/var/lib/admit/admit.db", db, "/var/backups/admit/litestream", replica, "sync-interval: 1s", "sync-interval: 100ms").
		Replace(string(tmpl))
	for _, line := range strings.Split(cfg, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "/var/") {
			t.Fatalf("the shipped config names a path the test did not replace: %s", line)
		}
	}
	cfgPath := filepath.Join(t.TempDir(), "litestream.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ls := exec.Command(bin, "replicate", "-config", cfgPath)
	ls.Stdout, ls.Stderr = testWriter{t, "litestream"}, testWriter{t, "litestream"}
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ls.Process.Signal(syscall.SIGTERM)
		ls.Wait()
	}()

	// Litestream's first snapshot is taken before any sale: every order
	// the replica then holds came to it as WAL, shipped while the tills sold.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command(bin, "generations", "-config", cfgPath, db).CombinedOutput()
		if err == nil && strings.Count(strings.TrimSpace(string(out)), "\n") >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Litestream made no generation: %v %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	before, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sold int
	before.DB().QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&sold)
	before.Close()
	if sold != 0 {
		t.Fatalf("%d orders before the tills opened", sold)
	}

	// Four tills sell, one sale every 25 ms each, while Litestream copies the WAL.
	ctx := context.Background()
	var mu sync.Mutex
	var acked []int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(25 * time.Millisecond) // a till's pace, not a wait for anything
			defer tick.Stop()
			for i := range 40 {
				<-tick.C
				h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS,
					SeatIDs: []int64{w.seats[g*40+i].SeatID}})
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
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Restore the replica until it holds every acknowledged order (it
	// trails the cloud by a sync interval).
	deadline = time.Now().Add(60 * time.Second)
	for attempt := 0; ; attempt++ {
		out := filepath.Join(t.TempDir(), fmt.Sprintf("restored-%d.db", attempt))
		res, err := exec.Command(bin, "restore", "-config", cfgPath, "-o", out, db).CombinedOutput()
		if err == nil {
			missing, rep := restoredHolds(t, out, acked)
			if missing == 0 {
				if !rep.OK() || rep.Orders != int64(len(acked)) {
					t.Fatalf("the restored replica: %+v", rep)
				}
				return
			}
			t.Logf("attempt %d: the replica lacks %d of %d orders", attempt, missing, len(acked))
		} else {
			t.Logf("attempt %d: restore: %v: %s", attempt, err, res)
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica never caught up with the acknowledged orders")
		}
		time.Sleep(200 * time.Millisecond) // the next sync interval
	}
}

// restoredHolds checks a restored database and counts the acknowledged
// orders it lacks.
func restoredHolds(t *testing.T, path string, acked []int64) (int, sqlite.BackupReport) {
	t.Helper()
	ctx := context.Background()
	rep, err := sqlite.CheckBackup(ctx, path)
	if err != nil {
		t.Fatalf("check the restored replica: %v", err)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	missing := 0
	for _, id := range acked {
		if o, err := st.GetOrder(ctx, -1, id); err != nil || o.Status != sales.OrderPaid {
			missing++
		}
	}
	return missing, rep
}

// testWriter logs a child process's output.
type testWriter struct {
	t    *testing.T
	name string
}

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s: %s", w.name, strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
