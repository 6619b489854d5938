package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data []byte
}

// follow opens a seat-map stream and delivers its events until the test ends.
func (w *world) follow(token string, sessionID int64, query string) <-chan sseEvent {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/sessions/%d/availability/stream%s", w.srv.URL, sessionID, query), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		w.t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 1024)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = []byte(strings.TrimPrefix(line, "data: "))
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// TestAWatcherSeesEverySaleAndReleaseInOrderWithinASecond follows a
// session's seat map over HTTP while a clerk holds, releases and sells
// seats: after each step the watcher's copy of the map shows it within a
// second, and every seat's codes arrive in the order they happened.
func TestAWatcherSeesEverySaleAndReleaseInOrderWithinASecond(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	events := w.follow(tw.manager, tw.sessionX, "")
	first := <-events
	if first.name != "map" {
		t.Fatalf("first event %q, want map", first.name)
	}
	var doc avail.Document
	if err := json.Unmarshal(first.data, &doc); err != nil || doc.Seats == nil {
		t.Fatalf("first event is not a whole map: %v %s", err, first.data)
	}
	codes, ver := []byte(*doc.Seats), doc.Version
	pos := map[int64]int{}
	for i, s := range tw.seatsX {
		pos[s.SeatID] = i
	}
	seen := map[int][]byte{} // position -> the codes it went through
	// await reads deltas until the watcher's map satisfies ok, for at most 1 s.
	await := func(what string, ok func([]byte) bool) {
		t.Helper()
		deadline := time.NewTimer(time.Second)
		defer deadline.Stop()
		for !ok(codes) {
			select {
			case ev, open := <-events:
				if !open {
					t.Fatalf("%s: the stream ended", what)
				}
				if ev.name != "delta" {
					t.Fatalf("%s: event %q, want delta", what, ev.name)
				}
				var d avail.Document
				if err := json.Unmarshal(ev.data, &d); err != nil {
					t.Fatal(err)
				}
				var err error
				if codes, ver, err = d.Follow(codes, ver); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				for _, c := range d.Changes {
					seen[c.Pos] = append(seen[c.Pos], c.Code)
				}
			case <-deadline.C:
				t.Fatalf("%s did not reach the watcher within 1 s", what)
			}
		}
	}
	seat := func(i int) int64 { return tw.seatsX[i].SeatID }
	is := func(code byte, idx ...int) func([]byte) bool {
		return func(c []byte) bool {
			for _, i := range idx {
				if c[pos[seat(i)]] != code {
					return false
				}
			}
			return true
		}
	}

	var h sales.Hold
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: tw.sessionX, Channel: "pos", SeatIDs: []int64{seat(0), seat(1)}}), &h)
	await("a hold", is('H', 0, 1))
	w.ok(w.call(tw.clerk, "DELETE", fmt.Sprintf("/api/v1/holds/%d", h.ID), nil), nil)
	await("a release", is('A', 0, 1))
	w.buy(tw, seat(1), seat(2))
	await("a sale", is('S', 1, 2))
	for i := 3; i < 8; i++ { // sales in quick succession
		w.buy(tw, seat(i))
	}
	await("five sales", is('S', 3, 4, 5, 6, 7))

	want := map[int]string{0: "HA", 1: "HAHS", 2: "HS", 3: "HS", 7: "HS"}
	for i, codes := range want {
		if got := string(seen[pos[seat(i)]]); got != codes {
			t.Errorf("seat %d went through %q on the stream, want %q", i, got, codes)
		}
	}

	// A watcher that comes back with the version it had gets only what it missed.
	var now avail.Document
	w.ok(w.call(tw.manager, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability", tw.sessionX), nil), &now)
	w.buy(tw, seat(9))
	again := w.follow(tw.manager, tw.sessionX, fmt.Sprintf("?since=%d", now.Version))
	ev := <-again
	var d avail.Document
	if err := json.Unmarshal(ev.data, &d); err != nil || ev.name != "delta" || d.Since == nil || *d.Since != now.Version {
		t.Fatalf("a returning watcher got %s %s, want the delta since %d", ev.name, ev.data, now.Version)
	}
	if len(d.Changes) != 2 || d.Changes[1].Code != 'S' || d.Changes[1].Pos != pos[seat(9)] {
		t.Fatalf("the delta since %d is %s, want seat 9 held then sold", now.Version, ev.data)
	}
}

// TestAvailabilitySinceAnswersADeltaOrTheWholeMap checks the polling form.
func TestAvailabilitySinceAnswersADeltaOrTheWholeMap(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	var before avail.Document
	w.ok(w.call(tw.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability", tw.sessionX), nil), &before)
	w.buy(tw, tw.seatsX[4].SeatID)
	var d avail.Document
	w.ok(w.call(tw.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability?since=%d", tw.sessionX, before.Version), nil), &d)
	codes, v, err := d.Follow([]byte(*before.Seats), before.Version)
	if err != nil || v <= before.Version || codes[4] != 'S' {
		t.Fatalf("delta %+v applied: %v, seat 4 is %c", d, err, codes[4])
	}
	var same avail.Document
	w.ok(w.call(tw.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability?since=%d", tw.sessionX, v), nil), &same)
	if same.Seats != nil || len(same.Changes) != 0 || same.Version != v {
		t.Fatalf("nothing changed since %d, yet got %+v", v, same)
	}
	var whole avail.Document
	w.ok(w.call(tw.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability?since=%d", tw.sessionX, v+1000), nil), &whole)
	if whole.Seats == nil || whole.Version != v {
		t.Fatalf("a version the server never had must get the whole map, got %+v", whole)
	}
	for _, bad := range []string{"-1", "x", "1.5"} {
		r := w.call(tw.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/availability?since=%s", tw.sessionX, bad), nil)
		if r.status != 400 || r.errorCode() != "bad_since" {
			t.Errorf("since=%s answered %d %s, want 400 bad_since", bad, r.status, r.body)
		}
	}
}

// TestCardRetriesOverHTTP: a declined card then another card answers 402
// then 201, never 500; the Idempotency-Key header names the attempt, and a
// resent attempt answers the paid order; a bad key is a 400.
func TestCardRetriesOverHTTP(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	var h sales.Hold
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: tw.sessionX, Channel: "web", SeatIDs: []int64{tw.seatsX[20].SeatID}}), &h)
	var o sales.Order
	w.ok(w.call(tw.clerk, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID}), &o)
	pay := fmt.Sprintf("/api/v1/orders/%d/payments", o.ID)
	if r := w.call(tw.clerk, "POST", pay, map[string]string{"method": "card", "card_token": "tok_decline"}); r.status != http.StatusPaymentRequired || r.errorCode() != "payment_declined" {
		t.Fatalf("declined card: %d %s", r.status, r.body)
	}
	if r := w.call(tw.clerk, "POST", pay, map[string]string{"method": "card", "card_token": "tok_approve", "idempotency_key": "bad key!"}); r.status != 400 || r.errorCode() != "invalid_payment" {
		t.Fatalf("bad key: %d %s", r.status, r.body)
	}
	req := func(key string) reply {
		t.Helper()
		body := strings.NewReader(`{"method":"card","card_token":"tok_approve"}`)
		rq, _ := http.NewRequest("POST", w.srv.URL+pay, body)
		rq.Header.Set("Authorization", "Bearer "+tw.clerk)
		rq.Header.Set("Content-Type", "application/json")
		rq.Header.Set("Idempotency-Key", key)
		resp, err := w.http.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, resp.Body); err != nil {
			t.Fatal(err)
		}
		return reply{status: resp.StatusCode, body: []byte(b.String())}
	}
	first := req("till-3-0042")
	var paid, again sales.Order
	w.ok(first, &paid)
	w.ok(req("till-3-0042"), &again)
	if paid.Status != sales.OrderPaid || again.ID != paid.ID || len(again.Tickets) != 1 || again.Tickets[0].Number != paid.Tickets[0].Number {
		t.Fatalf("the resent attempt answered %+v, first %+v", again, paid)
	}
	if r := req("till-3-0043"); r.status != http.StatusConflict || r.errorCode() != "order_not_pending" {
		t.Fatalf("another attempt on a paid order: %d %s", r.status, r.body)
	}

	// A card paid with the order: a decline is a 402 and keeps the hold;
	// another card makes the order paid; the attempt resent answers it.
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: tw.sessionX, Channel: "pos", SeatIDs: []int64{tw.seatsX[21].SeatID}}), &h)
	withCard := func(token, key string) sales.OrderRequest {
		return sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "card", CardToken: token, IdempotencyKey: key}}
	}
	if r := w.call(tw.clerk, "POST", "/api/v1/orders", withCard("tok_decline", "till-3-0044")); r.status != http.StatusPaymentRequired || r.errorCode() != "payment_declined" {
		t.Fatalf("declined card with the order: %d %s", r.status, r.body)
	}
	w.ok(w.call(tw.clerk, "POST", "/api/v1/orders", withCard("tok_approve", "till-3-0045")), &paid)
	w.ok(w.call(tw.clerk, "POST", "/api/v1/orders", withCard("tok_approve", "till-3-0045")), &again)
	if paid.Status != sales.OrderPaid || paid.PaymentMethod != "card" || again.ID != paid.ID || len(again.Tickets) != 1 {
		t.Fatalf("card with the order answered %+v, resent %+v", paid, again)
	}
}
