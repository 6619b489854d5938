package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/storefront"
	"github.com/admitbox/admit/cloud/webshop"
)

// testWebShop: an account buys on the web channel naming its verified
// people; one ID per session and the event's limit hold at the shop as at
// the box office; a person not verified cannot hold a ticket; a declined
// card leaves the order to pay again; an order is its account's alone.
func testWebShop(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Cup final", Kind: "match", RealName: true, HolderLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.Event = ev
	var sessions []sales.Session
	for i := range 3 {
		ss, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 12+3*i, 0).AddDate(0, 0, 2), 6000)
		sessions = append(sessions, ss)
	}
	st := f.Store.(interface {
		Accounts() accounts.Store
		WebShop() webshop.Store
	})
	sent := &codes{last: map[string]string{}}
	acc := accounts.New(st.Accounts(), f.Svc, accounts.NewVerifierSim(), sent.send, auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, f.Clock.Now, nil)
	ps := f.Store.(interface{ Presales() presale.Store })
	sim := payment.NewSimulator()
	presales := presale.New(ps.Presales(), f.Svc, sim, f.Clock.Now, nil)
	shop := webshop.New(st.WebShop(), f.Svc, acc, presales, f.Clock.Now)
	account := func(phone string, people ...accounts.Person) (accounts.Account, []int64) {
		t.Helper()
		if err := acc.SendCode(ctx, f.Tenant.Code, phone, "zh"); err != nil {
			t.Fatal(err)
		}
		s, err := acc.Register(ctx, f.Tenant.Code, phone, sent.of(phone), "Correct-horse-9")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := acc.Authenticate(ctx, f.Tenant.Code, s.Token)
		if _, err := acc.SetIdentity(ctx, a, people[0]); err != nil {
			t.Fatal(err)
		}
		a, _ = acc.Authenticate(ctx, f.Tenant.Code, s.Token)
		for _, p := range people[1:] {
			if _, err := acc.AddHolder(ctx, a, p); err != nil {
				t.Fatal(err)
			}
		}
		vs, err := acc.VerifiedHolders(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, v := range vs {
			ids = append(ids, v.ID)
		}
		return a, ids
	}
	me := accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(800), Name: "刘洋"}
	kid := accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(801), Name: "刘小洋"}
	a, ids := account("13600136000", me, kid, accounts.Person{DocType: identity.Passport, DocNumber: "G12345678", Name: "Tom Lee"})
	if len(ids) != 2 {
		t.Fatalf("%d verified people, want 2 (the passport waits for review)", len(ids))
	}
	buy := func(a accounts.Account, sid int64, token string, holders ...int64) (sales.Order, error) {
		tiers, err := f.Svc.Prices(ctx, f.Manager, sid)
		if err != nil {
			t.Fatal(err)
		}
		return shop.Buy(ctx, a, webshop.BuyRequest{SessionID: sid, TierID: tiers[0].ID, Count: max(1, len(holders)), Holders: holders, CardToken: token})
	}
	o, err := buy(a, sessions[0].ID, payment.TokenApprove, ids...)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != sales.OrderPaid || len(o.Tickets) != 2 || o.Channel != sales.ChannelWeb || o.PickupCode == "" {
		t.Fatalf("bought %s with %d tickets on %s", o.Status, len(o.Tickets), o.Channel)
	}
	// The gates get each ticket's holder, hashed under the tenant's key,
	// from the identities the shop verified.
	tags := f.holderTags(t, f.Venue.ID)
	for _, p := range []accounts.Person{me, kid} {
		want := identity.Document{Type: p.DocType, Number: p.DocNumber}.Key(f.Svc.HolderKey(f.Tenant.ID))
		if tags[o.Tickets[0].Number] != want && tags[o.Tickets[1].Number] != want {
			t.Fatalf("no ticket of the shop's order reached the gates with %s as its holder: %v", p.Name, tags)
		}
	}
	if _, err := buy(a, sessions[0].ID, payment.TokenApprove, ids[0]); !isCode(err, "holder_taken") {
		t.Fatalf("one ID twice in a session: %v", err)
	}
	if _, err := buy(a, sessions[0].ID, payment.TokenApprove, 999999); !isCode(err, "invalid_holders") {
		t.Fatalf("a holder who is not the account's: %v", err)
	}
	if _, err := buy(a, sessions[0].ID, payment.TokenApprove); err == nil {
		t.Fatal("a real-name session sold a ticket without a holder")
	}
	declined, err := buy(a, sessions[1].ID, payment.TokenDecline, ids[0])
	if !isKind(err, sales.KindPayment) {
		t.Fatalf("a declined card: %+v %v", declined, err)
	}
	orders, err := shop.Orders(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var unpaid sales.Order // the declined one (the one naming a taken ID stays unpaid too)
	for _, o := range orders {
		if o.SessionID == sessions[1].ID && o.Status == sales.OrderPending {
			unpaid = o
		}
	}
	if unpaid.ID == 0 {
		t.Fatalf("the declined order is not among the account's %d", len(orders))
	}
	paid, err := shop.Pay(ctx, a, unpaid.ID, sales.PaymentRequest{CardToken: payment.TokenApprove})
	if err != nil || paid.Status != sales.OrderPaid {
		t.Fatalf("paying again: %s %v", paid.Status, err)
	}
	// The event's limit (2) across sessions.
	if _, err := buy(a, sessions[2].ID, payment.TokenApprove, ids[0]); !isCode(err, "holder_limit") {
		t.Fatalf("a third ticket for a limit of two: %v", err)
	}
	// Another account sees none of it.
	b, _ := account("13500135000", accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(802), Name: "陈静"})
	if _, err := shop.Ticket(ctx, b, o.ID, o.Tickets[0].Number); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another account's ticket: %v", err)
	}
	if _, err := shop.Pay(ctx, b, unpaid.ID, sales.PaymentRequest{CardToken: payment.TokenApprove}); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another account's order paid: %v", err)
	}
	if tk, err := shop.Ticket(ctx, a, o.ID, o.Tickets[1].Number); err != nil || tk.QR == "" {
		t.Fatalf("the account's ticket: %+v %v", tk, err)
	}

	// Entry reminders: none two days ahead; once each within a day.
	msgs, sims := messageService(t, f)
	if n, err := shop.Remind(ctx, msgs); err != nil || n != 0 {
		t.Fatalf("reminders two days ahead: %d %v", n, err)
	}
	ahead := sessions[0].StartsAt.Sub(f.Clock.Now()) - time.Hour
	f.Clock.Advance(ahead)
	n, err := shop.Remind(ctx, msgs)
	if err != nil || n != 2 { // the paid orders of sessions 0 and 1
		t.Fatalf("reminders within a day: %d %v", n, err)
	}
	if n, err := shop.Remind(ctx, msgs); err != nil || n != 0 {
		t.Fatalf("reminders again: %d queued, %v", n, err)
	}
	if _, err := msgs.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sims[messages.SMS].Sent(); len(got) != 2 || got[0].Recipient != "13600136000" || got[0].Template != "session.reminder" {
		t.Fatalf("sent %+v", got)
	}
	f.Clock.Advance(-ahead) // back for the presale below

	// A presale, applied to from the account: its owner applies, naming
	// its people; once only.
	tiers, err := f.Svc.Prices(ctx, f.Manager, sessions[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := presales.Create(ctx, f.Manager, presale.NewPresale{SessionID: sessions[2].ID, TierID: tiers[0].ID, Name: "Derby presale", Tickets: 10, PerPerson: 2,
		NamedHolders: true, OpensAt: f.Clock.Now().Add(-time.Minute), ClosesAt: f.Clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	app, err := shop.ApplyPresale(ctx, a, p.ID, webshop.PresaleRequest{Quantity: 2, Holders: ids, CardToken: payment.TokenApprove, Lang: "en"})
	if err != nil || app.State != presale.Applied || len(app.Holders) != 2 || app.Phone != "13600136000" {
		t.Fatalf("applied %+v %v", app, err)
	}
	if _, err := shop.ApplyPresale(ctx, a, p.ID, webshop.PresaleRequest{Quantity: 1, Holders: ids[:1], CardToken: payment.TokenApprove}); !isCode(err, "already_applied") {
		t.Fatalf("a second application: %v", err)
	}
	if _, err := shop.ApplyPresale(ctx, b, p.ID, webshop.PresaleRequest{Quantity: 1, Holders: ids[:1], CardToken: payment.TokenApprove}); !isCode(err, "invalid_holders") {
		t.Fatalf("another account's person as holder: %v", err)
	}
	if sim.Held() != 1 {
		t.Fatalf("%d authorisations held, want 1", sim.Held())
	}
	// A presale on its public page alone is not applied to from the shop.
	tiers1, err := f.Svc.Prices(ctx, f.Manager, sessions[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	pageOnly, err := presales.Create(ctx, f.Manager, presale.NewPresale{SessionID: sessions[1].ID, TierID: tiers1[0].ID, Name: "Page presale", Tickets: 10, PerPerson: 2,
		NamedHolders: true, OpensAt: f.Clock.Now().Add(-time.Minute), ClosesAt: f.Clock.Now().Add(time.Hour), Channels: []string{presale.ChannelPage}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shop.ApplyPresale(ctx, a, pageOnly.ID, webshop.PresaleRequest{Quantity: 1, Holders: ids[:1], CardToken: payment.TokenApprove}); !isCode(err, "presale_channel") {
		t.Fatalf("the shop applied to a page-only presale: %v", err)
	}
}

// testShopRefunds: a buyer asks the shop to refund an order of an event
// that takes refunds, is shown the graded fee first, and the request keeps
// that fee until a manager approves it; an event without refunds, the
// last day before the session, another account's order, a fee that
// changed since it was shown and a second request are refused.
func testShopRefunds(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	rule := refundrule.Default()
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Gala", Kind: "concert", Refunds: &rule})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Svc.GetEvent(ctx, f.Manager, ev.ID); got.Refunds == nil || len(got.Refunds.Grades) != 3 {
		t.Fatalf("the event's rule was not kept: %+v", got.Refunds)
	}
	bad := refundrule.Rule{Grades: []refundrule.Grade{{BeforeHours: 24, FeePercent: 10}, {BeforeHours: 72, FeePercent: 5}}}
	if _, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Bad", Kind: "concert", Refunds: &bad}); !isCode(err, "invalid_event") {
		t.Fatalf("a rule with rising hours: %v", err)
	}
	plainEvent := f.Event
	f.Event = ev
	start := Tomorrow(f.Clock, 20, 0).AddDate(0, 0, 9) // ten days ahead: the 5 % grade
	ss, _ := f.AddSession(t, f.Hall.ID, start, 10000)
	f.Event = plainEvent
	plain, _ := f.AddSession(t, f.Hall.ID, start.Add(-4*time.Hour), 10000)
	shop, login := shopWithAccounts(t, f)
	a, b := login("13700137001"), login("13700137002")
	buy := func(sid int64) sales.Order {
		t.Helper()
		tiers, err := f.Svc.Prices(ctx, f.Manager, sid)
		if err != nil {
			t.Fatal(err)
		}
		o, err := shop.Buy(ctx, a, webshop.BuyRequest{SessionID: sid, TierID: tiers[0].ID, Count: 2, CardToken: payment.TokenApprove})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	o := buy(ss.ID)
	q, err := shop.RefundQuote(ctx, a, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.FeePercent != 5 || q.AmountCents != o.TotalCents || q.FeeCents != o.TotalCents/20 || q.RefundCents != q.AmountCents-q.FeeCents {
		t.Fatalf("quote %+v for an order of %d", q, o.TotalCents)
	}
	if _, err := shop.RefundQuote(ctx, b, o.ID); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another account's order: %v", err)
	}
	plainOrder := buy(plain.ID)
	if _, err := shop.RefundQuote(ctx, a, plainOrder.ID); !isCode(err, "refunds_closed") {
		t.Fatalf("an event without refunds: %v", err)
	}
	// The organiser calls that session off: its buyers get the whole
	// price back, whatever the event's rule.
	if _, err := f.Svc.CancelSession(ctx, f.Manager, plain.ID, "storm"); err != nil {
		t.Fatal(err)
	}
	cq, err := shop.RefundQuote(ctx, a, plainOrder.ID)
	if err != nil || cq.FeeCents != 0 || cq.RefundCents != plainOrder.TotalCents {
		t.Fatalf("a cancelled session's quote %+v %v", cq, err)
	}
	cr, err := shop.RequestRefund(ctx, a, plainOrder.ID, webshop.RefundRequest{})
	if err != nil || cr.FeeCents != 0 {
		t.Fatalf("a cancelled session's refund %+v %v", cr, err)
	}
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, cr.ID, true, "called off"); err != nil {
		t.Fatal(err)
	}
	// Three days later the next grade applies: the fee shown before is stale.
	f.Clock.Advance(4 * 24 * time.Hour)
	if _, err := shop.RequestRefund(ctx, a, o.ID, webshop.RefundRequest{FeeCents: q.FeeCents}); !isCode(err, "fee_changed") {
		t.Fatalf("a stale fee: %v", err)
	}
	q2, err := shop.RefundQuote(ctx, a, o.ID)
	if err != nil || q2.FeePercent != 10 || q2.FeeCents <= q.FeeCents {
		t.Fatalf("the next grade: %+v %v", q2, err)
	}
	r, err := shop.RequestRefund(ctx, a, o.ID, webshop.RefundRequest{FeeCents: q2.FeeCents, Reason: "cannot come"})
	if err != nil || r.Status != sales.RefundPending || r.FeeCents != q2.FeeCents || r.AmountCents != o.TotalCents {
		t.Fatalf("requested %+v %v", r, err)
	}
	if _, err := shop.RequestRefund(ctx, a, o.ID, webshop.RefundRequest{FeeCents: q2.FeeCents}); !isCode(err, "refund_pending") {
		t.Fatalf("a second request: %v", err)
	}
	if got, err := f.Svc.GetOrder(ctx, f.Manager, o.ID); err != nil || got.Status != sales.OrderPaid {
		t.Fatalf("before approval the order is %s, %v", got.Status, err)
	}
	done, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "per the rule")
	if err != nil || done.FeeCents != q2.FeeCents {
		t.Fatalf("approved %+v %v", done, err)
	}
	if got, _ := f.Svc.GetOrder(ctx, f.Manager, o.ID); got.Status != sales.OrderRefunded {
		t.Fatalf("after approval the order is %s", got.Status)
	}
	// Inside the last day the rule takes no refunds.
	o2 := buy(ss.ID)
	f.Clock.Advance(start.Sub(f.Clock.Now()) - 23*time.Hour)
	if _, err := shop.RefundQuote(ctx, a, o2.ID); !isCode(err, "refunds_closed") {
		t.Fatalf("inside the last day: %v", err)
	}
}

// testSaleAlerts: a session with a public on-sale time is shown before it
// but not sold at the shop (the box office may sell); an account asks to
// be told; when the sale opens it is texted once, with a link.
func testSaleAlerts(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	start := Tomorrow(f.Clock, 20, 0).AddDate(0, 0, 5)
	late := start.Add(time.Hour)
	if _, err := f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: f.Event.ID, StartsAt: start,
		EndsAt: start.Add(2 * time.Hour), MinPriceCents: 100, OnSaleAt: &late}); !isKind(err, sales.KindInvalid) {
		t.Fatalf("on sale after the start: %v", err)
	}
	opens := f.Clock.Now().Add(2 * time.Hour)
	ss, err := f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: f.Event.ID, StartsAt: start,
		EndsAt: start.Add(2 * time.Hour), MinPriceCents: 100, OnSaleAt: &opens})
	if err != nil || ss.OnSaleAt == nil || !ss.OnSaleAt.Equal(opens) {
		t.Fatalf("created %+v %v", ss.OnSaleAt, err)
	}
	tiers, err := f.Svc.SetPrices(ctx, f.Manager, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 6600}})
	if err != nil {
		t.Fatal(err)
	}
	shop, login := shopWithAccounts(t, f)
	a := login("13600136555")
	buy := func() error {
		_, err := shop.Buy(ctx, a, webshop.BuyRequest{SessionID: ss.ID, TierID: tiers[0].ID, Count: 1, CardToken: payment.TokenApprove})
		return err
	}
	if err := buy(); !isCode(err, "not_on_sale") {
		t.Fatalf("buying at the shop before the sale: %v", err)
	}
	b, err := storefront.New(f.Svc, time.Second, f.Clock.Now).EventJSON(ctx, f.Tenant.Code, f.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	var page storefront.EventPage
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	shown := false
	for _, c := range page.Dates {
		if c.ID == ss.ID {
			shown = c.OnSaleAt != nil && c.OnSaleAt.Equal(opens)
		}
	}
	if !shown {
		t.Fatalf("the shop does not show when the sale opens: %s", b)
	}
	f.Session = ss
	f.Buy(t, f.Clerk, "A-1") // the box office sells before
	for range 2 {
		if _, err := shop.AlertOnSale(ctx, a, ss.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := shop.AlertOnSale(ctx, a, f.Session.ID+999); !isKind(err, sales.KindNotFound) {
		t.Fatalf("an alert for no session: %v", err)
	}
	msgs, sims := messageService(t, f)
	if n, err := shop.SaleAlerts(ctx, msgs, "https://tickets.example/shop/"); err != nil || n != 0 {
		t.Fatalf("alerts before the sale: %d %v", n, err)
	}
	f.Clock.Advance(2*time.Hour + time.Second)
	if n, err := shop.SaleAlerts(ctx, msgs, "https://tickets.example/shop/"); err != nil || n != 1 {
		t.Fatalf("alerts once the sale opened: %d %v", n, err)
	}
	if n, err := shop.SaleAlerts(ctx, msgs, "https://tickets.example/shop/"); err != nil || n != 0 {
		t.Fatalf("alerts again: %d %v", n, err)
	}
	if _, err := msgs.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := sims[messages.SMS].Sent()
	if len(got) != 1 || got[0].Template != "sale.open" || got[0].Recipient != "13600136555" ||
		!strings.Contains(got[0].Body, fmt.Sprintf("https://tickets.example/shop/#/t/%s/event/%d", f.Tenant.Code, f.Event.ID)) {
		t.Fatalf("sent %+v", got)
	}
	if _, err := shop.AlertOnSale(ctx, a, ss.ID); !isCode(err, "on_sale") {
		t.Fatalf("an alert once on sale: %v", err)
	}
	if err := buy(); err != nil {
		t.Fatalf("buying once on sale: %v", err)
	}
}

// shopWithAccounts is a shop (no presales) over the fixture's store, and
// a way to open a logged-in account by its phone.
func shopWithAccounts(t *testing.T, f *Fixture) (*webshop.Service, func(phone string) accounts.Account) {
	st := f.Store.(interface {
		Accounts() accounts.Store
		WebShop() webshop.Store
	})
	sent := &codes{last: map[string]string{}}
	acc := accounts.New(st.Accounts(), f.Svc, accounts.NewVerifierSim(), sent.send, auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, f.Clock.Now, nil)
	login := func(phone string) accounts.Account {
		t.Helper()
		if err := acc.SendCode(ctx, f.Tenant.Code, phone, "en"); err != nil {
			t.Fatal(err)
		}
		s, err := acc.Register(ctx, f.Tenant.Code, phone, sent.of(phone), "Correct-horse-9")
		if err != nil {
			t.Fatal(err)
		}
		a, err := acc.Authenticate(ctx, f.Tenant.Code, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return webshop.New(st.WebShop(), f.Svc, acc, nil, f.Clock.Now), login
}
