package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/storetest"
	"github.com/admitbox/admit/drivers/frame"
)

// A public buyer, in Chromium at 390 px: registers, verifies, adds a
// holder, buys two seats of a real-name session naming both, and sees both
// QR codes and the pickup code; a second purchase naming the same person
// for the session is refused with its reason; the kiosk finds the order
// by its pickup code and prints both tickets; the gate, with its ID card
// reader, refuses a ticket with another person's card and admits it with
// its holder's.
func TestAPublicBuyerBuysTwoNamedSeatsAndTheKioskPrintsThem(t *testing.T) {
	sms := messages.NewSimulator(messages.SMS)
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Messages = map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	})
	ctx := context.Background()
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "Derby", Kind: "match", RealName: true, HolderLimit: 2})
	w.must(err)
	start := w.session.StartsAt.Add(-4 * time.Hour)
	ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Stand", PriceCents: 8800}})
	w.must(err)
	kiosk := w.agent(w.device("kiosk", "lobby"))
	gate, dev := w.gateWithDevices("north")

	shop := browser(t)
	shopRegister(t, w, shop, sms, "13300133000")
	run(t, shop, "verify and add a holder",
		chromedp.SendKeys(chromedp.CSS(`[data-test=identity-number]`), storetest.ResidentID(900)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=identity-name]`), "赵敏"),
		chromedp.Click(chromedp.CSS(`[data-test=identity-submit]`)),
		waitText(`[data-test=identity] [data-test=state]`, "verified"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=holder-number]`), storetest.ResidentID(901)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=holder-name]`), "赵小敏"),
		chromedp.Click(chromedp.CSS(`[data-test=holder-submit]`)),
		waitText(`[data-test=holders] [data-test=state]`, "verified"))

	event := fmt.Sprintf("%s/shop/#/t/acme/event/%d", w.srv.URL, ev.ID)
	run(t, shop, "buy two, naming both", chromedp.Navigate(event),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=buy-holders]`)),
		js(`document.querySelectorAll('[data-test=buy-holders] input').forEach((i) => { i.checked = true }) || true`),
		chromedp.Click(chromedp.CSS(`[data-test=buy-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=orders] [data-order]`)),
		waitTrue(`document.querySelectorAll('img.qr[data-loaded="1"]').length === 2`, 10*time.Second))
	if got := get(t, shop, "status", chromedp.Evaluate[string](`document.querySelector('[data-test=order-status]').textContent`)); got != "paid" {
		t.Fatalf("the order is %q", got)
	}
	pickup := get(t, shop, "pickup", chromedp.Evaluate[string](`document.querySelector('[data-test=pickup]').textContent`))
	fitsWidth(t, shop, "the orders page", 390, 844)
	shot(t, shop, "shop-orders")

	run(t, shop, "the same person again", chromedp.Navigate(event), chromedp.WaitVisible(chromedp.CSS(`[data-test=buy-holders]`)),
		js(`document.querySelector('[data-test=buy-holders] input').checked = true`),
		chromedp.Click(chromedp.CSS(`[data-test=buy-submit]`)),
		waitText(`[data-test=error]`, "holds a ticket of the session already"))

	// The kiosk, from its cache: the pickup code finds both tickets.
	w.caughtUp(kiosk)
	var items []struct {
		Number string `json:"number"`
	}
	if code := call(t, "GET", kiosk.URL()+"/pickup/"+pickup, nil, &items); code != http.StatusOK || len(items) != 2 {
		t.Fatalf("the kiosk found %d tickets for %s: %d", len(items), pickup, code)
	}
	for _, it := range items {
		if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": it.Number}, nil); code != http.StatusOK {
			t.Fatalf("print %s: %d", it.Number, code)
		}
	}
	orders, err := w.svc.FindOrders(ctx, w.admin, sales.OrderFilter{PickupCode: pickup})
	w.must(err)
	if len(orders) != 1 || orders[0].Channel != sales.ChannelWeb || len(orders[0].Holders) != 2 {
		t.Fatalf("the cloud has %+v", orders)
	}
	o, err := w.svc.GetOrder(ctx, w.admin, orders[0].ID)
	w.must(err)
	w.caughtUp(gate)
	w.gateNow = start.Add(-30 * time.Minute)
	tk := o.Tickets[0]
	holder := ""
	for _, h := range o.Holders {
		switch {
		case h.SeatID == tk.SeatID && h.Name == "赵敏":
			holder = storetest.ResidentID(900)
		case h.SeatID == tk.SeatID && h.Name == "赵小敏":
			holder = storetest.ResidentID(901)
		}
	}
	if holder == "" {
		t.Fatalf("no holder of seat %d among %+v", tk.SeatID, o.Holders)
	}
	card := func(number string) frame.IDCardText {
		return frame.IDCardText{Name: "某人", Sex: "2", Nation: "01", Birth: number[6:14], Number: number}
	}
	// Another person's card with the ticket: refused, the turnstile stays shut.
	dev.idcard.Place(card(storetest.ResidentID(902)))
	w.must(dev.scanner.Send(tk.QR))
	if st := scanned(t, gate, 1, tk.Number); st.LastScan.Reason != "holder_mismatch" || dev.turnstile.Opens() != 0 {
		t.Fatalf("another person's card: %+v, turnstile opened %d times", st.LastScan, dev.turnstile.Opens())
	}
	dev.idcard.Lift()
	// The holder's card: admitted, the turnstile turns.
	dev.idcard.Place(card(holder))
	w.must(dev.scanner.Send(tk.QR))
	if st := scanned(t, gate, 2, tk.Number); st.LastScan.Outcome != "admitted" || dev.turnstile.Opens() != 1 {
		t.Fatalf("the holder's card: %+v, turnstile opened %d times", st.LastScan, dev.turnstile.Opens())
	}
	if st := gate.Status(); st.Devices["idcard"].Online != true {
		t.Fatalf("the ID card reader: %+v", st.Devices)
	}

	// The same account applies to a presale of the event's next session,
	// naming both its people.
	ss2, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start.Add(24 * time.Hour),
		EndsAt: start.Add(26 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	tiers, err := w.svc.SetPrices(ctx, w.admin, ss2.ID, []sales.PriceTier{{Name: "Stand", PriceCents: 9900}})
	w.must(err)
	p, err := w.srv.Presales.Create(ctx, w.admin, presale.NewPresale{SessionID: ss2.ID, TierID: tiers[0].ID, Name: "Final presale", Tickets: 50, PerPerson: 2,
		NamedHolders: true, OpensAt: time.Now().Add(-time.Minute), ClosesAt: time.Now().Add(time.Hour)})
	w.must(err)
	run(t, shop, "apply to the presale", chromedp.Navigate(fmt.Sprintf("%s/shop/#/t/acme/presale/%d", w.srv.URL, p.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=apply-holders]`)),
		js(`document.querySelectorAll('[data-test=apply-holders] input').forEach((i) => { i.checked = true }) || true`),
		chromedp.Click(chromedp.CSS(`[data-test=apply-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=applied]`)))
	got, err := w.srv.Presales.Get(ctx, p.ID)
	w.must(err)
	if got.Counts[presale.Applied] != 1 {
		t.Fatalf("the presale has %v", got.Counts)
	}
	// The account's in-site messages hold its tickets and pickup code.
	run(t, shop, "the inbox", chromedp.Navigate(w.srv.URL+"/shop/#/t/acme/account"),
		waitText(`[data-test=inbox]`, pickup))
}

// A buyer chooses two seats on the session's seat map, in Chromium at 390
// px, and buys exactly those: the order holds the seats tapped, and the
// map stays within the screen's width.
func TestAShopBuyerChoosesSeatsOnTheMap(t *testing.T) {
	sms := messages.NewSimulator(messages.SMS)
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Messages = map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	})
	// A later session whose shop sale opens tomorrow: shown, not sold; the
	// buyer asks for a text.
	later, opens := w.session.StartsAt.AddDate(0, 0, 3), time.Now().Add(24*time.Hour)
	ss2, err := w.svc.CreateSession(context.Background(), w.admin, sales.NewSession{HallID: w.session.HallID, EventID: w.session.EventID, StartsAt: later,
		EndsAt: later.Add(2 * time.Hour), MinPriceCents: 1000, OnSaleAt: &opens})
	w.must(err)
	_, err = w.svc.SetPrices(context.Background(), w.admin, ss2.ID, []sales.PriceTier{{Name: "Std", PriceCents: 5000}})
	w.must(err)
	shop := browser(t)
	shopRegister(t, w, shop, sms, "13300133001")
	event := fmt.Sprintf("%s/shop/#/t/acme/event/%d", w.srv.URL, w.session.EventID)
	run(t, shop, "ask to be told when the later session opens", chromedp.Navigate(event),
		chromedp.Click(chromedp.CSS(`[data-session="`+fmt.Sprint(ss2.ID)+`"] [data-test=sale-alert]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-session="`+fmt.Sprint(ss2.ID)+`"] [data-test=sale-alerted]`)))
	if n := get(t, shop, "buy forms of the later session", chromedp.Evaluate[int](`document.querySelectorAll('[data-session="`+fmt.Sprint(ss2.ID)+`"] [data-test=buy-submit]').length`)); n != 0 {
		t.Fatalf("a session not on sale shows %d buy buttons", n)
	}
	run(t, shop, "open the seat map", chromedp.Navigate(event),
		chromedp.Click(chromedp.CSS(`[data-session="`+fmt.Sprint(w.session.ID)+`"] [data-test=choose-seats]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=seatmap] button:not([disabled])`)))
	fitsWidth(t, shop, "the seat map", 390, 844)
	shot(t, shop, "shop-seatmap")
	// Two free seats from the middle of the map, then a third tapped and
	// untapped: two are bought.
	labels := get(t, shop, "tap seats", chromedp.Evaluate[[]string](`(() => { const free = [...document.querySelectorAll('[data-test=seatmap] button:not([disabled])')];
			const pick = [free[Math.floor(free.length / 2)], free[Math.floor(free.length / 2) + 1], free[0]];
			pick.forEach((b) => b.click()); free[0].click();
			return pick.slice(0, 2).map((b) => b.dataset.label); })()`))
	run(t, shop, "buy the seats tapped", waitText(`[data-test=map-picked]`, "·"),
		chromedp.Click(chromedp.CSS(`[data-test=map-buy]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=orders] [data-order]`)))
	if len(labels) != 2 {
		t.Fatalf("tapped %v", labels)
	}
	orders, err := w.svc.FindOrders(context.Background(), w.admin, sales.OrderFilter{SessionID: w.session.ID})
	w.must(err)
	if len(orders) != 1 {
		t.Fatalf("%d orders", len(orders))
	}
	o, err := w.svc.GetOrder(context.Background(), w.admin, orders[0].ID)
	w.must(err)
	var got []string
	for _, tk := range o.Tickets {
		got = append(got, tk.SeatLabel)
	}
	slices.Sort(got)
	slices.Sort(labels)
	if o.Channel != sales.ChannelWeb || o.Status != sales.OrderPaid || !slices.Equal(got, labels) {
		t.Fatalf("tapped %v, bought %v (%s, %s)", labels, got, o.Channel, o.Status)
	}
}

// A buyer asks the shop for a refund of an event that takes them: the
// graded fee is shown before confirming; a manager sees the fee in the
// portal's queue and approves; the order is refunded and its seat back on
// sale.
func TestAShopBuyerAsksForARefundAtTheGradedFee(t *testing.T) {
	sms := messages.NewSimulator(messages.SMS)
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Messages = map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	})
	ctx := context.Background()
	rule := refundrule.Default()
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "Gala", Kind: "concert", Refunds: &rule})
	w.must(err)
	start := w.session.StartsAt.AddDate(0, 0, 10) // more than a week ahead: 5 %
	ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Stalls", PriceCents: 12000}})
	w.must(err)

	shop := browser(t)
	shopRegister(t, w, shop, sms, "13300133002")
	run(t, shop, "buy one", chromedp.Navigate(fmt.Sprintf("%s/shop/#/t/acme/event/%d", w.srv.URL, ev.ID)),
		chromedp.Click(chromedp.CSS(`[data-test=buy-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=orders] [data-order]`)),
		chromedp.Click(chromedp.CSS(`[data-test=refund-ask]`)),
		waitText(`[data-test=refund-quote]`, "5%"))
	quote := get(t, shop, "quote", chromedp.Evaluate[string](`document.querySelector('[data-test=refund-quote]').textContent`))
	if !strings.Contains(quote, "114.00") || !strings.Contains(quote, "6.00") {
		t.Fatalf("the quote reads %q, want ¥114.00 back and a ¥6.00 fee", quote)
	}
	fitsWidth(t, shop, "the refund quote", 390, 844)
	run(t, shop, "confirm", chromedp.SendKeys(chromedp.CSS(`[data-test=refund-reason]`), "cannot come"),
		chromedp.Click(chromedp.CSS(`[data-test=refund-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=refund-requested]`)))

	mgr := w.loginAs(t, "manager")
	run(t, mgr, "approve", chromedp.Navigate(w.srv.URL+"/#/refunds"),
		waitText(`[data-test=refund-queue] [data-test=refund-fee]`, "6.00"),
		chromedp.Click(chromedp.CSS(`[data-test=refund-queue] [data-test=approve]`)),
		waitTrue(`document.querySelector('[data-test=refund-queue]') === null`, 10*time.Second))
	orders, err := w.svc.FindOrders(ctx, w.admin, sales.OrderFilter{SessionID: ss.ID})
	w.must(err)
	if len(orders) != 1 || orders[0].Status != sales.OrderRefunded {
		t.Fatalf("orders of the session: %+v", orders)
	}
}
