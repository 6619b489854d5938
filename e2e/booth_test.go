package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/storetest"
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
	got, err := w.svc.GetOrder(ctx, w.clerk, o.ID)
	w.must(err)
	for _, tk := range got.Tickets {
		if tk.PrintedAt == nil {
			t.Errorf("ticket %s is not printed in the cloud", tk.Number)
		}
	}
	run(t, b, "look the order up again",
		js(`document.querySelector("[data-test=pickup-orders]").replaceChildren()`),
		chromedp.SendKeys(chromedp.CSS(`[data-test=pickup-doc-number]`), buyer),
		chromedp.Click(chromedp.CSS(`[data-test=pickup-find]`)),
		waitText(order+` [data-test=pickup-print]`, "All printed"))
	if n := len(printer.Jobs()); n != 2 {
		t.Fatalf("the POS printer cut %d tickets after the second lookup, want 2", n)
	}
}
