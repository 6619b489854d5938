package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/loadgen"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/internal/pgtest"
)

// TestARollingRestartBehindHAProxyFailsNoRequest: three cloud processes on
// one store and Mosquitto, behind Debian's HAProxy checking /health/ready;
// tills sell through it while one cloud is killed (kill -9) and comes
// back, then each cloud in turn gets SIGTERM and starts again. Draining
// takes each out of rotation before it stops taking connections: no
// request fails during the rolling restart, every order a till was told of
// is in the store, and no seat is sold twice.
func TestARollingRestartBehindHAProxyFailsNoRequest(t *testing.T) {
	testRollingRestart(t, "")
}

// TestARollingRestartOnPostgreSQLFailsNoRequest: the same with the three
// clouds on one PostgreSQL database.
func TestARollingRestartOnPostgreSQLFailsNoRequest(t *testing.T) {
	dsn, _, _ := pgtest.Schema(t)
	testRollingRestart(t, dsn)
}

func testRollingRestart(t *testing.T, db string) {
	if testing.Short() {
		t.Skip("builds and runs admit-cloud and HAProxy")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("no haproxy (apt-get install haproxy)")
	}
	mqtt := os.Getenv("ADMIT_TEST_MQTT_URL")
	if mqtt == "" {
		t.Skip("ADMIT_TEST_MQTT_URL is not set: the clouds share an external broker")
	}
	bin := filepath.Join(t.TempDir(), "admit-cloud")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/admitbox/admit/cmd/admit-cloud").CombinedOutput(); err != nil {
		t.Fatalf("build admit-cloud: %v\n%s", err, out)
	}
	// Seed the store in this process, then hand it to three clouds.
	data := t.TempDir()
	w := newWorldWith(t, embedded, func(c *server.Config) { c.DataDir, c.DB = data, db })
	if err := w.srv.Close(); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(server.Config{DataDir: data, DB: db, SystemCode: "ADMIT", MQTTURL: mqtt, DrainDelay: server.Duration(time.Second)})
	cfgPath := filepath.Join(t.TempDir(), "admit.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	clouds := make([]*exec.Cmd, 3)
	for i, a := range addrs {
		clouds[i], _ = cloudProcess(t, bin, cfgPath, "-listen", a)
	}
	front, stats := freeAddr(t), freeAddr(t)
	hcfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(hcfg, loadgen.HAProxyConfig(front, stats, addrs), 0o600); err != nil {
		t.Fatal(err)
	}
	hp := exec.Command(haproxy, "-db", "-f", hcfg)
	hp.Stdout, hp.Stderr = testWriter{t, "haproxy"}, testWriter{t, "haproxy"}
	if err := hp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hp.Process.Kill(); hp.Wait() })
	lb, statsURL := "http://"+front, "http://"+stats+"/stats"
	waitUp := func(name string) {
		t.Helper()
		if err := loadgen.WaitUpInHAProxy(context.Background(), statsURL, name); err != nil {
			t.Fatal(err)
		}
	}
	for i := range addrs {
		waitUp(fmt.Sprintf("c%d", i))
	}

	// Tills sell through the load balancer, each its own seats.
	var login sales.LoginResult
	if code := call(t, "POST", lb+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": pw}, &login); code != 200 {
		t.Fatalf("login through HAProxy: %d", code)
	}
	stop := make(chan struct{})
	var mu sync.Mutex
	var told []int64
	var failures []string // during the rolling restart
	killed := 0           // requests the kill -9 cut, before the rolling restart
	rolling := false
	client := &http.Client{Timeout: 15 * time.Second}
	do := func(method, path string, body, out any) (int, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, lb+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+login.Token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(raw, out); err != nil {
				return resp.StatusCode, err
			}
		} else if resp.StatusCode >= 300 {
			return resp.StatusCode, fmt.Errorf("%s", raw)
		}
		return resp.StatusCode, nil
	}
	var wg sync.WaitGroup
	const tills, each = 4, 48
	for g := range tills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				select {
				case <-stop:
					return
				default:
				}
				fail := func(what string, code int, err error) {
					mu.Lock()
					if rolling {
						failures = append(failures, fmt.Sprintf("till %d seat %d %s: %d %v", g, i, what, code, err))
					} else {
						killed++
					}
					mu.Unlock()
				}
				var h sales.Hold
				if code, err := do("POST", "/api/v1/holds", sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS,
					SeatIDs: []int64{w.seats[g*each+i].SeatID}}, &h); code != 201 {
					fail("hold", code, err)
					continue
				}
				var o sales.Order
				if code, err := do("POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}, &o); code != 201 {
					fail("order", code, err)
					continue
				}
				mu.Lock()
				told = append(told, o.ID)
				mu.Unlock()
				time.Sleep(100 * time.Millisecond) // a till's pace, not a wait for anything
			}
		}()
	}
	// People watch the seat map the whole time.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if code, err := do("GET", fmt.Sprintf("/api/v1/sessions/%d/availability", w.session.ID), nil, nil); code != 200 {
				mu.Lock()
				if rolling {
					failures = append(failures, fmt.Sprintf("seat map: %d %v", code, err))
				} else {
					killed++
				}
				mu.Unlock()
			}
		}
	}()

	// One cloud dies mid-load (what it was doing may fail; what it told
	// a till must be stored) and comes back.
	waitTold := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			have := len(told)
			mu.Unlock()
			if have >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d orders told, waiting for %d", have, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitTold(8)
	if err := clouds[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	clouds[0].Wait()
	clouds[0], _ = cloudProcess(t, bin, cfgPath, "-listen", addrs[0])
	waitUp("c0")
	mu.Lock()
	rolling = true
	mu.Unlock()

	// The rolling restart: one cloud at a time, drained by SIGTERM.
	for i, a := range addrs {
		if err := clouds[i].Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := clouds[i].Wait(); err != nil {
			t.Fatalf("cloud %d exited: %v", i, err)
		}
		clouds[i], _ = cloudProcess(t, bin, cfgPath, "-listen", a)
		waitUp(fmt.Sprintf("c%d", i))
	}
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Fatalf("%d requests failed during the rolling restart, the first: %s", len(failures), failures[0])
	}
	if len(told) < tills {
		t.Fatalf("only %d orders during the restart", len(told))
	}
	var st server.Store
	if db != "" {
		st, err = postgres.Open(context.Background(), db, postgres.Options{})
	} else {
		st, err = sqlite.Open(context.Background(), filepath.Join(data, "admit.db"), sqlite.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range told {
		if o, err := st.GetOrder(context.Background(), -1, id); err != nil || o.Status != sales.OrderPaid {
			t.Fatalf("order %d, told to a till: %+v %v", id, o, err)
		}
	}
	var twice int
	if err := st.DB().QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT seat_id FROM tickets WHERE session_id = %d AND status = 'valid' GROUP BY seat_id HAVING COUNT(*) > 1) AS twice`,
		w.session.ID)).Scan(&twice); err != nil || twice != 0 {
		t.Fatalf("%d seats sold twice: %v", twice, err)
	}
	t.Logf("%d orders through HAProxy across a kill -9 (%d requests cut) and a rolling restart of 3 clouds (none failed)", len(told), killed)
}
