package e2e

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/storetest"
)

// A member of the public opens an account at the shop, in Chromium at a
// phone's width: the code arrives by text message (the SMS simulator),
// the identity is verified by the provider's simulator, a related person
// with a passport waits for a review, which a manager approves on the
// portal's ID reviews page; the shop then shows them verified.
func TestAShopperRegistersVerifiesAndAddsAHolder(t *testing.T) {
	sms := messages.NewSimulator(messages.SMS)
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.Messages = map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	})
	shop := browser(t)
	const phone = "13700137000"
	shopRegister(t, w, shop, sms, phone)
	if got := get(t, shop, "phone", chromedp.Evaluate[string](`document.querySelector('[data-test=phone]').textContent`)); got != "137****7000" {
		t.Fatalf("the account shows the phone as %q", got)
	}
	run(t, shop, "verify my identity",
		chromedp.SendKeys(chromedp.CSS(`[data-test=identity-number]`), storetest.ResidentID(700)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=identity-name]`), "张伟"),
		chromedp.Click(chromedp.CSS(`[data-test=identity-submit]`)),
		waitText(`[data-test=identity] [data-test=state]`, "verified"))
	run(t, shop, "a mistyped holder", js(`document.querySelector('[data-test=holder-type]').value = 'resident_id'`),
		chromedp.SendKeys(chromedp.CSS(`[data-test=holder-number]`), storetest.ResidentID(701)[:17]+"Z"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=holder-name]`), "张小伟"),
		chromedp.Click(chromedp.CSS(`[data-test=holder-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=error]`)))
	run(t, shop, "a holder with a passport", js(`(() => { document.querySelector('[data-test=holder-type]').value = 'passport';
		document.querySelector('[data-test=holder-number]').value = 'E98765432'; document.querySelector('[data-test=holder-name]').value = 'Anna Schmidt'; return true; })()`),
		chromedp.Click(chromedp.CSS(`[data-test=holder-submit]`)),
		waitText(`[data-test=holders] [data-test=state]`, "waiting for review"))
	fitsWidth(t, shop, "the account page", 390, 844)
	shot(t, shop, "shop-account")

	manager := w.loginAs(t, "manager")
	run(t, manager, "the review page", chromedp.Navigate(w.srv.URL+"/#/reviews"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=reviews] [data-identity]`)),
		js(`document.querySelector('[data-test=reviews] [data-identity] button').click() || true`),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=no-reviews]`)))
	run(t, shop, "verified after the review", chromedp.Reload(),
		waitText(`[data-test=holders] [data-test=state]`, "verified"))

	// Logging out ends the login at the cloud, not only in the browser.
	tok := get(t, shop, "token", chromedp.Evaluate[string](`localStorage.getItem('admit.shop.acme')`))
	run(t, shop, "log out", chromedp.Click(chromedp.CSS(`[data-test=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-test=send-code]`)))
	if code := callAs(t, tok, "GET", w.srv.URL+"/api/v1/shop/acme/me", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the logged-out token answered %d", code)
	}
}

// shopRegister opens an account at the acme shop in the browser at a
// phone's width, with the code the SMS simulator received; it ends on the
// account page.
func shopRegister(t *testing.T, w *world, shop context.Context, sms *messages.Simulator, phone string) {
	t.Helper()
	run(t, shop, "the account page", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(w.srv.URL+"/shop/#/t/acme/account"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=send-code]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=phone]`), phone),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), "Correct-horse-9"),
		chromedp.Click(chromedp.CSS(`[data-test=send-code]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=code-sent]`)))
	// The message queue sends the code on its next tick.
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := sms.WaitFor(wctx, func(m messages.Message) bool { return m.Recipient == phone && m.Template == "account.code" })
	if err != nil {
		t.Fatalf("no code was texted: %v", err)
	}
	code := regexp.MustCompile(`\d{6}`).FindString(m.Body)
	run(t, shop, "register", chromedp.SendKeys(chromedp.CSS(`[data-test=code]`), code),
		chromedp.Click(chromedp.CSS(`[data-test=register]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=identity-submit]`)))
}
