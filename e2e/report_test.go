package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/internal/platformsim"
)

// platformWorld is a cloud reporting to a platform simulator that knows
// the system and the world's cinema.
func platformWorld(t *testing.T, alg string) (*world, *platformsim.Sim) {
	t.Helper()
	w, sim, _ := platformWorldIn(t, alg, "", nil)
	return w, sim
}

// platformWorldIn is platformWorld on a given data dir ("" for a new
// one); it also returns the platform configuration the cloud runs with.
func platformWorldIn(t *testing.T, alg, dataDir string, adjust func(*server.Config)) (*world, *platformsim.Sim, server.PlatformConfig) {
	t.Helper()
	sim, err := platformsim.Start(platformsim.Config{AdminToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	queries := freeAddr(t) // where the cloud answers the platform's queries
	is, err := sim.RegisterSystem(platformsim.SystemRequest{Code: "ADMIT01", Version: "test", Address: "https://" + queries})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.RegisterCinema(platformsim.CinemaRequest{System: "ADMIT01", Cinema: wire.Cinema{Code: "31000001", Name: "Arena", Company: "Acme",
		Circuit: "United", Status: wire.StatusOpen, Halls: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.RegisterFilm(wire.Film{Code: "001X02212027", Name: "The Wandering Earth III", Version: "IMAX", DurationMin: 150,
		ReleaseDate: time.Now().Format("2006-01-02")}); err != nil {
		t.Fatal(err)
	}
	files, err := is.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pc := server.PlatformConfig{URL: sim.URL(), System: "ADMIT01", SignAlg: alg, Cert: files.Cert, Key: files.Key, SM2Key: files.SM2Key, CA: files.CA, QueryListen: queries}
	w := newWorldWith(t, embedded, func(c *server.Config) {
		if dataDir != "" {
			c.DataDir = dataDir
		}
		c.Platform = pc
		c.Platform.Policy = report.Policy{Sends: 3, Timeout: 2 * time.Second, Pause: 10 * time.Millisecond}
		c.Platform.Report = &report.Config{Poll: 50 * time.Millisecond, Backoff: 20 * time.Millisecond, MaxWait: 100 * time.Millisecond}
		if adjust != nil {
			adjust(c)
		}
	})
	return w, sim, pc
}

// filmSession schedules a film in the world's hall, priced.
func (w *world) filmSession() sales.Session {
	w.t.Helper()
	ctx := context.Background()
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "The Wandering Earth", Kind: "film", Code: "001X02212023"})
	w.must(err)
	start := w.session.StartsAt.Add(3 * time.Hour)
	ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 4500}})
	w.must(err)
	return ss
}

// sellIn sells n seats of a session at the box office, cash, in one step.
func (w *world) sellIn(ss sales.Session, labels ...string) sales.Order {
	w.t.Helper()
	ctx := context.Background()
	seats, err := w.svc.SessionSeats(ctx, w.clerk, ss.ID)
	w.must(err)
	var ids []int64
	for _, s := range seats {
		for _, l := range labels {
			if s.Label == l {
				ids = append(ids, s.SeatID)
			}
		}
	}
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, SeatIDs: ids})
	w.must(err)
	o, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	w.must(err)
	return o
}

// waitRecords waits until the platform holds n raw ticket records, and
// returns those (halls and plans are reported too).
func waitRecords(t *testing.T, sim *platformsim.Sim, n int) []platformsim.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tickets := func(rs []platformsim.Record) []platformsim.Record {
		var out []platformsim.Record
		for _, r := range rs {
			if r.Interface == wire.RawTicket {
				out = append(out, r)
			}
		}
		return out
	}
	recs, err := sim.WaitRecords(ctx, func(rs []platformsim.Record) bool { return len(tickets(rs)) >= n })
	if err != nil {
		t.Fatalf("the platform holds %d ticket records, waiting for %d: %v", len(tickets(recs)), n, err)
	}
	return tickets(recs)
}

// settled waits until the film session's plan entries (created, then
// priced: its last catalog change) are at the platform and nothing waits
// in the cloud's queue; it returns how many reports were delivered.
func settled(t *testing.T, w *world, sim *platformsim.Sim) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := sim.WaitRecords(ctx, func(rs []platformsim.Record) bool {
		n := 0
		for _, r := range rs {
			if r.Interface == wire.ScreeningPlan {
				n++
			}
		}
		return n >= 2
	}); err != nil {
		t.Fatalf("the film session's plan never reached the platform: %v", err)
	}
	var n int
	waitQueue(t, w, "nothing waiting", func(q report.QueueStatus) bool { n = q.Delivered; return q.Pending == 0 })
	return n
}

// waitQueue waits until the cloud's report queue is as ok wants: the
// reporter runs on its own, so the test watches its queue.
func waitQueue(t *testing.T, w *world, what string, ok func(report.QueueStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		q, err := w.srv.Reports.Queue(context.Background(), report.All)
		if err != nil {
			t.Fatal(err)
		}
		if ok(q) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s, the queue is %+v", what, q)
		}
		<-tick.C
	}
}

func TestAFilmSaleAndItsRefundReachThePlatformWithEveryField(t *testing.T) {
	for _, alg := range []string{wire.AlgRSA, wire.AlgSM2} {
		t.Run(alg, func(t *testing.T) {
			w, sim := platformWorld(t, alg)
			w.sell(1) // a match: not a film, nothing to report
			ss := w.filmSession()
			o := w.sellIn(ss, "A-1", "A-2")
			recs := waitRecords(t, sim, 2)
			byTicket := map[string]wire.TicketRecord{}
			for _, r := range recs {
				var x wire.TicketRecord
				if err := json.Unmarshal(r.Body, &x); err != nil {
					t.Fatal(err)
				}
				if r.Interface != wire.RawTicket || r.Alg != alg || r.System != "ADMIT01" {
					t.Fatalf("record %+v", r)
				}
				byTicket[x.Ticket] = x
			}
			for _, tk := range o.Tickets {
				x, ok := byTicket[tk.Number]
				want := wire.TicketRecord{Cinema: w.venue.Code, CinemaStatus: wire.StatusOpen, BusinessDate: ss.BusinessDate, Hall: "H1", Film: "001X02212023",
					Session: strconv.FormatInt(ss.ID, 10), StartsAt: ss.StartsAt.UTC(), Operation: wire.OpSale, Ticket: tk.Number,
					Seat: strconv.FormatInt(tk.SeatID, 10), PriceCents: 4500, OperatedAt: o.PaidAt.UTC()}
				if tk.IssuedAt.In(time.UTC).Format("2006-01-02") < ss.BusinessDate {
					want.Operation = wire.OpPresale // sold before the session's day
				}
				x.StartsAt, x.OperatedAt = x.StartsAt.UTC(), x.OperatedAt.UTC()
				if !ok || x != want {
					t.Fatalf("ticket %s at the platform:\n got %+v\nwant %+v", tk.Number, x, want)
				}
			}
			// The refund arrives after the sale it undoes.
			w.refund(o)
			recs = waitRecords(t, sim, 4)
			var ops []string
			for _, r := range recs {
				var x wire.TicketRecord
				json.Unmarshal(r.Body, &x)
				ops = append(ops, x.Ticket+":"+x.Operation)
			}
			for _, tk := range o.Tickets {
				sale, refund := -1, -1
				for i, op := range ops {
					switch op {
					case tk.Number + ":" + wire.OpSale, tk.Number + ":" + wire.OpPresale:
						sale = i
					case tk.Number + ":" + wire.OpRefund:
						refund = i
					}
				}
				if sale < 0 || refund < sale {
					t.Fatalf("ticket %s reached the platform as %v", tk.Number, ops)
				}
			}
			// Besides the 2 sales and 2 refunds: the film's hall and its plan
			// entry when it was scheduled, and again when it was priced.
			// (Halls are reported if they screen films when planned: the
			// world's own hall events may or may not make reports.)
			waitQueue(t, w, "all delivered", func(q report.QueueStatus) bool {
				return q.Pending == 0 && q.Refused == 0 && q.Delivered == len(sim.Records())
			})
			var hall wire.HallReport
			var plans []wire.PlanEntry
			for _, r := range sim.Records() {
				switch r.Interface {
				case wire.HallSeats:
					json.Unmarshal(r.Body, &hall)
				case wire.ScreeningPlan:
					var p wire.PlanReport
					json.Unmarshal(r.Body, &p)
					if p.BusinessDate != ss.BusinessDate || p.Cinema != w.venue.Code {
						t.Fatalf("a plan for %s at %s", p.BusinessDate, p.Cinema)
					}
					plans = append(plans, p.Sessions...)
				}
			}
			if hall.Hall != "H1" || len(hall.Seats) != len(w.seats) || hall.Cinema != w.venue.Code {
				t.Fatalf("the hall reported: %s with %d seats, the hall has %d", hall.Hall, len(hall.Seats), len(w.seats))
			}
			if len(plans) != 2 || plans[0].Operation != wire.OpCreate || plans[1].Operation != wire.OpUpdate ||
				plans[1].Session != strconv.FormatInt(ss.ID, 10) || plans[1].StandardCents != 4500 || plans[1].MinCents != 1000 ||
				plans[1].Film != "001X02212023" || !plans[1].StartsAt.Equal(ss.StartsAt) {
				t.Fatalf("the plan entries reported: %+v", plans)
			}
		})
	}
}

func TestReportsWaitOutAPlatformOutageAndArriveOnce(t *testing.T) {
	w, sim := platformWorld(t, wire.AlgRSA)
	ss := w.filmSession()
	before := settled(t, w, sim) // its hall, its plan entry, priced
	sim.SetFaults(platformsim.Faults{Reset: true})
	o := w.sellIn(ss, "B-1")
	// The reporter tries, fails its communications, and keeps the report.
	waitQueue(t, w, "a failing report", func(q report.QueueStatus) bool { return q.Failing == 1 && q.Pending == 1 && q.LastError != "" })
	// A lost answer on the way back: the resend is a duplicate, stored once.
	sim.SetFaults(platformsim.Faults{LoseAnswer: true, Count: 1})
	recs := waitRecords(t, sim, 1)
	var x wire.TicketRecord
	json.Unmarshal(recs[0].Body, &x)
	if x.Ticket != o.Tickets[0].Number {
		t.Fatalf("the platform holds %+v", x)
	}
	waitQueue(t, w, "delivered", func(q report.QueueStatus) bool { return q.Delivered == before+1 && q.Pending == 0 })
	if recs := waitRecords(t, sim, 1); len(recs) != 1 || recs[0].Duplicates != 1 {
		t.Fatalf("the platform holds %d ticket records, the first with %d duplicates; want 1 with 1", len(recs), recs[0].Duplicates)
	}
}

// TestTheReportingPageShowsARefusalAndSendsItAgain: the platform refuses
// a report; the tenant admin sees it on the Reporting page in Chromium
// with the platform's answer, sends it again, and sees it delivered.
func TestTheReportingPageShowsARefusalAndSendsItAgain(t *testing.T) {
	w, sim := platformWorld(t, wire.AlgRSA)
	ss := w.filmSession()
	before := settled(t, w, sim)
	sim.SetFaults(platformsim.Faults{RefuseSignature: true, Count: 1})
	o := w.sellIn(ss, "C-1")
	waitQueue(t, w, "the refusal", func(q report.QueueStatus) bool { return q.Refused == 1 })

	ctx := browser(t)
	run(t, ctx, "log in",
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=username]`), "acme-admin"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=total-sold]`)))
	// A film's code is chosen from the platform's films.
	run(t, ctx, "choose a film from the platform",
		chromedp.Navigate(w.srv.URL+"/#/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=create-event]`)),
		waitTrue(`document.querySelector('[data-test=platform-films] option[value="001X02212027"]') !== null`, 20*time.Second),
		js(`(() => { const c = document.querySelector('[data-test=event-code]'); c.value = "001X02212027"; c.dispatchEvent(new Event("change")); })()`),
		waitTrue(`document.querySelector('[data-test=event-name]').value === "The Wandering Earth III"`, 5*time.Second),
		chromedp.Click(chromedp.CSS(`[data-test=create-event]`)),
		waitText(`[data-test=new-event]`, "The Wandering Earth III"))
	run(t, ctx, "the refusal on the Reporting page",
		chromedp.Navigate(w.srv.URL+"/#/reporting"),
		waitText(`[data-test=rep-refused]`, "1"),
		waitText(`[data-test=rep-attention]`, o.Tickets[0].Number),
		waitText(`[data-test=rep-attention]`, wire.CodeSignature))
	shot(t, ctx, "portal-reporting-refused")
	run(t, ctx, "send it again",
		chromedp.Click(chromedp.CSS(`[data-test=resend]`)),
		waitText(`[data-test=rep-delivered]`, strconv.Itoa(before+1)),
		waitText(`[data-test=rep-refused]`, "0"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=rep-none]`)))
	shot(t, ctx, "portal-reporting-resent")
	recs := waitRecords(t, sim, 1)
	var x wire.TicketRecord
	json.Unmarshal(recs[0].Body, &x)
	if x.Ticket != o.Tickets[0].Number {
		t.Fatalf("the platform holds %+v", x)
	}
	// The re-send is in the audit log, by the admin.
	entries, err := w.svc.AuditLog(context.Background(), w.admin, sales.AuditFilter{Action: "report.resend", Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].Actor == "" {
		t.Fatalf("audit of the re-send: %+v %v", entries, err)
	}
}

// TestADaysStatisticsReachThePlatformWhenTheBusinessDayEnds: a film
// session's day sells at the box office and on the web, one ticket is
// refunded; when the venue's business day is over, the platform receives
// the session's figures, and its copy of the day is complete.
func TestADaysStatisticsReachThePlatformWhenTheBusinessDayEnds(t *testing.T) {
	var ahead atomic.Int64 // how far the cloud's clock runs ahead of the wall's
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	w, sim, _ := platformWorldIn(t, wire.AlgSM2, "", func(c *server.Config) {
		c.Now = now
		c.Platform.Report.DayCheck = 20 * time.Millisecond
	})
	ss := w.filmSession()
	o := w.sellIn(ss, "D-1", "D-2", "D-3")
	ctx := context.Background()
	seats, err := w.svc.SessionSeats(ctx, w.clerk, ss.ID)
	w.must(err)
	var web []int64
	for _, s := range seats {
		if s.Label == "E-1" || s.Label == "E-2" {
			web = append(web, s.SeatID)
		}
	}
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelWeb, SeatIDs: web})
	w.must(err)
	wo, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID})
	w.must(err)
	_, err = w.svc.PayOrder(ctx, w.clerk, wo.ID, sales.PaymentRequest{Method: "card", CardToken: "tok_approve"})
	w.must(err)
	r, err := w.svc.RequestRefund(ctx, w.clerk, sales.RefundInput{OrderID: o.ID, TicketIDs: []int64{o.Tickets[0].ID}, Reason: "ill"})
	w.must(err)
	_, err = w.svc.DecideRefund(ctx, w.manager, r.ID, true, "ok")
	w.must(err)
	waitRecords(t, sim, 6) // 5 sales, 1 refund
	for _, r := range sim.Records() {
		if r.Interface == wire.DailyStats {
			t.Fatalf("statistics before the day ended: %s", r.Body)
		}
	}

	// The day ends: the next morning, after the venue's business-day start.
	ahead.Store(int64(time.Until(ss.StartsAt.Add(24 * time.Hour))))
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	recs, err := sim.WaitRecords(sctx, func(rs []platformsim.Record) bool {
		for _, r := range rs {
			if r.Interface == wire.DailyStats {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal("no daily statistics after the day ended")
	}
	var st wire.SessionStats
	n := 0
	for _, r := range recs {
		if r.Interface == wire.DailyStats {
			json.Unmarshal(r.Body, &st)
			n++
		}
	}
	want := wire.SessionStats{BusinessDate: ss.BusinessDate, Cinema: w.venue.Code, CinemaStatus: wire.StatusOpen, Hall: "H1", Film: "001X02212023",
		Session: strconv.FormatInt(ss.ID, 10), StartsAt: ss.StartsAt.UTC(), LocalSold: 3, LocalRefunded: 1, LocalSoldCents: 13500, LocalRefundedCents: 4500,
		NetworkSold: 2, NetworkSoldCents: 9000}
	st.StartsAt = st.StartsAt.UTC()
	if n != 1 || st != want {
		t.Fatalf("%d statistics messages; the last:\n got %+v\nwant %+v", n, st, want)
	}
	for _, d := range sim.Summary() {
		if d.BusinessDate == ss.BusinessDate && d.Completeness != 100 {
			t.Fatalf("the platform's copy of the day: %+v", d)
		}
	}
}

// TestTheRegulatorQueriesWhatTheCloudHolds: the platform calls each query
// of §9.3 and gets what the cloud holds; a raw-data query reports the
// day's records again; anyone but the platform, or a query not signed by
// it, is refused.
func TestTheRegulatorQueriesWhatTheCloudHolds(t *testing.T) {
	w, sim, pc := platformWorldIn(t, wire.AlgRSA, "", nil)
	ss := w.filmSession()
	w.sellIn(ss, "F-1", "F-2")
	waitRecords(t, sim, 2)
	ctx := context.Background()
	day := wire.RangeQuery{Cinema: w.venue.Code, From: ss.BusinessDate, To: ss.BusinessDate}
	ask := func(i wire.Interface, q wire.RangeQuery, out any) wire.Answer {
		t.Helper()
		a, err := sim.Query(ctx, "ADMIT01", i, q)
		if err != nil {
			t.Fatalf("%s: %v", i, err)
		}
		if out != nil {
			if !a.OK {
				t.Fatalf("%s answered %s: %s", i, a.Code, a.Reason)
			}
			if err := json.Unmarshal(a.Data, out); err != nil {
				t.Fatalf("%s: %v: %s", i, err, a.Data)
			}
		}
		return a
	}
	var info wire.CinemaInfo
	ask(wire.QueryCinema, wire.RangeQuery{Cinema: w.venue.Code}, &info)
	if info.Code != w.venue.Code || info.Halls != 1 || len(info.HallSeats) != 1 || info.HallSeats[0].Seats != len(w.seats) || info.Vendor != "ADMIT01" {
		t.Fatalf("cinema info %+v", info)
	}
	var halls []wire.HallReport
	ask(wire.QueryHalls, wire.RangeQuery{Cinema: w.venue.Code}, &halls)
	if len(halls) != 1 || halls[0].Hall != "H1" || len(halls[0].Seats) != len(w.seats) {
		t.Fatalf("halls %+v", halls)
	}
	var plans []wire.PlanReport
	ask(wire.QueryPlans, day, &plans)
	if len(plans) != 1 || len(plans[0].Sessions) != 1 || plans[0].Sessions[0].Session != strconv.FormatInt(ss.ID, 10) || plans[0].Sessions[0].StandardCents != 4500 {
		t.Fatalf("plans %+v", plans)
	}
	var stats []wire.SessionStats
	ask(wire.QueryStats, day, &stats)
	if len(stats) != 1 || stats[0].LocalSold != 2 || stats[0].LocalSoldCents != 9000 {
		t.Fatalf("stats %+v", stats)
	}
	var log []wire.PlanLogEntry
	ask(wire.QueryLog, day, &log)
	if len(log) != 2 || log[0].Operation != wire.OpCreate || log[1].Operation != wire.OpUpdate {
		t.Fatalf("plan log %+v", log)
	}
	var again report.RereportAnswer
	ask(wire.QueryTickets, day, &again)
	if again.Requeued != 2 {
		t.Fatalf("re-report queued %d records, want 2", again.Requeued)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := sim.WaitRecords(sctx, func(rs []platformsim.Record) bool {
		n := 0
		for _, r := range rs {
			if r.Interface == wire.RawTicket && r.Duplicates == 1 {
				n++
			}
		}
		return n == 2
	}); err != nil {
		t.Fatal("the records asked for were not reported again")
	}

	if a := ask(wire.QueryCinema, wire.RangeQuery{Cinema: "39999999"}, nil); a.OK || a.Code != wire.CodeUnknownCinema {
		t.Fatalf("another cinema: %+v", a)
	}
	sim.SetFaults(platformsim.Faults{ForgeQueries: true})
	if a := ask(wire.QueryCinema, wire.RangeQuery{Cinema: w.venue.Code}, nil); a.OK || a.Code != wire.CodeSignature {
		t.Fatalf("a query signed with another key: %+v", a)
	}
	sim.SetFaults(platformsim.Faults{})

	// The system's own certificate is the platform's CA's, but not the platform's.
	cert, err := tls.LoadX509KeyPair(pc.Cert, pc.Key)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(pc.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	for name, certs := range map[string][]tls.Certificate{"the system's own certificate": {cert}, "no certificate": nil} {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
		resp, err := c.Post("https://"+pc.QueryListen+wire.QueryCinema.SystemPath(), "application/json", bytes.NewReader([]byte(`{}`)))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: answered %d", name, resp.StatusCode)
			}
		}
	}
}

// TestACinemasBusinessStatusReachesThePlatform: a manager puts the cinema
// on trial; the platform hears of it (§9.2.3) and the tickets sold after
// carry the new status.
func TestACinemasBusinessStatusReachesThePlatform(t *testing.T) {
	w, sim := platformWorld(t, wire.AlgSM2)
	ss := w.filmSession()
	settled(t, w, sim)
	ctx := context.Background()
	if _, err := w.svc.SetVenueStatus(ctx, w.clerk, w.venue.ID, sales.VenueStatus{Status: "trial"}); err == nil {
		t.Fatal("a clerk changed the cinema's status")
	}
	if _, err := w.svc.SetVenueStatus(ctx, w.admin, w.venue.ID, sales.VenueStatus{Status: "bankrupt"}); err == nil {
		t.Fatal("an unknown status was accepted")
	}
	// The tenant admin sets it on the portal's venues page.
	bctx := browser(t)
	vid := strconv.FormatInt(w.venue.ID, 10)
	run(t, bctx, "put the cinema on trial",
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=username]`), "acme-admin"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=total-sold]`)),
		chromedp.Navigate(w.srv.URL+"/#/venues"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=venue-status-`+vid+`]`)),
		chromedp.SetValue(chromedp.CSS(`[data-test=venue-status-`+vid+`]`), "trial"),
		chromedp.Click(chromedp.CSS(`[data-test=set-venue-status-`+vid+`]`)),
		waitText(`body`, "Saved"))
	shot(t, bctx, "portal-venue-status")
	v, err := w.svc.GetVenue(ctx, w.admin, w.venue.ID)
	w.must(err)
	if v.BusinessStatus != "trial" {
		t.Fatalf("the venue says %q", v.BusinessStatus)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := sim.WaitRecords(sctx, func(rs []platformsim.Record) bool {
		return slices.ContainsFunc(rs, func(r platformsim.Record) bool { return r.Interface == wire.BusinessStatus })
	}); err != nil {
		t.Fatal("the platform never heard of the status")
	}
	var st wire.StatusReport
	for _, r := range sim.Records() {
		if r.Interface == wire.BusinessStatus {
			json.Unmarshal(r.Body, &st)
		}
	}
	if st.Cinema != w.venue.Code || st.Status != wire.StatusTrial || st.Effective == "" {
		t.Fatalf("the platform heard %+v", st)
	}
	o := w.sellIn(ss, "G-1")
	recs := waitRecords(t, sim, 1)
	var x wire.TicketRecord
	json.Unmarshal(recs[0].Body, &x)
	if x.Ticket != o.Tickets[0].Number || x.CinemaStatus != wire.StatusTrial {
		t.Fatalf("a ticket sold on trial was reported %+v", x)
	}
	entries, err := w.svc.AuditLog(ctx, w.admin, sales.AuditFilter{Action: "venue.status", Limit: 10})
	if err != nil || len(entries) != 1 || !strings.Contains(string(entries[0].After), "trial") {
		t.Fatalf("audit of the status change: %+v %v", entries, err)
	}
}
