package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/cloud/store/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sales.Store {
		return open(t, filepath.Join(t.TempDir(), "admit.db"))
	})
}

// TestProcesses stands two cloud processes on one database file.
func TestProcesses(t *testing.T) {
	storetest.RunProcesses(t, func(t *testing.T) (sales.Store, sales.Store) {
		path := filepath.Join(t.TempDir(), "admit.db")
		return open(t, path), open(t, path)
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "admit.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{Synchronous: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, st)
	o := f.Buy(t, f.Clerk, "A-1", "A-2")
	ver, err := st.SchemaVersion(ctx)
	if err != nil || ver < 1 {
		t.Fatalf("schema version %d, %v", ver, err)
	}
	seq := f.AuditSeq(t)
	login, err := f.Svc.Login(ctx, f.Clerk.Username, storetest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := open(t, path)
	if v, err := st2.SchemaVersion(ctx); err != nil || v != ver {
		t.Fatalf("reopened schema version %d, %v; want %d", v, err, ver)
	}
	// The token secret survives: a service over the reopened store accepts
	// logins and still sees the sale.
	svc, err := sales.New(ctx, st2, storetest.Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetOrder(ctx, f.Clerk, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sales.OrderPaid || len(got.Tickets) != 2 || got.Tickets[0].QR != o.Tickets[0].QR {
		t.Fatalf("reopened order %+v", got)
	}
	if chk, err := svc.VerifyTicket(ctx, f.Gate, o.Tickets[0].QR); err != nil || !chk.Valid {
		t.Fatalf("ticket after reopen: %+v, %v", chk, err)
	}
	if p, err := svc.Authenticate(ctx, login.Token); err != nil || p.UserID != f.Clerk.UserID {
		t.Errorf("a token issued before reopening: %+v, %v", p, err)
	}
	rep, err := sales.VerifyAudit(ctx, st2)
	if err != nil || !rep.OK || rep.Entries != seq {
		t.Fatalf("audit after reopen: %+v, %v (want %d entries)", rep, err, seq)
	}
	if st := storetest.SeatStatus(t, st2, f.Session.ID, "A-1"); st != sales.SeatSold {
		t.Fatalf("A-1 is %s after reopen", st)
	}
}

// Every writer connection checkpoints at CheckpointPages, not at SQLite's
// default 1,000: the setting is per connection and the pool opens more.
func TestWritersCheckpointAtTheLongerInterval(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "admit.db"))
	var conns []*sql.Conn
	for range 2 {
		c, err := st.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		var n int
		if err := c.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != sqlite.CheckpointPages {
			t.Errorf("writer connection %d checkpoints every %d pages, want %d", i, n, sqlite.CheckpointPages)
		}
	}
}

func TestOpenRefusesUnknownSynchronous(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Synchronous: "SOMETIMES"}); err == nil {
		t.Fatal("opened with an unknown synchronous mode")
	}
}

// BenchmarkHoldConfirmPay: storetest.BenchHoldConfirmPay on SQLite.
func BenchmarkHoldConfirmPay(b *testing.B) {
	storetest.BenchHoldConfirmPay(b, open(b, filepath.Join(b.TempDir(), "admit.db")))
}

// BenchmarkAvailability reads a 5,000-seat session's availability document:
// "cached" while nothing changes, "rebuilt" when every read must re-encode.
func BenchmarkAvailability(b *testing.B) {
	ctx := context.Background()
	st := open(b, filepath.Join(b.TempDir(), "admit.db"))
	f := storetest.NewFixture(b, st)
	m := seatmap.Grid("S1", "Stand", 50, 100)
	hall, err := f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "S1", Name: "Stand", Map: &m})
	if err != nil {
		b.Fatal(err)
	}
	ss, _ := f.AddSession(b, hall.ID, f.Session.StartsAt.Add(24*time.Hour), 4500)
	for range 20 { // some sold seats so the document is not uniform
		h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 10})
		if err != nil {
			b.Fatal(err)
		}
		f.ConfirmAndPay(b, f.Clerk, h, sales.PaymentRequest{Method: "cash"})
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.Svc.AvailabilityJSON(ctx, f.Clerk, ss.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("rebuilt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.Clock.Advance(2 * time.Hour) // past the cache's validity
			if _, err := f.Svc.AvailabilityJSON(ctx, f.Clerk, ss.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A writer's savepoint journal stays in memory: SQLite spills one past
// 64 KiB to a temporary file unless temp_store is MEMORY, and every job
// of a group commit runs in a savepoint, so a job that changed more than
// 16 pages cost a file created, written and deleted (4x the time per
// sale in BenchmarkHoldConfirmPay on this machine).
func TestWritersKeepSavepointJournalsInMemory(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "admit.db"))
	c, err := st.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mode int
	if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("temp_store %d (%v), want 2 (memory)", mode, err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE spill (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
	exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO spill (id, v) SELECT i, printf('%.200c', 'a') FROM n`)
	// SQLite's temporary files are deleted as they are opened (or made
	// with O_TMPFILE): the process's open files that are deleted.
	deleted := func() map[string]bool {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("no /proc/self/fd: %v", err)
		}
		out := map[string]bool{}
		for _, fd := range fds {
			target, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if strings.HasSuffix(target, " (deleted)") {
				out[fd.Name()+" "+target] = true
			}
		}
		return out
	}
	before := deleted()
	exec(`BEGIN IMMEDIATE`)
	defer c.ExecContext(ctx, `ROLLBACK`)
	exec(`SAVEPOINT job`)
	exec(`UPDATE spill SET v = printf('%.200c', 'b')`) // some 100 pages
	for f := range deleted() {
		if !before[f] {
			t.Fatalf("the savepoint's journal spilled to a temporary file (fd %s)", f)
		}
	}
}
