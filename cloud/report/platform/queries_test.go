package platform

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/internal/platformsim"
)

// reviews is a system's side of the review callback: the applications it
// made, and the reviews it took.
type reviews struct {
	mu    sync.Mutex
	apps  map[string]bool
	taken []wire.ReviewResult
}

func (r *reviews) Review(_ context.Context, rr wire.ReviewResult) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.apps[rr.Application] {
		return false, sales.NotFound("application " + rr.Application)
	}
	for _, x := range r.taken {
		if x.Application == rr.Application {
			return true, nil
		}
	}
	r.taken = append(r.taken, rr)
	return false, nil
}

func (r *reviews) Answer(context.Context, wire.Interface, wire.RangeQuery) (any, error) {
	return nil, nil
}

// TestThePlatformsReviewReachesTheSystemOnce: an application is reviewed
// on the platform's page or by its API, and the result is pushed to the
// system's review interface over mutual TLS, signed by the platform; a
// decision stands once the system took it.
func TestThePlatformsReviewReachesTheSystemOnce(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	is, err := f.sim.RegisterSystem(platformsim.SystemRequest{Code: "ADMIT2", Version: "1", Address: "https://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.RegisterCinema(platformsim.CinemaRequest{System: "ADMIT2", Cinema: wire.Cinema{Code: "31000002", Name: "Hall", Company: "Acme",
		Circuit: "United", Status: wire.StatusOpen, Halls: 1}}); err != nil {
		t.Fatal(err)
	}
	rv := &reviews{apps: map[string]bool{"MA1": true, "MA2": true}}
	qs, err := ServeQueries(addr, []byte(is.CertPEM), []byte(is.KeyPEM), []byte(is.CAPEM), rv, rv, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qs.Close() })
	f.issued, f.system = is, "ADMIT2"
	c := f.client(t, wire.AlgRSA, quick)
	at := time.Now().UTC().Truncate(time.Second)
	ctx := context.Background()
	for _, serial := range []string{"MA1", "MA2", "MA3"} {
		app := wire.MakeupApplication{Cinema: "31000002", BusinessDate: at.AddDate(0, 0, -10).Format("2006-01-02"), Hall: "H1", Film: "001101232026",
			Session: "S1", StartsAt: at.AddDate(0, 0, -10), Count: 2, AmountCents: 9000}
		if r := c.Send(ctx, wire.SaleMakeup, serial, app); r.Outcome != report.Delivered {
			t.Fatalf("the application %s: %+v", serial, r)
		}
	}
	if n := len(f.sim.Applications()); n != 3 {
		t.Fatalf("%d applications at the platform", n)
	}

	// On the page: the form needs the admin token.
	form := func(v url.Values) int {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(f.sim.CAPEM())
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.PostForm(f.sim.URL()+"/review", v)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := form(url.Values{"system_code": {"ADMIT2"}, "serial": {"MA1"}, "decision": {"approve"}, "token": {"wrong"}}); code != http.StatusUnauthorized {
		t.Fatalf("a review without the token: %d", code)
	}
	if code := form(url.Values{"system_code": {"ADMIT2"}, "serial": {"MA1"}, "decision": {"approve"}, "token": {"tok"}}); code != http.StatusSeeOther {
		t.Fatalf("a review on the page: %d", code)
	}
	// By the API: a rejection needs its reason; the opposite decision is refused.
	if _, err := f.sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT2", Serial: "MA2"}); err == nil {
		t.Fatal("a rejection without a reason")
	}
	if _, err := f.sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT2", Serial: "MA1", Reason: "changed my mind"}); err == nil ||
		!strings.Contains(err.Error(), "approved already") {
		t.Fatalf("the opposite decision: %v", err)
	}
	rec, err := f.sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT2", Serial: "MA2", Reason: "no stubs"})
	if err != nil || rec.Review != "rejected" || rec.ReviewReason != "no stubs" {
		t.Fatalf("a rejection: %+v %v", rec, err)
	}
	// The system does not know MA3: the platform's decision does not stand.
	if _, err := f.sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT2", Serial: "MA3", Approve: true}); err == nil ||
		!strings.Contains(err.Error(), wire.CodeUnknownApplication) {
		t.Fatalf("a review the system refuses: %v", err)
	}
	if _, err := f.sim.Review(ctx, platformsim.ReviewRequest{System: "ADMIT2", Serial: "MA9", Approve: true}); err == nil {
		t.Fatal("a review of no application")
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.taken) != 2 || !rv.taken[0].Approved || rv.taken[0].Application != "MA1" || rv.taken[1].Approved || rv.taken[1].Cinema != "31000002" {
		t.Fatalf("the system took %+v", rv.taken)
	}
	for _, a := range f.sim.Applications() {
		if want := map[string]string{"MA1": "approved", "MA2": "rejected", "MA3": ""}[a.Serial]; a.Review != want {
			t.Errorf("%s: review %q, want %q", a.Serial, a.Review, want)
		}
	}
}
