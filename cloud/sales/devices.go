package sales

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	wire "github.com/admitbox/admit/sync"
)

// Device roles.
const (
	DeviceRolePOS   = "pos"
	DeviceRoleKiosk = "kiosk"
	DeviceRoleGate  = "gate"
)

// Device statuses.
const (
	DevicePending = "pending" // registered, enrollment code not yet used
	DeviceActive  = "active"  // enrolled: holds a secret
	DeviceRevoked = "revoked"
)

// EnrollmentCodeTTL is how long a device's one-time enrollment code works.
const EnrollmentCodeTTL = 24 * time.Hour

// enrollmentCodeLen characters of the pickup alphabet: 25^12 ≈ 6e16 codes.
const enrollmentCodeLen = 12

// Device is an edge device of one venue. Its secret and enrollment code
// are never part of it: the store keeps them apart.
type Device struct {
	ID         string            `json:"id"`
	TenantID   int64             `json:"tenant_id"`
	VenueID    int64             `json:"venue_id"`
	VenueCode  string            `json:"venue_code"`
	Role       string            `json:"role"`
	Name       string            `json:"name"`
	Zone       string            `json:"zone,omitempty"`
	Profile    string            `json:"profile,omitempty"`
	Status     string            `json:"status"`
	CreatedAt  time.Time         `json:"created_at"`
	EnrolledAt *time.Time        `json:"enrolled_at,omitempty"`
	RevokedAt  *time.Time        `json:"revoked_at,omitempty"`
	LastSeen   *time.Time        `json:"last_seen,omitempty"`
	State      map[string]string `json:"state,omitempty"` // from heartbeats
}

// NewDevice is the input to RegisterDevice.
type NewDevice struct {
	Role    string `json:"role"`              // pos, kiosk or gate
	Name    string `json:"name"`              // e.g. "North gate 3"
	Zone    string `json:"zone,omitempty"`    // gate zone, for sessions limited to zones
	Profile string `json:"profile,omitempty"` // firmware profile of its hardware
}

// DeviceCredential is what a device receives once, at enrollment. The
// server fills in BrokerURL and APIURL.
type DeviceCredential struct {
	DeviceID      string `json:"device_id"`
	Secret        []byte `json:"secret"` // HMAC key of its messages (sync.SealDevice)
	TenantID      int64  `json:"tenant_id"`
	VenueID       int64  `json:"venue_id"`
	VenueCode     string `json:"venue_code"`
	Timezone      string `json:"timezone"`
	Role          string `json:"role"`
	Zone          string `json:"zone,omitempty"`
	Profile       string `json:"profile,omitempty"`
	SyncPublicKey []byte `json:"sync_public_key"` // verifies the cloud's messages (sync.OpenCloud)
	BrokerURL     string `json:"broker_url"`
	BrokerCA      []byte `json:"broker_ca,omitempty"`
	APIURL        string `json:"api_url"`
}

var errBadEnrollment = &Error{Kind: KindUnauthenticated, Code: "bad_enrollment_code",
	Message: "unknown or already used enrollment code; register the device again for a new one"}

// newDeviceID is "dev-" and 10 random lower-case base32 characters (50 bits).
func newDeviceID() string {
	var b [7]byte
	_, _ = rand.Read(b[:])
	return "dev-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))[:10]
}

// FormatEnrollmentCode groups a code for display: XXXX-XXXX-XXXX.
func FormatEnrollmentCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(code[i])
	}
	return b.String()
}

// NormalizeEnrollmentCode strips dashes and spaces and upper-cases; false
// when the result cannot be an enrollment code.
func NormalizeEnrollmentCode(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) != enrollmentCodeLen {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(pickupAlphabet, rune(s[i])) {
			return "", false
		}
	}
	return s, true
}

func codeHash(code string) string {
	h := sha256.Sum256([]byte("admit-enroll-v1\x00" + code))
	return hex.EncodeToString(h[:])
}

func validDeviceRole(r string) bool {
	return r == DeviceRolePOS || r == DeviceRoleKiosk || r == DeviceRoleGate
}

// mayManageDevices: tenant (and platform) admins anywhere in scope, venue
// managers at their venues (the venue lookup enforces which).
func mayManageDevices(p Principal) error {
	if auth.Can(p.Role, auth.ManageVenues) || p.Role == auth.RoleVenueManager {
		return nil
	}
	return forbidden("your role (" + string(p.Role) + ") may not manage devices")
}

// RegisterDevice adds a pending device to a venue and returns it with its
// one-time enrollment code (XXXX-XXXX-XXXX), shown this once: the store
// keeps only its hash. The code works for EnrollmentCodeTTL.
func (s *Service) RegisterDevice(ctx context.Context, p Principal, venueID int64, in NewDevice) (Device, string, error) {
	if err := mayManageDevices(p); err != nil {
		return Device{}, "", err
	}
	v, err := s.venue(ctx, p, scopeTenant(p), venueID)
	if err != nil {
		return Device{}, "", err
	}
	var fields []FieldError
	if !validDeviceRole(in.Role) {
		fields = append(fields, FieldError{Field: "role", Message: "must be pos, kiosk or gate"})
	}
	name, fe := cleanText("name", in.Name, 1, 80)
	if fe != nil {
		fields = append(fields, *fe)
	}
	zone, fe := cleanText("zone", in.Zone, 0, 32)
	if fe != nil {
		fields = append(fields, *fe)
	}
	profile, fe := cleanText("profile", in.Profile, 0, 64)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return Device{}, "", invalid("invalid_device", "the device cannot be registered", fields...)
	}
	now := s.now().UTC()
	code := randomCode(enrollmentCodeLen)
	d := Device{TenantID: v.TenantID, VenueID: v.ID, VenueCode: v.Code, Role: in.Role, Name: name, Zone: zone,
		Profile: profile, Status: DevicePending, CreatedAt: now}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		var err error
		for try := 0; ; try++ {
			d.ID = newDeviceID()
			err = tx.InsertDevice(ctx, d, codeHash(code), now.Add(EnrollmentCodeTTL))
			if err == nil || try == 3 || !IsKind(err, KindConflict) {
				break
			}
		}
		if err != nil {
			return err
		}
		rec(change{action: "device.register", object: "device:" + d.ID, tenantID: d.TenantID, venueID: d.VenueID, after: d})
		return nil
	})
	if err != nil {
		return Device{}, "", err
	}
	return d, FormatEnrollmentCode(code), nil
}

// Enroll exchanges a device's one-time enrollment code for its credential.
// The code is the only proof, so every failure looks the same to the
// caller except an expired code, which says so.
func (s *Service) Enroll(ctx context.Context, code string) (DeviceCredential, error) {
	norm, ok := NormalizeEnrollmentCode(code)
	if !ok {
		return DeviceCredential{}, errBadEnrollment
	}
	hash := codeHash(norm)
	now := s.now().UTC()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return DeviceCredential{}, fmt.Errorf("device secret: %w", err)
	}
	var d Device
	err := s.update(ctx, Principal{}, func(tx Tx, rec func(change)) error {
		var exp time.Time
		var err error
		d, exp, err = tx.DeviceByCodeHash(ctx, hash)
		if IsKind(err, KindNotFound) {
			return errBadEnrollment
		}
		if err != nil {
			return err
		}
		if d.Status != DevicePending {
			return errBadEnrollment
		}
		if !now.Before(exp) {
			return &Error{Kind: KindUnauthenticated, Code: "bad_enrollment_code",
				Message: "the enrollment code expired; register the device again for a new one"}
		}
		ok, err := tx.ActivateDevice(ctx, d.ID, hash, s.seal(secret), now)
		if err != nil {
			return err
		}
		if !ok {
			return errBadEnrollment
		}
		before := d
		d.Status, d.EnrolledAt = DeviceActive, &now
		rec(change{action: "device.enroll", object: "device:" + d.ID, tenantID: d.TenantID, venueID: d.VenueID,
			actor: "device:" + d.ID, before: map[string]string{"status": before.Status}, after: map[string]string{"status": d.Status}})
		return nil
	})
	if err != nil {
		return DeviceCredential{}, err
	}
	v, err := s.store.GetVenue(ctx, d.TenantID, d.VenueID)
	if err != nil {
		return DeviceCredential{}, err
	}
	return DeviceCredential{DeviceID: d.ID, Secret: secret, TenantID: d.TenantID, VenueID: d.VenueID, VenueCode: d.VenueCode,
		Timezone: v.Timezone, Role: d.Role, Zone: d.Zone, Profile: d.Profile, SyncPublicKey: s.SyncPublicKey()}, nil
}

// DeviceSecret returns an active device and its secret, for the broker
// and API to authenticate it. Anything else (unknown, pending, revoked)
// is NotFound.
func (s *Service) DeviceSecret(ctx context.Context, deviceID string) (Device, []byte, error) {
	if !wire.ValidDeviceID(deviceID) {
		return Device{}, nil, notFound("device")
	}
	d, sealed, err := s.store.DeviceSecret(ctx, deviceID)
	if err != nil {
		return Device{}, nil, err
	}
	secret, err := s.open(sealed)
	if err != nil {
		return Device{}, nil, fmt.Errorf("device %s: %w", deviceID, err)
	}
	if d.Status != DeviceActive || len(secret) == 0 {
		return Device{}, nil, notFound("device")
	}
	return d, secret, nil
}

// AuthenticateDevice checks a device credential (the broker's and API's
// login) and returns the device's venue code. Every refusal is the same
// Unauthenticated error, whatever the reason.
func (s *Service) AuthenticateDevice(ctx context.Context, deviceID string, secret []byte) (string, error) {
	d, want, err := s.DeviceSecret(ctx, deviceID)
	if err != nil && !IsKind(err, KindNotFound) {
		return "", err
	}
	// The text form (wire.DevicePassword) or, from agents older than it,
	// the raw secret.
	text := []byte(wire.DevicePassword(want))
	if err != nil || len(secret) == 0 || subtle.ConstantTimeCompare(secret, text)|subtle.ConstantTimeCompare(secret, want) != 1 {
		return "", &Error{Kind: KindUnauthenticated, Code: "bad_device_credential", Message: "unknown, revoked or wrong device credential"}
	}
	return d.VenueCode, nil
}

// BrokerLogin is an active device's login to an external broker.
type BrokerLogin struct {
	DeviceID, VenueCode, Password string
}

// BrokerLogins lists every active device's broker login, for an
// external broker's password file (admit-cloud broker-config, run on the
// server's shell): revoked and unenrolled devices are not in it.
func (s *Service) BrokerLogins(ctx context.Context) ([]BrokerLogin, error) {
	devices, err := s.store.ListDevices(ctx, -1, nil)
	if err != nil {
		return nil, err
	}
	var out []BrokerLogin
	for _, d := range devices {
		if d.Status != DeviceActive {
			continue
		}
		dv, secret, err := s.DeviceSecret(ctx, d.ID)
		if IsKind(err, KindNotFound) {
			continue // revoked meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, BrokerLogin{DeviceID: dv.ID, VenueCode: dv.VenueCode, Password: wire.DevicePassword(secret)})
	}
	return out, nil
}

func mayReadDevices(p Principal) error {
	if auth.Can(p.Role, auth.ReadAudit) || auth.Can(p.Role, auth.ManageVenues) {
		return nil
	}
	return forbidden("your role (" + string(p.Role) + ") may not see devices")
}

// GetDevice shows a device of the caller's tenant and venues.
func (s *Service) GetDevice(ctx context.Context, p Principal, id string) (Device, error) {
	if err := mayReadDevices(p); err != nil {
		return Device{}, err
	}
	return s.device(ctx, p, id)
}

func (s *Service) device(ctx context.Context, p Principal, id string) (Device, error) {
	if !wire.ValidDeviceID(id) {
		return Device{}, notFound("device")
	}
	d, err := s.store.GetDevice(ctx, scopeTenant(p), id)
	if err != nil {
		return Device{}, err
	}
	if p.Role != auth.RolePlatformAdmin && !p.SeesVenue(d.VenueID) {
		return Device{}, notFound("device")
	}
	return d, nil
}

// ListDevices lists the devices of the caller's tenant and venues.
func (s *Service) ListDevices(ctx context.Context, p Principal) ([]Device, error) {
	if err := mayReadDevices(p); err != nil {
		return nil, err
	}
	var venues []int64
	if p.Role != auth.RolePlatformAdmin {
		venues = venueScope(p)
	}
	return s.store.ListDevices(ctx, scopeTenant(p), venues)
}

// RevokeDevice withdraws a device's credential at once: the broker and API
// refuse it from now on, and the venue's feed tells the other devices.
func (s *Service) RevokeDevice(ctx context.Context, p Principal, id, reason string) (Device, error) {
	if err := mayManageDevices(p); err != nil {
		return Device{}, err
	}
	d, err := s.device(ctx, p, id)
	if err != nil {
		return Device{}, err
	}
	reason, fe := cleanText("reason", reason, 0, 500)
	if fe != nil {
		return Device{}, invalid("invalid_reason", "the reason cannot be used", *fe)
	}
	now := s.now().UTC()
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		cur, err := tx.GetDevice(ctx, d.TenantID, d.ID)
		if err != nil {
			return err
		}
		if cur.Status == DeviceRevoked {
			return conflict("device_revoked", "the device is already revoked")
		}
		if err := tx.RevokeDevice(ctx, d.ID, now); err != nil {
			return err
		}
		d = cur
		d.Status, d.RevokedAt = DeviceRevoked, &now
		rec(change{action: "device.revoke", object: "device:" + d.ID, tenantID: d.TenantID, venueID: d.VenueID, reason: reason,
			before: map[string]string{"status": cur.Status}, after: map[string]string{"status": d.Status}})
		return s.appendFeed(ctx, tx, d.VenueID, wire.EventDevice, wire.DeviceData{DeviceID: d.ID, Status: d.Status})
	})
	if err != nil {
		return Device{}, err
	}
	s.feedMu.Lock()
	ls := slices.Clone(s.revokeListeners)
	s.feedMu.Unlock()
	for _, fn := range ls {
		fn(d.ID)
	}
	return d, nil
}

// Alerts lists alerts (duplicate admissions…) of the caller's tenant and
// venues, newest first.
func (s *Service) Alerts(ctx context.Context, p Principal, f AlertFilter) ([]Alert, error) {
	if err := authorize(p, auth.ReadCatalog); err != nil {
		return nil, err
	}
	f.VenueIDs = nil
	if p.Role != auth.RolePlatformAdmin {
		f.VenueIDs = venueScope(p)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	out, err := s.store.ListAlerts(ctx, scopeTenant(p), f)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Alert{}
	}
	return out, nil
}

// SubscribeDeviceRevoked registers fn to hear, after the commit, that a
// device was revoked: the broker drops its connection at once. fn must
// not block.
func (s *Service) SubscribeDeviceRevoked(fn func(deviceID string)) {
	s.feedMu.Lock()
	s.revokeListeners = append(s.revokeListeners, fn)
	s.feedMu.Unlock()
}
