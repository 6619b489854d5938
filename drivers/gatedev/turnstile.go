package gatedev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/profile"
)

// Direction is the way through a gate.
type Direction int

// The directions a turnstile opens in.
const (
	In Direction = iota + 1
	Out
)

func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return fmt.Sprintf("direction(%d)", int(d))
}

// ErrAlarm reports that the turnstile raised its alarm (forced, pushed the
// wrong way, or timed out in a way the controller reports) instead of a
// passage.
var ErrAlarm = errors.New("gatedev: turnstile alarm")

// ErrDirection reports a direction that is neither In nor Out.
var ErrDirection = errors.New("gatedev: invalid direction")

// DeadlinePort is the port a [Turnstile] talks over: transport.Port
// without Close, which the caller keeps.
type DeadlinePort interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
}

// Turnstile drives a turnstile controller that reports each passage. It is
// meant for one gate goroutine: Open and WaitPassage must not be called
// concurrently.
type Turnstile struct {
	port    DeadlinePort
	cfg     frame.TurnstileConfig
	dec     *frame.TurnstileDecoder
	timeout time.Duration
	now     func() time.Time
}

// NewTurnstile returns a turnstile on port, speaking p's bytes. now is the
// port's clock, by which read deadlines are set; nil means time.Now.
func NewTurnstile(port DeadlinePort, p profile.Turnstile, now func() time.Time) (*Turnstile, error) {
	cfg := TurnstileConfig(p)
	if len(cfg.OpenIn) == 0 || len(cfg.OpenOut) == 0 {
		return nil, fmt.Errorf("gatedev: turnstile profile has no open commands")
	}
	dec, err := frame.NewTurnstileDecoder(port, cfg)
	if err != nil {
		return nil, fmt.Errorf("gatedev: turnstile: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Turnstile{port: port, cfg: cfg, dec: dec, timeout: p.PassageTimeout, now: now}, nil
}

// Open sends the open command for dir.
func (t *Turnstile) Open(ctx context.Context, dir Direction) error {
	cmd := t.cfg.OpenIn
	switch dir {
	case In:
	case Out:
		cmd = t.cfg.OpenOut
	default:
		return fmt.Errorf("turnstile open: %w: %v", ErrDirection, dir)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("gatedev: turnstile open %v: %w", dir, err)
	}
	if _, err := t.port.Write(cmd); err != nil {
		return fmt.Errorf("gatedev: turnstile open %v: %w", dir, err)
	}
	return nil
}

// WaitPassage waits up to timeout (the profile's passage timeout when 0)
// for the controller to report a passage in dir. It returns true on that
// passage, false when none came in time (the visitor did not go through),
// and ErrAlarm when the controller raised its alarm. Acknowledgements and
// passages the other way are skipped.
func (t *Turnstile) WaitPassage(ctx context.Context, dir Direction, timeout time.Duration) (bool, error) {
	want := frame.PassageIn
	switch dir {
	case In:
	case Out:
		want = frame.PassageOut
	default:
		return false, fmt.Errorf("turnstile wait: %w: %v", ErrDirection, dir)
	}
	if timeout <= 0 {
		timeout = t.timeout
	}
	if err := t.port.SetReadDeadline(t.now().Add(timeout)); err != nil {
		return false, fmt.Errorf("gatedev: turnstile wait: set read deadline: %w", err)
	}
	// Cancelling ctx moves the deadline to now, which ends a blocked read.
	var mu sync.Mutex
	cancelled := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		cancelled = true
		t.port.SetReadDeadline(t.now())
	})
	defer func() {
		if stop() {
			t.port.SetReadDeadline(time.Time{})
		}
	}()
	for {
		ev, err := t.dec.Next()
		switch {
		case err == nil && ev == want:
			return true, nil
		case err == nil && ev == frame.Alarm:
			return false, fmt.Errorf("turnstile wait %v: %w", dir, ErrAlarm)
		case err == nil:
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			mu.Lock()
			c := cancelled
			mu.Unlock()
			if c {
				return false, fmt.Errorf("gatedev: turnstile wait %v: %w", dir, ctx.Err())
			}
			return false, nil
		default:
			return false, fmt.Errorf("gatedev: turnstile wait %v: %w", dir, err)
		}
	}
}

// RelayTurnstile opens a gate (a door strike, a barrier) through a relay
// board: each direction is a relay channel pulsed on for the profile's
// pulse time. The board reports nothing back.
type RelayTurnstile struct {
	port     io.Writer
	relay    profile.Relay
	channels map[Direction]int
	after    func(time.Duration) <-chan time.Time
}

// NewRelayTurnstile returns a gate on port whose in and out directions are
// relay channels in and out (1-based; they may be the same channel). after
// times the pulse; nil means time.After.
func NewRelayTurnstile(port io.Writer, p profile.Relay, in, out int, after func(time.Duration) <-chan time.Time) (*RelayTurnstile, error) {
	for _, ch := range []int{in, out} {
		if _, err := p.Switch(ch, true); err != nil {
			return nil, fmt.Errorf("gatedev: %w", err)
		}
	}
	if after == nil {
		after = time.After
	}
	return &RelayTurnstile{port: port, relay: p, channels: map[Direction]int{In: in, Out: out}, after: after}, nil
}

// Open switches dir's channel on, waits the pulse time and switches it off
// again. The off command is sent even when ctx is cancelled mid-pulse, so
// a gate is never left open; Open then returns ctx's error.
func (r *RelayTurnstile) Open(ctx context.Context, dir Direction) error {
	ch, ok := r.channels[dir]
	if !ok {
		return fmt.Errorf("relay open: %w: %v", ErrDirection, dir)
	}
	on, _ := r.relay.Switch(ch, true)
	off, _ := r.relay.Switch(ch, false)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("gatedev: relay open %v: %w", dir, err)
	}
	if _, err := r.port.Write(on); err != nil {
		return fmt.Errorf("gatedev: relay %d on: %w", ch, err)
	}
	var cause error
	select {
	case <-r.after(r.relay.Pulse):
	case <-ctx.Done():
		cause = ctx.Err()
	}
	if _, err := r.port.Write(off); err != nil {
		return fmt.Errorf("gatedev: relay %d off: %w", ch, err)
	}
	if cause != nil {
		return fmt.Errorf("gatedev: relay open %v cut short: %w", dir, cause)
	}
	return nil
}

// WaitPassage returns true at once: a relay board has no passage sensor,
// so once Open has returned (after the whole pulse) the passage is assumed.
// It returns false only for an invalid direction or a ctx already done.
func (r *RelayTurnstile) WaitPassage(ctx context.Context, dir Direction, timeout time.Duration) (bool, error) {
	if _, ok := r.channels[dir]; !ok {
		return false, fmt.Errorf("relay wait: %w: %v", ErrDirection, dir)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return true, nil
}
