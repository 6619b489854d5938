package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/demo"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/drivers/render"
	"github.com/admitbox/admit/internal/pgtest"
)

// seededDataDir makes a cloud data dir holding the demo world, closed.
func seededDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	srv, err := server.Start(context.Background(), server.Config{DataDir: dir, Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(context.Background(), srv.Svc, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAuditVerifyNamesTheFirstTamperedEntry(t *testing.T) {
	cases := []struct {
		name   string
		tamper []string
		want   string
	}{
		{"an untouched chain verifies", nil, "audit chain OK"},
		{"altering a row is named", []string{`UPDATE audit_log SET actor = 'user:99 mallory' WHERE seq = 5`}, "entry 5: altered"},
		{"altering a before/after value is named", []string{`UPDATE audit_log SET after_json = replace(after_json, '4800', '1') WHERE seq = (SELECT MIN(seq) FROM audit_log WHERE action = 'prices.set')`}, ": altered"},
		{"deleting a row is named", []string{`DELETE FROM audit_log WHERE seq = 7`}, "entry 7: removed"},
		{"deleting the newest row is named", []string{`DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)`}, ": removed"},
		{"swapping two rows is named", []string{
			`CREATE TEMP TABLE a AS SELECT * FROM audit_log WHERE seq IN (9, 10)`,
			`UPDATE audit_log SET seq = (SELECT seq FROM a WHERE a.id <> audit_log.id), at = (SELECT at FROM a WHERE a.id <> audit_log.id),
			  tenant_id = (SELECT tenant_id FROM a WHERE a.id <> audit_log.id), venue_id = (SELECT venue_id FROM a WHERE a.id <> audit_log.id),
			  actor = (SELECT actor FROM a WHERE a.id <> audit_log.id), action = (SELECT action FROM a WHERE a.id <> audit_log.id),
			  object = (SELECT object FROM a WHERE a.id <> audit_log.id), before_json = (SELECT before_json FROM a WHERE a.id <> audit_log.id),
			  after_json = (SELECT after_json FROM a WHERE a.id <> audit_log.id), reason = (SELECT reason FROM a WHERE a.id <> audit_log.id),
			  approver = (SELECT approver FROM a WHERE a.id <> audit_log.id), prev_hash = (SELECT prev_hash FROM a WHERE a.id <> audit_log.id),
			  hash = (SELECT hash FROM a WHERE a.id <> audit_log.id) WHERE seq IN (9, 10)`,
		}, "entry 9: reordered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := seededDataDir(t)
			db, err := sql.Open("sqlite3", filepath.Join(dir, "admit.db"))
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range c.tamper {
				res, err := db.Exec(q)
				if err != nil {
					t.Fatalf("tamper: %v", err)
				}
				if n, _ := res.RowsAffected(); n == 0 && !strings.HasPrefix(q, "CREATE") {
					t.Fatalf("tamper changed nothing: %s", q)
				}
			}
			db.Close()
			var out bytes.Buffer
			err = run(context.Background(), []string{"audit", "verify", "-data", dir}, &out)
			if !strings.Contains(out.String(), c.want) {
				t.Fatalf("output %q, want it to contain %q", out.String(), c.want)
			}
			var code exitCode
			if c.tamper == nil && err != nil {
				t.Fatalf("clean chain: %v", err)
			}
			if c.tamper != nil && (!errors.As(err, &code) || code != 1) {
				t.Fatalf("tampered chain: err %v, want exit 1", err)
			}
		})
	}
}

// lineWatcher signals when output contains a marker.
type lineWatcher struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func (l *lineWatcher) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if strings.Contains(l.buf.String(), l.marker) {
		l.once.Do(func() { close(l.seen) })
	}
	return len(p), nil
}

func (l *lineWatcher) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestDemoStartsACloudAndPrintsItsURLAndLogins(t *testing.T) {
	testDemo(t)
}

// TestDemoOnPostgreSQL: admit demo -db postgres://… runs the same visit
// with the cloud on PostgreSQL.
func TestDemoOnPostgreSQL(t *testing.T) {
	dsn, _, _ := pgtest.Schema(t)
	testDemo(t, "-db", dsn)
	if !t.Failed() {
		t.Log("the demo ran on", dsn)
	}
}

func testDemo(t *testing.T, extra ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lineWatcher{marker: "Ctrl-C stops", seen: make(chan struct{})}
	data := t.TempDir()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"demo", "-listen", "127.0.0.1:0", "-mqtt-listen", "127.0.0.1:0", "-devices-listen", "127.0.0.1:0",
			"-platform-listen", "127.0.0.1:0", "-data", data}, extra...), out)
	}()
	select {
	case <-out.seen:
	case err := <-done:
		t.Fatalf("demo exited: %v\n%s", err, out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("demo did not come up:\n%s", out.String())
	}
	m := regexp.MustCompile(`cloud API:\s+(http://\S+)/api/v1/`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no URL printed:\n%s", out.String())
	}
	for _, want := range []string{"clerk", "manager", "auditor", demo.Password, "gate:", "kiosk:", "pos:", "portal:",
		"tickets printed", "turnstile opened: visitor passed", "scanned at the gate: admitted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The tour's two tickets were printed on the simulated kiosk printer
	// and are there to look at (rendering Chinese needs the CJK font,
	// which CI installs).
	pngs, _ := filepath.Glob(filepath.Join(data, "prints", "*.png"))
	if _, err := render.Render([]byte("\x1c&\xc6\xb1\n"), render.Options{Dots: 384}); errors.Is(err, render.ErrNoCJKFont) && os.Getenv("CI") == "" {
		t.Logf("no CJK font here (%v): printed tickets are not rendered", err)
	} else if len(pngs) != 2 {
		t.Fatalf("%d printed tickets in %s, want 2:\n%s", len(pngs), filepath.Join(data, "prints"), out.String())
	}
	for _, f := range pngs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	body, _ := json.Marshal(map[string]string{"username": "clerk", "password": demo.Password})
	resp, err := http.Post(m[1]+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", m[1]+"/api/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sessions []struct{ ID int64 }
	if err := json.Unmarshal(b, &sessions); err != nil || len(sessions) != 7 {
		t.Fatalf("the demo clerk sees %d sessions (%v): %.200s", len(sessions), err, b)
	}
	// The demo gate answers on its local API.
	g := regexp.MustCompile(`gate:\s+(http://[^/\s]+)/ui/`).FindStringSubmatch(out.String())
	if g == nil {
		t.Fatalf("no gate URL printed:\n%s", out.String())
	}
	resp, err = http.Get(g[1] + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Role, Venue string }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Role != "gate" || st.Venue != "31010101" {
		t.Fatalf("the demo gate says %+v", st)
	}
	// The tour's film tickets reach the national data platform simulator.
	p := regexp.MustCompile(`platform:\s+(https://\S+)/\s.*admin token (\w+)\)`).FindStringSubmatch(out.String())
	if p == nil {
		t.Fatalf("no platform URL printed:\n%s", out.String())
	}
	ca, err := os.ReadFile(filepath.Join(data, "platform", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	pc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("GET", p[1]+"/admin/records", nil)
		req.Header.Set("Authorization", "Bearer "+p[2])
		resp, err := pc.Do(req)
		if err != nil {
			t.Fatalf("the platform simulator: %v", err)
		}
		var recs []struct {
			Interface string `json:"interface"`
			Cinema    string `json:"cinema_code"`
		}
		json.NewDecoder(resp.Body).Decode(&recs)
		resp.Body.Close()
		tickets := 0
		for _, r := range recs {
			if r.Interface == "tickets" && r.Cinema == "31010101" {
				tickets++
			}
		}
		if tickets >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the platform holds %+v; want the tour's two tickets", recs)
		}
		time.Sleep(50 * time.Millisecond) // polling an outside process's state, not synchronising our own
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo stopped with %v", err)
	}
}

func TestUnknownCommandPrintsUsage(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, &out)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("err %v, want exit 2", err)
	}
}
