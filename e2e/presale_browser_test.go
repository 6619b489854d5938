package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/storetest"
)

// A presale run from the portal, in Chromium: the manager creates it,
// people apply, and after closing the manager locks, draws, settles and
// gives seats with the page's buttons. The public results page shows the
// process, the seed and the winners and answers "did I win?", at a
// phone's width; the Messages page shows the results sent by SMS and sends
// a failed one again.
func TestAPresaleIsRunFromThePortalAndItsResultsArePublic(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	sms := messages.NewSimulator(messages.SMS)
	sms.Unknown("13900000006")
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Now, c.SweepEvery = now, time.Hour // each step by hand here
		c.Messages = map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	})
	ctx := context.Background()
	manager := w.loginAs(t, "manager")
	run(t, manager, "the presales page",
		chromedp.Navigate(w.srv.URL+"/#/presales"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=ps-create]`)),
		chromedp.SetValue(chromedp.CSS(`[data-test=ps-name]`), "Final presale"),
		chromedp.SetValue(chromedp.CSS(`[data-test=ps-tickets]`), "4"),
		chromedp.SetValue(chromedp.CSS(`[data-test=ps-per]`), "2"),
		js(`(() => { const f = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
			document.querySelector('[data-test=ps-opens]').value = f(new Date(Date.now() - 120000));
			document.querySelector('[data-test=ps-closes]').value = f(new Date(Date.now() + 3600000)); return true; })()`),
		chromedp.Click(chromedp.CSS(`[data-test=ps-create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=ps-list] [data-presale]`)))
	ps, err := w.srv.Presales.List(ctx, w.manager)
	w.must(err)
	if len(ps) != 1 || ps[0].Tickets != 4 || ps[0].PerPerson != 2 || ps[0].SessionID != w.session.ID {
		t.Fatalf("the portal made %+v", ps)
	}
	p := ps[0]
	for i := 1; i <= 6; i++ {
		if code := call(t, "POST", fmt.Sprintf("%s/api/v1/presales/%d/applications", w.srv.URL, p.ID), presale.ApplyRequest{
			Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: storetest.ResidentID(100 + i), Name: "韩梅梅"}, Quantity: 1 + i%2,
			CardToken: payment.TokenApprove, Phone: fmt.Sprintf("1390000000%d", i)}, nil); code != http.StatusCreated {
			t.Fatalf("applicant %d: %d", i, code)
		}
	}

	offset.Store(int64(2 * time.Hour))
	manager = w.loginAs(t, "manager") // two hours idle ended the first login
	button := func(step, state string) {
		t.Helper()
		sel := fmt.Sprintf(`[data-test=ps-%s-%d]`, step, p.ID)
		run(t, manager, step, chromedp.Navigate(w.srv.URL+"/#/presales"), chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)),
			waitText(`[data-presale="`+fmt.Sprint(p.ID)+`"] [data-test=ps-state]`, state))
	}
	button("lock", "locked")
	button("draw", "drawn")
	button("settle", "settled")
	button("assign", "settled")
	run(t, manager, "assigned", waitText(`[data-test=ps-done]`, "Give seats"))
	got, err := w.srv.Presales.Get(ctx, p.ID)
	w.must(err)
	winners := len(got.Result.Winners)
	if got.Counts[presale.Issued] != winners || winners == 0 {
		t.Fatalf("after the portal's steps: %v with %d winners", got.Counts, winners)
	}

	// The public page, without a login, at a phone's width.
	public := browser(t)
	run(t, public, "the results page", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(fmt.Sprintf("%s/shop/#/presale/%d", w.srv.URL, p.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=winners]`)))
	text := func(sel string) string {
		return get(t, public, sel, chromedp.Evaluate[string](`document.querySelector('`+sel+`').textContent`))
	}
	if text(`[data-test=seed]`) != got.Seed || text(`[data-test=commitment]`) != got.Commitment || text(`[data-test=list-hash]`) != got.ListHash {
		t.Fatal("the page's seed, commitment or list hash differ from the draw's")
	}
	rows := get(t, public, "winner rows", chromedp.Evaluate[int](`document.querySelectorAll('[data-test=winners] tbody tr').length`))
	if rows != winners {
		t.Fatalf("the page lists %d winners, the draw %d", rows, winners)
	}
	done := get(t, public, "steps", chromedp.Evaluate[int](`document.querySelectorAll('[data-test=steps] li.done').length`))
	if done != 3 {
		t.Fatalf("%d steps done on the page, want 3 (open, locked, drawn) with settled now", done)
	}
	run(t, public, "did I win?", chromedp.SetValue(chromedp.CSS(`[data-test=my-ref]`), got.Result.Winners[0].ID),
		chromedp.Click(chromedp.CSS(`[data-test=check]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=my-result].won`)))
	run(t, public, "and a made-up number", chromedp.SetValue(chromedp.CSS(`[data-test=my-ref]`), "A0000000000000000"),
		chromedp.Click(chromedp.CSS(`[data-test=check]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=my-result].lost`)))
	fitsWidth(t, public, "the results page", 390, 844)
	shot(t, public, "shop-presale-results")

	// The messages: won or lost to each applicant, tickets to the winners;
	// the unknown number fails and is sent again by hand.
	if _, err := w.srv.Messages.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := w.srv.Messages.List(ctx, w.admin, messages.Filter{})
	w.must(err)
	states := map[messages.State]int{}
	for _, m := range all {
		states[m.State]++
		if m.State == messages.Failed && m.Recipient != "13900000006" {
			t.Errorf("a message to %s failed: %s", m.Recipient, m.LastError)
		}
	}
	if len(all) != 6+winners || states[messages.Sent] != len(sms.Sent()) || states[messages.Failed] < 1 {
		t.Fatalf("%d messages %v, %d reached the simulator; want 6 results and %d tickets", len(all), states, len(sms.Sent()), winners)
	}
	run(t, manager, "the messages page", chromedp.Navigate(w.srv.URL+"/#/messages"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=msg-list]`)))
	failed := get(t, manager, "failed rows", chromedp.Evaluate[int](`[...document.querySelectorAll('[data-test=msg-state]')].filter((e) => e.textContent === 'failed').length`))
	if failed < 1 {
		t.Fatal("the unknown number's message is not shown failed")
	}
	run(t, manager, "send again", chromedp.Click(chromedp.CSS(`[data-test^=msg-resend-]`)),
		waitTrue(`[...document.querySelectorAll('[data-test=msg-state]')].filter((e) => e.textContent === 'failed').length === `+fmt.Sprint(failed-1), 5*time.Second))
	shot(t, manager, "portal-messages")
}

// The shop's front and an event's page, anonymous, at a phone's width:
// the events on sale with the seats left, and each session's levels; a
// sale shows on the next load after the catalogue's second.
func TestTheShopShowsWhatIsOnSaleAtAPhonesWidth(t *testing.T) {
	var offset atomic.Int64
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	shop := browser(t)
	run(t, shop, "the shop's front", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(w.srv.URL+"/shop/#/t/acme"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=events] [data-event]`)))
	left := func() string {
		return get(t, shop, "seats left", chromedp.Evaluate[string](`document.querySelector('[data-test=events] [data-test=left]').textContent`))
	}
	if got := left(); got != "200 seats left" && got != "余 200 张" {
		t.Fatalf("the front says %q of a 200-seat hall", got)
	}
	fitsWidth(t, shop, "the shop's front", 390, 844)
	w.sell(2)
	offset.Store(int64(2 * time.Second)) // the catalogue is a second old at most
	run(t, shop, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-test=events] [data-event]`)))
	if got := left(); got != "198 seats left" && got != "余 198 张" {
		t.Fatalf("after a sale of two the front says %q", got)
	}
	run(t, shop, "the event", chromedp.Click(chromedp.CSS(`[data-test=events] [data-event] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=sessions] [data-session]`)))
	sessions := get(t, shop, "sessions", chromedp.Evaluate[int](`document.querySelectorAll('[data-test=sessions] [data-session]').length`))
	if sessions != 1 {
		t.Fatalf("%d sessions on the event's page, want 1", sessions)
	}
	fitsWidth(t, shop, "the event's page", 390, 844)
	shot(t, shop, "shop-event")
	run(t, shop, "an unknown shop", chromedp.Navigate(w.srv.URL+"/shop/#/t/nobody"), chromedp.WaitVisible(chromedp.CSS(`[data-test=error]`)))
}

// A presale winner chooses their seats in Chromium at 390 px, from the
// link texted once the presale is settled: the tickets are issued on the
// seats tapped.
func TestAPresaleWinnerChoosesSeatsFromTheTextedLink(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	sms := messages.NewSimulator(messages.SMS)
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Now, c.Payments = now, payment.NewSimulator()
		c.Messages = map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	})
	admin := w.token("acme-admin")
	api := w.srv.URL + "/api/v1"
	tiers, err := w.svc.Prices(context.Background(), w.admin, w.session.ID)
	w.must(err)
	until := now().Add(5 * time.Hour)
	var ps presale.Presale
	if code := callAs(t, admin, "POST", api+"/presales", presale.NewPresale{SessionID: w.session.ID, TierID: tiers[0].ID, Name: "Cup presale",
		Tickets: 4, PerPerson: 2, OpensAt: now().Add(-time.Minute), ClosesAt: now().Add(time.Hour), ChoiceUntil: &until}, &ps); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if code := call(t, "POST", fmt.Sprintf("%s/presales/%d/applications", api, ps.ID), presale.ApplyRequest{
		Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: storetest.ResidentID(77), Name: "韩梅梅"}, Quantity: 2,
		CardToken: payment.TokenApprove, Phone: "13900139077", Lang: "en"}, nil); code != http.StatusCreated {
		t.Fatalf("apply: %d", code)
	}
	offset.Store(int64(2 * time.Hour))
	admin = w.token("acme-admin")
	for _, step := range []string{"lock", "draw", "settle"} {
		if code := callAs(t, admin, "POST", fmt.Sprintf("%s/presales/%d/%s", api, ps.ID, step), nil, nil); code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("%s: %d", step, code)
		}
	}
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := sms.WaitFor(wctx, func(m messages.Message) bool { return m.Template == "presale.choose" })
	if err != nil {
		t.Fatalf("no seat choice was texted: %v", err)
	}
	link := regexp.MustCompile(`https?://\S+`).FindString(m.Body)
	if !strings.Contains(link, "/shop/#/presale/") {
		t.Fatalf("the text reads %q", m.Body)
	}
	b := browser(t)
	run(t, b, "open the link", chromedp.EmulateViewport(390, 844), chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=seatmap] button:not([disabled])`)))
	fitsWidth(t, b, "the seat choice", 390, 844)
	labels := get(t, b, "tap two seats", chromedp.Evaluate[[]string](`(() => { const free = [...document.querySelectorAll('[data-test=seatmap] button:not([disabled])')];
		const pick = [free[free.length - 1], free[free.length - 2]]; pick.forEach((x) => x.click()); return pick.map((x) => x.dataset.label); })()`))
	run(t, b, "take them", chromedp.Click(chromedp.CSS(`[data-test=choose-confirm]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=chosen]`)))
	shot(t, b, "presale-choice")
	chosen := get(t, b, "chosen", chromedp.Evaluate[string](`document.querySelector('[data-test=chosen]').textContent`))
	for _, l := range labels {
		if !strings.Contains(chosen, l) {
			t.Fatalf("tapped %v; the page says %q", labels, chosen)
		}
	}
	orders, err := w.svc.FindOrders(context.Background(), w.admin, sales.OrderFilter{SessionID: w.session.ID})
	w.must(err)
	if len(orders) != 1 || orders[0].PaymentMethod != sales.MethodPresale || orders[0].Status != sales.OrderPaid {
		t.Fatalf("orders %+v", orders)
	}
}
