package storetest

import (
	"bytes"
	"strings"
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

// testPublicDataSealed: with a master key, what the public gives the shop
// is stored sealed: an account's phone, an identity's name, a presale
// applicant's name and phone, a message's recipient and text, a web
// order's holders' names.
func testPublicDataSealed(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	cfg := Config(f.Clock)
	cfg.MasterKey = bytes.Repeat([]byte{5}, 32)
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Sealed final", Kind: "match", RealName: true, HolderLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.Event = ev
	ss, tiers := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 0).AddDate(0, 0, 2), 5000)
	st := f.Store.(interface {
		Accounts() accounts.Store
		WebShop() webshop.Store
		Presales() presale.Store
		Messages() messages.Store
	})
	msgs := messages.New(st.Messages(), svc, map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: messages.NewSimulator(messages.SMS)}}, f.Clock.Now, nil)
	acc := accounts.New(st.Accounts(), svc, accounts.NewVerifierSim(), accounts.CodeBySMS(msgs), auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, f.Clock.Now, nil)
	presales := presale.New(st.Presales(), svc, payment.NewSimulator(), f.Clock.Now, nil)
	shop := webshop.New(st.WebShop(), svc, acc, presales, f.Clock.Now)

	const phone = "13100131000"
	if err := acc.SendCode(ctx, f.Tenant.Code, phone, "zh"); err != nil {
		t.Fatal(err)
	}
	queued, err := st.Messages().List(ctx, f.Tenant.ID, messages.Filter{Limit: 10})
	if err != nil || len(queued) != 1 {
		t.Fatalf("the code's message: %d %v", len(queued), err)
	}
	code := regexpDigits(t, svc, queued[0].Body)
	s, err := acc.Register(ctx, f.Tenant.Code, phone, code, "Correct-horse-9")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := acc.Authenticate(ctx, f.Tenant.Code, s.Token)
	if _, err := acc.SetIdentity(ctx, a, accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(990), Name: "孙丽"}); err != nil {
		t.Fatal(err)
	}
	a, _ = acc.Authenticate(ctx, f.Tenant.Code, s.Token)
	people, err := acc.VerifiedHolders(ctx, a)
	if err != nil || len(people) != 1 {
		t.Fatalf("people %d %v", len(people), err)
	}
	o, err := shop.Buy(ctx, a, webshop.BuyRequest{SessionID: ss.ID, TierID: tiers[0].ID, Count: 1, Holders: []int64{people[0].ID}, CardToken: payment.TokenApprove})
	if err != nil {
		t.Fatal(err)
	}
	p, err := presales.Create(ctx, f.Manager, presale.NewPresale{SessionID: ss.ID, TierID: tiers[0].ID, Name: "Sealed presale", Tickets: 5, PerPerson: 1,
		NamedHolders: true, OpensAt: f.Clock.Now().Add(-time.Minute), ClosesAt: f.Clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shop.ApplyPresale(ctx, a, p.ID, webshop.PresaleRequest{Quantity: 1, Holders: []int64{people[0].ID}, CardToken: payment.TokenApprove}); err != nil {
		t.Fatal(err)
	}

	sealed := func(what, v string) {
		t.Helper()
		if !strings.HasPrefix(v, "admit-sealed:") {
			t.Errorf("%s is stored in clear: %q", what, v)
		}
	}
	raw, err := st.Accounts().GetAccount(ctx, f.Tenant.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sealed("the account's phone", raw.Phone)
	idn, err := st.Accounts().GetIdentity(ctx, f.Tenant.ID, people[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	sealed("the identity's name", idn.Name)
	apps, err := st.Presales().Applications(ctx, p.ID)
	if err != nil || len(apps) != 1 {
		t.Fatalf("applications %d %v", len(apps), err)
	}
	sealed("the applicant's name", apps[0].Name)
	sealed("the applicant's phone", apps[0].Phone)
	stored, err := f.Store.GetOrder(ctx, -1, o.ID)
	if err != nil || len(stored.Holders) != 1 {
		t.Fatalf("order %v", err)
	}
	sealed("the web order's holder's name", stored.Holders[0].Name)
	sealed("the web order's customer name", stored.CustomerName)
	for _, m := range queued {
		sealed("a message's recipient", m.Recipient)
		sealed("a message's text", m.Body)
	}
}

// regexpDigits opens a sealed code message and finds its six digits.
func regexpDigits(t *testing.T, svc *sales.Service, body string) string {
	t.Helper()
	text, err := svc.OpenText(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+6 <= len(text); i++ {
		if strings.Trim(text[i:i+6], "0123456789") == "" {
			return text[i : i+6]
		}
	}
	t.Fatalf("no code in %q", text)
	return ""
}
