package sdnotify

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// listen is a socket standing in for systemd's.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

func read(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 256)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

func TestStatesReachTheSocket(t *testing.T) {
	c := listen(t)
	n := FromEnv()
	for _, s := range []string{"READY=1", "STOPPING=1"} {
		if err := n.Send(s); err != nil {
			t.Fatal(err)
		}
		if got := read(t, c); got != s {
			t.Fatalf("systemd got %q, want %q", got, s)
		}
	}
}

func TestTheWatchdogPingsOnlyWhileAlive(t *testing.T) {
	c := listen(t)
	t.Setenv("WATCHDOG_USEC", "20000")
	t.Setenv("WATCHDOG_PID", "")
	if got := WatchdogInterval(); got != 10*time.Millisecond {
		t.Fatalf("interval %v, want half of 20ms", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alive := make(chan bool, 1)
	alive <- true
	go FromEnv().Watchdog(ctx, WatchdogInterval(), func() bool {
		select {
		case a := <-alive:
			return a
		default:
			return false
		}
	})
	if got := read(t, c); got != "WATCHDOG=1" {
		t.Fatalf("got %q", got)
	}
	// Not alive: no more pings.
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(make([]byte, 64)); err == nil {
		t.Fatal("a ping while not alive")
	}
}

func TestOutsideSystemdNothingHappens(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	if err := FromEnv().Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	if WatchdogInterval() != 0 {
		t.Fatal("a watchdog outside systemd")
	}
}
