package loadgen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/agency/agencyclient"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// AgencyOptions tunes `admit bench agency`.
type AgencyOptions struct {
	Buyers   int           // concurrent sellers on each path
	Duration time.Duration // each path's run
	Sessions int           // sessions per path, 5,000 seats each
	// CloudCommand is `admit bench-cloud`; the bench adds -data.
	CloudCommand []string
}

// RunAgencyBench measures selling through the agency interface against
// the box office's path in the same run, on one cloud in its own process:
// first clerks hold, confirm and pay cash for pairs of seats (the sales
// bench's model) on half the sessions; then agencies' systems order pairs
// on the other half, each order with a fresh Idempotency-Key, a tenth of
// them sent again with the same key (an answer lost on the way), and some
// seats handed to two sellers (a lost race is a decline), while a greedy
// agency polls its sessions far above its key's rate. Afterwards the
// database must hold exactly one order per key that succeeded. Last line:
//
//	agency: orders_per_s=N p99_ms=N doubled=0 limited=N pos_orders_per_s=N ratio=N
func RunAgencyBench(ctx context.Context, o AgencyOptions, w io.Writer) error {
	dir, err := os.MkdirTemp("", "admit-agency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	seed, err := seedAgency(ctx, dir, 2*o.Sessions)
	if err != nil {
		return err
	}
	cloud, err := startCloud(ctx, append(append([]string{}, o.CloudCommand...), "-data", dir), os.Stderr)
	if err != nil {
		return err
	}
	defer cloud.Stop()
	fmt.Fprintf(w, "cloud %s in its own process, %d+%d sessions x 5000 seats, %d sellers for %s on each path\n",
		cloud.URL, o.Sessions, o.Sessions, o.Buyers, o.Duration)

	clerk := &Client{Base: cloud.URL, HTTP: NewHTTPClient(2)}
	if err := clerk.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return err
	}
	pos, err := Sales(ctx, SalesConfig{Buyers: o.Buyers, Duration: o.Duration, Baseline: time.Second, Sessions: seed.sessions[:o.Sessions],
		Token: clerk.Token, Base: cloud.URL})
	if err != nil {
		return fmt.Errorf("box office: %w", err)
	}
	fmt.Fprintf(w, "box office: orders_per_s=%.0f p99_ms=%.1f lost_races=%d errors=%d\n", pos.OrdersPerSec, ms(pos.P99), pos.Conflicts, pos.Errors)

	res, err := agencyRun(ctx, o, cloud.URL, seed, clerk)
	if err != nil {
		return err
	}
	if err := cloud.Stop(); err != nil {
		return err
	}
	orders, keys, err := agencyOrders(ctx, dir)
	if err != nil {
		return err
	}
	// Doubled: a retry answered with another order, or a key with more
	// than one order in the database.
	doubled := res.doubled + orders - keys
	fmt.Fprintf(w, "agency: %d orders (%d retried and answered the same), %d declined as lost races, %d in flight, %d errors; db: %d orders over %d keys\n",
		res.made, res.replayed, res.declined, res.inFlight, res.errors, orders, keys)
	fmt.Fprintf(w, "agency: orders_per_s=%.0f p99_ms=%.1f doubled=%d limited=%d pos_orders_per_s=%.0f ratio=%.2f\n",
		res.perSec, ms(res.p99), doubled, res.limited, pos.OrdersPerSec, res.perSec/pos.OrdersPerSec)
	if doubled != 0 || res.errors != 0 {
		return fmt.Errorf("bench agency: doubled=%d errors=%d", doubled, res.errors)
	}
	if orders != res.made {
		// An order the agency was not told of, or one it was told of and
		// the database does not hold.
		return fmt.Errorf("bench agency: the agencies were answered %d orders, the database holds %d", res.made, orders)
	}
	return nil
}

type agencySeed struct {
	sessions      []int64
	token, greedy string
}

func seedAgency(ctx context.Context, dir string, sessions int) (agencySeed, error) {
	var s agencySeed
	srv, err := server.Start(ctx, server.Config{DataDir: dir, SweepEvery: time.Minute})
	if err != nil {
		return s, err
	}
	defer srv.Close()
	admin, err := benchTenant(ctx, srv.Svc)
	if err != nil {
		return s, err
	}
	if s.sessions, err = seedBenchFor(ctx, srv.Svc, admin, sessions); err != nil {
		return s, err
	}
	for i, a := range []agency.Agency{
		{Code: "bench", Name: "Bench Tickets", Enabled: true, CommissionBP: 300, ServiceFeeCents: 500, RatePerSecond: 10_000},
		{Code: "greedy", Name: "Greedy Tickets", Enabled: true, RatePerSecond: 20},
	} {
		made, err := srv.Agencies.Create(ctx, admin, a)
		if err != nil {
			return s, err
		}
		k, err := srv.Agencies.IssueKey(ctx, admin, made.ID, "bench")
		if err != nil {
			return s, err
		}
		if i == 0 {
			s.token = k.Token
		} else {
			s.greedy = k.Token
		}
	}
	return s, nil
}

type agencyResult struct {
	made, replayed, declined, inFlight, errors, doubled, limited int
	perSec                                                       float64
	p99                                                          time.Duration
}

func agencyRun(ctx context.Context, o AgencyOptions, base string, seed agencySeed, clerk *Client) (agencyResult, error) {
	var res agencyResult
	httpc := NewHTTPClient(o.Buyers + 2)
	cl := &agencyclient.Client{Base: base, Key: seed.token, HTTP: httpc}
	// Pairs of neighbours, shuffled, a few handed out twice (lost races).
	type job struct {
		sid  int64
		a, b int64
	}
	var queue []job
	for _, sid := range seed.sessions[o.Sessions:] {
		var seats []sales.SessionSeat
		if err := clerk.Do(ctx, "GET", fmt.Sprintf("/api/v1/sessions/%d/seats", sid), nil, &seats); err != nil {
			return res, err
		}
		for i := 0; i+1 < len(seats); i += 2 {
			if seats[i].RowNo == seats[i+1].RowNo {
				queue = append(queue, job{sid, seats[i].SeatID, seats[i+1].SeatID})
			}
		}
	}
	mrand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	for i := 0; i < len(queue)/100; i++ {
		queue = append(queue, queue[mrand.IntN(len(queue))])
	}
	var mu sync.Mutex
	next := func() (job, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(queue) == 0 {
			return job{}, false
		}
		j := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		return j, true
	}

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var made, replayed, declined, inFlight, errs, doubled, limited atomic.Int64
	// The greedy agency polls 100 times a second, ignoring Retry-After;
	// its key allows 20/s.
	greedy := &agencyclient.Client{Base: base, Key: seed.greedy, HTTP: httpc}
	var gwg sync.WaitGroup
	gwg.Add(1)
	go func() {
		defer gwg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for runCtx.Err() == nil {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
			}
			_, err := greedy.Sessions(runCtx)
			var e *agencyclient.Error
			if errors.As(err, &e) && e.Status == 429 {
				limited.Add(1)
			}
		}
	}()
	lat := make([][]time.Duration, o.Buyers)
	start := time.Now()
	var wg sync.WaitGroup
	for b := range o.Buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				j, ok := next()
				if !ok {
					return
				}
				key := rand.Text()
				req := agencyclient.OrderRequest{SessionID: j.sid, SeatIDs: []int64{j.a, j.b}, Reference: key[:12]}
				t0 := time.Now()
				order, _, err := cl.Order(ctx, key, req)
				var e *agencyclient.Error
				switch {
				case errors.As(err, &e) && e.Code == "seats_unavailable":
					declined.Add(1)
					continue
				case err != nil:
					errs.Add(1)
					continue
				}
				lat[b] = append(lat[b], time.Since(t0))
				made.Add(1)
				if mrand.IntN(10) != 0 {
					continue
				}
				// The answer was lost: the agency sends the order again.
				again, replay, err := cl.Order(ctx, key, req)
				switch {
				case errors.As(err, &e) && e.Code == sales.CodeKeyInFlight:
					inFlight.Add(1)
				case err != nil:
					errs.Add(1)
				case !replay || again.ID != order.ID:
					doubled.Add(1)
				default:
					replayed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	gwg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	res = agencyResult{made: int(made.Load()), replayed: int(replayed.Load()), declined: int(declined.Load()), inFlight: int(inFlight.Load()),
		errors: int(errs.Load()), doubled: int(doubled.Load()), limited: int(limited.Load()),
		perSec: float64(made.Load()) / elapsed.Seconds(), p99: percentile(all, 99)}
	return res, nil
}

// agencyOrders counts, in the stopped cloud's database, the agency's
// orders and the distinct keys they were made under.
func agencyOrders(ctx context.Context, dir string) (orders, keys int, err error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "admit.db"), sqlite.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	err = st.DB().QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT payment_key) FROM orders WHERE payment_method = 'agency' AND party = ?`,
		agency.PartyOf(1)).Scan(&orders, &keys)
	return orders, keys, err
}
