package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
)

// leaders waits until exactly one of the reporters is the sender and
// returns its index.
func leaders(t *testing.T, rs ...*report.Reporter) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, at := 0, -1
		for i, r := range rs {
			if r.Leader() {
				n, at = n+1, i
			}
		}
		if n == 1 {
			return at
		}
		if n > 1 {
			t.Fatalf("%d processes send to the platform at once", n)
		}
		if time.Now().After(deadline) {
			t.Fatal("no process became the sender")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneOfTwoCloudProcessesSendsEachReport: two cloud processes on one
// store both sell; one of them holds the sender's lease and the platform
// gets every sale once; when that one stops, the other takes over.
func TestOneOfTwoCloudProcessesSendsEachReport(t *testing.T) {
	data := t.TempDir()
	w, sim, pc := platformWorldIn(t, wire.AlgSM2, data, func(c *server.Config) { c.Platform.LeaseTTL = server.Duration(3 * time.Second) })
	pc2 := pc
	pc2.QueryListen = "" // the first process answers the platform's queries
	pc2.LeaseTTL = server.Duration(3 * time.Second)
	pc2.Policy = report.Policy{Sends: 3, Timeout: 2 * time.Second, Pause: 10 * time.Millisecond}
	pc2.Report = &report.Config{Poll: 50 * time.Millisecond, Backoff: 20 * time.Millisecond, MaxWait: 100 * time.Millisecond}
	other, err := server.Start(context.Background(), server.Config{DataDir: data, Listen: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, Platform: pc2, Logger: testLogger("other")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	servers := []*server.Server{w.srv, other}
	first := leaders(t, w.srv.Reporter, other.Reporter)

	ss := w.filmSession()
	w.sellIn(ss, "C-1", "C-2")
	sellOn := func(srv *server.Server, label string) {
		t.Helper()
		ctx := context.Background()
		seats, err := srv.Svc.SessionSeats(ctx, w.clerk, ss.ID)
		w.must(err)
		for _, s := range seats {
			if s.Label == label {
				h, err := srv.Svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{s.SeatID}})
				w.must(err)
				_, err = srv.Svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
				w.must(err)
				return
			}
		}
		t.Fatalf("no seat %s", label)
	}
	sellOn(other, "C-3")
	sellOn(other, "C-4")
	waitRecords(t, sim, 4)
	if leaders(t, w.srv.Reporter, other.Reporter) != first {
		t.Fatal("the sender changed while both ran")
	}

	// The sender stops; the other takes over and sends what is sold next.
	if err := servers[first].Close(); err != nil {
		t.Fatal(err)
	}
	rest := servers[1-first]
	if leaders(t, rest.Reporter) != 0 {
		t.Fatal("the remaining process is not the sender")
	}
	sellOn(rest, "C-5")
	recs := waitRecords(t, sim, 5)
	for _, r := range sim.Records() {
		if r.Duplicates != 0 {
			t.Fatalf("the platform got %s %d times more", r.Serial, r.Duplicates)
		}
	}
	if len(recs) != 5 {
		t.Fatalf("%d ticket records for 5 sales", len(recs))
	}
}
