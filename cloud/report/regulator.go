package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
)

// Regulator answers the national data platform's queries (§9.3) from what
// the cloud holds, about the venues it knows by their cinema code. It only
// reads, except that a raw-data query (§9.3.5) queues the records of its
// days to be reported again.
type Regulator struct {
	facts   Facts
	store   Store
	vendor  string // this system's code
	version string // its software version
	now     func() time.Time
}

// NewRegulator answers queries with the facts and the report queue.
func NewRegulator(facts Facts, st Store, vendor, version string, now func() time.Time) *Regulator {
	if now == nil {
		now = time.Now
	}
	return &Regulator{facts: facts, store: st, vendor: vendor, version: version, now: now}
}

// RereportAnswer is the immediate answer of a raw-data query.
type RereportAnswer struct {
	Requeued int `json:"requeued"` // records that will be reported again
}

// Answer answers one query.
func (g *Regulator) Answer(ctx context.Context, i wire.Interface, q wire.RangeQuery) (any, error) {
	v, err := g.venue(ctx, q.Cinema)
	if err != nil {
		return nil, err
	}
	switch i {
	case wire.QueryCinema:
		halls, err := g.halls(ctx, v, "")
		if err != nil {
			return nil, err
		}
		status := v.Status
		if status == "" {
			status = wire.StatusOpen
		}
		info := wire.CinemaInfo{Code: v.Code, Name: v.Name, Status: status, Halls: len(halls), HallSeats: []wire.HallSize{},
			Vendor: g.vendor, SoftwareVersion: g.version}
		for _, h := range halls {
			info.HallSeats = append(info.HallSeats, wire.HallSize{Hall: h.Hall, Seats: len(h.Seats)})
		}
		return info, nil
	case wire.QueryHalls:
		return g.halls(ctx, v, q.Hall)
	case wire.QueryPlans:
		out := []wire.PlanReport{}
		err := eachDay(q.From, q.To, func(date string) error {
			p, err := g.plan(ctx, v, date)
			if err == nil && len(p.Sessions) > 0 {
				out = append(out, p)
			}
			return err
		})
		return out, err
	case wire.QueryStats:
		out := []wire.SessionStats{}
		err := eachDay(q.From, q.To, func(date string) error {
			rs, err := dayStats(ctx, g.store, g.facts, v, date, g.now())
			if err != nil {
				return err
			}
			for _, r := range rs {
				var st wire.SessionStats
				if err := json.Unmarshal(r.Body, &st); err != nil {
					return err
				}
				out = append(out, st)
			}
			return nil
		})
		return out, err
	case wire.QueryTickets:
		n, err := g.store.Rereport(ctx, v.ID, q.From, q.To, g.now())
		return RereportAnswer{Requeued: n}, err
	case wire.QueryLog:
		rs, err := g.store.PlanHistory(ctx, v.ID, q.From, q.To)
		if err != nil {
			return nil, err
		}
		out := []wire.PlanLogEntry{}
		for _, r := range rs {
			var p wire.PlanReport
			if err := json.Unmarshal(r.Body, &p); err != nil {
				return nil, err
			}
			for _, e := range p.Sessions {
				out = append(out, wire.PlanLogEntry{Cinema: p.Cinema, BusinessDate: p.BusinessDate, Hall: e.Hall, Session: e.Session,
					StartsAt: e.StartsAt, Seated: e.Seated, StandardCents: e.StandardCents, Operation: e.Operation, At: r.CreatedAt})
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("report: %s is not a query", i)
}

// venue finds the cinema by its code; an unknown one is the platform's
// mistake, said as a field error.
func (g *Regulator) venue(ctx context.Context, code string) (VenueFacts, error) {
	vs, err := g.facts.Venues(ctx)
	if err != nil {
		return VenueFacts{}, err
	}
	for _, v := range vs {
		if v.Code == code {
			return v, nil
		}
	}
	return VenueFacts{}, &wire.FieldError{Field: "cinema_code", Message: "no cinema " + code + " in this system"}
}

func (g *Regulator) halls(ctx context.Context, v VenueFacts, only string) ([]wire.HallReport, error) {
	ids, err := g.facts.VenueHalls(ctx, v.TenantID, v.ID)
	if err != nil {
		return nil, err
	}
	out := []wire.HallReport{}
	for _, id := range ids {
		h, err := g.facts.HallFacts(ctx, v.TenantID, id)
		if err != nil {
			return nil, err
		}
		if only != "" && h.HallCode != only {
			continue
		}
		out = append(out, wire.HallReport{Cinema: h.CinemaCode, Hall: h.HallCode, Name: h.Name, Seats: h.Seats})
	}
	return out, nil
}

// plan is a business day's film sessions as the plan holds them now.
func (g *Regulator) plan(ctx context.Context, v VenueFacts, date string) (wire.PlanReport, error) {
	p := wire.PlanReport{BusinessDate: date, Cinema: v.Code}
	ids, err := g.facts.VenueSessions(ctx, v.TenantID, v.ID, date)
	if err != nil {
		return p, err
	}
	for _, id := range ids {
		f, err := g.facts.SessionFacts(ctx, v.TenantID, id)
		if err != nil {
			return p, err
		}
		if !f.Film || f.Cancelled {
			continue
		}
		p.Sessions = append(p.Sessions, wire.PlanEntry{Hall: f.HallCode, Film: f.FilmCode, Session: f.SessionCode, StartsAt: f.StartsAt.UTC(),
			EndsAt: f.EndsAt.UTC(), Seated: true, StandardCents: f.StandardCents, MinCents: f.MinCents, Operation: wire.OpCreate})
	}
	return p, nil
}

// eachDay calls fn for each business date from..to.
func eachDay(from, to string, fn func(string) error) error {
	f, err := time.Parse("2006-01-02", from)
	if err != nil {
		return err
	}
	t, err := time.Parse("2006-01-02", to)
	if err != nil {
		return err
	}
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		if err := fn(d.Format("2006-01-02")); err != nil {
			return err
		}
	}
	return nil
}
