package cache_test

import (
	"strings"
	"testing"

	"github.com/admitbox/admit/internal/importrule"
)

// TestEdgePackagesImportNoCloudSQLHTTPOrMQTTPackage enforces the edge's
// dependency rule (ARCHITECTURE.md) on the device's core packages (cache,
// outbox, gate, kiosk, lane): they are built into gate and kiosk firmware with
// CGO_ENABLED=0 and depend only on the standard library's non-transport
// packages, bbolt, the sync wire contract and the pure cloud/ticket and
// cloud/identity packages (a gate hashes the ID card it reads as the
// cloud hashed the holder's document). (Adapters such as enrollment over HTTPS live elsewhere.)
func TestEdgePackagesImportNoCloudSQLHTTPOrMQTTPackage(t *testing.T) {
	const mod = importrule.Module
	allowed := func(p string) bool {
		switch {
		case p == "database/sql" || strings.HasPrefix(p, "database/sql/"),
			p == "net/http" || strings.HasPrefix(p, "net/http/"),
			p == "net/rpc", p == "C":
			return false
		case p == mod+"cloud/ticket", p == mod+"cloud/identity", p == mod+"sync", strings.HasPrefix(p, mod+"edge/"), p == mod+"internal/importrule":
			return true
		case strings.HasPrefix(p, mod):
			return false
		case p == "go.etcd.io/bbolt" || p == "go.etcd.io/bbolt/errors":
			return true
		}
		return importrule.StandardLibrary(p)
	}
	if n := importrule.Check(t, allowed, true, ".", "../outbox", "../gate", "../kiosk", "../lane"); n < 10 {
		t.Fatalf("checked only %d files", n)
	}
}
