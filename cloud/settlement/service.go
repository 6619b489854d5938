package settlement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Store keeps runs, their lines and reconciliations; every change is
// written with its audit entry in one transaction.
type Store interface {
	// Facts are the money a party moved in [from, to): orders paid and
	// refunds approved, in time order.
	Facts(ctx context.Context, tenantID int64, party string, from, to time.Time) ([]Fact, error)
	// InsertRun stores a run with its lines; a period overlapping another
	// run of the party is ErrOverlap.
	InsertRun(ctx context.Context, r Run, e audit.Entry) (Run, error)
	// ReplaceLines stores an open run's rebuilt lines and totals
	// (ErrClosed once closed).
	ReplaceLines(ctx context.Context, r Run, e audit.Entry) error
	// CloseRun closes an open run (ErrClosed if it was not open).
	CloseRun(ctx context.Context, tenantID, id int64, by string, at time.Time, e audit.Entry) error
	// Run is a run with its lines (ErrNotFound outside the tenant).
	Run(ctx context.Context, tenantID, id int64) (Run, error)
	// Runs lists a tenant's runs, newest first, without lines (party ""
	// for every party's).
	Runs(ctx context.Context, tenantID int64, party string, limit int) ([]Run, error)
	// LastEnd is the end of the party's latest run.
	LastEnd(ctx context.Context, tenantID int64, party string) (time.Time, bool, error)
	// SetDiffs replaces the unresolved differences of each run named (run
	// id to its differences), in one transaction.
	SetDiffs(ctx context.Context, tenantID int64, byRun map[int64][]Diff, e audit.Entry) ([]Diff, error)
	Diffs(ctx context.Context, tenantID, runID int64) ([]Diff, error)
	// SetRule keeps the organiser's or the printing house's rule; Rules
	// lists them as partners (tenantID 0: every tenant's).
	SetRule(ctx context.Context, pt Partner, e audit.Entry) error
	Rules(ctx context.Context, tenantID int64) ([]Partner, error)
	// ResolveDiff marks an unresolved difference resolved (ErrNotFound
	// if there is no such unresolved one).
	ResolveDiff(ctx context.Context, tenantID, id int64, note, by string, at time.Time, e audit.Entry) (Diff, error)
}

var (
	ErrNotFound = errors.New("settlement: not found")
	ErrOverlap  = errors.New("settlement: the period overlaps another run")
	ErrClosed   = errors.New("settlement: the run is closed")
)

// Partners lists the parties settled with (tenantID 0: every tenant's).
type Partners interface {
	Partners(ctx context.Context, tenantID int64) ([]Partner, error)
}

// Service runs settlements.
type Service struct {
	st       Store
	partners Partners
	now      func() time.Time
	// Location draws the days of scheduled runs (default Asia/Shanghai).
	Location *time.Location
}

// New returns a Service.
func New(st Store, partners Partners, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &Service{st: st, partners: partners, now: now, Location: loc}
}

func allowed(p sales.Principal) error {
	if p.TenantID == 0 || !auth.Can(p.Role, auth.Settle) {
		return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "only finance and the organiser's admin settle"}
	}
	return nil
}

func (s *Service) notFound(err error, what string) error {
	if errors.Is(err, ErrNotFound) {
		return sales.NotFound(what)
	}
	return err
}

// Partners lists the caller's tenant's parties.
func (s *Service) Partners(ctx context.Context, p sales.Principal) ([]Partner, error) {
	if err := allowed(p); err != nil {
		return nil, err
	}
	return s.allPartners(ctx, p.TenantID)
}

// allPartners are the partners of every kind plus the organiser and the
// printing house, once the organiser has set their rules.
func (s *Service) allPartners(ctx context.Context, tenantID int64) ([]Partner, error) {
	ps, err := s.partners.Partners(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ruled, err := s.st.Rules(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return append(ps, ruled...), nil
}

// SetRule sets the rule of the organiser (the platform's commission and
// fees on all its sales) or of the printing house (a fee per
// commemorative ticket made).
func (s *Service) SetRule(ctx context.Context, p sales.Principal, party string, r Rule) (Partner, error) {
	if err := allowed(p); err != nil {
		return Partner{}, err
	}
	if party != Organiser && party != Printer {
		return Partner{}, sales.Invalid("invalid_party", `a rule is set here for "organiser" or "printer"; agencies' terms are the agency's`)
	}
	if err := r.Validate(); err != nil {
		return Partner{}, sales.Invalid("invalid_rule", err.Error())
	}
	pt := Partner{TenantID: p.TenantID, Party: party, Name: map[string]string{Organiser: "Organiser", Printer: "Printing house"}[party], Rule: r}
	e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "settlement.rule", Object: "settlement-rule:" + party, After: audit.Value(r)}
	return pt, s.st.SetRule(ctx, pt, e)
}

func (s *Service) partner(ctx context.Context, tenantID int64, party string) (Partner, error) {
	ps, err := s.allPartners(ctx, tenantID)
	if err != nil {
		return Partner{}, err
	}
	for _, x := range ps {
		if x.Party == party {
			return x, nil
		}
	}
	return Partner{}, sales.NotFound("partner")
}

// NewRun asks for a run of a party over [From, To).
type NewRun struct {
	Party string    `json:"party"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Create runs a settlement by hand.
func (s *Service) Create(ctx context.Context, p sales.Principal, in NewRun) (Run, error) {
	if err := allowed(p); err != nil {
		return Run{}, err
	}
	return s.create(ctx, p.TenantID, p.Actor(), in, false)
}

func (s *Service) create(ctx context.Context, tenantID int64, actor string, in NewRun, scheduled bool) (Run, error) {
	now := s.now()
	// Periods are kept to the millisecond: the run answered is the run kept.
	in.From, in.To = in.From.Truncate(time.Millisecond), in.To.Truncate(time.Millisecond)
	switch {
	case in.From.IsZero() || in.To.IsZero() || !in.From.Before(in.To):
		return Run{}, sales.Invalid("invalid_period", "from must be before to")
	case in.To.After(now):
		return Run{}, sales.Invalid("invalid_period", "a period must have ended to be settled")
	case in.To.Sub(in.From) > 366*24*time.Hour:
		return Run{}, sales.Invalid("invalid_period", "a run covers at most a year")
	}
	pt, err := s.partner(ctx, tenantID, in.Party)
	if err != nil {
		return Run{}, err
	}
	facts, err := s.st.Facts(ctx, tenantID, pt.Party, in.From, in.To)
	if err != nil {
		return Run{}, err
	}
	lines := Settle(pt.Rule, facts)
	r := Run{TenantID: tenantID, Party: pt.Party, Name: pt.Name, From: in.From.UTC(), To: in.To.UTC(), Rule: pt.Rule, State: Open, Scheduled: scheduled,
		Totals: Sum(pt.Rule, lines), Lines: lines, CreatedBy: actor, CreatedAt: now.UTC()}
	e := audit.Entry{At: r.CreatedAt, TenantID: tenantID, Actor: actor, Action: "settlement.run",
		After: audit.Value(map[string]any{"party": r.Party, "from": r.From, "to": r.To, "rule": r.Rule, "totals": r.Totals, "lines": len(lines), "scheduled": scheduled})}
	r, err = s.st.InsertRun(ctx, r, e)
	if errors.Is(err, ErrOverlap) {
		return Run{}, sales.Conflict("period_settled", "part of that period is in another run of this party")
	}
	return r, err
}

// Rebuild recomputes an open run's lines from the data now (a refund
// approved late in its period, a rule corrected).
func (s *Service) Rebuild(ctx context.Context, p sales.Principal, id int64) (Run, error) {
	r, err := s.Run(ctx, p, id)
	if err != nil {
		return Run{}, err
	}
	if r.State != Open {
		return Run{}, sales.Conflict("run_closed", "a closed run does not change")
	}
	pt, err := s.partner(ctx, p.TenantID, r.Party)
	if err != nil {
		return Run{}, err
	}
	facts, err := s.st.Facts(ctx, p.TenantID, r.Party, r.From, r.To)
	if err != nil {
		return Run{}, err
	}
	before := r.Totals
	r.Rule, r.Lines = pt.Rule, Settle(pt.Rule, facts)
	r.Totals = Sum(r.Rule, r.Lines)
	e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "settlement.rebuild",
		Before: audit.Value(before), After: audit.Value(map[string]any{"rule": r.Rule, "totals": r.Totals})}
	if err := s.st.ReplaceLines(ctx, r, e); errors.Is(err, ErrClosed) {
		return Run{}, sales.Conflict("run_closed", "a closed run does not change")
	} else if err != nil {
		return Run{}, err
	}
	return r, nil
}

// Close makes a run final.
func (s *Service) Close(ctx context.Context, p sales.Principal, id int64) (Run, error) {
	r, err := s.Run(ctx, p, id)
	if err != nil {
		return Run{}, err
	}
	now := s.now().UTC()
	e := audit.Entry{At: now, TenantID: p.TenantID, Actor: p.Actor(), Action: "settlement.close", After: audit.Value(map[string]any{"totals": r.Totals})}
	if err := s.st.CloseRun(ctx, p.TenantID, id, p.Actor(), now, e); errors.Is(err, ErrClosed) {
		return Run{}, sales.Conflict("run_closed", "the run is closed already")
	} else if err != nil {
		return Run{}, err
	}
	return s.Run(ctx, p, id)
}

// Run shows a run with its lines.
func (s *Service) Run(ctx context.Context, p sales.Principal, id int64) (Run, error) {
	if err := allowed(p); err != nil {
		return Run{}, err
	}
	r, err := s.st.Run(ctx, p.TenantID, id)
	return r, s.notFound(err, "settlement run")
}

// Runs lists the tenant's runs (of one party, or all).
func (s *Service) Runs(ctx context.Context, p sales.Principal, party string) ([]Run, error) {
	if err := allowed(p); err != nil {
		return nil, err
	}
	return s.st.Runs(ctx, p.TenantID, party, 500)
}

// Reconcile compares the party's statement with a run and records the
// differences (replacing those not yet resolved).
func (s *Service) Reconcile(ctx context.Context, p sales.Principal, runID int64, st []StatementLine) ([]Diff, error) {
	r, err := s.Run(ctx, p, runID)
	if err != nil {
		return nil, err
	}
	ds := Reconcile(r.Lines, st)
	e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "settlement.reconcile",
		Object: "settlement:" + strconv.FormatInt(runID, 10), After: audit.Value(map[string]any{"statement_lines": len(st), "differences": len(ds)})}
	return s.st.SetDiffs(ctx, p.TenantID, map[int64][]Diff{runID: ds}, e)
}

// ReconcilePeriod compares a party's statement for a period with the runs
// that settled it, a month's statement against its daily runs, say: the
// runs must settle the period whole. Each difference is recorded on the
// run that settled its order (one never settled, on the period's last
// run), replacing each run's differences not yet resolved.
func (s *Service) ReconcilePeriod(ctx context.Context, p sales.Principal, party string, from, to time.Time, st []StatementLine) ([]Diff, error) {
	if err := allowed(p); err != nil {
		return nil, err
	}
	from, to = from.Truncate(time.Millisecond), to.Truncate(time.Millisecond)
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return nil, sales.Invalid("bad_period", "give the statement's period: from before to")
	}
	all, err := s.st.Runs(ctx, p.TenantID, party, 500)
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, r := range all {
		switch {
		case !r.To.After(from) || !r.From.Before(to):
			continue // outside
		case r.From.Before(from) || r.To.After(to):
			return nil, sales.Conflict("period_split", fmt.Sprintf("run %d (%s to %s) is only partly in the period: reconcile a period its runs settle whole",
				r.ID, r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339)))
		}
		full, err := s.st.Run(ctx, p.TenantID, r.ID)
		if err != nil {
			return nil, err
		}
		runs = append(runs, full)
	}
	slices.SortFunc(runs, func(a, b Run) int { return a.From.Compare(b.From) })
	if err := Cover(runs, from, to); err != nil {
		return nil, sales.Conflict("period_not_settled", err.Error()+": settle it first")
	}
	byRun := ReconcileRuns(runs, st)
	n := 0
	for _, ds := range byRun {
		n += len(ds)
	}
	e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "settlement.reconcile", Object: "party:" + party,
		After: audit.Value(map[string]any{"from": from.UTC(), "to": to.UTC(), "runs": len(runs), "statement_lines": len(st), "differences": n})}
	return s.st.SetDiffs(ctx, p.TenantID, byRun, e)
}

// Diffs lists a run's differences, resolved or not.
func (s *Service) Diffs(ctx context.Context, p sales.Principal, runID int64) ([]Diff, error) {
	if _, err := s.Run(ctx, p, runID); err != nil {
		return nil, err
	}
	return s.st.Diffs(ctx, p.TenantID, runID)
}

// Resolve closes a difference with the finance user's note.
func (s *Service) Resolve(ctx context.Context, p sales.Principal, diffID int64, note string) (Diff, error) {
	if err := allowed(p); err != nil {
		return Diff{}, err
	}
	note = strings.TrimSpace(note)
	if note == "" || len([]rune(note)) > 500 {
		return Diff{}, sales.Invalid("invalid_note", "say how the difference was resolved (1-500 characters)")
	}
	now := s.now().UTC()
	e := audit.Entry{At: now, TenantID: p.TenantID, Actor: p.Actor(), Action: "settlement.resolve", After: audit.Value(map[string]any{"note": note})}
	d, err := s.st.ResolveDiff(ctx, p.TenantID, diffID, note, p.Actor(), now, e)
	return d, s.notFound(err, "unresolved difference")
}

// Scheduled makes, for every party of every tenant, a run for each whole
// day since its last run (or yesterday, for a party with none) up to
// yesterday; it returns how many it made. The runs stay open for finance
// to check and close.
func (s *Service) Scheduled(ctx context.Context) (int, error) {
	ps, err := s.allPartners(ctx, 0)
	if err != nil {
		return 0, err
	}
	now := s.now().In(s.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.Location)
	made := 0
	for _, pt := range ps {
		from := today.AddDate(0, 0, -1)
		if end, ok, err := s.st.LastEnd(ctx, pt.TenantID, pt.Party); err != nil {
			return made, err
		} else if ok {
			from = end.In(s.Location)
		}
		for d := 0; from.Before(today) && d < 31; d++ {
			to := time.Date(from.Year(), from.Month(), from.Day()+1, 0, 0, 0, 0, s.Location)
			if to.After(today) {
				to = today
			}
			_, err := s.create(ctx, pt.TenantID, "system:schedule", NewRun{Party: pt.Party, From: from, To: to}, true)
			if err != nil && !sales.IsCode(err, "period_settled") {
				return made, fmt.Errorf("settlement: scheduled run of %s: %w", pt.Party, err)
			}
			if err == nil {
				made++
			}
			from = to
		}
	}
	return made, nil
}
