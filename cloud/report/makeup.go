package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// 补登 (cloud-ticketing-requirements §7.1.2, §9.2.7–9.2.8): a sale or a
// refund that the cloud did not record when it happened — paper tickets
// sold while a cinema was cut off, a refund granted after the show — is
// recorded late by a venue manager with its evidence and approved by a
// second person. Within MakeupWindow days of its business day it becomes
// raw data at once and the day's statistics are restated; older, it is an
// application to the platform, and only the platform's approval releases
// the data (to be reported within 48 hours, at once here); a rejection
// reports nothing.

// MakeupWindow is how many days after a business day a 补登 is reported
// without the platform's review (§9.2.7: 补登7天内票房).
const MakeupWindow = 7

// MakeupKind is what is recorded late.
type MakeupKind string

const (
	MakeupSale   MakeupKind = "sale"   // 售票补登: seats sold outside the system
	MakeupRefund MakeupKind = "refund" // 退票补登: tickets refunded after the show
)

// MakeupState is where a 补登 is.
type MakeupState string

const (
	MakeupProposed MakeupState = "proposed" // waits for a second person
	MakeupApplied  MakeupState = "applied"  // older than the window: waits for the platform's review
	MakeupReleased MakeupState = "released" // its raw data is queued for the platform
	MakeupRejected MakeupState = "rejected" // by the second person or by the platform
)

// MakeupLine is one ticket of a 补登.
type MakeupLine struct {
	Ticket     string `json:"ticket"` // a refund's ticket number; a sale's is made on release
	SeatID     int64  `json:"seat_id"`
	SeatLabel  string `json:"seat_label"`
	PriceCents int64  `json:"price_cents"`
	Network    bool   `json:"network,omitempty"` // the refunded ticket was a network sale
}

// Makeup is one 补登.
type Makeup struct {
	ID           int64        `json:"id"`
	TenantID     int64        `json:"tenant_id"`
	VenueID      int64        `json:"venue_id"`
	SessionID    int64        `json:"session_id"`
	Kind         MakeupKind   `json:"kind"`
	BusinessDate string       `json:"business_date"`
	Lines        []MakeupLine `json:"lines"`
	AmountCents  int64        `json:"amount_cents"`
	Evidence     string       `json:"evidence"`
	State        MakeupState  `json:"state"`
	ProposedByID int64        `json:"proposed_by_id"`
	ProposedBy   string       `json:"proposed_by"`
	ProposedAt   time.Time    `json:"proposed_at"`
	DecidedBy    string       `json:"decided_by,omitempty"`
	DecidedAt    *time.Time   `json:"decided_at,omitempty"`
	Application  string       `json:"application,omitempty"` // the §9.2.7/9.2.8 application's serial
	Reason       string       `json:"reason,omitempty"`      // why it was rejected
	ReleasedAt   *time.Time   `json:"released_at,omitempty"`
}

// ReportBy is when a platform-approved 补登's data is due at the platform
// (48 hours after the approval), or nil.
func (m Makeup) ReportBy() *time.Time {
	if m.Application == "" || m.ReleasedAt == nil {
		return nil
	}
	t := m.ReleasedAt.Add(48 * time.Hour)
	return &t
}

// MarshalJSON adds the count and the reporting deadline.
func (m Makeup) MarshalJSON() ([]byte, error) {
	type plain Makeup
	return json.Marshal(struct {
		plain
		Count    int        `json:"count"`
		ReportBy *time.Time `json:"report_by,omitempty"`
	}{plain(m), len(m.Lines), m.ReportBy()})
}

// MakeupRequest records a 补登.
type MakeupRequest struct {
	SessionID  int64      `json:"session_id"`
	Kind       MakeupKind `json:"kind"`
	Seats      []string   `json:"seats,omitempty"`       // a sale: the seats sold, by label
	PriceCents int64      `json:"price_cents,omitempty"` // a sale: each ticket's price
	Tickets    []string   `json:"tickets,omitempty"`     // a refund: the tickets' numbers
	Evidence   string     `json:"evidence"`              // what proves it: receipts, the outage's log
}

// MakeupSeat is a session's seat as a sale 补登 names it.
type MakeupSeat struct {
	SeatID int64
	Label  string
	Sold   bool // sold in the cloud
}

// MakeupTicket is a ticket as a refund 补登 names it.
type MakeupTicket struct {
	Number     string
	SeatID     int64
	SeatLabel  string
	PriceCents int64
	Network    bool
	Valid      bool // not refunded
}

// MakeupFigure is a session's released sale 补登 for its statistics.
type MakeupFigure struct {
	Count int
	Cents int64
}

// MakeupStore keeps 补登 beside the report queue. Each change of state is
// conditional on the state it leaves, and writes its reports and its
// audit entry in the same transaction.
type MakeupStore interface {
	MakeupSeats(ctx context.Context, sessionID int64, labels []string) ([]MakeupSeat, error)
	MakeupTickets(ctx context.Context, sessionID int64, numbers []string) ([]MakeupTicket, error)
	// OpenMakeups lists a session's 补登 of a kind that are not rejected.
	OpenMakeups(ctx context.Context, sessionID int64, kind MakeupKind) ([]Makeup, error)
	InsertMakeup(ctx context.Context, m Makeup, e audit.Entry) (Makeup, error)
	GetMakeup(ctx context.Context, sc Scope, id int64) (Makeup, error)
	ListMakeups(ctx context.Context, sc Scope, limit int) ([]Makeup, error)
	MakeupByApplication(ctx context.Context, serial string) (Makeup, error)
	// ApplyMakeup moves a proposed 补登 to applied and queues its application.
	ApplyMakeup(ctx context.Context, m Makeup, application Report, e audit.Entry) error
	// ReleaseMakeup moves a 补登 from the state from to released, queues
	// its raw records and, for a refund, marks its tickets refunded (all of
	// them still valid, or nothing changes: ErrMakeupChanged).
	ReleaseMakeup(ctx context.Context, m Makeup, from MakeupState, rs []Report, e audit.Entry) error
	RejectMakeup(ctx context.Context, m Makeup, from MakeupState, e audit.Entry) error
	// MakeupFigures sums a venue's business day's released sale 补登 by session.
	MakeupFigures(ctx context.Context, venueID int64, date string) (map[int64]MakeupFigure, error)
	// Unrestated lists released 补登 whose day's statistics are not yet restated.
	Unrestated(ctx context.Context, limit int) ([]Makeup, error)
	// Restate marks a 补登's statistics restated and, when its day's
	// statistics were already planned, queues the restatement rs.
	Restate(ctx context.Context, m Makeup, rs []Report) error
}

// ErrMakeupChanged: the 补登 (or a ticket it refunds) changed meanwhile.
var ErrMakeupChanged = errors.New("report: the 补登 changed meanwhile")

// makeupLimit bounds the list people see.
const makeupLimit = 200

// Makeups lists the caller's 补登, newest first.
func (s *Service) Makeups(ctx context.Context, p sales.Principal) ([]Makeup, error) {
	if !auth.Can(p.Role, auth.ReadReports) {
		return nil, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.ReadReports))
	}
	out, err := s.store.ListMakeups(ctx, scope(p), makeupLimit)
	if out == nil {
		out = []Makeup{}
	}
	return out, err
}

// ProposeMakeup records a late sale or refund; it waits for a second person.
func (s *Service) ProposeMakeup(ctx context.Context, p sales.Principal, req MakeupRequest) (Makeup, error) {
	if !auth.Can(p.Role, auth.RecordMakeup) {
		return Makeup{}, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.RecordMakeup))
	}
	if s.facts == nil {
		return Makeup{}, sales.NotFound("national data platform")
	}
	req.Evidence = strings.TrimSpace(req.Evidence)
	if req.Evidence == "" {
		return Makeup{}, sales.Invalid("evidence_required", "a 补登 records its evidence: what proves the sale or refund")
	}
	if len(req.Evidence) > 2000 {
		return Makeup{}, sales.Invalid("evidence_too_long", "the evidence is at most 2000 characters")
	}
	tenantID := p.TenantID
	sf, err := s.facts.SessionFacts(ctx, tenantID, req.SessionID)
	if err != nil || !p.SeesVenue(sf.VenueID) {
		return Makeup{}, sales.NotFound("session")
	}
	if !sf.Film {
		return Makeup{}, sales.Invalid("not_a_film", "only a film session's box office is reported to the platform")
	}
	now := s.now().UTC()
	if now.Before(sf.StartsAt) {
		return Makeup{}, sales.Conflict("session_not_started", "the session has not started: sell or refund at the box office")
	}
	m := Makeup{TenantID: tenantID, VenueID: sf.VenueID, SessionID: req.SessionID, Kind: req.Kind, BusinessDate: sf.BusinessDate,
		Evidence: req.Evidence, State: MakeupProposed, ProposedByID: p.UserID, ProposedBy: p.Actor(), ProposedAt: now}
	if m.Lines, err = s.makeupLines(ctx, req); err != nil {
		return Makeup{}, err
	}
	for _, l := range m.Lines {
		m.AmountCents += l.PriceCents
	}
	after, _ := json.Marshal(m)
	e := audit.Entry{At: now, TenantID: tenantID, VenueID: m.VenueID, Actor: p.Actor(), Action: "report.makeup.propose",
		Object: "session:" + strconv.FormatInt(m.SessionID, 10), After: after, Reason: m.Evidence}
	return s.store.InsertMakeup(ctx, m, e)
}

// makeupLines checks what a request names against the session and the
// other 补登 of it.
func (s *Service) makeupLines(ctx context.Context, req MakeupRequest) ([]MakeupLine, error) {
	open, err := s.store.OpenMakeups(ctx, req.SessionID, req.Kind)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{} // seat labels or ticket numbers in open 补登
	for _, m := range open {
		for _, l := range m.Lines {
			taken[l.SeatLabel], taken[l.Ticket] = true, true
		}
	}
	delete(taken, "")
	var out []MakeupLine
	switch req.Kind {
	case MakeupSale:
		if len(req.Tickets) > 0 || len(req.Seats) == 0 || len(req.Seats) > 1000 || req.PriceCents <= 0 || hasDuplicate(req.Seats) {
			return nil, sales.Invalid("makeup_sale", "a sale 补登 names 1 to 1000 different seats and each ticket's price")
		}
		seats, err := s.store.MakeupSeats(ctx, req.SessionID, req.Seats)
		if err != nil {
			return nil, err
		}
		for _, label := range req.Seats {
			i := slices.IndexFunc(seats, func(x MakeupSeat) bool { return x.Label == label })
			switch {
			case i < 0:
				return nil, sales.Invalid("unknown_seat", "the session has no seat "+label)
			case seats[i].Sold:
				return nil, sales.Conflict("seat_sold", "seat "+label+" was sold in the system: its sale is reported already")
			case taken[label]:
				return nil, sales.Conflict("seat_recorded", "seat "+label+" is in another 补登 of this session")
			}
			out = append(out, MakeupLine{SeatID: seats[i].SeatID, SeatLabel: label, PriceCents: req.PriceCents})
		}
	case MakeupRefund:
		if len(req.Seats) > 0 || req.PriceCents != 0 || len(req.Tickets) == 0 || len(req.Tickets) > 1000 || hasDuplicate(req.Tickets) {
			return nil, sales.Invalid("makeup_refund", "a refund 补登 names 1 to 1000 different tickets of the session")
		}
		ts, err := s.store.MakeupTickets(ctx, req.SessionID, req.Tickets)
		if err != nil {
			return nil, err
		}
		for _, n := range req.Tickets {
			i := slices.IndexFunc(ts, func(x MakeupTicket) bool { return x.Number == n })
			switch {
			case i < 0:
				return nil, sales.Invalid("unknown_ticket", "the session has no ticket "+n)
			case !ts[i].Valid:
				return nil, sales.Conflict("ticket_refunded", "ticket "+n+" is refunded already")
			case taken[n]:
				return nil, sales.Conflict("ticket_recorded", "ticket "+n+" is in another 补登 of this session")
			}
			t := ts[i]
			out = append(out, MakeupLine{Ticket: n, SeatID: t.SeatID, SeatLabel: t.SeatLabel, PriceCents: t.PriceCents, Network: t.Network})
		}
	default:
		return nil, sales.Invalid("makeup_kind", "a 补登 is a sale or a refund")
	}
	return out, nil
}

func hasDuplicate(xs []string) bool {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return true
		}
		seen[x] = true
	}
	return false
}

// DecideMakeup is the second person's decision. Approved within the
// window, the 补登 is released; older, it is applied for at the platform.
func (s *Service) DecideMakeup(ctx context.Context, p sales.Principal, id int64, approve bool, note string) (Makeup, error) {
	if !auth.Can(p.Role, auth.RecordMakeup) {
		return Makeup{}, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.RecordMakeup))
	}
	m, err := s.store.GetMakeup(ctx, scope(p), id)
	if err != nil {
		return Makeup{}, err
	}
	if m.ProposedByID == p.UserID {
		return Makeup{}, sales.Forbidden("you cannot decide your own 补登; another manager must")
	}
	if m.State != MakeupProposed {
		return Makeup{}, sales.Conflict("makeup_decided", "the 补登 is "+string(m.State)+" already")
	}
	note = strings.TrimSpace(note)
	now := s.now().UTC()
	before, _ := json.Marshal(m)
	m.DecidedBy, m.DecidedAt = p.Actor(), &now
	e := audit.Entry{At: now, TenantID: m.TenantID, VenueID: m.VenueID, Actor: p.Actor(), Object: "makeup:" + strconv.FormatInt(m.ID, 10),
		Before: before, Reason: note, Approver: p.Actor()}
	if !approve {
		if note == "" {
			return Makeup{}, sales.Invalid("reason_required", "a rejection gives its reason")
		}
		m.State, m.Reason = MakeupRejected, note
		e.Action, e.After = "report.makeup.reject", mustJSON(m)
		return m, s.changed(s.store.RejectMakeup(ctx, m, MakeupProposed, e))
	}
	sf, err := s.facts.SessionFacts(ctx, m.TenantID, m.SessionID)
	if err != nil {
		return Makeup{}, fmt.Errorf("report: 补登 %d: %w", m.ID, err)
	}
	today, err := s.venueToday(ctx, m.VenueID, now)
	if err != nil {
		return Makeup{}, err
	}
	if daysBetween(m.BusinessDate, today) <= MakeupWindow {
		return s.release(ctx, m, MakeupProposed, sf, now, "report.makeup.approve", p.Actor(), note)
	}
	// Older than the window: the platform decides.
	m.State, m.Application = MakeupApplied, "MA"+strconv.FormatInt(m.ID, 10)
	app := wire.MakeupApplication{Cinema: sf.CinemaCode, BusinessDate: m.BusinessDate, Hall: sf.HallCode, Film: sf.FilmCode,
		Session: sf.SessionCode, StartsAt: sf.StartsAt.UTC(), Count: len(m.Lines), AmountCents: m.AmountCents}
	i := wire.SaleMakeup
	if m.Kind == MakeupRefund {
		i = wire.RefundMakeup
	}
	rep := Report{TenantID: m.TenantID, VenueID: m.VenueID, Serial: m.Application, Interface: i, Key: "makeup:" + strconv.FormatInt(m.ID, 10),
		Body: mustJSON(app), CreatedAt: now, State: StatePending, NextAt: now}
	e.Action, e.After = "report.makeup.apply", mustJSON(m)
	return m, s.changed(s.store.ApplyMakeup(ctx, m, rep, e))
}

// PlatformReview is the platform's review of an application, pushed to
// the cloud (§9.2.7–9.2.8): an approval releases the 补登's data, a
// rejection ends it. A review of an application the cloud does not hold,
// or holds decided, changes nothing.
func (s *Service) PlatformReview(ctx context.Context, r wire.ReviewResult) (Makeup, error) {
	m, err := s.store.MakeupByApplication(ctx, r.Application)
	if err != nil {
		return Makeup{}, err
	}
	if m.State != MakeupApplied {
		return Makeup{}, sales.Conflict("makeup_decided", "the application is "+string(m.State))
	}
	sf, err := s.facts.SessionFacts(ctx, m.TenantID, m.SessionID)
	if err != nil {
		return Makeup{}, fmt.Errorf("report: 补登 %d: %w", m.ID, err)
	}
	if sf.CinemaCode != r.Cinema {
		return Makeup{}, sales.NotFound("application " + r.Application + " of cinema " + r.Cinema)
	}
	now := s.now().UTC()
	if r.Approved {
		return s.release(ctx, m, MakeupApplied, sf, now, "report.makeup.platform_approve", wire.PlatformSystem, r.Reason)
	}
	before := mustJSON(m)
	m.State, m.Reason = MakeupRejected, r.Reason
	e := audit.Entry{At: now, TenantID: m.TenantID, VenueID: m.VenueID, Actor: wire.PlatformSystem, Action: "report.makeup.platform_reject",
		Object: "makeup:" + strconv.FormatInt(m.ID, 10), Before: before, After: mustJSON(m), Reason: r.Reason}
	return m, s.changed(s.store.RejectMakeup(ctx, m, MakeupApplied, e))
}

// Review is PlatformReview as the query server takes it: the same review
// again (the platform's answer was lost) is a duplicate, not a conflict.
func (s *Service) Review(ctx context.Context, r wire.ReviewResult) (bool, error) {
	_, err := s.PlatformReview(ctx, r)
	if sales.IsKind(err, sales.KindConflict) {
		m, gerr := s.store.MakeupByApplication(ctx, r.Application)
		if gerr == nil && ((r.Approved && m.State == MakeupReleased) || (!r.Approved && m.State == MakeupRejected)) {
			return true, nil
		}
	}
	return false, err
}

// release makes a 补登's raw records (§9.2.5, one per ticket) and queues them.
func (s *Service) release(ctx context.Context, m Makeup, from MakeupState, sf SessionFacts, now time.Time, action, actor, note string) (Makeup, error) {
	before := mustJSON(m)
	m.State, m.ReleasedAt = MakeupReleased, &now
	if m.DecidedAt == nil {
		m.DecidedBy, m.DecidedAt = actor, &now
	}
	op := wire.OpMakeupSale
	if m.Kind == MakeupRefund {
		op = wire.OpMakeupRefund
	}
	status := sf.CinemaStatus
	if status == "" {
		status = wire.StatusOpen
	}
	var rs []Report
	for i := range m.Lines {
		l := &m.Lines[i]
		if m.Kind == MakeupSale {
			l.Ticket = "M" + strconv.FormatInt(m.ID, 10) + "-" + strconv.Itoa(i+1)
		}
		rec := wire.TicketRecord{Cinema: sf.CinemaCode, CinemaStatus: status, BusinessDate: m.BusinessDate, Hall: sf.HallCode, Film: sf.FilmCode,
			Session: sf.SessionCode, StartsAt: sf.StartsAt.UTC(), Operation: op, Ticket: l.Ticket, Seat: strconv.FormatInt(l.SeatID, 10),
			PriceCents: l.PriceCents, Network: l.Network, OperatedAt: m.ProposedAt}
		rs = append(rs, Report{TenantID: m.TenantID, VenueID: m.VenueID, Serial: "M" + strconv.FormatInt(m.ID, 10) + "-" + strconv.Itoa(i),
			Interface: wire.RawTicket, Key: l.Ticket, Body: mustJSON(rec), CreatedAt: now, State: StatePending, NextAt: now})
	}
	e := audit.Entry{At: now, TenantID: m.TenantID, VenueID: m.VenueID, Actor: actor, Action: action, Object: "makeup:" + strconv.FormatInt(m.ID, 10),
		Before: before, After: mustJSON(m), Reason: note, Approver: actor}
	return m, s.changed(s.store.ReleaseMakeup(ctx, m, from, rs, e))
}

// changed turns a lost race into the error people see.
func (s *Service) changed(err error) error {
	if errors.Is(err, ErrMakeupChanged) {
		return sales.Conflict("makeup_changed", "the 补登 or one of its tickets changed meanwhile; reload and decide again")
	}
	return err
}

func (s *Service) venueToday(ctx context.Context, venueID int64, now time.Time) (string, error) {
	vs, err := s.facts.Venues(ctx)
	if err != nil {
		return "", err
	}
	for _, v := range vs {
		if v.ID == venueID {
			return v.BusinessDate(now), nil
		}
	}
	return "", sales.NotFound("venue")
}

// daysBetween counts the days from one business date to a later one.
func daysBetween(from, to string) int {
	a, err1 := time.Parse("2006-01-02", from)
	b, err2 := time.Parse("2006-01-02", to)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("report: encode %T: %v", v, err)) // plain structs: cannot fail
	}
	return b
}

// restate re-plans the statistics of the days that released 补登 changed
// (§9.2.7: 重新对票房日原始数据和统计数据进行上报): the session's figures
// again, under a new serial, when the day was reported already.
func (r *Reporter) restate(ctx context.Context, now time.Time) (int, error) {
	ms, err := r.store.Unrestated(ctx, 50)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	venues, err := r.facts.Venues(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		i := slices.IndexFunc(venues, func(v VenueFacts) bool { return v.ID == m.VenueID })
		if i < 0 {
			return n, fmt.Errorf("report: 补登 %d: venue %d not found", m.ID, m.VenueID)
		}
		rs, err := dayStats(ctx, r.store, r.facts, venues[i], m.BusinessDate, now)
		if err != nil {
			return n, err
		}
		session := strconv.FormatInt(m.SessionID, 10)
		var keep []Report
		for _, x := range rs {
			if strings.HasSuffix(x.Serial, "-"+session) {
				x.Serial += "-M" + strconv.FormatInt(m.ID, 10)
				keep = append(keep, x)
			}
		}
		if err := r.store.Restate(ctx, m, keep); err != nil {
			return n, err
		}
		n += len(keep)
	}
	return n, nil
}

// dayStats plans a venue's business day's statistics from the sales
// figures and the released sale 补登.
func dayStats(ctx context.Context, st Store, facts Facts, v VenueFacts, date string, at time.Time) ([]Report, error) {
	figures, err := facts.DayFigures(ctx, v.TenantID, v.ID, date)
	if err != nil {
		return nil, err
	}
	makeups, err := st.MakeupFigures(ctx, v.ID, date)
	if err != nil {
		return nil, err
	}
	return PlanDay(ctx, v, date, figures, makeups, facts, at)
}
