package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/internal/platformsim"
)

// ReportOptions shape `admit bench report`.
type ReportOptions struct {
	Rate    int           // sales a second, one ticket each
	Steady  time.Duration // selling with the platform up
	Outage  time.Duration // selling with the platform down
	Workers int           // buyers that can be selling at once
	Alg     string        // RSA-SHA256 or SM2-SM3
	DataDir string        // empty: a fresh temporary directory, removed after
	// CloudCommand starts the cloud as its own process (BenchCloud); the
	// bench appends -data DIR -platform FILE.
	CloudCommand []string
	Stderr       io.Writer
}

// toldSale is a sale a buyer was told of, and when.
type toldSale struct {
	number string
	at     time.Time
	phase  int // 0 steady, 1 outage, 2 after
}

// RunReportBench measures reporting to the national data platform: the
// cloud in its own process sells at a steady rate and reports to the
// platform simulator (in this process) over mutual TLS; then the platform
// goes down for a window while sales go on; then it is back. It measures
// the time from a sale's answer to the platform storing its record (the
// simulator's arrival time), how fast the backlog drains, and, against
// the cloud's database, what was lost or stored twice.
func RunReportBench(ctx context.Context, o ReportOptions, w io.Writer) error {
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "admit-report-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.DataDir = dir
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	sim, err := platformsim.Start(platformsim.Config{AdminToken: "bench"})
	if err != nil {
		return err
	}
	defer sim.Close()
	seats := o.Rate*int((o.Steady+2*o.Outage+time.Minute)/time.Second) + 100
	sessionID, seatIDs, err := seedReport(ctx, o.DataDir, seats)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	pcFile, err := registerBenchSystem(sim, filepath.Join(o.DataDir, "platform"), o.Alg)
	if err != nil {
		return err
	}
	cloud, err := startCloud(ctx, append(slices.Clone(o.CloudCommand), "-data", o.DataDir, "-platform", pcFile), o.Stderr)
	if err != nil {
		return err
	}
	defer func() {
		if cloud != nil {
			cloud.kill()
		}
	}()
	c := &Client{Base: cloud.URL, HTTP: NewHTTPClient(o.Workers)}
	if err := c.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return err
	}
	fmt.Fprintf(w, "cloud %s in its own process (pid %d), platform simulator %s, signing %s; %d sales/s: %s steady, %s with the platform down, then up\n",
		cloud.URL, cloud.cmd.Process.Pid, sim.URL(), o.Alg, o.Rate, o.Steady, o.Outage)

	var (
		mu     sync.Mutex
		told   []toldSale
		errs   int
		phase  int
		next   int
		failed error
	)
	// A sale under way finishes even when arrivals stop: a buyer who is
	// not told of a sale that committed would count as lost.
	sell := func(ctx context.Context) {
		mu.Lock()
		if next >= len(seatIDs) {
			mu.Unlock()
			return
		}
		seat, ph := seatIDs[next], phase
		next++
		mu.Unlock()
		var h sales.Hold
		err := c.Do(ctx, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: sessionID, Channel: sales.ChannelPOS, SeatIDs: []int64{seat}}, &h)
		var ord sales.Order
		if err == nil {
			err = c.Do(ctx, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}, &ord)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil || len(ord.Tickets) != 1 {
			if ctx.Err() == nil {
				errs++
				if failed == nil {
					failed = fmt.Errorf("sale: %v (%d tickets)", err, len(ord.Tickets))
				}
			}
			return
		}
		told = append(told, toldSale{number: ord.Tickets[0].Number, at: time.Now(), phase: ph})
	}
	// Open-loop arrivals at the rate, served by the workers.
	sctx, stopSales := context.WithCancel(ctx)
	arrivals := make(chan struct{}, o.Rate*10)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range arrivals {
				sell(ctx)
			}
		}()
	}
	go func() {
		defer close(arrivals)
		t := time.NewTicker(time.Second / time.Duration(o.Rate))
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				select {
				case arrivals <- struct{}{}:
				default: // the cloud is behind: this buyer would queue; count it as not sold
				}
			}
		}
	}()
	setPhase := func(p int) { mu.Lock(); phase = p; mu.Unlock() }
	wait := func(d time.Duration) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := wait(o.Steady); err != nil {
		stopSales()
		return err
	}
	setPhase(1)
	sim.SetFaults(platformsim.Faults{DownUntil: time.Now().Add(o.Outage)})
	if err := wait(o.Outage); err != nil {
		stopSales()
		return err
	}
	sim.SetFaults(platformsim.Faults{})
	up := time.Now()
	setPhase(2)
	// The backlog: every sale told before the platform came back.
	mu.Lock()
	backlog := map[string]bool{}
	for _, s := range told {
		backlog[s.number] = true
	}
	mu.Unlock()
	// Each stored message is read once: watching must not cost the
	// platform and the cloud the CPU they drain the backlog with.
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	left := maps.Clone(backlog)
	seen := 0
	var derr error
	for len(left) > 0 && derr == nil {
		var rs []platformsim.Record
		rs, seen, derr = sim.Since(dctx, seen)
		for _, r := range rs {
			delete(left, recordTicket(r))
		}
	}
	cancel()
	stopSales()
	wg.Wait()
	// Every sale told so far, including those after the outage.
	mu.Lock()
	all := slices.Clone(told)
	mu.Unlock()
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	recs, ferr := sim.WaitRecords(fctx, func(rs []platformsim.Record) bool {
		have := make(map[string]bool, len(rs))
		for _, r := range rs {
			have[recordTicket(r)] = true
		}
		for _, s := range all {
			if !have[s.number] {
				return false
			}
		}
		return true
	})
	cancel()

	c.HTTP.CloseIdleConnections()
	stopErr := cloud.Stop()
	cloud = nil

	at := map[string][]time.Time{}
	var firstBacklog, lastBacklog time.Time
	for _, r := range recs {
		n := recordTicket(r)
		at[n] = append(at[n], r.ArrivedAt)
		if backlog[n] && r.ArrivedAt.After(up) {
			if r.ArrivedAt.After(lastBacklog) {
				lastBacklog = r.ArrivedAt
			}
			if firstBacklog.IsZero() || r.ArrivedAt.Before(firstBacklog) {
				firstBacklog = r.ArrivedAt
			}
		}
	}
	var acks []time.Duration
	lost, dups, after := 0, 0, 0
	for _, s := range all {
		arr := at[s.number]
		switch {
		case len(arr) == 0:
			lost++
			continue
		case len(arr) > 1:
			dups += len(arr) - 1
		}
		if s.phase == 0 {
			acks = append(acks, arr[0].Sub(s.at))
		}
		if backlog[s.number] && arr[0].After(up) {
			after++
		}
	}
	dbTickets, err := countTickets(ctx, filepath.Join(o.DataDir, "admit.db"))
	if err != nil {
		return err
	}
	catchup := 0.0
	if after > 0 && lastBacklog.After(up) {
		catchup = float64(after) / lastBacklog.Sub(up).Seconds()
	}
	resends := 0
	for _, r := range recs {
		resends += r.Duplicates
	}
	completeness := 100 * float64(len(all)-lost) / float64(max(len(all), 1))
	fmt.Fprintf(w, "sales: %d told (%d in the steady phase), %d errors; the database holds %d tickets\n", len(all), len(acks), errs, dbTickets)
	fmt.Fprintf(w, "platform: %d records; %d of the backlog arrived after it came back: the first %s after, the last %s after; resent copies it recognised: %d\n",
		len(recs), after, firstBacklog.Sub(up).Round(time.Millisecond), lastBacklog.Sub(up).Round(time.Millisecond), resends)
	if derr != nil || ferr != nil {
		fmt.Fprintf(w, "ERROR: the platform did not receive everything in time: %v %v\n", derr, ferr)
	}
	if failed != nil {
		fmt.Fprintln(w, "ERROR: first failed sale:", failed)
	}
	if stopErr != nil {
		fmt.Fprintf(w, "ERROR: the cloud process did not stop cleanly on SIGTERM: %v\n", stopErr)
	}
	if dbTickets != len(all) {
		fmt.Fprintf(w, "ERROR: buyers were told of %d tickets, the database holds %d\n", len(all), dbTickets)
	}
	fmt.Fprintf(w, "report: ack_p50_ms=%.0f ack_p99_ms=%.0f catchup_per_s=%.0f lost=%d duplicates=%d completeness=%.1f\n",
		ms(percentile(acks, 50)), ms(percentile(acks, 99)), catchup, lost, dups, completeness)
	if lost != 0 || dups != 0 || errs != 0 || stopErr != nil || dbTickets != len(all) {
		return fmt.Errorf("bench report: lost=%d duplicates=%d errors=%d", lost, dups, errs)
	}
	return nil
}

func recordTicket(r platformsim.Record) string {
	var x wire.TicketRecord
	if json.Unmarshal(r.Body, &x) != nil {
		return ""
	}
	return x.Ticket
}

// seedReport makes the bench's cinema: a hall of n seats and a film
// session in it, priced.
func seedReport(ctx context.Context, dir string, n int) (int64, []int64, error) {
	srv, err := server.Start(ctx, server.Config{DataDir: dir, SweepEvery: time.Hour})
	if err != nil {
		return 0, nil, err
	}
	defer srv.Close()
	svc := srv.Svc
	b, err := newBenchVenue(ctx, svc, "44030003", "Report Cinema")
	if err != nil {
		return 0, nil, err
	}
	film, err := svc.CreateEvent(ctx, b.admin, sales.NewEvent{Name: "Bench Film", Kind: "film", Code: "001X02212023"})
	if err != nil {
		return 0, nil, err
	}
	hall, err := svc.CreateHall(ctx, b.admin, b.venue.ID, sales.NewHall{Code: "H1", Name: "Hall 1", Map: sectionedMap("F", n, n)})
	if err != nil {
		return 0, nil, err
	}
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	ss, err := svc.CreateSession(ctx, b.admin, sales.NewSession{HallID: hall.ID, EventID: film.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000, MaxPerOrder: 6})
	if err != nil {
		return 0, nil, err
	}
	if _, err := svc.SetPrices(ctx, b.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 4500}}); err != nil {
		return 0, nil, err
	}
	seats, err := svc.SessionSeats(ctx, b.clerk, ss.ID)
	if err != nil {
		return 0, nil, err
	}
	ids := make([]int64, len(seats))
	for i, s := range seats {
		ids[i] = s.SeatID
	}
	return ss.ID, ids, nil
}

// registerBenchSystem registers the bench's system and cinema with the
// simulator and writes the platform settings for the cloud.
func registerBenchSystem(sim *platformsim.Sim, dir, alg string) (string, error) {
	is, err := sim.RegisterSystem(platformsim.SystemRequest{Code: "ADMIT", Version: "bench", Address: "https://127.0.0.1"})
	if err != nil {
		return "", err
	}
	if _, err := sim.RegisterCinema(platformsim.CinemaRequest{System: "ADMIT", Cinema: wire.Cinema{Code: "44030003", Name: "Report Cinema",
		Company: "Bench", Circuit: "Bench Circuit", Status: wire.StatusOpen, Halls: 1}}); err != nil {
		return "", err
	}
	files, err := is.Write(dir)
	if err != nil {
		return "", err
	}
	pc := server.PlatformConfig{URL: sim.URL(), System: "ADMIT", SignAlg: alg, Cert: files.Cert, Key: files.Key, SM2Key: files.SM2Key, CA: files.CA}
	b, err := json.Marshal(pc)
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "platform.json")
	return file, os.WriteFile(file, b, 0o600)
}

// countTickets counts the tickets in the cloud's database.
func countTickets(ctx context.Context, path string) (int, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int
	err = st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets`).Scan(&n)
	return n, err
}
