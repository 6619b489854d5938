package agency

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// Store keeps agencies and their keys; each change is recorded with its
// audit entry in one transaction.
type Store interface {
	// InsertAgency: a code the tenant already uses is ErrDuplicate.
	InsertAgency(ctx context.Context, a Agency, e audit.Entry) (Agency, error)
	UpdateAgency(ctx context.Context, a Agency, e audit.Entry) error
	// Agency is ErrNotFound outside the tenant.
	Agency(ctx context.Context, tenantID, id int64) (Agency, error)
	// Agencies lists a tenant's agencies (tenantID 0: every tenant's).
	Agencies(ctx context.Context, tenantID int64) ([]Agency, error)
	InsertKey(ctx context.Context, k Key, hash string, e audit.Entry) (Key, error)
	// EndKey makes a key stop at at, unless it stops sooner already.
	EndKey(ctx context.Context, tenantID, agencyID, keyID int64, at time.Time, e audit.Entry) (Key, error)
	Keys(ctx context.Context, tenantID, agencyID int64) ([]Key, error)
	// KeyByPrefix is the key, its hash and its agency, in one read
	// (ErrNotFound).
	KeyByPrefix(ctx context.Context, prefix string) (Key, string, Agency, error)
}

var (
	ErrNotFound  = errors.New("agency: not found")
	ErrDuplicate = errors.New("agency: code taken")
)

// Sales is the sales service as agencies use it.
type Sales interface {
	IssuePrepaid(ctx context.Context, p sales.Principal, in sales.Prepaid) (sales.Order, error)
	PrepaidOrder(ctx context.Context, p sales.Principal, key string) (sales.Order, bool, error)
	GetOrder(ctx context.Context, p sales.Principal, id int64) (sales.Order, error)
	RequestRefundOnce(ctx context.Context, p sales.Principal, in sales.RefundInput, key string) (sales.RefundRequest, bool, error)
	GetSession(ctx context.Context, p sales.Principal, id int64) (sales.Session, error)
	ListSessions(ctx context.Context, p sales.Principal, f sales.SessionFilter) ([]sales.Session, error)
	Prices(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.PriceTier, error)
	AvailabilityJSON(ctx context.Context, p sales.Principal, sessionID int64) ([]byte, error)
}

// Service runs agencies: the organiser's side (agencies, keys) and the
// agency's (authenticate, sell, read its orders).
type Service struct {
	st    Store
	sales Sales
	now   func() time.Time

	mu     sync.Mutex
	limits map[int64]*rate.Limiter // by key id
}

// New returns a Service.
func New(st Store, s Sales, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, sales: s, now: now, limits: map[int64]*rate.Limiter{}}
}

// MaxGrace bounds how long a rotated key keeps working beside its successor.
const MaxGrace = 7 * 24 * time.Hour

func manage(p sales.Principal) error {
	if !auth.Can(p.Role, auth.ManageUsers) || p.TenantID == 0 {
		return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "only the organiser's admin manages agencies"}
	}
	return nil
}

func invalid(code, msg string, ps []Problem) error {
	e := &sales.Error{Kind: sales.KindInvalid, Code: code, Message: msg}
	for _, p := range ps {
		e.Fields = append(e.Fields, sales.FieldError{Field: p.Field, Message: p.Message})
	}
	return e
}

func (s *Service) notFound(err error, what string) error {
	if errors.Is(err, ErrNotFound) {
		return sales.NotFound(what)
	}
	return err
}

// Create adds an agency to the caller's tenant.
func (s *Service) Create(ctx context.Context, p sales.Principal, a Agency) (Agency, error) {
	if err := manage(p); err != nil {
		return Agency{}, err
	}
	if a.RatePerSecond == 0 {
		a.RatePerSecond = DefaultRate
	}
	a.Name = strings.TrimSpace(a.Name)
	if ps := a.Validate(); len(ps) > 0 {
		return Agency{}, invalid("invalid_agency", "the agency cannot be saved", ps)
	}
	a.ID, a.TenantID, a.CreatedAt = 0, p.TenantID, s.now().UTC()
	e := audit.Entry{At: a.CreatedAt, TenantID: p.TenantID, Actor: p.Actor(), Action: "agency.create", After: audit.Value(a)}
	out, err := s.st.InsertAgency(ctx, a, e)
	if errors.Is(err, ErrDuplicate) {
		return Agency{}, sales.Conflict("code_taken", "another agency has that code")
	}
	return out, err
}

// Update changes an agency's name, terms, rate or whether it may sell.
func (s *Service) Update(ctx context.Context, p sales.Principal, a Agency) (Agency, error) {
	if err := manage(p); err != nil {
		return Agency{}, err
	}
	cur, err := s.st.Agency(ctx, p.TenantID, a.ID)
	if err != nil {
		return Agency{}, s.notFound(err, "agency")
	}
	a.Name = strings.TrimSpace(a.Name)
	a.TenantID, a.CreatedAt, a.Code = cur.TenantID, cur.CreatedAt, cur.Code
	if a.RatePerSecond == 0 {
		a.RatePerSecond = cur.RatePerSecond
	}
	if ps := a.Validate(); len(ps) > 0 {
		return Agency{}, invalid("invalid_agency", "the agency cannot be saved", ps)
	}
	e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "agency.update", Before: audit.Value(cur), After: audit.Value(a)}
	if err := s.st.UpdateAgency(ctx, a, e); err != nil {
		return Agency{}, err
	}
	s.forgetLimits()
	return a, nil
}

// List lists the caller's tenant's agencies.
func (s *Service) List(ctx context.Context, p sales.Principal) ([]Agency, error) {
	if err := manage(p); err != nil {
		return nil, err
	}
	return s.st.Agencies(ctx, p.TenantID)
}

// Get shows one agency of the caller's tenant.
func (s *Service) Get(ctx context.Context, p sales.Principal, id int64) (Agency, error) {
	if err := manage(p); err != nil {
		return Agency{}, err
	}
	a, err := s.st.Agency(ctx, p.TenantID, id)
	return a, s.notFound(err, "agency")
}

// NewKey is a key just made: the only time its token is shown.
type NewKey struct {
	Key   Key    `json:"key"`
	Token string `json:"token"`
}

// IssueKey makes a key for an agency.
func (s *Service) IssueKey(ctx context.Context, p sales.Principal, agencyID int64, label string) (NewKey, error) {
	if _, err := s.Get(ctx, p, agencyID); err != nil {
		return NewKey{}, err
	}
	label = strings.TrimSpace(label)
	if len([]rune(label)) > 60 {
		return NewKey{}, invalid("invalid_key", "the key cannot be made", []Problem{{"label", "at most 60 characters"}})
	}
	prefix, token, hash := NewSecret()
	k := Key{AgencyID: agencyID, TenantID: p.TenantID, Prefix: prefix, Label: label, CreatedAt: s.now().UTC()}
	e := audit.Entry{At: k.CreatedAt, TenantID: p.TenantID, Actor: p.Actor(), Action: "agency.key.create", After: audit.Value(k)}
	k, err := s.st.InsertKey(ctx, k, hash, e)
	if err != nil {
		return NewKey{}, err
	}
	return NewKey{Key: k, Token: token}, nil
}

// RotateKey makes a successor to a key and ends the old one after grace
// (zero: at once), so the agency can switch without a gap.
func (s *Service) RotateKey(ctx context.Context, p sales.Principal, agencyID, keyID int64, grace time.Duration) (NewKey, error) {
	if grace < 0 || grace > MaxGrace {
		return NewKey{}, invalid("invalid_grace", "the key cannot be rotated", []Problem{{"grace_hours", fmt.Sprintf("0-%d", int(MaxGrace.Hours()))}})
	}
	old, err := s.key(ctx, p, agencyID, keyID)
	if err != nil {
		return NewKey{}, err
	}
	if !old.Active(s.now()) {
		return NewKey{}, sales.Conflict("key_ended", "the key no longer works; make a new one")
	}
	nk, err := s.IssueKey(ctx, p, agencyID, old.Label)
	if err != nil {
		return NewKey{}, err
	}
	at := s.now().Add(grace).UTC()
	e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "agency.key.rotate", Before: audit.Value(old),
		After: audit.Value(map[string]any{"ends_at": at, "successor": nk.Key.ID})}
	if _, err := s.st.EndKey(ctx, p.TenantID, agencyID, keyID, at, e); err != nil {
		return NewKey{}, err
	}
	return nk, nil
}

// RevokeKey ends a key at once: its next request is refused.
func (s *Service) RevokeKey(ctx context.Context, p sales.Principal, agencyID, keyID int64) (Key, error) {
	old, err := s.key(ctx, p, agencyID, keyID)
	if err != nil {
		return Key{}, err
	}
	now := s.now().UTC()
	e := audit.Entry{At: now, TenantID: p.TenantID, Actor: p.Actor(), Action: "agency.key.revoke", Before: audit.Value(old), After: audit.Value(map[string]any{"ends_at": now})}
	return s.st.EndKey(ctx, p.TenantID, agencyID, keyID, now, e)
}

// Keys lists an agency's keys, current and ended.
func (s *Service) Keys(ctx context.Context, p sales.Principal, agencyID int64) ([]Key, error) {
	if _, err := s.Get(ctx, p, agencyID); err != nil {
		return nil, err
	}
	return s.st.Keys(ctx, p.TenantID, agencyID)
}

func (s *Service) key(ctx context.Context, p sales.Principal, agencyID, keyID int64) (Key, error) {
	ks, err := s.Keys(ctx, p, agencyID)
	if err != nil {
		return Key{}, err
	}
	for _, k := range ks {
		if k.ID == keyID {
			return k, nil
		}
	}
	return Key{}, sales.NotFound("key")
}

// Caller is an authenticated agency and the key it used.
type Caller struct {
	Agency Agency
	Key    Key
}

// Principal is the agency as the sales service sees it.
func (c Caller) Principal() sales.Principal {
	return sales.Principal{TenantID: c.Agency.TenantID, Role: auth.RoleAgency, Username: c.Agency.Party()}
}

// RateLimited is a request over its key's rate: retry after Wait.
type RateLimited struct{ Wait time.Duration }

func (e *RateLimited) Error() string { return "agency: rate limited" }

func unauthenticated(msg string) error {
	return &sales.Error{Kind: sales.KindUnauthenticated, Code: "bad_api_key", Message: msg}
}

// Authenticate checks a request's token against the store every time (a
// revoked key is refused at once, on every replica), then the key's rate.
func (s *Service) Authenticate(ctx context.Context, token string) (Caller, error) {
	prefix, err := ParseToken(token)
	if err != nil {
		return Caller{}, unauthenticated("send Authorization: Bearer <API key>; that is not a key")
	}
	k, hash, a, err := s.st.KeyByPrefix(ctx, prefix)
	if errors.Is(err, ErrNotFound) || (err == nil && !TokenMatches(token, hash)) {
		return Caller{}, unauthenticated("unknown API key")
	}
	if err != nil {
		return Caller{}, err
	}
	now := s.now()
	if !k.Active(now) {
		return Caller{}, unauthenticated("the API key was revoked or rotated out")
	}
	if !a.Enabled {
		return Caller{}, &sales.Error{Kind: sales.KindForbidden, Code: "agency_disabled", Message: "the organiser has disabled this agency"}
	}
	if r := s.reserve(k.ID, a.RatePerSecond, now); r > 0 {
		return Caller{}, &RateLimited{Wait: r}
	}
	return Caller{Agency: a, Key: k}, nil
}

// reserve takes a request from a key's allowance, or says how long to wait.
func (s *Service) reserve(keyID int64, perSecond int, now time.Time) time.Duration {
	s.mu.Lock()
	l := s.limits[keyID]
	if l == nil || l.Limit() != rate.Limit(perSecond) {
		l = rate.NewLimiter(rate.Limit(perSecond), 2*perSecond)
		s.limits[keyID] = l
	}
	s.mu.Unlock()
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

func (s *Service) forgetLimits() {
	s.mu.Lock()
	clear(s.limits)
	s.mu.Unlock()
}

// Session is a session as an agency sees it: its prices and its quota,
// not other parties'.
type Session struct {
	ID           int64             `json:"id"`
	EventID      int64             `json:"event_id"`
	VenueID      int64             `json:"venue_id"`
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       time.Time         `json:"ends_at"`
	Status       string            `json:"status"`
	MaxPerOrder  int               `json:"max_per_order"`
	Tiers        []sales.PriceTier `json:"tiers"`
	Quotas       []sales.Quota     `json:"quotas,omitempty"` // its own
	ChannelQuota []sales.Quota     `json:"channel_quotas,omitempty"`
}

// Sessions lists the sessions an agency may sell: not over, not cancelled.
func (s *Service) Sessions(ctx context.Context, c Caller) ([]Session, error) {
	p := c.Principal()
	all, err := s.sales.ListSessions(ctx, p, sales.SessionFilter{})
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []Session{}
	for _, ss := range all {
		if ss.Status == sales.SessionCancelled || !now.Before(ss.EndsAt) {
			continue
		}
		v, err := s.session(ctx, c, ss)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Session shows one session to an agency.
func (s *Service) Session(ctx context.Context, c Caller, id int64) (Session, error) {
	ss, err := s.sales.GetSession(ctx, c.Principal(), id)
	if err != nil {
		return Session{}, err
	}
	return s.session(ctx, c, ss)
}

func (s *Service) session(ctx context.Context, c Caller, ss sales.Session) (Session, error) {
	tiers, err := s.sales.Prices(ctx, c.Principal(), ss.ID)
	if err != nil {
		return Session{}, err
	}
	v := Session{ID: ss.ID, EventID: ss.EventID, VenueID: ss.VenueID, StartsAt: ss.StartsAt, EndsAt: ss.EndsAt, Status: string(ss.Status),
		MaxPerOrder: ss.MaxPerOrder, Tiers: tiers}
	for _, q := range ss.Quotas {
		switch {
		case q.Channel != sales.ChannelAgency:
		case q.Party == c.Agency.Party():
			v.Quotas = append(v.Quotas, q)
		case q.Party == "":
			v.ChannelQuota = append(v.ChannelQuota, q)
		}
	}
	return v, nil
}

// Availability is a session's live seat map (sales' JSON).
func (s *Service) Availability(ctx context.Context, c Caller, sessionID int64) ([]byte, error) {
	return s.sales.AvailabilityJSON(ctx, c.Principal(), sessionID)
}

// Order sells for an agency, once per idempotency key: asked again
// with the same key and the same request it answers the order made the
// first time (replayed true); with the same key and another request it
// is refused. The order is paid on the agency's word (MethodAgency).
func (s *Service) Order(ctx context.Context, c Caller, idemKey string, req OrderRequest) (sales.Order, bool, error) {
	if !ValidIdempotencyKey(idemKey) {
		return sales.Order{}, false, sales.Invalid("idempotency_key_required", "send an Idempotency-Key header (1-64 printable characters) with every order")
	}
	if len(req.Reference) > 64 {
		return sales.Order{}, false, invalid("invalid_order", "the order cannot be made", []Problem{{"reference", "at most 64 characters"}})
	}
	p := c.Principal()
	key := c.Agency.Party() + ":" + idemKey
	prev, ok, err := s.sales.PrepaidOrder(ctx, p, key)
	if err != nil {
		return sales.Order{}, false, err
	}
	if ok {
		return s.replay(req, prev)
	}
	in := sales.Prepaid{SessionID: req.SessionID, SeatIDs: req.SeatIDs, Count: req.Count, TierID: req.TierID, AllowSplit: req.AllowSplit,
		CustomerName: req.CustomerName, Reference: req.Reference, Key: key, Method: sales.MethodAgency, Channel: sales.ChannelAgency, Party: c.Agency.Party()}
	if len(req.Holders) > 0 {
		in.Documents = make([]sales.HolderRequest, len(req.Holders))
		for i, h := range req.Holders {
			in.Documents[i] = sales.HolderRequest{DocType: h.DocType, DocNumber: h.DocNumber, Name: h.Name}
		}
	}
	o, err := s.sales.IssuePrepaid(ctx, p, in)
	if err != nil {
		return sales.Order{}, false, err
	}
	// A racing retry may have made it: then it must be this request too.
	if _, _, err := s.replay(req, o); err != nil {
		return sales.Order{}, false, err
	}
	return o, false, nil
}

func (s *Service) replay(req OrderRequest, o sales.Order) (sales.Order, bool, error) {
	ids := make([]int64, len(o.Seats))
	for i, st := range o.Seats {
		ids[i] = st.SeatID
	}
	if !SameRequest(req, o.SessionID, ids, o.PaymentRef) {
		return sales.Order{}, false, sales.Conflict("idempotency_key_reused", fmt.Sprintf("that Idempotency-Key made order %d, for another request; use a new key for a new order", o.ID))
	}
	return o, true, nil
}

// GetOrder shows one of the agency's own orders (another party's is not found).
func (s *Service) GetOrder(ctx context.Context, c Caller, id int64) (sales.Order, error) {
	o, err := s.sales.GetOrder(ctx, c.Principal(), id)
	if err != nil {
		return sales.Order{}, err
	}
	if o.Party != c.Agency.Party() {
		return sales.Order{}, sales.NotFound("order")
	}
	return o, nil
}

// Partners are the agencies as settlement sees them (tenantID 0: every
// tenant's): each settled by its commission and service fee per ticket.
func (s *Service) Partners(ctx context.Context, tenantID int64) ([]settlement.Partner, error) {
	as, err := s.st.Agencies(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]settlement.Partner, len(as))
	for i, a := range as {
		out[i] = settlement.Partner{TenantID: a.TenantID, Party: a.Party(), Name: a.Name,
			Rule: settlement.Rule{CommissionBP: a.CommissionBP, FeePerTicketCents: a.ServiceFeeCents}}
	}
	return out, nil
}

// RefundRequest is an agency asking to refund tickets of one of its
// orders (none named: all its valid ones).
type RefundRequest struct {
	TicketIDs []int64 `json:"ticket_ids,omitempty"`
	Reason    string  `json:"reason"`
}

// Refund asks the organiser to refund tickets of one of the agency's
// orders, once per idempotency key: a retry with the key is answered the
// same request (replayed). The organiser approves it; the agency pays its
// buyer back, and settlement deducts the refund. One request per order
// waits at a time: another key asking meanwhile is refund_pending.
func (s *Service) Refund(ctx context.Context, c Caller, orderID int64, idemKey string, in RefundRequest) (sales.RefundRequest, bool, error) {
	if !ValidIdempotencyKey(idemKey) {
		return sales.RefundRequest{}, false, sales.Invalid("idempotency_key_required", "send an Idempotency-Key header (1-64 printable characters) with every write")
	}
	if _, err := s.GetOrder(ctx, c, orderID); err != nil {
		return sales.RefundRequest{}, false, err
	}
	return s.sales.RequestRefundOnce(ctx, c.Principal(), sales.RefundInput{OrderID: orderID, TicketIDs: in.TicketIDs, Reason: in.Reason},
		c.Agency.Party()+":"+idemKey)
}
