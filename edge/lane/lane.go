// Package lane runs one entry lane of a gate: every read (a QR from the
// scanner, a card from the RFID reader, a scan sent to the local API) is
// judged by the gate (edge/gate); an accepted one opens the barrier, and
// the admission is committed only once the barrier reports the passage. No
// passage within the barrier's timeout: nothing is counted and the ticket
// stays valid. Reads are handled one at a time, in arrival order, because
// a lane has one turnstile.
//
// A lane without a barrier is a handheld: the admission is recorded at
// the scan.
//
// It imports the gate logic and the standard library; the barrier's
// driver is behind the Barrier interface, so tests and the agent inject it.
package lane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/edge/gate"
)

// Barrier opens the lane for one passage: a turnstile that reports
// passages, or a relay board that reports nothing (its WaitPassage
// returns true once the pulse is over).
type Barrier interface {
	Open(ctx context.Context, dir gate.Direction) error
	// WaitPassage waits, up to the barrier's own timeout, for the passage
	// the last Open allowed: true when the visitor passed, false when no
	// one did in time. An error is a fault or an alarm: nobody passed.
	WaitPassage(ctx context.Context, dir gate.Direction) (bool, error)
}

// PassageCounter is a barrier whose firmware counts passages. A lane
// reads the count before it opens, so that after a crash it can tell
// whether the visitor it opened for passed.
type PassageCounter interface {
	Passages(ctx context.Context) (uint64, error)
}

// Outcome is what became of a read.
type Outcome string

const (
	Admitted    Outcome = "admitted"     // passed, admission recorded
	Refused     Outcome = "refused"      // the gate refused the ticket; the barrier stayed shut
	NoPassage   Outcome = "no_passage"   // the barrier opened but nobody passed in time; the ticket stays valid
	DeviceFault Outcome = "device_fault" // the barrier failed or raised its alarm; nothing recorded
)

// Messages shown for the outcomes the gate's Decision does not word.
const (
	MsgNoPassage   = "No passage: your ticket is still valid, please scan again"
	MsgDeviceFault = "Gate device offline: please ask staff"
	MsgAlarm       = "Turnstile alarm: please ask staff"
)

// Read is one thing to judge: a QR text or a card UID, and, from the
// local API, the holder's identity document read by hand.
type Read struct {
	QR   string
	Card string
	ID   *identity.Document
	Dir  gate.Direction // "" is the lane's direction
	// Source says where it came from ("scanner", "rfid", "api"), for
	// the log and the screen.
	Source string
}

// Result is what the lane did with one read.
type Result struct {
	Outcome  Outcome
	Decision gate.Decision // the gate's judgement; its Message is the gate's words
	Message  string        // what the screen shows
	Source   string
	At       time.Time
	// Undecided: the gate could not judge the read at all (its cache
	// failed); nothing was opened or recorded.
	Undecided bool
}

// Counts are the lane's running totals.
type Counts struct {
	Admitted    int64 `json:"admitted"`
	Refused     int64 `json:"refused"`
	NoPassage   int64 `json:"no_passage"`
	DeviceFault int64 `json:"device_fault"`
}

// Config configures a lane.
type Config struct {
	Gate      *gate.Gate
	Barrier   Barrier        // nil: a handheld
	Direction gate.Direction // the way a person passes who scans here (default in)
	Now       func() time.Time
	Log       *slog.Logger
	// OnResult, if set, is called with every result, from the lane's
	// goroutine (the screen, the log).
	OnResult func(Result)
	// IDWait is how long an entry to a real-name session waits for the
	// holder's ID card on the lane's reader, and how long a card read
	// before the ticket stays good for it. Zero: the lane has no ID-card
	// reader, and such an entry is refused at once unless the read
	// carries the document.
	IDWait time.Duration
}

// Lane is a running lane. Submit and Feed may be called from any
// goroutine; the reads are judged one at a time by Run.
type Lane struct {
	cfg  Config
	reqs chan request

	mu     sync.Mutex
	counts Counts
	last   *Result

	idMu    sync.Mutex
	id      *identity.Document // the last ID card read and not yet used
	idAt    time.Time
	idReady chan struct{} // a card was read (capacity 1)
}

type request struct {
	read  Read
	reply chan Result
}

// New returns a lane; Run must be running for it to judge anything.
func New(cfg Config) (*Lane, error) {
	if cfg.Gate == nil {
		return nil, errors.New("lane: no gate")
	}
	switch cfg.Direction {
	case "":
		cfg.Direction = gate.In
	case gate.In, gate.Out:
	default:
		return nil, fmt.Errorf("lane: direction %q", cfg.Direction)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.IDWait < 0 {
		return nil, fmt.Errorf("lane: ID wait %v", cfg.IDWait)
	}
	return &Lane{cfg: cfg, reqs: make(chan request), idReady: make(chan struct{}, 1)}, nil
}

// PresentID hands the lane an identity card its reader read. It stays
// good for the next entry to a real-name session for IDWait, and is
// used once: the next visitor must present their own.
func (l *Lane) PresentID(doc identity.Document) {
	l.idMu.Lock()
	l.id, l.idAt = &doc, l.cfg.Now()
	l.idMu.Unlock()
	select {
	case l.idReady <- struct{}{}:
	default:
	}
}

// FeedIDs presents every identity card that arrives on docs until docs
// is closed or ctx is done.
func (l *Lane) FeedIDs(ctx context.Context, docs <-chan identity.Document) {
	for {
		select {
		case <-ctx.Done():
			return
		case d, ok := <-docs:
			if !ok {
				return
			}
			l.PresentID(d)
		}
	}
}

// takeID returns the card read within the last IDWait, or waits up to
// IDWait for one; nil when none came.
func (l *Lane) takeID(ctx context.Context) *identity.Document {
	timer := time.NewTimer(l.cfg.IDWait)
	defer timer.Stop()
	for {
		l.idMu.Lock()
		doc, fresh := l.id, l.id != nil && l.cfg.Now().Sub(l.idAt) <= l.cfg.IDWait
		if doc != nil {
			l.id = nil
		}
		l.idMu.Unlock()
		if fresh {
			return doc
		}
		select {
		case <-l.idReady:
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// Run resolves what a crash left (Recover), then judges reads until ctx
// is done.
func (l *Lane) Run(ctx context.Context) error {
	if _, err := l.Recover(ctx); err != nil {
		// The intents stay; the next start tries again. Reads go on.
		l.cfg.Log.Error("intents left by a crash not resolved", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-l.reqs:
			res := l.handle(ctx, r.read)
			res.At = l.cfg.Now()
			l.note(res)
			if l.cfg.OnResult != nil {
				l.cfg.OnResult(res)
			}
			if r.reply != nil {
				r.reply <- res
			}
		}
	}
}

// Submit judges one read and waits for its result, passage included.
func (l *Lane) Submit(ctx context.Context, r Read) (Result, error) {
	req := request{read: r, reply: make(chan Result, 1)}
	select {
	case l.reqs <- req:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lane: submit: %w", ctx.Err())
	}
	select {
	case res := <-req.reply:
		return res, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lane: wait for the result: %w", ctx.Err())
	}
}

// Feed judges every code that arrives on codes (QR texts, or card UIDs
// when card is set) until codes is closed or ctx is done; the results go
// to OnResult.
func (l *Lane) Feed(ctx context.Context, codes <-chan string, card bool, source string) {
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-codes:
			if !ok {
				return
			}
			r := Read{QR: c, Source: source}
			if card {
				r = Read{Card: c, Source: source}
			}
			select {
			case l.reqs <- request{read: r}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// Recover resolves the passages a crash left between the barrier opening
// and the admission being recorded: from the barrier's passage counter
// when it has one, else counted as admitted and flagged unconfirmed to
// the cloud. Run calls it first; a lane without a barrier has none.
func (l *Lane) Recover(ctx context.Context) ([]gate.Recovered, error) {
	if l.cfg.Barrier == nil {
		return nil, nil
	}
	rs, err := l.cfg.Gate.Recover(l.counter(ctx))
	for _, r := range rs {
		l.cfg.Log.Warn("a passage left by a crash resolved", "ticket", r.Intent.Number, "direction", r.Intent.Direction,
			"opened_at", r.Intent.At, "resolution", r.Resolution)
		if r.Resolution != gate.NotPassed {
			l.mu.Lock()
			l.counts.Admitted++
			l.mu.Unlock()
		}
	}
	return rs, err
}

// counter reads the barrier's passage count, when it has one that answers.
func (l *Lane) counter(ctx context.Context) gate.Counter {
	pc, ok := l.cfg.Barrier.(PassageCounter)
	if !ok {
		return gate.Counter{}
	}
	n, err := pc.Passages(ctx)
	if err != nil {
		l.cfg.Log.Warn("passage counter not read", "err", err)
		return gate.Counter{}
	}
	return gate.Counter{Value: n, Known: true}
}

// Counts returns the running totals.
func (l *Lane) Counts() Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts
}

// Last returns the last result, if any.
func (l *Lane) Last() (Result, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		return Result{}, false
	}
	return *l.last, true
}

func (l *Lane) note(r Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch r.Outcome {
	case Admitted:
		l.counts.Admitted++
	case Refused:
		l.counts.Refused++
	case NoPassage:
		l.counts.NoPassage++
	case DeviceFault:
		l.counts.DeviceFault++
	}
	l.last = &r
}

// handle is scan → validate → open → passage → commit. A gate error
// (the cache could not be read or written) is a device fault: the barrier
// stays shut, or, after a passage, the admission could not be recorded.
func (l *Lane) handle(ctx context.Context, r Read) Result {
	dir := r.Dir
	if dir == "" {
		dir = l.cfg.Direction
	}
	res := Result{Source: r.Source}
	g := l.cfg.Gate
	if l.cfg.Barrier == nil {
		d, err := l.judge(ctx, r, dir, g.ValidateScan)
		return l.decided(res, d, err)
	}
	d, err := l.judge(ctx, r, dir, g.CheckScan)
	if res = l.decided(res, d, err); res.Outcome != Admitted {
		return res
	}
	// The intent is durable before the barrier opens: a crash from here
	// to the commit leaves it for Recover instead of losing the entry.
	if err := g.Intend(d, dir, l.counter(ctx)); err != nil {
		l.cfg.Log.Error("intent not recorded: the barrier stays shut", "ticket", d.Number, "err", err)
		return l.fault(res, MsgDeviceFault)
	}
	abandon := func() {
		if ctx.Err() != nil {
			return // shutting down with the barrier open: the next start resolves it
		}
		if err := g.Abandon(d.Number); err != nil {
			l.cfg.Log.Error("intent not dropped", "ticket", d.Number, "err", err)
		}
	}
	if err := l.cfg.Barrier.Open(ctx, dir); err != nil {
		l.cfg.Log.Warn("barrier did not open", "ticket", d.Number, "err", err)
		abandon()
		return l.fault(res, MsgDeviceFault)
	}
	passed, err := l.cfg.Barrier.WaitPassage(ctx, dir)
	switch {
	case err != nil:
		l.cfg.Log.Warn("no passage: barrier fault", "ticket", d.Number, "err", err)
		abandon()
		return l.fault(res, MsgAlarm)
	case !passed:
		abandon()
		res.Outcome, res.Message = NoPassage, MsgNoPassage
		return res
	}
	c, err := g.Commit(d, dir)
	if err != nil {
		// The visitor is through and the record failed: say so loudly;
		// the ticket may be used again at this gate.
		l.cfg.Log.Error("passage not recorded", "ticket", d.Number, "err", err)
		return l.fault(res, MsgDeviceFault)
	}
	res.Decision = c
	return res
}

// judge asks the gate; at a real-name session without the holder's card
// in the read, it waits for the lane's reader to read one and asks again.
func (l *Lane) judge(ctx context.Context, r Read, dir gate.Direction, ask func(gate.Scan, gate.Direction) (gate.Decision, error)) (gate.Decision, error) {
	s := gate.Scan{QR: r.QR, Card: r.Card, ID: r.ID}
	d, err := ask(s, dir)
	if err != nil || d.Reason != gate.ReasonHolderAbsent || s.ID != nil || l.cfg.IDWait == 0 {
		return d, err
	}
	if s.ID = l.takeID(ctx); s.ID == nil {
		return d, nil
	}
	return ask(s, dir)
}

func (l *Lane) decided(res Result, d gate.Decision, err error) Result {
	res.Decision = d
	if err != nil {
		l.cfg.Log.Error("gate could not decide", "err", err)
		res.Undecided = true
		return l.fault(res, MsgDeviceFault)
	}
	res.Message = d.Message
	if d.Admit {
		res.Outcome = Admitted
	} else {
		res.Outcome = Refused
	}
	return res
}

func (l *Lane) fault(res Result, msg string) Result {
	res.Outcome, res.Message = DeviceFault, msg
	res.Decision.Admit = false
	return res
}
