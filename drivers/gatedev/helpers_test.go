package gatedev_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/transport"
)

// failsafe bounds every wait on the driver, so that a broken driver fails
// the test instead of hanging it. Nothing waits for it to pass.
const failsafe = 10 * time.Second

func load(t *testing.T, path string) profile.Profile {
	t.Helper()
	p, err := profile.Load("../../firmware-profiles/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// backoffGate stands in for the backoff timer: each wait the driver starts
// is reported on waits, and ends only when the test calls release.
type backoffGate struct {
	waits   chan time.Duration
	release chan time.Time
}

func newBackoffGate() *backoffGate {
	return &backoffGate{waits: make(chan time.Duration, 64), release: make(chan time.Time)}
}

func (g *backoffGate) after(d time.Duration) <-chan time.Time {
	g.waits <- d
	return g.release
}

// waitBackoff returns the length of the next backoff the driver starts.
func (g *backoffGate) waitBackoff(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-g.waits:
		return d
	case <-time.After(failsafe):
		t.Fatal("the driver never went offline")
		return 0
	}
}

func (g *backoffGate) releaseOne(t *testing.T) {
	t.Helper()
	select {
	case g.release <- time.Time{}:
	case <-time.After(failsafe):
		t.Fatal("the driver is not waiting out a backoff")
	}
}

func receive(t *testing.T, out <-chan string) string {
	t.Helper()
	select {
	case s := <-out:
		return s
	case <-time.After(failsafe):
		t.Fatal("nothing arrived")
		return ""
	}
}

// switchedPort opens whatever device path is plugged in at the moment.
type switchedPort struct {
	p    profile.Profile
	mu   sync.Mutex
	path string
}

func (s *switchedPort) plug(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.path = path
}

var errUnplugged = errors.New("no device plugged in")

func (s *switchedPort) open(ctx context.Context) (transport.Port, error) {
	s.mu.Lock()
	path := s.path
	s.mu.Unlock()
	if path == "" {
		return nil, errUnplugged
	}
	return transport.Open(ctx, s.p, path)
}

// runner runs a reader's Run loop and checks it ends with the context.
func runner(t *testing.T, run func(context.Context, chan<- string) error) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan string)
	done := make(chan error, 1)
	go func() { done <- run(ctx, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(failsafe):
			t.Error("Run did not return after cancel")
		}
	})
	return out
}
