package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/internal/reqid"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}

// TestEveryAPIRequestIsLoggedWithItsRequestID: the access log has a JSON
// line per API request with its route, status and the request id, which
// is the load balancer's when it sent a plain one, else made up, and is
// echoed in the answer; an id that could bend a log line is replaced.
func TestEveryAPIRequestIsLoggedWithItsRequestID(t *testing.T) {
	var logs syncBuffer
	log := slog.New(reqid.Handler{Handler: slog.NewJSONHandler(&logs, nil)})
	srv, err := server.Start(context.Background(), server.Config{DataDir: t.TempDir(), Logger: log,
		Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(id string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/sessions", nil)
		if id != "" {
			req.Header.Set(reqid.Header, id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("an unauthenticated request: %d", resp.StatusCode)
		}
		return resp.Header.Get(reqid.Header)
	}
	if got := get("lb-7f3a"); got != "lb-7f3a" {
		t.Fatalf("the load balancer's id came back as %q", got)
	}
	made := get("")
	bent := get(`x" injected="1`)
	if len(made) != 16 || len(bent) != 16 || made == bent {
		t.Fatalf("made-up ids %q and %q", made, bent)
	}
	seen := map[string]bool{}
	for _, line := range logs.lines() {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) != nil || e["msg"] != "api request" {
			continue
		}
		if e["route"] != "/api/v1/sessions" || e["status"] != float64(401) || e["error"] != "unauthenticated" {
			t.Errorf("an access log line: %s", line)
		}
		seen[e["request_id"].(string)] = true
	}
	for _, id := range []string{"lb-7f3a", made, bent} {
		if !seen[id] {
			t.Errorf("no access log line with request_id %s in:\n%s", id, strings.Join(logs.lines(), "\n"))
		}
	}
}
