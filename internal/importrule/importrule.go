// Package importrule lets a package's tests enforce ARCHITECTURE.md's
// dependency rules (what the domain, the wire contract and the device
// firmware may import) on its source files, so a violation fails a test
// instead of waiting for a review.
package importrule

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Module is this repository's module path.
const Module = "github.com/admitbox/admit/"

// StandardLibrary reports whether p is a standard-library package.
func StandardLibrary(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".") && p != "C"
}

// Only allows exactly the given import paths.
func Only(paths ...string) func(string) bool {
	return func(p string) bool { return slices.Contains(paths, p) }
}

// Check parses every Go file under dirs (recursively, testdata skipped;
// test files only when withTests) and reports each import allowed
// refuses. It returns how many files it checked.
func Check(t testing.TB, allowed func(string) bool, withTests bool, dirs ...string) int {
	t.Helper()
	n := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || (!withTests && strings.HasSuffix(path, "_test.go")) {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			n++
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); !allowed(p) {
					t.Errorf("%s imports %s, which the package's dependency rule forbids", path, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// PureStandardLibrary is the standard library without the packages that
// reach outside the process: networking (net, net/http, …), SQL and
// running other programs.
func PureStandardLibrary(p string) bool {
	switch {
	case p == "net" || strings.HasPrefix(p, "net/"),
		p == "database/sql" || strings.HasPrefix(p, "database/sql/"),
		p == "os/exec", p == "syscall":
		return false
	}
	return StandardLibrary(p)
}
