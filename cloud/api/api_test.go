package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/api"
	"github.com/admitbox/admit/cloud/sales"
)

func TestOpenAPIDocumentsEveryRouteAndNothingElse(t *testing.T) {
	w := newWorld(t)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	w.ok(w.call("", "GET", "/api/v1/openapi.json", nil), &doc)
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
			if op["summary"] == "" || op["responses"] == nil {
				t.Errorf("%s %s lacks a summary or responses", m, p)
			}
		}
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	api.New(w.srv.Svc, api.Options{}).Register(e)
	served := map[string]bool{}
	for _, r := range e.Routes() {
		p := r.Path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		served[r.Method+" "+p] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("route %s is served but not in openapi.json", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("openapi.json documents %s, which is not served", k)
		}
	}
	if len(served) < 40 {
		t.Errorf("only %d routes served; the route table shrank?", len(served))
	}
}

// TestNoOversellOverHTTP: 1,000 buyers race over real HTTP for the 200
// seats of one session; each retries with other seats until told the
// session is sold out.
func TestNoOversellOverHTTP(t *testing.T) {
	w := newWorld(t)
	a := w.a
	w.http.Transport = &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
	const buyers = 1000
	type outcome struct {
		order  sales.Order
		code   string
		reason string
	}
	out := make([]outcome, buyers)
	var wg sync.WaitGroup
	for i := 0; i < buyers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = func() outcome {
				lastReason := ""
				for attempt := 0; attempt < 100; attempt++ {
					req := sales.HoldRequest{SessionID: a.sessionX, Channel: "web"}
					if i%2 == 0 {
						req.Count = 1 // best available
					} else {
						// Like a clerk: pick a seat the map shows free.
						var av struct{ Seats string }
						if err := json.Unmarshal(w.call(a.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability", a.sessionX), nil).body, &av); err != nil {
							return outcome{code: "availability: " + err.Error()}
						}
						var free []int
						for k := range av.Seats {
							if av.Seats[k] == 'A' {
								free = append(free, k)
							}
						}
						pick := a.seatsX[rand.IntN(len(a.seatsX))].SeatID
						if len(free) > 0 {
							pick = a.seatsX[free[rand.IntN(len(free))]].SeatID
						} else if lastReason != "" {
							return outcome{code: "seats_unavailable", reason: lastReason}
						}
						// With the map full, the buyer still asks and is told why.
						req.SeatIDs = []int64{pick}
					}
					r := w.call(a.clerk, "POST", "/api/v1/holds", req)
					if r.status == http.StatusConflict && r.errorCode() == "seats_unavailable" {
						var e struct {
							Error struct{ Seats []sales.SeatProblem }
						}
						_ = json.Unmarshal(r.body, &e)
						if len(e.Error.Seats) > 0 {
							lastReason = e.Error.Seats[0].Reason
						} else if !bytes.Contains(r.body, []byte("try again")) {
							return outcome{code: "no reason given: " + string(r.body)}
						}
						continue // someone else has it: pick again
					}
					if r.status != http.StatusCreated {
						var e struct {
							Error struct{ Code, Message string }
						}
						_ = json.Unmarshal(r.body, &e)
						return outcome{code: e.Error.Code, reason: e.Error.Message}
					}
					var h sales.Hold
					_ = json.Unmarshal(r.body, &h)
					var o sales.Order
					r = w.call(a.clerk, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID})
					if r.status != http.StatusCreated {
						return outcome{code: "confirm failed: " + string(r.body)}
					}
					_ = json.Unmarshal(r.body, &o)
					r = w.call(a.clerk, "POST", fmt.Sprintf("/api/v1/orders/%d/payments", o.ID), sales.PaymentRequest{Method: "card", CardToken: "tok_approve"})
					if r.status != http.StatusCreated {
						return outcome{code: "pay failed: " + string(r.body)}
					}
					_ = json.Unmarshal(r.body, &o)
					return outcome{order: o}
				}
				return outcome{code: "gave up"}
			}()
		}(i)
	}
	wg.Wait()
	seen := map[int64]bool{}
	sold, losers := 0, 0
	for i, o := range out {
		switch {
		case o.order.ID != 0:
			for _, tk := range o.order.Tickets {
				if seen[tk.SeatID] {
					t.Fatalf("seat %d sold twice", tk.SeatID)
				}
				seen[tk.SeatID] = true
				sold++
			}
		case o.code == "sold_out" || o.code == "seats_unavailable":
			if o.reason == "" {
				t.Errorf("buyer %d lost without a reason", i)
			}
			losers++
		default:
			t.Errorf("buyer %d: unexpected outcome %q %q", i, o.code, o.reason)
		}
	}
	if sold != 200 || losers != buyers-200 {
		t.Fatalf("sold %d seats to winners, %d losers; want 200 and %d", sold, losers, buyers-200)
	}
	var av struct {
		Counts map[string]int `json:"counts"`
	}
	w.ok(w.call(a.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability", a.sessionX), nil), &av)
	if av.Counts["sold"] != 200 || av.Counts["available"] != 0 {
		t.Fatalf("availability after the race: %v", av.Counts)
	}
}

func TestRefundNeedsASecondPersonOverHTTP(t *testing.T) {
	w := newWorld(t)
	a := w.a
	o := w.buy(a, a.seatsX[0].SeatID, a.seatsX[1].SeatID)
	var rq sales.RefundRequest
	w.ok(w.call(a.clerk, "POST", "/api/v1/refunds", sales.RefundInput{OrderID: o.ID, TicketIDs: []int64{o.Tickets[0].ID}, Reason: "customer ill"}), &rq)
	if r := w.call(a.clerk, "POST", fmt.Sprintf("/api/v1/refunds/%d/approve", rq.ID), map[string]string{}); r.status != http.StatusForbidden {
		t.Fatalf("clerk approved: %d %s", r.status, r.body)
	}
	// A manager who asked for a refund cannot approve it either.
	var rq2 sales.RefundRequest
	w.ok(w.call(a.manager, "POST", "/api/v1/refunds", sales.RefundInput{OrderID: o.ID, TicketIDs: []int64{o.Tickets[1].ID}, Reason: "double booking"}), &rq2)
	if r := w.call(a.manager, "POST", fmt.Sprintf("/api/v1/refunds/%d/approve", rq2.ID), map[string]string{}); r.status != http.StatusForbidden {
		t.Fatalf("manager approved own request: %d %s", r.status, r.body)
	}
	var tk sales.Ticket
	w.ok(w.call(a.clerk, "GET", "/api/v1/tickets/"+o.Tickets[0].Number, nil), &tk)
	if tk.Status != sales.TicketValid {
		t.Fatalf("ticket changed before approval: %s", tk.Status)
	}
	var done sales.RefundRequest
	w.ok(w.call(a.manager, "POST", fmt.Sprintf("/api/v1/refunds/%d/approve", rq.ID), map[string]string{"note": "ok"}), &done)
	if done.Status != sales.RefundApproved {
		t.Fatalf("status %s", done.Status)
	}
	w.ok(w.call(a.clerk, "GET", "/api/v1/tickets/"+o.Tickets[0].Number, nil), &tk)
	if tk.Status != sales.TicketRefunded {
		t.Fatalf("ticket %s after approval", tk.Status)
	}
	var check sales.TicketCheck
	w.ok(w.call(a.gate, "POST", "/api/v1/tickets/verify", map[string]string{"qr": o.Tickets[0].QR}), &check)
	if check.Valid {
		t.Fatal("a refunded ticket still verifies as valid")
	}
	var order sales.Order
	w.ok(w.call(a.clerk, "GET", fmt.Sprintf("/api/v1/orders/%d", o.ID), nil), &order)
	if order.Status != sales.OrderPartiallyRefunded {
		t.Fatalf("order %s", order.Status)
	}
	// The refunded seat is for sale again.
	var h sales.Hold
	w.ok(w.call(a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", SeatIDs: []int64{a.seatsX[0].SeatID}}), &h)
	// The approval names the approver in the audit log.
	var entries []struct {
		Action, Approver string
	}
	w.ok(w.call(a.auditor, "GET", "/api/v1/audit?action=refund.approve", nil), &entries)
	if len(entries) != 1 || !strings.Contains(entries[0].Approver, "alpha-manager") {
		t.Fatalf("audit of approval: %+v", entries)
	}
	if r := w.call(a.manager2, "POST", fmt.Sprintf("/api/v1/refunds/%d/approve", rq.ID), map[string]string{}); r.status != http.StatusConflict {
		t.Fatalf("approving twice: %d %s", r.status, r.body)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	a := w.a
	// Hold one seat back so a hold on it can be tried.
	back := a.seatsX[5].SeatID
	w.ok(w.call(a.manager, "POST", fmt.Sprintf("/api/v1/sessions/%d/seat-categories", a.sessionX), sales.CategoryChange{SeatIDs: []int64{back}, Category: "held_back"}), nil)
	sold := w.buy(a, a.seatsX[6].SeatID)
	var ss sales.Session
	w.ok(w.call(a.admin, "GET", fmt.Sprintf("/api/v1/sessions/%d", a.sessionX), nil), &ss)
	big := `{"username":"` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name, token, method, path string
		body                      any
		status                    int
		code                      string
	}{
		{"malformed JSON is refused", a.clerk, "POST", "/api/v1/holds", `{"session_id": 1,`, 400, "bad_json"},
		{"an empty body is refused", a.clerk, "POST", "/api/v1/holds", ``, 400, "bad_json"},
		{"a wrong type is refused", a.clerk, "POST", "/api/v1/holds", `{"session_id":"one","channel":"pos","count":1}`, 400, "bad_json"},
		{"an unknown field is refused", a.clerk, "POST", "/api/v1/holds", `{"session_id":1,"channel":"pos","count":1,"discount":100}`, 400, "unknown_field"},
		{"trailing data is refused", a.clerk, "POST", "/api/v1/holds", `{"session_id":1,"channel":"pos","count":1} {}`, 400, "bad_json"},
		{"an oversized body is refused", "", "POST", "/api/v1/auth/login", big, 413, "body_too_large"},
		{"a negative price is refused", a.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/prices", a.sessionX), `{"tiers":[{"name":"x","price_cents":-1}]}`, 400, "invalid_prices"},
		{"a price under the minimum is refused", a.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/prices", a.sessionX), `{"tiers":[{"name":"x","price_cents":2999}]}`, 400, "invalid_prices"},
		{"an overlapping session in one hall is refused", a.admin, "POST", "/api/v1/sessions",
			sales.NewSession{HallID: a.hallX, EventID: a.eventID, StartsAt: ss.StartsAt.Add(30 * 60e9), EndsAt: ss.EndsAt.Add(30 * 60e9)}, 409, "session_overlap"},
		{"a session ending before it starts is refused", a.admin, "POST", "/api/v1/sessions",
			sales.NewSession{HallID: a.hallX, EventID: a.eventID, StartsAt: ss.StartsAt.Add(24 * 3600e9), EndsAt: ss.StartsAt.Add(23 * 3600e9)}, 400, "invalid_session"},
		{"a hold on a held-back seat is refused", a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", SeatIDs: []int64{back}}, 409, "seats_unavailable"},
		{"a hold on a sold seat is refused", a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", SeatIDs: []int64{a.seatsX[7].SeatID, a.seatsX[6].SeatID}}, 409, "seats_unavailable"},
		{"a hold on a seat of another session is refused", a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", SeatIDs: []int64{99999999}}, 400, "unknown_seat"},
		{"a hold over the per-order maximum is refused", a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", Count: 11}, 400, "invalid_hold"},
		{"an unknown channel is refused", a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "fax", Count: 1}, 400, "invalid_hold"},
		{"a bad venue code is refused", a.admin, "POST", "/api/v1/venues", sales.NewVenue{Code: "1234", Name: "x"}, 400, "invalid_venue"},
		{"a non-numeric id is refused", a.clerk, "GET", "/api/v1/orders/abc", nil, 400, "bad_id"},
		{"a negative list limit is refused", a.auditor, "GET", "/api/v1/audit?limit=-1", nil, 400, "bad_query"},
		{"a since that is not a time is refused", a.admin, "GET", "/api/v1/alerts?since=yesterday", nil, 400, "bad_query"},
		{"no token is refused", "", "GET", "/api/v1/venues", nil, 401, "unauthenticated"},
		{"a forged token is refused", "adm1.AAAA.BBBB", "GET", "/api/v1/venues", nil, 401, "unauthenticated"},
		{"a clerk cannot set prices", a.clerk, "PUT", fmt.Sprintf("/api/v1/sessions/%d/prices", a.sessionX), `{"tiers":[{"name":"x","price_cents":9000}]}`, 403, "forbidden"},
		{"an auditor cannot sell", a.auditor, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", Count: 1}, 403, "forbidden"},
		{"paying a paid order again is refused", a.clerk, "POST", fmt.Sprintf("/api/v1/orders/%d/payments", sold.ID), sales.PaymentRequest{Method: "cash"}, 409, "order_not_pending"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.auditHead()
			r := w.call(c.token, c.method, c.path, c.body)
			if r.status != c.status || r.errorCode() != c.code {
				t.Fatalf("got %d %s, want %d %s: %s", r.status, r.errorCode(), c.status, c.code, r.body)
			}
			var e struct{ Error struct{ Message string } }
			if json.Unmarshal(r.body, &e) != nil || e.Error.Message == "" {
				t.Fatalf("error without a message: %s", r.body)
			}
			if after := w.auditHead(); after != before {
				t.Fatalf("a refused request wrote %d audit entries", after-before)
			}
		})
	}
	var av struct {
		Counts map[string]int `json:"counts"`
	}
	w.ok(w.call(a.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability", a.sessionX), nil), &av)
	if av.Counts["sold"] != 1 || av.Counts["held"] != 0 || av.Counts["held_back"] != 1 {
		t.Fatalf("seats changed by refused requests: %v", av.Counts)
	}
}

func TestSeatMapImportReportsLinesAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	a := w.a
	path := fmt.Sprintf("/api/v1/halls/%d/seatmap", a.hallX)
	before := w.call(a.admin, "GET", path+"?format=csv", nil)
	if before.status != 200 || !bytes.HasPrefix(before.body, []byte("section,")) {
		t.Fatalf("export: %d %.80s", before.status, before.body)
	}
	bad := "section,section_name,row,row_no,col,label,type,state\nA,Stalls,A,1,1,A-1,standard,ok\nA,Stalls,A,1,2,A-1,standard,ok\nA,Stalls,A,1,3,A-3,throne,ok\n"
	req, _ := http.NewRequest("PUT", w.srv.URL+path, strings.NewReader(bad))
	req.Header.Set("Authorization", "Bearer "+a.admin)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := w.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct {
			Code   string
			Fields []sales.FieldError
		}
	}
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	lines := []int{}
	for _, f := range e.Error.Fields {
		lines = append(lines, f.Line)
	}
	sort.Ints(lines)
	if resp.StatusCode != 400 || e.Error.Code != "invalid_seat_map" || !slices.Contains(lines, 3) || !slices.Contains(lines, 4) {
		t.Fatalf("bad CSV: %d %+v", resp.StatusCode, e)
	}
	after := w.call(a.admin, "GET", path+"?format=csv", nil)
	if !bytes.Equal(before.body, after.body) {
		t.Fatal("a refused import changed the seat map")
	}
	// A good import that damages a seat reaches the session's unsold seats.
	good := strings.Replace(string(before.body), "A,Stalls,A,1,3,A-3,standard,ok", "A,Stalls,A,1,3,A-3,standard,damaged", 1)
	req, _ = http.NewRequest("PUT", w.srv.URL+path+"?reason=broken+armrest", strings.NewReader(good))
	req.Header.Set("Authorization", "Bearer "+a.admin)
	req.Header.Set("Content-Type", "text/csv")
	resp, err = w.http.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("good import: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()
	r := w.call(a.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: a.sessionX, Channel: "pos", SeatIDs: []int64{a.seatsX[2].SeatID}})
	if r.status != 409 || !bytes.Contains(r.body, []byte("out of service")) {
		t.Fatalf("hold on the damaged seat: %d %s", r.status, r.body)
	}
}

func TestACardIsBoundToOneValidTicketAtATime(t *testing.T) {
	w := newWorld(t)
	a := w.a
	o1 := w.buy(a, a.seatsX[0].SeatID)
	o2 := w.buy(a, a.seatsX[1].SeatID)
	var tk sales.Ticket
	w.ok(w.call(a.clerk, "PUT", "/api/v1/tickets/"+o1.Tickets[0].Number+"/card", map[string]string{"uid": "04:a2:2b:1a"}), &tk)
	if tk.Card != "04A22B1A" {
		t.Fatalf("bound card %q", tk.Card)
	}
	if r := w.call(a.clerk, "PUT", "/api/v1/tickets/"+o2.Tickets[0].Number+"/card", map[string]string{"uid": "04A22B1A"}); r.status != 409 || r.errorCode() != "card_in_use" {
		t.Fatalf("one card on two tickets: %d %s", r.status, r.body)
	}
	if r := w.call(a.clerk, "PUT", "/api/v1/tickets/"+o2.Tickets[0].Number+"/card", map[string]string{"uid": "xyz"}); r.status != 400 || r.errorCode() != "invalid_card" {
		t.Fatalf("a bad UID: %d %s", r.status, r.body)
	}
}
