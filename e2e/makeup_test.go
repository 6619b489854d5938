package e2e

import (
	"context"
	"encoding/json"
	"fmt"
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

// makeupWorld is a platform world whose clock the test moves forward.
func makeupWorld(t *testing.T) (*world, *platformsim.Sim, *atomic.Int64) {
	t.Helper()
	return clockWorld(t, nil)
}

// clockWorld is makeupWorld, adjusted.
func clockWorld(t *testing.T, adjust func(*server.Config)) (*world, *platformsim.Sim, *atomic.Int64) {
	t.Helper()
	ahead := &atomic.Int64{}
	w, sim, _ := platformWorldIn(t, wire.AlgSM2, "", func(c *server.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		c.Platform.Report.DayCheck = 20 * time.Millisecond
		if adjust != nil {
			adjust(c)
		}
	})
	return w, sim, ahead
}

// waitFor waits until the platform's records satisfy ok.
func waitFor(t *testing.T, sim *platformsim.Sim, what string, ok func([]platformsim.Record) bool) []platformsim.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	recs, err := sim.WaitRecords(ctx, ok)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return recs
}

// ticketOps are the platform's raw records by ticket code: their operations.
func ticketOps(rs []platformsim.Record) map[string][]wire.TicketRecord {
	out := map[string][]wire.TicketRecord{}
	for _, r := range rs {
		if r.Interface == wire.RawTicket {
			var x wire.TicketRecord
			json.Unmarshal(r.Body, &x)
			out[x.Ticket] = append(out[x.Ticket], x)
		}
	}
	return out
}

// lastStats is the session's latest statistics at the platform.
func lastStats(rs []platformsim.Record, session int64) (wire.SessionStats, int) {
	var st wire.SessionStats
	n := 0
	for _, r := range rs {
		var x wire.SessionStats
		if r.Interface == wire.DailyStats && json.Unmarshal(r.Body, &x) == nil && x.Session == strconv.FormatInt(session, 10) {
			st, n = x, n+1
		}
	}
	return st, n
}

// TestLateSalesAndRefundsReachThePlatformAsTheRulesSay: a 补登 within a
// week is raw data at once once a second manager approves it, and the
// day's statistics are restated; an older one is an application the
// platform reviews: its rejection reports nothing, its approval releases
// the data. A manager cannot approve their own; bad 补登 change nothing.
func TestLateSalesAndRefundsReachThePlatformAsTheRulesSay(t *testing.T) {
	w, sim, ahead := makeupWorld(t)
	rep := w.srv.Reporting()
	ctx := context.Background()
	ss := w.filmSession()
	o := w.sellIn(ss, "D-1", "D-2", "D-3")
	waitRecords(t, sim, 3)

	// Before the show a refund is the box office's, not a 补登.
	if _, err := rep.ProposeMakeup(ctx, w.manager, report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupRefund,
		Tickets: []string{o.Tickets[0].Number}, Evidence: "receipt"}); !sales.IsKind(err, sales.KindConflict) {
		t.Fatalf("a 补登 before the show: %v", err)
	}

	// Two days later the day's statistics are at the platform.
	ahead.Store(int64(time.Until(ss.StartsAt.Add(48 * time.Hour))))
	waitFor(t, sim, "the day's statistics", func(rs []platformsim.Record) bool { _, n := lastStats(rs, ss.ID); return n == 1 })

	// Bad 补登 are refused and change nothing.
	for _, bad := range []struct {
		req  report.MakeupRequest
		kind sales.Kind
	}{
		{report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"F-1"}, PriceCents: 4500}, sales.KindInvalid},                       // no evidence
		{report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"D-1"}, PriceCents: 4500, Evidence: "x"}, sales.KindConflict},       // sold in the system
		{report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"ZZ-99"}, PriceCents: 4500, Evidence: "x"}, sales.KindInvalid},      // no such seat
		{report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"F-1", "F-1"}, PriceCents: 4500, Evidence: "x"}, sales.KindInvalid}, // twice
		{report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupRefund, Tickets: []string{"nope"}, Evidence: "x"}, sales.KindInvalid},
		{report.MakeupRequest{SessionID: ss.ID, Kind: "gift", Seats: []string{"F-1"}, Evidence: "x"}, sales.KindInvalid},
	} {
		if _, err := rep.ProposeMakeup(ctx, w.manager, bad.req); !sales.IsKind(err, bad.kind) {
			t.Errorf("%+v: %v, want %s", bad.req, err, bad.kind)
		}
	}
	if _, err := rep.ProposeMakeup(ctx, w.clerk, report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"F-1"}, PriceCents: 4500,
		Evidence: "x"}); !sales.IsKind(err, sales.KindForbidden) {
		t.Errorf("a clerk records a 补登: %v", err)
	}
	if ms, _ := rep.Makeups(ctx, w.admin); len(ms) != 0 {
		t.Fatalf("refused 补登 were kept: %+v", ms)
	}

	// A late sale of two seats, within the week.
	m, err := rep.ProposeMakeup(ctx, w.manager, report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"F-1", "F-2"},
		PriceCents: 4500, Evidence: "paper tickets 0012-0013 sold during the outage"})
	w.must(err)
	if _, err := rep.DecideMakeup(ctx, w.manager, m.ID, true, ""); !sales.IsKind(err, sales.KindForbidden) {
		t.Fatalf("a manager approves their own 补登: %v", err)
	}
	if m, err = rep.DecideMakeup(ctx, w.admin, m.ID, true, "checked the stubs"); err != nil || m.State != report.MakeupReleased {
		t.Fatalf("approve: %+v %v", m, err)
	}
	if _, err := rep.DecideMakeup(ctx, w.admin, m.ID, true, ""); !sales.IsKind(err, sales.KindConflict) {
		t.Fatalf("approved twice: %v", err)
	}
	sale := "M" + strconv.FormatInt(m.ID, 10)
	recs := waitFor(t, sim, "the late sale and the restated statistics", func(rs []platformsim.Record) bool {
		st, _ := lastStats(rs, ss.ID)
		ops := ticketOps(rs)
		return len(ops[sale+"-1"]) == 1 && len(ops[sale+"-2"]) == 1 && st.MakeupCount == 2
	})
	if x := ticketOps(recs)[sale+"-1"]; len(x) != 1 || x[0].Operation != wire.OpMakeupSale || x[0].PriceCents != 4500 || x[0].BusinessDate != ss.BusinessDate {
		t.Fatalf("the late sale's record: %+v", x)
	}
	st, n := lastStats(recs, ss.ID)
	if n != 2 || st.MakeupCents != 9000 || st.LocalSold != 3 {
		t.Fatalf("%d statistics of the session; the last: %+v", n, st)
	}

	// A refund after the show, within the week: the ticket is refunded.
	rf, err := rep.ProposeMakeup(ctx, w.manager, report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupRefund, Tickets: []string{o.Tickets[0].Number},
		Evidence: "projector failed mid-show"})
	w.must(err)
	_, err = rep.DecideMakeup(ctx, w.admin, rf.ID, true, "")
	w.must(err)
	recs = waitFor(t, sim, "the late refund", func(rs []platformsim.Record) bool {
		st, _ := lastStats(rs, ss.ID)
		return len(ticketOps(rs)[o.Tickets[0].Number]) == 2 && st.LocalRefunded == 1
	})
	if x := ticketOps(recs)[o.Tickets[0].Number]; x[0].Operation == wire.OpMakeupRefund || x[1].Operation != wire.OpMakeupRefund {
		t.Fatalf("the ticket's records, in order: %+v", x)
	}
	tk, err := w.svc.GetTicket(ctx, w.admin, o.Tickets[0].Number)
	if err != nil || tk.Status != "refunded" {
		t.Fatalf("the refunded ticket: %+v %v", tk, err)
	}
	for _, d := range sim.Summary() {
		if d.BusinessDate == ss.BusinessDate && (d.Completeness != 100 || d.Makeups != 3) {
			t.Fatalf("the platform's copy of the day: %+v", d)
		}
	}

	// Ten days on, a 补登 is an application the platform reviews.
	ahead.Store(int64(time.Until(ss.StartsAt.Add(10 * 24 * time.Hour))))
	late, err := rep.ProposeMakeup(ctx, w.manager, report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupRefund, Tickets: []string{o.Tickets[1].Number},
		Evidence: "complaint 77"})
	w.must(err)
	if late, err = rep.DecideMakeup(ctx, w.admin, late.ID, true, ""); err != nil || late.State != report.MakeupApplied || late.Application == "" {
		t.Fatalf("an old 补登 approved: %+v %v", late, err)
	}
	old, err := rep.ProposeMakeup(ctx, w.manager, report.MakeupRequest{SessionID: ss.ID, Kind: report.MakeupSale, Seats: []string{"G-1"}, PriceCents: 3000,
		Evidence: "stub 0020"})
	w.must(err)
	old, err = rep.DecideMakeup(ctx, w.admin, old.ID, true, "")
	w.must(err)
	waitFor(t, sim, "two applications", func([]platformsim.Record) bool { return len(sim.Applications()) == 2 })
	var app wire.MakeupApplication
	for _, a := range sim.Applications() {
		if a.Serial == late.Application {
			json.Unmarshal(a.Body, &app)
		}
	}
	if app.Count != 1 || app.AmountCents != o.Tickets[1].PriceCents || app.BusinessDate != ss.BusinessDate || app.Session != strconv.FormatInt(ss.ID, 10) {
		t.Fatalf("the refund application: %+v", app)
	}

	// A review not signed by the platform is refused by the cloud.
	sim.SetFaults(platformsim.Faults{ForgeQueries: true})
	if _, err := sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT01", Serial: late.Application, Approve: true}); err == nil {
		t.Fatal("a forged review was taken")
	}
	sim.SetFaults(platformsim.Faults{})
	if got, _ := w.srv.Reports.GetMakeup(ctx, report.All, late.ID); got.State != report.MakeupApplied {
		t.Fatalf("a forged review changed the 补登: %+v", got)
	}

	// Rejected: nothing is reported, the ticket stays valid.
	if _, err := sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT01", Serial: late.Application, Reason: "no evidence of the refund"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.srv.Reports.GetMakeup(ctx, report.All, late.ID); got.State != report.MakeupRejected || got.Reason != "no evidence of the refund" {
		t.Fatalf("after the platform's rejection: %+v", got)
	}
	if _, err := sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT01", Serial: late.Application, Approve: true}); err == nil {
		t.Fatal("a rejected application was approved after all")
	}
	// Approved: the data follows at once, due within 48 hours.
	if _, err := sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT01", Serial: old.Application, Approve: true}); err != nil {
		t.Fatal(err)
	}
	again, err := sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT01", Serial: old.Application, Approve: true})
	if err != nil || again.Review != "approved" {
		t.Fatalf("the same review again: %+v %v", again, err)
	}
	got, _ := w.srv.Reports.GetMakeup(ctx, report.All, old.ID)
	if got.State != report.MakeupReleased || got.ReportBy() == nil || got.ReportBy().Sub(*got.ReleasedAt) != 48*time.Hour {
		t.Fatalf("after the platform's approval: %+v", got)
	}
	oldSale := "M" + strconv.FormatInt(old.ID, 10) + "-1"
	waitFor(t, sim, "the approved 补登's record and the restated statistics", func(rs []platformsim.Record) bool {
		st, _ := lastStats(rs, ss.ID)
		return len(ticketOps(rs)[oldSale]) == 1 && st.MakeupCount == 3
	})
	waitQueue(t, w, "an empty queue", func(q report.QueueStatus) bool { return q.Pending == 0 })
	recs = sim.Records()
	if x := ticketOps(recs)[o.Tickets[1].Number]; len(x) != 1 {
		t.Fatalf("the rejected refund was reported: %+v", x)
	}
	if tk, _ := w.svc.GetTicket(ctx, w.admin, o.Tickets[1].Number); tk.Status != "valid" {
		t.Fatalf("the rejected refund's ticket: %+v", tk)
	}
	if st, _ := lastStats(recs, ss.ID); st.MakeupCents != 12000 || st.LocalRefunded != 1 {
		t.Fatalf("the restated statistics after the approval: %+v", st)
	}

	// Every step is in the audit log.
	entries, err := w.svc.AuditLog(ctx, w.admin, sales.AuditFilter{Limit: 200})
	w.must(err)
	actions := map[string]int{}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "report.makeup.") {
			actions[e.Action]++
		}
	}
	want := map[string]int{"report.makeup.propose": 4, "report.makeup.approve": 2, "report.makeup.apply": 2, "report.makeup.platform_reject": 1,
		"report.makeup.platform_approve": 1}
	for k, v := range want {
		if actions[k] != v {
			t.Errorf("audit %s: %d entries, want %d (all: %v)", k, actions[k], v, actions)
		}
	}
}

// loginAs opens the portal in a browser of its own, logged in.
func (w *world) loginAs(t *testing.T, username string) context.Context {
	t.Helper()
	ctx := browser(t)
	run(t, ctx, "log in as "+username,
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav`)))
	return ctx
}

// TestTheReportingPageRecordsAndDecidesA补登: a venue manager records a
// late sale on the Reporting page, cannot approve it, and the tenant admin
// approves it there; the sale reaches the platform.
func TestTheReportingPageRecordsAndDecidesAMakeup(t *testing.T) {
	w, sim, ahead := makeupWorld(t)
	ss := w.filmSession()
	ahead.Store(int64(time.Until(ss.StartsAt.Add(3 * time.Hour)))) // the show is over

	mgr := w.loginAs(t, "manager")
	run(t, mgr, "record a late sale",
		chromedp.Navigate(w.srv.URL+"/#/reporting"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=mk-none]`)),
		waitTrue(fmt.Sprintf(`document.querySelector('[data-test=mk-session] option[value="%d"]') !== null`, ss.ID), 10*time.Second),
		chromedp.SetValue(chromedp.CSS(`[data-test=mk-session]`), strconv.FormatInt(ss.ID, 10)),
		chromedp.SetValue(chromedp.CSS(`[data-test=mk-kind]`), "sale"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=mk-items]`), "H-1, H-2"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=mk-price]`), "45"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=mk-evidence]`), "stubs 31-32, network down 19:00-21:00"),
		chromedp.Click(chromedp.CSS(`[data-test=mk-record]`)),
		waitText(`[data-test=mk-list]`, "proposed"),
		waitText(`[data-test=mk-list]`, "H-1, H-2"),
		waitText(`[data-test=mk-list]`, "90.00"))
	run(t, mgr, "not one's own",
		chromedp.Click(chromedp.CSS(`[data-test=mk-approve]`)),
		waitText(`[data-test=mk-list] [data-test=error]`, "another manager"))
	shot(t, mgr, "portal-makeup-proposed")

	admin := w.loginAs(t, "acme-admin")
	run(t, admin, "approve it",
		chromedp.Navigate(w.srv.URL+"/#/reporting"),
		waitText(`[data-test=mk-list]`, "proposed"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=mk-note]`), "stubs checked"),
		chromedp.Click(chromedp.CSS(`[data-test=mk-approve]`)),
		waitText(`[data-test=mk-list] .mk-state`, "released"))
	shot(t, admin, "portal-makeup-released")
	recs := waitFor(t, sim, "the late sale", func(rs []platformsim.Record) bool {
		n := 0
		for _, x := range ticketOps(rs) {
			if x[0].Operation == wire.OpMakeupSale {
				n++
			}
		}
		return n == 2
	})
	for _, x := range ticketOps(recs) {
		if x[0].Operation == wire.OpMakeupSale && x[0].PriceCents != 4500 {
			t.Fatalf("a late sale at the platform: %+v", x)
		}
	}
}
