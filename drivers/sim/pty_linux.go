package sim

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// OpenPTY starts a printer on a new pseudo-terminal. Open SlavePath as a
// serial port to talk to it.
func OpenPTY() (*Printer, error) {
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
	p := newPrinter()
	// The printer keeps the slave open too, so that the master does not see
	// a hang-up (EIO) while no driver has the port open.
	p.master, p.slave = master, s
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.serve(master)
	}()
	return p, nil
}

// makeRaw puts the terminal in raw mode (as cfmakeraw does), so that nothing
// written before a driver sets its own line settings is echoed or
// translated.
func makeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// pollable returns a non-blocking duplicate of f, which the runtime's poller
// serves, and closes f. pty.Open leaves the master blocking (it calls Fd), and
// a blocking read is not interrupted by Close.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
