package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
)

// scrape reads the cloud's /metrics as Prometheus does.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// sample is the value of one series (name and labels exactly as
// exposed), or -1 when it is not there.
func sample(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestMetricsCountSalesByRouteAndOutcome: a sale and a refused hold show
// in /metrics under their route templates and error code (no id in any
// label), the group commits are counted, and the venue's feed head, its
// devices and the reporting queue are read from the store.
func TestMetricsCountSalesByRouteAndOutcome(t *testing.T) {
	w := newWorld(t, embedded)
	tok := w.token("clerk")
	seat := w.seats[0].SeatID
	var h sales.Hold
	if code := callAs(t, tok, "POST", w.srv.URL+"/api/v1/holds", sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seat}}, &h); code != 201 {
		t.Fatalf("hold: %d", code)
	}
	var o sales.Order
	if code := callAs(t, tok, "POST", w.srv.URL+"/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}, &o); code != 201 {
		t.Fatalf("sale: %d", code)
	}
	if code := callAs(t, tok, "POST", w.srv.URL+"/api/v1/holds", sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seat}}, nil); code != 409 {
		t.Fatalf("a hold on a sold seat: %d", code)
	}
	callAs(t, tok, "GET", fmt.Sprintf("%s/api/v1/orders/%d", w.srv.URL, o.ID), nil, nil)
	w.device("gate", "metrics-gate")
	if code := call(t, "POST", w.srv.URL+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": "wrong-password"}, nil); code != 401 {
		t.Fatalf("a wrong password: %d", code)
	}

	m := scrape(t, w.srv.URL)
	for series, min := range map[string]float64{
		`admit_http_requests_total{method="POST",route="/api/v1/holds",status="201"}`:     1,
		`admit_http_requests_total{method="POST",route="/api/v1/holds",status="409"}`:     1,
		`admit_http_requests_total{method="POST",route="/api/v1/orders",status="201"}`:    1,
		`admit_http_requests_total{method="GET",route="/api/v1/orders/:id",status="200"}`: 1,
		`admit_store_commit_transactions_count`:                                           2,
		`admit_store_writer_cpu_seconds_total`:                                            1e-6,
		`admit_store_writer_wait_seconds_total`:                                           0,
		`admit_report_queue{state="pending"}`:                                             0,
		`admit_devices{role="gate",status="active",venue="` + w.venue.Code + `"}`:         1,
		`admit_sales_steps_total{outcome="ok",step="hold"}`:                               1,
		`admit_sales_steps_total{outcome="seats_unavailable",step="hold"}`:                1,
		`admit_sales_steps_total{outcome="ok",step="order"}`:                              1,
		`admit_logins_total{outcome="bad_credentials"}`:                                   1,
	} {
		if got := sample(m, series); got < min {
			t.Errorf("%s = %v, want at least %v; have:\n%s", series, got, min, grepLines(m, strings.SplitN(series, "{", 2)[0]))
		}
	}
	if !regexp.MustCompile(`admit_http_errors_total\{error="[a-z_]+",route="/api/v1/holds"\} 1`).MatchString(m) {
		t.Errorf("the refused hold is not counted by its error code:\n%s", grepLines(m, "admit_http_errors_total"))
	}
	if got, want := sample(m, `admit_feed_head{venue="`+w.venue.Code+`"}`), float64(w.head()); got != want {
		t.Errorf("feed head %v, the store's %v", got, want)
	}
	if bad := regexp.MustCompile(`route="[^"]*/[0-9]+`).FindString(m); bad != "" {
		t.Errorf("an id in a route label: %s", bad)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestTheGateAgentsMetricsFollowItsDecisions: a gate's /metrics shows it
// connected and caught up, its admissions and refusals, and its outbox
// emptied once the admission is uploaded.
func TestTheGateAgentsMetricsFollowItsDecisions(t *testing.T) {
	w := newWorld(t, embedded)
	gate := w.agent(w.device("gate", "metrics-gate"))
	o := w.sell(1)
	w.caughtUp(gate)
	head := w.head()
	validate(t, gate.URL(), o.Tickets[0].QR)
	validate(t, gate.URL(), o.Tickets[0].QR) // already admitted
	uploaded(t, gate)
	m := scrape(t, gate.URL())
	for series, want := range map[string]float64{
		`admit_edge_connected`:                               1,
		`admit_edge_gate_decisions_total{result="admitted"}`: 1,
		`admit_edge_gate_decisions_total{result="rejected"}`: 1,
		`admit_edge_outbox_depth`:                            0,
	} {
		if got := sample(m, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if got := sample(m, `admit_edge_feed_seq`); got < float64(head) {
		t.Errorf("feed seq %v, the venue's head was %d when the gate caught up", got, head)
	}
	// The cloud counts the MQTT messages: the gate's upload in, its feed out.
	cm := scrape(t, w.srv.URL)
	for _, series := range []string{`admit_mqtt_messages_total{direction="in"}`, `admit_mqtt_messages_total{direction="out"}`,
		`admit_sync_facts_received_total`, `admit_sync_feed_events_sent_total`} {
		if got := sample(cm, series); got < 1 {
			t.Errorf("%s = %v, want at least 1", series, got)
		}
	}
}
