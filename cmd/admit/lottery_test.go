package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The notary's path through the published files: commit, draw, verify;
// and a result altered after the draw, or a list changed after locking,
// is caught.
func TestLotteryCommitDrawVerifyFromFiles(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	write := func(name, body string) {
		if err := os.WriteFile(p(name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pools.csv", "pool,tickets\ns1/A,3\ns1/B,1\n")
	write("apps.csv", "pool,id,quantity\ns1/A,u1,1\ns1/A,u2,2\ns1/A,u3,1\ns1/A,u4,1\ns1/B,u1,1\ns1/B,u5,1\n")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"lottery", "commit", "-seed-out", p("seed.hex")}, &out); err != nil {
		t.Fatal(err)
	}
	commitment, ok := strings.CutPrefix(strings.TrimSpace(out.String()), "commitment ")
	if !ok || len(commitment) != 64 {
		t.Fatalf("commit printed %q", out.String())
	}
	if err := run(t.Context(), []string{"lottery", "commit", "-seed-out", p("seed.hex")}, &out); err == nil {
		t.Fatal("a second commit overwrote the seed")
	}
	if err := run(t.Context(), []string{"lottery", "draw", "-seed", p("seed.hex"), "-pools", p("pools.csv"), "-applications", p("apps.csv"), "-out", p("result.json")}, &out); err != nil {
		t.Fatal(err)
	}
	verify := func() error {
		out.Reset()
		return run(t.Context(), []string{"lottery", "verify", "-pools", p("pools.csv"), "-applications", p("apps.csv"), "-result", p("result.json"), "-commitment", commitment}, &out)
	}
	if err := verify(); err != nil || !strings.Contains(out.String(), "lottery verified") {
		t.Fatalf("verify: %v %s", err, out.String())
	}
	result, _ := os.ReadFile(p("result.json"))
	for _, forged := range []struct{ from, to, want string }{
		{`"id": "u`, `"id": "x`, "winner"},
		{`"tickets": 3`, `"tickets": 4`, "pool"},
	} {
		write("result.json", strings.Replace(string(result), forged.from, forged.to, 1))
		if err := verify(); err == nil || !strings.Contains(err.Error(), forged.want) {
			t.Errorf("a result with %q: %v", forged.to, err)
		}
	}
	write("result.json", string(result))
	write("apps.csv", "pool,id,quantity\ns1/A,u1,1\ns1/A,u2,2\ns1/A,u3,1\ns1/A,u4,1\ns1/B,u1,1\ns1/B,u5,1\ns1/B,u6,1\n")
	if err := verify(); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("an application added after locking: %v", err)
	}
}
