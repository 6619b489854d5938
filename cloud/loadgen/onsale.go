package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	// CloudCommand starts the cloud as its own process (BenchCloud); the
	// bench appends -data DIR (and -cpuprofile FILE). It must print
	// "SYNCHRONOUS <mode>" and "URL <url>" once it serves.
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
// watchers following the maps live and a realistic mix. Each phase sells
// sessions of its own, so the mixed phase starts on empty maps too. Its
// last line is
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
	st, hl := rounds[0].stadium, rounds[0].hall
	fmt.Fprintf(w, "cloud %s in its own process (pid %d), data %s (synchronous=%s), seeded in %s\n",
		cloud.URL, cloud.cmd.Process.Pid, o.DataDir, cloud.Synchronous, time.Since(t0).Round(time.Millisecond))
	fmt.Fprintf(w, "each phase sells its own sessions: a stadium of %d seats and a hall of %d, priced in %d and %d levels; pos holds last %ds\n",
		len(st.seats), len(hl.seats), len(st.tiers), len(hl.tiers), onsaleHoldTTL)
	fmt.Fprintf(w, "%d buyers (split over the sessions by seats); %d watchers in the mixed phase; %s a phase\n", o.Buyers, o.Watchers, o.Duration)

	base, err := runPhase(ctx, cloud, c, o, rounds[0], false)
	if err != nil {
		return err
	}
	fmt.Fprint(w, base.report("buyers only"))
	mixed, err := runPhase(ctx, cloud, c, o, rounds[1], true)
	if err != nil {
		return err
	}
	fmt.Fprint(w, mixed.report("mixed"))

	// A connection the client dialled but never used keeps the cloud's
	// shutdown waiting: hang up first (see server.Close).
	c.HTTP.CloseIdleConnections()
	stopErr := cloud.Stop() // the process has ended either way
	cloud = nil
	if stopErr != nil {
		fmt.Fprintf(w, "ERROR: the cloud process did not stop cleanly on SIGTERM: %v\n", stopErr)
	}
	db, err := checkDatabase(ctx, filepath.Join(o.DataDir, "admit.db"), append(base.told, mixed.told...))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "database: %d paid orders with %d valid tickets; buyers were told of %d orders; oversold seats %d; mismatches %d\n",
		db.paidOrders, db.tickets, len(base.told)+len(mixed.told), db.oversold, len(db.problems))
	for i, pr := range db.problems {
		if i == 5 {
			fmt.Fprintf(w, "ERROR: ... and %d more\n", len(db.problems)-i)
			break
		}
		fmt.Fprintln(w, "ERROR:", pr)
	}
	errs := base.errors.Load() + mixed.errors.Load() + int64(len(db.problems))
	if stopErr != nil {
		errs++
	}
	ratio := mixed.ordersPerSec() / max(base.ordersPerSec(), 1)
	fmt.Fprintf(w, "mixed / buyers only = %.2f\n", ratio)
	fmt.Fprintf(w, "onsale: orders_per_s=%.0f p99_ms=%.1f buyers_only_orders_per_s=%.0f reads_per_s=%.0f read_p99_ms=%.1f server_cpu_us_per_order=%.0f errors=%d oversold=%d\n",
		mixed.ordersPerSec(), ms(percentile(mixed.purchase, 99)), base.ordersPerSec(), mixed.readsPerSec(),
		ms(percentile(mixed.readLatencies(), 99)), mixed.cpuPerOrder(), errs, db.oversold)
	if errs != 0 || db.oversold != 0 {
		return fmt.Errorf("bench onsale: errors=%d oversold=%d", errs, db.oversold)
	}
	return nil
}

// soldOutShare is the share of a phase's seats sold at which the mixed
// phase counts its sessions sold out (abandoned holds keep a few percent
// off sale until they lapse).
const soldOutShare = 0.9

// onsaleHoldTTL is the pos channel's hold time in the bench: the shortest
// the service allows, so that holds buyers walk away from lapse while the
// cloud runs (within the phase when a phase lasts longer than this).
const onsaleHoldTTL = 30

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
	if _, err := svc.PutChannelSettings(ctx, b.admin, sales.ChannelSettings{Channel: sales.ChannelPOS, HoldTTLSec: onsaleHoldTTL}); err != nil {
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

// phase is what one phase measured. Latencies and orders are kept per
// goroutine and merged at the end.
type phase struct {
	deadline time.Time // buying stops; purchases under way finish
	elapsed  time.Duration
	cpu      time.Duration
	// writer is the CPU of the store's one writer thread in the phase
	// (writerKnown false: the cloud's store does not report it).
	writer      time.Duration
	writerKnown bool
	// The mixed phase also stops when its sessions are all but sold out
	// (soldOutAt seats sold): past that, buyers only hear "sold out", and
	// orders a second would measure the seats left, not the cloud.
	soldOutAt int64
	stop      context.CancelFunc
	sellOut   atomic.Bool

	orders, seats, reads                      atomic.Int64
	collisions, contended, soldOut            atomic.Int64
	declines, resends                         atomic.Int64
	abandons, released, lapsing, lapsedInTime atomic.Int64
	best, chosen, card                        atomic.Int64
	reconnects                                atomic.Int64
	errors                                    atomic.Int64

	mu       sync.Mutex
	purchase []time.Duration
	getLat   []time.Duration // seat-map reads by buyers
	liveLat  []time.Duration // live updates, from the cloud's map to a watcher
	told     []toldOrder
	refused  map[string]int64 // expected refusals by request, status and code
	firstErr string
}

// toldOrder is an order a buyer was told is paid.
type toldOrder struct {
	id      int64
	method  string
	tickets int
}

func (p *phase) keep(by *buyer, live []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.liveLat = append(p.liveLat, live...)
	if by != nil {
		p.purchase = append(p.purchase, by.purchase...)
		p.getLat = append(p.getLat, by.readLat...)
		p.told = append(p.told, by.told...)
	}
}

func (p *phase) fail(what string, err error) {
	p.errors.Add(1)
	p.mu.Lock()
	if p.firstErr == "" {
		p.firstErr = what + ": " + err.Error()
	}
	p.mu.Unlock()
}

func (p *phase) refusal(what string, a answer) {
	p.mu.Lock()
	if p.refused == nil {
		p.refused = map[string]int64{}
	}
	p.refused[fmt.Sprintf("%s %d %s", what, a.status, a.code)]++
	p.mu.Unlock()
}

func (p *phase) readLatencies() []time.Duration { return append(slices.Clone(p.getLat), p.liveLat...) }
func (p *phase) ordersPerSec() float64 {
	return float64(p.orders.Load()) / p.elapsed.Seconds()
}
func (p *phase) readsPerSec() float64 { return float64(p.reads.Load()) / p.elapsed.Seconds() }
func (p *phase) cpuPerOrder() float64 { return p.perOrder(p.cpu) }
func (p *phase) perOrder(d time.Duration) float64 {
	return float64(d.Microseconds()) / float64(max(p.orders.Load(), 1))
}

// writerShare is the phase line's account of the store's writer thread:
// how much of the server's CPU per order it alone spent (the committer;
// every sale waits for it).
func (p *phase) writerShare() string {
	if !p.writerKnown {
		return ""
	}
	return fmt.Sprintf(" writer_cpu_us_per_order=%.0f", p.perOrder(p.writer))
}

// report is the phase's line, and the refusals the workload expected.
func (p *phase) report(name string) string {
	reads := p.readLatencies()
	s := fmt.Sprintf("%s: elapsed_s=%.1f orders=%d orders_per_s=%.0f p50_ms=%.1f p99_ms=%.1f seats=%d "+
		"best_available=%d chosen_from_map=%d collisions=%d contended=%d sold_out=%d "+
		"abandoned=%d released=%d left_to_lapse=%d lapsed_in_phase=%d card=%d declined=%d resent=%d "+
		"reads=%d reads_per_s=%.0f read_p50_ms=%.1f read_p99_ms=%.1f map_get_p99_ms=%.1f live_p99_ms=%.1f reconnects=%d "+
		"server_cpu_s=%.1f server_cpu_us_per_order=%.0f%s errors=%d\n",
		name, p.elapsed.Seconds(), p.orders.Load(), p.ordersPerSec(), ms(percentile(p.purchase, 50)), ms(percentile(p.purchase, 99)), p.seats.Load(),
		p.best.Load(), p.chosen.Load(), p.collisions.Load(), p.contended.Load(), p.soldOut.Load(),
		p.abandons.Load(), p.released.Load(), p.lapsing.Load(), p.lapsedInTime.Load(), p.card.Load(), p.declines.Load(), p.resends.Load(),
		p.reads.Load(), p.readsPerSec(), ms(percentile(reads, 50)), ms(percentile(reads, 99)), ms(percentile(p.getLat, 99)), ms(percentile(p.liveLat, 99)), p.reconnects.Load(),
		p.cpu.Seconds(), p.cpuPerOrder(), p.writerShare(), p.errors.Load())
	if p.sellOut.Load() {
		s += fmt.Sprintf("  %.0f%% of the seats were sold after %.1fs: the phase stopped there, as buyers would hear only \"sold out\"\n", soldOutShare*100, p.elapsed.Seconds())
	}
	if len(p.refused) > 0 {
		var kinds []string
		for k, n := range p.refused {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		slices.Sort(kinds)
		s += "  expected refusals: " + strings.Join(kinds, ", ") + "\n"
	}
	if p.firstErr != "" {
		s += "  first error: " + p.firstErr + "\n"
	}
	return s
}

// runPhase runs buyers (and, when mixed, watchers and the realistic mix)
// against one round of sessions for o.Duration.
func runPhase(ctx context.Context, cloud *cloudProcess, c *Client, o OnsaleOptions, r onsaleRound, mixed bool) (*phase, error) {
	p := &phase{}
	sessions := []*onsaleSession{&r.stadium, &r.hall}
	var wg, ready sync.WaitGroup
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	if mixed {
		for i := range o.Watchers {
			ready.Add(1)
			wg.Go(func() { watchSeatMap(watchCtx, c, sessions[i%2].id, p, ready.Done) })
		}
	}
	ready.Wait() // every watcher has its map before the buying starts
	cpu0, err := cloud.CPU()
	if err != nil {
		return nil, err
	}
	w0, wok0, err := writerCPU(ctx, c)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p.deadline = start.Add(o.Duration)
	runCtx, cancel := context.WithDeadline(watchCtx, p.deadline)
	defer cancel()
	if mixed {
		p.soldOutAt, p.stop = int64(float64(len(r.stadium.seats)+len(r.hall.seats))*soldOutShare), cancel
	}
	var parties *partyQueue
	if !mixed {
		parties = newPartyQueue(sessions, rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano()))))
	}
	var buyers sync.WaitGroup
	for b := range o.Buyers {
		buyers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(b), uint64(time.Now().UnixNano())))
			by := &buyer{id: b, c: c, p: p, r: rng, maps: map[int64]*mapCopy{}}
			if mixed {
				by.mixed(runCtx, sessions)
			} else {
				by.easy(runCtx, parties)
			}
			p.keep(by, nil)
		})
	}
	buyers.Wait()
	p.elapsed = time.Since(start)
	cpu1, err := cloud.CPU()
	if err != nil {
		return nil, err
	}
	p.cpu = cpu1 - cpu0
	w1, wok1, err := writerCPU(ctx, c)
	if err != nil {
		return nil, err
	}
	p.writer, p.writerKnown = w1-w0, wok0 && wok1
	stopWatching()
	wg.Wait()
	return p, nil
}

// partySize is how many seats one buyer wants: 1 to 4, the same in both
// phases, so that the baseline is the same buyers as the mix.
func partySize(r *rand.Rand) int { return 1 + r.IntN(4) }

// partyQueue hands the baseline's buyers blocks of adjacent seats nobody
// else wants, from both sessions in proportion to their seats. Each row is
// cut into blocks of partySize seats, so the baseline sells parties of the
// sizes the mixed phase's buyers ask for.
type partyQueue struct {
	mu      sync.Mutex
	parties []party
}

type party struct {
	sid   int64
	seats []int64
}

func newPartyQueue(sessions []*onsaleSession, r *rand.Rand) *partyQueue {
	q := &partyQueue{}
	for _, s := range sessions {
		for i := 0; i < len(s.seats); {
			k := partySize(r)
			ids := []int64{s.seats[i].SeatID}
			for j := i + 1; j < len(s.seats) && len(ids) < k && adjacent(s.seats[j-1], s.seats[j]); j++ {
				ids = append(ids, s.seats[j].SeatID)
			}
			i += len(ids)
			if len(ids) == k { // a row's end too short for this party is left
				q.parties = append(q.parties, party{s.id, ids})
			}
		}
	}
	r.Shuffle(len(q.parties), func(i, j int) { q.parties[i], q.parties[j] = q.parties[j], q.parties[i] })
	return q
}

// adjacent says whether b is the seat right of a in the same row.
func adjacent(a, b sales.SessionSeat) bool {
	return a.Section == b.Section && a.RowNo == b.RowNo && b.Col == a.Col+1
}

func (q *partyQueue) next() (party, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.parties)
	if n == 0 {
		return party{}, false
	}
	pt := q.parties[n-1]
	q.parties = q.parties[:n-1]
	return pt, true
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
	told     []toldOrder
	n        int
}

type mapCopy struct {
	version int64
	codes   []byte
}

// answer is a refusal the workload expects and counts: not an error.
type answer struct {
	status int
	code   string
}

// heldSeats and paidOrder are what a buyer checks of a hold and of an
// order. The cloud shares this machine with the load: decoding the rest
// too (every seat's label, every ticket's QR code) took a tenth of the
// load generator's CPU in the mixed phase.
type (
	heldSeats struct {
		ID        int64      `json:"id"`
		ExpiresAt time.Time  `json:"expires_at"`
		Seats     []struct{} `json:"seats"`
	}
	paidOrder struct {
		ID         int64             `json:"id"`
		Status     sales.OrderStatus `json:"status"`
		PaymentRef string            `json:"payment_ref"`
		Tickets    []struct{}        `json:"tickets"`
	}
)

var (
	seatsTaken     = answer{409, "seats_unavailable"} // chosen seats someone else got first
	seatsContended = answer{409, "seats_contended"}   // best-available lost its race; ask again
	soldOut        = answer{409, "sold_out"}          // no block of that size left in that level
	cardDeclined   = answer{402, "payment_declined"}
)

// call makes one request. An answer in expect is counted and returned for
// the caller to act on; any other failure (a 5xx, a transport error, a
// 4xx the workload does not expect) is an error of the phase.
//
// A purchase under way when the phase ends is finished, as a real buyer's
// would be: requests do not end with the phase.
func (b *buyer) call(ctx context.Context, what, method, path string, in, out any, expect ...answer) (answer, bool) {
	err := b.c.Do(context.WithoutCancel(ctx), method, path, in, out)
	if err == nil {
		return answer{}, true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if a := (answer{ae.Status, ae.Code}); slices.Contains(expect, a) {
			b.p.refusal(what, a)
			return a, false
		}
	}
	b.p.fail(what, err)
	return answer{}, false
}

// easy is the baseline: hold a party's seats nobody else wants, and sell
// them for cash.
func (b *buyer) easy(ctx context.Context, q *partyQueue) {
	for ctx.Err() == nil {
		pt, ok := q.next()
		if !ok {
			return
		}
		t0 := time.Now()
		var h heldSeats
		if _, ok := b.call(ctx, "hold", "POST", "/api/v1/holds", sales.HoldRequest{SessionID: pt.sid, Channel: sales.ChannelPOS, SeatIDs: pt.seats}, &h); ok {
			b.checkout(ctx, h, "cash", t0)
		}
	}
}

// mixed is the on-sale buyer: half ask for the best seats of a level,
// half choose free seats from the map they see; some abandon their hold;
// some pay by card, and some cards are declined first. Sessions are
// chosen in proportion to their seats, as the baseline's parties are, so
// that both phases put the same share of buyers on each.
func (b *buyer) mixed(ctx context.Context, sessions []*onsaleSession) {
	total := 0
	for _, s := range sessions {
		total += len(s.seats)
	}
	for ctx.Err() == nil {
		n := b.r.IntN(total)
		s := sessions[0]
		for _, s = range sessions {
			if n < len(s.seats) {
				break
			}
			n -= len(s.seats)
		}
		k := partySize(b.r)
		t0 := time.Now()
		var h heldSeats
		var held bool
		if b.r.IntN(2) == 0 {
			held = b.holdBest(ctx, s, k, &h)
		} else {
			held = b.holdChosen(ctx, s, k, &h)
		}
		if !held {
			continue
		}
		if b.r.IntN(10) == 0 {
			b.abandon(ctx, h)
			continue
		}
		method := "cash"
		if b.r.IntN(10) < 4 {
			method = "card"
		}
		b.checkout(ctx, h, method, t0)
	}
}

// holdBest asks for the best k adjacent seats of a random price level,
// again when the cloud says the seats it picked went to others meanwhile.
func (b *buyer) holdBest(ctx context.Context, s *onsaleSession, k int, h *heldSeats) bool {
	b.p.best.Add(1)
	tier := s.tiers[b.r.IntN(len(s.tiers))]
	for range 3 {
		a, ok := b.call(ctx, "best-available hold", "POST", "/api/v1/holds",
			sales.HoldRequest{SessionID: s.id, Channel: sales.ChannelPOS, Count: k, TierID: tier}, h, seatsContended, soldOut)
		switch a {
		case seatsContended:
			b.p.contended.Add(1)
			continue
		case soldOut:
			b.p.soldOut.Add(1)
		}
		return ok
	}
	return false
}

// holdChosen looks at its map, picks k free adjacent seats and holds
// them; when someone else was quicker it looks again and picks again,
// a few times before giving up.
func (b *buyer) holdChosen(ctx context.Context, s *onsaleSession, k int, h *heldSeats) bool {
	b.p.chosen.Add(1)
	for range 3 {
		if !b.refresh(ctx, s) {
			return false
		}
		ids := b.pickFree(s, k)
		if ids == nil {
			b.p.soldOut.Add(1)
			return false
		}
		a, ok := b.call(ctx, "hold", "POST", "/api/v1/holds", sales.HoldRequest{SessionID: s.id, Channel: sales.ChannelPOS, SeatIDs: ids}, h, seatsTaken)
		if ok {
			return true
		}
		if a != seatsTaken {
			return false
		}
		b.p.collisions.Add(1)
	}
	return false
}

// abandon walks away from a hold: half release it, half let it lapse.
func (b *buyer) abandon(ctx context.Context, h heldSeats) {
	b.p.abandons.Add(1)
	if b.r.IntN(2) == 0 {
		if _, ok := b.call(ctx, "release", "DELETE", fmt.Sprintf("/api/v1/holds/%d", h.ID), nil, nil); ok {
			b.p.released.Add(1)
		}
		return
	}
	b.p.lapsing.Add(1)
	if h.ExpiresAt.Before(b.p.deadline) {
		b.p.lapsedInTime.Add(1)
	}
}

// checkout confirms a hold and pays it; it reports a paid order. The
// purchase took from t0 until the answer that the order is paid.
func (b *buyer) checkout(ctx context.Context, h heldSeats, method string, t0 time.Time) bool {
	var o paidOrder
	var took time.Duration
	if method == "cash" {
		// The box office's sale: confirmed and paid in one request.
		req := sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}
		if _, ok := b.call(ctx, "sell cash", "POST", "/api/v1/orders", req, &o); !ok {
			return false
		}
		took = time.Since(t0)
	} else {
		// A card at the box office's terminal: charged with the order, in
		// the same request, each attempt under its own key.
		b.p.card.Add(1)
		b.n++
		key := fmt.Sprintf("bench-%d-%d", b.id, b.n)
		withCard := func(token, key string) sales.OrderRequest {
			return sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "card", CardToken: token, IdempotencyKey: key}}
		}
		if b.r.IntN(5) == 0 { // a declined card first, then another under a new key
			a, ok := b.call(ctx, "sell declined card", "POST", "/api/v1/orders", withCard("tok_decline", key+"-a"), nil, cardDeclined)
			if ok {
				b.p.fail("sell declined card", errors.New("a declined card was accepted"))
			}
			if a != cardDeclined {
				return false
			}
			b.p.declines.Add(1)
		}
		req := withCard("tok_approve", key+"-b")
		if _, ok := b.call(ctx, "sell card", "POST", "/api/v1/orders", req, &o); !ok {
			return false
		}
		took = time.Since(t0)
		if b.r.IntN(4) == 0 { // a client that timed out sends the same attempt again
			var again paidOrder
			if _, ok := b.call(ctx, "sell card again", "POST", "/api/v1/orders", req, &again); !ok {
				return false
			}
			if again.ID != o.ID || again.Status != sales.OrderPaid || again.PaymentRef != o.PaymentRef || len(again.Tickets) != len(o.Tickets) {
				b.p.fail("sell card again", fmt.Errorf("a resent payment answered order %d %s ref %q with %d tickets, first order %d %s ref %q with %d",
					again.ID, again.Status, again.PaymentRef, len(again.Tickets), o.ID, o.Status, o.PaymentRef, len(o.Tickets)))
				return false
			}
			b.p.resends.Add(1)
		}
	}
	if o.Status != sales.OrderPaid || len(o.Tickets) != len(h.Seats) {
		b.p.fail("pay", fmt.Errorf("order %d is %s with %d tickets for %d seats", o.ID, o.Status, len(o.Tickets), len(h.Seats)))
		return false
	}
	b.purchase = append(b.purchase, took)
	b.told = append(b.told, toldOrder{id: o.ID, method: method, tickets: len(o.Tickets)})
	b.p.orders.Add(1)
	if n := b.p.seats.Add(int64(len(o.Tickets))); b.p.soldOutAt > 0 && n >= b.p.soldOutAt && !b.p.sellOut.Swap(true) {
		b.p.stop()
	}
	return true
}

// refresh brings the buyer's copy of the map up to date: the changes since
// the version it has, or the whole map the first time (or when the cloud
// no longer has the changes since).
func (b *buyer) refresh(ctx context.Context, s *onsaleSession) bool {
	m := b.maps[s.id]
	path := fmt.Sprintf("/api/v1/sessions/%d/availability", s.id)
	if m != nil {
		path += fmt.Sprintf("?since=%d", m.version)
	}
	t0 := time.Now()
	var body []byte
	if _, ok := b.call(ctx, "read seat map", "GET", path, nil, &body); !ok {
		return false
	}
	b.readLat = append(b.readLat, time.Since(t0))
	b.p.reads.Add(1)
	d, err := avail.ParseDocument(body)
	if err != nil {
		b.p.fail("read seat map", fmt.Errorf("%s: %w", path, err))
		return false
	}
	if m == nil {
		if d.Seats == nil {
			b.p.fail("read seat map", fmt.Errorf("%s answered no seats", path))
			return false
		}
		m = &mapCopy{}
		b.maps[s.id] = m
	}
	codes, v, err := d.Follow(m.codes, m.version)
	if err != nil {
		b.p.fail("follow seat map", fmt.Errorf("%s: %w", path, err))
		return false
	}
	if len(codes) != len(s.seats) {
		b.p.fail("follow seat map", fmt.Errorf("%s: a map of %d seats, the session has %d", path, len(codes), len(s.seats)))
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
			if codes[j] != 'A' || (j > i && !adjacent(s.seats[j-1], s.seats[j])) {
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
// getting what it missed. ready is called once the whole map is in. A
// broken stream is an error, and that watcher stops.
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
		if err != nil {
			p.fail("watch", fmt.Errorf("session %d at version %d: %w", sid, w.version, err))
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
	err := w.read(ctx)
	if ctx.Err() != nil {
		// Hanging up may cut the last line short: not the cloud's doing.
		return nil
	}
	return err
}

func (w *watcher) read(ctx context.Context) error {
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
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(line[len("event: "):])
		case bytes.HasPrefix(line, []byte("data: ")) && event != "":
			d, err := avail.ParseDocument(line[len("data: "):])
			if err != nil {
				return fmt.Errorf("%s event: %w", event, err)
			}
			if event == "map" && d.Seats == nil || event == "delta" && d.Seats != nil {
				return fmt.Errorf("a %s event with seats=%v", event, d.Seats != nil)
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
	return fmt.Errorf("the stream ended: %v", sc.Err())
}

// dbCheck is what the cloud's database says once the cloud has stopped.
type dbCheck struct {
	oversold, tickets, paidOrders int
	problems                      []string
}

// checkDatabase opens the cloud's database once the cloud has stopped and
// holds it against what buyers were told: no seat sold twice, and exactly
// the orders buyers were told are paid, each paid as they paid with all
// its tickets valid. (Card charges live in the cloud process's payment
// simulator, out of reach: they are not counted.)
func checkDatabase(ctx context.Context, path string, told []toldOrder) (dbCheck, error) {
	var c dbCheck
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return c, err
	}
	defer st.Close()
	if c.oversold, c.tickets, err = countSold(ctx, st.DB()); err != nil {
		return c, err
	}
	want := make(map[int64]toldOrder, len(told))
	for _, o := range told {
		want[o.id] = o
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT o.id, o.payment_method, o.payment_ref,
		(SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'valid')
		FROM orders o WHERE o.status = 'paid' ORDER BY o.id`)
	if err != nil {
		return c, fmt.Errorf("read paid orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var method, ref string
		var n int
		if err := rows.Scan(&id, &method, &ref, &n); err != nil {
			return c, fmt.Errorf("read paid orders: %w", err)
		}
		c.paidOrders++
		o, ok := want[id]
		delete(want, id)
		switch {
		case !ok:
			c.problems = append(c.problems, fmt.Sprintf("order %d is paid in the database; no buyer was told so", id))
		case o.method != method || o.tickets != n:
			c.problems = append(c.problems, fmt.Sprintf("order %d: a buyer was told it was paid by %s with %d tickets; the database has %s with %d valid tickets", id, o.method, o.tickets, method, n))
		case method == "card" && ref == "":
			c.problems = append(c.problems, fmt.Sprintf("order %d is paid by card without a charge reference", id))
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("read paid orders: %w", err)
	}
	for _, o := range told {
		if _, ok := want[o.id]; ok {
			c.problems = append(c.problems, fmt.Sprintf("order %d: a buyer was told it was paid; the database has it unpaid", o.id))
		}
	}
	return c, nil
}

// writerMetric is the cloud's count of its writer thread's CPU seconds.
const writerMetric = "admit_store_writer_cpu_seconds_total"

// writerCPU reads how long the cloud's store writer thread has run, from
// its /metrics; ok is false when the store does not report it.
func writerCPU(ctx context.Context, c *Client) (d time.Duration, ok bool, err error) {
	var text []byte
	if err := c.Do(ctx, "GET", "/metrics", nil, &text); err != nil {
		return 0, false, fmt.Errorf("read the cloud's metrics: %w", err)
	}
	for line := range strings.Lines(string(text)) {
		v, found := strings.CutPrefix(strings.TrimSpace(line), writerMetric+" ")
		if !found {
			continue
		}
		sec, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false, fmt.Errorf("metrics: %s: %w", writerMetric, err)
		}
		return time.Duration(sec * float64(time.Second)), true, nil
	}
	return 0, false, nil
}
