package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// OnsaleOptions configure `admit bench onsale`.
type OnsaleOptions struct {
	Buyers       int           // concurrent buyers, in both phases
	Watchers     int           // live seat-map followers in the mixed phase
	Duration     time.Duration // of each phase
	StadiumSeats int           // seats of the stadium session
	HallSeats    int           // seats of the hall session
	DataDir      string        // empty: a fresh temporary directory, removed after
	// CloudCommand starts the cloud as its own process; the bench appends
	// -data DIR (and -cpuprofile FILE). It must print "URL <url>" first.
	CloudCommand []string
	CPUProfile   string // the cloud process's CPU profile, for go tool pprof
	Stderr       io.Writer
}

// onsaleSession is one session the buyers buy: its seats in availability
// order and its price tiers.
type onsaleSession struct {
	id    int64
	seats []sales.SessionSeat
	tiers []int64
}

// onsaleRound is the sessions of one phase: a stadium and a hall.
type onsaleRound struct{ stadium, hall onsaleSession }

// RunOnsaleBench measures an on-sale: the cloud in its own process on a
// fresh SQLite data dir, a stadium session and a hall session, first with
// buyers only (the baseline), then the same buyers with as many seat-map
// watchers following the maps live and a realistic mix. Its last line is
//
//	onsale: orders_per_s=N p99_ms=N buyers_only_orders_per_s=N reads_per_s=N read_p99_ms=N server_cpu_us_per_order=N errors=0 oversold=0
func RunOnsaleBench(ctx context.Context, o OnsaleOptions, w io.Writer) error {
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "admit-onsale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.DataDir = dir
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	t0 := time.Now()
	rounds, err := seedOnsale(ctx, o)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	cmd := append(slices.Clone(o.CloudCommand), "-data", o.DataDir)
	if o.CPUProfile != "" {
		cmd = append(cmd, "-cpuprofile", o.CPUProfile)
	}
	cloud, err := startCloud(ctx, cmd, o.Stderr)
	if err != nil {
		return err
	}
	defer func() {
		if cloud != nil {
			cloud.kill()
		}
	}()
	c := &Client{Base: cloud.URL, HTTP: NewHTTPClient(o.Buyers + o.Watchers)}
	if err := c.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return err
	}
	for i := range rounds {
		for _, s := range []*onsaleSession{&rounds[i].stadium, &rounds[i].hall} {
			if err := c.Do(ctx, "GET", fmt.Sprintf("/api/v1/sessions/%d/seats", s.id), nil, &s.seats); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "cloud %s in its own process (pid %d), data %s (synchronous=FULL), seeded in %s\n",
		cloud.URL, cloud.cmd.Process.Pid, o.DataDir, time.Since(t0).Round(time.Millisecond))
	fmt.Fprintf(w, "a stadium session of %d seats and a hall session of %d per phase; %d buyers; %d watchers in the mixed phase; %s a phase\n",
		len(rounds[0].stadium.seats), len(rounds[0].hall.seats), o.Buyers, o.Watchers, o.Duration)

	base, err := runPhase(ctx, cloud, c, o, rounds[0], false)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, base.line("buyers only"))
	mixed, err := runPhase(ctx, cloud, c, o, rounds[1], true)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, mixed.line("mixed"))

	err = cloud.Stop()
	cloud = nil
	if err != nil {
		return fmt.Errorf("stop the cloud: %w", err)
	}
	oversold, tickets, err := countTickets(ctx, filepath.Join(o.DataDir, "admit.db"))
	if err != nil {
		return err
	}
	told := base.seats.Load() + mixed.seats.Load()
	fmt.Fprintf(w, "database: %d valid tickets, buyers were told of %d; oversold seats %d\n", tickets, told, oversold)
	errs := base.errors.Load() + mixed.errors.Load()
	if int64(tickets) != told {
		// Every paid order a buyer heard of has its tickets, once, and no others exist.
		errs++
		fmt.Fprintf(w, "ERROR: buyers were sold %d seats but the database has %d valid tickets\n", told, tickets)
	}
	ratio := mixed.ordersPerSec() / max(base.ordersPerSec(), 1)
	fmt.Fprintf(w, "mixed / buyers only = %.2f\n", ratio)
	fmt.Fprintf(w, "onsale: orders_per_s=%.0f p99_ms=%.1f buyers_only_orders_per_s=%.0f reads_per_s=%.0f read_p99_ms=%.1f server_cpu_us_per_order=%.0f errors=%d oversold=%d\n",
		mixed.ordersPerSec(), ms(percentile(mixed.purchases(), 99)), base.ordersPerSec(), mixed.readsPerSec(),
		ms(percentile(mixed.readLatencies(), 99)), mixed.cpuPerOrder(), errs, oversold)
	if errs != 0 || oversold != 0 {
		return fmt.Errorf("bench onsale: errors=%d oversold=%d", errs, oversold)
	}
	return nil
}

// seedOnsale builds the venue and two rounds of sessions in the data dir.
func seedOnsale(ctx context.Context, o OnsaleOptions) ([]onsaleRound, error) {
	srv, err := server.Start(ctx, server.Config{DataDir: o.DataDir, SweepEvery: time.Hour})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	svc := srv.Svc
	b, err := newBenchVenue(ctx, svc, "44030002", "On-sale Stadium")
	if err != nil {
		return nil, err
	}
	// Abandoned holds lapse after the shortest hold time allowed.
	if _, err := svc.PutChannelSettings(ctx, b.admin, sales.ChannelSettings{Channel: sales.ChannelPOS, HoldTTLSec: 30}); err != nil {
		return nil, err
	}
	stadium, err := svc.CreateHall(ctx, b.admin, b.venue.ID, sales.NewHall{Code: "STADIUM", Name: "Stadium", Map: sectionedMap("S", o.StadiumSeats, 5000)})
	if err != nil {
		return nil, err
	}
	hall, err := svc.CreateHall(ctx, b.admin, b.venue.ID, sales.NewHall{Code: "HALL", Name: "Hall", Map: sectionedMap("H", o.HallSeats, max(o.HallSeats/2, 100))})
	if err != nil {
		return nil, err
	}
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	session := func(h sales.Hall, m *seatmap.Map, at time.Time) (onsaleSession, error) {
		ss, err := svc.CreateSession(ctx, b.admin, sales.NewSession{HallID: h.ID, EventID: b.event.ID, StartsAt: at, EndsAt: at.Add(3 * time.Hour), MinPriceCents: 1000, MaxPerOrder: 6})
		if err != nil {
			return onsaleSession{}, err
		}
		var tiers []sales.PriceTier
		for i, sec := range m.Sections {
			tiers = append(tiers, sales.PriceTier{Name: sec.Name, Section: sec.Code, PriceCents: int64(18000 - 2000*min(i, 6))})
		}
		set, err := svc.SetPrices(ctx, b.admin, ss.ID, tiers)
		if err != nil {
			return onsaleSession{}, err
		}
		s := onsaleSession{id: ss.ID}
		for _, t := range set {
			s.tiers = append(s.tiers, t.ID)
		}
		return s, nil
	}
	var rounds []onsaleRound
	for i := range 2 {
		at := start.Add(time.Duration(i) * 24 * time.Hour)
		var r onsaleRound
		if r.stadium, err = session(stadium, sectionedMap("S", o.StadiumSeats, 5000), at); err != nil {
			return nil, err
		}
		if r.hall, err = session(hall, sectionedMap("H", o.HallSeats, max(o.HallSeats/2, 100)), at); err != nil {
			return nil, err
		}
		rounds = append(rounds, r)
	}
	return rounds, nil
}

// sectionedMap is n seats in sections of up to per seats, rows of 100.
func sectionedMap(prefix string, n, per int) *seatmap.Map {
	m := &seatmap.Map{}
	cols := min(100, n)
	for sec := 0; sec*per < n; sec++ {
		code := fmt.Sprintf("%s%02d", prefix, sec+1)
		m.Sections = append(m.Sections, seatmap.Section{Code: code, Name: "Section " + code})
		seats := min(per, n-sec*per)
		for i := range seats {
			r, c := i/cols+1, i%cols+1
			row := seatmap.RowLetters(r)
			m.Seats = append(m.Seats, seatmap.Seat{Section: code, Row: row, RowNo: r, Col: c,
				Label: fmt.Sprintf("%s-%s-%d", code, row, c), Type: seatmap.TypeStandard, State: seatmap.StateOK})
		}
	}
	return m
}

// phase is what one phase measured. Latencies are kept per goroutine and
// merged at the end.
type phase struct {
	elapsed                                time.Duration
	cpu                                    time.Duration
	orders, seats, reads                   atomic.Int64
	collisions, soldOut, declines, resends atomic.Int64
	abandons, best, chosen, card           atomic.Int64
	reconnects                             atomic.Int64
	errors                                 atomic.Int64

	mu       sync.Mutex
	purchase []time.Duration
	readLat  []time.Duration
	firstErr string
}

func (p *phase) keep(purchase, reads []time.Duration) {
	p.mu.Lock()
	p.purchase = append(p.purchase, purchase...)
	p.readLat = append(p.readLat, reads...)
	p.mu.Unlock()
}

func (p *phase) fail(what string, err error) {
	p.errors.Add(1)
	p.mu.Lock()
	if p.firstErr == "" {
		p.firstErr = what + ": " + err.Error()
	}
	p.mu.Unlock()
}

func (p *phase) purchases() []time.Duration     { return p.purchase }
func (p *phase) readLatencies() []time.Duration { return p.readLat }
func (p *phase) ordersPerSec() float64 {
	return float64(p.orders.Load()) / p.elapsed.Seconds()
}
func (p *phase) readsPerSec() float64 { return float64(p.reads.Load()) / p.elapsed.Seconds() }
func (p *phase) cpuPerOrder() float64 {
	return float64(p.cpu.Microseconds()) / float64(max(p.orders.Load(), 1))
}

func (p *phase) line(name string) string {
	s := fmt.Sprintf("%s: orders=%d orders_per_s=%.0f p50_ms=%.1f p99_ms=%.1f seats=%d collisions=%d sold_out=%d best_available=%d chosen_from_map=%d abandoned=%d card=%d declined=%d resent=%d reconnects=%d reads=%d reads_per_s=%.0f read_p50_ms=%.1f read_p99_ms=%.1f server_cpu_s=%.1f server_cpu_us_per_order=%.0f errors=%d",
		name, p.orders.Load(), p.ordersPerSec(), ms(percentile(p.purchase, 50)), ms(percentile(p.purchase, 99)), p.seats.Load(),
		p.collisions.Load(), p.soldOut.Load(), p.best.Load(), p.chosen.Load(), p.abandons.Load(), p.card.Load(), p.declines.Load(), p.resends.Load(), p.reconnects.Load(),
		p.reads.Load(), p.readsPerSec(), ms(percentile(p.readLat, 50)), ms(percentile(p.readLat, 99)), p.cpu.Seconds(), p.cpuPerOrder(), p.errors.Load())
	if p.firstErr != "" {
		s += "\n  first error: " + p.firstErr
	}
	return s
}

// runPhase runs buyers (and, when mixed, watchers and the realistic mix)
// against one round of sessions for o.Duration.
func runPhase(ctx context.Context, cloud *cloudProcess, c *Client, o OnsaleOptions, r onsaleRound, mixed bool) (*phase, error) {
	p := &phase{}
	sessions := []*onsaleSession{&r.stadium, &r.hall}
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	if mixed {
		for i := range o.Watchers {
			ready.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				watchSeatMap(runCtx, c, sessions[i%2].id, p, ready.Done)
			}()
		}
	}
	ready.Wait() // every watcher has its map before the buying starts
	cpu0, err := cloud.CPU()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var pairs *pairQueue
	if !mixed {
		pairs = newPairQueue(sessions)
	}
	for b := range o.Buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(b), uint64(time.Now().UnixNano())))
			by := &buyer{id: b, c: c, p: p, r: rng, maps: map[int64]*mapCopy{}}
			if mixed {
				by.mixed(runCtx, sessions)
			} else {
				by.easy(runCtx, pairs)
			}
			p.keep(by.purchase, by.readLat)
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	cpu1, err := cloud.CPU()
	if err != nil {
		return nil, err
	}
	p.cpu = cpu1 - cpu0
	return p, nil
}

// pairQueue hands the baseline's buyers adjacent pairs nobody else wants.
type pairQueue struct {
	mu    sync.Mutex
	pairs [][2]int64
	sid   []int64
}

func newPairQueue(sessions []*onsaleSession) *pairQueue {
	q := &pairQueue{}
	for _, s := range sessions {
		for i := 0; i+1 < len(s.seats); i += 2 {
			if s.seats[i].RowNo == s.seats[i+1].RowNo && s.seats[i].Section == s.seats[i+1].Section {
				q.pairs = append(q.pairs, [2]int64{s.seats[i].SeatID, s.seats[i+1].SeatID})
				q.sid = append(q.sid, s.id)
			}
		}
	}
	rand.Shuffle(len(q.pairs), func(i, j int) {
		q.pairs[i], q.pairs[j] = q.pairs[j], q.pairs[i]
		q.sid[i], q.sid[j] = q.sid[j], q.sid[i]
	})
	return q
}

func (q *pairQueue) next() (int64, []int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.pairs)
	if n == 0 {
		return 0, nil, false
	}
	pr, sid := q.pairs[n-1], q.sid[n-1]
	q.pairs, q.sid = q.pairs[:n-1], q.sid[:n-1]
	return sid, pr[:], true
}

// buyer is one simulated buyer (a browser or a POS) with its own copies
// of the seat maps it looked at.
type buyer struct {
	id       int
	c        *Client
	p        *phase
	r        *rand.Rand
	maps     map[int64]*mapCopy
	purchase []time.Duration
	readLat  []time.Duration
	n        int
}

type mapCopy struct {
	version int64
	codes   []byte
}

// call makes one request; an answer with a status in expect is returned
// as *APIError for the caller to count, anything else failing is an error.
//
// A purchase under way when the phase ends is finished, as a real buyer's
// would be: requests do not end with the phase.
func (b *buyer) call(ctx context.Context, what, method, path string, in, out any, expect ...int) (*APIError, bool) {
	err := b.c.Do(context.WithoutCancel(ctx), method, path, in, out)
	if err == nil {
		return nil, true
	}
	var ae *APIError
	if errors.As(err, &ae) && slices.Contains(expect, ae.Status) {
		return ae, false
	}
	b.p.fail(what, err)
	return nil, false
}

// easy is the baseline: hold a pair nobody else wants, confirm, pay cash.
func (b *buyer) easy(ctx context.Context, q *pairQueue) {
	for ctx.Err() == nil {
		sid, ids, ok := q.next()
		if !ok {
			return
		}
		t0 := time.Now()
		var h sales.Hold
		if ae, ok := b.call(ctx, "hold", "POST", "/api/v1/holds", sales.HoldRequest{SessionID: sid, Channel: sales.ChannelPOS, SeatIDs: ids}, &h, 409); !ok {
			if ae != nil {
				b.p.collisions.Add(1)
			}
			continue
		}
		if b.checkout(ctx, h, "cash", t0) {
			continue
		}
	}
}

// mixed is the on-sale buyer: half ask for the best seats of a level,
// half choose free seats from the map they see; some abandon their hold;
// some pay by card, and some cards are declined first.
func (b *buyer) mixed(ctx context.Context, sessions []*onsaleSession) {
	for ctx.Err() == nil {
		s := sessions[0]
		if b.r.IntN(10) < 3 {
			s = sessions[1]
		}
		k := 1 + b.r.IntN(4)
		t0 := time.Now()
		var h sales.Hold
		held := false
		if b.r.IntN(2) == 0 {
			b.p.best.Add(1)
			tier := s.tiers[b.r.IntN(len(s.tiers))]
			ae, ok := b.call(ctx, "best-available hold", "POST", "/api/v1/holds", sales.HoldRequest{SessionID: s.id, Channel: sales.ChannelPOS, Count: k, TierID: tier}, &h, 409)
			if ae != nil {
				b.p.soldOut.Add(1)
			}
			held = ok
		} else {
			b.p.chosen.Add(1)
			for try := 0; try < 3 && !held && ctx.Err() == nil; try++ {
				if !b.refresh(ctx, s) {
					break
				}
				ids := b.pickFree(s, k)
				if ids == nil {
					b.p.soldOut.Add(1)
					break
				}
				ae, ok := b.call(ctx, "hold", "POST", "/api/v1/holds", sales.HoldRequest{SessionID: s.id, Channel: sales.ChannelPOS, SeatIDs: ids}, &h, 409)
				if ae != nil {
					b.p.collisions.Add(1) // someone else was quicker: look again
				}
				held = ok
			}
		}
		if !held {
			continue
		}
		if b.r.IntN(10) == 0 {
			b.p.abandons.Add(1)
			if b.r.IntN(2) == 0 { // walks away; the other half lets it lapse
				b.call(ctx, "release", "DELETE", fmt.Sprintf("/api/v1/holds/%d", h.ID), nil, nil)
			}
			continue
		}
		method := "cash"
		if b.r.IntN(10) < 4 {
			method = "card"
		}
		b.checkout(ctx, h, method, t0)
	}
}

// checkout confirms a hold and pays it; it reports a paid order.
func (b *buyer) checkout(ctx context.Context, h sales.Hold, method string, t0 time.Time) bool {
	var o sales.Order
	if _, ok := b.call(ctx, "confirm", "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID}, &o); !ok {
		return false
	}
	pay := fmt.Sprintf("/api/v1/orders/%d/payments", o.ID)
	if method == "cash" {
		if _, ok := b.call(ctx, "pay cash", "POST", pay, sales.PaymentRequest{Method: "cash"}, &o); !ok {
			return false
		}
	} else {
		b.p.card.Add(1)
		b.n++
		key := fmt.Sprintf("bench-%d-%d", b.id, b.n)
		if b.r.IntN(5) == 0 { // a declined card first, then another
			ae, ok := b.call(ctx, "pay declined card", "POST", pay, map[string]string{"method": "card", "card_token": "tok_decline", "idempotency_key": key + "-a"}, nil, 402)
			if ae == nil {
				if ok {
					b.p.fail("pay declined card", errors.New("a declined card was accepted"))
				}
				return false
			}
			b.p.declines.Add(1)
		}
		body := map[string]string{"method": "card", "card_token": "tok_approve", "idempotency_key": key + "-b"}
		if _, ok := b.call(ctx, "pay card", "POST", pay, body, &o); !ok {
			return false
		}
		if b.r.IntN(4) == 0 { // a client that timed out sends the same payment again
			var again sales.Order
			if _, ok := b.call(ctx, "pay card again", "POST", pay, body, &again); !ok {
				return false
			}
			if again.ID != o.ID || again.Status != sales.OrderPaid || len(again.Tickets) != len(o.Tickets) {
				b.p.fail("pay card again", fmt.Errorf("a resent payment answered order %d %s with %d tickets", again.ID, again.Status, len(again.Tickets)))
				return false
			}
			b.p.resends.Add(1)
		}
	}
	if o.Status != sales.OrderPaid || len(o.Tickets) != len(h.Seats) {
		b.p.fail("pay", fmt.Errorf("order %d is %s with %d tickets for %d seats", o.ID, o.Status, len(o.Tickets), len(h.Seats)))
		return false
	}
	b.purchase = append(b.purchase, time.Since(t0))
	b.p.orders.Add(1)
	b.p.seats.Add(int64(len(o.Tickets)))
	return true
}

// refresh brings the buyer's copy of the map up to date: the changes since
// the version it has, or the whole map the first time.
func (b *buyer) refresh(ctx context.Context, s *onsaleSession) bool {
	m := b.maps[s.id]
	path := fmt.Sprintf("/api/v1/sessions/%d/availability", s.id)
	if m != nil {
		path += fmt.Sprintf("?since=%d", m.version)
	}
	t0 := time.Now()
	var d avail.Document
	if _, ok := b.call(ctx, "read seat map", "GET", path, nil, &d); !ok {
		return false
	}
	b.readLat = append(b.readLat, time.Since(t0))
	b.p.reads.Add(1)
	if m == nil {
		m = &mapCopy{}
		b.maps[s.id] = m
	}
	codes, v, err := d.Follow(m.codes, m.version)
	if err != nil {
		b.p.fail("follow seat map", err)
		return false
	}
	m.codes, m.version = codes, v
	return true
}

// pickFree chooses k adjacent free seats in one row, starting the search
// at a random seat, as a person scanning a map would.
func (b *buyer) pickFree(s *onsaleSession, k int) []int64 {
	codes := b.maps[s.id].codes
	n := len(codes)
	start := b.r.IntN(n)
	for off := 0; off < n; off++ {
		i := (start + off) % n
		if i+k > n {
			continue
		}
		ok := true
		for j := i; j < i+k; j++ {
			if codes[j] != 'A' || (j > i && (s.seats[j].RowNo != s.seats[i].RowNo || s.seats[j].Section != s.seats[i].Section || s.seats[j].Col != s.seats[j-1].Col+1)) {
				ok = false
				break
			}
		}
		if ok {
			ids := make([]int64, k)
			for j := range ids {
				ids[j] = s.seats[i+j].SeatID
			}
			return ids
		}
	}
	return nil
}

// watchSeatMap follows a session's map as a screen does, over the
// server-sent events stream, until ctx ends; every delta must continue from
// the version before it. Like a phone on a train, it drops its connection
// every few seconds and comes back with the version it has (?since=),
// getting what it missed. ready is called once the whole map is in.
func watchSeatMap(ctx context.Context, c *Client, sid int64, p *phase, ready func()) {
	once := sync.OnceFunc(ready)
	defer once()
	w := &watcher{c: c, sid: sid, p: p, ready: once}
	defer func() { p.keep(nil, w.lat) }()
	rng := rand.New(rand.NewPCG(uint64(sid), uint64(time.Now().UnixNano())))
	for ctx.Err() == nil {
		connCtx, cancel := context.WithTimeout(ctx, time.Duration(3000+rng.IntN(5000))*time.Millisecond)
		err := w.follow(connCtx)
		cancel()
		if err != nil && ctx.Err() == nil {
			p.fail("watch", err)
			return
		}
		if ctx.Err() == nil {
			p.reconnects.Add(1)
		}
	}
}

// watcher is one screen's copy of a map.
type watcher struct {
	c       *Client
	sid     int64
	p       *phase
	ready   func()
	codes   []byte
	version int64
	lat     []time.Duration
}

// follow reads one connection of the stream until ctx ends (not an error)
// or the stream breaks (an error).
func (w *watcher) follow(ctx context.Context) error {
	url := fmt.Sprintf("%s/api/v1/sessions/%d/availability/stream", w.c.Base, w.sid)
	if w.codes != nil {
		url += fmt.Sprintf("?since=%d", w.version)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.c.Token)
	// The stream outlives any request timeout.
	resp, err := (&http.Client{Transport: w.c.HTTP.Transport}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	first := true
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event != "":
			var d avail.Document
			if err := json.Unmarshal([]byte(line[len("data: "):]), &d); err != nil {
				return err
			}
			if w.codes, w.version, err = d.Follow(w.codes, w.version); err != nil {
				return err
			}
			if event == "delta" {
				// A catch-up after a reconnect is a read, but its changes
				// waited for the watcher, not for the cloud.
				if !first {
					w.lat = append(w.lat, time.Since(time.UnixMicro(d.AtUS)))
				}
				w.p.reads.Add(1)
			}
			first = false
			w.ready()
			event = ""
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("the stream ended: %v", sc.Err())
}

// countTickets opens the cloud's database once the cloud has stopped and
// counts seats sold more than once and valid tickets.
func countTickets(ctx context.Context, path string) (oversold, valid int, err error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	return countSold(ctx, st.DB())
}
