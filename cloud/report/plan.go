package report

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// State is where a report is in its delivery.
type State string

const (
	StatePending   State = "pending"   // not yet delivered: due at NextAt
	StateDelivered State = "delivered" // the platform stored it
	StateRefused   State = "refused"   // the platform said no: a person must look
)

// Report is one message to the platform, kept from the transaction that
// made it until the platform has it.
type Report struct {
	ID        int64          `json:"id"`
	TenantID  int64          `json:"tenant_id"`
	VenueID   int64          `json:"venue_id"`
	Serial    string         `json:"serial"` // 流水号: the same on every send
	Interface wire.Interface `json:"interface"`
	// Key orders delivery: reports with one key reach the platform in the
	// order they were made (a ticket's refund never before its sale).
	Key       string          `json:"key"`
	Body      json.RawMessage `json:"body"`
	Message   []byte          `json:"-"` // the sealed envelope, signed once when planned
	CreatedAt time.Time       `json:"created_at"`

	State       State      `json:"state"`
	Sends       int        `json:"sends"`    // over every communication
	Failures    int        `json:"failures"` // communications without an answer
	NextAt      time.Time  `json:"next_at"`
	LastError   string     `json:"last_error,omitempty"`
	Answer      string     `json:"answer,omitempty"` // the platform's last answer code
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// OutboxEntry is an event the sales core wrote in its transaction.
type OutboxEntry struct {
	ID       int64
	TenantID int64
	VenueID  int64
	Kind     string
	Payload  json.RawMessage
	At       time.Time
}

// SessionFacts are what the platform knows a session by.
type SessionFacts struct {
	Film          bool // only films are reported
	VenueID       int64
	CinemaCode    string // the venue's 8-digit code
	CinemaStatus  string // trial, open, closed
	Location      *time.Location
	HallID        int64
	HallCode      string
	FilmCode      string
	SessionCode   string
	StartsAt      time.Time
	EndsAt        time.Time
	BusinessDate  string
	MinCents      int64
	StandardCents int64
	Cancelled     bool
}

// HallFacts are what the platform knows a hall by, and whether it
// screens films (only those are reported).
type HallFacts struct {
	CinemaCode string
	HallCode   string
	Name       string
	Seats      []wire.HallSeat
	Films      bool
}

// VenueFacts are a venue's code and its business day: its time zone and
// the time of day a business day starts.
type VenueFacts struct {
	ID, TenantID int64
	Code         string
	Name         string
	Status       string // trial, open, closed
	Location     *time.Location
	DayStart     int // minutes after midnight
}

// BusinessDate is the venue's business date at t.
func (v VenueFacts) BusinessDate(t time.Time) string {
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	return sales.BusinessDate(t, loc, v.DayStart)
}

// Facts looks sessions, halls, venues and a day's figures up for planning.
type Facts interface {
	SessionFacts(ctx context.Context, tenantID, sessionID int64) (SessionFacts, error)
	HallFacts(ctx context.Context, tenantID, hallID int64) (HallFacts, error)
	Venues(ctx context.Context) ([]VenueFacts, error)
	DayFigures(ctx context.Context, tenantID, venueID int64, businessDate string) ([]sales.SessionFigures, error)
	VenueHalls(ctx context.Context, tenantID, venueID int64) ([]int64, error)
	VenueSessions(ctx context.Context, tenantID, venueID int64, businessDate string) ([]int64, error)
}

// PlanDay is a venue's business day's daily statistics (§9.2.6): one
// message per film session of the day, serial named by venue, day and
// session, so planning the day twice makes the same reports. makeups are
// the day's released sale 补登 by session.
func PlanDay(ctx context.Context, v VenueFacts, date string, figures []sales.SessionFigures, makeups map[int64]MakeupFigure, facts Facts, at time.Time) ([]Report, error) {
	var out []Report
	for _, f := range figures {
		sf, err := facts.SessionFacts(ctx, v.TenantID, f.SessionID)
		if err != nil {
			return nil, fmt.Errorf("report: day %s of %s: session %d: %w", date, v.Code, f.SessionID, err)
		}
		if !sf.Film {
			continue
		}
		status := sf.CinemaStatus
		if status == "" {
			status = wire.StatusOpen
		}
		st := wire.SessionStats{BusinessDate: date, Cinema: sf.CinemaCode, CinemaStatus: status, Hall: sf.HallCode, Film: sf.FilmCode,
			Session: sf.SessionCode, StartsAt: sf.StartsAt.UTC(), LocalSold: f.LocalSold, LocalRefunded: f.LocalRefunded,
			LocalSoldCents: f.LocalSoldCents, LocalRefundedCents: f.LocalRefundedCents, NetworkSold: f.NetworkSold,
			NetworkRefunded: f.NetworkRefunded, NetworkSoldCents: f.NetworkSoldCents, NetworkRefundedCents: f.NetworkRefundedCents,
			MakeupCount: makeups[f.SessionID].Count, MakeupCents: makeups[f.SessionID].Cents}
		body, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		out = append(out, Report{TenantID: v.TenantID, VenueID: v.ID, Serial: "D" + strconv.FormatInt(v.ID, 10) + "-" + strings.ReplaceAll(date, "-", "") + "-" + sf.SessionCode,
			Interface: wire.DailyStats, Key: "day:" + strconv.FormatInt(v.ID, 10) + ":" + date, Body: body, CreatedAt: at, State: StatePending, NextAt: at})
	}
	return out, nil
}

// Plan turns outbox entries into the reports they make: one raw ticket
// record per ticket sold or refunded in a film session (§9.2.5). Other
// entries make none. The serial is the entry's and the ticket's place in
// it, so planning an entry twice makes the same reports.
func Plan(ctx context.Context, entries []OutboxEntry, facts Facts) ([]Report, error) {
	var out []Report
	cache := map[int64]SessionFacts{}
	session := func(tenantID, id int64) (SessionFacts, error) {
		f, ok := cache[id]
		if !ok {
			var err error
			if f, err = facts.SessionFacts(ctx, tenantID, id); err != nil {
				return f, fmt.Errorf("session %d: %w", id, err)
			}
			cache[id] = f
		}
		return f, nil
	}
	for _, e := range entries {
		var op string
		var tickets []sales.TicketFact
		switch e.Kind {
		case "catalog.changed":
			var c sales.CatalogChange
			if err := json.Unmarshal(e.Payload, &c); err != nil {
				return nil, fmt.Errorf("report: outbox %d: %w", e.ID, err)
			}
			rs, err := planCatalog(ctx, e, c, facts, session)
			if err != nil {
				return nil, fmt.Errorf("report: outbox %d: %w", e.ID, err)
			}
			out = append(out, rs...)
			continue
		case "tickets.issued":
			var p sales.TicketsIssued
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				return nil, fmt.Errorf("report: outbox %d: %w", e.ID, err)
			}
			op, tickets = wire.OpSale, p.Tickets
		case "tickets.revoked":
			var p sales.TicketsRevoked
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				return nil, fmt.Errorf("report: outbox %d: %w", e.ID, err)
			}
			op, tickets = wire.OpRefund, p.Tickets
		default:
			continue
		}
		for i, t := range tickets {
			f, err := session(e.TenantID, t.SessionID)
			if err != nil {
				return nil, fmt.Errorf("report: outbox %d: %w", e.ID, err)
			}
			if !f.Film {
				continue
			}
			rec := ticketRecord(f, op, t)
			body, err := json.Marshal(rec)
			if err != nil {
				return nil, err
			}
			out = append(out, Report{TenantID: e.TenantID, VenueID: e.VenueID, Serial: "T" + strconv.FormatInt(e.ID, 10) + "-" + strconv.Itoa(i),
				Interface: wire.RawTicket, Key: t.Number, Body: body, CreatedAt: e.At, State: StatePending, NextAt: e.At})
		}
	}
	return out, nil
}

// planCatalog reports a change of a film hall (its seats, §9.2.4) or of a
// film session (its business day's plan entry, §9.2.4); a film session's
// creation also reports its hall, so the platform knows the seats of every
// hall that screens films.
func planCatalog(ctx context.Context, e OutboxEntry, c sales.CatalogChange, facts Facts, session func(int64, int64) (SessionFacts, error)) ([]Report, error) {
	serial := "C" + strconv.FormatInt(e.ID, 10)
	hall := func(id int64, n int) (Report, bool, error) {
		h, err := facts.HallFacts(ctx, e.TenantID, id)
		if err != nil || !h.Films {
			return Report{}, false, err
		}
		body, err := json.Marshal(wire.HallReport{Cinema: h.CinemaCode, Hall: h.HallCode, Name: h.Name, Seats: h.Seats})
		return Report{TenantID: e.TenantID, VenueID: e.VenueID, Serial: serial + "-" + strconv.Itoa(n), Interface: wire.HallSeats,
			Key: "hall:" + strconv.FormatInt(id, 10), Body: body, CreatedAt: e.At, State: StatePending, NextAt: e.At}, true, err
	}
	if c.VenueID != 0 {
		return planStatus(ctx, e, c, facts)
	}
	if c.HallID != 0 {
		r, ok, err := hall(c.HallID, 0)
		if err != nil || !ok {
			return nil, err
		}
		return []Report{r}, nil
	}
	f, err := session(e.TenantID, c.SessionID)
	if err != nil || !f.Film {
		return nil, err
	}
	var out []Report
	op := wire.OpUpdate
	switch c.Action {
	case "session.create":
		op = wire.OpCreate
		r, ok, err := hall(f.HallID, 1)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	case "session.cancel":
		op = wire.OpDelete
	}
	plan := wire.PlanReport{BusinessDate: f.BusinessDate, Cinema: f.CinemaCode, Sessions: []wire.PlanEntry{{Hall: f.HallCode, Film: f.FilmCode,
		Session: f.SessionCode, StartsAt: f.StartsAt.UTC(), EndsAt: f.EndsAt.UTC(), Seated: true, StandardCents: f.StandardCents,
		MinCents: f.MinCents, Operation: op}}}
	body, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	out = append(out, Report{TenantID: e.TenantID, VenueID: e.VenueID, Serial: serial + "-0", Interface: wire.ScreeningPlan,
		Key: "session:" + f.SessionCode, Body: body, CreatedAt: e.At, State: StatePending, NextAt: e.At})
	return out, nil
}

// planStatus reports a cinema's new business status (§9.2.3), effective
// on the business day it changed; a venue that screens no film is not a
// cinema the platform knows.
func planStatus(ctx context.Context, e OutboxEntry, c sales.CatalogChange, facts Facts) ([]Report, error) {
	vs, err := facts.Venues(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(vs, func(v VenueFacts) bool { return v.ID == c.VenueID })
	if i < 0 {
		return nil, fmt.Errorf("venue %d: not found", c.VenueID)
	}
	v := vs[i]
	halls, err := facts.VenueHalls(ctx, v.TenantID, v.ID)
	if err != nil {
		return nil, err
	}
	films := false
	for _, id := range halls {
		h, err := facts.HallFacts(ctx, v.TenantID, id)
		if err != nil {
			return nil, err
		}
		films = films || h.Films
	}
	if !films {
		return nil, nil
	}
	at := c.At
	if at.IsZero() {
		at = e.At
	}
	status := c.Status
	if status == "" {
		status = v.Status
	}
	body, err := json.Marshal(wire.StatusReport{Cinema: v.Code, Status: status, Effective: v.BusinessDate(at)})
	if err != nil {
		return nil, err
	}
	return []Report{{TenantID: e.TenantID, VenueID: e.VenueID, Serial: "C" + strconv.FormatInt(e.ID, 10) + "-0", Interface: wire.BusinessStatus,
		Key: "venue:" + strconv.FormatInt(v.ID, 10), Body: body, CreatedAt: e.At, State: StatePending, NextAt: e.At}}, nil
}

// ticketRecord is the §9.2.5 record of a ticket operation. A sale before
// the session's business day is a presale; a sale through the web or an
// agency is a network sale (网络代收).
func ticketRecord(f SessionFacts, op string, t sales.TicketFact) wire.TicketRecord {
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	if op == wire.OpSale && t.At.In(loc).Format("2006-01-02") < f.BusinessDate {
		op = wire.OpPresale
	}
	status := f.CinemaStatus
	if status == "" {
		status = wire.StatusOpen
	}
	return wire.TicketRecord{Cinema: f.CinemaCode, CinemaStatus: status, BusinessDate: f.BusinessDate, Hall: f.HallCode, Film: f.FilmCode,
		Session: f.SessionCode, StartsAt: f.StartsAt.UTC(), Operation: op, Ticket: t.Number, Seat: seatCode(t), PriceCents: t.PriceCents,
		Network: t.Channel == sales.ChannelWeb || t.Channel == sales.ChannelAgency, OperatedAt: t.At.UTC()}
}

// seatCode is the seat as the platform's hall report names it: its id in
// the hall (labels may hold characters the platform's codes do not).
func seatCode(t sales.TicketFact) string { return strconv.FormatInt(t.SeatID, 10) }
