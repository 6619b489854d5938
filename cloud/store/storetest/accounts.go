package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/sales"
)

// codes keeps the last code texted to each phone.
type codes struct {
	mu   sync.Mutex
	last map[string]string
}

func (c *codes) send(_ context.Context, _ int64, phone, code, _ string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last[phone] = code
	return nil
}

func (c *codes) of(phone string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[phone]
}

// testAccounts: a phone proved by its code opens one account; a wrong
// code, an old code and a second account are refused; wrong passwords lock
// the account; identities are verified once per person (a second account
// naming the document does not ask again, another name on it is
// refused), a passport waits for a person; related people are verified
// and capped; a token works only at its own shop.
func testAccounts(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	st, ok := f.Store.(interface{ Accounts() accounts.Store })
	if !ok {
		t.Fatal("the store keeps no accounts")
	}
	sent := &codes{last: map[string]string{}}
	sim := accounts.NewVerifierSim()
	svc := accounts.New(st.Accounts(), f.Svc, sim, sent.send, auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, f.Clock.Now, nil)
	shop := f.Tenant.Code
	const phone, pw = "13800138000", "Correct-horse-9"

	if err := svc.SendCode(ctx, shop, "12", "zh"); !isKind(err, sales.KindInvalid) {
		t.Fatalf("a bad phone: %v", err)
	}
	if err := svc.SendCode(ctx, shop, phone, "zh"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SendCode(ctx, shop, phone, "zh"); !isCode(err, "too_soon") {
		t.Fatalf("a second code at once: %v", err)
	}
	code := sent.of(phone)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, err := svc.Register(ctx, shop, phone, wrong, pw); !isCode(err, "invalid_code") {
		t.Fatalf("a wrong code: %v", err)
	}
	f.Clock.Advance(accounts.CodeTTL)
	if _, err := svc.Register(ctx, shop, phone, code, pw); !isCode(err, "invalid_code") {
		t.Fatalf("an expired code: %v", err)
	}
	if err := svc.SendCode(ctx, shop, phone, "zh"); err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Register(ctx, shop, phone, sent.of(phone), pw)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Account.Phone != "138****8000" || sess.Token == "" {
		t.Fatalf("registered %+v", sess.Account)
	}
	f.Clock.Advance(accounts.CodeEvery)
	if err := svc.SendCode(ctx, shop, phone, "zh"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, shop, phone, sent.of(phone), pw); !isCode(err, "phone_registered") {
		t.Fatalf("a second account for the phone: %v", err)
	}

	// Logging in, and a lock after wrong passwords.
	if _, err := svc.Login(ctx, shop, phone, pw); err != nil {
		t.Fatal(err)
	}
	for range auth.DefaultLockout().MaxFailures {
		if _, err := svc.Login(ctx, shop, phone, "wrong-password-1"); !isKind(err, sales.KindUnauthenticated) {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	if _, err := svc.Login(ctx, shop, phone, pw); !isKind(err, sales.KindLocked) {
		t.Fatalf("the right password on a locked account: %v", err)
	}
	f.Clock.Advance(auth.DefaultLockout().Window + time.Minute)
	if _, err := svc.Login(ctx, shop, phone, pw); err != nil {
		t.Fatalf("after the lock: %v", err)
	}

	// Identity: verified once per person.
	acct, err := svc.Authenticate(ctx, shop, "Bearer "+sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	other := f.AddTenant(t, "other", "22000009")
	if _, err := svc.Authenticate(ctx, other.Tenant.Code, sess.Token); !isKind(err, sales.KindUnauthenticated) {
		t.Fatalf("a token at another shop: %v", err)
	}
	me := accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(500), Name: "王芳"}
	shown, err := svc.SetIdentity(ctx, acct, me)
	if err != nil {
		t.Fatal(err)
	}
	if shown.Identity == nil || shown.Identity.State != accounts.Verified || shown.Identity.Name != "王芳" {
		t.Fatalf("identity %+v", shown.Identity)
	}
	calls := sim.Calls()
	acct, _ = svc.Authenticate(ctx, shop, sess.Token)
	for i := 1; i <= accounts.MaxHolders; i++ {
		if _, err := svc.AddHolder(ctx, acct, accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(500 + i), Name: "家人"}); err != nil {
			t.Fatalf("holder %d: %v", i, err)
		}
	}
	if _, err := svc.AddHolder(ctx, acct, accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(520), Name: "家人"}); !isCode(err, "holders_full") {
		t.Fatalf("a holder over the cap: %v", err)
	}
	if _, err := svc.AddHolder(ctx, acct, accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(501), Name: "家人"}); !isCode(err, "holder_added") {
		t.Fatalf("the same holder twice: %v", err)
	}
	if got := sim.Calls() - calls; got != accounts.MaxHolders+1 {
		t.Fatalf("%d questions for %d new people", got, accounts.MaxHolders+1)
	}
	hs, err := svc.VerifiedHolders(ctx, acct)
	if err != nil || len(hs) != 1+accounts.MaxHolders {
		t.Fatalf("verified holders %d: %v", len(hs), err)
	}

	// A second account naming the owner's document: no second question;
	// another name on it is refused.
	const phone2 = "13900139000"
	if err := svc.SendCode(ctx, shop, phone2, "en"); err != nil {
		t.Fatal(err)
	}
	sess2, err := svc.Register(ctx, shop, phone2, sent.of(phone2), pw)
	if err != nil {
		t.Fatal(err)
	}
	acct2, _ := svc.Authenticate(ctx, shop, sess2.Token)
	calls = sim.Calls()
	if _, err := svc.AddHolder(ctx, acct2, me); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddHolder(ctx, acct2, accounts.Person{DocType: identity.ResidentID, DocNumber: me.DocNumber, Name: "李四"}); !isCode(err, "identity_mismatch") {
		t.Fatalf("another name on a known document: %v", err)
	}
	if sim.Calls() != calls {
		t.Fatalf("a known person was asked about again (%d calls)", sim.Calls()-calls)
	}
	sim.NoMatchFor(ResidentID(530))
	if _, err := svc.AddHolder(ctx, acct2, accounts.Person{DocType: identity.ResidentID, DocNumber: ResidentID(530), Name: "冒名"}); !isCode(err, "identity_rejected") {
		t.Fatalf("a document that does not match: %v", err)
	}
	bad := ResidentID(531)
	bad = bad[:17] + map[bool]string{true: "1", false: "2"}[bad[17] != '1']
	if _, err := svc.AddHolder(ctx, acct2, accounts.Person{DocType: identity.ResidentID, DocNumber: bad, Name: "x"}); !isCode(err, "invalid_document") {
		t.Fatalf("a wrong check digit: %v", err)
	}

	// A passport waits for a person; the organiser verifies it.
	shown, err = svc.AddHolder(ctx, acct2, accounts.Person{DocType: identity.Passport, DocNumber: "E12345678", Name: "Anna Schmidt"})
	if err != nil {
		t.Fatal(err)
	}
	var passport accounts.Identity
	for _, h := range shown.Holders {
		if h.Identity.DocType == string(identity.Passport) {
			passport = h.Identity
		}
	}
	if passport.State != accounts.Review {
		t.Fatalf("a passport: %+v", passport)
	}
	if _, err := svc.Reviews(ctx, f.Clerk); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk reviewed: %v", err)
	}
	rs, err := svc.Reviews(ctx, f.Manager)
	if err != nil || len(rs) != 1 || rs[0].ID != passport.ID {
		t.Fatalf("reviews %+v %v", rs, err)
	}
	if _, err := svc.Decide(ctx, other.Manager, passport.ID, true, ""); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another tenant's manager decided: %v", err)
	}
	if _, err := svc.Decide(ctx, f.Manager, passport.ID, false, ""); !isKind(err, sales.KindInvalid) {
		t.Fatalf("a rejection without a reason: %v", err)
	}
	if i, err := svc.Decide(ctx, f.Manager, passport.ID, true, "seen in person"); err != nil || i.State != accounts.Verified {
		t.Fatalf("approve: %+v %v", i, err)
	}
	if _, err := svc.Decide(ctx, f.Manager, passport.ID, true, ""); !isCode(err, "not_in_review") {
		t.Fatalf("decided twice: %v", err)
	}
	shown, err = svc.RemoveHolder(ctx, acct2, shown.Holders[0].ID)
	if err != nil || len(shown.Holders) != 1 {
		t.Fatalf("remove a holder: %d left, %v", len(shown.Holders), err)
	}
	if _, err := svc.RemoveHolder(ctx, acct, shown.Holders[0].ID); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another account's holder removed: %v", err)
	}
	// Logging out ends every login of the account.
	if err := svc.Logout(ctx, acct2); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, shop, sess2.Token); !isKind(err, sales.KindUnauthenticated) {
		t.Fatalf("a token after logout: %v", err)
	}
	if _, err := svc.Authenticate(ctx, shop, sess.Token); err != nil {
		t.Fatalf("another account's token after a logout: %v", err)
	}
}
