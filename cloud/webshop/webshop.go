// Package webshop is buying at the public shop (event plan §6.1.7,
// §6.1.10(1)): a logged-in account holds seats on the web channel, names
// a verified person of the account for each seat of a real-name session,
// pays by card through the payment provider, and sees its orders with
// each ticket's QR code and the order's pickup code for the kiosk. Every
// rule of a sale is the sales service's (quotas, per-person limits, one
// ID per session, the payment's idempotency); this package acts for the
// account with the shop's own role and remembers whose order is whose.
package webshop

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/sales"
)

// Store remembers which account made which order.
type Store interface {
	AddOrder(ctx context.Context, accountID, orderID int64, at time.Time) error
	Orders(ctx context.Context, accountID int64, limit int) ([]int64, error)
	// Owner is the account an order was made by (a sales not-found error
	// for an order the shop did not make).
	Owner(ctx context.Context, orderID int64) (int64, error)
	// DueReminders lists the shop's paid orders whose session starts in
	// (from, to].
	DueReminders(ctx context.Context, from, to time.Time, limit int) ([]Reminder, error)
	// AddAlert remembers that an account asked to be told when a session
	// goes on sale (once: asking again changes nothing).
	AddAlert(ctx context.Context, sessionID, accountID int64, at time.Time) error
	// DueAlerts lists the alerts of sessions whose sale opened in (from, to].
	DueAlerts(ctx context.Context, from, to time.Time, limit int) ([]Alert, error)
}

// Alert is an account to tell that a session's sale has opened.
type Alert struct {
	SessionID, AccountID, TenantID, EventID int64
	OnSaleAt, StartsAt                      time.Time
	Event, Timezone, Tenant                 string
}

// Reminder is a paid shop order whose session starts soon.
type Reminder struct {
	OrderID, AccountID, TenantID int64
	StartsAt                     time.Time
	Event, Timezone              string
}

// Queuer queues messages (cloud/messages).
type Queuer interface {
	Queue(ctx context.Context, rs []messages.Request) (int, error)
}

// ReminderLead is how long before its session an order is reminded.
const ReminderLead = 24 * time.Hour

// AlertWindow is how long after a sale opens its alerts are still sent
// (a cloud that was down at the moment catches up within it).
const AlertWindow = time.Hour

// Sales is the sales service as the shop uses it.
type Sales interface {
	HoldSeats(ctx context.Context, p sales.Principal, in sales.HoldRequest) (sales.Hold, error)
	ReleaseHold(ctx context.Context, p sales.Principal, id int64) (sales.Hold, error)
	ConfirmNamed(ctx context.Context, p sales.Principal, in sales.OrderRequest, holders []sales.OrderHolder) (sales.Order, error)
	PayOrder(ctx context.Context, p sales.Principal, orderID int64, in sales.PaymentRequest) (sales.Order, error)
	GetOrder(ctx context.Context, p sales.Principal, id int64) (sales.Order, error)
	GetSession(ctx context.Context, p sales.Principal, id int64) (sales.Session, error)
	RefundQuote(ctx context.Context, p sales.Principal, orderID int64) (refundrule.Quote, error)
	RequestRefund(ctx context.Context, p sales.Principal, in sales.RefundInput) (sales.RefundRequest, error)
	OpenText(v string) (string, error)
}

// Accounts gives an account's verified people.
type Accounts interface {
	Get(ctx context.Context, tenantID, id int64) (accounts.Account, error)
	VerifiedHolders(ctx context.Context, a accounts.Account) ([]accounts.Identity, error)
	Me(ctx context.Context, a accounts.Account) (accounts.Account, error)
}

// Presales takes applications from accounts.
type Presales interface {
	ApplyKnown(ctx context.Context, id, tenantID int64, in presale.KnownApply) (presale.Application, error)
}

// Service buys for accounts.
type Service struct {
	st       Store
	sales    Sales
	acc      Accounts
	presales Presales
	now      func() time.Time
	// Inbox, if set, queues the account's in-site messages (its tickets).
	Inbox Queuer
}

// New returns a Service; presales may be nil (no presales at the shop).
func New(st Store, s Sales, acc Accounts, presales Presales, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, sales: s, acc: acc, presales: presales, now: now}
}

// PresaleRequest is an account's application to a presale: how many
// tickets, which of its verified people hold them (a named presale), the
// card to authorise, the language of the results' message.
type PresaleRequest struct {
	Quantity  int     `json:"quantity"`
	Holders   []int64 `json:"holders,omitempty"`
	CardToken string  `json:"card_token"`
	Lang      string  `json:"lang,omitempty"`
}

// ApplyPresale applies to a presale as the account's verified owner; the
// results are texted to the account's phone.
func (s *Service) ApplyPresale(ctx context.Context, a accounts.Account, presaleID int64, in PresaleRequest) (presale.Application, error) {
	if s.presales == nil {
		return presale.Application{}, notFound()
	}
	me, err := s.acc.Me(ctx, a)
	if err != nil {
		return presale.Application{}, err
	}
	if me.Identity == nil || me.Identity.State != accounts.Verified {
		return presale.Application{}, &sales.Error{Kind: sales.KindConflict, Code: "identity_unverified", Message: "verify your identity before applying"}
	}
	people, err := s.acc.VerifiedHolders(ctx, a)
	if err != nil {
		return presale.Application{}, err
	}
	known := func(i accounts.Identity) presale.Known {
		return presale.Known{IDKey: i.IDKey, GateTag: i.GateTag, DocType: i.DocType, DocMasked: i.DocMasked, Name: i.Name}
	}
	var holders []presale.Known
	for _, id := range in.Holders {
		k := slices.IndexFunc(people, func(x accounts.Identity) bool { return x.ID == id })
		if k < 0 {
			return presale.Application{}, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_holders", Message: "a holder is not a verified person of this account"}
		}
		holders = append(holders, known(people[k]))
	}
	phone, err := s.sales.OpenText(a.Phone)
	if err != nil {
		return presale.Application{}, err
	}
	k := slices.IndexFunc(people, func(x accounts.Identity) bool { return x.ID == me.Identity.ID })
	return s.presales.ApplyKnown(ctx, presaleID, a.TenantID, presale.KnownApply{Applicant: known(people[k]), Holders: holders, Quantity: in.Quantity,
		CardToken: in.CardToken, Phone: phone, Lang: in.Lang})
}

// principal is the shop acting for account a.
func principal(a accounts.Account) sales.Principal {
	return sales.Principal{TenantID: a.TenantID, Username: "account:" + strconv.FormatInt(a.ID, 10), Role: auth.RoleShop}
}

// BuyRequest is a purchase: a level's best seats (Count of TierID) or the
// seats chosen on the map (SeatIDs); one of the account's verified people
// per seat for a real-name session (identity ids, in seat order); a card.
type BuyRequest struct {
	SessionID      int64   `json:"session_id"`
	SeatIDs        []int64 `json:"seat_ids,omitempty"`
	TierID         int64   `json:"tier_id,omitempty"`
	Count          int     `json:"count,omitempty"`
	Holders        []int64 `json:"holders,omitempty"`
	CardToken      string  `json:"card_token"`
	IdempotencyKey string  `json:"idempotency_key,omitempty"`
}

// Buy holds the seats, makes the order naming its holders and pays it. A
// declined card leaves the order awaiting payment (Pay tries again); a
// refused order lets the seats go.
func (s *Service) Buy(ctx context.Context, a accounts.Account, in BuyRequest) (sales.Order, error) {
	p := principal(a)
	people, err := s.acc.VerifiedHolders(ctx, a)
	if err != nil {
		return sales.Order{}, err
	}
	for _, id := range in.Holders {
		if !slices.ContainsFunc(people, func(i accounts.Identity) bool { return i.ID == id }) {
			return sales.Order{}, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_holders", Message: "a holder is not a verified person of this account",
				Fields: []sales.FieldError{{Field: "holders", Message: fmt.Sprintf("identity %d", id)}}}
		}
	}
	h, err := s.sales.HoldSeats(ctx, p, sales.HoldRequest{SessionID: in.SessionID, Channel: sales.ChannelWeb, SeatIDs: in.SeatIDs, TierID: in.TierID, Count: in.Count})
	if err != nil {
		return sales.Order{}, err
	}
	var holders []sales.OrderHolder
	if len(in.Holders) > 0 {
		if len(in.Holders) != len(h.Seats) {
			s.release(p, h.ID)
			return sales.Order{}, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_holders", Message: fmt.Sprintf("%d holders for %d seats", len(in.Holders), len(h.Seats))}
		}
		for i, id := range in.Holders {
			k := slices.IndexFunc(people, func(x accounts.Identity) bool { return x.ID == id })
			who := people[k]
			holders = append(holders, sales.OrderHolder{SeatID: h.Seats[i].SeatID, DocType: identity.Type(who.DocType), DocMasked: who.DocMasked, IDKey: who.IDKey, GateTag: who.GateTag, Name: who.Name})
		}
	}
	name, phone := "", ""
	if len(people) > 0 {
		name = people[0].Name
	}
	if phone, err = s.sales.OpenText(a.Phone); err != nil {
		s.release(p, h.ID)
		return sales.Order{}, err
	}
	o, err := s.sales.ConfirmNamed(ctx, p, sales.OrderRequest{HoldID: h.ID, CustomerName: name, CustomerPhone: phone}, holders)
	if err != nil {
		s.release(p, h.ID)
		return sales.Order{}, err
	}
	if err := s.st.AddOrder(ctx, a.ID, o.ID, s.now().UTC()); err != nil {
		return sales.Order{}, err
	}
	return s.Pay(ctx, a, o.ID, sales.PaymentRequest{Method: "card", CardToken: in.CardToken, IdempotencyKey: in.IdempotencyKey})
}

func (s *Service) release(p sales.Principal, holdID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = s.sales.ReleaseHold(ctx, p, holdID) // it expires anyway
}

// Pay pays one of the account's orders by card.
func (s *Service) Pay(ctx context.Context, a accounts.Account, orderID int64, in sales.PaymentRequest) (sales.Order, error) {
	if err := s.owned(ctx, a, orderID); err != nil {
		return sales.Order{}, err
	}
	in.Method = "card"
	o, err := s.sales.PayOrder(ctx, principal(a), orderID, in)
	if err == nil && s.Inbox != nil {
		s.tellTickets(ctx, a, o)
	}
	return o, err
}

// tellTickets puts a paid order's tickets in the account's inbox (once:
// the order's key); a message that fails to queue is only logged by the
// caller's absence of it, the order stands.
func (s *Service) tellTickets(ctx context.Context, a accounts.Account, o sales.Order) {
	labels := make([]string, len(o.Tickets))
	for i, t := range o.Tickets {
		labels[i] = t.SeatLabel
	}
	_, _ = s.Inbox.Queue(ctx, []messages.Request{{TenantID: a.TenantID, Channel: messages.Inbox, Recipient: "account:" + strconv.FormatInt(a.ID, 10),
		Template: "tickets.issued", Lang: "zh", Key: messages.InboxKey(a.ID) + "order/" + strconv.FormatInt(o.ID, 10),
		Vars: map[string]string{"org": "Admit", "quantity": strconv.Itoa(len(o.Tickets)), "seats": strings.Join(labels, ", "), "pickup": o.PickupCode}}})
}

// Orders lists the account's orders, newest first, with their tickets.
func (s *Service) Orders(ctx context.Context, a accounts.Account) ([]sales.Order, error) {
	ids, err := s.st.Orders(ctx, a.ID, 50)
	if err != nil {
		return nil, err
	}
	out := make([]sales.Order, 0, len(ids))
	for _, id := range ids {
		o, err := s.sales.GetOrder(ctx, principal(a), id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Ticket returns a ticket of one of the account's orders.
func (s *Service) Ticket(ctx context.Context, a accounts.Account, orderID int64, number string) (sales.Ticket, error) {
	if err := s.owned(ctx, a, orderID); err != nil {
		return sales.Ticket{}, err
	}
	o, err := s.sales.GetOrder(ctx, principal(a), orderID)
	if err != nil {
		return sales.Ticket{}, err
	}
	for _, t := range o.Tickets {
		if t.Number == number {
			return t, nil
		}
	}
	return sales.Ticket{}, notFound()
}

// RefundQuote is what a refund of one of the account's orders would cost
// now, by its event's graded rule: shown before the buyer confirms.
func (s *Service) RefundQuote(ctx context.Context, a accounts.Account, orderID int64) (refundrule.Quote, error) {
	if err := s.owned(ctx, a, orderID); err != nil {
		return refundrule.Quote{}, err
	}
	return s.sales.RefundQuote(ctx, principal(a), orderID)
}

// RefundRequest is a buyer's request to refund a whole order.
type RefundRequest struct {
	Reason string `json:"reason"`
	// FeeCents is the fee the buyer was shown; a request whose fee has
	// changed since (the next grade began) is refused, to be confirmed again.
	FeeCents int64 `json:"fee_cents"`
}

// RequestRefund asks for a refund of one of the account's orders, at the
// fee the buyer saw; a manager approves it in the portal.
func (s *Service) RequestRefund(ctx context.Context, a accounts.Account, orderID int64, in RefundRequest) (sales.RefundRequest, error) {
	q, err := s.RefundQuote(ctx, a, orderID)
	if err != nil {
		return sales.RefundRequest{}, err
	}
	if q.FeeCents != in.FeeCents {
		return sales.RefundRequest{}, &sales.Error{Kind: sales.KindConflict, Code: "fee_changed",
			Message: fmt.Sprintf("the refund fee is now %d%% (%d.%02d): confirm again", q.FeePercent, q.FeeCents/100, q.FeeCents%100)}
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		reason = "asked for at the shop"
	}
	return s.sales.RequestRefund(ctx, principal(a), sales.RefundInput{OrderID: orderID, Reason: reason})
}

// AlertOnSale asks for a text when a session that is not on sale yet
// opens at the shop.
func (s *Service) AlertOnSale(ctx context.Context, a accounts.Account, sessionID int64) (SaleAlert, error) {
	ss, err := s.sales.GetSession(ctx, principal(a), sessionID)
	if err != nil {
		return SaleAlert{}, err
	}
	if ss.OnSaleAt == nil || !s.now().Before(*ss.OnSaleAt) {
		return SaleAlert{}, &sales.Error{Kind: sales.KindConflict, Code: "on_sale", Message: "this session is on sale already"}
	}
	return SaleAlert{SessionID: ss.ID, OnSaleAt: ss.OnSaleAt.UTC()}, s.st.AddAlert(ctx, sessionID, a.ID, s.now().UTC())
}

// SaleAlert is an account's request to be told when a sale opens.
type SaleAlert struct {
	SessionID int64     `json:"session_id"`
	OnSaleAt  time.Time `json:"on_sale_at"`
}

// SaleAlerts texts the accounts that asked, once a session's sale has
// opened; once per account and session (the message key), however often
// it runs. It says how many it queued.
func (s *Service) SaleAlerts(ctx context.Context, q Queuer, shopURL string) (int, error) {
	now := s.now()
	due, err := s.st.DueAlerts(ctx, now.Add(-AlertWindow), now, 1000)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	rs := make([]messages.Request, 0, len(due))
	for _, al := range due {
		phone, loc, err := s.phoneAndZone(ctx, al.TenantID, al.AccountID, al.Timezone)
		if err != nil {
			return 0, err
		}
		link := fmt.Sprintf("%s#/t/%s/event/%d", shopURL, al.Tenant, al.EventID)
		rs = append(rs, messages.Request{TenantID: al.TenantID, Channel: messages.SMS, Recipient: phone, Template: "sale.open", Lang: "zh",
			Key:  "sale-open/" + strconv.FormatInt(al.SessionID, 10) + "/" + strconv.FormatInt(al.AccountID, 10),
			Vars: map[string]string{"org": "Admit", "event": al.Event, "starts": al.StartsAt.In(loc).Format("2006-01-02 15:04"), "link": link}})
	}
	return q.Queue(ctx, rs)
}

// phoneAndZone are an account's phone, opened, and a venue's time zone
// (UTC if it does not load), for a text.
func (s *Service) phoneAndZone(ctx context.Context, tenantID, accountID int64, zone string) (string, *time.Location, error) {
	a, err := s.acc.Get(ctx, tenantID, accountID)
	if err != nil {
		return "", nil, err
	}
	phone, err := s.sales.OpenText(a.Phone)
	if err != nil {
		return "", nil, err
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return phone, loc, nil
}

func (s *Service) owned(ctx context.Context, a accounts.Account, orderID int64) error {
	owner, err := s.st.Owner(ctx, orderID)
	if sales.IsKind(err, sales.KindNotFound) || (err == nil && owner != a.ID) {
		return notFound()
	}
	return err
}

func notFound() error {
	return &sales.Error{Kind: sales.KindNotFound, Code: "not_found", Message: "no such order of this account"}
}

// Remind texts every shop order whose session starts within ReminderLead
// an entry reminder, once per order (its message key); run it as often as
// you like. It says how many it queued.
func (s *Service) Remind(ctx context.Context, q Queuer) (int, error) {
	now := s.now()
	due, err := s.st.DueReminders(ctx, now, now.Add(ReminderLead), 1000)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	rs := make([]messages.Request, 0, len(due))
	for _, r := range due {
		phone, loc, err := s.phoneAndZone(ctx, r.TenantID, r.AccountID, r.Timezone)
		if err != nil {
			return 0, err
		}
		rs = append(rs, messages.Request{TenantID: r.TenantID, Channel: messages.SMS, Recipient: phone, Template: "session.reminder", Lang: "zh",
			Key: "reminder/order/" + strconv.FormatInt(r.OrderID, 10), Vars: map[string]string{"org": "Admit", "event": r.Event, "starts": r.StartsAt.In(loc).Format("2006-01-02 15:04")}})
	}
	return q.Queue(ctx, rs)
}
