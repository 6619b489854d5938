package hardware_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	firmwareprofiles "github.com/admitbox/admit/firmware-profiles"

	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/sim"
	"github.com/admitbox/admit/edge/cache"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/hardware"
	"github.com/admitbox/admit/edge/lane"
	"github.com/admitbox/admit/sync"
)

const venueCode = "11010001"

func shipped(t testing.TB) map[string]profile.Profile {
	t.Helper()
	set, errs := profile.LoadFS(firmwareprofiles.FS, "firmware-profiles")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return set
}

// venue is a gate cache holding a session open now.
type venue struct {
	t     *testing.T
	c     *cache.Cache
	v     *ct.Venue
	today time.Time
	next  uint32
}

func newVenue(t *testing.T) *venue {
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	v := &venue{t: t, c: ct.Open(t, venueCode, "gate-1"), v: ct.NewVenue(venueCode, 1, 1), today: today}
	ct.Apply(t, v.c, v.v.Batch(v.v.KeyEvent("active"), ct.Event(sync.EventSession, sync.SessionData{ID: 1, Venue: "Arena", Event: "Match",
		Hall: "1", StartsAt: now.Add(time.Hour), EndsAt: now.Add(3 * time.Hour), BusinessDate: today.Format(time.DateOnly),
		Status: "scheduled", Reentry: gate.ReentryNone, OpensBeforeMin: 120})))
	return v
}

func (v *venue) ticket() sync.TicketData {
	v.next++
	d := v.v.Sign(v.t, v.today, v.next, 1, int64(v.next), "")
	ct.Apply(v.t, v.c, v.v.Batch(ct.Event(sync.EventTicket, d)))
	return d
}

func (v *venue) depth() int {
	n, err := v.c.Outbox().Depth()
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}

// turnstileGate is a gate lane on a simulated GM65 scanner and tripod
// turnstile, each on its own pseudo-terminal, opened through the device
// config and the shipped profiles as the agent opens them.
type turnstileGate struct {
	*venue
	scanner   *sim.Scanner
	turnstile *sim.Turnstile
	devs      *hardware.GateDevices
	lane      *lane.Lane
	results   chan lane.Result
}

func newTurnstileGate(t *testing.T, passageTimeout time.Duration) *turnstileGate {
	set := shipped(t)
	g := &turnstileGate{venue: newVenue(t), results: make(chan lane.Result, 16)}
	var err error
	if g.scanner, err = sim.OpenScannerPTY(*set["scanner/grow-gm65-uart"].Scanner); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.scanner.Close() })
	if g.turnstile, err = sim.OpenTurnstilePTY(*set["turnstile/tripod-serial-feedback"].Turnstile); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.turnstile.Close() })
	cfg := hardware.Config{
		Scanner:   &hardware.Slot{Profile: "scanner/grow-gm65-uart", Port: g.scanner.SlavePath()},
		Turnstile: &hardware.Slot{Profile: "turnstile/tripod-serial-feedback", Port: g.turnstile.SlavePath()},
	}
	d, err := cfg.Resolve("devices.json", "gate", set)
	if err != nil {
		t.Fatal(err)
	}
	// The shipped 15 s is for people; a test visitor decides in the least
	// time a profile may give.
	d.Turnstile.Profile.Turnstile.PassageTimeout = passageTimeout
	if g.devs, err = hardware.OpenGate(d, hardware.Options{}); err != nil {
		t.Fatal(err)
	}
	gt := &gate.Gate{Cache: g.c, DeviceID: "gate-1", VenueCode: venueCode, Location: time.UTC}
	g.lane, err = lane.New(lane.Config{Gate: gt, Barrier: g.devs.Barrier(), OnResult: func(r lane.Result) { g.results <- r }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { g.lane.Run(ctx); done <- struct{}{} }()
	go func() { g.devs.Run(ctx, g.lane); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return g
}

func (g *turnstileGate) scan(code string) lane.Result {
	g.t.Helper()
	if err := g.scanner.Send(code); err != nil {
		g.t.Fatal(err)
	}
	select {
	case r := <-g.results:
		return r
	case <-time.After(20 * time.Second):
		g.t.Fatalf("no result for a scan; devices %+v", g.devs.States())
		return lane.Result{}
	}
}

func TestAValidTicketOpensTheTurnstileAndIsAdmittedOnceThePassageIsReported(t *testing.T) {
	g := newTurnstileGate(t, 5*time.Second)
	tk := g.ticket()
	r := g.scan(tk.QR)
	if r.Outcome != lane.Admitted || r.Decision.Number != tk.Number || r.Decision.Fact == nil {
		t.Fatalf("scan of a valid ticket: %+v", r)
	}
	if g.turnstile.Opens() != 1 || g.depth() != 1 {
		t.Fatalf("turnstile opened %d times, outbox %d facts; want 1 and 1", g.turnstile.Opens(), g.depth())
	}
	if again := g.scan(tk.QR); again.Outcome != lane.Refused || again.Decision.Reason != gate.ReasonAlreadyAdmitted || g.turnstile.Opens() != 1 {
		t.Fatalf("second scan: %+v, opens %d", again, g.turnstile.Opens())
	}
	st := g.devs.States()
	if !st["scanner"].Online || !st["turnstile"].Online {
		t.Fatalf("device states %+v", st)
	}
}

func TestNoPassageLeavesTheTicketValidAndNothingRecorded(t *testing.T) {
	g := newTurnstileGate(t, time.Second)
	tk := g.ticket()
	g.turnstile.SetRefuse(true) // the visitor walks away
	r := g.scan(tk.QR)
	if r.Outcome != lane.NoPassage || r.Decision.Fact != nil || g.depth() != 0 {
		t.Fatalf("no passage: %+v, outbox %d", r, g.depth())
	}
	if g.turnstile.Opens() != 1 {
		t.Fatalf("the turnstile opened %d times, want 1", g.turnstile.Opens())
	}
	g.turnstile.SetRefuse(false)
	if r := g.scan(tk.QR); r.Outcome != lane.Admitted || g.depth() != 1 {
		t.Fatalf("the same ticket after the visitor came back: %+v, outbox %d", r, g.depth())
	}
	if c := g.lane.Counts(); c.Admitted != 1 || c.NoPassage != 1 {
		t.Fatalf("counts %+v", c)
	}
}

func TestARevokedTicketKeepsTheTurnstileShut(t *testing.T) {
	g := newTurnstileGate(t, 5*time.Second)
	tk := g.ticket()
	ct.Apply(t, g.c, g.v.Batch(ct.Event(sync.EventRevocation, sync.RevocationData{Number: tk.Number, Reason: "refunded"})))
	r := g.scan(tk.QR)
	if r.Outcome != lane.Refused || r.Decision.Reason != gate.ReasonRefunded {
		t.Fatalf("revoked: %+v", r)
	}
	if g.turnstile.Opens() != 0 || g.depth() != 0 {
		t.Fatalf("turnstile opened %d times, outbox %d", g.turnstile.Opens(), g.depth())
	}
}

func TestGarbageOnTheScannerLineIsDroppedAndCountedNeverJudged(t *testing.T) {
	g := newTurnstileGate(t, 5*time.Second)
	if err := g.scanner.SendOversized(); err != nil {
		t.Fatal(err)
	}
	tk := g.ticket()
	// The valid scan after the oversized one is the first thing judged.
	if r := g.scan(tk.QR); r.Outcome != lane.Admitted {
		t.Fatalf("scan after garbage: %+v", r)
	}
	if st := g.devs.States()["scanner"]; st.Dropped != 1 {
		t.Fatalf("scanner state %+v, want 1 dropped", st)
	}
}

func TestAnUnpluggedTurnstileIsOfflineAndRefusesToOpenWithoutCrashing(t *testing.T) {
	g := newTurnstileGate(t, 5*time.Second)
	tk := g.ticket()
	if r := g.scan(tk.QR); r.Outcome != lane.Admitted {
		t.Fatalf("first: %+v", r)
	}
	g.turnstile.Close() // unplugged
	tk2 := g.ticket()
	r := g.scan(tk2.QR)
	if r.Outcome != lane.DeviceFault || r.Message != lane.MsgAlarm && r.Message != lane.MsgDeviceFault {
		t.Fatalf("scan with the turnstile unplugged: %+v", r)
	}
	if g.depth() != 1 {
		t.Fatalf("outbox %d, want only the first admission", g.depth())
	}
	if st := g.devs.States()["turnstile"]; st.Online || st.LastError == "" {
		t.Fatalf("turnstile state %+v, want offline with its error", st)
	}
}

func TestTheDeviceConfigRefusesWhatDoesNotFitTheDevice(t *testing.T) {
	set := shipped(t)
	for _, tt := range []struct {
		name, role, json, want string
	}{
		{"a profile of another kind", "kiosk", `{"printer": {"profile": "scanner/grow-gm65-uart", "port": "/dev/ttyUSB0"}}`, "is a scanner profile, the slot is a printer"},
		{"an unknown profile", "kiosk", `{"printer": {"profile": "printer/nope"}}`, `no firmware profile "printer/nope"`},
		{"a slot the role has not", "kiosk", `{"turnstile": {"profile": "turnstile/tripod-serial-feedback"}}`, "a kiosk has no turnstile"},
		{"a USB printer without its port", "kiosk", `{"printer": {"profile": "printer/epson-tm-t88-80mm"}}`, "needs its port in the config"},
		{"a network printer without a host", "pos", `{"printer": {"profile": "printer/network-escpos-80mm"}}`, "has no host"},
		{"a turnstile and a relay", "gate", `{"turnstile": {"profile": "turnstile/tripod-serial-feedback"}, "relay": {"profile": "relay/lcus-1-usb-relay", "in_channel": 1, "out_channel": 1}}`, "not both"},
		{"a relay channel the board lacks", "gate", `{"relay": {"profile": "relay/lcus-1-usb-relay", "in_channel": 1, "out_channel": 2}}`, "channel 2 out of range"},
		{"a bad direction", "gate", `{"direction": "sideways"}`, `"sideways" is not in or out`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := hardware.ParseConfig("devices.json", []byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Resolve("devices.json", tt.role, set)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "devices.json") {
				t.Fatalf("got %v, want an error naming the file and saying %q", err, tt.want)
			}
		})
	}
	for _, bad := range []string{`{"printer": {"profile": "x", "baud": 9600}}`, `{"printer": {}} {}`, `{`} {
		if _, err := hardware.ParseConfig("devices.json", []byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) accepted it", bad)
		}
	}
	if c, err := hardware.LoadConfig(filepath.Join(t.TempDir(), "none.json")); err != nil || c != (hardware.Config{}) {
		t.Fatalf("a missing config: %+v, %v; want no devices", c, err)
	}
}
