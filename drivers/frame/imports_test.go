package frame

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPackageImportsOnlyByteAndTextPackages enforces the package rule:
// codecs take the port they are given and never open one, so nothing
// serial, USB, network or third-party may be imported here.
func TestPackageImportsOnlyByteAndTextPackages(t *testing.T) {
	allowed := map[string]bool{
		"bufio":   true,
		"bytes":   true,
		"errors":  true,
		"fmt":     true,
		"io":      true,
		"slices":  true,
		"strings": true,
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
