// Package transport opens the connection a device driver talks over: a serial
// line (including USB-serial bridges and pseudo-terminals), a raw TCP socket
// (a network printer's port 9100) or, in builds with the usb tag, a USB bulk
// endpoint. Which one is chosen by the firmware profile; the agent's config
// may name the port. Drivers never call Open themselves: they take the Port
// the agent opened, so a test can hand them a simulator or a recording
// instead.
//
// This package may import the profile package, the standard library and the
// port libraries (github.com/tarm/serial; gousb only behind the usb build
// tag). It must not import a driver, the agent or anything cloud-side, and it
// must build with CGO_ENABLED=0.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/admitbox/admit/drivers/profile"
)

// Port is an open connection to a device. Read blocks until at least one byte
// arrives, the read deadline passes (the error then wraps
// os.ErrDeadlineExceeded and is a net.Error whose Timeout is true) or the
// port is closed. A zero deadline means no deadline.
//
// *net.TCPConn satisfies Port; so does what Open returns for a serial line.
type Port interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
}

// ErrUSBNotBuilt is wrapped by the error Open returns for a USB profile in a
// build without the usb tag.
var ErrUSBNotBuilt = errors.New("USB transport needs the usb build tag")

// ErrUnsupported is wrapped by the error Open returns for a profile setting
// this transport cannot honour (for example serial flow control, which
// github.com/tarm/serial does not set).
var ErrUnsupported = errors.New("transport setting not supported")

// Open opens the transport p names, at port when it is not empty (the agent's
// config: a serial device path, a USB port path, or a printer's "host" or
// "host:port") and otherwise at the profile's default. It refuses a profile
// that is invalid or that does not fit port (see profile.Profile.Fits), and
// a USB profile unless built with the usb tag. ctx bounds the TCP dial.
func Open(ctx context.Context, p profile.Profile, port string) (Port, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("transport: open %s: %w", name(p), err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("transport: open %s: %w", name(p), err)
	}
	if err := p.Fits(p.Kind, port); err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	switch {
	case p.Transport.Serial != nil:
		return openSerial(p, port)
	case p.Transport.TCP != nil:
		return openTCP(ctx, p, port)
	case p.Transport.USB != nil:
		return openUSB(ctx, p, port)
	}
	// Fits refuses a profile without a transport, so this is unreachable.
	return nil, fmt.Errorf("transport: profile %s has no transport", name(p))
}

func name(p profile.Profile) string {
	if p.File != "" {
		return p.File
	}
	return p.Model
}
