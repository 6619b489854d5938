package storetest

import (
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
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
}
