package transport

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/admitbox/admit/drivers/profile"
	"github.com/tarm/serial"
)

// serialTick is the read timeout given to the serial driver: the termios
// VTIME of the line (VMIN 0), whose unit is a tenth of a second, so 100 ms is
// the shortest there is.
//
// github.com/tarm/serial has no deadlines, only Config.ReadTimeout: a read
// returns what has arrived, or nothing once VTIME has passed without a byte.
// serialPort turns that into deadlines by reading in ticks: a read with no
// byte is retried until the deadline passes. A deadline is therefore honoured
// to within one tick (it may be overshot by up to 100 ms, never undershot),
// and a read in progress notices Close or a new deadline within one tick.
const serialTick = 100 * time.Millisecond

func openSerial(p profile.Profile, port string) (Port, error) {
	s := p.Transport.Serial
	dev := port
	if dev == "" {
		dev = s.Device
	}
	if s.Flow != "" && s.Flow != "none" {
		return nil, fmt.Errorf("transport: profile %s: serial flow control %q: %w", name(p), s.Flow, ErrUnsupported)
	}
	cfg := &serial.Config{
		Name:        dev,
		Baud:        s.Baud,
		Size:        byte(s.DataBits),
		StopBits:    serial.StopBits(s.StopBits),
		ReadTimeout: serialTick,
	}
	switch s.Parity {
	case "", "none":
		cfg.Parity = serial.ParityNone
	case "even":
		cfg.Parity = serial.ParityEven
	case "odd":
		cfg.Parity = serial.ParityOdd
	default:
		return nil, fmt.Errorf("transport: profile %s: serial parity %q: %w", name(p), s.Parity, ErrUnsupported)
	}
	sp, err := serial.OpenPort(cfg)
	if err != nil {
		return nil, fmt.Errorf("transport: open serial %s (%d baud) for %s: %w", dev, s.Baud, name(p), err)
	}
	return &serialPort{port: sp, dev: dev, now: time.Now}, nil
}

// serialPort adds read deadlines to a tarm/serial port (see serialTick).
type serialPort struct {
	port *serial.Port
	dev  string
	now  func() time.Time

	mu       sync.Mutex
	deadline time.Time
	closed   bool
}

func (s *serialPort) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		s.mu.Lock()
		deadline, closed := s.deadline, s.closed
		s.mu.Unlock()
		if closed {
			return 0, &os.PathError{Op: "read", Path: s.dev, Err: os.ErrClosed}
		}
		if !deadline.IsZero() && !s.now().Before(deadline) {
			return 0, &os.PathError{Op: "read", Path: s.dev, Err: os.ErrDeadlineExceeded}
		}
		n, err := s.port.Read(b)
		if n > 0 {
			return n, nil
		}
		// A tick without a byte reads as io.EOF (read returned 0); anything
		// else is the line failing, such as EIO when a pty's master closes.
		if err != nil && err != io.EOF {
			return 0, err
		}
	}
}

func (s *serialPort) Write(b []byte) (int, error) { return s.port.Write(b) }

// SetReadDeadline sets the deadline for Read calls, including one in progress
// (which notices it within a tick).
func (s *serialPort) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadline = t
	return nil
}

func (s *serialPort) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return &os.PathError{Op: "close", Path: s.dev, Err: os.ErrClosed}
	}
	s.closed = true
	s.mu.Unlock()
	return s.port.Close()
}
