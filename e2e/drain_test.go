package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
)

// TestTheCloudDrainsWithLiveStreamsAndIdleConnectionsOpen stops a cloud
// that a seat-map follower and a connection that never sent a request
// hold open: the stream ends, and the drain succeeds instead of timing out
// (which made a SIGTERM exit 1).
func TestTheCloudDrainsWithLiveStreamsAndIdleConnectionsOpen(t *testing.T) {
	w := newWorld(t, embedded)
	var login sales.LoginResult
	if code := call(t, "POST", w.srv.URL+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": pw}, &login); code != 200 {
		t.Fatalf("clerk login: %d", code)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/sessions/%d/availability/stream", w.srv.URL, w.session.ID), nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: ") {
	}
	idle, err := net.Dial("tcp", strings.TrimPrefix(w.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	if err := w.srv.Close(); err != nil {
		t.Fatalf("the drain failed: %v", err)
	}
	for sc.Scan() {
	}
	if _, err := http.Get(w.srv.URL + "/api/v1/health"); err == nil {
		t.Fatal("the cloud still answers after Close")
	}
}

// readiness asks a cloud's /health/ready.
func readiness(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	var rd map[string]any
	code := call(t, "GET", url+"/health/ready", nil, &rd)
	return code, rd
}

// waitReady polls /health/ready until it answers code.
func waitReady(t *testing.T, url string, code int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, rd := readiness(t, url)
		if got == code {
			return rd
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health/ready answers %d %v, waiting for %d", got, rd, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHealthSaysLiveAndReadyAndDrainingTakesItOutOfRotation: a cloud is
// live and ready; without its broker it is live but not ready, and ready
// again when the broker is back; closing, it answers not ready (draining)
// for the drain delay while it still serves, then stops.
func TestHealthSaysLiveAndReadyAndDrainingTakesItOutOfRotation(t *testing.T) {
	w := newWorldWith(t, standalone, func(c *server.Config) { c.DrainDelay = server.Duration(2 * time.Second) })
	if code := call(t, "GET", w.srv.URL+"/health/live", nil, nil); code != 200 {
		t.Fatalf("live: %d", code)
	}
	if code, rd := readiness(t, w.srv.URL); code != 200 || rd["ready"] != true || rd["store"] != "ok" || rd["broker"] != "ok" {
		t.Fatalf("ready: %d %v", code, rd)
	}
	w.broker.stop()
	if rd := waitReady(t, w.srv.URL, 503); rd["broker"] != "disconnected" || rd["draining"] != false {
		t.Fatalf("without the broker: %v", rd)
	}
	if code := call(t, "GET", w.srv.URL+"/health/live", nil, nil); code != 200 {
		t.Fatalf("live without the broker: %d", code)
	}
	w.broker.start(t)
	waitReady(t, w.srv.URL, 200)

	closed := make(chan error, 1)
	go func() { closed <- w.srv.Close() }()
	if rd := waitReady(t, w.srv.URL, 503); rd["draining"] != true {
		t.Fatalf("closing: %v", rd)
	}
	// Still serving while the load balancer takes it out.
	if code := call(t, "GET", w.srv.URL+"/api/v1/health", nil, nil); code != 200 {
		t.Fatalf("a request while draining: %d", code)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
}
