package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/edge/enroll"
	"github.com/admitbox/admit/edge/gate"
)

// SyncBenchOptions configure `admit bench sync`.
type SyncBenchOptions struct {
	Gates     int // gates measuring propagation
	Sales     int // single-ticket sales whose propagation is timed
	Tickets   int // tickets of the venue the cold gate catches up on
	Validates int // decisions timed on the cold gate
	// AgentCommand starts a separate agent process; the bench appends
	// "-data DIR" and reads its local API address from DIR/agent.addr.
	AgentCommand []string
	DataDir      string // empty: a temporary directory, removed after
}

// RunSyncBench measures the sync path and writes a report whose last line
// is
//
//	sync: propagation_p99_ms=N catchup_tickets_per_s=N validate_p99_us=N edge_rss_mb=N lost=0
func RunSyncBench(ctx context.Context, o SyncBenchOptions, w io.Writer) error {
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "admit-bench-sync-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.DataDir = dir
	}
	srv, err := server.Start(ctx, server.Config{DataDir: filepath.Join(o.DataDir, "cloud"), SweepEvery: time.Minute,
		Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		return err
	}
	defer srv.Close()
	b, err := seedSyncBench(ctx, srv, o.Tickets)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "cloud %s, broker %s; venue %s\n", srv.URL, srv.MQTTURL, b.venue.Code)

	// 1. Propagation: a ticket paid in the cloud until it is in every gate's cache.
	p99, err := b.propagation(ctx, o.Gates, o.Sales, w)
	if err != nil {
		return err
	}

	// 2. The venue grows to Tickets tickets; a cold gate, in its own
	// process, catches up on all of it.
	t0 := time.Now()
	qrs, err := b.sellMany(ctx, o.Tickets)
	if err != nil {
		return err
	}
	head, err := srv.Svc.FeedHead(ctx, b.venue.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "sold %d tickets in %s (feed head %d)\n", len(qrs), time.Since(t0).Round(time.Millisecond), head)
	dir, err := b.enrollGate(ctx, "cold-gate")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, o.AgentCommand[0], append(o.AgentCommand[1:], "-data", dir)...)
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the cold gate: %w", err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}
	}()
	url, err := waitAddr(ctx, dir)
	if err != nil {
		return err
	}
	st, err := waitStatus(ctx, url, 5*time.Minute, func(s agent.Status) bool { return s.FeedSeq >= head })
	if err != nil {
		return err
	}
	catchup := time.Since(start)
	perSec := float64(st.CacheTickets) / catchup.Seconds()
	fmt.Fprintf(w, "cold gate caught up on %d tickets in %s\n", st.CacheTickets, catchup.Round(time.Millisecond))

	// 3a. Scans through the agent's local API, as a turnstile's browser
	// or driver would send them, while the cloud ingests and echoes them.
	half := o.Validates / 2
	step := max(1, len(qrs)/o.Validates)
	client := &http.Client{Timeout: 10 * time.Second}
	var apiLat []time.Duration
	admitted := 0
	for i := 0; i < half; i++ {
		body, _ := json.Marshal(map[string]string{"qr": qrs[i*step]})
		t := time.Now()
		resp, err := client.Post(url+"/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		var d struct{ Admit bool }
		err = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		apiLat = append(apiLat, time.Since(t))
		if err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		if d.Admit {
			admitted++
		}
	}
	rss, err := rssMB(cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "local API scans on the cold gate (HTTP round trip, live sync): p50 %s p99 %s\n",
		percentile(apiLat, 50).Round(time.Microsecond), percentile(apiLat, 99).Round(time.Microsecond))
	// 3b. The decision itself: stop the process, then decide on its cache
	// (100,000 tickets) in process, each admission durable before the next.
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("stop the cold gate: %w", err)
	}
	lat, n, err := decide(dir, qrs, half, step, o.Validates-half)
	if err != nil {
		return err
	}
	admitted += n
	vp99 := percentile(lat, 99)
	// 4. Every admission reaches the cloud: the gate starts again with
	// its outbox full and must upload it all.
	a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0", HeartbeatEvery: time.Hour})
	if err != nil {
		return err
	}
	err = waitAgent(ctx, a, 2*time.Minute, func(s agent.Status) bool { return s.Connected && s.OutboxDepth == 0 })
	a.Close()
	if err != nil {
		return err
	}
	var stored int
	if err := srv.Store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM admissions WHERE direction = 'in'`).Scan(&stored); err != nil {
		return err
	}
	lost := admitted - stored
	total := len(apiLat) + len(lat)
	fmt.Fprintf(w, "gate decisions with %d tickets cached (each admission fsynced): p50 %s p99 %s; %d admitted of %d, the cloud stored %d\n",
		st.CacheTickets, percentile(lat, 50).Round(time.Microsecond), vp99.Round(time.Microsecond), admitted, total, stored)
	fmt.Fprintf(w, "sync: propagation_p99_ms=%.0f catchup_tickets_per_s=%.0f validate_p99_us=%d edge_rss_mb=%.1f lost=%d\n",
		ms(p99), perSec, vp99.Microseconds(), rss, lost)
	if lost != 0 || admitted != total {
		return fmt.Errorf("bench sync: %d of %d admitted, %d lost", admitted, total, lost)
	}
	return nil
}

type syncBench struct {
	srv      *server.Server
	admin    sales.Principal
	clerk    sales.Principal
	venue    sales.Venue
	sessions []sales.Session
	seats    map[int64][]int64 // session -> seat ids, unsold first
	mu       sync.Mutex
}

func seedSyncBench(ctx context.Context, srv *server.Server, tickets int) (*syncBench, error) {
	svc := srv.Svc
	b := &syncBench{srv: srv, seats: map[int64][]int64{}}
	bv, err := newBenchVenue(ctx, svc, "44030002", "Bench Stadium")
	if err != nil {
		return nil, err
	}
	b.admin, b.venue, b.clerk = bv.admin, bv.venue, bv.clerk
	// Stands of 5,000 seats, one session each, all opening now: a stadium
	// whose gates admit to every stand.
	start := time.Now().Add(30 * time.Minute)
	for i := 0; i*5000 < tickets+1000; i++ {
		m := seatmap.Grid("S", "Stand", 50, 100)
		h, err := svc.CreateHall(ctx, b.admin, b.venue.ID, sales.NewHall{Code: "S" + strconv.Itoa(i), Name: "Stand " + strconv.Itoa(i), Map: &m})
		if err != nil {
			return nil, err
		}
		ss, seats, err := bv.pricedSession(ctx, svc, h.ID, start, start.Add(3*time.Hour))
		if err != nil {
			return nil, err
		}
		b.seats[ss.ID] = seats
		b.sessions = append(b.sessions, ss)
	}
	return b, nil
}

// take removes n unsold seats of some session.
func (b *syncBench) take(n int) (int64, []int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ss := range b.sessions {
		if s := b.seats[ss.ID]; len(s) >= n {
			b.seats[ss.ID] = s[n:]
			return ss.ID, s[:n], nil
		}
	}
	return 0, nil, errors.New("bench sync: out of seats")
}

func (b *syncBench) sell(ctx context.Context, n int) (sales.Order, error) {
	sid, ids, err := b.take(n)
	if err != nil {
		return sales.Order{}, err
	}
	svc := b.srv.Svc
	h, err := svc.HoldSeats(ctx, b.clerk, sales.HoldRequest{SessionID: sid, Channel: sales.ChannelPOS, SeatIDs: ids})
	if err != nil {
		return sales.Order{}, err
	}
	o, err := svc.ConfirmOrder(ctx, b.clerk, sales.OrderRequest{HoldID: h.ID})
	if err != nil {
		return sales.Order{}, err
	}
	return svc.PayOrder(ctx, b.clerk, o.ID, sales.PaymentRequest{Method: "cash"})
}

// sellMany sells n tickets in orders of 100 from 4 buyers and returns their QR texts.
func (b *syncBench) sellMany(ctx context.Context, n int) ([]string, error) {
	var mu sync.Mutex
	var qrs []string
	var firstErr error
	jobs := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for size := range jobs {
				o, err := b.sell(ctx, size)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for _, t := range o.Tickets {
					qrs = append(qrs, t.QR)
				}
				mu.Unlock()
			}
		}()
	}
	for left := n; left > 0; left -= 100 {
		jobs <- min(100, left)
	}
	close(jobs)
	wg.Wait()
	return qrs, firstErr
}

func (b *syncBench) enrollGate(ctx context.Context, name string) (string, error) {
	_, code, err := b.srv.Svc.RegisterDevice(ctx, b.admin, b.venue.ID, sales.NewDevice{Role: "gate", Name: name})
	if err != nil {
		return "", err
	}
	c, err := enroll.Enroll(ctx, b.srv.URL, code, nil)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "admit-bench-gate-")
	if err != nil {
		return "", err
	}
	return dir, enroll.Save(dir, c)
}

// propagation starts gates in process, sells one ticket at a time and
// times, per gate, the paid ticket until it is in that gate's cache.
func (b *syncBench) propagation(ctx context.Context, gates, salesN int, w io.Writer) (time.Duration, error) {
	var agents []*agent.Agent
	defer func() {
		for _, a := range agents {
			dir := filepath.Dir(a.Cache().Path())
			a.Close()
			os.RemoveAll(dir)
		}
	}()
	for i := 0; i < gates; i++ {
		dir, err := b.enrollGate(ctx, fmt.Sprintf("gate-%d", i))
		if err != nil {
			return 0, err
		}
		a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0", HeartbeatEvery: time.Hour})
		if err != nil {
			return 0, err
		}
		agents = append(agents, a)
	}
	head, err := b.srv.Svc.FeedHead(ctx, b.venue.ID)
	if err != nil {
		return 0, err
	}
	for _, a := range agents {
		if err := waitAgent(ctx, a, time.Minute, func(s agent.Status) bool { return s.Connected && s.FeedSeq >= head }); err != nil {
			return 0, err
		}
	}
	var lat []time.Duration
	for i := 0; i < salesN; i++ {
		if _, err := b.sell(ctx, 1); err != nil {
			return 0, err
		}
		paid := time.Now()
		head, err := b.srv.Svc.FeedHead(ctx, b.venue.ID)
		if err != nil {
			return 0, err
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var werr error
		for _, a := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := waitAgent(ctx, a, 30*time.Second, func(s agent.Status) bool { return s.FeedSeq >= head })
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					werr = err
				}
				lat = append(lat, time.Since(paid))
			}()
		}
		wg.Wait()
		if werr != nil {
			return 0, werr
		}
	}
	fmt.Fprintf(w, "propagation to %d gates over %d sales: p50 %s p99 %s\n", gates, salesN,
		percentile(lat, 50).Round(time.Millisecond), percentile(lat, 99).Round(time.Millisecond))
	return percentile(lat, 99), nil
}

func waitAgent(ctx context.Context, a *agent.Agent, d time.Duration, cond func(agent.Status) bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return a.WaitUntil(ctx, cond)
}

// waitAddr waits for a separate agent process to publish its address.
func waitAddr(ctx context.Context, dir string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, agent.AddrFile)); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return "", errors.New("bench sync: the agent process did not start")
}

// waitStatus polls a separate agent process's status (another process
// cannot be waited on any other way) until cond holds.
func waitStatus(ctx context.Context, url string, d time.Duration, cond func(agent.Status) bool) (agent.Status, error) {
	deadline := time.Now().Add(d)
	var st agent.Status
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/status")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil && cond(st) {
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return st, fmt.Errorf("bench sync: agent at %s did not get there (status %+v)", url, st)
}

// rssMB reads a process's resident memory from /proc.
func rssMB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read agent memory: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return 0, err
			}
			return float64(kb) / 1024, nil
		}
	}
	return 0, errors.New("read agent memory: no VmRSS")
}

// decide opens a gate's cache and times n decisions on the tickets from
// index first, every step-th: the decision a turnstile waits for,
// durable admission write included.
func decide(dir string, qrs []string, first, step, n int) ([]time.Duration, int, error) {
	cred, err := enroll.Load(dir)
	if err != nil {
		return nil, 0, err
	}
	c, err := cache.Open(filepath.Join(dir, "cache.db"), cache.Options{DeviceID: cred.DeviceID, VenueCode: cred.VenueCode})
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	loc, err := time.LoadLocation(cred.Timezone)
	if err != nil {
		return nil, 0, err
	}
	g := &gate.Gate{Cache: c, DeviceID: cred.DeviceID, VenueCode: cred.VenueCode, Location: loc}
	var lat []time.Duration
	admitted := 0
	for i := first; len(lat) < n && i*step < len(qrs); i++ {
		t := time.Now()
		d, err := g.Validate(qrs[i*step], gate.In)
		lat = append(lat, time.Since(t))
		if err != nil {
			return nil, 0, fmt.Errorf("decide: %w", err)
		}
		if d.Admit {
			admitted++
		}
	}
	return lat, admitted, nil
}
