package gatedev_test

import (
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/gatedev"
	"github.com/admitbox/admit/drivers/sim"
)

var (
	cardA = frame.IDCardText{Name: "张三", Sex: "1", Nation: "01", Birth: "19491231", Number: "11010519491231002X"}
	cardB = frame.IDCardText{Name: "李四", Sex: "2", Nation: "01", Birth: "19491231", Number: "110105194912310021"}
)

// idcardReader polls the simulator every 20 ms (the shipped profile's 200
// ms would only make the test slower).
func idcardReader(t *testing.T, answer time.Duration) (*sim.IDCardReader, *gatedev.IDCardReader, *switchedPort, *backoffGate) {
	t.Helper()
	p := load(t, "idcard/sam-serial-reader.json")
	dev, err := sim.OpenIDCardPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	cfg := *p.IDCard
	cfg.Poll, cfg.Answer = 20*time.Millisecond, answer
	port := &switchedPort{p: p, path: dev.SlavePath()}
	gate := newBackoffGate()
	// Polls wait on the real clock; backoffs wait for the test.
	after := func(d time.Duration) <-chan time.Time {
		if d == cfg.Poll {
			return time.After(d)
		}
		return gate.after(d)
	}
	r, err := gatedev.NewIDCardReader(cfg, gatedev.Reconnect{Open: port.open, After: after})
	if err != nil {
		t.Fatal(err)
	}
	return dev, r, port, gate
}

func TestAnIDCardIsReadOncePerPlacingAndGarbledAnswersAreCounted(t *testing.T) {
	dev, r, _, _ := idcardReader(t, time.Second)
	out := runner(t, r.Run)
	dev.Place(cardA)
	if got := receive(t, out); got != cardA.Number {
		t.Fatalf("read %q", got)
	}
	// Left on the reader, the card is not read again; the next card is.
	dev.Garble(2)
	dev.Place(cardB)
	if got := receive(t, out); got != cardB.Number {
		t.Fatalf("read %q", got)
	}
	if dev.Reads() != 2 {
		t.Fatalf("the reader read %d cards", dev.Reads())
	}
	if st := r.State(); !st.Online || st.Dropped != 2 {
		t.Fatalf("state %+v, want online with 2 garbled answers", st)
	}
	// The same card lifted and placed again is a new reading.
	dev.Lift()
	dev.Place(cardB)
	if got := receive(t, out); got != cardB.Number {
		t.Fatalf("read %q", got)
	}
}

func TestAnIDCardReaderThatStopsAnsweringIsReopened(t *testing.T) {
	dev, r, _, gate := idcardReader(t, 300*time.Millisecond) // the answer timeout under test
	out := runner(t, r.Run)
	dev.SetMute(true)
	gate.waitBackoff(t)
	if st := r.State(); st.Online || !strings.Contains(st.LastError, "no answer") {
		t.Fatalf("state %+v, want offline for no answer", st)
	}
	dev.SetMute(false)
	gate.releaseOne(t)
	dev.Place(cardA)
	if got := receive(t, out); got != cardA.Number {
		t.Fatalf("read %q after the reader came back", got)
	}
	if !r.State().Online {
		t.Fatal("not online after a read")
	}
}

func TestAnIDCardProfileOfAnotherProtocolIsRefused(t *testing.T) {
	p := load(t, "idcard/sam-serial-reader.json")
	cfg := *p.IDCard
	cfg.Protocol = "wiegand"
	if _, err := gatedev.NewIDCardReader(cfg, gatedev.Reconnect{Open: (&switchedPort{p: p}).open}); err == nil {
		t.Fatal("a wiegand ID card reader was accepted")
	}
}
