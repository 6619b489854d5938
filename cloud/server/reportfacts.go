package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/report"
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
	loc := time.UTC
	if l, ok := f.zones.Load(x.Timezone); ok {
		loc = l.(*time.Location)
	} else if l, err := time.LoadLocation(x.Timezone); err == nil {
		f.zones.Store(x.Timezone, l)
		loc = l
	}
	return report.SessionFacts{Film: x.EventKind == "film", CinemaCode: x.VenueCode, Location: loc, HallCode: x.HallCode,
		FilmCode: x.EventCode, SessionCode: strconv.FormatInt(sessionID, 10), StartsAt: x.StartsAt, BusinessDate: x.BusinessDate}, nil
}
