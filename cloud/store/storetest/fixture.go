package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

// Password is the password of every user a Fixture creates.
const Password = "correct-horse-battery"

// Shanghai is the fixture venues' time zone.
var Shanghai = mustLoad("Asia/Shanghai")

// Start is when a fixture's clock starts: 10:00 in Shanghai.
var Start = time.Date(2026, 3, 10, 10, 0, 0, 0, Shanghai)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Fixture builds a platform admin, a tenant with a tenant admin, manager,
// clerk, gate staff and auditor, one venue (code "31010101"), a hall with
// seatmap.Grid("M","Main",12,20), an event, and a session starting tomorrow
// 19:30 Asia/Shanghai, with one price tier of 4500 cents and min price 3000.
type Fixture struct {
	Svc                                               *sales.Service
	Store                                             sales.Store
	Clock                                             *Clock
	Admin, TenantAdmin, Manager, Clerk, Gate, Auditor sales.Principal
	Tenant                                            sales.Tenant
	Venue                                             sales.Venue
	Hall                                              sales.Hall
	Event                                             sales.Event
	Session                                           sales.Session
	Tiers                                             []sales.PriceTier

	seatsMu sync.Mutex
	seats   map[int64]map[string]int64 // session id -> label -> seat id
}

// Config is the service configuration fixtures use: the given clock and
// cheap password hashing.
func Config(c *Clock) sales.Config {
	return sales.Config{Now: c.Now, Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}}
}

// NewFixture builds the fixture on an empty, migrated store.
func NewFixture(t testing.TB, st sales.Store) *Fixture {
	t.Helper()
	ctx := context.Background()
	clock := NewClock(Start)
	svc, err := sales.New(ctx, st, Config(clock))
	if err != nil {
		t.Fatalf("sales.New: %v", err)
	}
	u, err := svc.CreatePlatformAdmin(ctx, "platform", Password)
	if err != nil {
		t.Fatalf("CreatePlatformAdmin: %v", err)
	}
	f := &Fixture{Svc: svc, Store: st, Clock: clock, Admin: PrincipalOf(u)}
	f.populate(t, "a", "31010101")
	return f
}

// AddTenant builds another tenant on the same service, with its own users
// (usernames prefixed by code), venue, hall, event, session and prices, as
// NewFixture does.
func (f *Fixture) AddTenant(t testing.TB, code, venueCode string) *Fixture {
	t.Helper()
	g := &Fixture{Svc: f.Svc, Store: f.Store, Clock: f.Clock, Admin: f.Admin}
	g.populate(t, code, venueCode)
	return g
}

// PrincipalOf is the principal a user authenticates as.
func PrincipalOf(u sales.User) sales.Principal {
	return sales.Principal{UserID: u.ID, Username: u.Username, TenantID: u.TenantID, Role: u.Role, VenueIDs: u.VenueIDs}
}

func (f *Fixture) populate(t testing.TB, code, venueCode string) {
	t.Helper()
	ctx := context.Background()
	var err error
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %s: %v", what, err)
		}
	}
	f.Tenant, err = f.Svc.CreateTenant(ctx, f.Admin, sales.NewTenant{Code: "tenant-" + code, Name: "Tenant " + strings.ToUpper(code)})
	must("create tenant", err)
	f.TenantAdmin = f.User(t, f.Admin, code+"-admin", auth.RoleTenantAdmin, f.Tenant.ID)
	f.Venue, err = f.Svc.CreateVenue(ctx, f.TenantAdmin, sales.NewVenue{Code: venueCode, Name: "Venue " + venueCode, Timezone: "Asia/Shanghai"})
	must("create venue", err)
	f.Manager = f.User(t, f.TenantAdmin, code+"-manager", auth.RoleVenueManager, 0, f.Venue.ID)
	f.Clerk = f.User(t, f.TenantAdmin, code+"-clerk", auth.RoleClerk, 0, f.Venue.ID)
	f.Gate = f.User(t, f.TenantAdmin, code+"-gate", auth.RoleGateStaff, 0, f.Venue.ID)
	f.Auditor = f.User(t, f.TenantAdmin, code+"-auditor", auth.RoleAuditor, 0)
	m := seatmap.Grid("M", "Main", 12, 20)
	f.Hall, err = f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "H1", Name: "Hall 1", Map: &m})
	must("create hall", err)
	f.Event, err = f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Event " + code, Kind: "film", Code: "001101232026"})
	must("create event", err)
	f.Session, f.Tiers = f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30), 4500)
}

// Tomorrow is hh:mm tomorrow in Shanghai, by the clock.
func Tomorrow(c *Clock, hh, mm int) time.Time {
	d := c.Now().In(Shanghai).AddDate(0, 0, 1)
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, Shanghai)
}

// AddSession schedules a 2½-hour session of the fixture's event in the
// hall with min price 3000 and one tier for every seat.
func (f *Fixture) AddSession(t testing.TB, hallID int64, start time.Time, priceCents int64) (sales.Session, []sales.PriceTier) {
	t.Helper()
	ctx := context.Background()
	ss, err := f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: hallID, EventID: f.Event.ID,
		StartsAt: start, EndsAt: start.Add(150 * time.Minute), MinPriceCents: 3000})
	if err != nil {
		t.Fatalf("fixture: create session: %v", err)
	}
	tiers, err := f.Svc.SetPrices(ctx, f.Manager, ss.ID, []sales.PriceTier{{Name: "Standard", PriceCents: priceCents}})
	if err != nil {
		t.Fatalf("fixture: set prices: %v", err)
	}
	return ss, tiers
}

// User creates a user (by creator) and returns its principal.
func (f *Fixture) User(t testing.TB, creator sales.Principal, name string, role auth.Role, tenantID int64, venues ...int64) sales.Principal {
	t.Helper()
	u, err := f.Svc.CreateUser(context.Background(), creator, sales.NewUser{TenantID: tenantID, Username: name,
		DisplayName: name, Password: Password, Role: string(role), VenueIDs: venues})
	if err != nil {
		t.Fatalf("fixture: create user %s: %v", name, err)
	}
	return PrincipalOf(u)
}

// SeatID is the id of the seat with the label in the session.
func (f *Fixture) SeatID(t testing.TB, sessionID int64, label string) int64 {
	t.Helper()
	f.seatsMu.Lock()
	defer f.seatsMu.Unlock()
	if f.seats == nil {
		f.seats = map[int64]map[string]int64{}
	}
	m := f.seats[sessionID]
	if m == nil {
		seats, err := f.Store.SessionSeats(context.Background(), sessionID)
		if err != nil {
			t.Fatalf("session seats: %v", err)
		}
		m = map[string]int64{}
		for _, s := range seats {
			m[s.Label] = s.SeatID
		}
		f.seats[sessionID] = m
	}
	id, ok := m[label]
	if !ok {
		t.Fatalf("no seat %s in session %d", label, sessionID)
	}
	return id
}

// SeatIDs maps labels of the fixture's session to seat ids.
func (f *Fixture) SeatIDs(t testing.TB, labels ...string) []int64 {
	t.Helper()
	out := make([]int64, len(labels))
	for i, l := range labels {
		out[i] = f.SeatID(t, f.Session.ID, l)
	}
	return out
}

// Hold holds the labelled seats of the fixture's session; it must work.
func (f *Fixture) Hold(t testing.TB, p sales.Principal, ch sales.Channel, labels ...string) sales.Hold {
	t.Helper()
	h, err := f.Svc.HoldSeats(context.Background(), p, sales.HoldRequest{SessionID: f.Session.ID, Channel: ch, SeatIDs: f.SeatIDs(t, labels...)})
	if err != nil {
		t.Fatalf("hold %v: %v", labels, err)
	}
	return h
}

// Buy sells the labelled seats of the fixture's session at the box office
// (pos, cash) as p; it must work.
func (f *Fixture) Buy(t testing.TB, p sales.Principal, labels ...string) sales.Order {
	t.Helper()
	h := f.Hold(t, p, sales.ChannelPOS, labels...)
	return f.ConfirmAndPay(t, p, h, sales.PaymentRequest{Method: "cash"})
}

// ConfirmAndPay turns a hold into a paid order; it must work.
func (f *Fixture) ConfirmAndPay(t testing.TB, p sales.Principal, h sales.Hold, pay sales.PaymentRequest) sales.Order {
	t.Helper()
	ctx := context.Background()
	o, err := f.Svc.ConfirmOrder(ctx, p, sales.OrderRequest{HoldID: h.ID, CustomerName: "Test Buyer"})
	if err != nil {
		t.Fatalf("confirm hold %d: %v", h.ID, err)
	}
	o, err = f.Svc.PayOrder(ctx, p, o.ID, pay)
	if err != nil {
		t.Fatalf("pay order %d: %v", o.ID, err)
	}
	return o
}

// Availability is the decoded availability document of a session.
type Availability struct {
	SessionID int64          `json:"session_id"`
	Version   int64          `json:"version"`
	Counts    map[string]int `json:"counts"`
	Seats     string         `json:"seats"`
}

// Availability reads the session's availability document as p.
func (f *Fixture) Availability(t testing.TB, p sales.Principal, sessionID int64) Availability {
	t.Helper()
	b, err := f.Svc.AvailabilityJSON(context.Background(), p, sessionID)
	if err != nil {
		t.Fatalf("availability: %v", err)
	}
	return DecodeAvailability(t, b)
}

// DecodeAvailability decodes a whole availability document.
func DecodeAvailability(t testing.TB, b []byte) Availability {
	t.Helper()
	var a Availability
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("availability is not JSON: %v\n%s", err, b)
	}
	return a
}

// SessionSeat returns the fixture session's seat with the label.
func (f *Fixture) SessionSeat(t testing.TB, label string) sales.SessionSeat {
	t.Helper()
	seats, err := f.Store.SessionSeats(context.Background(), f.Session.ID)
	if err != nil {
		t.Fatalf("session seats: %v", err)
	}
	for _, s := range seats {
		if s.Label == label {
			return s
		}
	}
	t.Fatalf("no seat %s", label)
	return sales.SessionSeat{}
}

// AuditSeq is the audit chain head's sequence number.
func (f *Fixture) AuditSeq(t testing.TB) int64 {
	t.Helper()
	seq, _, err := f.Store.AuditHead(context.Background())
	if err != nil {
		t.Fatalf("audit head: %v", err)
	}
	return seq
}

// WantError checks err is a *sales.Error of the kind (and code, unless
// empty) and returns it.
func WantError(t testing.TB, err error, kind sales.Kind, code string) *sales.Error {
	t.Helper()
	var e *sales.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *sales.Error of kind %s (%s), got %v", kind, code, err)
	}
	if e.Kind != kind || (code != "" && e.Code != code) {
		t.Fatalf("want error %s/%s, got %s/%s: %v", kind, code, e.Kind, e.Code, err)
	}
	return e
}

// VerifyAudit checks the whole audit chain against its head.
func (f *Fixture) VerifyAudit(t testing.TB) {
	t.Helper()
	if a, err := sales.VerifyAudit(context.Background(), f.Store); err != nil || !a.OK {
		t.Fatalf("audit chain: %+v %v", a, err)
	}
}
