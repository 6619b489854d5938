package sync

import (
	"testing"

	"github.com/admitbox/admit/internal/importrule"
)

// TestTheWireContractImportsNeitherSide enforces ARCHITECTURE.md: sync is
// imported by both the cloud and the edge and imports neither, nor any
// MQTT, SQL or HTTP package: only the standard library, without networking.
func TestTheWireContractImportsNeitherSide(t *testing.T) {
	if n := importrule.Check(t, importrule.PureStandardLibrary, false, "."); n < 3 {
		t.Fatalf("checked only %d files", n)
	}
}
