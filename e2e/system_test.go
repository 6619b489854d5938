package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// The System page, in Chromium: who is logged in, devices online by role,
// figures judged against ranges the admin sets there, and a logout that
// ends the token at the cloud, not only in the browser.
func TestTheSystemPageShowsWhatRunsAndRaisesWhatIsOutOfRange(t *testing.T) {
	w := newWorld(t, embedded)
	kiosk := w.agent(w.device("kiosk", "lobby-kiosk"))
	gate := w.agent(w.device("gate", "north-gate"))
	// Each device has something to upload, so the cloud has heard from it.
	w.soldPrintedAdmitted(kiosk, gate)
	w.token("clerk") // a clerk is logged in somewhere

	ctx := w.loginAs(t, "acme-admin")
	run(t, ctx, "system page",
		chromedp.Click(chromedp.CSS(`[data-test=nav-system]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=all-well]`)))
	text := func(sel string) string {
		return get(t, ctx, sel, chromedp.Evaluate[string](`document.querySelector('`+sel+`').textContent`))
	}
	if got := text(`[data-test=sys-gates_online]`); got != "1" {
		t.Fatalf("gates online %q", got)
	}
	if got := text(`[data-test=sys-kiosks_online]`); got != "1" {
		t.Fatalf("kiosks online %q", got)
	}
	if got := text(`[data-test=sys-tickets_per_minute]`); got != "0.4" {
		t.Fatalf("tickets per minute over five minutes %q, want 0.4 (two sold)", got)
	}
	for _, who := range []string{"acme-admin", "clerk"} {
		run(t, ctx, who+" online", chromedp.WaitVisible(chromedp.CSS(`[data-test=online-users] tr[data-user="`+who+`"]`)))
	}
	if got := text(`[data-test=devices-by-role] tr[data-role=gate] td.num`); got != "1 / 1" {
		t.Fatalf("gates by role %q", got)
	}

	// Two gates at least, the admin says: with one, the page raises it.
	run(t, ctx, "set a range",
		chromedp.SetValue(chromedp.CSS(`[data-range="gates_online.min"]`), "2"),
		chromedp.Click(chromedp.CSS(`[data-test=save-ranges]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=breaches] li[data-metric=gates_online]`)))
	if got := text(`[data-test=breaches] li[data-metric=gates_online]`); got != "gates_online is 1, below the minimum 2" {
		t.Fatalf("breach %q", got)
	}
	bad := get(t, ctx, "tile", chromedp.Evaluate[bool](`document.querySelector('[data-test=sys-gates_online]').parentElement.classList.contains('bad')`))
	if !bad {
		t.Fatal("the gates tile is not marked")
	}
	shot(t, ctx, "portal-system")
	// A bad range is refused with its reason, and the old one stays.
	run(t, ctx, "a bad range",
		chromedp.SetValue(chromedp.CSS(`[data-range="feed_lag.min"]`), "9"),
		chromedp.SetValue(chromedp.CSS(`[data-range="feed_lag.max"]`), "3"),
		chromedp.Click(chromedp.CSS(`[data-test=save-ranges]`)),
		waitText(`[data-test=error]`, "below the minimum"))
	if rs, ok, err := w.srv.Store.Setting(t.Context(), fmt.Sprintf("ops.ranges.%d", w.admin.TenantID)); err != nil || !ok || rs != `[{"metric":"gates_online","min":2}]` {
		t.Fatalf("stored ranges %q %v %v", rs, ok, err)
	}

	// Logging out ends the login at the cloud.
	token := get(t, ctx, "token", chromedp.Evaluate[string](`sessionStorage.getItem("admit.token")`))
	if code := callAs(t, token, "GET", w.srv.URL+"/api/v1/me", nil, nil); code != http.StatusOK {
		t.Fatalf("the portal's token before logout: %d", code)
	}
	run(t, ctx, "log out",
		js(`[...document.querySelectorAll('#top button')].find((b) => b.textContent === 'Log out').click()`),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)))
	if code := callAs(t, token, "GET", w.srv.URL+"/api/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the portal's token after logout: %d", code)
	}
}
