package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/outlet"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// A booth: its clerk's sales record it, the report counts them, and once
// the organiser disables it the clerk sells nothing, at once.
func TestABoothsSalesRecordItAndADisabledBoothSellsNothing(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	var booth outlet.Outlet
	w.ok(w.call(tw.admin, "POST", "/api/v1/outlets", outlet.Outlet{Channel: sales.ChannelPOS, Code: "east-booth", Name: "East booth"}), &booth)
	if r := w.call(tw.clerk, "POST", "/api/v1/outlets", outlet.Outlet{Channel: sales.ChannelPOS, Code: "x", Name: "x"}); r.status != http.StatusForbidden {
		t.Fatalf("a clerk adds an outlet: %d", r.status)
	}
	var users []sales.User
	w.ok(w.call(tw.admin, "GET", "/api/v1/users", nil), &users)
	var clerkID int64
	for _, u := range users {
		if u.Username == "alpha-clerk" {
			clerkID = u.ID
		}
	}
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/outlets/%d/staff", booth.ID), map[string]int64{"user_id": clerkID}), nil)
	o := w.buy(tw, tw.seatsX[5].SeatID, tw.seatsX[6].SeatID)
	if o.OutletID != booth.ID {
		t.Fatalf("the booth clerk's order records outlet %d, want %d", o.OutletID, booth.ID)
	}
	var rep []outlet.Sales
	w.ok(w.call(tw.admin, "GET", "/api/v1/outlets/report?from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), nil), &rep)
	if len(rep) != 1 || rep[0].Orders != 1 || rep[0].Tickets != 2 || rep[0].TotalCents != 9000 {
		t.Fatalf("the outlet report: %+v", rep)
	}
	// The booth is a settlement partner: its run is its staff's sales.
	end := time.Now().Add(2 * time.Millisecond)
	for !time.Now().After(end) {
	}
	var run settlement.Run
	w.ok(w.call(tw.admin, "POST", "/api/v1/settlement/runs", settlement.NewRun{Party: fmt.Sprintf("outlet:%d", booth.ID), From: end.Add(-time.Hour), To: end}), &run)
	if len(run.Lines) != 1 || run.Lines[0].OrderID != o.ID || run.Totals.NetCents != 9000 {
		t.Fatalf("the booth's settlement: %+v", run)
	}
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/outlets/%d/enable", booth.ID), map[string]any{"enabled": false, "reason": "closed for the day"}), nil)
	r := w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: tw.sessionX, Channel: "pos", SeatIDs: []int64{tw.seatsX[7].SeatID}})
	if r.status != http.StatusForbidden || r.errorCode() != "outlet_disabled" {
		t.Fatalf("a disabled booth's clerk holds seats: %d %s", r.status, r.body)
	}
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/outlets/%d/enable", booth.ID), map[string]any{"enabled": true}), nil)
	w.buy(tw, tw.seatsX[7].SeatID)
}
