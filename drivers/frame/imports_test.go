package frame

import (
	"testing"

	"github.com/admitbox/admit/internal/importrule"
)

// TestPackageImportsOnlyByteAndTextPackages enforces the package rule:
// codecs take the port they are given and never open one, so nothing
// serial, USB, network or third-party may be imported here.
func TestPackageImportsOnlyByteAndTextPackages(t *testing.T) {
	allowed := importrule.Only("bufio", "bytes", "encoding/binary", "errors", "fmt", "io", "slices", "strings", "unicode/utf16")
	if n := importrule.Check(t, allowed, false, "."); n < 3 {
		t.Fatalf("checked only %d files", n)
	}
}
