package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
)

// from sends a request as the client at addr, behind the trusted proxy.
func from(t *testing.T, addr, token, method, url string, body any) *http.Response {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestAFloodOfReadsIsRefusedAndSalesGoOn: one client floods seat map
// reads and password guesses; beyond its buckets it gets 429 with
// Retry-After, counted in /metrics, while another client reads and sells.
// The client is the one the trusted proxy names; anyone else's
// X-Forwarded-For is ignored.
func TestAFloodOfReadsIsRefusedAndSalesGoOn(t *testing.T) {
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.TrustedProxies = []string{"127.0.0.1"}
		c.RateLimits = limit.Config{PerClient: map[limit.Class]limit.Rule{
			limit.Read:  {Rate: 1, Burst: 20},
			limit.Login: {Rate: 0.1, Burst: 3},
		}}
	})
	tok := w.token("clerk")
	seatMap := w.srv.URL + "/api/v1/sessions/" + strconv.FormatInt(w.session.ID, 10) + "/availability"
	refused := 0
	var retry string
	for range 40 {
		resp := from(t, "10.0.0.66", tok, "GET", seatMap, nil)
		if resp.StatusCode == http.StatusTooManyRequests {
			refused++
			retry = resp.Header.Get("Retry-After")
		} else if resp.StatusCode != 200 {
			t.Fatalf("a read: %d", resp.StatusCode)
		}
	}
	if refused < 15 || refused > 20 {
		t.Fatalf("%d of 40 reads refused past a burst of 20", refused)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 {
		t.Fatalf("Retry-After %q", retry)
	}
	// Another client reads and sells.
	if resp := from(t, "10.0.0.7", tok, "GET", seatMap, nil); resp.StatusCode != 200 {
		t.Fatalf("another client's read: %d", resp.StatusCode)
	}
	resp := from(t, "10.0.0.66", tok, "POST", w.srv.URL+"/api/v1/holds", sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{w.seats[0].SeatID}})
	if resp.StatusCode != 201 {
		t.Fatalf("a hold from the flooding client while its reads are refused: %d", resp.StatusCode)
	}
	// Password guesses: three, then 429 even with the right password.
	for i := range 3 {
		if resp := from(t, "10.0.0.66", "", "POST", w.srv.URL+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": "guess-" + strconv.Itoa(i)}); resp.StatusCode != 401 {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	if resp := from(t, "10.0.0.66", "", "POST", w.srv.URL+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": pw}); resp.StatusCode != 429 {
		t.Fatalf("a fourth login within the second: %d", resp.StatusCode)
	}
	if resp := from(t, "10.0.0.8", "", "POST", w.srv.URL+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": pw}); resp.StatusCode != 200 {
		t.Fatalf("a login from another client: %d", resp.StatusCode)
	}
	m := scrape(t, w.srv.URL)
	if got := sample(m, `admit_http_errors_total{error="rate_limited",route="/api/v1/sessions/:id/availability"}`); got != float64(refused) {
		t.Errorf("%v refusals counted, %d made:\n%s", got, refused, grepLines(m, "admit_http_errors_total"))
	}
}

// TestForwardedForIsIgnoredWithoutATrustedProxy: a client cannot escape
// its bucket by naming another address.
func TestForwardedForIsIgnoredWithoutATrustedProxy(t *testing.T) {
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.RateLimits = limit.Config{PerClient: map[limit.Class]limit.Rule{limit.Read: {Rate: 0.1, Burst: 2}}}
	})
	tok := w.token("clerk")
	url := w.srv.URL + "/api/v1/sessions/" + strconv.FormatInt(w.session.ID, 10)
	codes := []string{}
	for i := range 4 {
		codes = append(codes, strconv.Itoa(from(t, "10.0.1."+strconv.Itoa(i), tok, "GET", url, nil).StatusCode))
	}
	if got := strings.Join(codes, ","); got != "200,200,429,429" {
		t.Fatalf("reads naming four addresses: %s, want 200,200,429,429", got)
	}
}
