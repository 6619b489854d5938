package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admitbox/admit/edge/agent"
)

// TestSalesBenchRunsAndReportsItsLine keeps `admit bench sales` working:
// a short run must sell, find nothing oversold, and end with the line the
// issue specifies. It asserts no speed: speed is the benchmark's business.
func TestSalesBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cloud and seeds a 5,000-seat session")
	}
	var out bytes.Buffer
	err := RunSalesBench(context.Background(), SalesBenchOptions{Buyers: 4, Duration: 500 * time.Millisecond, Baseline: 100 * time.Millisecond, Sessions: 1}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^sales: orders_per_s=(\d+) p50_ms=[\d.]+ p99_ms=[\d.]+ baseline_rps=(\d+) oversold=0$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q does not match the specified form", last)
	}
	if m[1] == "0" || m[2] == "0" {
		t.Fatalf("nothing was measured: %q", last)
	}
}

func TestPercentile(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond
	}
	if p := percentile(ds, 50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(ds, 99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile(nil, 99); p != 0 {
		t.Errorf("p99 of nothing = %v", p)
	}
}

// TestMain lets the test binary stand in for the separate agent process
// bench sync starts.
func TestMain(m *testing.M) {
	if os.Getenv("ADMIT_BENCH_AGENT") == "1" {
		os.Exit(runAgentProcess(os.Args[len(os.Args)-1]))
	}
	if os.Getenv("ADMIT_BENCH_CLOUD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := BenchCloud(ctx, os.Args[2:], os.Stdout) // after -test.run=^$
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runAgentProcess(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0", HeartbeatEvery: time.Hour})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	a.Close()
	return 0
}

// TestSyncBenchRunsAndReportsItsLine keeps `admit bench sync` working on
// a small venue; it asserts no speed.
func TestSyncBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cloud, gates and an agent process")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMIT_BENCH_AGENT", "1")
	var out bytes.Buffer
	err = RunSyncBench(context.Background(), SyncBenchOptions{Gates: 2, Sales: 5, Tickets: 1000, Validates: 40,
		AgentCommand: []string{self, "-test.run=^$"}}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^sync: propagation_p99_ms=\d+ catchup_tickets_per_s=\d+ validate_p99_us=\d+ edge_rss_mb=[\d.]+ lost=0$`).MatchString(last) {
		t.Fatalf("last line %q does not match the specified form\n%s", last, out.String())
	}
}

func TestDashboardBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cloud and sells a few hundred tickets")
	}
	var out bytes.Buffer
	err := RunDashboardBench(context.Background(), DashboardBenchOptions{Sessions: 3, Tickets: 300, Loads: 2, Updates: 2}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	re := regexp.MustCompile(`^dashboard: load_p99_ms=[\d.]+ page_p99_ms=(\d+|none) live_update_p99_ms=\d+ sessions=3 tickets=30[46] baseline_p99_ms=[\d.]+$`)
	if !re.MatchString(last) {
		t.Fatalf("last line %q does not match %s", last, re)
	}
}
