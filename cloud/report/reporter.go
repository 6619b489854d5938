package report

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/report/wire"
)

// Store keeps the reporter's queue beside the sales data.
type Store interface {
	// OutboxAfter returns the reporter's cursor and up to limit outbox
	// entries after it.
	OutboxAfter(ctx context.Context, limit int) (cursor int64, entries []OutboxEntry, err error)
	// Enqueue stores the reports and moves the cursor from from to to, in
	// one transaction; when the cursor is no longer from (another cloud
	// process planned those entries) it stores nothing and says false.
	Enqueue(ctx context.Context, from, to int64, rs []Report) (bool, error)
	// Due returns pending reports due by now, oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]Report, error)
	// Finish records a communication's end for each report.
	Finish(ctx context.Context, rs []Report) error
	// DayPlanned says whether a venue's business day's statistics are planned.
	DayPlanned(ctx context.Context, venueID int64, date string) (bool, error)
	// EnqueueDay marks the day planned and stores its reports, in one
	// transaction; false when it was planned already (by another process).
	EnqueueDay(ctx context.Context, venueID int64, date string, at time.Time, rs []Report) (bool, error)
	// Rereport queues a venue's delivered raw ticket records of business
	// days from..to again, as they were sent (§9.3.5), and says how many.
	Rereport(ctx context.Context, venueID int64, from, to string, now time.Time) (int, error)
	// PlanHistory lists a venue's screening plan reports of business days
	// from..to, oldest first (§9.3.6).
	PlanHistory(ctx context.Context, venueID int64, from, to string) ([]Report, error)
	// Wake makes every pending report due now: the platform answers again.
	Wake(ctx context.Context, now time.Time) (int, error)
	// Queue summarises the queue within a scope.
	Queue(ctx context.Context, sc Scope) (QueueStatus, error)
	// Attention lists the reports a person should look at, newest first:
	// refused ones, and pending ones whose communications failed.
	Attention(ctx context.Context, sc Scope, limit int) ([]Report, error)
	// Resend puts a refused or failing report of the scope back in the
	// queue, due now and to be sealed afresh, and appends the audit entry,
	// in one transaction. A delivered or unknown report is ErrNotResendable.
	Resend(ctx context.Context, sc Scope, id int64, now time.Time, e audit.Entry) (Report, error)
}

// Scope is whose reports: a tenant's (-1: every tenant's), and within it
// some venues (nil: all of them).
type Scope struct {
	TenantID int64
	VenueIDs []int64
}

// All is every report.
var All = Scope{TenantID: -1}

// ErrNotResendable: no such report of the tenant, or it was delivered.
var ErrNotResendable = errors.New("report: no refused or failing report of that id")

// QueueStatus is what an operator watches.
type QueueStatus struct {
	Pending       int        `json:"pending"`
	Refused       int        `json:"refused"`
	Delivered     int        `json:"delivered"`
	Failing       int        `json:"failing"` // pending after at least one failed communication
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

// Sender seals messages and delivers them to the platform
// (report/platform.Client). A report is sealed once, when it is planned:
// every send of it, now or after an outage, is the same signed message,
// and an outage's backlog costs no signing when the platform is back.
type Sender interface {
	Seal(i wire.Interface, serial string, at time.Time, body any) ([]byte, error)
	Deliver(ctx context.Context, i wire.Interface, serial string, msg []byte) Result
}

// Config tunes a reporter.
type Config struct {
	Lanes   int           // reports in flight at once (one per lane, by key)
	Batch   int           // reports taken per round
	Poll    time.Duration // how often it looks for new sales
	Backoff time.Duration // after a failed communication, doubled each time …
	MaxWait time.Duration // … up to this
	// DayCheck is how often it looks for business days that have ended
	// (their daily statistics are due), and DaysBack how far back it looks.
	DayCheck time.Duration
	DaysBack int
	Now      func() time.Time
	Logger   *slog.Logger
}

// Reporter turns the sales core's outbox into reports and delivers them.
type Reporter struct {
	store Store
	facts Facts
	send  Sender
	cfg   Config
	kick  chan struct{}
	// lastDayCheck is when the days were last looked at (Run's goroutine only).
	lastDayCheck time.Time
}

// New makes a reporter; Run drives it.
func New(st Store, facts Facts, send Sender, cfg Config) *Reporter {
	if cfg.Lanes <= 0 {
		cfg.Lanes = 32
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 2000
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DayCheck <= 0 {
		cfg.DayCheck = time.Minute
	}
	if cfg.DaysBack <= 0 {
		cfg.DaysBack = 7
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Reporter{store: st, facts: facts, send: send, cfg: cfg, kick: make(chan struct{}, 1)}
}

// Kick makes the reporter look for new sales now rather than at its next poll.
func (r *Reporter) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run plans and delivers until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		for {
			planned, sent, err := r.Step(ctx)
			if err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("report round", "err", err)
			}
			if err != nil || (planned == 0 && sent == 0) {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// Step is one round: plan what the outbox holds, then deliver what is
// due. It returns how many reports it planned and how many communications
// it had.
func (r *Reporter) Step(ctx context.Context) (planned, sent int, err error) {
	if planned, err = r.plan(ctx); err != nil {
		return planned, 0, err
	}
	if now := r.cfg.Now(); now.Sub(r.lastDayCheck) >= r.cfg.DayCheck {
		n, err := r.planDays(ctx, now)
		if err != nil {
			return planned, 0, err
		}
		r.lastDayCheck = now
		planned += n
	}
	sent, err = r.deliver(ctx)
	return planned, sent, err
}

func (r *Reporter) plan(ctx context.Context) (int, error) {
	cursor, entries, err := r.store.OutboxAfter(ctx, r.cfg.Batch)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	rs, err := Plan(ctx, entries, r.facts)
	if err != nil {
		return 0, err
	}
	now := r.cfg.Now()
	for i := range rs {
		if rs[i].Message, err = r.send.Seal(rs[i].Interface, rs[i].Serial, now, rs[i].Body); err != nil {
			return 0, fmt.Errorf("report: seal %s: %w", rs[i].Serial, err)
		}
	}
	ok, err := r.store.Enqueue(ctx, cursor, entries[len(entries)-1].ID, rs)
	if err != nil || !ok {
		return 0, err
	}
	return len(rs), nil
}

// planDays plans the daily statistics of every venue's business days that
// have ended (within DaysBack) and are not yet planned.
func (r *Reporter) planDays(ctx context.Context, now time.Time) (int, error) {
	venues, err := r.facts.Venues(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range venues {
		today := v.BusinessDate(now)
		for back := 1; back <= r.cfg.DaysBack; back++ {
			date := addDays(today, -back)
			done, err := r.store.DayPlanned(ctx, v.ID, date)
			if err != nil {
				return n, err
			}
			if done {
				continue
			}
			figures, err := r.facts.DayFigures(ctx, v.TenantID, v.ID, date)
			if err != nil {
				return n, err
			}
			rs, err := PlanDay(ctx, v, date, figures, r.facts, now)
			if err != nil {
				return n, err
			}
			for i := range rs {
				if rs[i].Message, err = r.send.Seal(rs[i].Interface, rs[i].Serial, now, rs[i].Body); err != nil {
					return n, fmt.Errorf("report: seal %s: %w", rs[i].Serial, err)
				}
			}
			ok, err := r.store.EnqueueDay(ctx, v.ID, date, now, rs)
			if err != nil {
				return n, err
			}
			if ok {
				n += len(rs)
				if len(rs) > 0 {
					r.cfg.Logger.Info("daily statistics planned", "venue", v.Code, "business_date", date, "sessions", len(rs))
				}
			}
		}
	}
	return n, nil
}

func addDays(date string, n int) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format("2006-01-02")
}

// deliver sends the due reports, in lanes by key: one key's reports go
// in order through one lane, and a lane that fails stops for the round,
// so nothing of that key overtakes the report that failed.
func (r *Reporter) deliver(ctx context.Context) (int, error) {
	due, err := r.store.Due(ctx, r.cfg.Now(), r.cfg.Batch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	lanes := make([][]Report, r.cfg.Lanes)
	for _, rep := range due {
		h := fnv.New32a()
		h.Write([]byte(rep.Key))
		n := int(h.Sum32() % uint32(r.cfg.Lanes))
		lanes[n] = append(lanes[n], rep)
	}
	var wg sync.WaitGroup
	done := make([][]Report, r.cfg.Lanes)
	for n, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, rep := range lane {
				if ctx.Err() != nil {
					return
				}
				rep = r.communicate(ctx, rep)
				done[n] = append(done[n], rep)
				if rep.State == StatePending {
					return // failed: later reports of the lane wait their turn
				}
			}
		}()
	}
	wg.Wait()
	var finished []Report
	answered, failed := false, false
	for _, d := range done {
		for _, rep := range d {
			answered = answered || rep.State != StatePending
			failed = failed || rep.State == StatePending
		}
		finished = append(finished, d...)
	}
	if len(finished) == 0 {
		return 0, ctx.Err()
	}
	if err := r.store.Finish(context.WithoutCancel(ctx), finished); err != nil {
		return len(finished), fmt.Errorf("report: record deliveries: %w", err)
	}
	// The platform answered in a round where nothing failed: whatever
	// waits out a backoff from an outage goes now, not at its own time.
	if answered && !failed {
		if n, err := r.store.Wake(context.WithoutCancel(ctx), r.cfg.Now()); err != nil {
			return len(finished), fmt.Errorf("report: wake the waiting reports: %w", err)
		} else if n > 0 {
			r.cfg.Logger.Info("the platform answers again: sending what waited", "reports", n)
		}
	}
	return len(finished), nil
}

// communicate sends one report and says how it ended.
func (r *Reporter) communicate(ctx context.Context, rep Report) Report {
	if len(rep.Message) == 0 { // planned before messages were sealed at planning
		msg, err := r.send.Seal(rep.Interface, rep.Serial, r.cfg.Now(), rep.Body)
		if err != nil {
			rep.State, rep.LastError = StateRefused, err.Error()
			return rep
		}
		rep.Message = msg
	}
	res := r.send.Deliver(ctx, rep.Interface, rep.Serial, rep.Message)
	now := r.cfg.Now()
	rep.Sends += res.Sends
	switch res.Outcome {
	case Delivered:
		rep.State, rep.Answer, rep.LastError = StateDelivered, res.Answer.Code, ""
		rep.DeliveredAt = &now
	case Refused:
		rep.State, rep.Answer = StateRefused, res.Answer.Code
		rep.LastError = res.Answer.Reason
		if res.Err != nil {
			rep.LastError = res.Err.Error()
		}
		r.cfg.Logger.Error("the platform refused a report", "serial", rep.Serial, "code", res.Answer.Code, "reason", rep.LastError)
	default:
		rep.Failures++
		wait := r.cfg.Backoff << min(rep.Failures-1, 16)
		rep.NextAt = now.Add(min(wait, r.cfg.MaxWait))
		if res.Err != nil {
			rep.LastError = res.Err.Error()
		}
		r.cfg.Logger.Warn("a communication with the platform failed", "serial", rep.Serial, "sends", res.Sends, "failures", rep.Failures, "err", res.Err)
	}
	return rep
}
