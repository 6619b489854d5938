package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// reportFacts gives the reporter the platform's names of a session.
type reportFacts struct {
	svc   *sales.Service
	zones sync.Map // time zone name -> *time.Location
}

func (f *reportFacts) SessionFacts(ctx context.Context, tenantID, sessionID int64) (report.SessionFacts, error) {
	x, err := f.svc.SessionFacts(ctx, tenantID, sessionID)
	if err != nil {
		return report.SessionFacts{}, err
	}
	loc := f.location(x.Timezone)
	return report.SessionFacts{Film: x.EventKind == "film", VenueID: x.VenueID, CinemaCode: x.VenueCode, CinemaStatus: x.VenueStatus, Location: loc, HallID: x.HallID, HallCode: x.HallCode,
		FilmCode: x.EventCode, SessionCode: strconv.FormatInt(sessionID, 10), StartsAt: x.StartsAt, EndsAt: x.EndsAt, BusinessDate: x.BusinessDate,
		MinCents: x.MinPriceCents, StandardCents: x.StandardCents, Cancelled: x.Cancelled}, nil
}

func (f *reportFacts) VenueHalls(ctx context.Context, tenantID, venueID int64) ([]int64, error) {
	return f.svc.VenueHalls(ctx, tenantID, venueID)
}

func (f *reportFacts) VenueSessions(ctx context.Context, tenantID, venueID int64, date string) ([]int64, error) {
	return f.svc.VenueSessions(ctx, tenantID, venueID, date)
}

func (f *reportFacts) location(name string) *time.Location {
	if l, ok := f.zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	f.zones.Store(name, l)
	return l
}

func (f *reportFacts) Venues(ctx context.Context) ([]report.VenueFacts, error) {
	vs, err := f.svc.AllVenues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]report.VenueFacts, len(vs))
	for i, v := range vs {
		out[i] = report.VenueFacts{ID: v.ID, TenantID: v.TenantID, Code: v.Code, Name: v.Name, Status: v.BusinessStatus, Location: f.location(v.Timezone),
			DayStart: v.BusinessDayStartMinutes}
	}
	return out, nil
}

func (f *reportFacts) DayFigures(ctx context.Context, tenantID, venueID int64, date string) ([]sales.SessionFigures, error) {
	return f.svc.DayFigures(ctx, tenantID, venueID, date)
}

func (f *reportFacts) HallFacts(ctx context.Context, tenantID, hallID int64) (report.HallFacts, error) {
	x, err := f.svc.HallFacts(ctx, tenantID, hallID)
	if err != nil {
		return report.HallFacts{}, err
	}
	out := report.HallFacts{CinemaCode: x.VenueCode, HallCode: x.HallCode, Name: x.Name, Films: x.FilmSessions > 0}
	for _, s := range x.Seats {
		typ := s.Type
		if typ == "" {
			typ = "standard"
		}
		out.Seats = append(out.Seats, wire.HallSeat{Code: strconv.FormatInt(s.SeatID, 10), Section: s.Section, Row: s.Row,
			Col: strconv.Itoa(s.Col), Type: typ})
	}
	return out, nil
}
