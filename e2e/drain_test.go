package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
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
