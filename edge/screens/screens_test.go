package screens

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEachRoleGetsItsScreenWithThePolicyAndNothingElse(t *testing.T) {
	for _, role := range []string{"pos", "kiosk", "gate"} {
		h := Handler(role)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, `/ui/static/`+role+`.js`) || !strings.Contains(body, "<title>Admit "+role) {
			t.Errorf("%s: %d %.300s", role, rec.Code, body)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", role, csp)
		}
		for path, want := range map[string]int{"/ui/static/" + role + ".js": 200, "/ui-common/common.js": 200, "/ui/static/nope.js": 404, "/ui/../agent.addr": 404} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != want {
				t.Errorf("%s: GET %s = %d, want %d", role, path, rec.Code, want)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a screen for an unknown role was served")
		}
	}()
	Handler("printer")
}
