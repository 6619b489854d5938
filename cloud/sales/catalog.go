package sales

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/seatmap"
	wire "github.com/admitbox/admit/sync"
)

// venue loads a venue the principal may see; anything else is NotFound.
func (s *Service) venue(ctx context.Context, p Principal, tenantID, id int64) (Venue, error) {
	if p.Role != auth.RolePlatformAdmin {
		tenantID = p.TenantID
	}
	v, err := s.store.GetVenue(ctx, tenantID, id)
	if err != nil {
		return Venue{}, err
	}
	if p.Role != auth.RolePlatformAdmin && !p.SeesVenue(v.ID) {
		return Venue{}, notFound("venue")
	}
	return v, nil
}

// scopeTenant is the tenant id to query with: a platform admin sees all.
func scopeTenant(p Principal) int64 {
	if p.Role == auth.RolePlatformAdmin {
		return -1
	}
	return p.TenantID
}

// NewTenant is the input to CreateTenant.
type NewTenant struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CreateTenant adds an operator and gives it its first ticket signing key.
func (s *Service) CreateTenant(ctx context.Context, p Principal, in NewTenant) (Tenant, error) {
	if err := authorize(p, auth.ManageTenants); err != nil {
		return Tenant{}, err
	}
	var fields []FieldError
	code, fe := cleanText("code", in.Code, 2, 32)
	if fe != nil {
		fields = append(fields, *fe)
	}
	name, fe := cleanText("name", in.Name, 1, 120)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return Tenant{}, invalid("invalid_tenant", "the tenant cannot be created", fields...)
	}
	t := Tenant{Code: code, Name: name, CreatedAt: s.now().UTC()}
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if err := tx.InsertTenant(ctx, &t); err != nil {
			return err
		}
		rec(change{action: "tenant.create", object: "tenant:" + itoa(t.ID), tenantID: t.ID, after: t})
		return s.addSigningKey(ctx, tx, rec, t.ID)
	})
	return t, err
}

// ListTenants lists every tenant (platform admin) or the caller's own.
func (s *Service) ListTenants(ctx context.Context, p Principal) ([]Tenant, error) {
	if p.Role == auth.RolePlatformAdmin {
		return s.store.ListTenants(ctx)
	}
	t, err := s.store.GetTenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return []Tenant{t}, nil
}

// NewVenue is the input to CreateVenue.
type NewVenue struct {
	TenantID                int64  `json:"tenant_id"`
	Code                    string `json:"code"`
	Name                    string `json:"name"`
	Address                 string `json:"address"`
	Timezone                string `json:"timezone"`
	BusinessDayStartMinutes *int   `json:"business_day_start_minutes"`
}

func (s *Service) CreateVenue(ctx context.Context, p Principal, in NewVenue) (Venue, error) {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return Venue{}, err
	}
	tenantID, err := tenantOf(p, in.TenantID)
	if err != nil {
		return Venue{}, err
	}
	var fields []FieldError
	if !ValidVenueCode(in.Code) {
		fields = append(fields, FieldError{Field: "code", Message: "must be the 8-digit venue code"})
	}
	name, fe := cleanText("name", in.Name, 1, 120)
	if fe != nil {
		fields = append(fields, *fe)
	}
	addr, fe := cleanText("address", in.Address, 0, 240)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if in.Timezone == "" {
		in.Timezone = "Asia/Shanghai"
	}
	if _, err := time.LoadLocation(in.Timezone); err != nil {
		fields = append(fields, FieldError{Field: "timezone", Message: "unknown time zone"})
	}
	dayStart := 6 * 60
	if in.BusinessDayStartMinutes != nil {
		dayStart = *in.BusinessDayStartMinutes
		if dayStart < 0 || dayStart >= 12*60 {
			fields = append(fields, FieldError{Field: "business_day_start_minutes", Message: "must be between 0 and 719"})
		}
	}
	if len(fields) > 0 {
		return Venue{}, invalid("invalid_venue", "the venue cannot be created", fields...)
	}
	v := Venue{TenantID: tenantID, Code: in.Code, Name: name, Address: addr, Timezone: in.Timezone, BusinessStatus: "open",
		BusinessDayStartMinutes: dayStart, CreatedAt: s.now().UTC()}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return err
		}
		if err := tx.InsertVenue(ctx, &v); err != nil {
			return err
		}
		rec(change{action: "venue.create", object: "venue:" + itoa(v.ID), tenantID: tenantID, venueID: v.ID, after: v})
		// The new venue's feed starts with the keys its gates verify with.
		ks, err := tx.SigningKeys(ctx, tenantID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.Status != KeyRevoked {
				if err := s.appendFeed(ctx, tx, v.ID, wire.EventKey, keyData(k)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return v, err
}

// VenueStatus changes a venue's business status at the national data
// platform (§9.2.3, 营业状态: trial, open, closed); the platform hears of it
// within seconds, and every ticket reported after carries it.
type VenueStatus struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// SetVenueStatus records a venue's new business status, audited.
func (s *Service) SetVenueStatus(ctx context.Context, p Principal, id int64, in VenueStatus) (Venue, error) {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return Venue{}, err
	}
	v, err := s.venue(ctx, p, scopeTenant(p), id)
	if err != nil {
		return Venue{}, err
	}
	switch in.Status {
	case "trial", "open", "closed":
	default:
		return Venue{}, invalid("invalid_status", "the status cannot be set", FieldError{Field: "status", Message: "must be trial, open or closed"})
	}
	reason, fe := cleanText("reason", in.Reason, 0, 200)
	if fe != nil {
		return Venue{}, invalid("invalid_status", "the status cannot be set", *fe)
	}
	before := v.BusinessStatus
	v.BusinessStatus = in.Status
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if err := tx.SetVenueStatus(ctx, v.ID, in.Status); err != nil {
			return err
		}
		rec(change{action: "venue.status", object: "venue:" + itoa(v.ID), tenantID: v.TenantID, venueID: v.ID, reason: reason,
			before: map[string]string{"status": before}, after: map[string]string{"status": in.Status}})
		return nil
	})
	if err != nil {
		return Venue{}, err
	}
	s.forgetVenue(v.TenantID, v.ID)
	return v, nil
}

func (s *Service) GetVenue(ctx context.Context, p Principal, id int64) (Venue, error) {
	return s.venue(ctx, p, scopeTenant(p), id)
}

func (s *Service) ListVenues(ctx context.Context, p Principal) ([]Venue, error) {
	vs, err := s.store.ListVenues(ctx, scopeTenant(p))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(vs, func(v Venue) bool { return !p.SeesVenue(v.ID) && p.Role != auth.RolePlatformAdmin }), nil
}

// NewHall is the input to CreateHall; Map is optional.
type NewHall struct {
	Code string       `json:"code"`
	Name string       `json:"name"`
	Map  *seatmap.Map `json:"seat_map"`
}

func (s *Service) CreateHall(ctx context.Context, p Principal, venueID int64, in NewHall) (Hall, error) {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return Hall{}, err
	}
	v, err := s.venue(ctx, p, scopeTenant(p), venueID)
	if err != nil {
		return Hall{}, err
	}
	var fields []FieldError
	code, fe := cleanText("code", in.Code, 1, 16)
	if fe != nil {
		fields = append(fields, *fe)
	}
	name, fe := cleanText("name", in.Name, 1, 80)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if in.Map != nil {
		fields = append(fields, mapProblems(*in.Map)...)
	}
	if len(fields) > 0 {
		return Hall{}, invalid("invalid_hall", "the hall cannot be created", fields...)
	}
	h := Hall{TenantID: v.TenantID, VenueID: v.ID, Code: code, Name: name, CreatedAt: s.now().UTC()}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if err := tx.InsertHall(ctx, &h); err != nil {
			return err
		}
		rec(change{action: "hall.create", object: "hall:" + itoa(h.ID), tenantID: h.TenantID, venueID: h.VenueID, after: h})
		if in.Map != nil {
			if _, err := tx.ReplaceHallSeatMap(ctx, h.ID, *in.Map); err != nil {
				return err
			}
			h.Seats = inService(*in.Map)
			rec(change{action: "seatmap.import", object: "hall:" + itoa(h.ID), tenantID: h.TenantID, venueID: h.VenueID,
				after: map[string]int{"seats": len(in.Map.Seats), "sections": len(in.Map.Sections)}})
		}
		return nil
	})
	return h, err
}

func inService(m seatmap.Map) int {
	n := 0
	for _, st := range m.Seats {
		if st.State.InService() {
			n++
		}
	}
	return n
}

func mapProblems(m seatmap.Map) []FieldError {
	var out []FieldError
	for _, pr := range m.Validate() {
		out = append(out, FieldError{Field: pr.Field, Line: pr.Line, Message: pr.Message})
	}
	return out
}

// hall loads a hall the principal may see.
func (s *Service) hall(ctx context.Context, p Principal, id int64) (Hall, error) {
	h, err := s.store.GetHall(ctx, scopeTenant(p), id)
	if err != nil {
		return Hall{}, err
	}
	if p.Role != auth.RolePlatformAdmin && !p.SeesVenue(h.VenueID) {
		return Hall{}, notFound("hall")
	}
	return h, nil
}

func (s *Service) GetHall(ctx context.Context, p Principal, id int64) (Hall, error) {
	return s.hall(ctx, p, id)
}

func (s *Service) ListHalls(ctx context.Context, p Principal, venueID int64) ([]Hall, error) {
	v, err := s.venue(ctx, p, scopeTenant(p), venueID)
	if err != nil {
		return nil, err
	}
	return s.store.ListHalls(ctx, v.TenantID, v.ID)
}

// HallSeatMap returns the hall's map, in the form it imports from.
func (s *Service) HallSeatMap(ctx context.Context, p Principal, hallID int64) (seatmap.Map, []HallSeat, error) {
	h, err := s.hall(ctx, p, hallID)
	if err != nil {
		return seatmap.Map{}, nil, err
	}
	secs, seats, err := s.store.HallSeatMap(ctx, h.ID)
	if err != nil {
		return seatmap.Map{}, nil, err
	}
	m := seatmap.Map{Sections: secs, Seats: make([]seatmap.Seat, len(seats))}
	for i, st := range seats {
		m.Seats[i] = st.Seat
	}
	return m, seats, nil
}

// ImportSeatMap replaces a hall's seat map. Seats keep their ids by label;
// seats taken out of service reach the unsold seats of the hall's sessions
// that have not ended.
func (s *Service) ImportSeatMap(ctx context.Context, p Principal, hallID int64, m seatmap.Map, reason string) (Hall, error) {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return Hall{}, err
	}
	h, err := s.hall(ctx, p, hallID)
	if err != nil {
		return Hall{}, err
	}
	if probs := mapProblems(m); len(probs) > 0 {
		return Hall{}, invalid("invalid_seat_map", "the seat map has problems; nothing was changed", probs...)
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		_, before, err := tx.HallSeatMap(ctx, h.ID)
		if err != nil {
			return err
		}
		out, err := tx.ReplaceHallSeatMap(ctx, h.ID, m)
		if err != nil {
			return err
		}
		n, err := tx.SyncSessionSeatStates(ctx, h.ID, s.now())
		if err != nil {
			return err
		}
		rec(change{action: "seatmap.import", object: "hall:" + itoa(h.ID), tenantID: h.TenantID, venueID: h.VenueID, reason: reason,
			before: map[string]int{"seats": len(before)},
			after:  map[string]any{"seats": len(m.Seats), "sections": len(m.Sections), "out_of_service": out, "session_seats_changed": n}})
		if n == 0 {
			return nil
		}
		live, err := tx.ListSessions(ctx, h.TenantID, SessionFilter{VenueID: h.VenueID})
		if err != nil {
			return err
		}
		for _, ss := range live {
			if ss.HallID == h.ID && s.now().Before(ss.EndsAt) {
				if err := s.feedSeatMap(ctx, tx, ss); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Hall{}, err
	}
	h.Seats = inService(m)
	return h, nil
}

// SetSeatState changes one hall seat's physical state (damaged, repaired…).
func (s *Service) SetSeatState(ctx context.Context, p Principal, hallID int64, label string, st seatmap.PhysicalState, reason string) error {
	m, _, err := s.HallSeatMap(ctx, p, hallID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(m.Seats, func(x seatmap.Seat) bool { return x.Label == label })
	if i < 0 {
		return notFound("seat")
	}
	m.Seats[i].State = st
	_, err = s.ImportSeatMap(ctx, p, hallID, m, reason)
	return err
}

// NewEvent is the input to CreateEvent.
type NewEvent struct {
	TenantID    int64  `json:"tenant_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Code        string `json:"code"`
	RealName    bool   `json:"real_name"`
	HolderLimit int    `json:"holder_limit"`
	// Refunds turns on refunds at the shop with these graded fees
	// (refundrule.Default is the usual schedule).
	Refunds *refundrule.Rule `json:"refunds,omitempty"`
	// RefundPolicy is "" or RefundsClosed.
	RefundPolicy string `json:"refund_policy,omitempty"`
}

// ValidFilmCode reports whether code has the form of the national data
// platform's film codes: 12 digits and capital letters.
func ValidFilmCode(code string) bool {
	if len(code) != 12 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (s *Service) CreateEvent(ctx context.Context, p Principal, in NewEvent) (Event, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return Event{}, err
	}
	tenantID, err := tenantOf(p, in.TenantID)
	if err != nil {
		return Event{}, err
	}
	var fields []FieldError
	name, fe := cleanText("name", in.Name, 1, 200)
	if fe != nil {
		fields = append(fields, *fe)
	}
	kind, fe := cleanText("kind", in.Kind, 0, 32)
	if fe != nil {
		fields = append(fields, *fe)
	}
	code, fe := cleanText("code", in.Code, 0, 32)
	if fe != nil {
		fields = append(fields, *fe)
	}
	// A film is reported to the national data platform under its film
	// code (§9.2.1): no film is scheduled, so none sold, without one.
	if kind == "film" && !ValidFilmCode(code) {
		fields = append(fields, FieldError{Field: "code", Message: "a film needs its 12-character film code from the national data platform"})
	}
	if in.HolderLimit < 0 || in.HolderLimit > MaxHolderLimit || (in.HolderLimit > 0 && !in.RealName) {
		fields = append(fields, FieldError{Field: "holder_limit", Message: fmt.Sprintf("from 0 to %d, and only for a real-name event", MaxHolderLimit)})
	}
	if in.Refunds != nil {
		if err := in.Refunds.Validate(); err != nil {
			fields = append(fields, FieldError{Field: "refunds", Message: err.Error()})
		} else if !in.Refunds.Open() {
			in.Refunds = nil
		}
	}
	if len(fields) > 0 {
		return Event{}, invalid("invalid_event", "the event cannot be created", fields...)
	}
	if in.RefundPolicy != "" && in.RefundPolicy != RefundsClosed {
		return Event{}, invalid("invalid_event", "the event cannot be created", FieldError{Field: "refund_policy", Message: `"" or "closed"`})
	}
	e := Event{TenantID: tenantID, Name: name, Kind: kind, Code: code, CreatedAt: s.now().UTC(), RealName: in.RealName, HolderLimit: in.HolderLimit,
		Refunds: in.Refunds, RefundPolicy: in.RefundPolicy}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return err
		}
		if err := tx.InsertEvent(ctx, &e); err != nil {
			return err
		}
		rec(change{action: "event.create", object: "event:" + itoa(e.ID), tenantID: tenantID, after: e})
		return nil
	})
	return e, err
}

func (s *Service) ListEvents(ctx context.Context, p Principal) ([]Event, error) {
	return s.store.ListEvents(ctx, scopeTenant(p))
}

func (s *Service) GetEvent(ctx context.Context, p Principal, id int64) (Event, error) {
	return s.store.GetEvent(ctx, scopeTenant(p), id)
}

// NewSession is the input to CreateSession.
type NewSession struct {
	HallID        int64     `json:"hall_id"`
	EventID       int64     `json:"event_id"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	MinPriceCents int64     `json:"min_price_cents"`
	MaxPerOrder   int       `json:"max_per_order"`
	Reentry       Reentry   `json:"reentry"`
	Zones         []string  `json:"zones"`
	// OnSaleAt, if set, opens the public shop's sale at that time.
	OnSaleAt *time.Time `json:"on_sale_at,omitempty"`
}

// CreateSession schedules a showing in a hall; the session gets its own
// copy of the hall's seat map.
func (s *Service) CreateSession(ctx context.Context, p Principal, in NewSession) (Session, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return Session{}, err
	}
	h, err := s.hall(ctx, p, in.HallID)
	if err != nil {
		return Session{}, err
	}
	var fields []FieldError
	if in.StartsAt.IsZero() {
		fields = append(fields, FieldError{Field: "starts_at", Message: "is required"})
	}
	if !in.EndsAt.After(in.StartsAt) {
		fields = append(fields, FieldError{Field: "ends_at", Message: "must be after starts_at"})
	} else if in.EndsAt.Sub(in.StartsAt) > 24*time.Hour {
		fields = append(fields, FieldError{Field: "ends_at", Message: "a session lasts at most 24 hours"})
	}
	if in.MinPriceCents < 0 {
		fields = append(fields, FieldError{Field: "min_price_cents", Message: "must not be negative"})
	}
	if in.MaxPerOrder == 0 {
		in.MaxPerOrder = 10
	}
	if in.MaxPerOrder < 1 || in.MaxPerOrder > 100 {
		fields = append(fields, FieldError{Field: "max_per_order", Message: "must be between 1 and 100"})
	}
	if in.Reentry == "" {
		in.Reentry = ReentryNone
	}
	if in.Reentry != ReentryNone && in.Reentry != ReentryAfterExit {
		fields = append(fields, FieldError{Field: "reentry", Message: "must be none or after_exit"})
	}
	if len(in.Zones) > 32 {
		fields = append(fields, FieldError{Field: "zones", Message: "at most 32 zones"})
	}
	for _, z := range in.Zones {
		if wire.CheckID("zone", z) != nil || len(z) > 32 {
			fields = append(fields, FieldError{Field: "zones", Message: "a zone is 1-32 characters of A-Z a-z 0-9 - _"})
			break
		}
	}
	if in.OnSaleAt != nil && !in.OnSaleAt.Before(in.StartsAt) {
		fields = append(fields, FieldError{Field: "on_sale_at", Message: "must be before the session starts"})
	}
	if len(fields) > 0 {
		return Session{}, invalid("invalid_session", "the session cannot be created", fields...)
	}
	v, err := s.store.GetVenue(ctx, h.TenantID, h.VenueID)
	if err != nil {
		return Session{}, err
	}
	loc, err := time.LoadLocation(v.Timezone)
	if err != nil {
		return Session{}, fmt.Errorf("venue time zone: %w", err)
	}
	ss := Session{TenantID: h.TenantID, VenueID: h.VenueID, HallID: h.ID, EventID: in.EventID,
		StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), BusinessDate: BusinessDate(in.StartsAt, loc, v.BusinessDayStartMinutes),
		Status: SessionScheduled, MinPriceCents: in.MinPriceCents, MaxPerOrder: in.MaxPerOrder, Reentry: in.Reentry, Zones: append([]string{}, in.Zones...),
		CreatedAt: s.now().UTC()}
	if in.OnSaleAt != nil {
		at := in.OnSaleAt.UTC()
		ss.OnSaleAt = &at
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if _, err := tx.GetEvent(ctx, h.TenantID, in.EventID); err != nil {
			return invalid("invalid_session", "unknown event", FieldError{Field: "event_id", Message: "event not found"})
		}
		busy, err := tx.HallBusy(ctx, h.ID, ss.StartsAt, ss.EndsAt)
		if err != nil {
			return err
		}
		if busy {
			return &Error{Kind: KindConflict, Code: "session_overlap", Message: "the hall already has a session at that time",
				Fields: []FieldError{{Field: "starts_at", Message: "overlaps another session in this hall"}}}
		}
		if err := tx.InsertSession(ctx, &ss); err != nil {
			return err
		}
		rec(change{action: "session.create", object: "session:" + itoa(ss.ID), tenantID: ss.TenantID, venueID: ss.VenueID, after: ss})
		if err := s.feedSession(ctx, tx, ss); err != nil {
			return err
		}
		return s.feedSeatMap(ctx, tx, ss)
	})
	return ss, err
}

// session loads a session the principal may see.
func (s *Service) session(ctx context.Context, p Principal, id int64) (Session, error) {
	ss, err := s.cachedSession(ctx, scopeTenant(p), id)
	if err != nil {
		return Session{}, err
	}
	if p.Role != auth.RolePlatformAdmin && !p.SeesVenue(ss.VenueID) {
		return Session{}, notFound("session")
	}
	return ss, nil
}

func (s *Service) GetSession(ctx context.Context, p Principal, id int64) (Session, error) {
	return s.session(ctx, p, id)
}

func (s *Service) ListSessions(ctx context.Context, p Principal, f SessionFilter) ([]Session, error) {
	if p.Role != auth.RolePlatformAdmin {
		f.VenueIDs = venueScope(p)
	}
	return s.store.ListSessions(ctx, scopeTenant(p), f)
}

// CancelSession stops sales of a session.
func (s *Service) CancelSession(ctx context.Context, p Principal, id int64, reason string) (Session, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return Session{}, err
	}
	ss, err := s.session(ctx, p, id)
	if err != nil {
		return Session{}, err
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		before := ss
		ss.Status = SessionCancelled
		rec(change{action: "session.cancel", object: "session:" + itoa(ss.ID), tenantID: ss.TenantID, venueID: ss.VenueID, before: before, after: ss, reason: reason})
		if err := tx.SetSessionStatus(ctx, ss.ID, SessionCancelled); err != nil {
			return err
		}
		return s.feedSession(ctx, tx, ss)
	})
	s.reads.forgetSession(ss.ID)
	return ss, err
}

// Postponement moves a session to a later time.
type Postponement struct {
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Reason   string    `json:"reason"`
}

// PostponeSession moves a session later. Its tickets stay valid (their
// business date is the session's, which stays), the gates hear of the new
// time, and the tickets may be refunded until it starts, whatever the
// event's refund policy (§6.1.3(11)).
func (s *Service) PostponeSession(ctx context.Context, p Principal, id int64, in Postponement) (Session, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return Session{}, err
	}
	ss, err := s.session(ctx, p, id)
	if err != nil {
		return Session{}, err
	}
	reason, fe := cleanText("reason", in.Reason, 3, 500)
	switch {
	case fe != nil:
		return Session{}, invalid("invalid_postponement", "say why the session is postponed", *fe)
	case ss.Status == SessionCancelled:
		return Session{}, conflict("session_cancelled", "the session is cancelled")
	case !in.StartsAt.After(ss.StartsAt) || !in.EndsAt.After(in.StartsAt) || in.EndsAt.Sub(in.StartsAt) > 24*time.Hour:
		return Session{}, invalid("invalid_postponement", "the new start must be later than the old one, and the end after it (within a day)")
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		before := ss
		ss.StartsAt, ss.EndsAt, ss.Postponed = in.StartsAt.UTC(), in.EndsAt.UTC(), true
		rec(change{action: "session.postpone", object: "session:" + itoa(ss.ID), tenantID: ss.TenantID, venueID: ss.VenueID, before: before, after: ss, reason: reason})
		if err := tx.SetSessionTimes(ctx, ss.ID, ss.StartsAt, ss.EndsAt); err != nil {
			return err
		}
		return s.feedSession(ctx, tx, ss)
	})
	s.reads.forgetSession(ss.ID)
	return ss, err
}

// SetPrices replaces a session's price tiers. No tier may be below the
// regulator's minimum price of the session (最低票价).
func (s *Service) SetPrices(ctx context.Context, p Principal, sessionID int64, tiers []PriceTier) ([]PriceTier, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return nil, err
	}
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	var fields []FieldError
	if len(tiers) == 0 || len(tiers) > 50 {
		fields = append(fields, FieldError{Field: "tiers", Message: "give between 1 and 50 price tiers"})
	}
	for i, t := range tiers {
		f := fmt.Sprintf("tiers[%d]", i)
		if _, fe := cleanText(f+".name", t.Name, 1, 60); fe != nil {
			fields = append(fields, *fe)
		}
		switch {
		case t.PriceCents < 0:
			fields = append(fields, FieldError{Field: f + ".price_cents", Message: "must not be negative"})
		case t.PriceCents < ss.MinPriceCents:
			fields = append(fields, FieldError{Field: f + ".price_cents", Message: fmt.Sprintf("is below the minimum price %d", ss.MinPriceCents)})
		case t.PriceCents > 100_000_00:
			fields = append(fields, FieldError{Field: f + ".price_cents", Message: "is implausibly high"})
		}
		if t.SeatType != "" && !slices.Contains([]seatmap.SeatType{seatmap.TypeStandard, seatmap.TypeAccessible, seatmap.TypeCouple, seatmap.TypeVIP, seatmap.TypeBox}, t.SeatType) {
			fields = append(fields, FieldError{Field: f + ".seat_type", Message: "unknown seat type"})
		}
		tiers[i].SessionID = ss.ID
	}
	if len(fields) > 0 {
		return nil, invalid("invalid_prices", "the prices cannot be set", fields...)
	}
	var out []PriceTier
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		before, err := tx.PriceTiers(ctx, ss.ID)
		if err != nil {
			return err
		}
		if out, err = tx.ReplacePriceTiers(ctx, ss.ID, tiers); err != nil {
			return err
		}
		rec(change{action: "prices.set", object: "session:" + itoa(ss.ID), tenantID: ss.TenantID, venueID: ss.VenueID, before: before, after: out})
		return s.feedSeatMap(ctx, tx, ss)
	})
	return out, err
}

func (s *Service) Prices(ctx context.Context, p Principal, sessionID int64) ([]PriceTier, error) {
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	return s.store.PriceTiers(ctx, ss.ID)
}

// SetQuotas replaces the session's per-channel (and per-tier) quotas.
func (s *Service) SetQuotas(ctx context.Context, p Principal, sessionID int64, qs []Quota) (Session, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return Session{}, err
	}
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return Session{}, err
	}
	tiers, err := s.store.PriceTiers(ctx, ss.ID)
	if err != nil {
		return Session{}, err
	}
	var fields []FieldError
	for i, q := range qs {
		f := fmt.Sprintf("quotas[%d]", i)
		if !q.Channel.Valid() {
			fields = append(fields, FieldError{Field: f + ".channel", Message: "must be pos, kiosk, web, agency or contract"})
		}
		if q.Limit < 0 {
			fields = append(fields, FieldError{Field: f + ".limit", Message: "must not be negative"})
		}
		if q.Party != "" && !ValidParty(q.Party) {
			fields = append(fields, FieldError{Field: f + ".party", Message: "must be kind:id, e.g. agency:12"})
		}
		if q.TierID != 0 && !slices.ContainsFunc(tiers, func(t PriceTier) bool { return t.ID == q.TierID }) {
			fields = append(fields, FieldError{Field: f + ".tier_id", Message: "no such tier in this session"})
		}
	}
	if len(fields) > 0 {
		return Session{}, invalid("invalid_quotas", "the quotas cannot be set", fields...)
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		rec(change{action: "quotas.set", object: "session:" + itoa(ss.ID), tenantID: ss.TenantID, venueID: ss.VenueID, before: ss.Quotas, after: qs})
		return tx.SetQuotas(ctx, ss.ID, qs)
	})
	s.reads.forgetSession(ss.ID)
	ss.Quotas = qs
	return ss, err
}

// CategoryChange is the input to SetSeatCategory.
type CategoryChange struct {
	SeatIDs       []int64    `json:"seat_ids"`
	Category      Category   `json:"category"`
	ReservedFor   string     `json:"reserved_for"`
	ReservedUntil *time.Time `json:"reserved_until"`
	Reason        string     `json:"reason"`
}

// SetSeatCategory reserves seats for a customer, holds them back, marks them
// not for sale, or releases them to sale. Only seats not held or sold move.
func (s *Service) SetSeatCategory(ctx context.Context, p Principal, sessionID int64, in CategoryChange) error {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return err
	}
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return err
	}
	var fields []FieldError
	if !in.Category.Valid() {
		fields = append(fields, FieldError{Field: "category", Message: "must be sellable, reserved, held_back or non_sale"})
	}
	if len(in.SeatIDs) == 0 || len(in.SeatIDs) > 10_000 {
		fields = append(fields, FieldError{Field: "seat_ids", Message: "give between 1 and 10000 seats"})
	}
	if in.Category == CategoryReserved {
		if _, fe := cleanText("reserved_for", in.ReservedFor, 1, 80); fe != nil {
			fields = append(fields, *fe)
		}
		if in.ReservedUntil == nil || !in.ReservedUntil.After(s.now()) {
			fields = append(fields, FieldError{Field: "reserved_until", Message: "must be a time in the future"})
		}
	} else if in.ReservedFor != "" || in.ReservedUntil != nil {
		fields = append(fields, FieldError{Field: "reserved_for", Message: "only reserved seats name a customer"})
	}
	if len(fields) > 0 {
		return invalid("invalid_category", "the seat category cannot be set", fields...)
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		refused, err := tx.SetSeatCategory(ctx, ss.ID, in.SeatIDs, in.Category, in.ReservedFor, in.ReservedUntil)
		if err != nil {
			return err
		}
		if len(refused) > 0 {
			e := conflict("seats_unavailable", "some seats are held, sold or not in this session; nothing was changed")
			for _, id := range refused {
				e.Seats = append(e.Seats, SeatProblem{SeatID: id, Reason: "held, sold or unknown"})
			}
			return e
		}
		if in.Category != CategorySellable {
			if err := s.publicShare(ctx, tx, ss); err != nil {
				return err
			}
		}
		rec(change{action: "seats.category", object: "session:" + itoa(ss.ID), tenantID: ss.TenantID, venueID: ss.VenueID, reason: in.Reason, after: in})
		return s.feedSeatMap(ctx, tx, ss)
	})
	return err
}

// The rules for shows of 5,000 people and more (real-name events here):
// at least 85 % of the tickets go on public sale, so at most 15 % of the
// seats may be reserved, held back or kept from sale.
const (
	PublicShareMinSeats = 5000
	PublicSharePercent  = 85
)

// publicShare refuses, in the change's transaction, a category change
// that keeps more than the rules allow off public sale.
func (s *Service) publicShare(ctx context.Context, tx Tx, ss Session) error {
	ev, err := tx.GetEvent(ctx, ss.TenantID, ss.EventID)
	if err != nil || !ev.RealName {
		return err
	}
	seats, err := tx.SessionSeats(ctx, ss.ID)
	if err != nil || len(seats) < PublicShareMinSeats {
		return err
	}
	kept := 0
	for _, st := range seats {
		if st.Category != CategorySellable {
			kept++
		}
	}
	if kept*100 > (100-PublicSharePercent)*len(seats) {
		return conflict("public_share", fmt.Sprintf("at least %d%% of a real-name show of %d seats goes on public sale: %d of them would be kept back, at most %d may",
			PublicSharePercent, len(seats), kept, (100-PublicSharePercent)*len(seats)/100))
	}
	return nil
}

// ChannelSettings lists the tenant's per-channel settings with defaults.
func (s *Service) ChannelSettings(ctx context.Context, p Principal) ([]ChannelSettings, error) {
	stored, err := s.store.ChannelSettings(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]ChannelSettings, 0, len(Channels))
	for _, c := range Channels {
		cs := ChannelSettings{Channel: c, HoldTTLSec: defaultHoldTTL(c)}
		for _, x := range stored {
			if x.Channel == c {
				cs = x
			}
		}
		out = append(out, cs)
	}
	return out, nil
}

func defaultHoldTTL(c Channel) int {
	switch c {
	case ChannelPOS, ChannelKiosk:
		return 5 * 60
	case ChannelAgency:
		return 30 * 60
	}
	return 15 * 60
}

// PutChannelSettings sets a channel's hold time to live.
func (s *Service) PutChannelSettings(ctx context.Context, p Principal, cs ChannelSettings) (ChannelSettings, error) {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return cs, err
	}
	if !cs.Channel.Valid() {
		return cs, invalid("invalid_channel", "unknown channel", FieldError{Field: "channel", Message: "must be pos, kiosk, web, agency or contract"})
	}
	if cs.HoldTTLSec < 30 || cs.HoldTTLSec > 24*3600 {
		return cs, invalid("invalid_channel", "bad hold time", FieldError{Field: "hold_ttl_seconds", Message: "must be between 30 and 86400"})
	}
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		rec(change{action: "channel.settings", object: "channel:" + string(cs.Channel), tenantID: p.TenantID, after: cs})
		return tx.PutChannelSettings(ctx, p.TenantID, cs)
	})
	s.reads.forgetChannels(p.TenantID)
	return cs, err
}
