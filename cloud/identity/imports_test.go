package identity

import (
	"testing"

	"github.com/admitbox/admit/internal/importrule"
)

// TestIdentityIsPure: gates import this package to hash the ID cards they
// read, so it stays on the standard library, without networking.
func TestIdentityIsPure(t *testing.T) {
	if n := importrule.Check(t, importrule.PureStandardLibrary, false, "."); n < 1 {
		t.Fatalf("checked only %d files", n)
	}
}
