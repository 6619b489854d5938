package hardware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/drivers/gatedev"
	"github.com/admitbox/admit/drivers/transport"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/lane"
)

// ErrOffline is returned by a barrier whose device cannot be reached now.
var ErrOffline = errors.New("hardware: device offline")

// GateDevices are a gate's readers and barrier, opened from its config.
type GateDevices struct {
	scanner *gatedev.Scanner
	rfid    *gatedev.RFIDReader
	idcard  *gatedev.IDCardReader
	barrier *barrier // nil for a handheld
	log     *slog.Logger
}

// DeviceState is one device's state, as the status and heartbeat report it.
type DeviceState struct {
	Online    bool   `json:"online"`
	LastError string `json:"last_error,omitempty"`
	Dropped   int    `json:"dropped,omitempty"` // reads dropped as garbage, oversized or bad checksums
}

// Options are the clock and log of the gate devices; zero values are
// the wall clock and no log.
type Options struct {
	Log     *slog.Logger
	Backoff func(attempt int) time.Duration // reopening a failed device; default gatedev.DefaultBackoff
	// Silence is how long a reader may stay silent before its port is
	// reopened (0: never; scanners rightly stay silent between visitors).
	Silence time.Duration
}

// OpenGate prepares the gate devices of d; nothing is opened until Run
// (the readers) or the first passage (the barrier).
func OpenGate(d Devices, o Options) (*GateDevices, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Backoff == nil {
		o.Backoff = gatedev.DefaultBackoff
	}
	opener := func(dev *Device) func(ctx context.Context) (transport.Port, error) {
		return func(ctx context.Context) (transport.Port, error) { return transport.Open(ctx, dev.Profile, dev.Port) }
	}
	rc := func(dev *Device) gatedev.Reconnect {
		return gatedev.Reconnect{Open: opener(dev), Backoff: o.Backoff, Silence: o.Silence, Log: o.Log}
	}
	g := &GateDevices{log: o.Log}
	var err error
	if d.Scanner != nil {
		if g.scanner, err = gatedev.NewScanner(*d.Scanner.Profile.Scanner, rc(d.Scanner)); err != nil {
			return nil, err
		}
	}
	if d.RFID != nil {
		if g.rfid, err = gatedev.NewRFIDReader(*d.RFID.Profile.RFID, rc(d.RFID)); err != nil {
			return nil, err
		}
	}
	if d.IDCard != nil {
		if g.idcard, err = gatedev.NewIDCardReader(*d.IDCard.Profile.IDCard, rc(d.IDCard)); err != nil {
			return nil, err
		}
	}
	switch {
	case d.Turnstile != nil:
		tp := *d.Turnstile.Profile.Turnstile
		g.barrier = &barrier{name: "turnstile", open: opener(d.Turnstile), backoff: o.Backoff, log: o.Log,
			attach: func(port transport.Port) (driver, error) { return gatedev.NewTurnstile(port, tp, nil) }}
	case d.Relay != nil:
		rp := *d.Relay.Profile.Relay
		in, out := d.RelayIn, d.RelayOut
		g.barrier = &barrier{name: "relay", open: opener(d.Relay), backoff: o.Backoff, log: o.Log,
			attach: func(port transport.Port) (driver, error) { return gatedev.NewRelayTurnstile(port, rp, in, out, nil) }}
	}
	return g, nil
}

// Barrier is the lane's barrier, or nil for a handheld.
func (g *GateDevices) Barrier() lane.Barrier {
	if g.barrier == nil {
		return nil
	}
	return g.barrier
}

// HasIDCard says whether the gate has an ID card reader, so its lane
// waits for the holder's card at real-name sessions.
func (g *GateDevices) HasIDCard() bool { return g.idcard != nil }

// Run reads the readers into the lane and keeps the barrier connected
// until ctx is done.
func (g *GateDevices) Run(ctx context.Context, l *lane.Lane) {
	var wg sync.WaitGroup
	feed := func(run func(context.Context, chan<- string) error, card bool, source string) {
		codes := make(chan string)
		wg.Add(2)
		go func() { defer wg.Done(); run(ctx, codes) }()
		go func() { defer wg.Done(); l.Feed(ctx, codes, card, source) }()
	}
	if g.scanner != nil {
		feed(g.scanner.Run, false, "scanner")
	}
	if g.rfid != nil {
		feed(g.rfid.Run, true, "rfid")
	}
	if g.idcard != nil {
		numbers := make(chan string)
		docs := make(chan identity.Document)
		wg.Add(3)
		go func() { defer wg.Done(); g.idcard.Run(ctx, numbers) }()
		go func() { defer wg.Done(); defer close(docs); g.idDocuments(ctx, numbers, docs) }()
		go func() { defer wg.Done(); l.FeedIDs(ctx, docs) }()
	}
	if g.barrier != nil {
		wg.Add(1)
		go func() { defer wg.Done(); g.barrier.keep(ctx) }()
	}
	wg.Wait()
	if g.barrier != nil {
		g.barrier.close()
	}
}

// States reports each configured device's state, by slot.
func (g *GateDevices) States() map[string]DeviceState {
	out := make(map[string]DeviceState)
	if g.scanner != nil {
		out["scanner"] = readerState(g.scanner.State())
	}
	if g.rfid != nil {
		out["rfid"] = readerState(g.rfid.State())
	}
	if g.idcard != nil {
		out["idcard"] = readerState(g.idcard.State())
	}
	if g.barrier != nil {
		out[g.barrier.name] = g.barrier.state()
	}
	return out
}

// idDocuments turns the numbers the reader read into documents, dropping
// (and logging) one whose check digit is wrong: a misread, or a forged
// card, which must not stand for anyone.
func (g *GateDevices) idDocuments(ctx context.Context, numbers <-chan string, docs chan<- identity.Document) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-numbers:
			doc, err := identity.Parse(identity.ResidentID, n, time.Now())
			if err != nil {
				g.log.Warn("ID card refused", "err", err)
				continue
			}
			select {
			case docs <- doc:
			case <-ctx.Done():
				return
			}
		}
	}
}

func readerState(s gatedev.DeviceState) DeviceState {
	return DeviceState{Online: s.Online, LastError: s.LastError, Dropped: s.Dropped}
}

// driver is a turnstile or relay driver on an open port.
type driver interface {
	Open(ctx context.Context, dir gatedev.Direction) error
	WaitPassage(ctx context.Context, dir gatedev.Direction, timeout time.Duration) (bool, error)
}

// barrier keeps a turnstile's or relay's port open, reopening it with
// backoff after a failure, and speaks the lane's Barrier. Only the lane's
// goroutine calls Open and WaitPassage.
type barrier struct {
	name    string
	open    func(ctx context.Context) (transport.Port, error)
	attach  func(transport.Port) (driver, error)
	backoff func(int) time.Duration
	log     *slog.Logger

	mu       sync.Mutex
	port     transport.Port
	drv      driver
	lastErr  string
	failures int
	kick     chan struct{}
}

func toDevice(dir gate.Direction) gatedev.Direction {
	if dir == gate.Out {
		return gatedev.Out
	}
	return gatedev.In
}

// Open opens the barrier for one passage; a barrier that is offline
// refuses at once with ErrOffline.
func (b *barrier) Open(ctx context.Context, dir gate.Direction) error {
	drv, err := b.connected(ctx)
	if err != nil {
		return err
	}
	if err := drv.Open(ctx, toDevice(dir)); err != nil {
		b.fail(err)
		return err
	}
	return nil
}

// WaitPassage waits for the passage, up to the profile's timeout.
func (b *barrier) WaitPassage(ctx context.Context, dir gate.Direction) (bool, error) {
	drv, err := b.connected(ctx)
	if err != nil {
		return false, err
	}
	passed, err := drv.WaitPassage(ctx, toDevice(dir), 0)
	if err != nil && !errors.Is(err, gatedev.ErrAlarm) && ctx.Err() == nil {
		b.fail(err) // the line failed; an alarm is the device speaking
	}
	return passed, err
}

// connected returns the driver, opening the port if it is closed. One
// attempt only: a visitor is waiting, and the keep loop retries.
func (b *barrier) connected(ctx context.Context) (driver, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drv != nil {
		return b.drv, nil
	}
	if err := b.connectLocked(ctx); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrOffline, b.name, err)
	}
	return b.drv, nil
}

func (b *barrier) connectLocked(ctx context.Context) error {
	port, err := b.open(ctx)
	if err != nil {
		b.lastErr = err.Error()
		return err
	}
	drv, err := b.attach(port)
	if err != nil {
		port.Close()
		b.lastErr = err.Error()
		return err
	}
	b.port, b.drv, b.failures = port, drv, 0
	b.log.Info("gate device online", "device", b.name)
	return nil
}

// fail closes the port after an I/O error, so that the next use or the
// keep loop reopens it.
func (b *barrier) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastErr = err.Error()
	if b.port != nil {
		b.port.Close()
	}
	b.port, b.drv = nil, nil
	b.log.Warn("gate device offline", "device", b.name, "err", err)
	if b.kick != nil {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// keep reopens the port with backoff whenever it is closed, so the
// status shows the device back online without waiting for a visitor.
func (b *barrier) keep(ctx context.Context) {
	b.mu.Lock()
	b.kick = make(chan struct{}, 1)
	b.mu.Unlock()
	for {
		b.mu.Lock()
		wait := time.Duration(0)
		if b.drv == nil {
			if err := b.connectLocked(ctx); err != nil {
				wait = b.backoff(b.failures)
				b.failures++
			}
		}
		kick := b.kick
		b.mu.Unlock()
		var (
			tick  <-chan time.Time
			timer *time.Timer
		)
		if wait > 0 {
			timer = time.NewTimer(wait)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
		case <-kick:
		case <-tick:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (b *barrier) state() DeviceState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return DeviceState{Online: b.drv != nil, LastError: b.lastErr}
}

func (b *barrier) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.port != nil {
		b.port.Close()
	}
	b.port, b.drv = nil, nil
}
