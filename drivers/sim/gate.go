package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/profile"
)

// line is a gate device's pseudo-terminal. Like the printer, the simulator
// keeps the slave open too, so that the master does not see a hang-up
// while no driver has the port open. Closing it is unplugging the device.
type line struct {
	master, slave *os.File

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// SlavePath is the pseudo-terminal a driver opens as its serial port.
func (l *line) SlavePath() string { return l.slave.Name() }

// send writes b as the device does, in one write.
func (l *line) send(b []byte) error {
	if _, err := l.master.Write(b); err != nil {
		return fmt.Errorf("sim: send: %w", err)
	}
	return nil
}

// Close unplugs the device: the pseudo-terminal is closed, and a driver
// on it reads an error or nothing more.
func (l *line) Close() error {
	l.closeOnce.Do(func() {
		errs := []error{l.master.Close()}
		l.wg.Wait()
		errs = append(errs, l.slave.Close())
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Scanner is a simulated serial QR scanner: it sends codes framed as its
// profile says, and line noise on demand. Its methods are safe for
// concurrent use.
type Scanner struct {
	*line
	framing profile.Framing
}

// OpenScannerPTY starts a scanner framing codes as p says on a new
// pseudo-terminal.
func OpenScannerPTY(p profile.Scanner) (*Scanner, error) {
	l, err := openLine()
	if err != nil {
		return nil, err
	}
	return &Scanner{line: l, framing: p.Framing}, nil
}

// Send sends code as one scan: prefix, code, terminator.
func (s *Scanner) Send(code string) error {
	return s.send(bytes.Join([][]byte{s.framing.Prefix, []byte(code), s.framing.Terminator}, nil))
}

// SendNoise sends b as it is, as a scanner does when it powers up or its
// line picks up interference.
func (s *Scanner) SendNoise(b []byte) error { return s.send(b) }

// SendOversized sends one well-framed scan one byte longer than the
// profile's max_len, as a scanner set to the wrong symbology might.
func (s *Scanner) SendOversized() error {
	return s.Send(strings.Repeat("A", s.framing.MaxLen+1))
}

// RFIDReader is a simulated RFID card reader sending frames as cfg (the
// frame configuration of its profile) says.
type RFIDReader struct {
	*line
	cfg frame.RFIDConfig
}

// OpenRFIDPTY starts an RFID reader on a new pseudo-terminal. cfg is the
// frame configuration of the reader's profile (gatedev.RFIDConfig).
func OpenRFIDPTY(cfg frame.RFIDConfig) (*RFIDReader, error) {
	l, err := openLine()
	if err != nil {
		return nil, err
	}
	return &RFIDReader{line: l, cfg: cfg}, nil
}

// Tap sends the frame of a card with uid held over the reader, with zero
// type bytes.
func (r *RFIDReader) Tap(uid []byte) error { return r.send(frame.EncodeRFID(r.cfg, uid)) }

// SendBadFrame sends the frame of a card of the smallest UID size with its
// checksum, or its End byte when there is no checksum, corrupted: the frame
// of a card pulled away mid-read. Its UID and checksum hold neither the
// Start nor the End byte, so a reader drops it as one bad frame.
func (r *RFIDReader) SendBadFrame() error {
	size := 4
	if len(r.cfg.UIDSizes) > 0 {
		size = r.cfg.UIDSizes[0]
		for _, n := range r.cfg.UIDSizes {
			size = min(size, n)
		}
	}
	special := func(b byte) bool { return b == r.cfg.Start || b == r.cfg.End }
	uid := make([]byte, 0, size)
	for b := byte(0x10); len(uid) < size; b++ {
		if !special(b) {
			uid = append(uid, b)
		}
	}
	f := frame.EncodeRFID(r.cfg, uid)
	if r.cfg.Checksum == "none" {
		f[len(f)-1] = ^r.cfg.End
		return r.send(f)
	}
	good := f[len(f)-2]
	for x := byte(0x5A); ; x++ {
		if bad := good ^ x; !special(bad) {
			f[len(f)-2] = bad
			break
		}
	}
	return r.send(f)
}

// Turnstile is a simulated turnstile controller: it answers each open
// command of its profile with a passage that way, unless told to refuse
// to turn (the visitor walks away), and raises its alarm on demand. Its
// methods are safe for concurrent use.
type Turnstile struct {
	*line
	p profile.Turnstile

	mu     sync.Mutex
	refuse bool
	opens  int
	onOpen func(passage bool)
}

// OnOpen has fn called as each open command is read, before it is
// answered, with whether the turnstile will report a passage: the demo
// shows it, and the device bench times the moment the command arrived.
func (t *Turnstile) OnOpen(fn func(passage bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onOpen = fn
}

// OpenTurnstilePTY starts a turnstile controller speaking p's bytes on a
// new pseudo-terminal.
func OpenTurnstilePTY(p profile.Turnstile) (*Turnstile, error) {
	if len(p.Commands.OpenIn) == 0 || len(p.Commands.OpenOut) == 0 {
		return nil, errors.New("sim: turnstile profile has no open commands")
	}
	l, err := openLine()
	if err != nil {
		return nil, err
	}
	t := &Turnstile{line: l, p: p}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t.serve()
	}()
	return t, nil
}

// SetRefuse makes the turnstile take open commands but report no passage.
func (t *Turnstile) SetRefuse(refuse bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refuse = refuse
}

// Opens is the number of open commands received so far.
func (t *Turnstile) Opens() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.opens
}

// Alarm sends the alarm response, as when the arm is forced.
func (t *Turnstile) Alarm() error { return t.send(t.p.Responses.Alarm) }

// serve reads commands until the line is closed and answers each open
// command.
func (t *Turnstile) serve() {
	var pend []byte
	buf := make([]byte, 256)
	keep := max(len(t.p.Commands.OpenIn), len(t.p.Commands.OpenOut)) - 1
	for {
		n, err := t.master.Read(buf)
		pend = append(pend, buf[:n]...)
		for {
			i, pass, size := t.nextOpen(pend)
			if i < 0 {
				break
			}
			pend = pend[i+size:]
			reply, fn := t.open(pass)
			if fn != nil {
				fn(len(reply) > 0)
			}
			if len(reply) > 0 {
				if t.send(reply) != nil {
					return
				}
			}
		}
		if len(pend) > keep {
			pend = append([]byte(nil), pend[len(pend)-keep:]...)
		}
		if err != nil {
			return
		}
	}
}

// nextOpen finds the first open command in b: where, the passage to
// answer it with, and its length.
func (t *Turnstile) nextOpen(b []byte) (int, []byte, int) {
	c := t.p.Commands
	in, out := bytes.Index(b, c.OpenIn), bytes.Index(b, c.OpenOut)
	switch {
	case in >= 0 && (out < 0 || in <= out):
		return in, t.p.Responses.PassageIn, len(c.OpenIn)
	case out >= 0:
		return out, t.p.Responses.PassageOut, len(c.OpenOut)
	}
	return -1, nil, 0
}

func (t *Turnstile) open(passage []byte) ([]byte, func(bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.opens++
	if t.refuse {
		return nil, t.onOpen
	}
	return bytes.Clone(passage), t.onOpen
}
