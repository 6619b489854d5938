package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
	wire "github.com/admitbox/admit/sync"
)

// DashboardBenchOptions configure RunDashboardBench.
type DashboardBenchOptions struct {
	Sessions int // sessions of the venue (50)
	Tickets  int // tickets sold across them (100,000)
	Loads    int // dashboard loads timed (20)
	Updates  int // sales whose arrival on the live stream is timed (20)
}

// RunDashboardBench starts a cloud on a fresh SQLite data dir, fills one
// venue with o.Sessions sessions and o.Tickets sold tickets (half of them
// printed at a kiosk and admitted at a gate, through the devices' fact
// ingest), and measures over real HTTP: loading the venue's dashboard
// after a sale, so that it is built anew, and with nothing changed
// (against GET /health as the baseline), and the time from a sale's
// answer until the dashboard stream delivers a dashboard that counts it.
// The last line is
//
//	dashboard: load_p99_ms=N page_p99_ms=N live_update_p99_ms=N sessions=N tickets=N baseline_p99_ms=N
//
// page_p99_ms is the portal's dashboard page in headless Chromium, from
// navigation until it shows the sold count, after a sale ("none" where no
// Chromium is installed).
func RunDashboardBench(ctx context.Context, o DashboardBenchOptions, w io.Writer) error {
	if o.Sessions < 1 || o.Tickets < o.Sessions || o.Loads < 1 || o.Updates < 1 {
		return fmt.Errorf("bench dashboard: want sessions ≥ 1, tickets ≥ sessions, loads and updates ≥ 1")
	}
	dir, err := os.MkdirTemp("", "admit-dashbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := server.Start(ctx, server.Config{DataDir: dir, Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		return err
	}
	defer srv.Close()
	t0 := time.Now()
	b, err := seedDashboard(ctx, srv.Svc, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "seeded %d sessions, %d tickets (%d printed, %d admitted) in %s\n", o.Sessions, b.sold, b.printed, b.admitted, time.Since(t0).Round(time.Second))

	hc := NewHTTPClient(4)
	c := &Client{Base: srv.URL, HTTP: hc}
	if err := c.Login(ctx, "bench-owner", benchPassword); err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/venues/%d/dashboard", b.venue.ID)
	var d sales.Dashboard
	if err := c.Do(ctx, "GET", path, nil, &d); err != nil { // warm the caches
		return err
	}
	if d.Totals.Sold != b.sold || len(d.Sessions) != o.Sessions {
		return fmt.Errorf("bench dashboard: the dashboard counts %d tickets in %d sessions, want %d in %d", d.Totals.Sold, len(d.Sessions), b.sold, o.Sessions)
	}
	// Cold: a sale before each load, so each one builds the dashboard
	// anew; warm: nothing changed, so it is the one already built.
	var loads []time.Duration
	size := 0
	for i := range o.Loads {
		if _, err := b.sell(ctx, b.sessions[i%len(b.sessions)].ID, 1); err != nil {
			return err
		}
		b.sold++
		l, n, err := timeGets(ctx, c, path, 1)
		if err != nil {
			return err
		}
		loads, size = append(loads, l...), n
	}
	warm, _, err := timeGets(ctx, c, path, o.Loads)
	if err != nil {
		return err
	}
	base, _, err := timeGets(ctx, c, "/api/v1/health", o.Loads)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "load after a sale (built anew): GET %s (%d KiB): p50 %.1f ms p99 %.1f ms over %d\n",
		path, size>>10, ms(percentile(loads, 50)), ms(percentile(loads, 99)), len(loads))
	fmt.Fprintf(w, "load with nothing changed (built once per change): p50 %.2f ms p99 %.2f ms; baseline GET /health p99 %.2f ms\n",
		ms(percentile(warm, 50)), ms(percentile(warm, 99)), ms(percentile(base, 99)))

	page := "page: no Chromium here, the page load is not measured"
	pageP99 := "none"
	pages, err := timePortalLoads(ctx, srv.URL, c.Token, min(o.Loads, 10), func() (int, error) {
		if _, err := b.sell(ctx, b.sessions[0].ID, 1); err != nil {
			return 0, err
		}
		b.sold++
		return b.sold, nil
	})
	switch {
	case errors.Is(err, ErrNoBrowser):
	case err != nil:
		return err
	default:
		pageP99 = fmt.Sprintf("%.0f", ms(percentile(pages, 99)))
		page = fmt.Sprintf("page: the portal's dashboard in headless Chromium, navigation to the sold count shown, after a sale: p50 %.0f ms p99 %s ms over %d",
			ms(percentile(pages, 50)), pageP99, len(pages))
	}
	fmt.Fprintln(w, page)

	updates, err := timeLiveUpdates(ctx, c, b, o.Updates)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "live: sale answered -> dashboard with it on the stream: p50 %.0f ms p99 %.0f ms over %d sales (stream polls every 500 ms)\n",
		ms(percentile(updates, 50)), ms(percentile(updates, 99)), len(updates))
	fmt.Fprintf(w, "dashboard: load_p99_ms=%.1f page_p99_ms=%s live_update_p99_ms=%.0f sessions=%d tickets=%d baseline_p99_ms=%.2f\n",
		ms(percentile(loads, 99)), pageP99, ms(percentile(updates, 99)), o.Sessions, b.sold, ms(percentile(base, 99)))
	return nil
}

type dashBench struct {
	svc      *sales.Service
	admin    sales.Principal
	clerk    sales.Principal
	venue    sales.Venue
	sessions []sales.Session
	free     map[int64][]int64 // unsold seats per session
	sold     int
	printed  int
	admitted int
}

// seedDashboard builds the venue: halls of 2,400 seats, sessions three
// hours apart in each, o.Tickets sold in orders of 100, and half of them
// printed and admitted through a kiosk's and a gate's facts.
func seedDashboard(ctx context.Context, svc *sales.Service, o DashboardBenchOptions) (*dashBench, error) {
	b := &dashBench{svc: svc, free: map[int64][]int64{}}
	bv, err := newBenchVenue(ctx, svc, "44030003", "Bench Dome")
	if err != nil {
		return nil, err
	}
	b.admin, b.venue, b.clerk = bv.admin, bv.venue, bv.clerk
	perSession := (o.Tickets + o.Sessions - 1) / o.Sessions
	const perHall = 10
	start := time.Now().Add(30 * time.Minute).Truncate(time.Minute)
	var hall sales.Hall
	for i := 0; i < o.Sessions; i++ {
		if i%perHall == 0 {
			m := seatmap.Grid("S", "Stand", 40, max(60, (perSession+39)/40+1))
			if hall, err = svc.CreateHall(ctx, b.admin, b.venue.ID, sales.NewHall{Code: "H" + strconv.Itoa(i/perHall), Name: "Hall " + strconv.Itoa(i/perHall), Map: &m}); err != nil {
				return nil, err
			}
		}
		at := start.Add(time.Duration(i%perHall) * 3 * time.Hour)
		ss, seats, err := bv.pricedSession(ctx, svc, hall.ID, at, at.Add(2*time.Hour))
		if err != nil {
			return nil, err
		}
		b.free[ss.ID] = seats
		b.sessions = append(b.sessions, ss)
	}
	gate, err := b.device(ctx, "gate")
	if err != nil {
		return nil, err
	}
	kiosk, err := b.device(ctx, "kiosk")
	if err != nil {
		return nil, err
	}
	var gateSeq, kioskSeq uint64
	left := o.Tickets
	for _, ss := range b.sessions {
		for n := min(perSession, left); n > 0; {
			size := min(100, n)
			order, err := b.sell(ctx, ss.ID, size)
			if err != nil {
				return nil, err
			}
			n, left = n-size, left-size
			b.sold += len(order.Tickets)
			var adm, prints []wire.Fact
			for i, t := range order.Tickets {
				if i%2 == 1 {
					continue
				}
				at := time.Now().UTC()
				gateSeq++
				adm = append(adm, fact(gate, gateSeq, wire.FactAdmission, at, wire.AdmissionFact{Number: t.Number, SessionID: t.SessionID}))
				kioskSeq++
				prints = append(prints, fact(kiosk, kioskSeq, wire.FactPrint, at, wire.PrintFact{Number: t.Number}))
			}
			if _, err := svc.IngestFacts(ctx, gate, adm); err != nil {
				return nil, err
			}
			if _, err := svc.IngestFacts(ctx, kiosk, prints); err != nil {
				return nil, err
			}
			b.admitted += len(adm)
			b.printed += len(prints)
		}
	}
	return b, nil
}

func fact(device string, seq uint64, kind string, at time.Time, data any) wire.Fact {
	raw, _ := json.Marshal(data)
	return wire.Fact{Device: device, Seq: seq, ID: fmt.Sprintf("%s-%d", device, seq), Kind: kind, At: at, Data: raw}
}

// device registers and enrolls a device of the venue and returns its id.
func (b *dashBench) device(ctx context.Context, role string) (string, error) {
	_, code, err := b.svc.RegisterDevice(ctx, b.admin, b.venue.ID, sales.NewDevice{Role: role, Name: "bench " + role})
	if err != nil {
		return "", err
	}
	cred, err := b.svc.Enroll(ctx, code)
	if err != nil {
		return "", err
	}
	return cred.DeviceID, nil
}

func (b *dashBench) sell(ctx context.Context, sessionID int64, n int) (sales.Order, error) {
	seats := b.free[sessionID]
	if len(seats) < n {
		return sales.Order{}, fmt.Errorf("bench dashboard: session %d is sold out", sessionID)
	}
	b.free[sessionID] = seats[n:]
	h, err := b.svc.HoldSeats(ctx, b.clerk, sales.HoldRequest{SessionID: sessionID, Channel: sales.ChannelPOS, SeatIDs: seats[:n]})
	if err != nil {
		return sales.Order{}, err
	}
	o, err := b.svc.ConfirmOrder(ctx, b.clerk, sales.OrderRequest{HoldID: h.ID})
	if err != nil {
		return sales.Order{}, err
	}
	return b.svc.PayOrder(ctx, b.clerk, o.ID, sales.PaymentRequest{Method: "cash"})
}

// timeGets times n sequential GETs of path and returns the last answer's size.
func timeGets(ctx context.Context, c *Client, path string, n int) ([]time.Duration, int, error) {
	var out []time.Duration
	size := 0
	for range n {
		t0 := time.Now()
		var raw json.RawMessage
		if err := c.Do(ctx, "GET", path, nil, &raw); err != nil {
			return nil, 0, err
		}
		out = append(out, time.Since(t0))
		size = len(raw)
	}
	return out, size, nil
}

// timeLiveUpdates keeps the dashboard stream open and, n times, sells one
// ticket over HTTP and times from the sale's answer until the stream
// delivers a dashboard counting it.
func timeLiveUpdates(ctx context.Context, c *Client, b *dashBench, n int) ([]time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/venues/%d/dashboard/stream", c.Base, b.venue.ID), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench dashboard: stream answered %d", resp.StatusCode)
	}
	sold := make(chan int, 16)
	go func() {
		defer close(sold)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var d struct {
				Totals struct{ Sold int } `json:"totals"`
			}
			if json.Unmarshal([]byte(data), &d) == nil {
				select {
				case sold <- d.Totals.Sold:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	await := func(want int) (time.Time, error) {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case n, ok := <-sold:
				if !ok {
					return time.Time{}, fmt.Errorf("bench dashboard: the stream ended")
				}
				if n >= want {
					return time.Now(), nil
				}
			case <-deadline:
				return time.Time{}, fmt.Errorf("bench dashboard: no dashboard with %d sold within 30 s", want)
			}
		}
	}
	if _, err := await(b.sold); err != nil { // the first event
		return nil, err
	}
	clerk := &Client{Base: c.Base, HTTP: c.HTTP}
	if err := clerk.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := range n {
		ss := b.sessions[i%len(b.sessions)]
		var h sales.Hold
		if err := clerk.Do(ctx, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 1}, &h); err != nil {
			return nil, err
		}
		var o sales.Order
		if err := clerk.Do(ctx, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID}, &o); err != nil {
			return nil, err
		}
		if err := clerk.Do(ctx, "POST", fmt.Sprintf("/api/v1/orders/%d/payments", o.ID), sales.PaymentRequest{Method: "cash"}, &o); err != nil {
			return nil, err
		}
		paid := time.Now()
		b.sold++
		seen, err := await(b.sold)
		if err != nil {
			return nil, err
		}
		out = append(out, seen.Sub(paid))
	}
	return out, nil
}
