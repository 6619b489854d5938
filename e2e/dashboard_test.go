package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/edge/agent"
)

func (w *world) token(username string) string {
	w.t.Helper()
	r, err := w.svc.Login(context.Background(), username, pw)
	w.must(err)
	return r.Token
}

// soldPrintedAdmitted sells two tickets, prints the first at the kiosk,
// admits the second at the gate, and waits until both devices uploaded.
func (w *world) soldPrintedAdmitted(kiosk, gate *agent.Agent) sales.Order {
	w.t.Helper()
	order := w.sell(2)
	w.caughtUp(kiosk)
	w.caughtUp(gate)
	if code := call(w.t, "POST", kiosk.URL()+"/print", map[string]any{"number": order.Tickets[0].Number}, nil); code != 200 {
		w.t.Fatalf("print: %d", code)
	}
	if s := validate(w.t, gate.URL(), order.Tickets[1].QR); !s.Admit {
		w.t.Fatalf("admit: %+v", s)
	}
	uploaded(w.t, kiosk)
	uploaded(w.t, gate)
	return order
}

// dashboardAs asks for the venue's dashboard with token and returns the
// status and, on 200, the dashboard.
func (w *world) dashboardAs(token string) (int, sales.Dashboard) {
	w.t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/venues/%d/dashboard", w.srv.URL, w.venue.ID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	w.must(err)
	defer resp.Body.Close()
	var d sales.Dashboard
	if resp.StatusCode == 200 {
		w.must(json.NewDecoder(resp.Body).Decode(&d))
	}
	return resp.StatusCode, d
}

func TestTheDashboardCountsSalesPrintsAndAdmissionsAndStreamsChanges(t *testing.T) {
	w := newWorld(t, embedded)
	kiosk := w.agent(w.device("kiosk", "lobby-kiosk"))
	gate := w.agent(w.device("gate", "north-gate"))
	order := w.soldPrintedAdmitted(kiosk, gate)

	token := w.token("manager")
	code, d := w.dashboardAs(token)
	if code != 200 {
		t.Fatalf("dashboard: %d", code)
	}
	if len(d.Sessions) != 1 {
		t.Fatalf("%d sessions on the dashboard", len(d.Sessions))
	}
	s := d.Sessions[0]
	if s.Sold != 2 || s.Printed != 1 || s.Admitted != 1 || s.Capacity != 200 || s.Remaining != 198 || s.Attendance != 0.5 {
		t.Fatalf("session line %+v", s)
	}
	if d.Channels["pos"] != 2 || len(d.Gates) != 1 || d.Gates[0].Device != "north-gate" || d.Gates[0].Admitted != 1 {
		t.Fatalf("channels %v, gates %+v", d.Channels, d.Gates)
	}
	sold := 0
	for _, m := range d.SalesPerMinute {
		sold += m.Tickets
	}
	if len(d.SalesPerMinute) != 60 || sold != 2 {
		t.Fatalf("sales per minute: %d minutes, %d tickets", len(d.SalesPerMinute), sold)
	}
	if len(d.Devices) != 2 || d.Anomalies.DevicesOffline != 0 {
		t.Fatalf("devices %+v, offline %d", d.Devices, d.Anomalies.DevicesOffline)
	}

	// The stream sends the dashboard at once and again after a sale.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/venues/%d/dashboard/stream", w.srv.URL, w.venue.ID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	w.must(err)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream content type %q", ct)
	}
	events := make(chan sales.Dashboard)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var d sales.Dashboard
				if json.Unmarshal([]byte(data), &d) == nil {
					select {
					case events <- d:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	next := func() sales.Dashboard {
		t.Helper()
		select {
		case d := <-events:
			return d
		case <-ctx.Done():
			t.Fatal("no dashboard event")
			return sales.Dashboard{}
		}
	}
	if first := next(); first.Totals.Sold != 2 {
		t.Fatalf("first event: sold %d", first.Totals.Sold)
	}
	sale := time.Now()
	w.sell(1)
	for {
		d := next()
		if d.Totals.Sold == 3 {
			t.Logf("the sale reached the stream after %v", time.Since(sale))
			break
		}
	}

	// The print preview is the ticket as the kiosk prints it; a paper the
	// printers do not have is refused.
	for _, tt := range []struct {
		query, ctype string
		code         int
	}{{"", "image/png", 200}, {"?paper=58", "image/png", 200}, {"?paper=99", "application/json; charset=utf-8", 400}} {
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/tickets/"+order.Tickets[0].Number+"/preview.png"+tt.query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := http.DefaultClient.Do(req)
		w.must(err)
		r.Body.Close()
		if r.StatusCode != tt.code || r.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("preview%s: %d %s, want %d %s", tt.query, r.StatusCode, r.Header.Get("Content-Type"), tt.code, tt.ctype)
		}
	}

	// Another tenant's manager sees no such venue.
	if code, _ := w.dashboardAs(w.otherTenantAdmin()); code != 404 {
		t.Fatalf("another tenant's dashboard: %d", code)
	}
}

// otherTenantAdmin creates a second tenant with its admin and returns the
// admin's token.
func (w *world) otherTenantAdmin() string {
	w.t.Helper()
	ctx := context.Background()
	root, err := w.srv.Store.GetUserByName(ctx, "root")
	w.must(err)
	tn, err := w.svc.CreateTenant(ctx, principal(root), sales.NewTenant{Code: "other", Name: "Other"})
	w.must(err)
	_, err = w.svc.CreateUser(ctx, principal(root), sales.NewUser{TenantID: tn.ID, Username: "other-admin", Password: pw, Role: "tenant_admin"})
	w.must(err)
	return w.token("other-admin")
}
