package postgres_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/admitbox/admit/internal/pgtest"
)

// TestFloorScriptRunsOnTodaysSchema keeps floor/floor.sh, the measure of
// what PostgreSQL alone can sell on a machine (README, issue 11's figure),
// working as migrations change the tables it writes: both designs must
// sell for a second without an aborted transaction.
func TestFloorScriptRunsOnTodaysSchema(t *testing.T) {
	if !pgtest.Available() {
		t.Skip(pgtest.Env + " is not set")
	}
	if testing.Short() {
		t.Skip("builds admit-cloud and runs pgbench")
	}
	if _, err := exec.LookPath("pgbench"); err != nil {
		t.Skip("no pgbench on PATH")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "cloud/store/postgres/floor/floor.sh", os.Getenv(pgtest.Env), "1", "2")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("floor.sh: %v\n%s", err, out)
	}
	for _, design := range []string{"lock_first", "lock_late"} {
		m := regexp.MustCompile(`(?m)^` + design + `: sales_per_s=([1-9]\d*) machine_busy=\d+% machine_cpu_ms_per_sale=[\d.]+$`).FindSubmatch(out)
		if m == nil {
			t.Errorf("no %s line with sales in the output:\n%s", design, out)
		}
	}
}

// Bad arguments are refused with a usage line before the script touches
// any database.
func TestFloorScriptRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"postgres://postgres@127.0.0.1:5432"}, // no database
		{"mysql://root@127.0.0.1/db"},
		{"postgres://postgres@127.0.0.1:1/postgres", "ten"},
		{"postgres://postgres@127.0.0.1:1/postgres", "1", "0"},
	} {
		cmd := exec.Command("bash", append([]string{"floor/floor.sh"}, args...)...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "usage: floor.sh") {
			t.Errorf("floor.sh %q: %v, want exit 2 and the usage line:\n%s", args, err, out)
		}
	}
}
