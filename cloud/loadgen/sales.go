package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

// SalesConfig shapes a sales run.
type SalesConfig struct {
	Buyers   int           // concurrent simulated buyers
	Duration time.Duration // how long buyers buy
	Baseline time.Duration // how long the trivial endpoint is measured
	Sessions []int64       // sessions to sell
	Token    string        // a clerk's token
	Base     string        // cloud URL
	// AvailabilitySession is read repeatedly to measure availability reads.
	AvailabilitySession int64
	// ClientAddr, when set, is the buyers' address as a trusted proxy
	// names it (X-Forwarded-For), for the cloud's per-client limits.
	ClientAddr string
}

// SalesResult is what a run measured.
type SalesResult struct {
	Orders          int
	Conflicts       int // lost races for seats, retried with other seats
	Errors          int
	Elapsed         time.Duration
	OrdersPerSec    float64
	P50, P99        time.Duration
	BaselineRPS     float64
	AvailabilityRPS float64
	SeatsSold       map[int64][]int64 // session -> seat ids the buyers were sold
}

// Sales runs buyers that hold 2 adjacent seats, confirm and pay cash, over
// real HTTP, then measures a trivial endpoint and availability reads with
// the same concurrency for comparison.
func Sales(ctx context.Context, cfg SalesConfig) (SalesResult, error) {
	httpc := NewHTTPClient(cfg.Buyers)
	if cfg.ClientAddr != "" {
		httpc = ForwardedFor(httpc, cfg.ClientAddr)
	}
	c := &Client{Base: cfg.Base, Token: cfg.Token, HTTP: httpc}
	res := SalesResult{SeatsSold: map[int64][]int64{}}

	// Each session's seats, in rows, so buyers can pick neighbours.
	type pair struct{ a, b int64 }
	pairs := map[int64][]pair{}
	for _, sid := range cfg.Sessions {
		var seats []sales.SessionSeat
		if err := c.Do(ctx, "GET", fmt.Sprintf("/api/v1/sessions/%d/seats", sid), nil, &seats); err != nil {
			return res, fmt.Errorf("read seats of session %d: %w", sid, err)
		}
		for i := 0; i+1 < len(seats); i += 2 {
			if seats[i].RowNo == seats[i+1].RowNo {
				pairs[sid] = append(pairs[sid], pair{seats[i].SeatID, seats[i+1].SeatID})
			}
		}
	}
	// Buyers draw from one shuffled queue of pairs per session, like
	// clerks clicking different seats; a few are handed out twice on
	// purpose so the race path is exercised too.
	var mu sync.Mutex
	queue := []struct {
		sid int64
		p   pair
	}{}
	for _, sid := range cfg.Sessions {
		for _, p := range pairs[sid] {
			queue = append(queue, struct {
				sid int64
				p   pair
			}{sid, p})
		}
	}
	rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	for i := 0; i < len(queue)/100; i++ {
		queue = append(queue, queue[rand.IntN(len(queue))])
	}
	next := func() (int64, pair, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(queue) == 0 {
			return 0, pair{}, false
		}
		q := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		return q.sid, q.p, true
	}

	var orders, conflicts, errs atomic.Int64
	lat := make([][]time.Duration, cfg.Buyers)
	sold := make([]map[int64][]int64, cfg.Buyers)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for b := 0; b < cfg.Buyers; b++ {
		wg.Add(1)
		sold[b] = map[int64][]int64{}
		go func(b int) {
			defer wg.Done()
			for runCtx.Err() == nil {
				sid, p, ok := next()
				if !ok {
					return
				}
				t0 := time.Now()
				var h sales.Hold
				err := c.Do(ctx, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: sid, Channel: sales.ChannelPOS, SeatIDs: []int64{p.a, p.b}}, &h)
				var ae *APIError
				if errors.As(err, &ae) && ae.Status == 409 {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				var o sales.Order
				if err := c.Do(ctx, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID}, &o); err != nil {
					errs.Add(1)
					continue
				}
				if err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/orders/%d/payments", o.ID), sales.PaymentRequest{Method: "cash"}, &o); err != nil {
					errs.Add(1)
					continue
				}
				lat[b] = append(lat[b], time.Since(t0))
				sold[b][sid] = append(sold[b][sid], p.a, p.b)
				orders.Add(1)
			}
		}(b)
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Orders, res.Conflicts, res.Errors = int(orders.Load()), int(conflicts.Load()), int(errs.Load())
	res.OrdersPerSec = float64(res.Orders) / res.Elapsed.Seconds()
	var all []time.Duration
	for b := range lat {
		all = append(all, lat[b]...)
		for sid, ids := range sold[b] {
			res.SeatsSold[sid] = append(res.SeatsSold[sid], ids...)
		}
	}
	res.P50, res.P99 = percentile(all, 50), percentile(all, 99)

	var err error
	if res.BaselineRPS, err = hammer(ctx, c, cfg.Buyers, cfg.Baseline, "/api/v1/health"); err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	if cfg.AvailabilitySession != 0 {
		if res.AvailabilityRPS, err = hammer(ctx, c, cfg.Buyers, cfg.Baseline, fmt.Sprintf("/api/v1/sessions/%d/availability", cfg.AvailabilitySession)); err != nil {
			return res, fmt.Errorf("availability: %w", err)
		}
	}
	return res, nil
}

// hammer GETs path from n workers for d and returns requests per second.
func hammer(ctx context.Context, c *Client, n int, d time.Duration, path string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var count atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := c.Do(ctx, "GET", path, nil, nil); err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err })
					}
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds(), firstErr
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)]
}
