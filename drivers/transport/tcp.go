package transport

import (
	"context"
	"fmt"
	"net"

	"github.com/admitbox/admit/drivers/profile"
)

// DefaultPrinterPort is the raw-print port of network printers, used when
// neither the config nor the profile names a port.
const DefaultPrinterPort = "9100"

func openTCP(ctx context.Context, p profile.Profile, port string) (Port, error) {
	addr, err := tcpAddress(p, port)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s for %s: %w", addr, name(p), err)
	}
	return c.(*net.TCPConn), nil
}

// tcpAddress is the host:port to dial: port from the config when set (a bare
// host takes the profile's port, else 9100), otherwise the profile's address.
// An empty host is refused rather than dialled, since that would reach this
// machine.
func tcpAddress(p profile.Profile, port string) (string, error) {
	addr := p.Transport.TCP.Address
	_, profilePort, err := net.SplitHostPort(addr)
	if err != nil || profilePort == "" {
		profilePort = DefaultPrinterPort
	}
	if port != "" {
		addr = port
		if _, _, err := net.SplitHostPort(port); err != nil {
			addr = net.JoinHostPort(port, profilePort)
		}
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return "", fmt.Errorf("transport: profile %s: tcp address %q has no host: %w", name(p), addr, profile.ErrNoPort)
	}
	return addr, nil
}
