package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/internal/platformsim"
)

// cloudProcess runs admit-cloud serve with a config file (and extra flags,
// which override the defaults) and returns it and its URL.
func cloudProcess(t *testing.T, bin, config string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-config", config, "-listen", "127.0.0.1:0", "-mqtt-listen", "127.0.0.1:0"}, extra...)...)
	out, _ := cmd.StdoutPipe()
	if os.Getenv("ADMIT_E2E_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "admit-cloud serving "); ok {
			url, _, _ := strings.Cut(rest, "/api/v1/")
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, url
		}
	}
	t.Fatalf("admit-cloud did not say where it serves: %v", sc.Err())
	return nil, ""
}

// TestAReportSurvivesKill9BetweenTheSaleAndItsDelivery: the platform is
// down, a POS sale is told it succeeded, the cloud process is killed with
// SIGKILL; restarted, it delivers the report once the platform is back,
// and the platform holds it once.
func TestAReportSurvivesKill9BetweenTheSaleAndItsDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs admit-cloud")
	}
	bin := filepath.Join(t.TempDir(), "admit-cloud")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/admitbox/admit/cmd/admit-cloud").CombinedOutput(); err != nil {
		t.Fatalf("build admit-cloud: %v\n%s", err, out)
	}
	// Seed the data dir in this process (a venue, a clerk, a film
	// session), then hand it to admit-cloud.
	data := t.TempDir()
	w, sim, pc := platformWorldIn(t, wire.AlgRSA, data, nil)
	ss := w.filmSession()
	seats, err := w.svc.SessionSeats(t.Context(), w.clerk, ss.ID)
	w.must(err)
	if err := w.srv.Close(); err != nil {
		t.Fatal(err)
	}
	// The killed process's lease of the sender runs out within 2 s.
	pc.LeaseTTL = server.Duration(2 * time.Second)
	cfg, _ := json.Marshal(server.Config{DataDir: data, SystemCode: "ADMIT", Platform: pc})
	cfgPath := filepath.Join(t.TempDir(), "admit.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	sim.SetFaults(platformsim.Faults{DownUntil: time.Now().Add(time.Hour)})
	cloud, url := cloudProcess(t, bin, cfgPath)
	var login sales.LoginResult
	if code := call(t, "POST", url+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": pw}, &login); code != 200 {
		t.Fatalf("login: %d", code)
	}
	var h sales.Hold
	if code := callAs(t, login.Token, "POST", url+"/api/v1/holds", sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seats[0].SeatID}}, &h); code != 201 {
		t.Fatalf("hold: %d", code)
	}
	var o sales.Order
	if code := callAs(t, login.Token, "POST", url+"/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}, &o); code != 201 || len(o.Tickets) != 1 {
		t.Fatalf("sell: %d %+v", code, o)
	}
	// The buyer was told; the platform is down; the cloud dies.
	if err := cloud.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cloud.Wait()
	for _, r := range sim.Records() {
		if r.Interface == wire.RawTicket {
			t.Fatalf("the platform, down, stored a ticket record: %+v", r)
		}
	}

	sim.SetFaults(platformsim.Faults{})
	again, _ := cloudProcess(t, bin, cfgPath)
	recs := waitRecords(t, sim, 1)
	var x wire.TicketRecord
	if err := json.Unmarshal(recs[0].Body, &x); err != nil {
		t.Fatal(err)
	}
	if x.Ticket != o.Tickets[0].Number || x.Session != fmt.Sprint(ss.ID) {
		t.Fatalf("the platform holds %+v; want ticket %s", x, o.Tickets[0].Number)
	}
	if err := again.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := again.Wait(); err != nil {
		t.Fatalf("admit-cloud on SIGTERM: %v", err)
	}
	if recs := waitRecords(t, sim, 1); len(recs) != 1 {
		t.Fatalf("the platform holds %d ticket records for one sale", len(recs))
	}
}
