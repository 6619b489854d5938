package loadgen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/lottery"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// EventsOptions tunes `admit bench events`.
type EventsOptions struct {
	Readers    int           // concurrent anonymous shop readers (and health readers)
	Applicants int           // concurrent presale applicants
	Buyers     int           // real-name buyers racing over four IDs
	Duration   time.Duration // each timed phase
	DrawApps   int           // applications in the draw (1,000,000)
	DrawSeats  int           // tickets in the draw and seats in the match (100,000)
	// CloudCommand is `admit bench-cloud`; the bench adds -data.
	CloudCommand []string
}

// RunEventsBench measures a big event's public on-sale against a cloud in
// its own process: the shop's front and event pages read anonymously
// while buyers buy (against /health, the baseline, in the same run);
// presale applications with their identity checks and card
// authorisations, including retries, typos and declines; the draw of
// DrawApps applications for DrawSeats tickets and the seat matching of its
// winners in a DrawSeats-seat venue (in this process: pure functions);
// and a race of real-name buyers over the POS and the web naming a few
// IDs, after which over_limit counts tickets beyond any person's limit.
// Last line:
//
//	events: shop_page_rps=N shop_page_p99_ms=N apply_per_s=N draw_ms=N match_ms=N over_limit=N
func RunEventsBench(ctx context.Context, o EventsOptions, w io.Writer) error {
	dir, err := os.MkdirTemp("", "admit-events-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	seed, err := seedEvents(ctx, dir)
	if err != nil {
		return err
	}
	cloud, err := startCloud(ctx, append(append([]string{}, o.CloudCommand...), "-data", dir), os.Stderr)
	if err != nil {
		return err
	}
	defer cloud.Stop()

	anon := &Client{Base: cloud.URL, HTTP: NewHTTPClient(o.Readers)}
	health, err := timed(ctx, o.Readers, o.Duration, func(ctx context.Context, _, _ int) error {
		return anon.Do(ctx, "GET", "/api/v1/health", nil, nil)
	})
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	fmt.Fprintf(w, "health: rps=%.0f p99_ms=%.1f\n", health.rps(), ms(health.p99()))

	// The shop while two buyers keep buying pairs (so its catalogue moves).
	clerk := &Client{Base: cloud.URL, HTTP: NewHTTPClient(4)}
	if err := clerk.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return err
	}
	buyCtx, stopBuying := context.WithCancel(ctx)
	var bought atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for buyCtx.Err() == nil {
				var h sales.Hold
				if err := clerk.Do(buyCtx, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: seed.plain, Channel: sales.ChannelPOS, Count: 2}, &h); err != nil {
					return
				}
				if err := clerk.Do(buyCtx, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}, nil); err == nil {
					bought.Add(2)
				}
			}
		}()
	}
	pages := []string{"/api/v1/shop/bench", fmt.Sprintf("/api/v1/shop/bench/events/%d", seed.event)}
	for _, p := range pages { // the first build loads every session's seat map: a shop is warm
		if err := anon.Do(ctx, "GET", p, nil, nil); err != nil {
			stopBuying()
			wg.Wait()
			return fmt.Errorf("shop page %s: %w", p, err)
		}
	}
	shop, err := timed(ctx, o.Readers, o.Duration, func(ctx context.Context, _, i int) error {
		return anon.Do(ctx, "GET", pages[i%2], nil, nil)
	})
	stopBuying()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("shop pages: %w", err)
	}
	fmt.Fprintf(w, "shop: rps=%.0f p99_ms=%.1f ratio_to_health=%.2f (%d tickets sold meanwhile)\n", shop.rps(), ms(shop.p99()), shop.rps()/health.rps(), bought.Load())

	apply, err := applyPhase(ctx, o, cloud.URL, seed.presale)
	if err != nil {
		return fmt.Errorf("applications: %w", err)
	}
	fmt.Fprintf(w, "presale: applications_per_s=%.0f p99_ms=%.1f refused_as_expected=%d\n", apply.rps(), ms(apply.p99()), apply.refused)

	drawMS, matchMS, err := drawAndMatch(o.DrawApps, o.DrawSeats)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "lottery: draw of %d applications for %d tickets %.0f ms; %d-seat match %.0f ms\n", o.DrawApps, o.DrawSeats, drawMS, o.DrawSeats, matchMS)

	if err := realNameRace(ctx, o, cloud.URL, seed); err != nil {
		return fmt.Errorf("real-name race: %w", err)
	}
	if err := cloud.Stop(); err != nil {
		return err
	}
	over, held, err := overLimit(ctx, dir, seed.limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "real-name: %d tickets named over %d IDs, limit %d each\n", held, len(benchIDs()), seed.limit)
	fmt.Fprintf(w, "events: shop_page_rps=%.0f shop_page_p99_ms=%.1f apply_per_s=%.0f draw_ms=%.0f match_ms=%.0f over_limit=%d\n",
		shop.rps(), ms(shop.p99()), apply.rps(), drawMS, matchMS, over)
	if over > 0 {
		return fmt.Errorf("bench events: %d tickets over a person's limit", over)
	}
	return nil
}

// eventsSeed is what the bench's cloud holds before it starts.
type eventsSeed struct {
	event, plain, presale int64
	realName              []int64 // sessions of the real-name event
	limit                 int
}

// benchIDs are the real-name race's documents.
func benchIDs() []string {
	return []string{"11010519491231002X", "440524188001010014", "110105198506150014", "110105199001011235"}
}

func seedEvents(ctx context.Context, dir string) (eventsSeed, error) {
	var s eventsSeed
	srv, err := server.Start(ctx, server.Config{DataDir: dir, SweepEvery: time.Minute})
	if err != nil {
		return s, err
	}
	defer srv.Close()
	b, err := newBenchVenue(ctx, srv.Svc, "44030001", "Bench Arena")
	if err != nil {
		return s, err
	}
	m := seatmap.Grid("S", "Stand", 100, 100)
	h, err := srv.Svc.CreateHall(ctx, b.admin, b.venue.ID, sales.NewHall{Code: "S", Name: "Stand", Map: &m})
	if err != nil {
		return s, err
	}
	base := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	for i := range 4 {
		ss, _, err := b.pricedSession(ctx, srv.Svc, h.ID, base.Add(time.Duration(i)*3*time.Hour), base.Add(time.Duration(i)*3*time.Hour+2*time.Hour))
		if err != nil {
			return s, err
		}
		if i == 0 {
			s.plain = ss.ID
		}
	}
	s.event, s.limit = b.event.ID, 2
	rn, err := srv.Svc.CreateEvent(ctx, b.admin, sales.NewEvent{Name: "Bench final", Kind: "match", RealName: true, HolderLimit: s.limit})
	if err != nil {
		return s, err
	}
	rb := b
	rb.event = rn
	for i := range 3 {
		at := base.Add(time.Duration(24+3*i) * time.Hour)
		ss, _, err := rb.pricedSession(ctx, srv.Svc, h.ID, at, at.Add(2*time.Hour))
		if err != nil {
			return s, err
		}
		s.realName = append(s.realName, ss.ID)
	}
	tiers, err := srv.Svc.Prices(ctx, b.admin, s.realName[0])
	if err != nil {
		return s, err
	}
	p, err := srv.Presales.Create(ctx, b.admin, presale.NewPresale{SessionID: s.realName[0], TierID: tiers[0].ID, Name: "Bench presale", Tickets: 5000,
		PerPerson: 4, NamedHolders: true, OpensAt: time.Now().Add(-time.Minute), ClosesAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return s, err
	}
	s.presale = p.ID
	if _, err := srv.Svc.CreateUser(ctx, b.admin, sales.NewUser{Username: "bench-web", Password: benchPassword, Role: string(auth.RoleClerk), VenueIDs: []int64{b.venue.ID}}); err != nil {
		return s, err
	}
	return s, nil
}

// applyPhase: applicants apply, each with a fresh ID and its holders; one
// in twenty mistypes a check digit, one in twenty has a card declined,
// and one in ten sends its application twice (a retry after a timeout),
// as people do.
func applyPhase(ctx context.Context, o EventsOptions, base string, presaleID int64) (timing, error) {
	c := &Client{Base: base, HTTP: NewHTTPClient(o.Applicants)}
	var next atomic.Int64
	var refused atomic.Int64
	path := fmt.Sprintf("/api/v1/presales/%d/applications", presaleID)
	t, err := timed(ctx, o.Applicants, o.Duration, func(ctx context.Context, _, _ int) error {
		n := int(next.Add(1))
		req := presale.ApplyRequest{Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: benchResidentID(3 * n), Name: "申请人"},
			Quantity: 2, CardToken: payment.TokenApprove, Phone: fmt.Sprintf("139%08d", n),
			Holders: []presale.Person{{DocType: identity.ResidentID, DocNumber: benchResidentID(3*n + 1), Name: "甲"}, {DocType: identity.ResidentID, DocNumber: benchResidentID(3*n + 2), Name: "乙"}}}
		expectRefusal := false
		switch {
		case n%20 == 7:
			d := []byte(req.Applicant.DocNumber)
			d[17] = "0123456789X"[(indexOf("0123456789X", d[17])+1)%11]
			req.Applicant.DocNumber, expectRefusal = string(d), true
		case n%20 == 13:
			req.CardToken, expectRefusal = payment.TokenDecline, true
		}
		err := c.Do(ctx, "POST", path, req, nil)
		var ae *APIError
		if expectRefusal && errors.As(err, &ae) && ae.Status < 500 {
			refused.Add(1)
			return errSkip
		}
		if err == nil && n%10 == 3 { // the same application again: told it exists
			if err2 := c.Do(ctx, "POST", path, req, nil); !errors.As(err2, &ae) || ae.Code != "already_applied" {
				return fmt.Errorf("a repeated application: %v", err2)
			}
		}
		return err
	})
	t.refused = int(refused.Load())
	return t, err
}

func indexOf(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return 0
}

// benchResidentID is the i-th bench resident ID, with its check digit.
func benchResidentID(i int) string {
	first := fmt.Sprintf("3101011985%02d%02d%03d", 1+i/(28*1000)%12, 1+i/1000%28, i%1000)
	d, _ := identity.CheckDigit(first)
	return first + string(d)
}

// drawAndMatch times the draw and the seat matching of its winners.
func drawAndMatch(apps, seats int) (float64, float64, error) {
	list := make([]lottery.Application, apps)
	for i := range list {
		list[i] = lottery.Application{Pool: "p", ID: fmt.Sprintf("A%07d", i), Quantity: 1 + i%4}
	}
	seed := make([]byte, lottery.MinSeed)
	if _, err := rand.Read(seed); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	res, err := lottery.Draw(seed, []lottery.Pool{{Key: "p", Tickets: seats}}, list)
	if err != nil {
		return 0, 0, err
	}
	drawMS := ms(time.Since(start))
	cols := 400
	venue := make([]lottery.Seat, 0, seats)
	for i := range seats {
		row, col := i/cols, i%cols
		d := float64(col - cols/2)
		venue = append(venue, lottery.Seat{ID: int64(i + 1), Section: fmt.Sprintf("S%d", row/50), Row: row, Col: col, Score: float64(row)*1000 + d*d})
	}
	start = time.Now()
	if _, err := lottery.Match(res.Pools[0].Winners, venue); err != nil {
		return 0, 0, err
	}
	return drawMS, ms(time.Since(start)), nil
}

// realNameRace: buyers at the POS (cash) and on the web (card) name the
// same few IDs for the real-name event's sessions at once; the limit must
// hold over every channel.
func realNameRace(ctx context.Context, o EventsOptions, base string, s eventsSeed) error {
	pos := &Client{Base: base, HTTP: NewHTTPClient(o.Buyers)}
	if err := pos.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return err
	}
	web := &Client{Base: base, HTTP: NewHTTPClient(o.Buyers)}
	if err := web.Login(ctx, "bench-web", benchPassword); err != nil {
		return err
	}
	ids := benchIDs()
	var wg sync.WaitGroup
	errs := make(chan error, o.Buyers)
	for b := range o.Buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, ch := pos, sales.ChannelPOS
			if b%2 == 1 {
				c, ch = web, sales.ChannelWeb
			}
			for k := range 6 {
				sid := s.realName[(b+k)%len(s.realName)]
				var h sales.Hold
				if err := c.Do(ctx, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: sid, Channel: ch, Count: 1}, &h); err != nil {
					errs <- err
					return
				}
				req := sales.OrderRequest{HoldID: h.ID, Holders: []sales.HolderRequest{{SeatID: h.Seats[0].SeatID, DocType: identity.ResidentID,
					DocNumber: ids[(b+k)%len(ids)], Name: "实名"}}}
				if ch == sales.ChannelPOS {
					req.Payment = &sales.PaymentRequest{Method: "cash"}
				}
				var order sales.Order
				err := c.Do(ctx, "POST", "/api/v1/orders", req, &order)
				if err == nil && ch == sales.ChannelWeb {
					err = c.Do(ctx, "POST", fmt.Sprintf("/api/v1/orders/%d/payments", order.ID), sales.PaymentRequest{Method: "card", CardToken: payment.TokenApprove}, nil)
				}
				var ae *APIError
				if err != nil && (!errors.As(err, &ae) || ae.Status >= 500) {
					errs <- err
					return
				}
				c.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/holds/%d", h.ID), nil, nil) // a refused buyer lets the seat go
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// overLimit counts, in the stopped cloud's database, the tickets beyond
// each person's limit across the real-name event and how many were named.
func overLimit(ctx context.Context, dir string, limit int) (int, int, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "admit.db"), sqlite.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `SELECT COUNT(*) FROM ticket_holders t JOIN tickets k ON k.id = t.ticket_id
WHERE k.status <> 'refunded' GROUP BY t.event_id, t.id_key`)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	over, held := 0, 0
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return 0, 0, err
		}
		held += n
		over += max(0, n-limit)
	}
	return over, held, rows.Err()
}

// errSkip marks a request that did what was expected of it but is not
// counted as served (an application refused on purpose).
var errSkip = errors.New("skip")

// timing is a timed phase's requests.
type timing struct {
	n       int
	d       time.Duration
	lat     []time.Duration
	refused int
}

func (t timing) rps() float64 {
	if t.d <= 0 {
		return 0
	}
	return float64(t.n) / t.d.Seconds()
}

func (t timing) p99() time.Duration { return percentile(t.lat, 99) }

// timed runs fn from n workers for d; the first error stops the phase.
func timed(ctx context.Context, n int, d time.Duration, fn func(ctx context.Context, worker, i int) error) (timing, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lats := make([][]time.Duration, n)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for wk := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				err := fn(ctx, wk, i)
				if errors.Is(err, errSkip) {
					continue
				}
				if err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err; cancel() })
					}
					return
				}
				lats[wk] = append(lats[wk], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	var t timing
	t.d = time.Since(start)
	for _, l := range lats {
		t.lat = append(t.lat, l...)
	}
	t.n = len(t.lat)
	return t, firstErr
}
