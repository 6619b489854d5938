package report

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
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
	MakeupStore
	ReconcileStore
	Leases
}

// Leases elect one sender among the cloud processes on one store: each
// report is sent by the process holding the lease.
type Leases interface {
	// Lease takes or renews the named lease for holder until now+ttl,
	// unless another holder's is still running; it says whether holder
	// has it.
	Lease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// Release lets the lease go at once (a process shutting down).
	Release(ctx context.Context, name, holder string) error
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
	// Reconcile is how often the ended business days are reconciled with
	// what the platform holds (§4.5, §10.4).
	Reconcile time.Duration
	// Holder names this process among those on the store; only the one
	// holding the sender's lease plans, sends and reconciles. LeaseTTL is
	// how long a lease lasts unrenewed (renewed every third of it), so a
	// process that dies is replaced within LeaseTTL plus a third.
	Holder   string
	LeaseTTL time.Duration
	// Grace is how long, on shutdown, the communications under way may
	// take to finish (default 5 s): one cut short may have reached the
	// platform, and the next sender sends it again.
	Grace  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Reporter turns the sales core's outbox into reports and delivers them.
type Reporter struct {
	store Store
	facts Facts
	send  Sender
	cfg   Config
	kick  chan struct{}
	// leader says this process holds the sender's lease.
	leader atomic.Bool
	// lastDayCheck is when the days were last looked at (Run's goroutine only).
	lastDayCheck time.Time
	lanes        *lanes // set by Run
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
	if cfg.Reconcile <= 0 {
		cfg.Reconcile = 10 * time.Minute
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 15 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.Holder == "" {
		cfg.Holder = newHolder()
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
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	// On the way out: stop the lanes, record every outcome they have, and
	// only then let the lease go, so the next sender finds each delivered
	// report recorded and sends it no second time.
	defer func() {
		cancel()
		wg.Wait()
		if r.leader.Load() {
			if err := r.store.Release(context.WithoutCancel(ctx), senderLease, r.cfg.Holder); err != nil {
				r.cfg.Logger.Warn("release the sender's lease", "err", err)
			}
		}
	}()
	r.startLanes(ctx, &wg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.reconcileLoop(ctx)
	}()
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	var tried time.Time
	for {
		for {
			// Renewed every third of the lease, between rounds: a round
			// that outlasted the lease's margin must not be followed by
			// another on a lease another process may have taken.
			if time.Since(tried) >= r.cfg.LeaseTTL/3 {
				tried = time.Now()
				r.takeLease(ctx)
			}
			if !r.leader.Load() {
				break
			}
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

// senderLease is the lease of the platform's sender.
const senderLease = "report.sender"

// takeLease takes or renews the sender's lease, and says when this
// process starts or stops being the sender.
func (r *Reporter) takeLease(ctx context.Context) {
	ok, err := r.store.Lease(ctx, senderLease, r.cfg.Holder, time.Now(), r.cfg.LeaseTTL)
	if err != nil {
		if ctx.Err() == nil {
			r.cfg.Logger.Warn("take the sender's lease", "err", err)
		}
		ok = false
	}
	if was := r.leader.Swap(ok); was != ok {
		if ok {
			r.cfg.Logger.Info("this process sends to the national data platform", "holder", r.cfg.Holder)
		} else {
			r.cfg.Logger.Info("another process sends to the national data platform", "holder", r.cfg.Holder)
		}
	}
}

// Leader says whether this process is the platform's sender.
func (r *Reporter) Leader() bool { return r.leader.Load() }

// newHolder names this process: host, pid and a random part.
func newHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// Step is one round: plan what the outbox holds, then hand what is due to
// the lanes (Run starts them). It returns how many reports it planned and
// how many it handed over.
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
	n, err := r.restate(ctx, r.cfg.Now())
	if err != nil {
		return planned, 0, err
	}
	planned += n
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
			rs, err := dayStats(ctx, r.store, r.facts, v, date, now)
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

// Delivery runs in lanes that live as long as Run: a report goes to the
// lane of its key, so one key's reports are sent in order, one at a time;
// a slow report (a large hall) holds up its own lane only. A lane that
// fails a report sends nothing more of that key until the queue has
// recorded the failure (the store then holds the later ones back). A
// recorder writes the outcomes in batches and frees their reports.

// lanes is the delivery machinery, started by Run.
type lanes struct {
	queues   []chan Report
	done     chan Report
	mu       sync.Mutex
	inflight map[int64]bool // reports queued or being sent
	// settled are the reports recorded since deliver last queried: a
	// query that ran before their outcome was written still calls them
	// due, and they must not go out again.
	settled map[int64]bool
	failing atomic.Bool // a communication failed since the last wake
}

func (r *Reporter) startLanes(ctx context.Context, wg *sync.WaitGroup) {
	l := &lanes{done: make(chan Report, r.cfg.Batch), inflight: map[int64]bool{}, settled: map[int64]bool{}}
	var lanesWG sync.WaitGroup
	// Sends outlive ctx by up to Grace: a shutdown lets each lane finish
	// the communication under way, then stop.
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	for range r.cfg.Lanes {
		q := make(chan Report, r.cfg.Batch)
		l.queues = append(l.queues, q)
		lanesWG.Add(1)
		go func() {
			defer lanesWG.Done()
			r.lane(ctx, sendCtx, q, l.done)
		}()
	}
	stopped := make(chan struct{}) // every lane has returned
	go func() {
		lanesWG.Wait()
		close(stopped)
	}()
	go func() {
		defer cancelSends()
		select {
		case <-stopped:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(r.cfg.Grace)
		defer t.Stop()
		select {
		case <-stopped:
		case <-t.C:
			r.cfg.Logger.Warn("communications still under way after the shutdown grace: cut short", "grace", r.cfg.Grace)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.record(ctx, l, stopped)
	}()
	r.lanes = l
}

// lane sends its reports in order. After a failure it passes over the
// key's later reports (they stay pending) until its queue is empty.
func (r *Reporter) lane(ctx, sendCtx context.Context, q <-chan Report, done chan<- Report) {
	failed := map[string]bool{}
	for {
		if ctx.Err() != nil {
			return // what is queued stays pending in the store
		}
		select {
		case <-ctx.Done():
			return
		case rep := <-q:
			if failed[rep.Key] {
				rep.State = "" // not sent: leave it as it is
			} else {
				rep = r.communicate(sendCtx, rep)
				if rep.State == StatePending {
					failed[rep.Key] = true
					if sendCtx.Err() != nil {
						rep.State = "" // cut short by the shutdown, not failed: leave it as it is
					}
				}
			}
			if len(q) == 0 {
				clear(failed)
			}
			done <- rep // the recorder takes outcomes until every lane has stopped
		}
	}
}

// record writes the lanes' outcomes, a batch at a time, frees their
// reports and wakes the loop; after an outage, the first delivery makes
// whatever waits out a backoff due at once.
func (r *Reporter) record(ctx context.Context, l *lanes, stopped <-chan struct{}) {
	for {
		var batch []Report
		select {
		case <-stopped:
			// Shut down: the outcomes the lanes handed over last.
			for {
				select {
				case rep := <-l.done:
					batch = append(batch, rep)
					continue
				default:
				}
				break
			}
			var finished []Report
			for _, rep := range batch {
				if rep.State != "" {
					finished = append(finished, rep)
				}
			}
			if len(finished) > 0 {
				if err := r.store.Finish(context.WithoutCancel(ctx), finished); err != nil {
					r.cfg.Logger.Error("record deliveries", "err", err)
				}
			}
			return
		case rep := <-l.done:
			batch = append(batch, rep)
		}
	more:
		for len(batch) < r.cfg.Batch {
			select {
			case rep := <-l.done:
				batch = append(batch, rep)
			default:
				break more
			}
		}
		var finished []Report
		delivered := false
		for _, rep := range batch {
			switch rep.State {
			case "":
				continue
			case StatePending:
				l.failing.Store(true)
			default:
				delivered = true
			}
			finished = append(finished, rep)
		}
		wctx := context.WithoutCancel(ctx)
		if len(finished) > 0 {
			if err := r.store.Finish(wctx, finished); err != nil {
				r.cfg.Logger.Error("record deliveries", "err", err)
			}
		}
		if delivered && l.failing.Swap(false) {
			if n, err := r.store.Wake(wctx, r.cfg.Now()); err != nil {
				r.cfg.Logger.Error("wake the waiting reports", "err", err)
			} else if n > 0 {
				r.cfg.Logger.Info("the platform answers again: sending what waited", "reports", n)
			}
		}
		l.mu.Lock()
		for _, rep := range batch {
			delete(l.inflight, rep.ID)
			l.settled[rep.ID] = true
		}
		l.mu.Unlock()
		r.Kick()
	}
}

// deliver hands the due reports that are not already under way to their
// lanes; it says how many it handed over.
func (r *Reporter) deliver(ctx context.Context) (int, error) {
	if r.lanes == nil {
		return 0, errors.New("report: deliver before Run started the lanes")
	}
	l := r.lanes
	l.mu.Lock()
	clear(l.settled) // their outcomes are written: the query below sees them
	l.mu.Unlock()
	due, err := r.store.Due(ctx, r.cfg.Now(), r.cfg.Batch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	n := 0
	for _, rep := range due {
		h := fnv.New32a()
		h.Write([]byte(rep.Key))
		q := l.queues[h.Sum32()%uint32(len(l.queues))]
		l.mu.Lock()
		busy := l.inflight[rep.ID] || l.settled[rep.ID]
		if !busy && len(q) < cap(q) {
			l.inflight[rep.ID] = true
		}
		l.mu.Unlock()
		if busy {
			continue
		}
		select {
		case q <- rep:
			n++
		default: // the lane is full: the report waits for a later round
			l.mu.Lock()
			delete(l.inflight, rep.ID)
			l.mu.Unlock()
		}
	}
	return n, nil
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
