package gatedev_test

import (
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/gatedev"
	"github.com/admitbox/admit/drivers/sim"
)

func TestAScannedCodeArrivesAndNoiseIsDroppedAndCounted(t *testing.T) {
	p := load(t, "scanner/grow-gm65-uart.json")
	dev, err := sim.OpenScannerPTY(*p.Scanner)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer dev.Close()
	port := &switchedPort{p: p, path: dev.SlavePath()}
	sc, err := gatedev.NewScanner(*p.Scanner, gatedev.Reconnect{Open: port.open, After: newBackoffGate().after})
	if err != nil {
		t.Fatal(err)
	}
	out := runner(t, sc.Run)
	// A garbled line, a code over max_len, then a good code: only the
	// good one arrives, the other two are counted.
	for _, send := range []func() error{
		func() error { return dev.SendNoise([]byte{0x00, 0xFF, 0x0D}) },
		dev.SendOversized,
		func() error { return dev.Send("6BFOXN%TS3DH") },
	} {
		if err := send(); err != nil {
			t.Fatal(err)
		}
	}
	if code := receive(t, out); code != "6BFOXN%TS3DH" {
		t.Fatalf("received %q, want 6BFOXN%%TS3DH", code)
	}
	if st := sc.State(); st != (gatedev.DeviceState{Online: true, Dropped: 2}) {
		t.Errorf("state %+v, want online with 2 dropped", st)
	}
}

func TestAnUnpluggedScannerGoesOfflineAndComesBackWhenReplugged(t *testing.T) {
	p := load(t, "scanner/honeywell-xenon-1900-rs232.json")
	first, err := sim.OpenScannerPTY(*p.Scanner)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer first.Close()
	port := &switchedPort{p: p, path: first.SlavePath()}
	gate := newBackoffGate()
	// The silence deadline catches an unplug that reads as a quiet line.
	sc, err := gatedev.NewScanner(*p.Scanner, gatedev.Reconnect{Open: port.open, After: gate.after, Silence: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := runner(t, sc.Run)
	if err := first.Send("CODE1"); err != nil {
		t.Fatal(err)
	}
	if code := receive(t, out); code != "CODE1" {
		t.Fatalf("received %q, want CODE1", code)
	}

	port.plug("")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	waits = append(waits, gate.waitBackoff(t))
	if st := sc.State(); st.Online || st.LastError == "" {
		t.Fatalf("state after unplug %+v, want offline with an error", st)
	}
	// Two more attempts find nothing plugged in.
	for range 2 {
		gate.releaseOne(t)
		waits = append(waits, gate.waitBackoff(t))
		if st := sc.State(); st.Online || !strings.Contains(st.LastError, errUnplugged.Error()) {
			t.Fatalf("state %+v, want offline for %q", st, errUnplugged)
		}
	}
	if !(waits[0] < waits[1] && waits[1] < waits[2]) {
		t.Errorf("backoffs %v, want them growing", waits)
	}

	second, err := sim.OpenScannerPTY(*p.Scanner)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	port.plug(second.SlavePath())
	gate.releaseOne(t)
	if err := second.Send("CODE2"); err != nil {
		t.Fatal(err)
	}
	if code := receive(t, out); code != "CODE2" {
		t.Fatalf("received %q after replug, want CODE2", code)
	}
	if st := sc.State(); !st.Online {
		t.Errorf("state after replug %+v, want online", st)
	}
}

func TestASilentScannerIsReopened(t *testing.T) {
	p := load(t, "scanner/grow-gm65-uart.json")
	dev, err := sim.OpenScannerPTY(*p.Scanner)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer dev.Close()
	port := &switchedPort{p: p, path: dev.SlavePath()}
	gate := newBackoffGate()
	sc, err := gatedev.NewScanner(*p.Scanner, gatedev.Reconnect{Open: port.open, After: gate.after, Silence: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out := runner(t, sc.Run)
	gate.waitBackoff(t)
	if st := sc.State(); st.Online || !strings.Contains(st.LastError, "silent") {
		t.Fatalf("state %+v, want offline for silence", st)
	}
	gate.releaseOne(t)
	if err := dev.Send("AFTER"); err != nil {
		t.Fatal(err)
	}
	if code := receive(t, out); code != "AFTER" {
		t.Fatalf("received %q after reopening, want AFTER", code)
	}
}

func TestATappedCardArrivesAsItsUIDAndABadFrameIsDropped(t *testing.T) {
	p := load(t, "rfid/dual-frequency-uart-reader.json")
	cfg, err := gatedev.RFIDConfig(*p.RFID)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sim.OpenRFIDPTY(cfg)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer dev.Close()
	port := &switchedPort{p: p, path: dev.SlavePath()}
	rr, err := gatedev.NewRFIDReader(*p.RFID, gatedev.Reconnect{Open: port.open, After: newBackoffGate().after})
	if err != nil {
		t.Fatal(err)
	}
	out := runner(t, rr.Run)
	if err := dev.SendBadFrame(); err != nil {
		t.Fatal(err)
	}
	if err := dev.Tap([]byte{0xDE, 0xAD, 0xBE, 0xEF}); err != nil {
		t.Fatal(err)
	}
	if uid := receive(t, out); uid != "DEADBEEF" {
		t.Fatalf("received %q, want DEADBEEF", uid)
	}
	if st := rr.State(); st != (gatedev.DeviceState{Online: true, Dropped: 1}) {
		t.Errorf("state %+v, want online with 1 dropped", st)
	}
}
