package gatedev_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/gatedev"
	"github.com/admitbox/admit/drivers/sim"
	"github.com/admitbox/admit/drivers/transport"
)

func openTurnstile(t *testing.T) (*sim.Turnstile, *gatedev.Turnstile) {
	t.Helper()
	p := load(t, "turnstile/tripod-serial-feedback.json")
	dev, err := sim.OpenTurnstilePTY(*p.Turnstile)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	port, err := transport.Open(context.Background(), p, dev.SlavePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	ts, err := gatedev.NewTurnstile(port, *p.Turnstile, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dev, ts
}

func TestATurnstileOpenedInReportsThePassage(t *testing.T) {
	_, ts := openTurnstile(t)
	ctx := context.Background()
	for _, dir := range []gatedev.Direction{gatedev.In, gatedev.Out} {
		if err := ts.Open(ctx, dir); err != nil {
			t.Fatal(err)
		}
		if passed, err := ts.WaitPassage(ctx, dir, failsafe); !passed || err != nil {
			t.Fatalf("WaitPassage(%v) = %v, %v; want a passage", dir, passed, err)
		}
	}
}

func TestATurnstileNobodyPushesReportsNoPassageAfterTheTimeout(t *testing.T) {
	dev, ts := openTurnstile(t)
	dev.SetRefuse(true)
	ctx := context.Background()
	if err := ts.Open(ctx, gatedev.In); err != nil {
		t.Fatal(err)
	}
	// The timeout is the behaviour under test: the controller says nothing.
	if passed, err := ts.WaitPassage(ctx, gatedev.In, 300*time.Millisecond); passed || err != nil {
		t.Fatalf("WaitPassage = %v, %v; want no passage and no error", passed, err)
	}
	if n := dev.Opens(); n != 1 {
		t.Errorf("the turnstile saw %d open commands, want 1", n)
	}
	// It turns again once the visitor comes back.
	dev.SetRefuse(false)
	if err := ts.Open(ctx, gatedev.In); err != nil {
		t.Fatal(err)
	}
	if passed, err := ts.WaitPassage(ctx, gatedev.In, failsafe); !passed || err != nil {
		t.Fatalf("WaitPassage after the refusal = %v, %v; want a passage", passed, err)
	}
}

func TestATurnstileAlarmIsAnError(t *testing.T) {
	dev, ts := openTurnstile(t)
	if err := dev.Alarm(); err != nil {
		t.Fatal(err)
	}
	if passed, err := ts.WaitPassage(context.Background(), gatedev.In, failsafe); passed || !errors.Is(err, gatedev.ErrAlarm) {
		t.Fatalf("WaitPassage = %v, %v; want ErrAlarm", passed, err)
	}
}

func TestCancellingAWaitEndsIt(t *testing.T) {
	_, ts := openTurnstile(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := ts.WaitPassage(ctx, gatedev.In, failsafe)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitPassage = %v, want context.Canceled", err)
		}
	case <-time.After(failsafe):
		t.Fatal("WaitPassage did not end on cancel")
	}
}

// recordedPort plays back the controller's bytes and records the gate's.
type recordedPort struct {
	io.Reader
	sent bytes.Buffer
}

func (r *recordedPort) Write(b []byte) (int, error)     { return r.sent.Write(b) }
func (r *recordedPort) SetReadDeadline(time.Time) error { return nil }

func TestTheTurnstileSpeaksItsProfilesBytes(t *testing.T) {
	p := load(t, "turnstile/tripod-serial-feedback.json")
	// An ignored ack-like byte, a passage out, a passage in.
	port := &recordedPort{Reader: bytes.NewReader([]byte{
		0x00,
		0xFE, 0x81, 0x02, 0x00, 0x00, 0x00, 0xAB,
		0xFE, 0x81, 0x01, 0x00, 0x00, 0x00, 0xAB,
	})}
	ts, err := gatedev.NewTurnstile(port, *p.Turnstile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Open(context.Background(), gatedev.In); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xFE, 0x80, 0x01, 0x00, 0x00, 0x00, 0xAB}; !bytes.Equal(port.sent.Bytes(), want) {
		t.Fatalf("sent % X, want % X", port.sent.Bytes(), want)
	}
	if passed, err := ts.WaitPassage(context.Background(), gatedev.In, 0); !passed || err != nil {
		t.Fatalf("WaitPassage = %v, %v; want the passage in after skipping the passage out", passed, err)
	}
}

// relayPort records each write of the relay board's commands.
type relayPort struct {
	mu     sync.Mutex
	writes [][]byte
}

func (r *relayPort) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.writes = append(r.writes, bytes.Clone(b))
	r.mu.Unlock()
	return len(b), nil
}

func (r *relayPort) sent() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writes
}

func TestARelayGateIsPulsedOnThenOff(t *testing.T) {
	p := load(t, "relay/lcus-1-usb-relay.json")
	port := &relayPort{}
	gate := newBackoffGate()
	rt, err := gatedev.NewRelayTurnstile(port, *p.Relay, 1, 1, gate.after)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.Open(context.Background(), gatedev.In) }()
	if d := gate.waitBackoff(t); d != 500*time.Millisecond {
		t.Errorf("pulse of %v, want the profile's 500ms", d)
	}
	if got := port.sent(); len(got) != 1 || !bytes.Equal(got[0], []byte{0xA0, 0x01, 0x01, 0xA2}) {
		t.Fatalf("during the pulse sent % X, want A0 01 01 A2 alone", got)
	}
	gate.releaseOne(t)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := port.sent(); len(got) != 2 || !bytes.Equal(got[1], []byte{0xA0, 0x01, 0x00, 0xA1}) {
		t.Fatalf("sent % X, want A0 01 01 A2 then A0 01 00 A1", got)
	}
	if passed, err := rt.WaitPassage(context.Background(), gatedev.In, 0); !passed || err != nil {
		t.Fatalf("WaitPassage = %v, %v; want true: a relay gate has no feedback", passed, err)
	}
}

func TestACancelledRelayPulseStillSwitchesOff(t *testing.T) {
	p := load(t, "relay/lcus-1-usb-relay.json")
	port := &relayPort{}
	gate := newBackoffGate()
	rt, err := gatedev.NewRelayTurnstile(port, *p.Relay, 1, 1, gate.after)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Open(ctx, gatedev.Out) }()
	gate.waitBackoff(t)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Open = %v, want context.Canceled", err)
	}
	if got := port.sent(); len(got) != 2 || !bytes.Equal(got[1], []byte{0xA0, 0x01, 0x00, 0xA1}) {
		t.Fatalf("sent % X, want the off command last", got)
	}
}

func TestARelayGateRefusesAChannelTheBoardLacks(t *testing.T) {
	p := load(t, "relay/lcus-1-usb-relay.json")
	if _, err := gatedev.NewRelayTurnstile(io.Discard, *p.Relay, 1, 2, nil); err == nil {
		t.Fatal("NewRelayTurnstile accepted channel 2 on a one-relay board")
	}
}
