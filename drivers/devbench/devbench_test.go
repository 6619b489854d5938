package devbench_test

import (
	"bytes"
	"context"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/admitbox/admit/drivers/devbench"
)

// TestRunEndsWithTheDevicesLine runs the bench with small numbers and checks
// the report's format only: it asserts no speed.
func TestRunEndsWithTheDevicesLine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the gate simulators need Linux pseudo-terminals")
	}
	var out bytes.Buffer
	err := devbench.Run(context.Background(), devbench.Options{Scans: 5, Jobs: 5}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	re := regexp.MustCompile(`^devices: ticket_job_us=\d+(\.\d+)? gate_scan_to_open_p99_ms=\d+(\.\d+)? render_ms=\d+(\.\d+)?$`)
	if !re.MatchString(last) {
		t.Errorf("last line %q does not match %s; report:\n%s", last, re, out.String())
	}
	t.Logf("report:\n%s", out.String())
}

func TestRunRefusesNothingToMeasure(t *testing.T) {
	err := devbench.Run(context.Background(), devbench.Options{Scans: 0, Jobs: 1}, &bytes.Buffer{})
	if err == nil {
		t.Error("Run with no scans succeeded")
	}
}
