package e2e

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	firmwareprofiles "github.com/admitbox/admit/firmware-profiles"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/render"
	"github.com/admitbox/admit/drivers/render/rendertest"
	"github.com/admitbox/admit/drivers/sim"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/hardware"
)

// The models the device tests run on: the kiosk printer that answers
// status over a serial line, and a serial scanner and tripod turnstile.
const (
	kioskPrinter = "printer/snbc-bt-t080-kiosk-80mm"
	posPrinter   = "printer/network-escpos-80mm"
	gateScanner  = "scanner/grow-gm65-uart"
	gateTripod   = "turnstile/tripod-serial-feedback"
	gateIDCard   = "idcard/sam-serial-reader"
)

// gateDevices are a gate's simulated scanner, turnstile and ID card
// reader, each on a pseudo-terminal.
type gateDevices struct {
	scanner   *sim.Scanner
	turnstile *sim.Turnstile
	idcard    *sim.IDCardReader
}

// gateWithDevices starts a gate agent on simulated devices.
func (w *world) gateWithDevices(name string) (*agent.Agent, gateDevices) {
	w.t.Helper()
	set := shippedProfiles(w.t)
	var d gateDevices
	var err error
	d.scanner, err = sim.OpenScannerPTY(*set[gateScanner].Scanner)
	w.must(err)
	w.t.Cleanup(func() { d.scanner.Close() })
	d.turnstile, err = sim.OpenTurnstilePTY(*set[gateTripod].Turnstile)
	w.must(err)
	w.t.Cleanup(func() { d.turnstile.Close() })
	d.idcard, err = sim.OpenIDCardPTY()
	w.must(err)
	w.t.Cleanup(func() { d.idcard.Close() })
	dir := w.device("gate", name)
	writeDevices(w.t, dir, hardware.Config{
		Scanner:   &hardware.Slot{Profile: gateScanner, Port: d.scanner.SlavePath()},
		Turnstile: &hardware.Slot{Profile: gateTripod, Port: d.turnstile.SlavePath()},
		IDCard:    &hardware.Slot{Profile: gateIDCard, Port: d.idcard.SlavePath()},
	})
	return w.agent(dir), d
}

// scanned waits for the gate's n-th judged scan to be of ticket number.
func scanned(t *testing.T, gate *agent.Agent, n int64, number string) agent.Status {
	t.Helper()
	var st agent.Status
	wait(t, gate, "scan result", func(s agent.Status) bool {
		st = s
		return s.LastScan != nil && s.LastScan.Number == number && s.Admitted+s.Rejected+s.NoPassage == n
	})
	return st
}

func shippedProfiles(t *testing.T) map[string]profile.Profile {
	t.Helper()
	set, errs := profile.LoadFS(firmwareprofiles.FS, "firmware-profiles")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return set
}

func writeDevices(t *testing.T, dir string, c hardware.Config) {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, hardware.ConfigFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// publicKeys are the tenant's verification keys as the cloud holds them,
// independent of what any device cached.
func (w *world) publicKeys() ticket.PublicKeys {
	w.t.Helper()
	keys, err := w.svc.SigningKeys(context.Background(), w.admin, w.admin.TenantID)
	w.must(err)
	pk := ticket.PublicKeys{}
	for _, k := range keys {
		pk[ticket.KeyID(k.ID)] = ed25519.PublicKey(k.Public)
	}
	return pk
}

// printerProblem is the kiosk API's answer to a ticket that did not print.
type printerProblem struct {
	Error struct{ Code, Message, Problem, Number string }
}

type pickupItem struct {
	Number    string
	SeatLabel string
	Printed   int
}

// kioskWithPrinter starts a kiosk agent printing on a simulated BT-T080
// over a pseudo-terminal.
func (w *world) kioskWithPrinter() (*agent.Agent, *sim.Printer) {
	w.t.Helper()
	printer, err := sim.OpenPTY()
	w.must(err)
	w.t.Cleanup(func() { printer.Close() })
	dir := w.device("kiosk", "lobby-kiosk")
	writeDevices(w.t, dir, hardware.Config{Printer: &hardware.Slot{Profile: kioskPrinter, Port: printer.SlavePath()}})
	return w.agent(dir), printer
}

func TestAKioskPickupPrintsEachTicketOnTheSerialPrinterAsAPersonWouldReadIt(t *testing.T) {
	w := newWorld(t, embedded)
	kiosk, printer := w.kioskWithPrinter()
	order := w.sell(2)
	w.caughtUp(kiosk)

	var items []pickupItem
	if code := call(t, "GET", kiosk.URL()+"/pickup/"+order.PickupCode, nil, &items); code != 200 || len(items) != 2 {
		t.Fatalf("pickup: %d %+v", code, items)
	}
	for _, it := range items {
		if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": it.Number}, nil); code != 200 {
			t.Fatalf("print %s: %d", it.Number, code)
		}
	}
	jobs := printer.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("the printer cut %d jobs, want 2", len(jobs))
	}
	keys := w.publicKeys()
	dots := shippedProfiles(t)[kioskPrinter].Printer.DotsPerLine
	for i, tk := range order.Tickets {
		pg, err := render.RenderPage(jobs[i], render.Options{Dots: dots})
		if errors.Is(err, render.ErrNoCJKFont) && os.Getenv("CI") == "" {
			t.Skipf("no CJK font to read the printed ticket with (apt-get install fonts-noto-cjk): %v", err)
		}
		if err != nil {
			t.Fatalf("render the job the printer received for %s: %v", tk.Number, err)
		}
		for _, want := range []string{w.venue.Name, "Match", "座位 Seat", tk.SeatLabel, "票号 No.", tk.Number, "50.00 CNY"} {
			if _, ok := pg.LineWith(want); !ok {
				t.Errorf("ticket %s does not show %q", tk.Number, want)
			}
		}
		qr, err := rendertest.DecodeQR(pg.Image, pg.SymbolsOf("qr")[0].Rect)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := ticket.Verify(string(qr), keys)
		if err != nil || p.Number() != tk.Number {
			t.Fatalf("the printed QR of %s: %v, %v", tk.Number, p.Number(), err)
		}
		savePNG(t, jobs[i], dots, "kiosk-ticket-"+tk.Number+".png")
	}
	uploaded(t, kiosk)
	if n := countFacts(t, w, "print"); n != 2 {
		t.Fatalf("the cloud has %d print facts, want 2", n)
	}
	if st := kiosk.Status(); st.Printer == nil || !st.Printer.Online || st.Printer.Printed != 2 {
		t.Fatalf("printer state %+v", st.Printer)
	}
}

func TestPaperOutMidJobLeavesTheTicketUnprintedTellsTheCloudAndARetryPrintsItOnce(t *testing.T) {
	w := newWorld(t, embedded)
	kiosk, printer := w.kioskWithPrinter()
	order := w.sell(1)
	w.caughtUp(kiosk)
	number := order.Tickets[0].Number

	printer.SetPaperOut(200) // the roll ends in the middle of the ticket
	var e printerProblem
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": number}, &e); code != 503 || e.Error.Code != "printer" || e.Error.Problem != "out of paper" {
		t.Fatalf("print with the paper running out: %d %+v", code, e)
	}
	if !strings.Contains(e.Error.Message, "not printed") {
		t.Errorf("the kiosk says %q", e.Error.Message)
	}
	var items []pickupItem
	call(t, "GET", kiosk.URL()+"/pickup/"+order.PickupCode, nil, &items)
	if len(items) != 1 || items[0].Printed != 0 {
		t.Fatalf("after the failure the ticket is %+v, want unprinted", items)
	}
	uploaded(t, kiosk)
	if n := countFacts(t, w, "print_failure"); n != 1 {
		t.Fatalf("the cloud has %d print failures, want 1", n)
	}
	if st := kiosk.Status(); st.Printer == nil || st.Printer.Problem != "out of paper" {
		t.Fatalf("printer state %+v", st.Printer)
	}

	printer.LoadPaper()
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": number}, nil); code != 200 {
		t.Fatalf("retry after loading paper: %d", code)
	}
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": number}, &e); code != 409 || e.Error.Code != "already_printed" {
		t.Fatalf("a third print: %d %+v", code, e)
	}
	if jobs, torn := printer.Jobs(), printer.Torn(); len(jobs) != 1 || len(torn) != 1 {
		t.Fatalf("%d whole tickets and %d torn stubs, want 1 and 1", len(jobs), len(torn))
	}
	uploaded(t, kiosk)
	if n := countFacts(t, w, "print"); n != 1 {
		t.Fatalf("the cloud has %d print facts, want 1", n)
	}
}

func TestAGateWithAScannerAndATurnstileAdmitsOnlyOnThePassage(t *testing.T) {
	w := newWorld(t, embedded)
	set := shippedProfiles(t)
	scanner, err := sim.OpenScannerPTY(*set[gateScanner].Scanner)
	if err != nil {
		t.Fatal(err)
	}
	defer scanner.Close()
	turnstile, err := sim.OpenTurnstilePTY(*set[gateTripod].Turnstile)
	if err != nil {
		t.Fatal(err)
	}
	defer turnstile.Close()
	dir := w.device("gate", "north-gate")
	writeDevices(t, dir, hardware.Config{
		Scanner:   &hardware.Slot{Profile: gateScanner, Port: scanner.SlavePath()},
		Turnstile: &hardware.Slot{Profile: gateTripod, Port: turnstile.SlavePath()},
	})
	gate := w.agent(dir)
	kept, refunded := w.sell(1), w.sell(1)
	w.refund(refunded)
	w.caughtUp(gate)

	if err := scanner.Send(kept.Tickets[0].QR); err != nil {
		t.Fatal(err)
	}
	if st := scanned(t, gate, 1, kept.Tickets[0].Number); st.LastScan.Outcome != "admitted" || turnstile.Opens() != 1 {
		t.Fatalf("a valid ticket: %+v, turnstile opened %d times", st.LastScan, turnstile.Opens())
	}
	if err := scanner.Send(refunded.Tickets[0].QR); err != nil {
		t.Fatal(err)
	}
	if st := scanned(t, gate, 2, refunded.Tickets[0].Number); st.LastScan.Outcome != "refused" || st.LastScan.Reason != "refunded" || turnstile.Opens() != 1 {
		t.Fatalf("a refunded ticket: %+v, turnstile opened %d times", st.LastScan, turnstile.Opens())
	}
	uploaded(t, gate)
	adm, err := w.srv.Store.TicketAdmissions(context.Background(), w.session.ID, kept.Tickets[0].Number)
	if err != nil || len(adm) != 1 {
		t.Fatalf("the cloud's admissions of the kept ticket: %v %v", adm, err)
	}
	st := gate.Status()
	if !st.Devices["scanner"].Online || !st.Devices["turnstile"].Online {
		t.Fatalf("devices %+v", st.Devices)
	}
}

func TestAnAgentWhoseDeviceConfigDoesNotFitRefusesToStart(t *testing.T) {
	w := newWorld(t, embedded)
	dir := w.device("gate", "north-gate")
	writeDevices(t, dir, hardware.Config{Printer: &hardware.Slot{Profile: kioskPrinter, Port: "/dev/ttyS0"}})
	a, err := agent.Start(context.Background(), agent.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err == nil {
		a.Close()
		t.Fatal("a gate with a printer slot started")
	}
	if !strings.Contains(err.Error(), "devices.json: printer: a gate has no printer") {
		t.Fatalf("the error does not say what is wrong: %v", err)
	}
}

func countFacts(t *testing.T, w *world, kind string) int {
	t.Helper()
	var n int
	if err := w.srv.Store.DB().QueryRow(`SELECT count(*) FROM device_facts WHERE kind = ?`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// savePNG keeps a rendered ticket as a test artefact when ADMIT_ARTEFACTS
// names a directory.
func savePNG(t *testing.T, job []byte, dots int, name string) {
	t.Helper()
	dir := os.Getenv("ADMIT_ARTEFACTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := render.PNG(f, job, render.Options{Dots: dots}); err != nil {
		t.Fatal(err)
	}
}

// The POS prints what it sells on its network printer with the kiosk's
// guarantees: a ticket of an event with a Chinese name prints and reads
// as a person would read it; out of paper it is not counted printed, the
// failure reaches the cloud and the screen says why; with paper loaded it
// prints again.
func TestThePOSPrintsOnItsNetworkPrinter(t *testing.T) {
	w := newWorld(t, embedded)
	printer, err := sim.ListenTCP()
	w.must(err)
	t.Cleanup(func() { printer.Close() })
	dir := w.device("pos", "box-office")
	writeDevices(t, dir, hardware.Config{Printer: &hardware.Slot{Profile: posPrinter, Port: printer.Addr()}})
	pos := w.agent(dir)
	ctx := context.Background()
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "足球决赛 Cup final", Kind: "match"})
	w.must(err)
	start := w.session.StartsAt.Add(-5 * time.Hour)
	ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 8800}})
	w.must(err)
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 2})
	w.must(err)
	o, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	w.must(err)
	w.caughtUp(pos)

	if code := call(t, "POST", pos.URL()+"/print", map[string]any{"number": o.Tickets[0].Number}, nil); code != http.StatusOK {
		t.Fatalf("print: %d", code)
	}
	jobs := printer.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("the printer cut %d jobs", len(jobs))
	}
	dots := shippedProfiles(t)[posPrinter].Printer.DotsPerLine
	pg, err := render.RenderPage(jobs[0], render.Options{Dots: dots})
	if errors.Is(err, render.ErrNoCJKFont) && os.Getenv("CI") == "" {
		t.Skipf("no CJK font to read the printed ticket with: %v", err)
	}
	w.must(err)
	for _, want := range []string{"足球决赛", o.Tickets[0].Number} {
		if _, ok := pg.LineWith(want); !ok {
			t.Errorf("the POS ticket does not show %q", want)
		}
	}
	// Out of paper mid-job: not printed, said why, reported.
	printer.SetPaperOut(200)
	var problem printerProblem
	if code := call(t, "POST", pos.URL()+"/print", map[string]any{"number": o.Tickets[1].Number}, &problem); code != http.StatusServiceUnavailable ||
		!strings.Contains(problem.Error.Problem, "paper") {
		t.Fatalf("out of paper: %d %+v", code, problem)
	}
	if st := pos.Status().Printer; st == nil || st.Failed != 1 || st.Printed != 1 || !st.Online {
		t.Fatalf("printer state after the failure %+v", st)
	}
	printer.LoadPaper()
	if code := call(t, "POST", pos.URL()+"/print", map[string]any{"number": o.Tickets[1].Number}, nil); code != http.StatusOK {
		t.Fatalf("print after loading paper: %d", code)
	}
	uploaded(t, pos)
	if n := countFacts(t, w, "print_failure"); n != 1 {
		t.Fatalf("the cloud has %d print failures, want 1", n)
	}
	if n := countFacts(t, w, "print"); n != 2 {
		t.Fatalf("the cloud has %d prints, want 2", n)
	}
}
