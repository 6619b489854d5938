package sim

import (
	"fmt"

	"github.com/creack/pty"
)

// openLine opens a raw pseudo-terminal for a gate device: the master the
// simulator serves, non-blocking so that Close ends a read, and the slave
// path a driver opens as its serial port.
func openLine() (*line, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("sim: open pty: %w", err)
	}
	if err := makeRaw(s); err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("sim: pty %s raw mode: %w", s.Name(), err)
	}
	master, err := pollable(m)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sim: pty master: %w", err)
	}
	return &line{master: master, slave: s}, nil
}
