package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/storetest"
	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/drivers/render"
	"github.com/admitbox/admit/drivers/render/rendertest"
	"github.com/admitbox/admit/drivers/sim"
	"github.com/admitbox/admit/edge/hardware"
)

// A booth's pickup of a reserved order (§6.3.1): the clerk checks the
// buyer's ID card, types its number on the POS screen, and prints the
// tickets of the order naming it on the POS's own printer, once. A
// mistyped number is refused with the reason, and a document naming no
// order finds nothing.
func TestABoothPrintsAReservedOrderAfterCheckingTheBuyersID(t *testing.T) {
	w := newWorld(t, embedded)
	printer, err := sim.ListenTCP()
	w.must(err)
	t.Cleanup(func() { printer.Close() })
	dir := w.device("pos", "booth-1")
	writeDevices(t, dir, hardware.Config{Printer: &hardware.Slot{Profile: posPrinter, Port: printer.Addr()}})
	pos := w.agent(dir)
	kiosk := w.agent(w.device("kiosk", "hall-kiosk"))

	ctx := context.Background()
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "Semi-final", Kind: "match", RealName: true})
	w.must(err)
	start := w.session.StartsAt.Add(-4 * time.Hour)
	ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 6600}})
	w.must(err)
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 2})
	w.must(err)
	buyer := storetest.ResidentID(31)
	o, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}, Holders: []sales.HolderRequest{
		{SeatID: h.Seats[0].SeatID, DocType: identity.ResidentID, DocNumber: buyer, Name: "王五"},
		{SeatID: h.Seats[1].SeatID, DocType: identity.ResidentID, DocNumber: storetest.ResidentID(32), Name: "赵六"}}})
	w.must(err)
	w.caughtUp(pos)
	cachedTickets(t, pos, o.Tickets[0].Number, o.Tickets[1].Number)

	b := browser(t)
	posLogin(t, b, pos.URL(), ss.ID)
	run(t, b, "open the pickup",
		chromedp.Click(chromedp.CSS(`[data-test=pos-pickup]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pickup-doc-number]`)))
	run(t, b, "a mistyped number",
		chromedp.SendKeys(chromedp.CSS(`[data-test=pickup-doc-number]`), "110105199001010000"),
		chromedp.Click(chromedp.CSS(`[data-test=pickup-find]`)),
		waitText(`[data-test=pos-error]`, "check"))
	run(t, b, "a document naming no order",
		js(`document.querySelector("[data-test=pickup-doc-number]").value = ""`),
		chromedp.SendKeys(chromedp.CSS(`[data-test=pickup-doc-number]`), storetest.ResidentID(33)),
		chromedp.Click(chromedp.CSS(`[data-test=pickup-find]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pickup-none]`)))
	order := fmt.Sprintf(`[data-order="%d"]`, o.ID)
	run(t, b, "the buyer's order",
		chromedp.SendKeys(chromedp.CSS(`[data-test=pickup-doc-number]`), buyer),
		chromedp.Click(chromedp.CSS(`[data-test=pickup-find]`)),
		chromedp.WaitVisible(chromedp.CSS(order+` [data-test=pickup-print]`)))
	if v := get(t, b, "the number field", chromedp.Evaluate[string](`document.querySelector("[data-test=pickup-doc-number]").value`)); v != "" {
		t.Errorf("the document number stays on the screen: %q", v)
	}
	shot(t, b, "pos-pickup")
	run(t, b, "print the order",
		chromedp.Click(chromedp.CSS(order+` [data-test=pickup-print]`)),
		waitText(order+` [data-test=pickup-printed]`, "Printed 2"))
	if n := len(printer.Jobs()); n != 2 {
		t.Fatalf("the POS printer cut %d tickets, want 2", n)
	}
	if on := get(t, b, "the print button", chromedp.Evaluate[bool](`document.querySelector('`+order+` [data-test=pickup-print]').disabled`)); !on {
		t.Error("the print button still prints a printed order")
	}
	// The prints reach the cloud; looked up again, the order is all
	// printed and prints nothing more.
	uploaded(t, pos)
	if n := countFacts(t, w, "print"); n != 2 {
		t.Fatalf("the cloud has %d prints, want 2", n)
	}
	w.allPrinted(t, o.ID)
	run(t, b, "look the order up again",
		js(`document.querySelector("[data-test=pickup-orders]").replaceChildren()`),
		chromedp.SendKeys(chromedp.CSS(`[data-test=pickup-doc-number]`), buyer),
		chromedp.Click(chromedp.CSS(`[data-test=pickup-find]`)),
		waitText(order+` [data-test=pickup-print]`, "All printed"))
	if n := len(printer.Jobs()); n != 2 {
		t.Fatalf("the POS printer cut %d tickets after the second lookup, want 2", n)
	}
	// The venue's kiosk learns they are on paper: the pickup code no
	// longer prints them a second time there.
	w.caughtUp(kiosk)
	var refused struct{ Error struct{ Code string } }
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": o.Tickets[0].Number}, &refused); code != http.StatusConflict || refused.Error.Code != "already_printed" {
		t.Fatalf("the kiosk prints a ticket the booth printed: %d %+v", code, refused)
	}
}

// The box office sells a seated pass from the POS screen: a seat taken in
// any of its sessions cannot be picked; the sale takes the seat in every
// session; the pass prints as one paper with its one code, which the
// printer's image decodes to the genuine pass, and its tickets are then
// printed (none prints again alone).
func TestThePOSSellsASeatedPassAndPrintsItsOneCode(t *testing.T) {
	w := newWorld(t, embedded)
	printer, err := sim.ListenTCP()
	w.must(err)
	t.Cleanup(func() { printer.Close() })
	dir := w.device("pos", "booth-2")
	writeDevices(t, dir, hardware.Config{Printer: &hardware.Slot{Profile: posPrinter, Port: printer.Addr()}})
	pos := w.agent(dir)
	ctx := context.Background()
	s1 := w.session
	s2, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: s1.HallID, EventID: s1.EventID, StartsAt: s1.StartsAt.Add(24 * time.Hour),
		EndsAt: s1.EndsAt.Add(24 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, s2.ID, []sales.PriceTier{{Name: "Std", PriceCents: 5000}})
	w.must(err)
	product, err := w.srv.Passes.Create(ctx, w.manager, pass.Product{Name: "Two nights", SessionIDs: []int64{s1.ID, s2.ID}, Seated: true, PriceCents: 9000})
	w.must(err)
	taken, seat := w.seats[0], w.seats[1]
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: s2.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{taken.SeatID}})
	w.must(err)
	_, err = w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	w.must(err)

	b := browser(t)
	posLogin(t, b, pos.URL(), s1.ID)
	label := func(l string) string { return fmt.Sprintf(`[data-test=pass-seatmap] [data-label=%q]`, l) }
	run(t, b, "the pass's seat map",
		chromedp.Click(chromedp.CSS(`[data-test=pos-passes]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-pass="%d"]`, product.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-pass="%d"]`, product.ID))),
		chromedp.WaitVisible(chromedp.CSS(label(seat.Label))))
	if free := get(t, b, "the seat taken on the second night", chromedp.Evaluate[bool](fmt.Sprintf(`!document.querySelector('%s').disabled`, label(taken.Label)))); free {
		t.Fatal("a seat sold for one of the pass's sessions can be picked for the pass")
	}
	run(t, b, "sell the pass",
		chromedp.Click(chromedp.CSS(label(seat.Label))),
		chromedp.WaitEnabled(chromedp.CSS(`[data-test=pass-pay-cash]`)))
	shot(t, b, "pos-pass")
	run(t, b, "take cash for the pass",
		chromedp.WaitEnabled(chromedp.CSS(`[data-test=pass-pay-cash]`)),
		chromedp.Click(chromedp.CSS(`[data-test=pass-pay-cash]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pass-sold]`)))
	for _, ss := range []sales.Session{s1, s2} {
		if st := seatState(t, w, ss.ID, seat.SeatID); st != sales.SeatSold {
			t.Fatalf("the pass's seat in session %d is %s", ss.ID, st)
		}
	}
	// Printed at once, as a clerk would: the POS waits for the pass's
	// tickets to come down the feed if they are not there yet.
	run(t, b, "print the pass",
		chromedp.Click(chromedp.CSS(`[data-test=pass-print]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pass-printed]`)))
	jobs := printer.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("the printer cut %d papers for one pass", len(jobs))
	}
	dots := shippedProfiles(t)[posPrinter].Printer.DotsPerLine
	pg, err := render.RenderPage(jobs[0], render.Options{Dots: dots})
	if errors.Is(err, render.ErrNoCJKFont) && os.Getenv("CI") == "" {
		t.Skipf("no CJK font to read the printed pass with: %v", err)
	}
	w.must(err)
	savePNG(t, jobs[0], dots, "pos-pass-paper.png")
	qrs := pg.SymbolsOf("qr")
	if len(qrs) != 1 {
		t.Fatalf("the pass shows %d QR codes", len(qrs))
	}
	code, err := rendertest.DecodeQR(pg.Image, qrs[0].Rect)
	w.must(err)
	pp, err := ticket.VerifyPass(string(code), w.publicKeys())
	if err != nil {
		t.Fatalf("the printed code %q: %v", code, err)
	}
	if _, ok := pg.LineWith("PASS-" + fmt.Sprint(pp.PassID)); !ok {
		t.Errorf("the pass does not show its number PASS-%d", pp.PassID)
	}
	// Its tickets are printed: a second print of the pass, or of one of
	// its tickets alone, needs an authorised reprint.
	var problem struct{ Error struct{ Code string } }
	if code := call(t, "POST", pos.URL()+"/print-pass", map[string]any{"code": string(code)}, &problem); code != http.StatusConflict || problem.Error.Code != "already_printed" {
		t.Fatalf("the pass printed twice: %d %+v", code, problem)
	}
	if code := call(t, "POST", pos.URL()+"/print-pass", map[string]any{"code": "AP1:FORGED"}, &problem); code != http.StatusBadRequest || problem.Error.Code != "invalid_pass" {
		t.Fatalf("a forged pass code: %d %+v", code, problem)
	}
	if len(printer.Jobs()) != 1 {
		t.Fatal("a refused pass print reached the printer")
	}
	uploaded(t, pos)
	if n := countFacts(t, w, "print"); n != 2 {
		t.Fatalf("the cloud has %d prints of the pass's tickets, want 2", n)
	}
}

// A pass of a real-name event sold at the POS names its holder: the
// screen asks for the document, and every session's ticket carries it,
// so the gates check the holder's ID card on each.
func TestThePOSSellsARealNamePassToItsHolder(t *testing.T) {
	w := newWorld(t, embedded)
	pos := w.agent(w.device("pos", "booth-3"))
	ctx := context.Background()
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "Finals", Kind: "match", RealName: true})
	w.must(err)
	var ids []int64
	for i := range 2 {
		start := w.session.StartsAt.Add(time.Duration(24*(i+1)) * time.Hour)
		ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
		w.must(err)
		_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 5000}})
		w.must(err)
		ids = append(ids, ss.ID)
	}
	product, err := w.srv.Passes.Create(ctx, w.manager, pass.Product{Name: "Finals pass", SessionIDs: ids, PriceCents: 9000})
	w.must(err)
	w.caughtUp(pos)

	b := browser(t)
	posLogin(t, b, pos.URL(), ids[0])
	run(t, b, "the pass asks for its holder",
		chromedp.Click(chromedp.CSS(`[data-test=pos-passes]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-pass="%d"]`, product.ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pass-doc-number]`)),
		chromedp.WaitEnabled(chromedp.CSS(`[data-test=pass-pay-cash]`)),
		chromedp.Click(chromedp.CSS(`[data-test=pass-pay-cash]`)),
		waitText(`[data-test=pos-error]`, "cannot be named"))
	doc := storetest.ResidentID(41)
	run(t, b, "sell it to its holder",
		chromedp.SendKeys(chromedp.CSS(`[data-test=pass-doc-number]`), doc),
		chromedp.SendKeys(chromedp.CSS(`[data-test=pass-holder-name]`), "周杰"),
		chromedp.Click(chromedp.CSS(`[data-test=pass-pay-cash]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pass-sold]`)))
	key, err := w.svc.DocumentKey(ctx, identity.Document{Type: identity.ResidentID, Number: doc})
	w.must(err)
	held, err := w.svc.FindOrders(ctx, w.admin, sales.OrderFilter{HolderKey: key})
	w.must(err)
	if len(held) != 2 {
		t.Fatalf("the holder's document is on %d of the pass's orders, want 2", len(held))
	}
}

// allPrinted checks that the cloud has every ticket of an order printed.
func (w *world) allPrinted(t *testing.T, orderID int64) {
	t.Helper()
	o, err := w.svc.GetOrder(context.Background(), w.admin, orderID)
	w.must(err)
	for _, tk := range o.Tickets {
		if tk.PrintedAt == nil {
			t.Errorf("ticket %s of order %d is not printed in the cloud", tk.Number, orderID)
		}
	}
}
