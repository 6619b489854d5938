package storetest

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	wire "github.com/admitbox/admit/sync"
)

// Device registers a device of the fixture's venue as the tenant admin and
// enrolls it; it must work.
func (f *Fixture) Device(t testing.TB, role, name string) (sales.Device, sales.DeviceCredential) {
	t.Helper()
	d, code, err := f.Svc.RegisterDevice(ctx, f.TenantAdmin, f.Venue.ID, sales.NewDevice{Role: role, Name: name, Zone: "north"})
	if err != nil {
		t.Fatalf("register device: %v", err)
	}
	cred, err := f.Svc.Enroll(ctx, code)
	if err != nil {
		t.Fatalf("enroll device: %v", err)
	}
	d.Status = sales.DeviceActive
	return d, cred
}

// Feed is every event of the venue's feed, read in pages of two so that
// paging is exercised too.
func (f *Fixture) Feed(t testing.TB, venueID int64) []wire.FeedEvent {
	t.Helper()
	var out []wire.FeedEvent
	for {
		var after uint64
		if len(out) > 0 {
			after = out[len(out)-1].Seq
		}
		page, err := f.Svc.FeedSince(ctx, venueID, after, 2)
		if err != nil {
			t.Fatalf("feed since %d: %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		if len(page) > 2 {
			t.Fatalf("FeedSince(limit 2) returned %d events", len(page))
		}
		out = append(out, page...)
	}
}

var codeRE = regexp.MustCompile(`^[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$`)

func testEnrollment(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	other := f.AddTenant(t, "b", "31020202")

	t.Run("who may register a device", func(t *testing.T) {
		for _, c := range []struct {
			name string
			p    sales.Principal
			kind sales.Kind // "" for success
		}{
			{"the tenant admin may", f.TenantAdmin, ""},
			{"the venue's manager may", f.Manager, ""},
			{"a clerk may not", f.Clerk, sales.KindForbidden},
			{"gate staff may not", f.Gate, sales.KindForbidden},
			{"another tenant's admin finds no such venue", other.TenantAdmin, sales.KindNotFound},
			{"another venue's manager finds no such venue", other.Manager, sales.KindNotFound},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, code, err := f.Svc.RegisterDevice(ctx, c.p, f.Venue.ID, sales.NewDevice{Role: "gate", Name: "Gate " + c.name})
				if c.kind != "" {
					WantError(t, err, c.kind, "")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !wire.ValidDeviceID(d.ID) || !regexp.MustCompile(`^dev-[a-z2-7]{10}$`).MatchString(d.ID) {
					t.Errorf("device id %q", d.ID)
				}
				if !codeRE.MatchString(code) {
					t.Errorf("enrollment code %q is not XXXX-XXXX-XXXX of the pickup alphabet", code)
				}
				if d.Status != sales.DevicePending || d.VenueID != f.Venue.ID || d.VenueCode != f.Venue.Code || d.TenantID != f.Tenant.ID {
					t.Errorf("registered device %+v", d)
				}
			})
		}
	})

	_, _, err := f.Svc.RegisterDevice(ctx, f.TenantAdmin, f.Venue.ID, sales.NewDevice{Role: "printer", Name: ""})
	e := WantError(t, err, sales.KindInvalid, "invalid_device")
	if len(e.Fields) != 2 {
		t.Errorf("a bad role and a missing name give fields %+v", e.Fields)
	}

	d, code, err := f.Svc.RegisterDevice(ctx, f.Manager, f.Venue.ID, sales.NewDevice{Role: "kiosk", Name: "Lobby kiosk", Profile: "kiosk-80mm"})
	if err != nil {
		t.Fatal(err)
	}
	// A person may type the code in lower case, with spaces for dashes.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	cred, err := f.Svc.Enroll(ctx, typed)
	if err != nil {
		t.Fatalf("enroll with %q: %v", typed, err)
	}
	if cred.DeviceID != d.ID || len(cred.Secret) != 32 || cred.VenueID != f.Venue.ID || cred.VenueCode != f.Venue.Code ||
		cred.Role != "kiosk" || cred.Profile != "kiosk-80mm" || cred.TenantID != f.Tenant.ID ||
		!bytes.Equal(cred.SyncPublicKey, f.Svc.SyncPublicKey()) || len(cred.SyncPublicKey) != 32 {
		t.Fatalf("credential %+v", cred)
	}
	got, secret, err := f.Svc.DeviceSecret(ctx, d.ID)
	if err != nil || !bytes.Equal(secret, cred.Secret) || got.Status != sales.DeviceActive || got.EnrolledAt == nil {
		t.Fatalf("DeviceSecret after enrollment: %+v, %x, %v", got, secret, err)
	}
	// Wrong in its first byte whatever that byte is (a fixed byte would
	// be the right one once in 256 runs).
	wrong := slices.Clone(cred.Secret)
	wrong[0] ^= 0xff
	for _, c := range []struct {
		name   string
		id     string
		secret []byte
		ok     bool
	}{
		{"the device's own credential authenticates", d.ID, cred.Secret, true},
		{"a wrong secret does not", d.ID, wrong, false},
		{"no secret does not", d.ID, nil, false},
		{"an unknown device does not", "dev-0000000000", cred.Secret, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			venue, err := f.Svc.AuthenticateDevice(ctx, c.id, c.secret)
			if c.ok && (err != nil || venue != f.Venue.Code) {
				t.Errorf("AuthenticateDevice: %q, %v", venue, err)
			}
			if !c.ok {
				WantError(t, err, sales.KindUnauthenticated, "bad_device_credential")
			}
		})
	}
	for _, c := range []struct{ name, code string }{
		{"the same code a second time", code},
		{"a code that was never issued", "3467-9ACD-EFGH"},
		{"something that is not a code", "hello"},
	} {
		t.Run("enrolling with "+c.name+" is refused", func(t *testing.T) {
			_, err := f.Svc.Enroll(ctx, c.code)
			WantError(t, err, sales.KindUnauthenticated, "bad_enrollment_code")
		})
	}

	// A code expires after a day; a pending device has no secret.
	late, lateCode, err := f.Svc.RegisterDevice(ctx, f.TenantAdmin, f.Venue.ID, sales.NewDevice{Role: "gate", Name: "Late gate"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Svc.DeviceSecret(ctx, late.ID); !sales.IsKind(err, sales.KindNotFound) {
		t.Errorf("a pending device's secret: %v, want NotFound", err)
	}
	f.Clock.Advance(25 * time.Hour)
	_, err = f.Svc.Enroll(ctx, lateCode)
	if e := WantError(t, err, sales.KindUnauthenticated, "bad_enrollment_code"); !strings.Contains(e.Message, "expired") {
		t.Errorf("an expired code is refused with %q; say it expired", e.Message)
	}

	// Revoking ends the secret and tells the venue.
	head, _ := f.Svc.FeedHead(ctx, f.Venue.ID)
	_, err = f.Svc.RevokeDevice(ctx, f.Clerk, d.ID, "stolen")
	WantError(t, err, sales.KindForbidden, "")
	_, err = f.Svc.RevokeDevice(ctx, other.TenantAdmin, d.ID, "not mine")
	WantError(t, err, sales.KindNotFound, "")
	rd, err := f.Svc.RevokeDevice(ctx, f.Manager, d.ID, "stolen")
	if err != nil || rd.Status != sales.DeviceRevoked || rd.RevokedAt == nil {
		t.Fatalf("revoke: %+v, %v", rd, err)
	}
	if _, _, err := f.Svc.DeviceSecret(ctx, d.ID); !sales.IsKind(err, sales.KindNotFound) {
		t.Errorf("a revoked device's secret: %v, want NotFound", err)
	}
	_, err = f.Svc.AuthenticateDevice(ctx, d.ID, cred.Secret)
	WantError(t, err, sales.KindUnauthenticated, "bad_device_credential")
	_, err = f.Svc.RevokeDevice(ctx, f.Manager, d.ID, "again")
	WantError(t, err, sales.KindConflict, "device_revoked")
	evs, err := f.Svc.FeedSince(ctx, f.Venue.ID, head, 10)
	if err != nil || len(evs) != 1 || evs[0].Kind != wire.EventDevice || evs[0].Seq != head+1 {
		t.Fatalf("feed after revoking: %+v, %v", evs, err)
	}
	var dd wire.DeviceData
	if err := json.Unmarshal(evs[0].Data, &dd); err != nil || dd.DeviceID != d.ID || dd.Status != sales.DeviceRevoked {
		t.Errorf("device event %s", evs[0].Data)
	}

	t.Run("devices are scoped to the tenant and venues", func(t *testing.T) {
		for _, c := range []struct {
			name string
			p    sales.Principal
			want int
		}{
			{"the tenant admin sees every device", f.TenantAdmin, 4},
			{"the venue's manager sees them", f.Manager, 4},
			{"the auditor sees them", f.Auditor, 4},
			{"another tenant's admin sees none", other.TenantAdmin, 0},
			{"another tenant's manager sees none", other.Manager, 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				ds, err := f.Svc.ListDevices(ctx, c.p)
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) != c.want {
					t.Errorf("%d devices, want %d", len(ds), c.want)
				}
				_, err = f.Svc.GetDevice(ctx, c.p, d.ID)
				if c.want == 0 {
					WantError(t, err, sales.KindNotFound, "")
				} else if err != nil {
					t.Error(err)
				}
			})
		}
		_, err := f.Svc.ListDevices(ctx, f.Clerk)
		WantError(t, err, sales.KindForbidden, "")
	})

	// Secrets and codes never leave through the device or the audit log.
	ds, _ := f.Svc.ListDevices(ctx, f.TenantAdmin)
	b, _ := json.Marshal(ds)
	entries, err := f.Svc.AuditLog(ctx, f.TenantAdmin, sales.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	eb, _ := json.Marshal(entries)
	for _, leak := range []string{string(cred.Secret), jsonBytes(cred.Secret), strings.ReplaceAll(code, "-", ""), code, "secret", "code_hash"} {
		if bytes.Contains(b, []byte(leak)) || bytes.Contains(eb, []byte(leak)) {
			t.Errorf("devices or audit log contain %q", leak)
		}
	}
	actions := map[string]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "device.") && e.Object == "device:"+d.ID {
			actions[e.Action] = e.Actor
		}
	}
	if actions["device.register"] == "" || actions["device.enroll"] != "device:"+d.ID || actions["device.revoke"] == "" {
		t.Errorf("device audit entries (action: actor) %v", actions)
	}
	if rep, err := sales.VerifyAudit(ctx, f.Store); err != nil || !rep.OK {
		t.Errorf("audit chain after device changes: %+v, %v", rep, err)
	}
}

func jsonBytes(b []byte) string {
	j, _ := json.Marshal(b)
	return strings.Trim(string(j), `"`)
}
