package ticket

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPackageImportsOnlyPureStandardLibraryPackages enforces the package
// rule: this code is compiled into gate firmware, so it must not pull in
// HTTP, SQL, MQTT or any other I/O or third-party package.
func TestPackageImportsOnlyPureStandardLibraryPackages(t *testing.T) {
	allowed := map[string]bool{
		"crypto/ed25519":  true,
		"crypto/rand":     true,
		"encoding/binary": true,
		"errors":          true,
		"fmt":             true,
		"math":            true,
		"time":            true,
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] {
				t.Errorf("%s imports %q; only %v are allowed (see the package documentation)", name, path, allowed)
			}
		}
	}
}
