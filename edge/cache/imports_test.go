package cache_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEdgePackagesImportNoCloudSQLHTTPOrMQTTPackage enforces the edge's
// dependency rule (ARCHITECTURE.md) on the device's core packages (cache,
// outbox, gate, kiosk): they are built into gate and kiosk firmware with
// CGO_ENABLED=0 and depend only on the standard library's non-transport
// packages, bbolt, the sync wire contract and the pure cloud/ticket
// package. (Adapters such as enrollment over HTTPS live elsewhere.)
func TestEdgePackagesImportNoCloudSQLHTTPOrMQTTPackage(t *testing.T) {
	const mod = "github.com/admitbox/admit/"
	allowed := func(p string) bool {
		switch {
		case p == "database/sql" || strings.HasPrefix(p, "database/sql/"),
			p == "net/http" || strings.HasPrefix(p, "net/http/"),
			p == "net/rpc", p == "C":
			return false
		case p == mod+"cloud/ticket", p == mod+"sync", strings.HasPrefix(p, mod+"edge/"):
			return true
		case strings.HasPrefix(p, mod):
			return false
		case p == "go.etcd.io/bbolt" || p == "go.etcd.io/bbolt/errors":
			return true
		}
		first, _, _ := strings.Cut(p, "/")
		return !strings.Contains(first, ".") // the standard library
	}
	n := 0
	for _, dir := range []string{".", "../outbox", "../gate", "../kiosk"} {
		n += checkImports(t, dir, allowed)
	}
	if n < 10 {
		t.Fatalf("checked only %d files", n)
	}
}

func checkImports(t *testing.T, dir string, allowed func(string) bool) int {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		n++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !allowed(p) {
				t.Errorf("%s imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
