package loadgen

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestClusterBenchRunsAndReportsItsLine keeps `admit bench cluster`
// working on a short run: replicas of this test binary's bench cloud (see
// TestMain) behind HAProxy, each restarted during the run. It asserts no
// speed, only the line's form and that nothing failed, oversold or was lost.
func TestClusterBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cloud processes and HAProxy")
	}
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("no haproxy (apt-get install haproxy)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMIT_BENCH_CLOUD", "1")
	var out bytes.Buffer
	err = RunClusterBench(context.Background(), ClusterOptions{Replicas: 2, Buyers: 8, Duration: 4 * time.Second, Sessions: 1,
		CloudCommand: []string{self, "-test.run=^$"}}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	re := `^cluster: orders_per_s=[1-9]\d* p99_ms=[\d.]+ failed_during_restart=0 oversold=0 lost=0 replicas=2 sqlite_orders_per_s=[1-9]\d*$`
	if !regexp.MustCompile(re).MatchString(last) {
		t.Fatalf("last line %q does not match the specified form\n%s", last, out.String())
	}
	// Where the replicated run's CPU went: the replicas at least used some.
	cpu := regexp.MustCompile(`(?m)^replicated run CPU per order \(ms\): replicas=(\d+\.\d+) haproxy=\d+\.\d+ load=\d+\.\d+; machine busy \d+%, so at most ~\d+ orders/s with every core busy$`).FindStringSubmatch(out.String())
	if cpu == nil || cpu[1] == "0.00" {
		t.Fatalf("no CPU line with the replicas' share\n%s", out.String())
	}
}
