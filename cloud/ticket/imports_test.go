package ticket

import (
	"testing"

	"github.com/admitbox/admit/internal/importrule"
)

// TestPackageImportsOnlyPureStandardLibraryPackages enforces the package
// rule: this code is compiled into gate firmware, so it must not pull in
// HTTP, SQL, MQTT or any other I/O or third-party package.
func TestPackageImportsOnlyPureStandardLibraryPackages(t *testing.T) {
	allowed := importrule.Only("crypto/ed25519", "crypto/rand", "encoding/binary", "errors", "fmt", "math", "time")
	if n := importrule.Check(t, allowed, false, "."); n < 3 {
		t.Fatalf("checked only %d files", n)
	}
}
