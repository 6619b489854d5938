package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/admitbox/admit/cloud/ops"
)

// Logging out over HTTP ends the token at once: the next call with it is
// 401, the user's other logins are untouched.
func TestLogoutEndsTheTokenOverHTTP(t *testing.T) {
	w := newWorld(t)
	other := w.login("alpha-clerk")
	if r := w.call(w.a.clerk, "POST", "/api/v1/auth/logout", nil); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := w.call(w.a.clerk, "GET", "/api/v1/me", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("the logged-out token: %d", r.status)
	}
	if r := w.call(other, "GET", "/api/v1/me", nil); r.status != http.StatusOK {
		t.Fatalf("the clerk's other login: %d", r.status)
	}
}

// The System page's figures: users online per tenant, ranges an admin sets
// (audited, bad ones refused without change), breaches raised, and roles
// that may not see it refused.
func TestSystemFiguresAndRanges(t *testing.T) {
	w := newWorld(t)
	var snap ops.Snapshot
	w.ok(w.call(w.a.admin, "GET", "/api/v1/system", nil), &snap)
	var names []string
	for _, u := range snap.Users {
		names = append(names, u.Username)
	}
	for _, want := range []string{"alpha-admin", "alpha-clerk", "alpha-manager"} {
		if !slices.Contains(names, want) {
			t.Errorf("online users %v lack %s", names, want)
		}
	}
	for _, n := range names {
		if n == "bravo-admin" || n == "root" {
			t.Errorf("tenant alpha sees %s online", n)
		}
	}
	if snap.Values[ops.UsersOnline] != float64(len(snap.Users)) || len(snap.Breaches) != 0 {
		t.Fatalf("values %v breaches %v", snap.Values, snap.Breaches)
	}

	if r := w.call(w.a.clerk, "GET", "/api/v1/system", nil); r.status != http.StatusForbidden {
		t.Fatalf("a clerk sees the system page: %d", r.status)
	}
	if r := w.call(w.a.manager, "PUT", "/api/v1/system/ranges", []ops.Range{}); r.status != http.StatusForbidden {
		t.Fatalf("a manager sets ranges: %d", r.status)
	}
	two, zero := 2.0, 0.0
	head := w.auditHead()
	bad := w.call(w.a.admin, "PUT", "/api/v1/system/ranges", []ops.Range{{Metric: ops.GatesOnline, Min: &two}, {Metric: "cpu", Max: &zero}})
	if bad.status != http.StatusBadRequest || bad.errorCode() != "invalid_ranges" || w.auditHead() != head {
		t.Fatalf("bad ranges: %d %s", bad.status, bad.body)
	}
	var rs []ops.Range
	w.ok(w.call(w.a.admin, "PUT", "/api/v1/system/ranges", []ops.Range{{Metric: ops.GatesOnline, Min: &two}}), &rs)
	if w.auditHead() != head+1 {
		t.Fatal("setting ranges is not audited")
	}
	w.ok(w.call(w.a.manager, "GET", "/api/v1/system", nil), &snap)
	if len(snap.Breaches) != 1 || snap.Breaches[0].Metric != ops.GatesOnline || snap.Breaches[0].Bound != "min" {
		t.Fatalf("no gate online, and a minimum of 2: breaches %v", snap.Breaches)
	}
	// The platform admin sees every tenant's people.
	w.ok(w.call(w.platform, "GET", "/api/v1/system", nil), &snap)
	seen := map[string]bool{}
	for _, u := range snap.Users {
		seen[u.Username] = true
	}
	if !seen["alpha-admin"] || !seen["bravo-admin"] || !seen["root"] || snap.VenuesShown != 4 {
		t.Fatalf("the platform sees %v in %d venues", seen, snap.VenuesShown)
	}
	// Tenant bravo's ranges are its own.
	w.ok(w.call(w.b.admin, "GET", "/api/v1/system", nil), &snap)
	if len(snap.Ranges) != 0 || len(snap.Breaches) != 0 {
		t.Fatalf("bravo sees alpha's ranges: %v", snap.Ranges)
	}
}
