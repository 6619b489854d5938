package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrNoBrowser is returned by timePortalLoads when no Chromium is found.
var ErrNoBrowser = errors.New("no Chromium to load the portal in")

// timePortalLoads opens the portal's dashboard n times in headless
// Chromium, logged in with token, and times each from navigation until
// the page shows the sold count: the figure a venue admin waits for.
// before runs ahead of each load (a sale, so the dashboard is built anew)
// and returns the count the page must then show.
func timePortalLoads(ctx context.Context, base, token string, n int, before func() (int, error)) ([]time.Duration, error) {
	path := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		return nil, ErrNoBrowser
	}
	profile, err := os.MkdirTemp("", "admit-dashbench-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	actx, cancelA := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1024, 768))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	// Log in once: the portal keeps the token in the tab's session storage,
	// which a reload keeps.
	login := chromedp.Evaluate[bool](fmt.Sprintf(`sessionStorage.setItem("admit.token", %q), true`, token))
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/"), void(login)); err != nil {
		return nil, fmt.Errorf("bench dashboard: open the portal: %w", err)
	}
	var out []time.Duration
	for i := range n {
		sold, err := before()
		if err != nil {
			return nil, err
		}
		shown := chromedp.Poll[bool](fmt.Sprintf(`(() => { const e = document.querySelector('[data-test=total-sold]'); return !!e && e.textContent === %q; })()`, fmt.Sprint(sold)),
			chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))
		// A full page load each time (the previous page and its stream go
		// away): a new URL, so the browser cannot treat it as a jump within
		// the page.
		t0 := time.Now()
		if err := chromedp.Do(bctx, chromedp.Navigate(fmt.Sprintf("%s/?load=%d#/dashboard", base, i)),
			chromedp.WaitVisible(chromedp.CSS(`[data-test=total-sold]`)), void(shown)); err != nil {
			return nil, fmt.Errorf("bench dashboard: page load %d: %w", i, err)
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// void runs an action for its effect alone.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
