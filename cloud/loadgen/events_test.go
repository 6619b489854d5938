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

// TestEventsBenchRunsAndReportsItsLine keeps `admit bench events` working
// on a small draw, with the cloud in its own process (this test binary,
// see TestMain); it asserts no speed, only that every phase served
// requests and no one holds tickets beyond their limit.
func TestEventsBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cloud process and runs four phases")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMIT_BENCH_CLOUD", "1")
	var out bytes.Buffer
	err = RunEventsBench(context.Background(), EventsOptions{Readers: 4, Applicants: 4, Buyers: 6, Duration: 500 * time.Millisecond,
		DrawApps: 5000, DrawSeats: 1000, CloudCommand: []string{self, "-test.run=^$"}}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^events: shop_page_rps=(\d+) shop_page_p99_ms=[\d.]+ apply_per_s=(\d+) draw_ms=\d+ match_ms=\d+ over_limit=0$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q does not match the specified form\n%s", last, out.String())
	}
	if m[1] == "0" || m[2] == "0" {
		t.Fatalf("nothing was measured: %q", last)
	}
	if !strings.Contains(out.String(), "refused_as_expected=") || !strings.Contains(out.String(), "real-name: ") {
		t.Fatalf("a phase is missing:\n%s", out.String())
	}
}
