package loadgen

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
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
