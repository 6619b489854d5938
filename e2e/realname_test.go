package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/storetest"
)

// A real-name session at the box office, in Chromium: the admin creates
// a real-name event in the portal; the POS asks for each held seat's
// holder; a mistyped ID number is refused with its reason and nothing is
// sold; corrected, the sale goes through and the portal shows the holders
// masked; the same document for another seat of the session is refused.
func TestThePOSNamesEachHolderOfARealNameSession(t *testing.T) {
	w := newWorld(t, embedded)
	ctx := context.Background()
	admin := w.loginAs(t, "acme-admin")
	run(t, admin, "a real-name event",
		chromedp.Navigate(w.srv.URL+"/#/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=create-event]`)),
		chromedp.SetValue(chromedp.CSS(`[data-test=event-name]`), "Final"),
		chromedp.Click(chromedp.CSS(`[data-test=event-real-name]`)),
		chromedp.SetValue(chromedp.CSS(`[data-test=event-holder-limit]`), "4"))
	run(t, admin, "create it", js(`document.querySelector('[data-test=event-name]').closest('.row').querySelector('select').value = 'match'`),
		chromedp.Click(chromedp.CSS(`[data-test=create-event]`)),
		waitTrue(`[...document.querySelectorAll('option')].some((o) => o.textContent.includes('Final'))`, 5*time.Second))
	evs, err := w.svc.ListEvents(ctx, w.admin)
	w.must(err)
	var ev sales.Event
	for _, e := range evs {
		if e.Name == "Final" {
			ev = e
		}
	}
	if !ev.RealName || ev.HolderLimit != 4 || ev.Kind != "match" {
		t.Fatalf("the portal made %+v", ev)
	}
	start := w.session.StartsAt.Add(-5 * time.Hour)
	ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 8000}})
	w.must(err)
	pos := w.agent(w.device("pos", "window-1"))
	w.caughtUp(pos)

	clerk := browser(t)
	posLogin(t, clerk, pos.URL(), ss.ID)
	hold := func(labels ...string) {
		t.Helper()
		run(t, clerk, "open the seat map",
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-session="%d"]`, ss.ID))),
			chromedp.WaitVisible(chromedp.CSS(`[data-test=pos-seatmap] .seat`)))
		for _, l := range labels {
			run(t, clerk, "select "+l, waitTrue(fmt.Sprintf(`!document.querySelector('[data-label="%s"]').disabled`, l), 5*time.Second),
				chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-label="%s"]`, l))))
		}
		run(t, clerk, "hold", chromedp.Click(chromedp.CSS(`[data-test=hold]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=holders]`)))
	}
	name := func(label, doc, who string) {
		t.Helper()
		run(t, clerk, "name the holder of "+label,
			chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-holder-number="%s"]`, label)), doc),
			chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-holder-name="%s"]`, label)), who))
	}
	hold("A-1", "A-2")
	name("A-1", "11010519491231002X", "王小明")
	name("A-2", "440524188001010015", "李小红") // the check digit is 4
	run(t, clerk, "pay: refused", chromedp.Click(chromedp.CSS(`[data-test=pay-cash]`)), waitText(`[data-test=pos-error]`, "check digit"))
	if st := storetest.SeatStatus(t, w.srv.Store, ss.ID, "A-2"); st == sales.SeatSold {
		t.Fatal("a refused sale sold a seat")
	}
	shot(t, clerk, "pos-holders")
	name("A-2", "440524188001010014", "李小红")
	run(t, clerk, "pay", chromedp.Click(chromedp.CSS(`[data-test=pay-cash]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=paid]`)))
	orders, err := w.svc.FindOrders(ctx, w.manager, sales.OrderFilter{SessionID: ss.ID})
	w.must(err)
	if len(orders) != 1 || len(orders[0].Holders) != 2 || orders[0].Holders[0].Name != "王小明" {
		t.Fatalf("the order's holders: %+v", orders)
	}
	run(t, admin, "the order in the portal",
		chromedp.Navigate(w.srv.URL+"/#/sales"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=order-query]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=order-query]`), orders[0].PickupCode),
		chromedp.Click(chromedp.CSS(`[data-test=order-search]`)),
		waitText(`[data-holder-seat="A-1"]`, "王小明 110***********002X"))

	// The same person again in this session: refused, with the reason.
	run(t, clerk, "a new sale", chromedp.Click(chromedp.CSS(`[data-test=new-sale]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=pos-seatmap] .seat`)))
	run(t, clerk, "select A-3", waitTrue(`!document.querySelector('[data-label="A-3"]').disabled`, 5*time.Second), chromedp.Click(chromedp.CSS(`[data-label="A-3"]`)),
		chromedp.Click(chromedp.CSS(`[data-test=hold]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=holders]`)))
	name("A-3", "11010519491231002X", "王小明")
	run(t, clerk, "pay: one ticket per person", chromedp.Click(chromedp.CSS(`[data-test=pay-cash]`)), waitText(`[data-test=pos-error]`, "one ticket per person per session"))
}
