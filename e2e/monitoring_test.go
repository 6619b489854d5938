package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// exposed is every series name in Prometheus text.
func exposed(text string, into map[string]bool) {
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		into[strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
	}
}

// TestAlertRulesAndDashboardNameOnlyExposedSeries: every admit_* series
// the shipped alert rules and Grafana dashboard query is one the cloud,
// a gate or a kiosk exposes (a renamed metric would silence an alert),
// and every rule has an expression and a summary.
func TestAlertRulesAndDashboardNameOnlyExposedSeries(t *testing.T) {
	w := newWorld(t, embedded)
	gate := w.agent(w.device("gate", "mon-gate"))
	kiosk, _ := w.kioskWithPrinter()
	w.sell(1)
	w.caughtUp(gate)
	// An error counter's series appears with its first error.
	if code := callAs(t, w.token("clerk"), "GET", w.srv.URL+"/api/v1/orders/999999", nil, nil); code != 404 {
		t.Fatalf("an unknown order: %d", code)
	}
	if code := callAs(t, w.token("clerk"), "POST", w.srv.URL+"/api/v1/holds", map[string]any{"session_id": w.session.ID, "seat_ids": []int64{}}, nil); code != 400 {
		t.Fatalf("a hold of no seat: %d", code)
	}
	if code := call(t, "POST", w.srv.URL+"/api/v1/auth/login", map[string]string{"username": "clerk", "password": "wrong-password"}, nil); code != 401 {
		t.Fatalf("a wrong password: %d", code)
	}
	have := map[string]bool{}
	for _, url := range []string{w.srv.URL, gate.URL(), kiosk.URL()} {
		exposed(scrape(t, url), have)
	}
	name := regexp.MustCompile(`\badmit_[a-z_]+`)
	check := func(where, expr string) {
		for _, n := range name.FindAllString(expr, -1) {
			if !have[n] {
				t.Errorf("%s queries %s, which nothing exposes", where, n)
			}
		}
	}

	b, err := os.ReadFile("../packaging/monitoring/admit-alerts.yml")
	w.must(err)
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				Annotations map[string]string
			}
		}
	}
	w.must(yaml.Unmarshal(b, &rules))
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("group %s: an incomplete rule %+v", g.Name, r)
			}
			check("alert "+r.Alert, r.Expr)
		}
	}
	if n < 8 {
		t.Fatalf("%d alert rules", n)
	}

	b, err = os.ReadFile("../packaging/monitoring/admit-dashboard.json")
	w.must(err)
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	w.must(json.Unmarshal(b, &dash))
	if len(dash.Panels) < 6 {
		t.Fatalf("%d dashboard panels", len(dash.Panels))
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			check("panel "+p.Title, tg.Expr)
		}
	}
}
