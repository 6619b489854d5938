package loadgen

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReportBenchRunsAndReportsItsLine keeps `admit bench report` working
// on a short run, with the cloud in its own process (this test binary,
// see TestMain): it asserts no speed, only that everything sold reached
// the platform once, the backlog of the outage included.
func TestReportBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cloud process")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMIT_BENCH_CLOUD", "1")
	var out bytes.Buffer
	err = RunReportBench(context.Background(), ReportOptions{Rate: 50, Steady: time.Second, Outage: 1500 * time.Millisecond, Workers: 8,
		Alg: "SM2-SM3", CloudCommand: []string{self, "-test.run=^$"}}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^report: ack_p50_ms=\d+ ack_p99_ms=\d+ catchup_per_s=(\d+) lost=0 duplicates=0 completeness=100\.0$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q does not match the specified form\n%s", last, out.String())
	}
	if m[1] == "0" {
		t.Fatalf("nothing waited out the outage: %s", out.String())
	}
	// No answer was lost: a copy sent again means a report went out twice.
	if !strings.Contains(out.String(), "resent copies it recognised: 0\n") {
		t.Fatalf("reports were sent more than once:\n%s", out.String())
	}
}
