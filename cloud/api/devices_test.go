package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	wire "github.com/admitbox/admit/sync"
)

type registered struct {
	Device         sales.Device `json:"device"`
	EnrollmentCode string       `json:"enrollment_code"`
}

func (w *world) registerDevice(token string, venueID int64, role, name string) registered {
	w.t.Helper()
	var r registered
	w.ok(w.call(token, "POST", "/api/v1/devices", map[string]any{"venue_id": venueID, "role": role, "name": name, "zone": "north"}), &r)
	return r
}

func TestDevicesEnrollOverHTTPOnce(t *testing.T) {
	w := newWorld(t)
	reg := w.registerDevice(w.a.manager, w.a.venueX, "gate", "North gate 1")
	if reg.Device.Status != "pending" || len(reg.EnrollmentCode) != 14 || !wire.ValidDeviceID(reg.Device.ID) {
		t.Fatalf("registered %+v", reg)
	}

	// The device enrolls without a login: the code is its credential.
	r := w.call("", "POST", "/api/v1/enroll", map[string]string{"code": strings.ToLower(reg.EnrollmentCode)})
	if r.status != 201 {
		t.Fatalf("enroll: %d %s", r.status, r.body)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"device_id", "secret", "venue_code", "role", "sync_public_key", "broker_url", "api_url"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("credential lacks %q: %s", k, r.body)
		}
	}
	var cred sales.DeviceCredential // []byte fields decode from base64
	if err := json.Unmarshal(r.body, &cred); err != nil {
		t.Fatal(err)
	}
	if cred.DeviceID != reg.Device.ID || len(cred.Secret) != 32 || cred.VenueID != w.a.venueX || cred.Role != "gate" || cred.Zone != "north" ||
		string(cred.SyncPublicKey) != string(w.srv.Svc.SyncPublicKey()) {
		t.Fatalf("credential %+v", cred)
	}
	if _, secret, err := w.srv.Svc.DeviceSecret(context.Background(), cred.DeviceID); err != nil || string(secret) != string(cred.Secret) {
		t.Fatalf("the broker's view of the secret: %v", err)
	}

	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"the same code again", map[string]string{"code": reg.EnrollmentCode}, "bad_enrollment_code"},
		{"a made-up code", map[string]string{"code": "3467-9ACD-EFGH"}, "bad_enrollment_code"},
		{"no code", map[string]string{}, "bad_enrollment_code"},
	} {
		t.Run("enrolling with "+c.name+" is refused", func(t *testing.T) {
			r := w.call("", "POST", "/api/v1/enroll", c.body)
			if r.status != 401 || r.errorCode() != c.code {
				t.Errorf("got %d %s, want 401 %s", r.status, r.body, c.code)
			}
		})
	}

	// Neither the device nor any list shows the secret or the code again.
	for _, path := range []string{"/api/v1/devices", "/api/v1/devices/" + reg.Device.ID, "/api/v1/audit"} {
		r := w.call(w.a.admin, "GET", path, nil)
		secret, _ := json.Marshal(cred.Secret)
		if r.status != 200 || strings.Contains(string(r.body), strings.Trim(string(secret), `"`)) || strings.Contains(string(r.body), reg.EnrollmentCode) {
			t.Errorf("GET %s: %d, shows the secret or the code: %.300s", path, r.status, r.body)
		}
	}

	// Revoking ends the credential.
	var d sales.Device
	w.ok(w.call(w.a.manager, "POST", "/api/v1/devices/"+reg.Device.ID+"/revoke", map[string]string{"reason": "stolen"}), &d)
	if d.Status != "revoked" {
		t.Fatalf("revoked device %+v", d)
	}
	if _, _, err := w.srv.Svc.DeviceSecret(context.Background(), reg.Device.ID); !sales.IsKind(err, sales.KindNotFound) {
		t.Errorf("a revoked device still authenticates: %v", err)
	}
	if r := w.call(w.a.manager, "POST", "/api/v1/devices/"+reg.Device.ID+"/revoke", map[string]string{"reason": "again"}); r.status != 409 {
		t.Errorf("revoking twice: %d %s", r.status, r.body)
	}
}

func TestDevicesListIsScopedByTenantAndVenue(t *testing.T) {
	w := newWorld(t)
	x := w.registerDevice(w.a.admin, w.a.venueX, "kiosk", "Lobby kiosk")
	y := w.registerDevice(w.a.admin, w.a.venueY, "pos", "Box office 1")
	w.registerDevice(w.b.admin, w.b.venueX, "gate", "Bravo gate")
	for _, c := range []struct {
		name   string
		token  string
		status int
		want   []string
	}{
		{"the tenant admin sees both venues' devices", w.a.admin, 200, []string{x.Device.ID, y.Device.ID}},
		{"the auditor sees them too", w.a.auditor, 200, []string{x.Device.ID, y.Device.ID}},
		{"venue X's manager sees venue X's only", w.a.manager, 200, []string{x.Device.ID}},
		{"a clerk may not list devices", w.a.clerk, 403, nil},
		{"another tenant's admin sees only its own", w.b.admin, 200, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := w.call(c.token, "GET", "/api/v1/devices", nil)
			if r.status != c.status {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			if c.status != 200 {
				return
			}
			var ds []sales.Device
			w.ok(r, &ds)
			var got []string
			for _, d := range ds {
				if d.TenantID == w.a.id {
					got = append(got, d.ID)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("sees %v, want %v", got, c.want)
			}
		})
	}
	// A venue manager registers at their venue only; a clerk not at all.
	if r := w.call(w.a.manager, "POST", "/api/v1/devices", map[string]any{"venue_id": w.a.venueY, "role": "gate", "name": "Y gate"}); r.status != 404 {
		t.Errorf("a manager registering at another venue: %d %s", r.status, r.body)
	}
	if r := w.call(w.a.clerk, "POST", "/api/v1/devices", map[string]any{"venue_id": w.a.venueX, "role": "gate", "name": "X gate"}); r.status != 403 {
		t.Errorf("a clerk registering a device: %d %s", r.status, r.body)
	}
	if r := w.call(w.a.admin, "POST", "/api/v1/devices", map[string]any{"venue_id": w.a.venueX, "role": "gate", "name": "X", "secret": "mine"}); r.status != 400 || r.errorCode() != "unknown_field" {
		t.Errorf("registering with an unknown field: %d %s", r.status, r.body)
	}
}

func TestAlertsReachTheTenantAdminOnly(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	o := w.buy(w.a, w.a.seatsX[0].SeatID)
	number := o.Tickets[0].Number
	var gates []string
	for _, name := range []string{"Gate 1", "Gate 2"} {
		reg := w.registerDevice(w.a.admin, w.a.venueX, "gate", name)
		var cred sales.DeviceCredential
		w.ok(w.call("", "POST", "/api/v1/enroll", map[string]string{"code": reg.EnrollmentCode}), &cred)
		gates = append(gates, cred.DeviceID)
	}
	// Both gates admitted the ticket while cut off from each other.
	at := time.Now().UTC()
	for i, g := range gates {
		data, _ := json.Marshal(wire.AdmissionFact{Number: number, SessionID: w.a.sessionX, Offline: true})
		f := wire.Fact{Device: g, Seq: 1, ID: g + "-1", Kind: wire.FactAdmission, At: at.Add(time.Duration(i) * time.Second), Data: data}
		if ack, err := w.srv.Svc.IngestFacts(ctx, g, []wire.Fact{f}); err != nil || ack != 1 {
			t.Fatalf("ingest at %s: ack %d, %v", g, ack, err)
		}
	}
	for _, c := range []struct {
		name  string
		token string
		want  int
	}{
		{"the tenant admin sees the duplicate admission", w.a.admin, 1},
		{"venue X's gate staff see it", w.a.gate, 1},
		{"venue Y's clerk does not", w.a.clerkY, 0},
		{"another tenant's admin does not", w.b.admin, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var as []sales.Alert
			r := w.call(c.token, "GET", "/api/v1/alerts", nil)
			w.ok(r, &as)
			if len(as) != c.want {
				t.Fatalf("%d alerts, want %d: %s", len(as), c.want, r.body)
			}
			if c.want == 0 && strings.Contains(string(r.body), number) {
				t.Errorf("shows the ticket: %s", r.body)
			}
			if c.want > 0 && (as[0].Kind != "duplicate_admission" || as[0].TicketNumber != number) {
				t.Errorf("alert %+v", as[0])
			}
		})
	}
	if r := w.call(w.a.admin, "GET", "/api/v1/alerts?kind=other", nil); r.status != 200 || string(r.body) != "[]" {
		t.Errorf("filtering by another kind: %d %s", r.status, r.body)
	}
}
