package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/agency/agencyclient"
	"github.com/admitbox/admit/cloud/contract"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
	"github.com/admitbox/admit/cloud/store/storetest"
)

// The big events' business from the portal, in Chromium: the organiser
// adds an agency and gives it a key (shown once) and revokes it; finance
// settles the agency's sales and closes the run; a manager reads the
// ticket inventory; a contract customer's representative orders, gets
// seats and names the holders, a bad line named by its number.
func TestTheBusinessPagesInTheBrowser(t *testing.T) {
	w := newWorld(t, embedded)
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)

	admin := w.loginAs(t, "acme-admin")
	run(t, admin, "add an agency",
		chromedp.Navigate(w.srv.URL+"/#/agencies"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=ag-create]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=ag-code]`), "maoyan"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=ag-name]`), "Maoyan"),
		chromedp.Click(chromedp.CSS(`[data-test=ag-create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=ag-open-maoyan]`)),
		chromedp.Click(chromedp.CSS(`[data-test=ag-open-maoyan]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=ag-newkey]`)),
		chromedp.Click(chromedp.CSS(`[data-test=ag-newkey]`)),
		waitText(`[data-test=ag-token]`, "agk_"))
	token := get(t, admin, "the token", chromedp.Evaluate[string](`document.querySelector('[data-test=ag-token]').textContent`))
	cl := &agencyclient.Client{Base: w.srv.URL, Key: token}
	_, _, err := cl.Order(ctx, "portal-1", agencyclient.OrderRequest{SessionID: w.session.ID, Count: 3, Reference: "MY-1"})
	if err != nil {
		t.Fatalf("the agency sells with the key the portal showed: %v", err)
	}
	as, err := w.srv.Agencies.List(ctx, w.admin)
	w.must(err)
	ks, err := w.srv.Agencies.Keys(ctx, w.admin, as[0].ID)
	w.must(err)
	run(t, admin, "revoke the key",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ag-revoke-%d]`, ks[0].ID))),
		waitTrue(fmt.Sprintf(`!document.querySelector('[data-test=ag-revoke-%d]')`, ks[0].ID), 10*time.Second))
	var ae *agencyclient.Error
	if _, err := cl.Sessions(ctx); !errors.As(err, &ae) || ae.Code != "bad_api_key" {
		t.Fatalf("the revoked key: %v", err)
	}

	// Finance settles the agency's day.
	finUser, err := w.svc.CreateUser(ctx, w.admin, sales.NewUser{Username: "finance", Password: pw, Role: "finance"})
	w.must(err)
	fin := w.loginAs(t, "finance")
	run(t, fin, "settle the agency up to now",
		chromedp.Navigate(w.srv.URL+"/#/settlement"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=st-create]`)),
		js(fmt.Sprintf(`(() => { const f = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
			document.querySelector('[data-test=st-from]').value = f(new Date(%d));
			document.querySelector('[data-test=st-to]').value = ""; return true; })()`, start.Add(-time.Minute).UnixMilli())),
		chromedp.Click(chromedp.CSS(`[data-test=st-create]`)))
	run(t, fin, "the run", waitTrue(`[...document.querySelectorAll('[data-test=st-runs] [data-run]')].some((tr) => tr.children[3].textContent.trim() === "3")`, 10*time.Second))
	all, err := w.srv.Settlement.Runs(ctx, w.admin, "")
	w.must(err)
	// The schedule may add the agency's run of yesterday meanwhile (the
	// sweeper looks once a minute); the run finance made is the other.
	runs := slices.DeleteFunc(all, func(r settlement.Run) bool { return r.Scheduled })
	if len(runs) != 1 || runs[0].Totals.Tickets != 3 {
		t.Fatalf("the portal's run: %+v", runs)
	}
	run(t, fin, "close the run",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=st-close-%d]`, runs[0].ID))),
		waitText(fmt.Sprintf(`[data-run="%d"] [data-test=st-state]`, runs[0].ID), string(settlement.Closed)))
	// The agency's statement for the run's period says one cent less:
	// finance reconciles it on the page and resolves the difference.
	full, err := w.srv.Settlement.Run(ctx, w.admin, runs[0].ID)
	w.must(err)
	local := func(at time.Time) string { return at.Local().Format("2006-01-02T15:04:05.000") }
	stmt := fmt.Sprintf(`order_id,reference,amount_cents\n%d,MY-1,%d\n`, full.Lines[0].OrderID, full.Lines[0].NetCents-1)
	run(t, fin, "reconcile the agency's statement",
		js(fmt.Sprintf(`(() => { document.querySelector('[data-test=st-from]').value = %q; document.querySelector('[data-test=st-to]').value = %q;
			document.querySelector('[data-test=st-statement]').value = "%s"; return true; })()`, local(full.From), local(full.To), stmt)),
		chromedp.Click(chromedp.CSS(`[data-test=st-reconcile]`)),
		waitText(`[data-test=st-diffs]`, "amounts differ"))
	ds, err := w.srv.Settlement.Diffs(ctx, w.admin, runs[0].ID)
	w.must(err)
	if len(ds) != 1 || ds[0].OursCents-ds[0].TheirsCents != 1 {
		t.Fatalf("the statement's differences: %+v", ds)
	}
	run(t, fin, "resolve the difference",
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`[data-test=st-note-%d]`, ds[0].ID)), "their rounding; agreed by phone"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=st-resolve-%d]`, ds[0].ID))),
		waitText(`[data-test=st-resolution]`, "agreed by phone"))
	ds, err = w.srv.Settlement.Diffs(ctx, w.admin, runs[0].ID)
	w.must(err)
	if ds[0].ResolvedAt == nil || !strings.Contains(ds[0].ResolvedBy, "finance") {
		t.Fatalf("the difference resolved: %+v", ds[0])
	}

	// The inventory: the session's 200 seats, three sold.
	// The exports of the last day and week are taken (the server's sweep
	// takes them too; each moment is taken once).
	_, err = w.srv.Inventory.TakeExports(ctx)
	w.must(err)
	mgr := w.loginAs(t, "manager")
	run(t, mgr, "the inventory",
		chromedp.Navigate(w.srv.URL+"/#/inventory"),
		waitText(fmt.Sprintf(`[data-session="%d"] [data-test=inv-seats]`, w.session.ID), "200"),
		waitText(fmt.Sprintf(`[data-session="%d"] [data-test=inv-sold]`, w.session.ID), "3"),
		waitText(`[data-test=inv-exports] [data-test=inv-anomalies]`, "agree"))

	// A contract customer's representative, on a session three days out.
	later, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: w.session.HallID, EventID: w.session.EventID,
		StartsAt: w.session.StartsAt.Add(48 * time.Hour), EndsAt: w.session.EndsAt.Add(48 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	tiers, err := w.svc.SetPrices(ctx, w.admin, later.ID, []sales.PriceTier{{Name: "Std", PriceCents: 5000}})
	w.must(err)
	cust, err := w.srv.Contract.CreateCustomer(ctx, w.admin, contract.Customer{Code: "bank", Name: "Bank", Enabled: true})
	w.must(err)
	_, err = w.svc.SetQuotas(ctx, w.admin, later.ID, []sales.Quota{{Channel: sales.ChannelContract, TierID: tiers[0].ID, Limit: 20},
		{Channel: sales.ChannelContract, TierID: tiers[0].ID, Party: cust.Party(), Limit: 4}})
	w.must(err)
	u, err := w.svc.CreateUser(ctx, w.admin, sales.NewUser{Username: "rep", Password: pw, Role: "customer_rep"})
	w.must(err)
	w.must(w.srv.Contract.SetRep(ctx, w.admin, cust.ID, u.ID))
	rep := w.loginAs(t, "rep")
	run(t, rep, "order as the representative",
		chromedp.Navigate(w.srv.URL+"/#/contract"),
		waitText(`[data-test=ct-left-mine]`, "4"),
		chromedp.Click(chromedp.CSS(`[data-test=ct-order]`)),
		waitText(`[data-test=ct-left-mine]`, "2"),
		waitText(`[data-test=ct-orders] [data-test=ct-state]`, "ordered"))
	orders, err := w.srv.Contract.Orders(ctx, w.admin)
	w.must(err)
	oid := orders[0].ID
	bad := "doc_type,doc_number,name\\nresident_id,110105199001010000,A\\nresident_id," + storetest.ResidentID(3) + ",B\\n"
	good := "doc_type,doc_number,name\\nresident_id," + storetest.ResidentID(3) + ",Zhang San\\nresident_id," + storetest.ResidentID(4) + ",Li Si\\n"
	run(t, rep, "seats and names",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ct-seat-%d]`, oid))),
		waitText(`[data-test=ct-orders] [data-test=ct-state]`, "seated"),
		js(fmt.Sprintf(`(() => { document.querySelector('[data-test=ct-names-%d]').value = "%s"; return true; })()`, oid, bad)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ct-upload-%d]`, oid))),
		waitText(`[data-test=error]`, "line 2"),
		js(fmt.Sprintf(`(() => { document.querySelector('[data-test=ct-names-%d]').value = "%s"; return true; })()`, oid, good)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ct-upload-%d]`, oid))),
		waitText(`[data-test=ct-orders] [data-test=ct-state]`, "named · Zhang San, Li Si"))
	shot(t, rep, "contract")
	got, err := w.srv.Contract.Get(ctx, w.admin, oid)
	if err != nil || got.State != contract.Named || len(got.SeatIDs) != 2 {
		t.Fatalf("the representative's order: %+v %v", got, err)
	}

	// The organiser posts a notice to the customer; its representative
	// reads it with the reminder of what is due.
	run(t, admin, "post a notice",
		chromedp.Navigate(w.srv.URL+"/#/contract"),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=ct-notice-post]`)),
		chromedp.SetValue(chromedp.CSS(`[data-test=ct-notice-to]`), fmt.Sprint(cust.ID)),
		chromedp.SendKeys(chromedp.CSS(`[data-test=ct-notice-title]`), "Gates open at 18:00"),
		chromedp.SendKeys(chromedp.CSS(`[data-test=ct-notice-body]`), "Bring the holders' ID cards."),
		chromedp.Click(chromedp.CSS(`[data-test=ct-notice-post]`)),
		waitText(`[data-test=ct-notices]`, "Gates open at 18:00"))
	// Finance records the payment; the representative prints the tickets,
	// each naming its holder, and a second print must say it replaces
	// lost paper.
	_, err = w.srv.Contract.RecordPayment(ctx, principal(finUser), oid, contract.Payment{Reference: "TT-9", AmountCents: 10000})
	w.must(err)
	run(t, rep, "print the tickets",
		js(`location.reload()`),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-test=ct-print-%d]`, oid))),
		waitText(`[data-test=ct-notices]`, "Gates open at 18:00"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ct-print-%d]`, oid))),
		waitText(`[data-test=ct-print-sheet]`, "Zhang San"),
		waitText(`[data-test=ct-print-sheet]`, "Li Si"),
		waitTrue(`[...document.querySelectorAll('[data-test=ct-print-sheet] img')].filter((i) => i.complete && i.naturalWidth > 0).length === 2`, 10*time.Second))
	shot(t, rep, "contract-print")
	paid, err := w.srv.Contract.Get(ctx, w.admin, oid)
	w.must(err)
	w.allPrinted(t, paid.SaleID)
	run(t, rep, "print again",
		js(`document.querySelector('[data-test=ct-print-sheet]').remove()`),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ct-print-%d]`, oid))),
		waitText(`[data-test=error]`, "printed before"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-test=ct-reprint-%d]`, oid))),
		waitText(`[data-test=ct-print-sheet]`, "Zhang San"))

	// The manager postpones that session by a day from its page.
	moved := later.StartsAt.Add(24 * time.Hour)
	run(t, mgr, "postpone a session",
		chromedp.Navigate(fmt.Sprintf("%s/#/session/%d", w.srv.URL, later.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=postpone]`)),
		js(fmt.Sprintf(`(() => { const f = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
			document.querySelector('[data-test=postpone-start]').value = f(new Date(%d));
			document.querySelector('[data-test=postpone-end]').value = f(new Date(%d));
			document.querySelector('[data-test=postpone-reason]').value = "the storm"; return true; })()`, moved.UnixMilli(), moved.Add(2*time.Hour).UnixMilli())),
		chromedp.Click(chromedp.CSS(`[data-test=postpone]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test=postponed]`)))
	ps, err := w.svc.GetSession(ctx, w.admin, later.ID)
	if err != nil || !ps.Postponed || !ps.StartsAt.Equal(moved) {
		t.Fatalf("the postponed session: %+v %v", ps, err)
	}
}
