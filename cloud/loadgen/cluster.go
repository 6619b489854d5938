package loadgen

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/server"
)

// ClusterOptions tunes `admit bench cluster`.
type ClusterOptions struct {
	Replicas int
	Buyers   int
	Duration time.Duration // each run: the single process, then the replicas
	Sessions int           // 5,000-seat sessions per run
	// CloudCommand runs one cloud process (`admit bench-cloud`); the bench
	// adds -data, -listen and -drain-delay.
	CloudCommand []string
	HAProxy      string // the haproxy binary (default: from PATH)
	// DB, a PostgreSQL database (postgres://…), puts the replicas on a
	// fresh schema in it (dropped afterwards) instead of the SQLite store;
	// the baseline stays one process on SQLite.
	DB string
}

// clusterHAProxy is the load balancer's configuration: /health/ready
// checked every 100 ms, a failed connection retried on another replica.
// The e2e tests put their clouds behind the same one (HAProxyConfig).
const clusterHAProxy = `global
	maxconn 2048
defaults
	mode http
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	retries 3
	option redispatch
	retry-on conn-failure empty-response
frontend clouds
	bind %s
	default_backend clouds
backend clouds
	balance roundrobin
	option httpchk GET /health/ready
	http-check expect status 200
	default-server inter 100ms fall 2 rise 2
%s
listen stats
	bind %s
	stats enable
	stats uri /stats
`

// RunClusterBench sells with buyers against one cloud process on a SQLite
// store (the baseline), then against Replicas processes on the same store
// behind HAProxy while each replica in turn is restarted (SIGTERM, drained),
// and writes a report whose last line is
//
//	cluster: orders_per_s=N p99_ms=N failed_during_restart=N oversold=N lost=N replicas=N sqlite_orders_per_s=N
//
// where failed_during_restart counts the buyers' failed requests of the
// replicated run (the restart happens inside it) and lost the seats buyers
// were told they bought that the store lacks.
func RunClusterBench(ctx context.Context, o ClusterOptions, w io.Writer) error {
	if o.HAProxy == "" {
		p, err := exec.LookPath("haproxy")
		if err != nil {
			return errors.New("bench cluster: no haproxy on PATH (apt-get install haproxy)")
		}
		o.HAProxy = p
	}
	dir, err := os.MkdirTemp("", "admit-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	seed := func(db string, n int) ([]int64, error) {
		srv, err := server.Start(ctx, server.Config{DataDir: dir, DB: db, SweepEvery: time.Minute})
		if err != nil {
			return nil, err
		}
		sessions, err := seedBench(ctx, srv.Svc, n)
		return sessions, errors.Join(err, srv.Close())
	}
	sessions, err := seed("", 2*o.Sessions)
	if err != nil {
		return err
	}
	engine, replicaDB := "SQLite", ""
	if o.DB != "" {
		engine = "PostgreSQL"
		var drop func() error
		if replicaDB, drop, err = freshSchema(ctx, o.DB); err != nil {
			return err
		}
		defer drop()
		// The replicas sell the second half of the sessions, there.
		pg, err := seed(replicaDB, 2*o.Sessions)
		if err != nil {
			return err
		}
		copy(sessions[o.Sessions:], pg[o.Sessions:])
	}
	startOn := func(db, listen string) (*cloudProcess, error) {
		cmd := append(append([]string{}, o.CloudCommand...), "-data", dir, "-listen", listen, "-drain-delay", "1s")
		if db != "" {
			cmd = append(cmd, "-db", db)
		}
		return startCloud(ctx, cmd, os.Stderr)
	}
	start := func(listen string) (*cloudProcess, error) { return startOn(replicaDB, listen) }

	// The baseline: one process on SQLite.
	one, err := startOn("", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base, err := sellFor(ctx, one.URL, o.Buyers, o.Duration, sessions[:o.Sessions])
	if serr := one.Stop(); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "one cloud process on SQLite: orders_per_s=%.0f p99_ms=%.1f errors=%d\n", base.OrdersPerSec, ms(base.P99), base.Errors)

	// The replicas behind HAProxy.
	addrs := make([]string, o.Replicas)
	procs := make([]*cloudProcess, o.Replicas)
	for i := range addrs {
		if addrs[i], err = freePort(); err != nil {
			return err
		}
		if procs[i], err = start(addrs[i]); err != nil {
			return err
		}
		defer func() {
			if procs[i] != nil {
				procs[i].kill()
			}
		}()
	}
	front, err := freePort()
	if err != nil {
		return err
	}
	stats, err := freePort()
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, HAProxyConfig(front, stats, addrs), 0o600); err != nil {
		return err
	}
	hp := exec.Command(o.HAProxy, "-db", "-f", cfg)
	hpLog := &lockedBuffer{} // its warnings: replicas going down and up
	hp.Stdout, hp.Stderr = hpLog, hpLog
	if err := hp.Start(); err != nil {
		return fmt.Errorf("start haproxy: %w", err)
	}
	defer func() { hp.Process.Kill(); hp.Wait() }()
	statsURL := "http://" + stats + "/stats"
	for i := range procs {
		if err := WaitUpInHAProxy(ctx, statsURL, fmt.Sprintf("c%d", i)); err != nil {
			return fmt.Errorf("%w\nhaproxy said:\n%s", err, hpLog.String())
		}
	}
	fmt.Fprintf(w, "%d cloud processes on one %s store behind HAProxy at http://%s; each restarted in turn during the run\n", o.Replicas, engine, front)
	// Where the CPU goes during the replicated run: each replica (the one
	// restarted too), HAProxy, this load, a local PostgreSQL server.
	cpu := clusterCPU{replicas: make([]time.Duration, len(procs)), haproxy: hp.Process.Pid}
	if replicaDB != "" {
		cpu.postmaster, _ = localPostmaster(ctx, replicaDB)
	}
	for i, p := range procs {
		cpu.replicas[i], _ = p.CPU()
	}
	cpu.start()
	restarted := make(chan error, 1)
	go func() {
		// Restart after a third of the run, one replica at a time.
		select {
		case <-time.After(o.Duration / 3):
		case <-ctx.Done():
			restarted <- ctx.Err()
			return
		}
		for i := range procs {
			err := procs[i].Stop()
			cpu.stopped(i, procs[i])
			procs[i] = nil
			if err != nil {
				restarted <- fmt.Errorf("replica %d: stop: %w", i, err)
				return
			}
			p, err := start(addrs[i])
			if err != nil {
				restarted <- fmt.Errorf("replica %d: start: %w", i, err)
				return
			}
			procs[i] = p
			if err := WaitUpInHAProxy(ctx, statsURL, fmt.Sprintf("c%d", i)); err != nil {
				restarted <- err
				return
			}
		}
		restarted <- nil
	}()
	res, err := sellFor(ctx, "http://"+front, o.Buyers, o.Duration, sessions[o.Sessions:])
	if rerr := <-restarted; err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, cpu.report(procs, res.Orders, res.Elapsed))

	dup, sold, err := countSoldIn(ctx, "sqlite3", "file:"+filepath.Join(dir, "admit.db")+"?mode=ro")
	if err != nil {
		return err
	}
	if replicaDB != "" {
		d, n, err := countSoldIn(ctx, "pgx", replicaDB)
		if err != nil {
			return err
		}
		dup, sold = dup+d, sold+n
	}
	claimed := 0
	for _, ids := range base.SeatsSold {
		claimed += len(ids)
	}
	for _, ids := range res.SeatsSold {
		claimed += len(ids)
	}
	lost := max(0, claimed-sold)
	fmt.Fprintf(w, "replicated run: orders=%d errors=%d; store: %d valid tickets for %d seats buyers were told of\n", res.Orders, res.Errors, sold, claimed)
	fmt.Fprintf(w, "cluster: orders_per_s=%.0f p99_ms=%.1f failed_during_restart=%d oversold=%d lost=%d replicas=%d sqlite_orders_per_s=%.0f\n",
		res.OrdersPerSec, ms(res.P99), res.Errors, dup, lost, o.Replicas, base.OrdersPerSec)
	if res.Errors != 0 || dup != 0 || lost != 0 {
		return fmt.Errorf("bench cluster: failed_during_restart=%d oversold=%d lost=%d", res.Errors, dup, lost)
	}
	return nil
}

// sellFor logs a clerk in at base and runs the buyers there.
func sellFor(ctx context.Context, base string, buyers int, d time.Duration, sessions []int64) (SalesResult, error) {
	c := &Client{Base: base, HTTP: NewHTTPClient(2)}
	if err := c.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return SalesResult{}, err
	}
	return Sales(ctx, SalesConfig{Buyers: buyers, Duration: d, Baseline: 500 * time.Millisecond, Sessions: sessions, Token: c.Token, Base: base,
		AvailabilitySession: sessions[0]})
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// HAProxyConfig is the load balancer's configuration for clouds at the
// backends' addresses (named c0, c1, …), serving at front, its stats page
// at http://stats/stats.
func HAProxyConfig(front, stats string, backends []string) []byte {
	var servers strings.Builder
	for i, a := range backends {
		fmt.Fprintf(&servers, "\tserver c%d %s check\n", i, a)
	}
	return fmt.Appendf(nil, clusterHAProxy, front, servers.String(), stats)
}

// WaitUpInHAProxy waits until HAProxy's stats page (statsURL) counts the
// server up.
func WaitUpInHAProxy(ctx context.Context, statsURL, name string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if up, _ := upInStats(statsURL, name); up {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench cluster: HAProxy never counted %s up", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond): // HAProxy checks every 100 ms
		}
	}
}

func upInStats(statsURL, name string) (bool, error) {
	resp, err := http.Get(statsURL + ";csv")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if len(r) > 17 && r[0] == "clouds" && r[1] == name {
			return strings.HasPrefix(r[17], "UP"), nil
		}
	}
	return false, nil
}

// lockedBuffer is a buffer a child process writes while we may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// countSoldIn counts valid tickets, and seats sold twice, in a store.
func countSoldIn(ctx context.Context, driver, dsn string) (dup, sold int, err error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	return countSold(ctx, db)
}

// freshSchema makes a schema in the PostgreSQL database at dsn and returns
// a URL whose connections use it, and how to drop it.
func freshSchema(ctx context.Context, dsn string) (string, func() error, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("bench cluster: %w", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	drop := func() error {
		defer db.Close()
		_, err := db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`)
		return err
	}
	return dsn + sep + "search_path=" + name, drop, nil
}

// clusterCPU measures where the CPU of the replicated run goes.
type clusterCPU struct {
	replicas   []time.Duration // each replica's CPU at the start, 0 for one started since
	used       time.Duration   // replicas stopped during the run
	haproxy    int
	postmaster int // 0: PostgreSQL is not on this machine (or SQLite)

	load0, haproxy0, pg0 time.Duration
	busy0, total0        int64
}

func (c *clusterCPU) start() {
	c.load0, _ = processCPU(os.Getpid())
	c.haproxy0, _ = processCPU(c.haproxy)
	if c.postmaster != 0 {
		c.pg0, _ = serverCPU(c.postmaster)
	}
	c.busy0, c.total0, _ = machineBusy()
}

// stopped counts replica i's CPU when it has stopped; its successor
// counts from nothing.
func (c *clusterCPU) stopped(i int, p *cloudProcess) {
	if d, err := p.CPU(); err == nil {
		c.used += d - c.replicas[i]
	}
	c.replicas[i] = 0
}

// report is the run's CPU per order, by process, and how busy the
// machine was: the orders/s it could sell with every core busy, were the
// work the same.
func (c *clusterCPU) report(procs []*cloudProcess, orders int, elapsed time.Duration) string {
	if orders == 0 {
		return "replicated run CPU: no orders"
	}
	replicas := c.used
	for i, p := range procs {
		if d, err := p.CPU(); err == nil {
			replicas += d - c.replicas[i]
		}
	}
	load, _ := processCPU(os.Getpid())
	hp, _ := processCPU(c.haproxy)
	per := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(orders) }
	var b strings.Builder
	fmt.Fprintf(&b, "replicated run CPU per order (ms): replicas=%.2f haproxy=%.2f load=%.2f", per(replicas), per(hp-c.haproxy0), per(load-c.load0))
	if c.postmaster != 0 {
		if pg, err := serverCPU(c.postmaster); err == nil {
			fmt.Fprintf(&b, " postgres=%.2f", per(pg-c.pg0))
		}
	}
	if busy, total, err := machineBusy(); err == nil && total > c.total0 && busy > c.busy0 {
		share := float64(busy-c.busy0) / float64(total-c.total0)
		fmt.Fprintf(&b, "; machine busy %.0f%%, so at most ~%.0f orders/s with every core busy", 100*share, float64(orders)/elapsed.Seconds()/share)
	}
	return b.String()
}
