package api

import (
	"testing"

	"github.com/admitbox/admit/cloud/limit"
)

// The public's routes are flow-controlled as what they are: the shop's
// codes and logins as logins, buying and applying as sales.
func TestThePublicRoutesHaveTheirClass(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         limit.Class
	}{
		{"POST", "/auth/login", limit.Login},
		{"POST", "/shop/:tenant/auth/code", limit.Login},
		{"POST", "/shop/:tenant/auth/register", limit.Login},
		{"POST", "/shop/:tenant/auth/login", limit.Login},
		{"POST", "/shop/:tenant/me/orders", limit.Sale},
		{"POST", "/shop/:tenant/me/orders/:id/pay", limit.Sale},
		{"POST", "/shop/:tenant/me/presales/:id/applications", limit.Sale},
		{"POST", "/presales/:id/applications", limit.Sale},
		{"GET", "/shop/:tenant", limit.Read},
		{"GET", "/shop/:tenant/me/orders", limit.Read},
		{"POST", "/presales", limit.Write},
		{"PUT", "/shop/:tenant/me/identity", limit.Write},
	} {
		if got := classOf(route{method: c.method, path: c.path}); got != c.want {
			t.Errorf("%s %s is %s, want %s", c.method, c.path, got, c.want)
		}
	}
}
