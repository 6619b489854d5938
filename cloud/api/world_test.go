package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
)

// world is a running cloud (real HTTP, real SQLite) with two tenants set up
// through the API itself.
type world struct {
	t    *testing.T
	srv  *server.Server
	http *http.Client

	platform string // tokens
	a, b     tenantWorld
}

// tenantWorld is one tenant: venues X and Y, a hall and a priced session in
// each, users of every role. The clerk and manager work at venue X only;
// clerkY at venue Y only.
type tenantWorld struct {
	id                              int64
	admin, manager, manager2, clerk string
	clerkY, gate, auditor           string
	venueX, venueY                  int64
	hallX, hallY                    int64
	eventID                         int64
	sessionX, sessionY              int64
	tierX                           int64
	seatsX                          []sales.SessionSeat
}

const pw = "correct-horse-battery"

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{DataDir: t.TempDir(), Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &world{t: t, srv: srv, http: &http.Client{Timeout: 30 * time.Second}}
	if _, err := srv.Svc.CreatePlatformAdmin(ctx, "root", pw); err != nil {
		t.Fatal(err)
	}
	w.platform = w.login("root")
	w.a = w.tenant("alpha", "11000001", "11000002")
	w.b = w.tenant("bravo", "22000001", "22000002")
	return w
}

func (w *world) login(user string) string {
	w.t.Helper()
	var res sales.LoginResult
	w.ok(w.call("", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pw}), &res)
	return res.Token
}

func (w *world) tenant(code, vx, vy string) tenantWorld {
	w.t.Helper()
	var tw tenantWorld
	var tn sales.Tenant
	w.ok(w.call(w.platform, "POST", "/api/v1/tenants", sales.NewTenant{Code: code, Name: code}), &tn)
	tw.id = tn.ID
	var u sales.User
	w.ok(w.call(w.platform, "POST", "/api/v1/users", sales.NewUser{TenantID: tn.ID, Username: code + "-admin", Password: pw, Role: "tenant_admin"}), &u)
	tw.admin = w.login(code + "-admin")
	var v sales.Venue
	w.ok(w.call(tw.admin, "POST", "/api/v1/venues", sales.NewVenue{Code: vx, Name: code + " X"}), &v)
	tw.venueX = v.ID
	w.ok(w.call(tw.admin, "POST", "/api/v1/venues", sales.NewVenue{Code: vy, Name: code + " Y"}), &v)
	tw.venueY = v.ID
	users := []struct {
		name, role string
		venues     []int64
		tok        *string
	}{
		{"manager", "venue_manager", []int64{tw.venueX}, &tw.manager},
		{"manager2", "venue_manager", []int64{tw.venueX}, &tw.manager2},
		{"clerk", "clerk", []int64{tw.venueX}, &tw.clerk},
		{"clerky", "clerk", []int64{tw.venueY}, &tw.clerkY},
		{"gate", "gate_staff", []int64{tw.venueX}, &tw.gate},
		{"auditor", "auditor", nil, &tw.auditor},
	}
	for _, x := range users {
		w.ok(w.call(tw.admin, "POST", "/api/v1/users", sales.NewUser{Username: code + "-" + x.name, Password: pw, Role: x.role, VenueIDs: x.venues}), &u)
		*x.tok = w.login(code + "-" + x.name)
	}
	m := seatmap.Grid("A", "Stalls", 10, 20)
	var h sales.Hall
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/venues/%d/halls", tw.venueX), sales.NewHall{Code: "H1", Name: "Hall 1", Map: &m}), &h)
	tw.hallX = h.ID
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/venues/%d/halls", tw.venueY), sales.NewHall{Code: "H1", Name: "Hall 1", Map: &m}), &h)
	tw.hallY = h.ID
	var ev sales.Event
	w.ok(w.call(tw.admin, "POST", "/api/v1/events", sales.NewEvent{Name: "Show", Kind: "film", Code: "001101232026"}), &ev)
	tw.eventID = ev.ID
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	var ss sales.Session
	w.ok(w.call(tw.admin, "POST", "/api/v1/sessions", sales.NewSession{HallID: tw.hallX, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 3000}), &ss)
	tw.sessionX = ss.ID
	w.ok(w.call(tw.admin, "POST", "/api/v1/sessions", sales.NewSession{HallID: tw.hallY, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 3000}), &ss)
	tw.sessionY = ss.ID
	var tiers []sales.PriceTier
	for _, sid := range []int64{tw.sessionX, tw.sessionY} {
		w.ok(w.call(tw.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/prices", sid), map[string]any{"tiers": []sales.PriceTier{{Name: "Standard", PriceCents: 4500}}}), &tiers)
	}
	tw.tierX = tiers[0].ID
	w.ok(w.call(tw.clerk, "GET", fmt.Sprintf("/api/v1/sessions/%d/seats", tw.sessionX), nil), &tw.seatsX)
	return tw
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) errorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// call sends a request; body may be nil, []byte/string (sent raw) or a value (JSON).
func (w *world) call(token, method, path string, body any) reply {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, body: b, header: resp.Header}
}

// ok fails unless the reply is 2xx, and decodes it into out.
func (w *world) ok(r reply, out any) {
	w.t.Helper()
	if r.status >= 300 {
		w.t.Fatalf("HTTP %d: %s", r.status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			w.t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// buy holds seats at venue X of the tenant, confirms and pays cash.
func (w *world) buy(tw tenantWorld, seatIDs ...int64) sales.Order {
	w.t.Helper()
	var h sales.Hold
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: tw.sessionX, Channel: "pos", SeatIDs: seatIDs}), &h)
	var o sales.Order
	w.ok(w.call(tw.clerk, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID, CustomerName: "Li Lei"}), &o)
	w.ok(w.call(tw.clerk, "POST", fmt.Sprintf("/api/v1/orders/%d/payments", o.ID), sales.PaymentRequest{Method: "cash"}), &o)
	return o
}

func (w *world) auditHead() int64 {
	w.t.Helper()
	seq, _, err := w.srv.Store.AuditHead(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return seq
}
