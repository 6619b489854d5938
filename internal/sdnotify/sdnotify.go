// Package sdnotify tells systemd how a service is doing (sd_notify(3)):
// READY=1 once it serves, WATCHDOG=1 while it is alive, STOPPING=1 when
// it drains. Outside systemd (no NOTIFY_SOCKET) every call does nothing.
package sdnotify

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// Notifier sends to the socket systemd named.
type Notifier struct{ addr string }

// FromEnv is the notifier of this process's service (zero: none).
func FromEnv() Notifier {
	addr := os.Getenv("NOTIFY_SOCKET")
	if len(addr) > 0 && addr[0] == '@' {
		addr = "\x00" + addr[1:] // an abstract socket
	}
	return Notifier{addr: addr}
}

// Send sends one state ("READY=1"); without a socket it does nothing.
func (n Notifier) Send(state string) error {
	if n.addr == "" {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// WatchdogInterval is how often to send WATCHDOG=1: half the watchdog
// timeout systemd set for this process (0: no watchdog).
func WatchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// Watchdog sends WATCHDOG=1 every interval while alive reports true,
// until ctx ends; systemd restarts the service when the pings stop.
func (n Notifier) Watchdog(ctx context.Context, interval time.Duration, alive func() bool) {
	if n.addr == "" || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive() {
				n.Send("WATCHDOG=1")
			}
		}
	}
}
