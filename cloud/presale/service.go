package presale

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
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/lottery"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/sales"
)

// Store keeps presales and their applications. Every change that moves a
// state is conditional on the state it moves from (ErrChanged otherwise),
// so two processes, or a process and its restart, never do a step twice.
type Store interface {
	InsertPresale(ctx context.Context, p Presale, sealedSeed string, e audit.Entry) (Presale, error)
	// GetPresale returns the presale and its sealed seed (ErrNotFound).
	GetPresale(ctx context.Context, id int64) (Presale, string, error)
	// ListPresales lists a tenant's presales (tenantID 0: every tenant's).
	ListPresales(ctx context.Context, tenantID int64) ([]Presale, error)
	// PresalesIn lists the presales in a state, every tenant's.
	PresalesIn(ctx context.Context, s State) ([]Presale, error)
	// InsertApplication records a pending application; a second one of
	// the same person in the presale is ErrDuplicate.
	InsertApplication(ctx context.Context, a Application) (Application, error)
	ApplicationByPerson(ctx context.Context, presaleID int64, personKey string) (Application, error)
	Applications(ctx context.Context, presaleID int64) ([]Application, error)
	// MoveApplication stores a's state, reference, rank and reason if it
	// is still in from.
	MoveApplication(ctx context.Context, a Application, from AppState) error
	// DeleteApplication removes an application still in from (a declined
	// card: the person may apply again).
	DeleteApplication(ctx context.Context, id int64, from AppState) error
	// Lock moves an open presale to locked: its applied applications into
	// the draw, its pending ones lapsed; hash names the list it fixed.
	Lock(ctx context.Context, id int64, hash func([]Application) string, e audit.Entry) (Presale, error)
	// RecordDraw moves a locked presale to drawn with its seed and result,
	// and each drawn application to won or lost.
	RecordDraw(ctx context.Context, p Presale, apps []Application, e audit.Entry) error
	SetState(ctx context.Context, id int64, from, to State) error
	// ToNotify lists drawn presales whose applicants were not yet told;
	// SetNotified marks one told.
	ToNotify(ctx context.Context) ([]Presale, error)
	SetNotified(ctx context.Context, id int64) error
}

// Notice asks for a message to an applicant (cloud/messages sends it):
// the key names what it is about, so asking twice sends once.
type Notice struct {
	TenantID int64
	Phone    string
	Lang     string
	Template string // presale.won, presale.lost, tickets.issued
	Vars     map[string]string
	Key      string
}

// Notifier takes notices; nil sends none.
type Notifier func(ctx context.Context, ns []Notice) error

// Queuer queues messages (cloud/messages).
type Queuer interface {
	Queue(ctx context.Context, rs []messages.Request) (int, error)
}

// BySMS sends notices as text messages.
func BySMS(q Queuer) Notifier {
	return func(ctx context.Context, ns []Notice) error {
		rs := make([]messages.Request, len(ns))
		for i, n := range ns {
			rs[i] = messages.Request{TenantID: n.TenantID, Channel: messages.SMS, Recipient: n.Phone, Template: n.Template, Lang: n.Lang, Vars: n.Vars, Key: n.Key}
		}
		_, err := q.Queue(ctx, rs)
		return err
	}
}

// Sales is what the presale reads of the catalogue and asks of personal
// data handling (cloud/sales implements it).
type Sales interface {
	GetSession(ctx context.Context, p sales.Principal, id int64) (sales.Session, error)
	GetEvent(ctx context.Context, p sales.Principal, id int64) (sales.Event, error)
	Prices(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.PriceTier, error)
	SessionSeats(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.SessionSeat, error)
	IssuePrepaid(ctx context.Context, p sales.Principal, in sales.Prepaid) (sales.Order, error)
	GetOrder(ctx context.Context, p sales.Principal, id int64) (sales.Order, error)
	DocumentKeys(ctx context.Context, tenantID int64, d identity.Document) (idKey, gateTag string, err error)
	Secret(ctx context.Context, name string) ([]byte, error)
	SealText(v string) string
	OpenText(v string) (string, error)
}

// Payments authorises at application, captures winners and voids the
// rest; every call is idempotent by its key (cloud/payment.Simulator).
type Payments interface {
	Authorise(ctx context.Context, r payment.Request) (payment.Result, error)
	Capture(ctx context.Context, key string, amountCents int64) (payment.Result, error)
	Void(ctx context.Context, key string) error
}

// Service runs presales.
type Service struct {
	st    Store
	sales Sales
	pay   Payments
	now   func() time.Time
	log   *slog.Logger
	// PaymentTimeout bounds one call to the provider.
	PaymentTimeout time.Duration
	// Notify tells applicants of the draw and of their tickets.
	Notify Notifier
	// Org signs the messages.
	Org string
	// ShopURL is the shop's address, for the links in messages
	// ("https://tickets.example.com/shop/").
	ShopURL string
}

// New returns a Service; now is time.Now and log discards when nil.
func New(st Store, s Sales, pay Payments, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, sales: s, pay: pay, now: now, log: log, PaymentTimeout: 10 * time.Second, Org: "Admit"}
}

// NewPresale is what an admin gives to create a presale.
type NewPresale struct {
	SessionID    int64     `json:"session_id"`
	TierID       int64     `json:"tier_id"`
	Name         string    `json:"name"`
	Tickets      int       `json:"tickets"`
	PerPerson    int       `json:"per_person"`
	NamedHolders bool      `json:"named_holders"`
	OpensAt      time.Time `json:"opens_at"`
	ClosesAt     time.Time `json:"closes_at"`
	// ChoiceUntil, if set, lets winners pick their own seats until then.
	ChoiceUntil *time.Time `json:"choice_until,omitempty"`
	// Channels take the applications: "page", "shop" (both if empty).
	Channels []string `json:"channels,omitempty"`
}

// Create makes a presale with a fresh secret seed; the answer carries the
// seed's commitment, to publish before closing.
func (s *Service) Create(ctx context.Context, p sales.Principal, in NewPresale) (Presale, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return Presale{}, forbidden()
	}
	ss, err := s.sales.GetSession(ctx, p, in.SessionID)
	if err != nil {
		return Presale{}, err
	}
	tiers, err := s.sales.Prices(ctx, p, in.SessionID)
	if err != nil {
		return Presale{}, err
	}
	var price int64 = -1
	for _, t := range tiers {
		if t.ID == in.TierID {
			price = t.PriceCents
		}
	}
	ps := Presale{TenantID: ss.TenantID, VenueID: ss.VenueID, SessionID: ss.ID, TierID: in.TierID, Name: strings.TrimSpace(in.Name),
		Tickets: in.Tickets, PerPerson: in.PerPerson, PriceCents: price, Named: in.NamedHolders,
		OpensAt: in.OpensAt.UTC(), ClosesAt: in.ClosesAt.UTC(), State: Open, CreatedAt: s.now().UTC(),
		Channels: slices.Compact(slices.Sorted(slices.Values(in.Channels)))}
	if len(ps.Channels) == 0 {
		ps.Channels = []string{ChannelPage, ChannelShop}
	}
	if in.ChoiceUntil != nil {
		until := in.ChoiceUntil.UTC()
		ps.ChoiceUntil = &until
		if !until.Before(ss.StartsAt) {
			return Presale{}, invalid("invalid_presale", "the presale cannot be created", []FieldError{{"choice_until", "must end before the session starts"}})
		}
	}
	fe := ps.Validate(s.now())
	if price < 0 {
		fe = append(fe, FieldError{"tier_id", "not a price level of the session"})
	} else if price == 0 {
		fe = append(fe, FieldError{"tier_id", "a free price level has nothing to authorise"})
	}
	ev, err := s.sales.GetEvent(ctx, p, ss.EventID)
	if err != nil {
		return Presale{}, err
	}
	switch {
	case in.NamedHolders && !ev.RealName:
		fe = append(fe, FieldError{"named_holders", "only a real-name event names its holders"})
	case !in.NamedHolders && ev.RealName:
		fe = append(fe, FieldError{"named_holders", "a real-name event's presale names every ticket's holder"})
	}
	if len(fe) > 0 {
		return Presale{}, invalid("invalid_presale", "the presale cannot be created", fe)
	}
	seed := make([]byte, lottery.MinSeed)
	if _, err := rand.Read(seed); err != nil {
		return Presale{}, fmt.Errorf("presale: seed: %w", err)
	}
	ps.Commitment = lottery.Commit(seed)
	after, _ := json.Marshal(ps)
	e := audit.Entry{At: s.now().UTC(), TenantID: ps.TenantID, VenueID: ps.VenueID, Actor: p.Actor(), Action: "presale.create", After: after}
	return s.st.InsertPresale(ctx, ps, s.sales.SealText(hex.EncodeToString(seed)), e)
}

// Get returns a presale as the public sees it: its terms, commitment and
// counts; the seed and the result once drawn.
func (s *Service) Get(ctx context.Context, id int64) (Presale, error) {
	ps, _, err := s.st.GetPresale(ctx, id)
	if err != nil {
		return Presale{}, s.notFound(err)
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return Presale{}, err
	}
	ps.Counts = map[AppState]int{}
	for _, a := range apps {
		ps.Counts[a.State]++
	}
	return ps, nil
}

// List lists the caller's tenant's presales.
func (s *Service) List(ctx context.Context, p sales.Principal) ([]Presale, error) {
	if !auth.Can(p.Role, auth.ReadCatalog) {
		return nil, forbidden()
	}
	out, err := s.st.ListPresales(ctx, p.TenantID)
	if out == nil {
		out = []Presale{}
	}
	return out, err
}

// Person is an identity document and the name on it.
type Person struct {
	DocType   identity.Type `json:"doc_type"`
	DocNumber string        `json:"doc_number"`
	Name      string        `json:"name"`
}

// ApplyRequest is one person's application.
type ApplyRequest struct {
	Applicant Person   `json:"applicant"`
	Quantity  int      `json:"quantity"`
	Holders   []Person `json:"holders,omitempty"` // one per ticket, on a named presale
	CardToken string   `json:"card_token"`
	Phone     string   `json:"phone"` // where the results are sent (SMS); optional
	Lang      string   `json:"lang"`  // of the messages: zh (default) or en
}

// Apply records an application and authorises its amount. The same
// person applying again is told of the application they have (a retry
// after a timeout finishes the first one, with the same authorisation);
// a declined card leaves nothing behind.
func (s *Service) Apply(ctx context.Context, id int64, in ApplyRequest) (Application, error) {
	ps, err := s.taking(ctx, id, 0)
	if err != nil {
		return Application{}, err
	}
	if !ps.Takes(ChannelPage) {
		return Application{}, &sales.Error{Kind: sales.KindConflict, Code: "presale_channel", Message: "this presale takes applications only at the shop, from a verified account"}
	}
	a, err := s.application(ctx, ps, in)
	if err != nil {
		return Application{}, err
	}
	return s.submit(ctx, ps, a, in.CardToken)
}

// Known is a person whose document was checked and keyed already (an
// account's verified identity): its key, type, masked number and name.
type Known struct {
	IDKey, GateTag, DocType, DocMasked, Name string
}

// KnownApply is an application by a logged-in account: its verified owner
// applies, naming its verified people as holders.
type KnownApply struct {
	Applicant Known
	Holders   []Known
	Quantity  int
	CardToken string
	Phone     string
	Lang      string
}

// ApplyKnown is Apply for an account of tenant tenantID (the presale must
// be its shop's).
func (s *Service) ApplyKnown(ctx context.Context, id, tenantID int64, in KnownApply) (Application, error) {
	ps, err := s.taking(ctx, id, tenantID)
	if err == nil && !ps.Takes(ChannelShop) {
		err = &sales.Error{Kind: sales.KindConflict, Code: "presale_channel", Message: "this presale takes applications only on its public page"}
	}
	if err != nil {
		return Application{}, err
	}
	a, err := s.build(ps, in.Applicant, in.Holders, ApplyRequest{Quantity: in.Quantity, CardToken: in.CardToken, Phone: in.Phone, Lang: in.Lang}, nil)
	if err != nil {
		return Application{}, err
	}
	return s.submit(ctx, ps, a, in.CardToken)
}

// taking returns a presale taking applications now (of tenantID, when
// non-zero).
func (s *Service) taking(ctx context.Context, id, tenantID int64) (Presale, error) {
	ps, _, err := s.st.GetPresale(ctx, id)
	if err == nil && tenantID != 0 && ps.TenantID != tenantID {
		err = ErrNotFound
	}
	if err != nil {
		return Presale{}, s.notFound(err)
	}
	if err := ps.CanApply(s.now()); err != nil {
		return Presale{}, &sales.Error{Kind: sales.KindConflict, Code: "presale_closed", Message: strings.TrimPrefix(err.Error(), "presale: ")}
	}
	return ps, nil
}

// submit records an application and authorises its card. The same person
// applying again is told of the application they have (a retry after a
// timeout finishes the first one, with the same authorisation); a
// declined card leaves nothing behind.
func (s *Service) submit(ctx context.Context, ps Presale, a Application, token string) (Application, error) {
	stored, err := s.st.InsertApplication(ctx, a)
	if errors.Is(err, ErrDuplicate) {
		prev, gerr := s.st.ApplicationByPerson(ctx, ps.ID, a.PersonKey)
		if gerr != nil {
			return Application{}, gerr
		}
		if prev.State != Pending {
			return Application{}, &sales.Error{Kind: sales.KindConflict, Code: "already_applied",
				Message: "this person has applied to this presale already (application " + prev.Ref + ")"}
		}
		stored = prev // a retry: finish it with its own key
	} else if err != nil {
		return Application{}, err
	}
	return s.authorise(ctx, ps, stored, token)
}

// application checks a request's documents and makes the application
// it asks for.
func (s *Service) application(ctx context.Context, ps Presale, in ApplyRequest) (Application, error) {
	now := s.now()
	var fe []FieldError
	person := func(field string, p Person) Known {
		d, err := identity.Parse(p.DocType, p.DocNumber, now)
		if err != nil {
			fe = append(fe, FieldError{field + ".doc_number", err.Error()})
			return Known{}
		}
		k, tag, err := s.sales.DocumentKeys(ctx, ps.TenantID, d)
		if err != nil {
			fe = append(fe, FieldError{field + ".doc_number", err.Error()})
			return Known{}
		}
		return Known{IDKey: k, GateTag: tag, DocType: string(d.Type), DocMasked: d.Masked(), Name: strings.TrimSpace(p.Name)}
	}
	applicant := person("applicant", in.Applicant)
	var holders []Known
	for i, h := range in.Holders {
		holders = append(holders, person("holders["+strconv.Itoa(i)+"]", h))
	}
	return s.build(ps, applicant, holders, in, fe)
}

// build checks an application's terms against the presale's and makes it.
func (s *Service) build(ps Presale, applicant Known, holders []Known, in ApplyRequest, fe []FieldError) (Application, error) {
	now := s.now()
	if applicant.Name == "" || len(applicant.Name) > MaxName {
		fe = append(fe, FieldError{"applicant.name", fmt.Sprintf("1 to %d characters", MaxName)})
	}
	if in.Quantity < 1 || in.Quantity > ps.PerPerson {
		fe = append(fe, FieldError{"quantity", fmt.Sprintf("1 to %d tickets per person", ps.PerPerson)})
	}
	if in.CardToken == "" {
		fe = append(fe, FieldError{"card_token", "a card is authorised when applying"})
	}
	phone := strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
	if phone != "" && !validPhone(phone) {
		fe = append(fe, FieldError{"phone", "6 to 20 digits, a leading + allowed"})
	}
	lang := in.Lang
	switch lang {
	case "":
		lang = "zh"
	case "zh", "en":
	default:
		fe = append(fe, FieldError{"lang", "zh or en"})
	}
	var named []Holder
	switch {
	case !ps.Named && len(holders) > 0:
		fe = append(fe, FieldError{"holders", "this presale does not name holders"})
	case ps.Named && len(holders) != in.Quantity:
		fe = append(fe, FieldError{"holders", "name one holder per ticket"})
	case ps.Named:
		seen := map[string]bool{}
		for i, h := range holders {
			if h.IDKey == "" {
				continue // its document was refused above
			}
			if seen[h.IDKey] {
				fe = append(fe, FieldError{"holders[" + strconv.Itoa(i) + "].doc_number", "named twice"})
			}
			seen[h.IDKey] = true
			named = append(named, Holder{DocType: h.DocType, DocMasked: h.DocMasked, IDKey: h.IDKey, GateTag: h.GateTag})
		}
	}
	if len(fe) > 0 {
		return Application{}, invalid("invalid_application", "the application cannot be made", fe)
	}
	ref := make([]byte, 8)
	if _, err := rand.Read(ref); err != nil {
		return Application{}, fmt.Errorf("presale: application ref: %w", err)
	}
	a := Application{PresaleID: ps.ID, Ref: "A" + strings.ToUpper(hex.EncodeToString(ref)), PersonKey: applicant.IDKey, DocMasked: applicant.DocMasked,
		Name: s.sales.SealText(applicant.Name), Phone: s.sales.SealText(phone), Lang: lang, Quantity: in.Quantity, Holders: named, State: Pending,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	a.PaymentKey = "presale-" + strconv.FormatInt(ps.ID, 10) + "-" + a.Ref
	return a, nil
}

// authorise asks the provider to hold the application's amount and moves
// it to applied; a decline deletes it, an unknown outcome leaves it
// pending for the same person's retry (or the lock lapses it).
func (s *Service) authorise(ctx context.Context, ps Presale, a Application, token string) (Application, error) {
	pctx, cancel := context.WithTimeout(ctx, s.PaymentTimeout)
	defer cancel()
	res, err := s.pay.Authorise(pctx, payment.Request{OrderID: a.ID, AmountCents: a.AmountCents(ps), Currency: "CNY", Token: token, IdempotencyKey: a.PaymentKey})
	if err != nil {
		if errors.Is(err, payment.ErrInvalidRequest) || errors.Is(err, payment.ErrIdempotencyConflict) {
			return Application{}, &sales.Error{Kind: sales.KindPayment, Code: "payment_invalid", Message: err.Error()}
		}
		return Application{}, &sales.Error{Kind: sales.KindPayment, Code: "payment_timeout",
			Message: "the card authorisation did not answer in time; apply again with the same details to finish this application"}
	}
	if !res.Approved {
		if err := s.st.DeleteApplication(ctx, a.ID, Pending); err != nil && !errors.Is(err, ErrChanged) {
			return Application{}, err
		}
		return Application{}, &sales.Error{Kind: sales.KindPayment, Code: "payment_declined", Message: "the card was declined: " + res.DeclineReason}
	}
	a.State, a.AuthRef, a.UpdatedAt = Applied, res.Reference, s.now().UTC()
	if err := s.st.MoveApplication(ctx, a, Pending); err != nil {
		if errors.Is(err, ErrChanged) {
			// The same person's other request finished it first.
			if cur, gerr := s.st.ApplicationByPerson(ctx, ps.ID, a.PersonKey); gerr == nil && cur.State == Applied && cur.ID == a.ID {
				return s.open(cur)
			}
			// The presale locked while the card was being authorised:
			// the application lapsed and its authorisation is voided by
			// the settlement job.
			return Application{}, &sales.Error{Kind: sales.KindConflict, Code: "presale_closed", Message: "the presale closed before the card was authorised; the authorisation is released"}
		}
		return Application{}, err
	}
	return s.open(a)
}

// validPhone: 6 to 20 digits, a leading + allowed.
func validPhone(p string) bool {
	p = strings.TrimPrefix(p, "+")
	if len(p) < 6 || len(p) > 20 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// open shows an application to its applicant: name and phone unsealed.
func (s *Service) open(a Application) (Application, error) {
	n, err := s.sales.OpenText(a.Name)
	if err == nil {
		a.Phone, err = s.sales.OpenText(a.Phone)
	}
	if err != nil {
		return Application{}, fmt.Errorf("application %s: %w", a.Ref, err)
	}
	a.Name = n
	return a, nil
}

// notifyDrawn tells every applicant in a drawn presale's list whether
// they won, once: the notices' keys make a repeat after a crash harmless.
func (s *Service) notifyDrawn(ctx context.Context) error {
	if s.Notify == nil {
		return nil
	}
	ps, err := s.st.ToNotify(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		apps, err := s.st.Applications(ctx, p.ID)
		if err != nil {
			return err
		}
		var ns []Notice
		for _, a := range apps {
			if !a.InDraw {
				continue
			}
			phone, err := s.sales.OpenText(a.Phone)
			if err != nil {
				return fmt.Errorf("application %s: %w", a.Ref, err)
			}
			if phone == "" {
				continue
			}
			n := Notice{TenantID: p.TenantID, Phone: phone, Lang: a.Lang, Template: "presale.lost", Key: noticeKey(p.ID, a.Ref, "lost"),
				Vars: map[string]string{"org": s.Org, "presale": p.Name, "ref": a.Ref}}
			if a.Rank > 0 {
				n.Template, n.Key = "presale.won", noticeKey(p.ID, a.Ref, "won")
				n.Vars["quantity"] = strconv.Itoa(a.Quantity)
				n.Vars["amount"] = money(a.AmountCents(p))
			}
			ns = append(ns, n)
		}
		if err := s.Notify(ctx, ns); err != nil {
			return fmt.Errorf("presale %d: notify: %w", p.ID, err)
		}
		if err := s.st.SetNotified(ctx, p.ID); err != nil {
			return err
		}
	}
	return nil
}

func noticeKey(id int64, ref, what string) string {
	return "presale/" + strconv.FormatInt(id, 10) + "/" + ref + "/" + what
}

func money(cents int64) string { return fmt.Sprintf("¥%d.%02d", cents/100, cents%100) }

// Lock closes the list for the draw, once the presale has closed.
func (s *Service) Lock(ctx context.Context, p sales.Principal, id int64) (Presale, error) {
	ps, err := s.manage(ctx, p, id)
	if err != nil {
		return Presale{}, err
	}
	if err := ps.CanLock(s.now()); err != nil {
		return Presale{}, conflict(err)
	}
	e := audit.Entry{At: s.now().UTC(), TenantID: ps.TenantID, VenueID: ps.VenueID, Actor: p.Actor(), Action: "presale.lock"}
	out, err := s.st.Lock(ctx, id, func(apps []Application) string { return lottery.ListHash(List(ps, apps)) }, e)
	if errors.Is(err, ErrChanged) {
		return Presale{}, conflict(fmt.Errorf("%w: locked by someone else meanwhile", ErrState))
	}
	return out, err
}

// Draw runs the draw of a locked presale and publishes its seed.
func (s *Service) Draw(ctx context.Context, p sales.Principal, id int64) (Presale, error) {
	ps, err := s.manage(ctx, p, id)
	if err != nil {
		return Presale{}, err
	}
	if ps.State != Locked {
		return Presale{}, conflict(fmt.Errorf("%w: the presale is %s; only a locked one is drawn", ErrState, ps.State))
	}
	_, sealed, err := s.st.GetPresale(ctx, id)
	if err != nil {
		return Presale{}, err
	}
	seedHex, err := s.sales.OpenText(sealed)
	if err != nil {
		return Presale{}, fmt.Errorf("presale %d: the seed: %w", id, err)
	}
	seed, err := hex.DecodeString(seedHex)
	if err != nil || lottery.Commit(seed) != ps.Commitment {
		return Presale{}, fmt.Errorf("presale %d: the stored seed does not match its commitment", id)
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return Presale{}, err
	}
	list := List(ps, apps)
	if h := lottery.ListHash(list); h != ps.ListHash {
		return Presale{}, fmt.Errorf("presale %d: the locked list changed (hash %s, locked %s)", id, h, ps.ListHash)
	}
	res, err := lottery.Draw(seed, []lottery.Pool{ps.Pool()}, list)
	if err != nil {
		return Presale{}, fmt.Errorf("presale %d: %w", id, err)
	}
	pr := res.Pools[0]
	out := Outcome(pr, apps)
	moved := make([]Application, 0, len(out))
	for _, a := range out {
		a.UpdatedAt = s.now().UTC()
		moved = append(moved, a)
	}
	ps.State, ps.Seed, ps.Result = Drawn, seedHex, &pr
	after, _ := json.Marshal(map[string]any{"winners": len(pr.Winners), "awarded": pr.Awarded, "applications": pr.Applications, "list_hash": ps.ListHash})
	e := audit.Entry{At: s.now().UTC(), TenantID: ps.TenantID, VenueID: ps.VenueID, Actor: p.Actor(), Action: "presale.draw", After: after}
	if err := s.st.RecordDraw(ctx, ps, moved, e); err != nil {
		if errors.Is(err, ErrChanged) {
			return Presale{}, conflict(fmt.Errorf("%w: drawn by someone else meanwhile", ErrState))
		}
		return Presale{}, err
	}
	// Tell the applicants now; if this fails the sweep tells them later.
	if err := s.notifyDrawn(ctx); err != nil {
		s.log.Warn("tell a presale's applicants", "presale", id, "err", err)
	}
	return ps, nil
}

// Published is what anyone may download to check a draw: the pool, the
// locked list and the result (lottery.Result, with the seed once drawn).
type Published struct {
	Pools        []lottery.Pool
	Applications []lottery.Application
	Result       *lottery.Result // nil until drawn
}

// Publish returns a locked or drawn presale's files.
func (s *Service) Publish(ctx context.Context, id int64) (Published, error) {
	ps, _, err := s.st.GetPresale(ctx, id)
	if err != nil {
		return Published{}, s.notFound(err)
	}
	if ps.State == Open {
		return Published{}, conflict(fmt.Errorf("%w: the list is published once locked", ErrState))
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return Published{}, err
	}
	out := Published{Pools: []lottery.Pool{ps.Pool()}, Applications: List(ps, apps)}
	if ps.Result != nil {
		out.Result = &lottery.Result{Commitment: ps.Commitment, ListHash: ps.ListHash, Seed: ps.Seed, Pools: []lottery.PoolResult{*ps.Result}}
	}
	return out, nil
}

// SettleCounts is what one settlement pass did.
type SettleCounts struct {
	Captured int `json:"captured"`
	Failed   int `json:"capture_failed"`
	Voided   int `json:"voided"`
	Left     int `json:"left"` // still to do (the provider did not answer)
}

// Settle captures a drawn presale's winners and voids its losers' and
// lapsed applications' authorisations, each application once: its state
// moves only after the provider answered, and the provider's keys make a
// repeat after a crash harmless. When nothing is left the presale is
// settled.
func (s *Service) Settle(ctx context.Context, id int64) (SettleCounts, error) {
	var c SettleCounts
	ps, _, err := s.st.GetPresale(ctx, id)
	if err != nil {
		return c, s.notFound(err)
	}
	if ps.State != Drawn {
		if ps.State == Settled {
			return c, nil
		}
		return c, conflict(fmt.Errorf("%w: the presale is %s; only a drawn one is settled", ErrState, ps.State))
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return c, err
	}
	var errs []error
	for _, a := range apps {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		var err error
		switch a.State {
		case Won:
			err = s.capture(ctx, ps, a, &c)
		case Lost, Lapsed:
			err = s.void(ctx, a, &c)
		default:
			continue
		}
		if err != nil {
			c.Left++
			if len(errs) < 3 { // a provider that is down fails them all: the first few say why
				errs = append(errs, err)
			}
		}
	}
	if c.Left > 0 {
		return c, fmt.Errorf("presale %d: %d applications left to settle, the first: %w", id, c.Left, errors.Join(errs...))
	}
	if err := s.st.SetState(ctx, id, Drawn, Settled); err != nil {
		if errors.Is(err, ErrChanged) {
			return c, nil // another process settled it, and tells the winners
		}
		return c, err
	}
	ps.State = Settled
	if err := s.notifyChoice(ctx, ps); err != nil {
		// The seats are assigned after the window all the same.
		s.log.Warn("tell presale winners to choose their seats", "presale", id, "err", err)
	}
	return c, nil
}

func (s *Service) capture(ctx context.Context, ps Presale, a Application, c *SettleCounts) error {
	pctx, cancel := context.WithTimeout(ctx, s.PaymentTimeout)
	defer cancel()
	from := a.State
	_, err := s.pay.Capture(pctx, a.PaymentKey, a.AmountCents(ps))
	switch {
	case err == nil:
		a.State = Captured
		c.Captured++
	case errors.Is(err, payment.ErrNotAuthorised), errors.Is(err, payment.ErrVoided), errors.Is(err, payment.ErrOverCapture),
		errors.Is(err, payment.ErrIdempotencyConflict):
		// The provider's final word: these tickets are not paid for.
		a.State, a.Reason = CaptureFailed, err.Error()
		c.Failed++
	default: // no answer: the next pass asks again under the same key
		return fmt.Errorf("capture %s: %w", a.Ref, err)
	}
	a.UpdatedAt = s.now().UTC()
	if err := s.st.MoveApplication(ctx, a, from); err != nil && !errors.Is(err, ErrChanged) {
		return err
	}
	return nil
}

func (s *Service) void(ctx context.Context, a Application, c *SettleCounts) error {
	pctx, cancel := context.WithTimeout(ctx, s.PaymentTimeout)
	defer cancel()
	from := a.State
	if err := s.pay.Void(pctx, a.PaymentKey); err != nil {
		return fmt.Errorf("void %s: %w", a.Ref, err)
	}
	a.State, a.UpdatedAt = Voided, s.now().UTC()
	if err := s.st.MoveApplication(ctx, a, from); err != nil && !errors.Is(err, ErrChanged) {
		return err
	}
	c.Voided++
	return nil
}

// AssignCounts is what one assignment pass did.
type AssignCounts struct {
	Issued  int `json:"issued"`
	Tickets int `json:"tickets"`
	Failed  int `json:"issue_failed"`
	Left    int `json:"left"` // to try again (a seat was taken meanwhile)
}

// Assign gives the settled presale's captured winners who have no tickets
// yet their seats, in draw order (lottery.Match: a party together in the
// best row that still seats it, best seats first), and issues their
// tickets, paid by the capture. Run again, it goes on where it stopped: a
// winner's order is keyed by its payment, so a crash between the order
// and its record here finds the same order.
func (s *Service) Assign(ctx context.Context, p sales.Principal, id int64) (AssignCounts, error) {
	var c AssignCounts
	ps, err := s.manage(ctx, p, id)
	if err != nil {
		return c, err
	}
	if ps.State != Settled {
		return c, conflict(fmt.Errorf("%w: the presale is %s; seats are given once it is settled", ErrState, ps.State))
	}
	if ps.Choosing(s.now()) {
		return c, conflict(fmt.Errorf("%w: winners choose their seats until %s; the rest are assigned after", ErrState, ps.ChoiceUntil.UTC().Format(time.RFC3339)))
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return c, err
	}
	var winners []lottery.Winner
	byRef := map[string]Application{}
	for _, a := range apps {
		if a.State == Captured {
			winners = append(winners, lottery.Winner{ID: a.Ref, Quantity: a.Quantity, Rank: a.Rank})
			byRef[a.Ref] = a
		}
	}
	if len(winners) == 0 {
		return c, nil
	}
	slices.SortFunc(winners, func(a, b lottery.Winner) int { return a.Rank - b.Rank })
	seats, err := s.freeSeats(ctx, p, ps)
	if err != nil {
		return c, err
	}
	match, err := lottery.Match(winners, seats)
	if err != nil {
		return c, conflict(fmt.Errorf("%w: %w", ErrState, err))
	}
	for _, w := range winners {
		a, o, err := s.issue(ctx, p, ps, byRef[w.ID], match[w.ID])
		switch {
		case errors.Is(err, errSeatsGone):
			c.Left++ // a seat went meanwhile: the next pass matches again
		case err != nil:
			return c, err
		case a.State == Issued:
			c.Issued++
			c.Tickets += len(o.Tickets)
		default:
			c.Failed++
		}
	}
	return c, nil
}

// errSeatsGone: a seat given to a winner was taken meanwhile.
var errSeatsGone = errors.New("presale: a seat was taken meanwhile")

// issue issues a captured winner's tickets on seats ids, paid by the
// capture, and records the application issued (or failed, when a holder
// cannot hold the ticket); errSeatsGone leaves it to be given again.
func (s *Service) issue(ctx context.Context, p sales.Principal, ps Presale, a Application, ids []int64) (Application, sales.Order, error) {
	name, err := s.sales.OpenText(a.Name)
	if err != nil {
		return a, sales.Order{}, fmt.Errorf("application %s: the name: %w", a.Ref, err)
	}
	in := sales.Prepaid{SessionID: ps.SessionID, SeatIDs: ids, CustomerName: name, Reference: a.AuthRef, Key: a.PaymentKey}
	for i, h := range a.Holders {
		in.Holders = append(in.Holders, sales.OrderHolder{SeatID: ids[i], DocType: identity.Type(h.DocType), DocMasked: h.DocMasked, IDKey: h.IDKey, GateTag: h.GateTag})
	}
	o, err := s.sales.IssuePrepaid(ctx, p, in)
	var se *sales.Error
	switch {
	case err == nil:
		a.State, a.OrderID = Issued, o.ID
	case errors.As(err, &se) && (strings.HasPrefix(se.Code, "holder") || se.Code == "invalid_holders"):
		a.State, a.Reason = IssueFailed, se.Message
	case errors.As(err, &se) && se.Kind == sales.KindConflict:
		return a, o, fmt.Errorf("%w: %s", errSeatsGone, se.Message)
	default:
		return a, o, fmt.Errorf("application %s: %w", a.Ref, err)
	}
	a.UpdatedAt = s.now().UTC()
	if err := s.st.MoveApplication(ctx, a, Captured); err != nil && !errors.Is(err, ErrChanged) {
		return a, o, err
	}
	if a.State == Issued {
		s.notifyIssued(ctx, ps, a, o)
	}
	return a, o, nil
}

// notifyIssued tells a winner of their tickets; a notice lost to a crash
// here is not sent again (the order, which matters, is not lost).
func (s *Service) notifyIssued(ctx context.Context, ps Presale, a Application, o sales.Order) {
	if s.Notify == nil {
		return
	}
	phone, err := s.sales.OpenText(a.Phone)
	if err != nil || phone == "" {
		return
	}
	labels := make([]string, len(o.Seats))
	for i, st := range o.Seats {
		labels[i] = st.Label
	}
	n := Notice{TenantID: ps.TenantID, Phone: phone, Lang: a.Lang, Template: "tickets.issued", Key: noticeKey(ps.ID, a.Ref, "issued"),
		Vars: map[string]string{"org": s.Org, "quantity": strconv.Itoa(len(o.Tickets)), "seats": strings.Join(labels, ", "), "pickup": o.PickupCode}}
	if err := s.Notify(ctx, []Notice{n}); err != nil {
		s.log.Warn("tell a presale winner of their tickets", "presale", ps.ID, "application", a.Ref, "err", err)
	}
}

// freeSeats are the presale's level's seats anyone could buy now, ranked
// front rows first and, in a row, from its middle out.
func (s *Service) freeSeats(ctx context.Context, p sales.Principal, ps Presale) ([]lottery.Seat, error) {
	all, err := s.sales.SessionSeats(ctx, p, ps.SessionID)
	if err != nil {
		return nil, err
	}
	type span struct{ lo, hi int }
	rows := map[string]span{}
	for _, st := range all {
		k := st.Section + "\x00" + st.Row
		r, ok := rows[k]
		if !ok {
			r = span{st.Col, st.Col}
		}
		r.lo, r.hi = min(r.lo, st.Col), max(r.hi, st.Col)
		rows[k] = r
	}
	now := s.now()
	var out []lottery.Seat
	for _, st := range all {
		if st.TierID != ps.TierID || st.Status != sales.SeatAvailable || !st.Sellable(now, "") {
			continue
		}
		r := rows[st.Section+"\x00"+st.Row]
		mid := float64(r.lo+r.hi) / 2
		d := float64(st.Col) - mid
		out = append(out, lottery.Seat{ID: st.SeatID, Section: st.Section, Row: st.RowNo, Col: st.Col, Score: float64(st.RowNo)*1000 + d*d})
	}
	return out, nil
}

// SettleNow is Settle at a manager's request.
func (s *Service) SettleNow(ctx context.Context, p sales.Principal, id int64) (SettleCounts, error) {
	if _, err := s.manage(ctx, p, id); err != nil {
		return SettleCounts{}, err
	}
	return s.Settle(ctx, id)
}

// SettleAll settles every drawn presale; the server runs it in the
// background, so a restart halfway through picks up where it stopped.
func (s *Service) SettleAll(ctx context.Context) error {
	ps, err := s.st.PresalesIn(ctx, Drawn)
	if err != nil {
		return err
	}
	var errs []error
	if err := s.notifyDrawn(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, p := range ps {
		c, err := s.Settle(ctx, p.ID)
		if c.Captured+c.Failed+c.Voided > 0 {
			s.log.Info("presale settled", "presale", p.ID, "captured", c.Captured, "capture_failed", c.Failed, "voided", c.Voided, "left", c.Left)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// manage returns a presale the caller may run.
func (s *Service) manage(ctx context.Context, p sales.Principal, id int64) (Presale, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return Presale{}, forbidden()
	}
	ps, _, err := s.st.GetPresale(ctx, id)
	if err != nil {
		return Presale{}, s.notFound(err)
	}
	if (p.TenantID != 0 && ps.TenantID != p.TenantID) || !p.SeesVenue(ps.VenueID) {
		return Presale{}, s.notFound(ErrNotFound)
	}
	return ps, nil
}

// Applications lists a presale's applications for its managers, names
// shown masked.
func (s *Service) Applications(ctx context.Context, p sales.Principal, id int64) ([]Application, error) {
	if _, err := s.manage(ctx, p, id); err != nil {
		return nil, err
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range apps {
		n, err := s.sales.OpenText(apps[i].Name)
		if err != nil {
			return nil, fmt.Errorf("application %s: the name: %w", apps[i].Ref, err)
		}
		apps[i].Name = sales.MaskName(n)
	}
	if apps == nil {
		apps = []Application{}
	}
	return apps, nil
}

func (s *Service) notFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return &sales.Error{Kind: sales.KindNotFound, Code: "not_found", Message: "no such presale"}
	}
	return err
}

func forbidden() error {
	return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "your role may not run presales"}
}

func conflict(err error) error {
	return &sales.Error{Kind: sales.KindConflict, Code: "presale_state", Message: strings.TrimPrefix(err.Error(), "presale: ")}
}

func invalid(code, msg string, fe []FieldError) error {
	e := &sales.Error{Kind: sales.KindInvalid, Code: code, Message: msg}
	for _, f := range fe {
		e.Fields = append(e.Fields, sales.FieldError{Field: f.Field, Message: f.Message})
	}
	return e
}
