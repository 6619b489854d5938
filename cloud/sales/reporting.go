package sales

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/seatmap"
)

// SessionFacts are a session's names for reporting it to the national
// data platform: the venue's code and time zone, the hall's code, the
// event's kind and code (a film's platform film code), and its times.
type SessionFacts struct {
	VenueID       int64
	VenueCode     string
	VenueStatus   string // trial, open, closed
	Timezone      string
	HallID        int64
	HallCode      string
	EventKind     string
	EventCode     string
	StartsAt      time.Time
	EndsAt        time.Time
	BusinessDate  string
	Cancelled     bool
	MinPriceCents int64 // the regulator's lowest price (最低票价)
	StandardCents int64 // the highest price level (标准定价)
}

// SessionFacts looks a session up for the reporter, which runs inside the
// cloud on behalf of every tenant: no principal, no audit, read only.
func (s *Service) SessionFacts(ctx context.Context, tenantID, sessionID int64) (SessionFacts, error) {
	ss, err := s.cachedSession(ctx, tenantID, sessionID)
	if err != nil {
		return SessionFacts{}, err
	}
	v, err := s.cachedVenue(ctx, tenantID, ss.VenueID)
	if err != nil {
		return SessionFacts{}, err
	}
	h, err := s.store.GetHall(ctx, tenantID, ss.HallID)
	if err != nil {
		return SessionFacts{}, err
	}
	e, err := s.store.GetEvent(ctx, tenantID, ss.EventID)
	if err != nil {
		return SessionFacts{}, err
	}
	tiers, err := s.store.PriceTiers(ctx, sessionID)
	if err != nil {
		return SessionFacts{}, err
	}
	out := SessionFacts{VenueID: v.ID, VenueCode: v.Code, VenueStatus: v.BusinessStatus, Timezone: v.Timezone, HallID: h.ID, HallCode: h.Code, EventKind: e.Kind, EventCode: e.Code,
		StartsAt: ss.StartsAt, EndsAt: ss.EndsAt, BusinessDate: ss.BusinessDate, Cancelled: ss.Status == SessionCancelled,
		MinPriceCents: ss.MinPriceCents, StandardCents: ss.MinPriceCents}
	for _, t := range tiers {
		out.StandardCents = max(out.StandardCents, t.PriceCents)
	}
	return out, nil
}

// CatalogChange is the outbox payload (kind "catalog.changed") of a change
// the regulator's platform hears of within a minute (§9.2.4): a hall and
// its seats, or a session of the screening plan.
type CatalogChange struct {
	Action    string    `json:"action"` // hall.create, seatmap.import, session.create, session.cancel, prices.set, venue.status
	HallID    int64     `json:"hall_id,omitempty"`
	SessionID int64     `json:"session_id,omitempty"`
	VenueID   int64     `json:"venue_id,omitempty"`
	Status    string    `json:"status,omitempty"` // venue.status: the new one
	At        time.Time `json:"at,omitzero"`
}

// catalogChange is the outbox payload of an audited change, if the
// platform hears of it.
func catalogChange(c change) (CatalogChange, bool) {
	switch c.action {
	case "hall.create", "seatmap.import", "session.create", "session.cancel", "prices.set", "venue.status":
	default:
		return CatalogChange{}, false // the sales path: nothing to parse
	}
	kind, id, _ := strings.Cut(c.object, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return CatalogChange{}, false
	}
	switch kind {
	case "hall":
		return CatalogChange{Action: c.action, HallID: n}, true
	case "session":
		return CatalogChange{Action: c.action, SessionID: n}, true
	case "venue":
		after, _ := c.after.(map[string]string)
		return CatalogChange{Action: c.action, VenueID: n, Status: after["status"]}, true
	}
	return CatalogChange{}, false
}

// HallFacts are a hall as the platform knows it (§9.2.4): its seats, and
// whether it screens films (only those halls are reported).
type HallFacts struct {
	VenueCode    string
	HallCode     string
	Name         string
	Seats        []HallSeatFacts
	FilmSessions int // scheduled, not cancelled
}

// HallSeatFacts is one seat of a hall in service.
type HallSeatFacts struct {
	SeatID  int64
	Section string
	Row     string
	Col     int
	Type    string
}

// HallFacts looks a hall up for the reporter (no principal, read only).
func (s *Service) HallFacts(ctx context.Context, tenantID, hallID int64) (HallFacts, error) {
	h, err := s.store.GetHall(ctx, tenantID, hallID)
	if err != nil {
		return HallFacts{}, err
	}
	v, err := s.cachedVenue(ctx, tenantID, h.VenueID)
	if err != nil {
		return HallFacts{}, err
	}
	_, seats, err := s.store.HallSeatMap(ctx, hallID)
	if err != nil {
		return HallFacts{}, err
	}
	out := HallFacts{VenueCode: v.Code, HallCode: h.Code, Name: h.Name}
	for _, st := range seats {
		if st.State != seatmap.StateOK && st.State != seatmap.StateObstructed {
			continue
		}
		out.Seats = append(out.Seats, HallSeatFacts{SeatID: st.ID, Section: st.Section, Row: st.Row, Col: st.Col, Type: string(st.Type)})
	}
	sessions, err := s.store.ListSessions(ctx, tenantID, SessionFilter{VenueIDs: []int64{h.VenueID}})
	if err != nil {
		return HallFacts{}, err
	}
	events := map[int64]string{}
	for _, ss := range sessions {
		if ss.HallID != hallID || ss.Status == SessionCancelled {
			continue
		}
		kind, ok := events[ss.EventID]
		if !ok {
			e, err := s.store.GetEvent(ctx, tenantID, ss.EventID)
			if err != nil {
				return HallFacts{}, err
			}
			kind, events[ss.EventID] = e.Kind, e.Kind
		}
		if kind == "film" {
			out.FilmSessions++
		}
	}
	return out, nil
}

// SessionFigures are a session's box office for the daily statistics
// (§9.2.6): tickets sold (refunded ones included) and refunded, with their
// amounts, at the box office (pos, kiosk) and through the network (web,
// agency).
type SessionFigures struct {
	SessionID            int64
	LocalSold            int
	LocalRefunded        int
	LocalSoldCents       int64
	LocalRefundedCents   int64
	NetworkSold          int
	NetworkRefunded      int
	NetworkSoldCents     int64
	NetworkRefundedCents int64
}

// DayFigures are the figures of each film session of a venue's business
// day (no principal: the reporter's).
func (s *Service) DayFigures(ctx context.Context, tenantID, venueID int64, businessDate string) ([]SessionFigures, error) {
	sessions, err := s.store.ListSessions(ctx, tenantID, SessionFilter{VenueID: venueID, BusinessDate: businessDate})
	if err != nil {
		return nil, err
	}
	kinds := map[int64]string{}
	var out []SessionFigures
	for _, ss := range sessions {
		kind, ok := kinds[ss.EventID]
		if !ok {
			e, err := s.store.GetEvent(ctx, tenantID, ss.EventID)
			if err != nil {
				return nil, err
			}
			kind, kinds[ss.EventID] = e.Kind, e.Kind
		}
		if kind != "film" {
			continue
		}
		f, err := s.store.SessionFigures(ctx, ss.ID)
		if err != nil {
			return nil, err
		}
		f.SessionID = ss.ID
		out = append(out, f)
	}
	return out, nil
}

// AllVenues lists every tenant's venues, for the reporter's daily work.
func (s *Service) AllVenues(ctx context.Context) ([]Venue, error) { return s.store.ListVenues(ctx, -1) }

// VenueHalls lists a venue's hall ids (the reporter's; no principal).
func (s *Service) VenueHalls(ctx context.Context, tenantID, venueID int64) ([]int64, error) {
	hs, err := s.store.ListHalls(ctx, tenantID, venueID)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out, nil
}

// VenueSessions lists the ids of a venue's sessions of a business day
// (the reporter's; no principal).
func (s *Service) VenueSessions(ctx context.Context, tenantID, venueID int64, businessDate string) ([]int64, error) {
	ss, err := s.store.ListSessions(ctx, tenantID, SessionFilter{VenueID: venueID, BusinessDate: businessDate})
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(ss))
	for i, x := range ss {
		out[i] = x.ID
	}
	return out, nil
}
