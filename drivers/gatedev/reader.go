package gatedev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/transport"
)

// DeviceState is what a reader's Run loop last saw of its device.
type DeviceState struct {
	Online    bool   // the port is open and has not failed since
	LastError string // why the port last failed or could not be opened; "" if it never did
	Dropped   int    // codes or frames dropped as malformed, over every connection
}

// Reconnect says how a reader reaches its device and gets it back after
// a failure. Only Open is required.
type Reconnect struct {
	// Open opens the device's port, such as transport.Open with the
	// profile and the configured port path.
	Open func(ctx context.Context) (transport.Port, error)
	// Silence, if positive, is how long the port may stay silent before
	// it is taken for dead and reopened: a USB-serial bridge that was
	// replugged can leave a port that never fails but never reads again.
	// Leave it zero for a device that may rightly stay silent for long.
	Silence time.Duration
	// Backoff is the wait before the attempt-th reopening (from 0);
	// by default 100 ms doubling up to 5 s.
	Backoff func(attempt int) time.Duration
	// Now is the clock read deadlines are set by; it must be the port's
	// clock. By default time.Now.
	Now func() time.Time
	// After waits for the backoff; by default time.After.
	After func(time.Duration) <-chan time.Time
	// Log receives reconnections; by default they are discarded (no global logger).
	Log *slog.Logger
}

// DefaultBackoff waits 100 ms before the first reopening and doubles the
// wait each time up to 5 s.
func DefaultBackoff(attempt int) time.Duration {
	d := 100 * time.Millisecond
	for range min(attempt, 6) {
		d *= 2
	}
	return min(d, 5*time.Second)
}

// decoder is one connection's codec: its next good code and how many it
// has dropped so far.
type decoder interface {
	next() (string, error)
	dropped() int
}

// link runs a reader's reconnect loop and keeps its state.
type link struct {
	kind string
	rc   Reconnect
	dec  func(context.Context, transport.Port) (decoder, error)

	mu    sync.Mutex
	state DeviceState
	base  int // drops of the connections before the current one
}

func newLink(kind string, rc Reconnect, dec func(context.Context, transport.Port) (decoder, error)) (*link, error) {
	if rc.Open == nil {
		return nil, fmt.Errorf("gatedev: %s: no Open function", kind)
	}
	if rc.Backoff == nil {
		rc.Backoff = DefaultBackoff
	}
	if rc.Now == nil {
		rc.Now = time.Now
	}
	if rc.After == nil {
		rc.After = time.After
	}
	if rc.Log == nil {
		rc.Log = slog.New(slog.DiscardHandler)
	}
	// Refuse a bad configuration now, not on the first connection.
	if _, err := dec(context.Background(), eofPort{}); err != nil {
		return nil, fmt.Errorf("gatedev: %s: %w", kind, err)
	}
	return &link{kind: kind, rc: rc, dec: dec}, nil
}

// eofPort is a port at its end, to try a decoder's configuration on.
type eofPort struct{}

func (eofPort) Read([]byte) (int, error)        { return 0, io.EOF }
func (eofPort) Write(b []byte) (int, error)     { return len(b), nil }
func (eofPort) Close() error                    { return nil }
func (eofPort) SetReadDeadline(time.Time) error { return nil }

func (l *link) State() DeviceState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// run opens the port, delivers codes to out and reopens the port with
// backoff whenever it fails, until ctx is done; it then returns ctx.Err().
func (l *link) run(ctx context.Context, out chan<- string) error {
	failures := 0
	for {
		port, err := l.rc.Open(ctx)
		if err == nil {
			failures = 0
			l.setOnline()
			err = l.serve(ctx, port, out)
			port.Close()
		}
		if ctx.Err() != nil {
			l.setOffline(ctx.Err())
			return ctx.Err()
		}
		l.setOffline(err)
		wait := l.rc.Backoff(failures)
		failures++
		l.rc.Log.Warn("gate device offline", "device", l.kind, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.rc.After(wait):
		}
	}
}

// serve reads one connection until it fails; it never returns nil.
func (l *link) serve(ctx context.Context, port transport.Port, out chan<- string) error {
	// A blocked Read returns once the port is closed.
	stop := context.AfterFunc(ctx, func() { port.Close() })
	defer stop()
	dec, err := l.dec(ctx, port)
	if err != nil {
		return err
	}
	defer l.endConnection(dec)
	for {
		if l.rc.Silence > 0 {
			if err := port.SetReadDeadline(l.rc.Now().Add(l.rc.Silence)); err != nil {
				return fmt.Errorf("gatedev: %s: set read deadline: %w", l.kind, err)
			}
		}
		code, err := dec.next()
		l.count(dec)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && l.rc.Silence > 0 {
				return fmt.Errorf("gatedev: %s: silent for %v: %w", l.kind, l.rc.Silence, err)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("gatedev: %s: no answer: %w", l.kind, err)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("gatedev: %s: port closed: %w", l.kind, err)
			}
			return fmt.Errorf("gatedev: %s: %w", l.kind, err)
		}
		select {
		case out <- code:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *link) count(dec decoder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Dropped = l.base + dec.dropped()
}

func (l *link) endConnection(dec decoder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.base += dec.dropped()
	l.state.Dropped = l.base
}

func (l *link) setOnline() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Online = true
}

func (l *link) setOffline(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Online = false
	if err != nil {
		l.state.LastError = err.Error()
	}
}

// Scanner reads ticket codes from a serial QR scanner.
type Scanner struct{ l *link }

// NewScanner returns a scanner framing codes as p says, reached through rc.
func NewScanner(p profile.Scanner, rc Reconnect) (*Scanner, error) {
	cfg := LineConfig(p)
	l, err := newLink("scanner", rc, func(_ context.Context, r transport.Port) (decoder, error) {
		lr, err := frame.NewLineReader(r, cfg)
		if err != nil {
			return nil, err
		}
		return lineDecoder{lr}, nil
	})
	if err != nil {
		return nil, err
	}
	return &Scanner{l}, nil
}

// Run sends each code scanned to out until ctx is done, reopening the port
// whenever it fails or stays silent past rc.Silence, and returns ctx.Err().
// Codes dropped as oversized or garbled are counted in State, never sent.
func (s *Scanner) Run(ctx context.Context, out chan<- string) error { return s.l.run(ctx, out) }

// State is safe to call while Run runs.
func (s *Scanner) State() DeviceState { return s.l.State() }

type lineDecoder struct{ r *frame.LineReader }

func (d lineDecoder) next() (string, error) { return d.r.Next() }

// dropped counts dropped codes; noise bytes outside any code are not
// codes, so they are not counted.
func (d lineDecoder) dropped() int {
	s := d.r.Stats()
	return s.Oversized + s.Garbage
}

// RFIDReader reads card UIDs, as upper-case hex, from an RFID reader.
type RFIDReader struct{ l *link }

// NewRFIDReader returns a reader decoding frames as p says, reached through rc.
func NewRFIDReader(p profile.RFID, rc Reconnect) (*RFIDReader, error) {
	cfg, err := RFIDConfig(p)
	if err != nil {
		return nil, err
	}
	l, err := newLink("rfid", rc, func(_ context.Context, r transport.Port) (decoder, error) {
		rr, err := frame.NewRFIDReader(r, cfg)
		if err != nil {
			return nil, err
		}
		return rfidDecoder{rr}, nil
	})
	if err != nil {
		return nil, err
	}
	return &RFIDReader{l}, nil
}

// Run sends each card UID read to out until ctx is done, reopening the port
// whenever it fails or stays silent past rc.Silence, and returns ctx.Err().
// Frames dropped for a bad checksum or length are counted in State.
func (r *RFIDReader) Run(ctx context.Context, out chan<- string) error { return r.l.run(ctx, out) }

// State is safe to call while Run runs.
func (r *RFIDReader) State() DeviceState { return r.l.State() }

type rfidDecoder struct{ r *frame.RFIDReader }

func (d rfidDecoder) next() (string, error) { return d.r.Next() }

func (d rfidDecoder) dropped() int {
	s := d.r.Stats()
	return s.BadChecksum + s.BadLength
}
