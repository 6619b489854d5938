package api_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/api"
	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// probe is one way to reach another tenant's (or venue's) object: the
// route it uses, and the request with a real foreign id and with a missing
// one. The answers must be identical (§5.3.1) and nothing may change.
type probe struct {
	route         string // "METHOD /path/:param" as registered
	method        string
	path, missing string
	body, missBd  any
}

// foreign holds the objects of the victim that the probes aim at.
type foreign struct {
	order    sales.Order
	hold     sales.Hold
	refund   sales.RefundRequest
	keyID    uint32
	userID   int64
	report   int64
	makeup   int64
	venue    int64
	hall     int64
	session  int64
	event    int64
	presale  int64
	message  int64
	identity int64
	agency   int64
	agencyKy int64
	run      int64
	diff     int64
	product  int64
	pass     int64
	customer int64
	contract int64
	outlet   int64
	device   string
}

func probes(f foreign) []probe {
	const miss = 987654321
	p := func(route, method, path string, arg int64, body func(int64) any) probe {
		pr := probe{route: route, method: method, path: path, missing: path}
		if strings.Contains(path, "%d") {
			pr.path, pr.missing = fmt.Sprintf(path, arg), fmt.Sprintf(path, miss)
		}
		if body != nil {
			pr.body, pr.missBd = body(arg), body(miss)
		}
		return pr
	}
	reason := func(int64) any { return map[string]string{"reason": "probe"} }
	none := func(int64) any { return map[string]string{} }
	return []probe{
		p("GET /venues/:id", "GET", "/api/v1/venues/%d", f.venue, nil),
		p("GET /venues/:id/halls", "GET", "/api/v1/venues/%d/halls", f.venue, nil),
		p("GET /venues/:id/dashboard", "GET", "/api/v1/venues/%d/dashboard", f.venue, nil),
		p("POST /venues/:id/business-status", "POST", "/api/v1/venues/%d/business-status", f.venue, func(int64) any { return sales.VenueStatus{Status: "closed", Reason: "probe"} }),
		p("GET /venues/:id/dashboard/stream", "GET", "/api/v1/venues/%d/dashboard/stream", f.venue, nil),
		p("POST /venues/:id/halls", "POST", "/api/v1/venues/%d/halls", f.venue, func(int64) any { return sales.NewHall{Code: "Z", Name: "Z"} }),
		p("GET /halls/:id", "GET", "/api/v1/halls/%d", f.hall, nil),
		p("GET /halls/:id/seatmap", "GET", "/api/v1/halls/%d/seatmap", f.hall, nil),
		p("PUT /halls/:id/seatmap", "PUT", "/api/v1/halls/%d/seatmap", f.hall, func(int64) any {
			return map[string]any{"sections": []any{map[string]string{"code": "A", "name": "A"}}, "seats": []any{map[string]any{"section": "A", "row": "A", "row_no": 1, "col": 1, "label": "A-1"}}}
		}),
		p("PUT /halls/:id/seats/:label/state", "PUT", "/api/v1/halls/%d/seats/A-1/state", f.hall, func(int64) any { return map[string]string{"state": "damaged"} }),
		p("GET /events/:id", "GET", "/api/v1/events/%d", f.event, nil),
		p("GET /sessions/:id", "GET", "/api/v1/sessions/%d", f.session, nil),
		p("POST /sessions/:id/cancel", "POST", "/api/v1/sessions/%d/cancel", f.session, reason),
		p("GET /sessions/:id/prices", "GET", "/api/v1/sessions/%d/prices", f.session, nil),
		p("PUT /sessions/:id/prices", "PUT", "/api/v1/sessions/%d/prices", f.session, func(int64) any {
			return map[string]any{"tiers": []sales.PriceTier{{Name: "cheap", PriceCents: 9000}}}
		}),
		p("PUT /sessions/:id/quotas", "PUT", "/api/v1/sessions/%d/quotas", f.session, func(int64) any { return map[string]any{"quotas": []sales.Quota{}} }),
		p("POST /sessions/:id/seat-categories", "POST", "/api/v1/sessions/%d/seat-categories", f.session, func(int64) any {
			return sales.CategoryChange{SeatIDs: []int64{f.order.Seats[0].SeatID + 1}, Category: "non_sale"}
		}),
		p("GET /sessions/:id/seats", "GET", "/api/v1/sessions/%d/seats", f.session, nil),
		p("GET /sessions/:id/availability", "GET", "/api/v1/sessions/%d/availability", f.session, nil),
		p("GET /sessions/:id/availability/stream", "GET", "/api/v1/sessions/%d/availability/stream", f.session, nil),
		p("GET /holds/:id", "GET", "/api/v1/holds/%d", f.hold.ID, nil),
		p("DELETE /holds/:id", "DELETE", "/api/v1/holds/%d", f.hold.ID, nil),
		p("GET /orders/:id", "GET", "/api/v1/orders/%d", f.order.ID, nil),
		p("POST /orders/:id/payments", "POST", "/api/v1/orders/%d/payments", f.order.ID, func(int64) any { return sales.PaymentRequest{Method: "cash"} }),
		{route: "GET /tickets/:number", method: "GET", path: "/api/v1/tickets/" + f.order.Tickets[0].Number, missing: "/api/v1/tickets/1100000126112300000019"},
		{route: "GET /tickets/:number/preview.png", method: "GET", path: "/api/v1/tickets/" + f.order.Tickets[0].Number + "/preview.png",
			missing: "/api/v1/tickets/1100000126112300000019/preview.png"},
		{route: "PUT /tickets/:number/card", method: "PUT", path: "/api/v1/tickets/" + f.order.Tickets[0].Number + "/card", missing: "/api/v1/tickets/1100000126112300000019/card",
			body: map[string]string{"uid": "04A22B1A"}, missBd: map[string]string{"uid": "04A22B1A"}},
		p("GET /refunds/:id", "GET", "/api/v1/refunds/%d", f.refund.ID, nil),
		p("POST /refunds/:id/approve", "POST", "/api/v1/refunds/%d/approve", f.refund.ID, none),
		p("POST /refunds/:id/reject", "POST", "/api/v1/refunds/%d/reject", f.refund.ID, none),
		p("POST /keys/:id/revoke", "POST", "/api/v1/keys/%d/revoke", int64(f.keyID), reason),
		p("POST /reporting/reports/:id/resend", "POST", "/api/v1/reporting/reports/%d/resend", f.report, nil),
		p("POST /reporting/makeups/:id/approve", "POST", "/api/v1/reporting/makeups/%d/approve", f.makeup, none),
		p("POST /reporting/makeups/:id/reject", "POST", "/api/v1/reporting/makeups/%d/reject", f.makeup, func(int64) any { return map[string]string{"note": "probe"} }),
		p("POST /reporting/reconcile", "POST", "/api/v1/reporting/reconcile", f.venue, func(id int64) any {
			return report.ReconcileRequest{VenueID: id, BusinessDate: "2026-01-01"}
		}),
		p("POST /reporting/makeups", "POST", "/api/v1/reporting/makeups", f.session, func(id int64) any {
			return report.MakeupRequest{SessionID: id, Kind: report.MakeupSale, Seats: []string{"A-1"}, PriceCents: 100, Evidence: "probe"}
		}),
		p("PATCH /users/:id", "PATCH", "/api/v1/users/%d", f.userID, func(int64) any { return map[string]any{"disabled": true} }),
		{route: "GET /devices/:id", method: "GET", path: "/api/v1/devices/" + f.device, missing: "/api/v1/devices/dev-aaaaaaaaaa"},
		{route: "POST /devices/:id/revoke", method: "POST", path: "/api/v1/devices/" + f.device + "/revoke", missing: "/api/v1/devices/dev-aaaaaaaaaa/revoke",
			body: map[string]string{"reason": "probe"}, missBd: map[string]string{"reason": "probe"}},
		p("GET /presales/:id/applications", "GET", "/api/v1/presales/%d/applications", f.presale, nil),
		p("POST /presales/:id/lock", "POST", "/api/v1/presales/%d/lock", f.presale, nil),
		p("POST /presales/:id/draw", "POST", "/api/v1/presales/%d/draw", f.presale, nil),
		p("POST /presales/:id/settle", "POST", "/api/v1/presales/%d/settle", f.presale, nil),
		p("POST /identity-reviews/:id/approve", "POST", "/api/v1/identity-reviews/%d/approve", f.identity, none),
		p("POST /identity-reviews/:id/reject", "POST", "/api/v1/identity-reviews/%d/reject", f.identity, reason),
		p("POST /messages/:id/resend", "POST", "/api/v1/messages/%d/resend", f.message, nil),
		p("POST /presales/:id/assign", "POST", "/api/v1/presales/%d/assign", f.presale, nil),
		p("PUT /agencies/:id", "PUT", "/api/v1/agencies/%d", f.agency, func(int64) any { return map[string]any{"name": "probe", "rate_per_second": 5} }),
		p("GET /agencies/:id/keys", "GET", "/api/v1/agencies/%d/keys", f.agency, nil),
		p("POST /agencies/:id/keys", "POST", "/api/v1/agencies/%d/keys", f.agency, func(int64) any { return map[string]string{"label": "probe"} }),
		{route: "POST /agencies/:id/keys/:key/rotate", method: "POST", path: fmt.Sprintf("/api/v1/agencies/%d/keys/%d/rotate", f.agency, f.agencyKy),
			missing: fmt.Sprintf("/api/v1/agencies/%d/keys/%d/rotate", f.agency, miss), body: map[string]int{}, missBd: map[string]int{}},
		{route: "POST /agencies/:id/keys/:key/revoke", method: "POST", path: fmt.Sprintf("/api/v1/agencies/%d/keys/%d/revoke", f.agency, f.agencyKy),
			missing: fmt.Sprintf("/api/v1/agencies/%d/keys/%d/revoke", miss, f.agencyKy)},
		p("GET /settlement/runs/:id", "GET", "/api/v1/settlement/runs/%d", f.run, nil),
		p("GET /settlement/runs/:id/lines.csv", "GET", "/api/v1/settlement/runs/%d/lines.csv", f.run, nil),
		p("POST /settlement/runs/:id/rebuild", "POST", "/api/v1/settlement/runs/%d/rebuild", f.run, nil),
		p("POST /settlement/runs/:id/close", "POST", "/api/v1/settlement/runs/%d/close", f.run, nil),
		p("POST /settlement/runs/:id/statement", "POST", "/api/v1/settlement/runs/%d/statement", f.run, func(int64) any { return "order_id,reference,amount_cents\n1,,5\n" }),
		p("GET /settlement/runs/:id/diffs", "GET", "/api/v1/settlement/runs/%d/diffs", f.run, nil),
		p("POST /settlement/diffs/:id/resolve", "POST", "/api/v1/settlement/diffs/%d/resolve", f.diff, func(int64) any { return map[string]string{"note": "probe"} }),
		p("GET /passes/:id", "GET", "/api/v1/passes/%d", f.pass, nil),
		p("POST /passes/products/:id/sell", "POST", "/api/v1/passes/products/%d/sell", f.product, func(int64) any {
			return map[string]any{"payment": map[string]string{"method": "cash"}}
		}),
		p("GET /contract/orders/:id", "GET", "/api/v1/contract/orders/%d", f.contract, nil),
		p("POST /contract/orders/:id/seats", "POST", "/api/v1/contract/orders/%d/seats", f.contract, func(int64) any { return map[string]any{} }),
		p("POST /contract/orders/:id/holders", "POST", "/api/v1/contract/orders/%d/holders", f.contract, func(int64) any { return "doc_type,doc_number,name\n" }),
		p("POST /contract/orders/:id/payment", "POST", "/api/v1/contract/orders/%d/payment", f.contract, func(int64) any {
			return map[string]any{"reference": "probe", "amount_cents": 4500}
		}),
		p("POST /contract/orders/:id/print", "POST", "/api/v1/contract/orders/%d/print", f.contract, nil),
		p("POST /contract/notices", "POST", "/api/v1/contract/notices", f.customer, func(id int64) any {
			return map[string]any{"customer_id": id, "title": "probe", "body": "probe"}
		}),
		p("POST /contract/customers/:id/reps", "POST", "/api/v1/contract/customers/%d/reps", f.customer, func(int64) any { return map[string]int64{"user_id": f.userID} }),
		p("GET /venues/:id/inventory", "GET", "/api/v1/venues/%d/inventory", f.venue, nil),
		p("GET /venues/:id/inventory.csv", "GET", "/api/v1/venues/%d/inventory.csv", f.venue, nil),
		p("GET /venues/:id/inventory/exports", "GET", "/api/v1/venues/%d/inventory/exports", f.venue, nil),
		p("GET /venues/:id/inventory/exports/:export", "GET", "/api/v1/venues/%d/inventory/exports/1", f.venue, nil),
		p("GET /venues/:id/commemorative.csv", "GET", "/api/v1/venues/%d/commemorative.csv", f.venue, nil),
		p("POST /venues/:id/commemorative", "POST", "/api/v1/venues/%d/commemorative", f.venue, func(int64) any {
			return "number,rfid\n" + f.order.Tickets[0].Number + ",04A22B1A\n"
		}),
		{route: "POST /tickets/commemorative", method: "POST", path: "/api/v1/tickets/commemorative", missing: "/api/v1/tickets/commemorative",
			body: map[string][]string{"numbers": {f.order.Tickets[0].Number}}, missBd: map[string][]string{"numbers": {"1100000126112300000019"}}},
		p("POST /sessions/:id/postpone", "POST", "/api/v1/sessions/%d/postpone", f.session, func(int64) any {
			return map[string]any{"starts_at": f.order.PayBy.AddDate(0, 0, 9), "ends_at": f.order.PayBy.AddDate(0, 0, 9).Add(3600e9), "reason": "probe"}
		}),
		{route: "POST /tickets/:number/returned", method: "POST", path: "/api/v1/tickets/" + f.order.Tickets[0].Number + "/returned",
			missing: "/api/v1/tickets/1100000126112300000019/returned", body: map[string]string{"reason": "probe"}, missBd: map[string]string{"reason": "probe"}},
		p("POST /outlets/:id/enable", "POST", "/api/v1/outlets/%d/enable", f.outlet, func(int64) any { return map[string]any{"enabled": false} }),
		p("POST /outlets/:id/staff", "POST", "/api/v1/outlets/%d/staff", f.outlet, func(int64) any { return map[string]int64{"user_id": f.userID} }),
		// Foreign ids carried in bodies.
		p("POST /holds", "POST", "/api/v1/holds", f.session, func(id int64) any { return sales.HoldRequest{SessionID: id, Channel: "pos", Count: 1} }),
		p("POST /orders", "POST", "/api/v1/orders", f.hold.ID, func(id int64) any { return sales.OrderRequest{HoldID: id} }),
		p("POST /refunds", "POST", "/api/v1/refunds", f.order.ID, func(id int64) any { return sales.RefundInput{OrderID: id, Reason: "probe"} }),
		p("POST /sessions", "POST", "/api/v1/sessions", f.hall, func(id int64) any {
			return sales.NewSession{HallID: id, EventID: f.event, StartsAt: f.order.PayBy.AddDate(1, 0, 0), EndsAt: f.order.PayBy.AddDate(1, 0, 0).Add(3600e9)}
		}),
		p("POST /presales", "POST", "/api/v1/presales", f.session, func(id int64) any {
			return map[string]any{"session_id": id, "tier_id": 1, "name": "probe", "tickets": 1, "per_person": 1,
				"opens_at": time.Now(), "closes_at": time.Now().Add(time.Hour)}
		}),
		p("POST /devices", "POST", "/api/v1/devices", f.venue, func(id int64) any {
			return map[string]any{"venue_id": id, "role": "gate", "name": "probe gate"}
		}),
		p("POST /users", "POST", "/api/v1/users", f.venue, func(id int64) any {
			return sales.NewUser{Username: fmt.Sprintf("probe-%d", id), Password: pw, Role: "clerk", VenueIDs: []int64{id}}
		}),
	}
}

// victimState is what must not change: read as the victim.
func (w *world) victimState(tw tenantWorld, f foreign) string {
	w.t.Helper()
	var b bytes.Buffer
	for _, path := range []string{
		fmt.Sprintf("/api/v1/orders/%d", f.order.ID),
		fmt.Sprintf("/api/v1/holds/%d", f.hold.ID),
		fmt.Sprintf("/api/v1/refunds/%d", f.refund.ID),
		fmt.Sprintf("/api/v1/sessions/%d", f.session),
		fmt.Sprintf("/api/v1/sessions/%d/prices", f.session),
		fmt.Sprintf("/api/v1/sessions/%d/availability", f.session),
		fmt.Sprintf("/api/v1/halls/%d/seatmap?format=csv", f.hall),
		fmt.Sprintf("/api/v1/venues/%d/halls", f.venue),
		fmt.Sprintf("/api/v1/venues/%d", f.venue),
		"/api/v1/keys",
		"/api/v1/users",
		"/api/v1/devices",
		"/api/v1/devices/" + f.device,
		"/api/v1/reporting/makeups",
		fmt.Sprintf("/api/v1/presales/%d/applications", f.presale),
		"/api/v1/messages",
		"/api/v1/identity-reviews",
		"/api/v1/agencies",
		fmt.Sprintf("/api/v1/agencies/%d/keys", f.agency),
		fmt.Sprintf("/api/v1/settlement/runs/%d", f.run),
		fmt.Sprintf("/api/v1/settlement/runs/%d/diffs", f.run),
		fmt.Sprintf("/api/v1/passes/%d", f.pass),
		"/api/v1/passes/products",
		"/api/v1/contract/orders",
		"/api/v1/contract/customers",
		"/api/v1/contract/notices",
		"/api/v1/outlets",
	} {
		r := w.call(tw.admin, "GET", path, nil)
		fmt.Fprintf(&b, "%s %d %s\n", path, r.status, r.body)
	}
	return b.String()
}

func (w *world) victimObjects(tw tenantWorld) foreign {
	w.t.Helper()
	f := foreign{venue: tw.venueX, hall: tw.hallX, session: tw.sessionX, event: tw.eventID}
	f.order = w.buy(tw, tw.seatsX[0].SeatID)
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: tw.sessionX, Channel: "pos", SeatIDs: []int64{tw.seatsX[3].SeatID}}), &f.hold)
	w.ok(w.call(tw.clerk, "POST", "/api/v1/refunds", sales.RefundInput{OrderID: f.order.ID, Reason: "victim's own request"}), &f.refund)
	var keys []sales.SigningKey
	w.ok(w.call(tw.admin, "POST", "/api/v1/keys/rotate", map[string]string{"reason": "so a retired key exists"}), nil)
	w.ok(w.call(tw.admin, "GET", "/api/v1/keys", nil), &keys)
	f.keyID = keys[0].ID
	var users []sales.User
	w.ok(w.call(tw.admin, "GET", "/api/v1/users", nil), &users)
	f.userID = users[len(users)-1].ID
	var reg struct {
		Device sales.Device `json:"device"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/devices", map[string]any{"venue_id": tw.venueX, "role": "gate", "name": "Victim gate"}), &reg)
	f.device = reg.Device.ID
	f.report = w.refusedReport(tw)
	var tiers []sales.PriceTier
	w.ok(w.call(tw.admin, "GET", fmt.Sprintf("/api/v1/sessions/%d/prices", tw.sessionX), nil), &tiers)
	var ps struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/presales", map[string]any{"session_id": tw.sessionX, "tier_id": tiers[0].ID, "name": "Victim presale",
		"tickets": 2, "per_person": 1, "opens_at": time.Now().Add(-time.Hour), "closes_at": time.Now().Add(time.Hour)}), &ps)
	f.presale = ps.ID
	if _, err := w.srv.Store.Messages().Enqueue(context.Background(), []messages.Message{{TenantID: tw.id, Channel: messages.SMS, Recipient: "13800138000",
		Template: "presale.lost", Lang: "zh", Body: "probe", Key: fmt.Sprintf("probe/%d", tw.id), State: messages.Failed, CreatedAt: time.Now(), NextAt: time.Now()}}); err != nil {
		w.t.Fatal(err)
	}
	var ms []messages.Message
	w.ok(w.call(tw.admin, "GET", "/api/v1/messages", nil), &ms)
	f.message = ms[0].ID
	idn, err := w.srv.Store.Accounts().CreateIdentity(context.Background(), accounts.Identity{TenantID: tw.id, IDKey: fmt.Sprintf("probe-%d", tw.id),
		DocType: "passport", DocMasked: "E****67", Name: "Probe", State: accounts.Review, CreatedAt: time.Now()})
	if err != nil {
		w.t.Fatal(err)
	}
	f.identity = idn.ID
	m, err := w.srv.Reports.InsertMakeup(context.Background(), report.Makeup{TenantID: tw.id, VenueID: tw.venueX, SessionID: tw.sessionX,
		Kind: report.MakeupSale, BusinessDate: "2026-01-01", Lines: []report.MakeupLine{{SeatID: 1, SeatLabel: "A-1", PriceCents: 100}}, AmountCents: 100,
		Evidence: "probe", State: report.MakeupProposed, ProposedByID: 987654, ProposedBy: "user:987654 probe", ProposedAt: time.Now()},
		audit.Entry{At: time.Now(), TenantID: tw.id, Actor: "test", Action: "report.makeup.propose"})
	if err != nil {
		w.t.Fatal(err)
	}
	f.makeup = m.ID
	var ag struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/agencies", map[string]any{"code": "victim", "name": "Victim agency", "enabled": true}), &ag)
	f.agency = ag.ID
	var key struct {
		Key struct {
			ID int64 `json:"id"`
		} `json:"key"`
	}
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/agencies/%d/keys", ag.ID), map[string]string{"label": "victim"}), &key)
	f.agencyKy = key.Key.ID
	var run struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/settlement/runs", map[string]any{"party": fmt.Sprintf("agency:%d", ag.ID),
		"from": time.Now().Add(-time.Hour), "to": time.Now()}), &run)
	f.run = run.ID
	var diffs []struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/settlement/runs/%d/statement", run.ID), "order_id,reference,amount_cents\n424242,,5\n"), &diffs)
	f.diff = diffs[0].ID
	var product struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/passes/products", map[string]any{"name": "Victim pass", "session_ids": []int64{tw.sessionX, tw.sessionY}, "price_cents": 8000}), &product)
	f.product = product.ID
	var sold struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/passes/products/%d/sell", product.ID), map[string]any{"payment": map[string]string{"method": "cash"}}), &sold)
	f.pass = sold.ID
	var cust struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/contract/customers", map[string]any{"code": "victim", "name": "Victim customer", "enabled": true}), &cust)
	f.customer = cust.ID
	w.ok(w.call(tw.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/quotas", tw.sessionX), map[string]any{"quotas": []sales.Quota{{Channel: "contract", Limit: 5}}}), nil)
	var co struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/contract/orders", map[string]any{"customer_id": cust.ID, "session_id": tw.sessionX, "tier_id": tw.tierX, "quantity": 1}), &co)
	f.contract = co.ID
	var ou struct {
		ID int64 `json:"id"`
	}
	w.ok(w.call(tw.admin, "POST", "/api/v1/outlets", map[string]any{"channel": "pos", "code": "victim", "name": "Victim booth"}), &ou)
	f.outlet = ou.ID
	return f
}

// refusedReport puts a report of the tenant in the queue, refused by the
// platform, as the reporter would (this world reports to no platform).
func (w *world) refusedReport(tw tenantWorld) int64 {
	w.t.Helper()
	ctx := context.Background()
	rs := w.srv.Reports
	if _, err := rs.Enqueue(ctx, 0, 0, []report.Report{{TenantID: tw.id, VenueID: tw.venueX, Serial: fmt.Sprintf("probe-%d", tw.id),
		Interface: wire.RawTicket, Key: "probe", Body: []byte(`{}`), CreatedAt: time.Now(), State: report.StatePending, NextAt: time.Now()}}); err != nil {
		w.t.Fatal(err)
	}
	due, err := rs.Due(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(due) == 0 {
		w.t.Fatalf("the probe report: %v", err)
	}
	r := due[len(due)-1]
	r.State, r.Answer, r.LastError = report.StateRefused, wire.CodeField, "probe"
	if err := rs.Finish(ctx, []report.Report{r}); err != nil {
		w.t.Fatal(err)
	}
	return r.ID
}

// publicPresale are the public routes: a presale's terms, its published
// files and applying, and the shop's catalogue, are for anyone, whichever
// tenant runs them.
var publicPresale = map[string]bool{
	"GET /presales/:id": true, "POST /presales/:id/applications": true, "GET /presales/:id/pools.csv": true,
	"GET /presales/:id/applications.csv": true, "GET /presales/:id/result.json": true,
	"GET /presales/:id/choice/:ref": true, "POST /presales/:id/choice/:ref": true,
	"GET /shop/:tenant": true, "GET /shop/:tenant/events/:id": true, "GET /shop/:tenant/sessions/:id/seats": true,
	// An account's own routes: its token names the account; the tenant's
	// code only picks the shop.
	"POST /shop/:tenant/auth/code": true, "POST /shop/:tenant/auth/register": true, "POST /shop/:tenant/auth/login": true,
	"GET /shop/:tenant/me": true, "PUT /shop/:tenant/me/identity": true, "POST /shop/:tenant/me/holders": true, "DELETE /shop/:tenant/me/holders/:id": true,
	"POST /shop/:tenant/me/orders": true, "GET /shop/:tenant/me/orders": true, "POST /shop/:tenant/me/orders/:id/pay": true,
	"GET /shop/:tenant/me/orders/:id/refund": true, "POST /shop/:tenant/me/sessions/:id/alert": true, "POST /shop/:tenant/me/orders/:id/refund": true,
	"GET /shop/:tenant/me/orders/:id/tickets/:number/qr.png": true, "POST /shop/:tenant/me/presales/:id/applications": true,
	"GET /shop/:tenant/me/messages": true, "POST /shop/:tenant/me/logout": true,
	// An agency's routes: its API key names the agency and its tenant
	// (agency_test.go tries another tenant's session and order).
	"GET /agency/sessions/:id": true, "GET /agency/sessions/:id/availability": true, "GET /agency/orders/:id": true, "POST /agency/orders/:id/refund": true,
}

func TestEveryRouteWallsOffOtherTenantsAndVenues(t *testing.T) {
	w := newWorld(t)
	victim := w.victimObjects(w.a)

	// Every route with a parameter, or taking ids in its body, has a probe.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	api.New(w.srv.Svc, api.Options{}).Register(e)
	probed := map[string]bool{}
	for _, p := range probes(victim) {
		probed[p.route] = true
	}
	for _, r := range e.Routes() {
		key := r.Method + " " + strings.TrimPrefix(r.Path, "/api/v1")
		// A channel's settings and the organiser's settlement rules are
		// named, not numbered: each caller sets its own tenant's.
		if strings.Contains(r.Path, ":") && !probed[key] && key != "PUT /channels/:channel" && key != "PUT /settlement/rules/:party" && !publicPresale[key] {
			t.Errorf("route %s has no isolation probe", key)
		}
	}

	attackers := []struct {
		name, token string
	}{
		{"another tenant's admin", w.b.admin},
		{"another tenant's manager", w.b.manager},
		{"another tenant's clerk", w.b.clerk},
		{"another tenant's auditor", w.b.auditor},
		{"a clerk of another venue of the same tenant", w.a.clerkY},
	}
	for _, att := range attackers {
		t.Run(att.name, func(t *testing.T) {
			before := w.victimState(w.a, victim)
			for _, p := range probes(victim) {
				if att.token == w.a.clerkY && (p.route == "PATCH /users/:id" || p.route == "POST /users" || p.route == "POST /keys/:id/revoke" || p.route == "GET /events/:id") {
					continue // tenant-wide objects, not a venue's: events are shared, the rest refused by role
				}
				got := w.call(att.token, p.method, p.path, p.body)
				want := w.call(att.token, p.method, p.missing, p.missBd)
				norm := func(b []byte) string {
					return strings.ReplaceAll(strings.ReplaceAll(string(b), fmt.Sprint(987654321), "ID"), "probe-987654321", "probe-ID")
				}
				if got.status != want.status || norm(got.body) != norm(want.body) {
					t.Errorf("%s %s: foreign id answers %d %s; a missing id answers %d %s", p.method, p.path, got.status, got.body, want.status, want.body)
				}
				if got.status < 400 {
					t.Errorf("%s %s succeeded across the wall: %d %s", p.method, p.path, got.status, got.body)
				}
			}
			// Lists show nothing of the victim's.
			for _, path := range []string{"/api/v1/venues", "/api/v1/sessions", "/api/v1/events", "/api/v1/refunds", "/api/v1/audit",
				"/api/v1/orders?pickup_code=" + victim.order.PickupCode, "/api/v1/orders?customer_name=Li", "/api/v1/devices", "/api/v1/alerts"} {
				r := w.call(att.token, "GET", path, nil)
				if r.status == 200 && (bytes.Contains(r.body, []byte(victim.order.PickupCode)) ||
					bytes.Contains(r.body, []byte(fmt.Sprintf(`"venue_id":%d,`, victim.venue))) ||
					bytes.Contains(r.body, []byte("victim's own request")) || bytes.Contains(r.body, []byte(victim.device))) {
					t.Errorf("GET %s shows the victim's data: %.300s", path, r.body)
				}
			}
			if after := w.victimState(w.a, victim); after != before {
				t.Errorf("the victim's data changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	// The wall holds one way only by accident if the victim cannot reach
	// its own objects: check it can.
	if r := w.call(w.a.clerk, "GET", fmt.Sprintf("/api/v1/orders/%d", victim.order.ID), nil); r.status != 200 {
		t.Fatalf("the owner cannot read its own order: %d", r.status)
	}
}
