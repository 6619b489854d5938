package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/internal/platformsim"
)

// serialOf is the serial of the platform's record of a ticket operation
// (a sale's may be a presale).
func serialOf(t *testing.T, sim *platformsim.Sim, ticket, op string) string {
	t.Helper()
	for _, r := range sim.Records() {
		var x wire.TicketRecord
		if r.Interface == wire.RawTicket && json.Unmarshal(r.Body, &x) == nil && x.Ticket == ticket && (x.Operation == op || (op == wire.OpSale && x.Operation == wire.OpPresale)) {
			return r.Serial
		}
	}
	t.Fatalf("the platform holds no %s of %s", op, ticket)
	return ""
}

// hasAnomaly says whether the dashboard lists an anomaly of the kind.
func hasAnomaly(d sales.Dashboard, kind string) bool {
	for _, a := range d.Anomalies.Recent {
		if a.Kind == kind {
			return true
		}
	}
	return false
}

// TestReconciliationFindsWhatThePlatformLostAndTheDevicesDid: a day's
// records, one of them lost by the platform, and a ticket printed at a
// kiosk then refunded. Reconciling the day three ways finds the loss
// (75 %, an alert on the dashboard and the Reporting page), sends the
// record again, and shows the used refund; reconciled again, the day is
// whole. A platform that answers nothing for over a minute is reporting
// lag on the dashboard.
func TestReconciliationFindsWhatThePlatformLostAndTheDevicesDid(t *testing.T) {
	w, sim, ahead := makeupWorld(t)
	rep := w.srv.Reporting()
	ctx := context.Background()
	kiosk := w.agent(w.device("kiosk", "lobby-kiosk"))
	ss := w.filmSession()
	o := w.sellIn(ss, "J-1", "J-2", "J-3")
	w.caughtUp(kiosk)
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": o.Tickets[0].Number}, nil); code != 200 {
		t.Fatalf("print: %d", code)
	}
	uploaded(t, kiosk)
	rf, err := w.svc.RequestRefund(ctx, w.clerk, sales.RefundInput{OrderID: o.ID, TicketIDs: []int64{o.Tickets[0].ID}, Reason: "wrong film"})
	w.must(err)
	// The printed ticket is handed back before the money; it was printed
	// all the same, which reconciliation reports.
	_, err = w.svc.MarkReturned(ctx, w.clerk, o.Tickets[0].Number, "handed back")
	w.must(err)
	_, err = w.svc.DecideRefund(ctx, w.manager, rf.ID, true, "ok")
	w.must(err)
	waitRecords(t, sim, 4)
	lost := serialOf(t, sim, o.Tickets[1].Number, wire.OpSale)
	if sim.Forget("ADMIT01", lost) != 1 {
		t.Fatal("the platform did not lose the record")
	}

	ahead.Store(int64(time.Until(ss.StartsAt.Add(24 * time.Hour))))
	day, err := rep.Reconcile(ctx, w.admin, report.ReconcileRequest{VenueID: w.venue.ID, BusinessDate: ss.BusinessDate})
	w.must(err)
	if day.Tickets != 3 || day.Refunded != 1 || day.Printed != 1 || day.Records != 4 || day.Platform != 3 || day.Completeness != 75 || !day.Alert() ||
		strings.Join(day.Missing, ",") != lost || day.Resent != 1 || strings.Join(day.UsedRefunded, ",") != o.Tickets[0].Number ||
		len(day.Unknown)+len(day.Unreported) != 0 {
		t.Fatalf("the day reconciled: %+v", day)
	}
	if _, err := rep.Reconcile(ctx, w.clerk, report.ReconcileRequest{VenueID: w.venue.ID, BusinessDate: ss.BusinessDate}); !sales.IsKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk reconciles: %v", err)
	}
	if _, err := rep.Reconcile(ctx, w.admin, report.ReconcileRequest{VenueID: w.venue.ID, BusinessDate: "2026-13-40"}); !sales.IsKind(err, sales.KindInvalid) {
		t.Fatalf("a day that is no date: %v", err)
	}
	if _, err := rep.Reconcile(ctx, w.admin, report.ReconcileRequest{VenueID: w.venue.ID + 1000, BusinessDate: ss.BusinessDate}); !sales.IsKind(err, sales.KindNotFound) {
		t.Fatalf("no such venue: %v", err)
	}
	mgr := w.token("manager")
	if _, d := w.dashboardAs(mgr); d.Anomalies.IncompleteDays != 1 || !hasAnomaly(d, "reporting_incomplete") {
		t.Fatalf("the dashboard's anomalies after the reconciliation: %+v", d.Anomalies)
	}

	// The Reporting page shows the day; the lost record is back at the
	// platform; reconciling again from the page, the day is whole.
	browserCtx := w.loginAs(t, "acme-admin")
	run(t, browserCtx, "the day on the Reporting page",
		chromedp.Navigate(w.srv.URL+"/#/reporting"),
		waitText(`[data-test=rc-days] .rc-complete`, "75.0 %"),
		waitText(`[data-test=rc-days] .rc-diff`, lost),
		waitText(`[data-test=rc-days] .rc-diff`, o.Tickets[0].Number))
	shot(t, browserCtx, "portal-reconciliation-lost")
	run(t, browserCtx, "the day on the dashboard's anomalies",
		chromedp.Navigate(w.srv.URL+"/#/dashboard"),
		waitText(`[data-test=incomplete-days]`, ": 1"),
		waitText(`[data-test=anomalies]`, "less than 98 %"))
	shot(t, browserCtx, "portal-dashboard-reporting")
	run(t, browserCtx, "back to the Reporting page",
		chromedp.Navigate(w.srv.URL+"/#/reporting"),
		waitText(`[data-test=rc-days] .rc-complete`, "75.0 %"))
	waitFor(t, sim, "the lost record sent again", func(rs []platformsim.Record) bool {
		for _, r := range rs {
			if r.Serial == lost {
				return true
			}
		}
		return false
	})
	run(t, browserCtx, "reconcile again",
		chromedp.Click(chromedp.CSS(`[data-test=rc-run]`)),
		waitText(`[data-test=rc-days] .rc-complete`, "100.0 %"),
		waitText(`[data-test=rc-msg]`, "100.0 %"))
	if _, d := w.dashboardAs(mgr); d.Anomalies.IncompleteDays != 0 || hasAnomaly(d, "reporting_incomplete") {
		t.Fatalf("the dashboard after the day is whole: %+v", d.Anomalies)
	}
	for _, d := range sim.Summary() {
		if d.BusinessDate == ss.BusinessDate && d.Duplicates != 0 {
			t.Fatalf("the platform got a copy twice: %+v", d)
		}
	}

	// The platform answers nothing: over a minute later, the dashboard
	// shows the reporting lag; once it answers, the lag is gone.
	sim.SetFaults(platformsim.Faults{Status: 503})
	start := ss.StartsAt.Add(48 * time.Hour)
	_, err = w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: ss.HallID, EventID: ss.EventID, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
		MinPriceCents: 1000}) // its plan entry is a report
	w.must(err)
	waitQueue(t, w, "a failing report", func(q report.QueueStatus) bool { return q.Failing > 0 })
	ahead.Add(int64(2 * time.Minute))
	if _, d := w.dashboardAs(mgr); d.Anomalies.ReportingLag < 60 || !hasAnomaly(d, "reporting_lag") || d.Anomalies.ReportsFailing == 0 ||
		!hasAnomaly(d, "report_failing") {
		t.Fatalf("the dashboard while the platform is silent: %+v", d.Anomalies)
	}
	sim.SetFaults(platformsim.Faults{})
	waitQueue(t, w, "the queue drained", func(q report.QueueStatus) bool { return q.Pending == 0 })
	if _, d := w.dashboardAs(mgr); d.Anomalies.ReportingLag != 0 || hasAnomaly(d, "reporting_lag") || hasAnomaly(d, "report_failing") {
		t.Fatalf("the dashboard once the platform answers: %+v", d.Anomalies)
	}
}

// TestTheReporterReconcilesEndedDaysByItself: with nobody asking, the
// reporter reconciles the ended business days and sends again what the
// platform lost.
func TestTheReporterReconcilesEndedDaysByItself(t *testing.T) {
	w, sim, ahead := clockWorld(t, func(c *server.Config) { c.Platform.Report.Reconcile = 30 * time.Millisecond })
	ss := w.filmSession()
	o := w.sellIn(ss, "B-1", "B-2")
	waitRecords(t, sim, 2)
	lost := serialOf(t, sim, o.Tickets[0].Number, wire.OpSale)
	// The platform loses a record; the day ends.
	sim.Forget("ADMIT01", lost)
	ahead.Store(int64(time.Until(ss.StartsAt.Add(24 * time.Hour))))
	waitFor(t, sim, "the lost record sent again", func(rs []platformsim.Record) bool {
		for _, r := range rs {
			if r.Serial == lost {
				return true
			}
		}
		return false
	})
	// The reconciliation it keeps says the day is whole once the copy is back.
	deadline := time.Now().Add(20 * time.Second)
	for {
		days, err := w.srv.Reports.Reconciliations(context.Background(), report.All, 10)
		w.must(err)
		if len(days) == 1 && days[0].Completeness == 100 && days[0].BusinessDate == ss.BusinessDate {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reconciliations kept: %+v", days)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
