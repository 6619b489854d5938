package sales

import (
	"context"
	"time"
)

// SessionFacts are a session's names for reporting it to the national
// data platform: the venue's code and time zone, the hall's code, the
// event's kind and code (a film's platform film code), and its times.
type SessionFacts struct {
	VenueCode    string
	Timezone     string
	HallCode     string
	EventKind    string
	EventCode    string
	StartsAt     time.Time
	EndsAt       time.Time
	BusinessDate string
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
	return SessionFacts{VenueCode: v.Code, Timezone: v.Timezone, HallCode: h.Code, EventKind: e.Kind, EventCode: e.Code,
		StartsAt: ss.StartsAt, EndsAt: ss.EndsAt, BusinessDate: ss.BusinessDate}, nil
}
