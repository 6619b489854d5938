package report

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// Service is what people see of the reporting and do with it: the queue,
// the reports that need a person, and re-sending one.
type Service struct {
	store      Store
	configured bool
	now        func() time.Time
	films      FilmSource
	facts      Facts    // nil: no 补登 (the cloud reports to no platform)
	holdings   Holdings // nil: no reconciliation
}

// FilmSource downloads the platform's films (report/platform.Client).
type FilmSource interface {
	Films(ctx context.Context, from, to string) (wire.Films, error)
}

// SetFilmSource lets people choose films from the platform's list.
func (s *Service) SetFilmSource(f FilmSource) { s.films = f }

// Films lists the films the platform has for a period around now, so a
// person creating a film event chooses its code (§9.2.1).
func (s *Service) Films(ctx context.Context, p sales.Principal) (wire.Films, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return wire.Films{}, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.ManageSessions))
	}
	if s.films == nil {
		return wire.Films{}, sales.NotFound("national data platform")
	}
	now := s.now()
	return s.films.Films(ctx, now.AddDate(0, -3, 0).Format("2006-01-02"), now.AddDate(0, 3, 0).Format("2006-01-02"))
}

// SetFacts lets people record 补登 of the sessions the facts know.
func (s *Service) SetFacts(f Facts) { s.facts = f }

// NewService serves the queue in st; configured says whether this cloud
// reports to a platform at all.
func NewService(st Store, configured bool, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, configured: configured, now: now}
}

// Overview is the reporting page's content.
type Overview struct {
	Configured bool        `json:"configured"` // a platform is configured
	Queue      QueueStatus `json:"queue"`
	// LagSeconds is the age of the oldest report not yet delivered: over
	// 60 s is late by the rule (§9.1.2, §7.3).
	LagSeconds float64  `json:"lag_s"`
	Attention  []Report `json:"attention"`
	// Days are the latest reconciliations, newest business day first.
	Days []Reconciliation `json:"days"`
}

// attentionLimit bounds the reports the overview lists.
const attentionLimit = 100

// scope is what a principal sees: every tenant (platform admin), the
// tenant, or the venues of a venue-bound role.
func scope(p sales.Principal) Scope {
	switch {
	case p.Role == auth.RolePlatformAdmin:
		return All
	case p.Role.TenantWide():
		return Scope{TenantID: p.TenantID}
	}
	return Scope{TenantID: p.TenantID, VenueIDs: append([]int64{}, p.VenueIDs...)}
}

// Overview shows the caller's tenant's reporting (every tenant's to the
// platform admin).
func (s *Service) Overview(ctx context.Context, p sales.Principal) (Overview, error) {
	if !auth.Can(p.Role, auth.ReadReports) {
		return Overview{}, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.ReadReports))
	}
	q, err := s.store.Queue(ctx, scope(p))
	if err != nil {
		return Overview{}, err
	}
	att, err := s.store.Attention(ctx, scope(p), attentionLimit)
	if err != nil {
		return Overview{}, err
	}
	if att == nil {
		att = []Report{}
	}
	days, err := s.store.Reconciliations(ctx, scope(p), 31)
	if err != nil {
		return Overview{}, err
	}
	if days == nil {
		days = []Reconciliation{}
	}
	o := Overview{Configured: s.configured, Queue: q, Attention: att, Days: days}
	if q.OldestPending != nil {
		o.LagSeconds = s.now().Sub(*q.OldestPending).Seconds()
	}
	return o, nil
}

// Resend puts a refused or failing report back in the queue, sealed
// afresh when it goes (a refusal may have been a key since replaced).
func (s *Service) Resend(ctx context.Context, p sales.Principal, id int64) (Report, error) {
	if !auth.Can(p.Role, auth.ManageReports) {
		return Report{}, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.ManageReports))
	}
	now := s.now().UTC()
	after, _ := json.Marshal(map[string]any{"state": StatePending, "due": now})
	e := audit.Entry{At: now, TenantID: p.TenantID, Actor: p.Actor(), Action: "report.resend", Object: "report:" + strconv.FormatInt(id, 10), After: after}
	r, err := s.store.Resend(ctx, scope(p), id, now, e)
	if errors.Is(err, ErrNotResendable) {
		return Report{}, sales.NotFound("refused or failing report")
	}
	return r, err
}
