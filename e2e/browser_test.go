package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/edge/agent"
)

// browser starts headless Chromium (Debian's, as a venue's kiosk PC runs
// it) and returns a context for a new tab. Without Chromium the test
// skips, except in CI, which installs it.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("ADMIT_CHROMIUM")
	if path == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if found, err := exec.LookPath(p); err == nil {
				path = found
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium: CI must install Debian's chromium")
		}
		t.Skip("no Chromium to drive (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 768),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// tab opens another tab (its own sessionStorage: another person).
func tab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	c, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	return c
}

type step = chromedp.Action[chromedp.Void]

func run(t *testing.T, ctx context.Context, what string, steps ...step) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage: %.2000s", what, err, body)
	}
}

// get runs an action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage: %.2000s", what, err, body)
	}
	return v
}

// js runs a script for its effect.
func js(expr string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, tg)
		return chromedp.Void{}, err
	}
}

// posLogin logs the clerk in on a POS screen and waits for the session.
func posLogin(t *testing.T, ctx context.Context, posURL string, sessionID int64) {
	t.Helper()
	run(t, ctx, "POS login",
		chromedp.Navigate(posURL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pos-username]`)),
		chromedp.WaitEnabled(chromedp.CSS(`[data-test=pos-login]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=pos-username]`), "clerk"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=pos-password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=pos-login]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-session="%d"]`, sessionID))))
}

// waitTrue waits until the expression is true in the page, at most d.
func waitTrue(expr string, d time.Duration) step {
	poll := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond))
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, tg)
		if err != nil {
			err = fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return chromedp.Void{}, err
	}
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) step {
	poll := chromedp.Poll[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want),
		chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, tg)
		if err != nil {
			err = fmt.Errorf("waiting for %q in %s: %w", want, sel, err)
		}
		return chromedp.Void{}, err
	}
}

// shot saves a screenshot of the page as a test artefact (ADMIT_ARTEFACTS
// or the test's temporary directory).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ADMIT_ARTEFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fitsWidth checks the page needs no sideways scrolling at this width.
func fitsWidth(t *testing.T, ctx context.Context, page string, w, h int64) {
	t.Helper()
	run(t, ctx, page+" at "+fmt.Sprint(w), chromedp.EmulateViewport(w, h))
	over := get(t, ctx, page+" width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if over {
		t.Errorf("%s needs sideways scrolling at %d px", page, w)
	}
}

func cachedTickets(t *testing.T, a *agent.Agent, numbers ...string) {
	t.Helper()
	wait(t, a, "tickets in the cache", func(agent.Status) bool {
		for _, n := range numbers {
			if _, ok, err := a.Cache().Ticket(n); err != nil || !ok {
				return false
			}
		}
		return true
	})
}

func TestAVenueRunsItsShowFromTheBrowser(t *testing.T) {
	w := newWorld(t, standalone) // a broker the test can stop
	ctx := browser(t)
	// The browser's session starts three hours after the fixture's, and
	// the devices' clock stands half an hour before it: gates are open.
	newStart := w.session.StartsAt.Add(3 * time.Hour)
	w.gateNow = newStart.Add(-30 * time.Minute)
	kiosk, printer := w.kioskWithPrinter()
	gate := w.agent(w.device("gate", "handheld-1"))
	pos := w.agent(w.device("pos", "window-1"))

	// The venue admin logs in and schedules a session with a price.
	admin := ctx
	run(t, admin, "portal login",
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)))
	shot(t, admin, "portal-login")
	run(t, admin, "log in",
		chromedp.SendKeys(chromedp.CSS(`[data-test=username]`), "acme-admin"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=total-sold]`)))
	run(t, admin, "sessions page", chromedp.Navigate(w.srv.URL+"/#/sessions"), chromedp.WaitVisible(chromedp.CSS(`[data-test=create-session]`)))
	// A film needs its platform film code: without one it is refused with
	// the reason, with one it can be scheduled.
	run(t, admin, "a film without its code",
		chromedp.SetValue(chromedp.CSS(`[data-test=event-name]`), "The Wandering Earth III"),
		chromedp.Click(chromedp.CSS(`[data-test=create-event]`)),
		waitText(`body`, "12-character film code"))
	run(t, admin, "a film with its code",
		chromedp.SetValue(chromedp.CSS(`[data-test=event-code]`), "001X02212027"),
		chromedp.Click(chromedp.CSS(`[data-test=create-event]`)),
		waitText(`[data-test=new-event]`, "The Wandering Earth III"))
	// The form takes the browser's local time.
	zone := get(t, admin, "browser zone", chromedp.Evaluate[string](`Intl.DateTimeFormat().resolvedOptions().timeZone`))
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	run(t, admin, "create a session",
		chromedp.SetValue(chromedp.CSS(`[data-test=new-start]`), newStart.In(loc).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS(`[data-test=new-end]`), newStart.Add(90*time.Minute).In(loc).Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS(`[data-test=create-session]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=save-prices]`)))
	hash := get(t, admin, "session id", chromedp.Evaluate[string](`location.hash`))
	var sessionID int64
	if _, err := fmt.Sscanf(hash, "#/session/%d", &sessionID); err != nil {
		t.Fatalf("after creating a session the portal shows %q", hash)
	}
	run(t, admin, "set a price",
		chromedp.SetValue(chromedp.CSS(`[data-test=tier-name]`), "Standard"),
		chromedp.SetValue(chromedp.CSS(`[data-test=tier-price]`), "60"),
		chromedp.Click(chromedp.CSS(`[data-test=save-prices]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=saved]`)))
	run(t, admin, "set a quota",
		js(`document.querySelector('[data-test=saved]').remove()`),
		js(`document.querySelector('[data-test=save-quotas]').previousElementSibling.click()`),
		chromedp.SetValue(chromedp.CSS(`[data-test=quota-limit]`), "150"),
		chromedp.Click(chromedp.CSS(`[data-test=save-quotas]`)),
		waitText(`[data-test=saved]`, "Saved"))
	if ss, err := w.svc.GetSession(context.Background(), w.admin, sessionID); err != nil || len(ss.Quotas) != 1 || ss.Quotas[0].Limit != 150 || ss.Quotas[0].Channel != "pos" {
		t.Fatalf("the session's quotas after the portal set one: %+v, %v", ss.Quotas, err)
	}
	// An agency's own quota, then the page read again and saved: it stays.
	run(t, admin, "an agency's quota",
		js(`document.querySelector('[data-test=saved]').remove()`),
		js(`document.querySelector('[data-test=save-quotas]').previousElementSibling.click()`),
		js(`(() => { const ch = document.querySelectorAll('[data-test=quota-channel]')[1]; ch.value = 'agency';
			document.querySelectorAll('[data-test=quota-limit]')[1].value = '40';
			document.querySelectorAll('[data-test=quota-party]')[1].value = 'agency:7'; return true; })()`),
		chromedp.Click(chromedp.CSS(`[data-test=save-quotas]`)),
		waitText(`[data-test=saved]`, "Saved"),
		chromedp.Reload(),
		waitTrue(`document.querySelectorAll('[data-test=quota-party]').length === 2`, 10*time.Second),
		chromedp.Click(chromedp.CSS(`[data-test=save-quotas]`)),
		waitText(`[data-test=saved]`, "Saved"))
	if ss, err := w.svc.GetSession(context.Background(), w.admin, sessionID); err != nil || len(ss.Quotas) != 2 || ss.Quotas[1].Party != "agency:7" || ss.Quotas[1].Limit != 40 {
		t.Fatalf("the session's quotas after saving the page again: %+v, %v", ss.Quotas, err)
	}
	shot(t, admin, "portal-session")

	// The clerk sells two seats on the POS screen.
	w.caughtUp(pos)
	clerk := tab(t, ctx)
	posLogin(t, clerk, pos.URL(), sessionID)
	shot(t, clerk, "pos-sessions")
	run(t, clerk, "open the seat map",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-session="%d"]`, sessionID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=pos-seatmap] .seat`)))

	// Another till holds, releases and sells a seat while the POS and the
	// portal's session page watch: both show each step without a reload.
	bg := context.Background()
	seats, err := w.svc.SessionSeats(bg, w.admin, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	far := seats[len(seats)-1]
	posSeat := fmt.Sprintf(`document.querySelector('[data-test=pos-seatmap] [data-label="%s"]')`, far.Label)
	portalSeat := fmt.Sprintf(`document.querySelector('[data-test=session-seatmap] [data-label="%s"]')`, far.Label)
	watch := func(what, posClass, code string) {
		t.Helper()
		run(t, clerk, "the POS shows "+what, waitTrue(fmt.Sprintf(`!!%s && %s.classList.contains(%q)`, posSeat, posSeat, posClass), 5*time.Second))
		run(t, admin, "the portal shows "+what, waitTrue(fmt.Sprintf(`!!%s && %s.dataset.code === %q`, portalSeat, portalSeat, code), 5*time.Second))
	}
	elsewhere, err := w.svc.HoldSeats(bg, w.admin, sales.HoldRequest{SessionID: sessionID, Channel: sales.ChannelPOS, SeatIDs: []int64{far.SeatID}})
	if err != nil {
		t.Fatal(err)
	}
	watch("a hold at another till", "held", "H")
	if _, err := w.svc.ReleaseHold(bg, w.admin, elsewhere.ID); err != nil {
		t.Fatal(err)
	}
	run(t, clerk, "the POS shows the release", waitTrue(fmt.Sprintf(`!%s.disabled`, posSeat), 5*time.Second))
	run(t, admin, "the portal shows the release", waitTrue(fmt.Sprintf(`%s.dataset.code === "A"`, portalSeat), 5*time.Second))
	elsewhere, err = w.svc.HoldSeats(bg, w.admin, sales.HoldRequest{SessionID: sessionID, Channel: sales.ChannelPOS, SeatIDs: []int64{far.SeatID}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.svc.ConfirmOrder(bg, w.admin, sales.OrderRequest{HoldID: elsewhere.ID})
	if err == nil {
		_, err = w.svc.PayOrder(bg, w.admin, o.ID, sales.PaymentRequest{Method: "cash"})
	}
	if err != nil {
		t.Fatal(err)
	}
	watch("a sale at another till", "taken", "S")
	shot(t, clerk, "pos-live-map")

	run(t, clerk, "pick two seats and hold them",
		js(`document.querySelectorAll('[data-test=pos-seatmap] .seat:not(:disabled)')[0].click()`),
		js(`document.querySelectorAll('[data-test=pos-seatmap] .seat:not(.mine):not(:disabled)')[0].click()`),
		waitText(`[data-test=hold]`, "2"),
		chromedp.Click(chromedp.CSS(`[data-test=hold]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=countdown]`)))
	shot(t, clerk, "pos-hold")
	run(t, clerk, "take cash",
		chromedp.WaitEnabled(chromedp.CSS(`[data-test=pay-cash]`)),
		chromedp.Click(chromedp.CSS(`[data-test=pay-cash]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=paid]`)))
	paid := get(t, clerk, "paid", chromedp.Text(chromedp.CSS(`[data-test=paid]`)))
	shot(t, clerk, "pos-paid")
	orders, err := w.svc.FindOrders(context.Background(), w.admin, sales.OrderFilter{SessionID: sessionID})
	if err != nil || len(orders) != 2 || !strings.Contains(paid, orders[0].PickupCode) { // newest first; the other till's sale
		t.Fatalf("after the POS sale the cloud has %+v (%v); the POS says %q", orders, err, paid)
	}
	order, err := w.svc.GetOrder(context.Background(), w.admin, orders[0].ID)
	if err != nil || len(order.Tickets) != 2 {
		t.Fatalf("the POS order: %+v, %v", order, err)
	}
	fitsWidth(t, clerk, "POS", 390, 844)
	shot(t, clerk, "pos-phone")

	// The buyer picks them up at the kiosk; the simulated printer prints.
	cachedTickets(t, kiosk, order.Tickets[0].Number, order.Tickets[1].Number)
	buyer := tab(t, ctx)
	run(t, buyer, "kiosk pickup",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(kiosk.URL()+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=code]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=code]`), order.PickupCode),
		chromedp.Click(chromedp.CSS(`[data-test=find]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=print]`)))
	shot(t, buyer, "kiosk-tickets")
	run(t, buyer, "kiosk print",
		chromedp.Click(chromedp.CSS(`[data-test=print]`)),
		waitText(`[data-test=progress]`, "Done"))
	shot(t, buyer, "kiosk-printed")
	if n := len(printer.Jobs()); n != 2 {
		t.Fatalf("the kiosk printer printed %d tickets, want 2", n)
	}
	run(t, buyer, "a wrong code", js(`document.querySelector('[data-test=code]').value = ''`), chromedp.SendKeys(chromedp.CSS(`[data-test=code]`), "AAAAAAAA"),
		chromedp.Click(chromedp.CSS(`[data-test=find]`)), waitText(`[data-test=kiosk-error]`, "No tickets found"))
	run(t, buyer, "in Chinese", chromedp.Click(chromedp.CSS(`[data-test=lang]`)), chromedp.Click(chromedp.CSS(`[data-test=find]`)), waitText(`[data-test=kiosk-error]`, "未找到"))
	shot(t, buyer, "kiosk-error-zh")
	fitsWidth(t, buyer, "kiosk", 390, 844)

	// Gate staff admit the first ticket on the handheld screen.
	cachedTickets(t, gate, order.Tickets[0].Number)
	staff := tab(t, ctx)
	run(t, staff, "gate scan",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(gate.URL()+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=scan]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=scan]`), order.Tickets[0].QR+"\r"),
		waitText(`[data-test=verdict]`, "ADMIT"),
		waitText(`[data-test=admitted]`, "1"))
	shot(t, staff, "gate-admit")
	run(t, staff, "gate second scan",
		chromedp.SendKeys(chromedp.CSS(`[data-test=scan]`), order.Tickets[0].QR+"\r"),
		waitText(`[data-test=verdict]`, "STOP"), waitText(`[data-test=reason]`, "already used"))
	shot(t, staff, "gate-refuse")
	fitsWidth(t, staff, "gate", 390, 844)
	shot(t, staff, "gate-phone")

	// The dashboard shows the sales (two at the POS, one at the other
	// till), the prints and the entry.
	uploaded(t, kiosk)
	uploaded(t, gate)
	run(t, admin, "dashboard counts",
		chromedp.Navigate(w.srv.URL+"/#/dashboard"),
		waitText(`[data-test=total-sold]`, "3"),
		waitText(`[data-test=total-printed]`, "2"),
		waitText(`[data-test=total-admitted]`, "1"))
	shot(t, admin, "portal-dashboard")
	fitsWidth(t, admin, "portal dashboard", 390, 844)
	shot(t, admin, "portal-dashboard-phone")
	run(t, admin, "back to a desktop", chromedp.EmulateViewport(1024, 768))

	// A seat map file with a mistake is refused with its line, and the
	// hall's map stays as it was.
	bad := "section,section_name,row,row_no,col,label,type,state\\nA,Stalls,1,1,1,A1-1,standard,ok\\nA,Stalls,1,1,2,A1-2,throne,ok\\n"
	run(t, admin, "import a bad seat map",
		chromedp.Navigate(fmt.Sprintf("%s/#/hall/%d", w.srv.URL, w.session.HallID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=import]`)),
		js(fmt.Sprintf(`document.querySelector('[data-test=import-text]').value = "%s"`, bad)),
		chromedp.Click(chromedp.CSS(`[data-test=import]`)),
		waitText(`[data-test=error]`, "line 3"))
	shot(t, admin, "portal-seatmap-import-error")
	if seats, err := w.svc.SessionSeats(context.Background(), w.admin, w.session.ID); err != nil || len(seats) != 200 {
		t.Fatalf("after a refused import the session has %d seats (%v)", len(seats), err)
	}

	// The ticket's print preview, and the audit chain, from the portal.
	run(t, admin, "print preview",
		chromedp.Navigate(w.srv.URL+"/#/preview/"+order.Tickets[1].Number),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=preview]`)))
	shot(t, admin, "portal-preview")
	run(t, admin, "verify the audit chain",
		chromedp.Navigate(w.srv.URL+"/#/audit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=verify]`)),
		chromedp.Click(chromedp.CSS(`[data-test=verify]`)),
		waitText(`[data-test=verify-result]`, "Chain intact"))
	shot(t, admin, "portal-audit")

	// Another tenant's admin, in another tab, reaches none of it.
	w.otherTenantAdmin()
	other := tab(t, ctx)
	run(t, other, "other tenant login",
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=username]`), "other-admin"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=who]`)))
	for _, page := range []string{fmt.Sprintf("#/session/%d", sessionID), fmt.Sprintf("#/preview/%s", order.Tickets[0].Number)} {
		run(t, other, "other tenant opens "+page,
			chromedp.Navigate(w.srv.URL+"/"+page),
			waitText(`[data-test=error]`, "Not found"))
	}
	body := get(t, other, "other tenant page text", chromedp.Text(chromedp.CSS("body")))
	if strings.Contains(body, order.Tickets[0].Number) && !strings.Contains(body, "Not found") {
		t.Fatal("another tenant's ticket shows in the portal")
	}
	shot(t, other, "portal-other-tenant")

	// A clerk in the portal sees the pages of a clerk: no audit log, no
	// approval queue, no devices.
	desk := tab(t, ctx)
	run(t, desk, "clerk portal login",
		chromedp.Navigate(w.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=username]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=username]`), "clerk"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=password]`), pw),
		chromedp.Click(chromedp.CSS(`[data-test=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=nav-sales]`)))
	for _, hidden := range []string{"audit", "refunds", "devices"} {
		if n := get(t, desk, "clerk nav", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('[data-test=nav-%s]').length`, hidden))); n != 0 {
			t.Errorf("a clerk's portal offers %s", hidden)
		}
	}
	run(t, desk, "clerk opens the audit log", chromedp.Navigate(w.srv.URL+"/#/audit"), waitText(`[data-test=error]`, "Not allowed"))

	// The network drops: the POS screen says so and sells nothing.
	w.broker.stop()
	wait(t, pos, "the POS to notice the outage", func(s agent.Status) bool { return !s.Connected })
	run(t, clerk, "the POS offline",
		chromedp.EmulateViewport(1024, 768),
		// Clicked by script: the offline banner may push the button down
		// between finding it and a click at its old position.
		chromedp.WaitVisible(chromedp.CSS(`[data-test=new-sale]`)),
		js(`document.querySelector('[data-test=new-sale]').click()`),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=offline-banner]`)),
		waitText(`[data-test=offline-banner]`, "sales disabled"),
		waitText(`[data-test=pos-error]`, "offline: sales disabled"))
	if open := get(t, clerk, "hold button", chromedp.Evaluate[bool](`(() => { const b = document.querySelector('[data-test=hold]'); return !!b && !b.disabled; })()`)); open {
		t.Fatal("the POS lets the clerk hold seats while offline")
	}
	shot(t, clerk, "pos-offline")
}
