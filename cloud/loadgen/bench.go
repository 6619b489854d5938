package loadgen

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
)

// SalesBenchOptions configure `admit bench sales`.
type SalesBenchOptions struct {
	Buyers      int
	Duration    time.Duration
	Baseline    time.Duration
	Sessions    int
	Synchronous string
	DataDir     string // empty: a fresh temporary directory, removed after
	DB          string // PostgreSQL (postgres://…): sell on a fresh schema there instead of SQLite
}

// RunSalesBench starts a cloud on a fresh SQLite data dir, seeds a venue
// with 5,000-seat sessions, drives it, checks no seat was sold twice, and
// writes a report whose last line is
//
//	sales: orders_per_s=N p50_ms=N p99_ms=N baseline_rps=N oversold=0
func RunSalesBench(ctx context.Context, o SalesBenchOptions, w io.Writer) error {
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "admit-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.DataDir = dir
	}
	db := ""
	if o.DB != "" {
		var drop func() error
		var err error
		if db, drop, err = freshSchema(ctx, o.DB); err != nil {
			return err
		}
		defer drop()
	}
	srv, err := server.Start(ctx, server.Config{DataDir: o.DataDir, DB: db, Synchronous: o.Synchronous, SweepEvery: time.Minute})
	if err != nil {
		return err
	}
	defer srv.Close()
	sessions, err := seedBench(ctx, srv.Svc, o.Sessions)
	if err != nil {
		return err
	}
	c := &Client{Base: srv.URL, HTTP: NewHTTPClient(2)}
	if err := c.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return err
	}
	fmt.Fprintf(w, "cloud %s, data %s (synchronous=%s), %d sessions x 5000 seats, %d buyers for %s\n",
		srv.URL, o.DataDir, orDefault(o.Synchronous, "FULL"), len(sessions), o.Buyers, o.Duration)
	res, err := Sales(ctx, SalesConfig{Buyers: o.Buyers, Duration: o.Duration, Baseline: o.Baseline, Sessions: sessions,
		Token: c.Token, Base: srv.URL, AvailabilitySession: sessions[0]})
	if err != nil {
		return err
	}
	oversold, sold, err := oversold(ctx, srv)
	if err != nil {
		return err
	}
	claimed := 0
	for _, ids := range res.SeatsSold {
		claimed += len(ids)
	}
	fmt.Fprintf(w, "orders=%d seats=%d (db: %d valid tickets) lost_races=%d errors=%d elapsed=%s\n",
		res.Orders, claimed, sold, res.Conflicts, res.Errors, res.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "availability (5,000-seat session): reads_per_s=%.0f\n", res.AvailabilityRPS)
	if sold != claimed {
		// Every order a buyer saw paid has its tickets, and no others exist.
		return fmt.Errorf("bench sales: buyers were sold %d seats but the database has %d valid tickets", claimed, sold)
	}
	fmt.Fprintf(w, "sales: orders_per_s=%.0f p50_ms=%.1f p99_ms=%.1f baseline_rps=%.0f oversold=%d\n",
		res.OrdersPerSec, ms(res.P50), ms(res.P99), res.BaselineRPS, oversold)
	if oversold != 0 || res.Errors != 0 {
		return fmt.Errorf("bench sales: oversold=%d errors=%d", oversold, res.Errors)
	}
	return nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// oversold counts seats with more than one valid ticket, and valid tickets.
func oversold(ctx context.Context, srv *server.Server) (int, int, error) {
	return countSold(ctx, srv.Store.DB())
}

// countSold counts seats with more than one valid ticket (or sold without
// one), and valid tickets.
func countSold(ctx context.Context, db *sql.DB) (int, int, error) {
	var dup, n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) - COUNT(DISTINCT session_id || ':' || seat_id), COUNT(*) FROM tickets WHERE status = 'valid'`).Scan(&dup, &n)
	if err != nil {
		return 0, 0, fmt.Errorf("count tickets: %w", err)
	}
	var soldSeats int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM session_seats WHERE status = 'sold'`).Scan(&soldSeats); err != nil {
		return 0, 0, fmt.Errorf("count sold seats: %w", err)
	}
	if soldSeats != n {
		dup += abs(soldSeats - n)
	}
	return dup, n, nil
}

const benchPassword = "bench-password-123"

// benchTenant creates the bench's platform admin and tenant, and returns
// the tenant admin.
func benchTenant(ctx context.Context, svc *sales.Service) (sales.Principal, error) {
	admin, err := svc.CreatePlatformAdmin(ctx, "bench-admin", benchPassword)
	if err != nil {
		return sales.Principal{}, err
	}
	pa := sales.Principal{UserID: admin.ID, Username: admin.Username, Role: auth.RolePlatformAdmin}
	t, err := svc.CreateTenant(ctx, pa, sales.NewTenant{Code: "bench", Name: "Bench"})
	if err != nil {
		return sales.Principal{}, err
	}
	ta, err := svc.CreateUser(ctx, pa, sales.NewUser{TenantID: t.ID, Username: "bench-owner", Password: benchPassword, Role: string(auth.RoleTenantAdmin)})
	if err != nil {
		return sales.Principal{}, err
	}
	return sales.Principal{UserID: ta.ID, Username: ta.Username, TenantID: t.ID, Role: auth.RoleTenantAdmin}, nil
}

// benchVenue is a bench's tenant admin, venue (in Shanghai time), clerk
// of the venue and event.
type benchVenue struct {
	admin, clerk sales.Principal
	venue        sales.Venue
	event        sales.Event
}

func newBenchVenue(ctx context.Context, svc *sales.Service, code, name string) (benchVenue, error) {
	var b benchVenue
	var err error
	if b.admin, err = benchTenant(ctx, svc); err != nil {
		return b, err
	}
	if b.venue, err = svc.CreateVenue(ctx, b.admin, sales.NewVenue{Code: code, Name: name, Timezone: "Asia/Shanghai"}); err != nil {
		return b, err
	}
	cl, err := svc.CreateUser(ctx, b.admin, sales.NewUser{Username: "bench-clerk", Password: benchPassword, Role: string(auth.RoleClerk), VenueIDs: []int64{b.venue.ID}})
	if err != nil {
		return b, err
	}
	b.clerk = sales.Principal{UserID: cl.ID, Username: cl.Username, TenantID: cl.TenantID, Role: auth.RoleClerk, VenueIDs: cl.VenueIDs}
	b.event, err = svc.CreateEvent(ctx, b.admin, sales.NewEvent{Name: name + " match", Kind: "match"})
	return b, err
}

// pricedSession schedules a session of the bench's event in a hall, at
// 80.00 a seat and up to 100 seats an order, and returns it with its seat ids.
func (b benchVenue) pricedSession(ctx context.Context, svc *sales.Service, hallID int64, start, end time.Time) (sales.Session, []int64, error) {
	ss, err := svc.CreateSession(ctx, b.admin, sales.NewSession{HallID: hallID, EventID: b.event.ID, StartsAt: start, EndsAt: end, MinPriceCents: 1000, MaxPerOrder: 100})
	if err != nil {
		return ss, nil, err
	}
	if _, err := svc.SetPrices(ctx, b.admin, ss.ID, []sales.PriceTier{{Name: "Stand", PriceCents: 8000}}); err != nil {
		return ss, nil, err
	}
	seats, err := svc.SessionSeats(ctx, b.admin, ss.ID)
	if err != nil {
		return ss, nil, err
	}
	ids := make([]int64, len(seats))
	for i, st := range seats {
		ids[i] = st.SeatID
	}
	return ss, ids, nil
}

func seedBench(ctx context.Context, svc *sales.Service, n int) ([]int64, error) {
	tp, err := benchTenant(ctx, svc)
	if err != nil {
		return nil, err
	}
	return seedBenchFor(ctx, svc, tp, n)
}

// seedBenchFor is seedBench in a tenant made already (tp is its admin).
func seedBenchFor(ctx context.Context, svc *sales.Service, tp sales.Principal, n int) ([]int64, error) {
	v, err := svc.CreateVenue(ctx, tp, sales.NewVenue{Code: "44030001", Name: "Bench Arena"})
	if err != nil {
		return nil, err
	}
	m := seatmap.Grid("S", "Stand", 50, 100)
	h, err := svc.CreateHall(ctx, tp, v.ID, sales.NewHall{Code: "S", Name: "Stand", Map: &m})
	if err != nil {
		return nil, err
	}
	if _, err := svc.CreateUser(ctx, tp, sales.NewUser{Username: "bench-clerk", Password: benchPassword, Role: string(auth.RoleClerk), VenueIDs: []int64{v.ID}}); err != nil {
		return nil, err
	}
	ev, err := svc.CreateEvent(ctx, tp, sales.NewEvent{Name: "Bench match", Kind: "match"})
	if err != nil {
		return nil, err
	}
	base := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	var ids []int64
	for i := 0; i < n; i++ {
		start := base.Add(time.Duration(i) * 3 * time.Hour)
		ss, err := svc.CreateSession(ctx, tp, sales.NewSession{HallID: h.ID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
		if err != nil {
			return nil, err
		}
		if _, err := svc.SetPrices(ctx, tp, ss.ID, []sales.PriceTier{{Name: "Stand", PriceCents: 12000}}); err != nil {
			return nil, err
		}
		ids = append(ids, ss.ID)
	}
	return ids, nil
}
