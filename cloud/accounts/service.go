package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/sales"
)

// Store keeps accounts, identities, their links and the codes sent.
type Store interface {
	PutCode(ctx context.Context, c Code) error // one per phone: a new one replaces the old
	GetCode(ctx context.Context, phoneKey string) (Code, error)
	CodeFailed(ctx context.Context, phoneKey string) error
	DeleteCode(ctx context.Context, phoneKey string) error

	CreateAccount(ctx context.Context, a Account, e audit.Entry) (Account, error) // ErrDuplicate: the phone has one
	AccountByPhone(ctx context.Context, tenantID int64, phoneKey string) (Account, error)
	GetAccount(ctx context.Context, tenantID, id int64) (Account, error)
	LoginFailed(ctx context.Context, id int64, at time.Time) error
	LoginSucceeded(ctx context.Context, id int64) error
	// EndSessions moves the account's token generation on: every token
	// issued before is refused from then on.
	EndSessions(ctx context.Context, id int64) error
	SetAccountIdentity(ctx context.Context, accountID, identityID int64, e audit.Entry) error

	IdentityByKey(ctx context.Context, tenantID int64, idKey string) (Identity, error)
	GetIdentity(ctx context.Context, tenantID, id int64) (Identity, error)
	CreateIdentity(ctx context.Context, i Identity) (Identity, error) // ErrDuplicate: the document has one
	DecideIdentity(ctx context.Context, i Identity, from State, e audit.Entry) error
	Reviews(ctx context.Context, tenantID int64) ([]Identity, error)

	AddHolder(ctx context.Context, accountID, identityID int64, max int) (int64, error) // ErrDuplicate; ErrFull
	RemoveHolder(ctx context.Context, accountID, linkID int64) error
	Holders(ctx context.Context, accountID int64) ([]Holder, error)
}

// ErrFull: the account has MaxHolders related people already.
var ErrFull = errors.New("accounts: no room for another holder")

// Verifier is the identity provider: the police platform's check of a
// document and the name on it.
type Verifier interface {
	Verify(ctx context.Context, d identity.Document, name string) (Verdict, error)
}

// Sales is what accounts use of the sales service: the shops (tenants),
// the document key real-name tickets use, the installation's secrets and
// the sealing of personal data.
type Sales interface {
	ListTenants(ctx context.Context, p sales.Principal) ([]sales.Tenant, error)
	DocumentKeys(ctx context.Context, tenantID int64, d identity.Document) (idKey, gateTag string, err error)
	Secret(ctx context.Context, name string) ([]byte, error)
	SealText(v string) string
	OpenText(v string) (string, error)
}

// Sender sends a code by text message.
type Sender func(ctx context.Context, tenantID int64, phone, code, lang string) error

// Queuer queues messages (cloud/messages).
type Queuer interface {
	Queue(ctx context.Context, rs []messages.Request) (int, error)
}

// CodeBySMS sends codes as text messages through the message queue.
func CodeBySMS(q Queuer) Sender {
	return func(ctx context.Context, tenantID int64, phone, code, lang string) error {
		k := make([]byte, 12)
		if _, err := rand.Read(k); err != nil {
			return err
		}
		_, err := q.Queue(ctx, []messages.Request{{TenantID: tenantID, Channel: messages.SMS, Recipient: phone, Template: "account.code", Lang: lang,
			Vars: map[string]string{"org": "Admit", "code": code}, Key: "code/" + hex.EncodeToString(k)}})
		return err
	}
}

// Service runs accounts.
type Service struct {
	st     Store
	sales  Sales
	verify Verifier
	send   Sender
	now    func() time.Time
	log    *slog.Logger
	params auth.PasswordParams

	mu      sync.Mutex
	signer  *auth.TokenSigner
	key     []byte
	tenants map[string]int64
	listed  time.Time
}

// New returns a Service.
func New(st Store, s Sales, v Verifier, send Sender, params auth.PasswordParams, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if params == (auth.PasswordParams{}) {
		params = auth.DefaultPasswordParams()
	}
	return &Service{st: st, sales: s, verify: v, send: send, now: now, log: log, params: params}
}

// keys returns the secret for phone and code hashes and the token signer.
func (s *Service) keys(ctx context.Context) ([]byte, *auth.TokenSigner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signer != nil {
		return s.key, s.signer, nil
	}
	key, err := s.sales.Secret(ctx, "accounts")
	if err != nil {
		return nil, nil, err
	}
	tk, err := s.sales.Secret(ctx, "account_tokens")
	if err != nil {
		return nil, nil, err
	}
	signer, err := auth.NewTokenSigner(tk, s.now)
	if err != nil {
		return nil, nil, err
	}
	s.key, s.signer = key, signer
	return key, signer, nil
}

// tenant finds a shop's tenant by its code (the list is kept a minute).
func (s *Service) tenant(ctx context.Context, code string) (int64, error) {
	s.mu.Lock()
	id, ok := s.tenants[code]
	fresh := s.now().Sub(s.listed) < time.Minute
	s.mu.Unlock()
	if ok && fresh {
		return id, nil
	}
	ts, err := s.sales.ListTenants(ctx, sales.Principal{Username: "accounts", Role: auth.RolePlatformAdmin})
	if err != nil {
		return 0, err
	}
	m := make(map[string]int64, len(ts))
	for _, t := range ts {
		m[t.Code] = t.ID
	}
	s.mu.Lock()
	s.tenants, s.listed = m, s.now()
	s.mu.Unlock()
	if id, ok := m[code]; ok {
		return id, nil
	}
	return 0, notFound("no such shop")
}

// SendCode sends a six-digit code to phone, at most one a minute.
func (s *Service) SendCode(ctx context.Context, shop, phone, lang string) error {
	tid, err := s.tenant(ctx, shop)
	if err != nil {
		return err
	}
	p, ok := NormalisePhone(phone)
	if !ok {
		return invalid("invalid_phone", "phone", "6 to 20 digits, a leading + allowed")
	}
	key, _, err := s.keys(ctx)
	if err != nil {
		return err
	}
	pk := PhoneKey(key, strconv.FormatInt(tid, 10)+":"+p)
	now := s.now()
	if prev, err := s.st.GetCode(ctx, pk); err == nil && now.Sub(prev.SentAt) < CodeEvery {
		return &sales.Error{Kind: sales.KindConflict, Code: "too_soon", Message: "a code was sent less than a minute ago"}
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	code, err := NewCode()
	if err != nil {
		return err
	}
	if err := s.st.PutCode(ctx, Code{PhoneKey: pk, Hash: CodeHash(key, pk, code), SentAt: now.UTC(), Expires: now.Add(CodeTTL).UTC()}); err != nil {
		return err
	}
	return s.send(ctx, tid, p, code, lang)
}

// Session is a logged-in account's token.
type Session struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
	Account Account   `json:"account"`
}

// Register opens an account for a phone proved by its code.
func (s *Service) Register(ctx context.Context, shop, phone, code, password string) (Session, error) {
	tid, err := s.tenant(ctx, shop)
	if err != nil {
		return Session{}, err
	}
	p, ok := NormalisePhone(phone)
	if !ok {
		return Session{}, invalid("invalid_phone", "phone", "6 to 20 digits, a leading + allowed")
	}
	if err := auth.ValidatePassword(password); err != nil {
		return Session{}, invalid("invalid_password", "password", err.Error())
	}
	key, signer, err := s.keys(ctx)
	if err != nil {
		return Session{}, err
	}
	pk := PhoneKey(key, strconv.FormatInt(tid, 10)+":"+p)
	if err := s.checkCode(ctx, key, pk, code); err != nil {
		return Session{}, err
	}
	hash, err := auth.HashPassword(s.params, password)
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC()
	a := Account{TenantID: tid, Phone: s.sales.SealText(p), PhoneKey: pk, Password: hash, CreatedAt: now}
	e := audit.Entry{At: now, TenantID: tid, Actor: "public", Action: "account.register"}
	a, err = s.st.CreateAccount(ctx, a, e)
	if errors.Is(err, ErrDuplicate) {
		return Session{}, &sales.Error{Kind: sales.KindConflict, Code: "phone_registered", Message: "this phone has an account: log in"}
	}
	if err != nil {
		return Session{}, err
	}
	if err := s.st.DeleteCode(ctx, pk); err != nil {
		return Session{}, err
	}
	return s.session(ctx, signer, a)
}

func (s *Service) checkCode(ctx context.Context, key []byte, pk, code string) error {
	c, err := s.st.GetCode(ctx, pk)
	if errors.Is(err, ErrNotFound) {
		return invalid("invalid_code", "code", "no code was sent to this phone: ask for one")
	}
	if err != nil {
		return err
	}
	if err := CheckCode(key, c, code, s.now()); err != nil {
		if ferr := s.st.CodeFailed(ctx, pk); ferr != nil {
			return ferr
		}
		return invalid("invalid_code", "code", err.Error())
	}
	return nil
}

// Login checks a phone and password; repeated failures lock the account
// for a while (auth.DefaultLockout).
func (s *Service) Login(ctx context.Context, shop, phone, password string) (Session, error) {
	tid, err := s.tenant(ctx, shop)
	if err != nil {
		return Session{}, err
	}
	p, _ := NormalisePhone(phone)
	key, signer, err := s.keys(ctx)
	if err != nil {
		return Session{}, err
	}
	bad := &sales.Error{Kind: sales.KindUnauthenticated, Code: "bad_credentials", Message: "wrong phone or password"}
	a, err := s.st.AccountByPhone(ctx, tid, PhoneKey(key, strconv.FormatInt(tid, 10)+":"+p))
	if errors.Is(err, ErrNotFound) {
		return Session{}, bad
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	lock := auth.DefaultLockout()
	if a.LastFail != nil && lock.Locked(a.Failures, *a.LastFail, now) {
		return Session{}, &sales.Error{Kind: sales.KindLocked, Code: "locked", Message: "too many wrong passwords: try again later"}
	}
	ok, err := auth.CheckPassword(a.Password, password)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		if err := s.st.LoginFailed(ctx, a.ID, now.UTC()); err != nil {
			return Session{}, err
		}
		return Session{}, bad
	}
	if a.Failures > 0 {
		if err := s.st.LoginSucceeded(ctx, a.ID); err != nil {
			return Session{}, err
		}
	}
	return s.session(ctx, signer, a)
}

func (s *Service) session(ctx context.Context, signer *auth.TokenSigner, a Account) (Session, error) {
	tok, exp := signer.Issue(a.ID, a.Generation, TokenTTL)
	shown, err := s.show(ctx, a)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: tok, Expires: exp, Account: shown}, nil
}

// Authenticate returns the account a token of the shop belongs to.
func (s *Service) Authenticate(ctx context.Context, shop, token string) (Account, error) {
	tid, err := s.tenant(ctx, shop)
	if err != nil {
		return Account{}, err
	}
	_, signer, err := s.keys(ctx)
	if err != nil {
		return Account{}, err
	}
	unauth := &sales.Error{Kind: sales.KindUnauthenticated, Code: "unauthenticated", Message: "log in to your account"}
	c, err := signer.Parse(strings.TrimPrefix(token, "Bearer "))
	if err != nil {
		return Account{}, unauth
	}
	a, err := s.st.GetAccount(ctx, tid, c.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && a.Generation != c.Generation) {
		return Account{}, unauth
	}
	return a, err
}

// Logout ends every login of the account (its tokens are refused from
// now on, on every cloud process).
func (s *Service) Logout(ctx context.Context, a Account) error { return s.st.EndSessions(ctx, a.ID) }

// Get returns an account of a tenant by its id.
func (s *Service) Get(ctx context.Context, tenantID, id int64) (Account, error) {
	return s.st.GetAccount(ctx, tenantID, id)
}

// Me shows an account to its owner: phone masked, identity and holders
// with names, documents masked.
func (s *Service) Me(ctx context.Context, a Account) (Account, error) { return s.show(ctx, a) }

func (s *Service) show(ctx context.Context, a Account) (Account, error) {
	phone, err := s.sales.OpenText(a.Phone)
	if err != nil {
		return Account{}, fmt.Errorf("account %d: %w", a.ID, err)
	}
	a.Phone = MaskPhone(phone)
	if a.IdentityID != 0 {
		i, err := s.st.GetIdentity(ctx, a.TenantID, a.IdentityID)
		if err != nil {
			return Account{}, err
		}
		if err := s.openIdentity(&i); err != nil {
			return Account{}, err
		}
		a.Identity = &i
	}
	hs, err := s.st.Holders(ctx, a.ID)
	if err != nil {
		return Account{}, err
	}
	for i := range hs {
		if err := s.openIdentity(&hs[i].Identity); err != nil {
			return Account{}, err
		}
	}
	a.Holders = hs
	if a.Holders == nil {
		a.Holders = []Holder{}
	}
	return a, nil
}

func (s *Service) openIdentity(i *Identity) error {
	n, err := s.sales.OpenText(i.Name)
	if err != nil {
		return fmt.Errorf("identity %d: %w", i.ID, err)
	}
	i.Name = n
	return nil
}

// Person is a document and the name on it.
type Person struct {
	DocType   identity.Type `json:"doc_type"`
	DocNumber string        `json:"doc_number"`
	Name      string        `json:"name"`
}

// SetIdentity verifies the owner's own identity and ties it to the account.
func (s *Service) SetIdentity(ctx context.Context, a Account, in Person) (Account, error) {
	if a.IdentityID != 0 {
		if i, err := s.st.GetIdentity(ctx, a.TenantID, a.IdentityID); err == nil && i.State != Rejected {
			return Account{}, &sales.Error{Kind: sales.KindConflict, Code: "identity_set", Message: "this account's identity is set already"}
		}
	}
	i, err := s.identify(ctx, a.TenantID, in)
	if err != nil {
		return Account{}, err
	}
	e := audit.Entry{At: s.now().UTC(), TenantID: a.TenantID, Actor: "account:" + strconv.FormatInt(a.ID, 10), Action: "account.identity",
		Object: "account:" + strconv.FormatInt(a.ID, 10)}
	e.After, _ = json.Marshal(map[string]any{"identity": i.ID, "doc": i.DocMasked, "state": i.State})
	if err := s.st.SetAccountIdentity(ctx, a.ID, i.ID, e); err != nil {
		return Account{}, err
	}
	a.IdentityID = i.ID
	return s.show(ctx, a)
}

// AddHolder verifies a related person and adds them to the account.
func (s *Service) AddHolder(ctx context.Context, a Account, in Person) (Account, error) {
	i, err := s.identify(ctx, a.TenantID, in)
	if err != nil {
		return Account{}, err
	}
	switch _, err := s.st.AddHolder(ctx, a.ID, i.ID, MaxHolders); {
	case errors.Is(err, ErrDuplicate):
		return Account{}, &sales.Error{Kind: sales.KindConflict, Code: "holder_added", Message: "this person is one of the account's holders already"}
	case errors.Is(err, ErrFull):
		return Account{}, &sales.Error{Kind: sales.KindConflict, Code: "holders_full", Message: fmt.Sprintf("an account has at most %d holders", MaxHolders)}
	case err != nil:
		return Account{}, err
	}
	return s.show(ctx, a)
}

// RemoveHolder takes a related person off the account.
func (s *Service) RemoveHolder(ctx context.Context, a Account, linkID int64) (Account, error) {
	if err := s.st.RemoveHolder(ctx, a.ID, linkID); errors.Is(err, ErrNotFound) {
		return Account{}, notFound("no such holder on this account")
	} else if err != nil {
		return Account{}, err
	}
	return s.show(ctx, a)
}

// identify checks a document and verifies it, once per person: a
// document the shop knows answers with its earlier verdict (a different
// name on it is refused without asking the provider).
func (s *Service) identify(ctx context.Context, tenantID int64, in Person) (Identity, error) {
	now := s.now()
	d, err := identity.Parse(in.DocType, in.DocNumber, now)
	if err != nil {
		return Identity{}, invalid("invalid_document", "doc_number", err.Error())
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 80 {
		return Identity{}, invalid("invalid_name", "name", "1 to 80 characters, as on the document")
	}
	key, tag, err := s.sales.DocumentKeys(ctx, tenantID, d)
	if err != nil {
		return Identity{}, err
	}
	if i, err := s.st.IdentityByKey(ctx, tenantID, key); err == nil {
		return s.known(i, name)
	} else if !errors.Is(err, ErrNotFound) {
		return Identity{}, err
	}
	v, err := s.verify.Verify(ctx, d, name)
	if err != nil {
		return Identity{}, &sales.Error{Kind: sales.KindConflict, Code: "verification_unavailable", Message: "the identity check did not answer: try again in a moment"}
	}
	i := Identity{TenantID: tenantID, IDKey: key, GateTag: tag, DocType: string(d.Type), DocMasked: d.Masked(), Name: s.sales.SealText(name), State: StateOf(v), CreatedAt: now.UTC()}
	if i.State != Review {
		at := now.UTC()
		i.CheckedAt, i.CheckedBy = &at, "provider"
	}
	if i.State == Rejected {
		i.Reason = "the name does not match the document"
	}
	stored, err := s.st.CreateIdentity(ctx, i)
	if errors.Is(err, ErrDuplicate) { // someone named the same document meanwhile
		prev, gerr := s.st.IdentityByKey(ctx, tenantID, key)
		if gerr != nil {
			return Identity{}, gerr
		}
		return s.known(prev, name)
	}
	if err != nil {
		return Identity{}, err
	}
	return s.known(stored, name)
}

// known answers with a known identity's verdict for name.
func (s *Service) known(i Identity, name string) (Identity, error) {
	stored, err := s.sales.OpenText(i.Name)
	if err != nil {
		return Identity{}, err
	}
	if !strings.EqualFold(strings.Join(strings.Fields(stored), " "), strings.Join(strings.Fields(name), " ")) {
		return Identity{}, &sales.Error{Kind: sales.KindConflict, Code: "identity_mismatch", Message: "the name does not match this document's"}
	}
	if i.State == Rejected {
		return Identity{}, &sales.Error{Kind: sales.KindConflict, Code: "identity_rejected", Message: "this document could not be verified: " + i.Reason}
	}
	return i, nil
}

// Reviews lists the identities waiting for a person, names shown to who
// may read personal data.
func (s *Service) Reviews(ctx context.Context, p sales.Principal) ([]Identity, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return nil, forbidden()
	}
	is, err := s.st.Reviews(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	for k := range is {
		if err := s.openIdentity(&is[k]); err != nil {
			return nil, err
		}
		if !auth.Can(p.Role, auth.ReadPersonalData) {
			is[k].Name = sales.MaskName(is[k].Name)
		}
	}
	if is == nil {
		is = []Identity{}
	}
	return is, nil
}

// Decide verifies or rejects an identity waiting for review (audited).
func (s *Service) Decide(ctx context.Context, p sales.Principal, id int64, approve bool, reason string) (Identity, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return Identity{}, forbidden()
	}
	i, err := s.st.GetIdentity(ctx, p.TenantID, id)
	if errors.Is(err, ErrNotFound) {
		return Identity{}, notFound("no such identity")
	}
	if err != nil {
		return Identity{}, err
	}
	if i.State != Review {
		return Identity{}, &sales.Error{Kind: sales.KindConflict, Code: "not_in_review", Message: "this identity was decided already"}
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return Identity{}, invalid("invalid_decision", "reason", "a rejection says why")
	}
	at := s.now().UTC()
	i.State, i.Reason, i.CheckedAt, i.CheckedBy = Verified, reason, &at, p.Actor()
	if !approve {
		i.State = Rejected
	}
	e := audit.Entry{At: at, TenantID: i.TenantID, Actor: p.Actor(), Action: "identity.review", Object: "identity:" + strconv.FormatInt(i.ID, 10), Reason: reason}
	e.Before, _ = json.Marshal(map[string]any{"state": Review})
	e.After, _ = json.Marshal(map[string]any{"state": i.State, "doc": i.DocMasked})
	if err := s.st.DecideIdentity(ctx, i, Review, e); errors.Is(err, ErrChanged) {
		return Identity{}, &sales.Error{Kind: sales.KindConflict, Code: "not_in_review", Message: "this identity was decided meanwhile"}
	} else if err != nil {
		return Identity{}, err
	}
	if err := s.openIdentity(&i); err != nil {
		return Identity{}, err
	}
	return i, nil
}

// VerifiedHolders are the identities an account may name as ticket
// holders: its owner's and its related people's, verified.
func (s *Service) VerifiedHolders(ctx context.Context, a Account) ([]Identity, error) {
	shown, err := s.show(ctx, a)
	if err != nil {
		return nil, err
	}
	var out []Identity
	if shown.Identity != nil && shown.Identity.State == Verified {
		out = append(out, *shown.Identity)
	}
	for _, h := range shown.Holders {
		if h.Identity.State == Verified && !slices.ContainsFunc(out, func(i Identity) bool { return i.ID == h.Identity.ID }) {
			out = append(out, h.Identity)
		}
	}
	return out, nil
}

func notFound(msg string) error {
	return &sales.Error{Kind: sales.KindNotFound, Code: "not_found", Message: msg}
}

func forbidden() error {
	return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "your role may not review identities"}
}

func invalid(code, field, msg string) error {
	return &sales.Error{Kind: sales.KindInvalid, Code: code, Message: "the request cannot be used", Fields: []sales.FieldError{{Field: field, Message: msg}}}
}
