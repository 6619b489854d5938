package sales

import (
	"strings"
	"testing"

	"github.com/admitbox/admit/internal/importrule"
)

// TestTheDomainImportsNoAdapter enforces ARCHITECTURE.md's rule that
// dependencies point inward: the sales core and the domain packages it
// builds on import no HTTP, SQL, MQTT or storage package; adapters
// (cloud/api, cloud/store, cloud/broker, cloud/syncer) depend on them.
func TestTheDomainImportsNoAdapter(t *testing.T) {
	domain := []string{"cloud/sales", "cloud/avail", "cloud/seatmap", "cloud/audit", "cloud/auth", "cloud/payment", "cloud/ticket", "cloud/secrets", "cloud/identity", "cloud/lottery", "cloud/ops", "cloud/refundrule", "sync"}
	allowed := func(p string) bool {
		if rest, ok := strings.CutPrefix(p, importrule.Module); ok {
			for _, d := range domain {
				if rest == d {
					return true
				}
			}
			return false
		}
		if strings.HasPrefix(p, "golang.org/x/crypto/") {
			return true // argon2id in cloud/auth
		}
		return importrule.PureStandardLibrary(p)
	}
	if n := importrule.Check(t, allowed, false, ".", "../avail", "../seatmap", "../audit", "../auth", "../payment", "../secrets",
		"../identity", "../lottery", "../ops", "../refundrule"); n < 15 {
		t.Fatalf("checked only %d files", n)
	}
}
