package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/inventory"
	"github.com/admitbox/admit/cloud/sales"
)

// The inventory: for every session the seats sold, unsold and not for
// sale add up to the hall's seats; an export as of a moment is the same
// file after later sales; commemorative tickets are made and their chips
// bound from the printing house's file.
func TestTheInventoryAddsUpForEverySessionAndIsReproducible(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	var ss sales.Session
	var second sales.Session
	w.ok(w.call(tw.admin, "GET", fmt.Sprintf("/api/v1/sessions/%d", tw.sessionX), nil), &ss)
	w.ok(w.call(tw.admin, "POST", "/api/v1/sessions", sales.NewSession{HallID: tw.hallX, EventID: tw.eventID, StartsAt: ss.StartsAt.Add(24 * time.Hour),
		EndsAt: ss.EndsAt.Add(24 * time.Hour), MinPriceCents: 3000}), &second)
	w.ok(w.call(tw.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/prices", second.ID), map[string]any{"tiers": []sales.PriceTier{{Name: "Standard", PriceCents: 4500}}}), nil)

	seat := func(i int) int64 { return tw.seatsX[i].SeatID }
	o1 := w.buy(tw, seat(0), seat(1), seat(2))
	w.buy(tw, seat(3))
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/sessions/%d/seat-categories", tw.sessionX), sales.CategoryChange{SeatIDs: []int64{seat(10), seat(11)}, Category: "non_sale"}), nil)
	var rf sales.RefundRequest
	w.ok(w.call(tw.clerk, "POST", "/api/v1/refunds", sales.RefundInput{OrderID: o1.ID, TicketIDs: []int64{o1.Tickets[2].ID}, Reason: "wrong seat"}), &rf)
	w.ok(w.call(tw.manager, "POST", fmt.Sprintf("/api/v1/refunds/%d/approve", rf.ID), map[string]string{}), nil)
	var h sales.Hold
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: second.ID, Channel: "pos", Count: 5}), &h)
	w.ok(w.call(tw.clerk, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}), nil)

	// Commemorative production: ordered, sent to the printing house, made.
	t0 := o1.Tickets[0].Number
	w.ok(w.call(tw.manager, "POST", "/api/v1/tickets/commemorative", map[string][]string{"numbers": {t0}}), nil)
	r := w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/commemorative.csv", tw.venueX), nil)
	if r.status != 200 || !strings.Contains(string(r.body), t0) {
		t.Fatalf("print data: %d %s", r.status, r.body)
	}
	bad := w.call(tw.manager, "POST", fmt.Sprintf("/api/v1/venues/%d/commemorative", tw.venueX), "number,rfid\n"+t0+",nothex\n123,04A22B1A\n")
	if bad.status != http.StatusBadRequest || bad.errorCode() != "bad_production" || !strings.Contains(string(bad.body), `"line":3`) {
		t.Fatalf("a bad result file: %d %s", bad.status, bad.body)
	}
	if r := w.call(tw.manager, "POST", fmt.Sprintf("/api/v1/venues/%d/commemorative", tw.venueX), "number,rfid\n"+o1.Tickets[1].Number+",04A22B1B\n"); r.errorCode() != "not_commemorative" {
		t.Fatalf("a ticket not ordered as commemorative: %d %s", r.status, r.body)
	}
	w.ok(w.call(tw.manager, "POST", fmt.Sprintf("/api/v1/venues/%d/commemorative", tw.venueX), "number,rfid\n"+t0+",04:a2:2b:1a\n"), nil)
	var tk sales.Ticket
	w.ok(w.call(tw.clerk, "GET", "/api/v1/tickets/"+t0, nil), &tk)
	if tk.Card != "04A22B1A" {
		t.Fatalf("the commemorative ticket's chip: %q", tk.Card)
	}

	// The export as of now.
	end := time.Now().Add(2 * time.Millisecond)
	for !time.Now().After(end) {
	}
	asOf := url.QueryEscape(end.UTC().Format(time.RFC3339Nano))
	path := fmt.Sprintf("/api/v1/venues/%d/inventory.csv?as_of=%s", tw.venueX, asOf)
	first := w.call(tw.manager, "GET", path, nil)
	if first.status != 200 {
		t.Fatalf("inventory.csv: %d %s", first.status, first.body)
	}
	var inv inventory.Inventory
	w.ok(w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory?as_of=%s", tw.venueX, asOf), nil), &inv)
	recs, err := csv.NewReader(bytes.NewReader(first.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, rec := range recs[1:] {
		lines[rec[1]]++
	}
	if len(inv.Sessions) != 2 {
		t.Fatalf("inventory of %d sessions, want 2", len(inv.Sessions))
	}
	want := map[int64][3]int{tw.sessionX: {3, 200 - 3 - 2, 2}, second.ID: {5, 195, 0}}
	for _, s := range inv.Sessions {
		if s.Seats != 200 || s.Sold+s.Unsold+s.NotForSale != 200 || lines[fmt.Sprint(s.SessionID)] != 200 {
			t.Fatalf("session %d: %+v, %d CSV lines; want 200 seats that add up", s.SessionID, s.Counts, lines[fmt.Sprint(s.SessionID)])
		}
		if got := [3]int{s.Sold, s.Unsold, s.NotForSale}; got != want[s.SessionID] {
			t.Fatalf("session %d: sold, unsold, not for sale %v; want %v", s.SessionID, got, want[s.SessionID])
		}
	}
	for _, rec := range recs[1:] {
		if rec[6] == t0 && (rec[7] != "commemorative" || rec[8] != "done") {
			t.Fatalf("the commemorative ticket's line: %v", rec)
		}
	}
	// Later sales change today's inventory, not the export as of then.
	w.buy(tw, seat(20), seat(21))
	if again := w.call(tw.manager, "GET", path, nil); !bytes.Equal(again.body, first.body) {
		t.Fatal("the export as of the same moment changed after later sales")
	}
	if now := w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory.csv", tw.venueX), nil); bytes.Count(now.body, []byte(",sold,")) != bytes.Count(first.body, []byte(",sold,"))+2 {
		t.Fatalf("the inventory now does not show the two later sales")
	}
	if r := w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory?period=daily", tw.venueX), nil); r.status != 200 {
		t.Fatalf("the daily inventory: %d %s", r.status, r.body)
	}
	if r := w.call(w.b.admin, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory", tw.venueX), nil); r.status != http.StatusNotFound {
		t.Fatalf("another tenant's inventory: %d", r.status)
	}
}

// The daily and weekly exports are taken once per moment and kept: the
// file served is the one taken (its SHA-256 said), rebuilding it from the
// data gives the same bytes, and its tickets by channel agree with its
// seats sold, so no anomaly is flagged.
func TestInventoryExportsAreTakenOnceKeptAndCompareWithTheChannels(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	w.buy(tw, tw.seatsX[0].SeatID, tw.seatsX[1].SeatID, tw.seatsX[2].SeatID)
	// Tomorrow: yesterday's (today's) sales are in the daily export.
	tomorrow := time.Now().Add(25 * time.Hour)
	svc := inventory.New(w.srv.Store.Inventory(), w.srv.Svc, func() time.Time { return tomorrow })
	ctx := context.Background()
	if _, err := svc.TakeExports(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.TakeExports(ctx); err != nil || n != 0 {
		t.Fatalf("the exports taken again: %d %v", n, err)
	}
	var v sales.Venue
	w.ok(w.call(tw.admin, "GET", fmt.Sprintf("/api/v1/venues/%d", tw.venueX), nil), &v)
	loc, err := time.LoadLocation(v.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	day, _ := inventory.Period("daily", tomorrow, loc)
	var es []inventory.Export
	w.ok(w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory/exports", tw.venueX), nil), &es)
	var daily *inventory.Export
	for i, e := range es {
		if e.Period == "daily" && e.AsOf.Equal(day) {
			daily = &es[i]
		}
	}
	if daily == nil {
		t.Fatalf("no daily export as of %s in %+v", day, es)
	}
	if daily.Sold != 3 || daily.Channels["pos"] != 3 || len(daily.Anomalies) != 0 || daily.Seats != 200 {
		t.Fatalf("the daily export: %+v", daily)
	}
	r := w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory/exports/%d", tw.venueX, daily.ID), nil)
	if r.status != 200 || r.header.Get("X-Content-SHA256") != daily.SHA256 || inventory.Digest(r.body) != daily.SHA256 {
		t.Fatalf("the export's file: %d %s %s", r.status, r.header.Get("X-Content-SHA256"), daily.SHA256)
	}
	// Rebuilt from the data as of the same moment (tomorrow, on the
	// service's clock): the same bytes.
	rebuilt, err := svc.Build(ctx, sales.Principal{Role: auth.RolePlatformAdmin}, tw.venueX, daily.AsOf, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rebuilt.CSV(), r.body) {
		t.Fatal("the export rebuilt from the data differs from the file taken")
	}
	if r := w.call(w.b.admin, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory/exports/%d", tw.venueX, daily.ID), nil); r.status != http.StatusNotFound {
		t.Fatalf("another tenant reads the export: %d", r.status)
	}
	if r := w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/venues/%d/inventory/exports/%d", tw.venueY, daily.ID), nil); r.status != http.StatusNotFound {
		t.Fatalf("the export under another venue: %d", r.status)
	}
}
