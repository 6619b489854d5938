package e2e

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/storetest"
	"github.com/admitbox/admit/internal/pgtest"
)

// TestAPostgreSQLStandbyFollowsAndTakesOver runs packaging/postgres/admit-pg
// as an operator would (§6.2.4): a streaming standby is made from the
// primary while tills sell; every order a till was told of reaches it,
// its audit chain verifies, and, promoted, it sells. A base backup taken
// the same way verifies.
func TestAPostgreSQLStandbyFollowsAndTakesOver(t *testing.T) {
	if testing.Short() {
		t.Skip("copies a database and runs a second PostgreSQL server")
	}
	dsn, _, schema := pgtest.Schema(t)
	if _, err := exec.LookPath("pg_basebackup"); err != nil {
		t.Skip("no pg_basebackup: install PostgreSQL")
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := storetest.NewFixture(t, st)

	// Tills sell while the standby is copied and starts following, each
	// its own seats; the last few are left for after the switch-over.
	seats, err := st.SessionSeats(ctx, f.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sellable []int64
	for _, s := range seats {
		if s.TierID != 0 && s.Status == sales.SeatAvailable {
			sellable = append(sellable, s.SeatID)
		}
	}
	if len(sellable) < 30 {
		t.Fatalf("the fixture's session has %d seats for sale", len(sellable))
	}
	sellable = sellable[:len(sellable)-4]
	var mu sync.Mutex
	var told []int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(sellable); i += 2 {
				select {
				case <-stop:
					return
				default:
				}
				h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{sellable[i]}})
				if err != nil {
					t.Errorf("hold: %v", err)
					return
				}
				o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
				if err != nil {
					t.Errorf("sale: %v", err)
					return
				}
				mu.Lock()
				told = append(told, o.ID)
				mu.Unlock()
			}
		}()
	}

	base := os.Getenv(pgtest.Env)
	dir := pgOwnedDir(t)
	port := freePort(t)
	script, _ := filepath.Abs("../packaging/postgres/admit-pg")
	runAsPostgres(t, script, "standby", base, filepath.Join(dir, "standby"), strconv.Itoa(port))
	t.Cleanup(func() {
		runAsPostgresQuiet(exec.Command(script, "stop", filepath.Join(dir, "standby")))
	})
	eventually(t, "a few sales during the copy", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) >= 10
	})
	close(stop)
	wg.Wait()
	mu.Lock()
	orders := append([]int64(nil), told...)
	mu.Unlock()

	standby := withPort(t, dsn, port)
	conn, err := pgx.Connect(ctx, standby)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	eventually(t, "the standby to hold every order told", func() bool {
		var n int
		err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM `+schema+`.orders WHERE status = 'paid' AND id = ANY($1)`, orders).Scan(&n)
		return err == nil && n == len(orders)
	})
	var inRecovery bool
	if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("the standby is not following (in recovery: %v, %v)", inRecovery, err)
	}
	primaryAudit, err := sales.VerifyAudit(ctx, st)
	if err != nil {
		t.Fatal(err)
	}

	// The standby opens read-only as a store, and its chain verifies.
	st2, err := postgres.Open(ctx, standby, postgres.Options{})
	if err != nil {
		t.Fatalf("open the standby: %v", err)
	}
	defer st2.Close()
	rep, err := sales.VerifyAudit(ctx, st2)
	if err != nil || !rep.OK || rep.Entries != primaryAudit.Entries {
		t.Fatalf("the standby's audit chain: %+v %v; the primary's has %d entries", rep, err, primaryAudit.Entries)
	}

	// Switch-over: the primary's cloud stops, the standby is promoted
	// and sells.
	st.Close()
	runAsPostgres(t, script, "promote", filepath.Join(dir, "standby"))
	svc, err := sales.New(ctx, st2, storetest.Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	h, err := svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 1})
	if err != nil {
		t.Fatalf("hold on the promoted standby: %v", err)
	}
	if _, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}); err != nil {
		t.Fatalf("sale on the promoted standby: %v", err)
	}

	// The daily cold backup, verified against its manifest.
	runAsPostgres(t, script, "backup", withPort(t, base, port), filepath.Join(dir, "backup"))
	t.Logf("standby followed %d orders sold during its copy, took over and sold; backup verified", len(orders))
}

// pgOwnedDir is a directory the PostgreSQL tools can write: the test's
// user's, or, run as root, the postgres user's.
func pgOwnedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "admit-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("run as root and no postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runAsPostgres runs a command as the user that may run PostgreSQL.
func runAsPostgres(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	if out, err := runAsPostgresQuiet(cmd); err != nil {
		if strings.Contains(string(out), "pg_hba.conf") {
			t.Skipf("the primary refuses replication connections (add \"host replication all 127.0.0.1/32 trust\" to pg_hba.conf, as .ci/run does): %s", out)
		}
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func runAsPostgresQuiet(cmd *exec.Cmd) ([]byte, error) {
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--"}, cmd.Args...)...)
	}
	return cmd.CombinedOutput()
}

func freePort(t *testing.T) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(freeAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// withPort is dsn on another port of the same host.
func withPort(t *testing.T, dsn string, port int) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	return u.String()
}
