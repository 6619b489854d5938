package contract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// Store keeps customers, their representatives and their orders; each
// change goes with its audit entry in one transaction.
type Store interface {
	InsertCustomer(ctx context.Context, c Customer, e audit.Entry) (Customer, error) // ErrDuplicate on code
	Customer(ctx context.Context, tenantID, id int64) (Customer, error)
	// Customers lists a tenant's customers (0: every tenant's).
	Customers(ctx context.Context, tenantID int64) ([]Customer, error)
	// SetRep makes a user a customer's representative.
	SetRep(ctx context.Context, tenantID, userID, customerID int64, e audit.Entry) error
	// RepCustomer is the customer a user represents (ErrNotFound).
	RepCustomer(ctx context.Context, userID int64) (int64, error)
	// InsertOrder stores an order after check passed in the same
	// transaction (check counts active orders with the new one included).
	InsertOrder(ctx context.Context, o Order, now time.Time, check func(Counter) error, e audit.Entry) (Order, error)
	Order(ctx context.Context, tenantID, id int64) (Order, error)
	// Orders lists a tenant's orders (customerID 0: every customer's).
	Orders(ctx context.Context, tenantID, customerID int64, limit int) ([]Order, error)
	// Move stores o if its order is still in state from (ErrChanged).
	Move(ctx context.Context, o Order, from State, e audit.Entry) error
	Report(ctx context.Context, tenantID, customerID int64, now time.Time) ([]Report, error)
	// Allocated sums a session's active orders (of a tier, of a
	// customer: 0 for all).
	Allocated(ctx context.Context, sessionID, tierID, customerID int64, now time.Time) (int, error)
	InsertNotice(ctx context.Context, n Notice, e audit.Entry) (Notice, error)
	// Notices lists a tenant's notices, newest first: customerID's and
	// those to all (0: every one).
	Notices(ctx context.Context, tenantID, customerID int64, limit int) ([]Notice, error)
}

// ErrDuplicate is a customer code in use.
var ErrDuplicate = errors.New("contract: code taken")

// Sales is the sales service as contract sales use it.
type Sales interface {
	GetSession(ctx context.Context, p sales.Principal, id int64) (sales.Session, error)
	ListSessions(ctx context.Context, p sales.Principal, f sales.SessionFilter) ([]sales.Session, error)
	HoldSeats(ctx context.Context, p sales.Principal, in sales.HoldRequest) (sales.Hold, error)
	ReleaseHold(ctx context.Context, p sales.Principal, id int64) (sales.Hold, error)
	GetHold(ctx context.Context, p sales.Principal, id int64) (sales.Hold, error)
	SessionSeats(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.SessionSeat, error)
	GetEvent(ctx context.Context, p sales.Principal, id int64) (sales.Event, error)
	ConfirmPaid(ctx context.Context, p sales.Principal, in sales.OrderRequest, pre sales.Prepaid) (sales.Order, error)
	GetOrder(ctx context.Context, p sales.Principal, id int64) (sales.Order, error)
	PrintOrder(ctx context.Context, p sales.Principal, orderID int64, reprint bool) ([]sales.Printout, error)
	SealText(v string) string
	OpenText(v string) (string, error)
}

// Service runs contract sales.
type Service struct {
	st    Store
	sales Sales
	now   func() time.Time
}

// New returns a Service.
func New(st Store, s Sales, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, sales: s, now: now}
}

func forbidden(msg string) error {
	return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: msg}
}

// seller is who sales sees: the contract role, for the tenant, in the
// caller's name (the audit log names the person).
func seller(p sales.Principal) sales.Principal {
	return sales.Principal{UserID: p.UserID, Username: p.Username, TenantID: p.TenantID, Role: auth.RoleContract}
}

func staff(p sales.Principal) bool { return auth.Can(p.Role, auth.ManageSessions) && p.TenantID != 0 }

// CreateCustomer adds a contract customer.
func (s *Service) CreateCustomer(ctx context.Context, p sales.Principal, c Customer) (Customer, error) {
	if !staff(p) {
		return Customer{}, forbidden("only managers add contract customers")
	}
	c.Code, c.Name = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name)
	var fields []sales.FieldError
	if c.Code == "" || len(c.Code) > 32 {
		fields = append(fields, sales.FieldError{Field: "code", Message: "1-32 characters"})
	}
	if n := len([]rune(c.Name)); n == 0 || n > 80 {
		fields = append(fields, sales.FieldError{Field: "name", Message: "1-80 characters"})
	}
	if len(fields) > 0 {
		return Customer{}, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_customer", Message: "the customer cannot be saved", Fields: fields}
	}
	c.ID, c.TenantID, c.CreatedAt = 0, p.TenantID, s.now().UTC()
	out, err := s.st.InsertCustomer(ctx, c, audit.Entry{At: c.CreatedAt, TenantID: p.TenantID, Actor: p.Actor(), Action: "contract.customer.create", After: audit.Value(c)})
	if errors.Is(err, ErrDuplicate) {
		return Customer{}, sales.Conflict("code_taken", "another customer has that code")
	}
	return out, err
}

// Customers lists the tenant's customers (a representative: its own).
func (s *Service) Customers(ctx context.Context, p sales.Principal) ([]Customer, error) {
	if p.Role == auth.RoleCustomerRep {
		c, err := s.repCustomer(ctx, p)
		if err != nil {
			return nil, err
		}
		return []Customer{c}, nil
	}
	if !staff(p) && !auth.Can(p.Role, auth.Settle) {
		return nil, forbidden("you may not see contract customers")
	}
	return s.st.Customers(ctx, p.TenantID)
}

// SetRep makes a user (role customer_rep) a customer's representative.
func (s *Service) SetRep(ctx context.Context, p sales.Principal, customerID, userID int64) error {
	if !staff(p) {
		return forbidden("only managers appoint representatives")
	}
	if _, err := s.customer(ctx, p.TenantID, customerID); err != nil {
		return err
	}
	return s.st.SetRep(ctx, p.TenantID, userID, customerID, audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(),
		Action: "contract.rep.set", After: audit.Value(map[string]int64{"user_id": userID, "customer_id": customerID})})
}

func (s *Service) customer(ctx context.Context, tenantID, id int64) (Customer, error) {
	c, err := s.st.Customer(ctx, tenantID, id)
	if errors.Is(err, ErrNotFound) {
		return c, sales.NotFound("customer")
	}
	return c, err
}

func (s *Service) repCustomer(ctx context.Context, p sales.Principal) (Customer, error) {
	id, err := s.st.RepCustomer(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return Customer{}, forbidden("you represent no customer yet: ask the organiser")
	}
	if err != nil {
		return Customer{}, err
	}
	c, err := s.customer(ctx, p.TenantID, id)
	if err != nil {
		return Customer{}, err
	}
	if !c.Enabled {
		return Customer{}, forbidden("the organiser has disabled this customer")
	}
	return c, nil
}

// scope is the customer whose orders the caller sees: a representative's
// own; 0 (every customer's) for staff and finance.
func (s *Service) scope(ctx context.Context, p sales.Principal) (int64, error) {
	if p.Role == auth.RoleCustomerRep {
		c, err := s.repCustomer(ctx, p)
		return c.ID, err
	}
	if !staff(p) && !auth.Can(p.Role, auth.Settle) {
		return 0, forbidden("you may not see contract orders")
	}
	return 0, nil
}

// actingFor is the customer the caller orders for: a representative's
// own; staff name one.
func (s *Service) actingFor(ctx context.Context, p sales.Principal, customerID int64) (Customer, error) {
	if p.Role == auth.RoleCustomerRep {
		c, err := s.repCustomer(ctx, p)
		if err == nil && customerID != 0 && customerID != c.ID {
			return Customer{}, sales.NotFound("customer")
		}
		return c, err
	}
	if !staff(p) {
		return Customer{}, forbidden("only a customer's representative or a manager orders for it")
	}
	return s.customer(ctx, p.TenantID, customerID)
}

// NewOrder orders a quantity of a session's price level.
type NewOrder struct {
	CustomerID int64 `json:"customer_id,omitempty"` // staff ordering for a customer
	SessionID  int64 `json:"session_id"`
	TierID     int64 `json:"tier_id"`
	Quantity   int   `json:"quantity"`
}

// Place orders a quantity: the quota is checked on both tracks in the
// order's transaction and locked until the deadline.
func (s *Service) Place(ctx context.Context, p sales.Principal, in NewOrder) (Order, error) {
	c, err := s.actingFor(ctx, p, in.CustomerID)
	if err != nil {
		return Order{}, err
	}
	ss, err := s.sales.GetSession(ctx, seller(p), in.SessionID)
	if err != nil {
		return Order{}, err
	}
	now := s.now()
	if in.Quantity < 1 || in.Quantity > 1000 || in.TierID <= 0 {
		return Order{}, sales.Invalid("invalid_order", "order 1 to 1000 tickets of one price level (tier_id)")
	}
	deadline := ss.StartsAt.Add(-NamesBefore)
	if ss.Status == sales.SessionCancelled || !now.Before(deadline) {
		return Order{}, sales.Conflict("deadline_passed", "contract orders of this session closed "+deadline.UTC().Format(time.RFC3339))
	}
	o := Order{TenantID: p.TenantID, CustomerID: c.ID, SessionID: ss.ID, TierID: in.TierID, Quantity: in.Quantity, State: Ordered,
		Deadline: deadline.UTC(), CreatedBy: p.Actor(), CreatedAt: now.UTC()}
	return s.st.InsertOrder(ctx, o, now, func(count Counter) error { return CheckQuotas(ss, o, count) },
		audit.Entry{At: o.CreatedAt, TenantID: p.TenantID, VenueID: ss.VenueID, Actor: p.Actor(), Action: "contract.order", After: audit.Value(o)})
}

// Get shows an order to its customer's representative or to staff.
func (s *Service) Get(ctx context.Context, p sales.Principal, id int64) (Order, error) {
	mine, err := s.scope(ctx, p)
	if err != nil {
		return Order{}, err
	}
	o, err := s.st.Order(ctx, p.TenantID, id)
	if errors.Is(err, ErrNotFound) || (err == nil && mine != 0 && o.CustomerID != mine) {
		return Order{}, sales.NotFound("contract order")
	}
	if err != nil {
		return Order{}, err
	}
	if !p.Role.TenantWide() {
		// A venue's manager sees the orders of the venue's sessions.
		if _, err := s.sales.GetSession(ctx, p, o.SessionID); sales.IsKind(err, sales.KindNotFound) {
			return Order{}, sales.NotFound("contract order")
		} else if err != nil {
			return Order{}, err
		}
	}
	if o.State != Paid && o.State != Lapsed && !s.now().Before(o.Deadline) {
		o.State = Lapsed
	}
	return s.mask(o), nil
}

func (s *Service) mask(o Order) Order {
	for i, h := range o.Holders {
		if n, err := s.sales.OpenText(h.Name); err == nil {
			h.Name = n
		}
		if d, err := s.sales.OpenText(h.DocNumber); err == nil {
			h.DocNumber = d
		}
		if len(h.DocNumber) > 4 {
			h.DocNumber = strings.Repeat("*", len(h.DocNumber)-4) + h.DocNumber[len(h.DocNumber)-4:]
		}
		o.Holders[i] = h
	}
	return o
}

// Orders lists a representative's customer's orders, or (staff) all.
func (s *Service) Orders(ctx context.Context, p sales.Principal) ([]Order, error) {
	cust, err := s.scope(ctx, p)
	if err != nil {
		return nil, err
	}
	os, err := s.st.Orders(ctx, p.TenantID, cust, 1000)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range os {
		if os[i].State != Paid && os[i].State != Lapsed && !now.Before(os[i].Deadline) {
			os[i].State = Lapsed
		}
		os[i] = s.mask(os[i])
	}
	return os, nil
}

// reservedFor lists the free seats of the order's session and level that
// the organiser reserved for the customer, in seat order.
func (s *Service) reservedFor(ctx context.Context, p sales.Principal, o Order, c Customer, now time.Time) ([]int64, error) {
	seats, err := s.sales.SessionSeats(ctx, seller(p), o.SessionID)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, st := range seats {
		if st.Category == sales.CategoryReserved && st.ReservedFor == c.Code && st.TierID == o.TierID && st.Sellable(now, c.Code) {
			out = append(out, st.SeatID)
		}
	}
	return out, nil
}

// SeatRequest picks an order's seats, or (none) has the best assigned.
type SeatRequest struct {
	SeatIDs []int64 `json:"seat_ids,omitempty"`
}

// Seat holds the order's seats until its deadline.
func (s *Service) Seat(ctx context.Context, p sales.Principal, id int64, in SeatRequest) (Order, error) {
	o, err := s.Get(ctx, p, id)
	if err != nil {
		return Order{}, err
	}
	if o.State != Ordered {
		return Order{}, sales.Conflict("order_state", "the order is "+string(o.State)+": seats are picked once, after ordering")
	}
	if len(in.SeatIDs) > 0 && len(in.SeatIDs) != o.Quantity {
		return Order{}, sales.Invalid("invalid_seats", fmt.Sprintf("pick exactly %d seats", o.Quantity))
	}
	c, err := s.customer(ctx, p.TenantID, o.CustomerID)
	if err != nil {
		return Order{}, err
	}
	now := s.now()
	// Seats the organiser reserved for this customer (targeted
	// reservation, §6.1.2(3): reserved_for names its code) are its own
	// to take, and assigned first.
	req := sales.HoldRequest{SessionID: o.SessionID, Channel: sales.ChannelContract, SeatIDs: in.SeatIDs, TierID: o.TierID, AllowSplit: true,
		Party: PartyOf(o.CustomerID), Customer: c.Code, TTL: o.Deadline.Sub(now)}
	if len(in.SeatIDs) == 0 {
		mine, err := s.reservedFor(ctx, p, o, c, now)
		if err != nil {
			return Order{}, err
		}
		if len(mine) >= o.Quantity {
			req.SeatIDs = mine[:o.Quantity]
		} else {
			req.Count = o.Quantity
		}
	}
	h, err := s.sales.HoldSeats(ctx, seller(p), req)
	if err != nil {
		return Order{}, err
	}
	for _, st := range h.Seats {
		if st.TierID != o.TierID {
			s.release(ctx, p, h.ID)
			return Order{}, sales.Invalid("invalid_seats", "every seat must be of the order's price level")
		}
	}
	next := o
	next.State, next.HoldID, next.SeatIDs = Seated, h.ID, make([]int64, len(h.Seats))
	for i, st := range h.Seats {
		next.SeatIDs[i] = st.SeatID
	}
	if err := s.st.Move(ctx, next, Ordered, audit.Entry{At: now.UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "contract.seat",
		Object: "contract:" + strconv.FormatInt(o.ID, 10), After: audit.Value(map[string]any{"hold": h.ID, "seats": next.SeatIDs})}); err != nil {
		s.release(ctx, p, h.ID)
		if errors.Is(err, ErrChanged) {
			return Order{}, sales.Conflict("order_state", "the order changed meanwhile")
		}
		return Order{}, err
	}
	return s.mask(next), nil
}

func (s *Service) release(ctx context.Context, p sales.Principal, holdID int64) {
	_, _ = s.sales.ReleaseHold(ctx, seller(p), holdID)
}

// NameError lists a holders file's bad lines.
type NameError struct{ Lines []LineProblem }

func (e *NameError) Error() string { return fmt.Sprintf("contract: %d bad lines", len(e.Lines)) }

// Name binds a holder to each seat from a CSV file, before the deadline.
func (s *Service) Name(ctx context.Context, p sales.Principal, id int64, file io.Reader) (Order, error) {
	o, err := s.Get(ctx, p, id)
	if err != nil {
		return Order{}, err
	}
	now := s.now()
	if o.State == Lapsed {
		return Order{}, sales.Conflict("deadline_passed", "names were due by "+o.Deadline.Format(time.RFC3339)+"; the seats went back to sale")
	}
	if o.State != Seated && o.State != Named {
		return Order{}, sales.Conflict("order_state", "name the holders once the seats are picked")
	}
	hs, probs := ParseHolders(file, now)
	if len(probs) == 0 && len(hs) != len(o.SeatIDs) {
		probs = append(probs, LineProblem{1, fmt.Sprintf("%d holders for %d seats: one line per seat", len(hs), len(o.SeatIDs))})
	}
	if len(probs) > 0 {
		return Order{}, &NameError{Lines: probs}
	}
	next := o
	next.State, next.Holders = Named, make([]Holder, len(hs))
	for i, h := range hs {
		h.SeatID = o.SeatIDs[i]
		h.Name, h.DocNumber = s.sales.SealText(h.Name), s.sales.SealText(h.DocNumber)
		next.Holders[i] = h
	}
	if err := s.st.Move(ctx, next, o.State, audit.Entry{At: now.UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "contract.name",
		Object: "contract:" + strconv.FormatInt(o.ID, 10), After: audit.Value(map[string]any{"holders": len(hs)})}); err != nil {
		if errors.Is(err, ErrChanged) {
			return Order{}, sales.Conflict("order_state", "the order changed meanwhile")
		}
		return Order{}, err
	}
	return s.Get(ctx, p, id)
}

// Payment is a payment made outside the system, as finance records it.
type Payment struct {
	Reference   string `json:"reference"`
	AmountCents int64  `json:"amount_cents"`
}

// RecordPayment records the customer's payment (finance only) and
// issues the tickets to the bound holders, once.
func (s *Service) RecordPayment(ctx context.Context, p sales.Principal, id int64, pay Payment) (sales.Order, error) {
	if !auth.Can(p.Role, auth.Settle) {
		return sales.Order{}, forbidden("finance records payments made outside the system")
	}
	o, err := s.Get(ctx, p, id)
	if err != nil {
		return sales.Order{}, err
	}
	if o.State == Paid {
		return s.sales.GetOrder(ctx, seller(p), o.SaleID)
	}
	pay.Reference = strings.TrimSpace(pay.Reference)
	if pay.Reference == "" || len(pay.Reference) > 64 {
		return sales.Order{}, sales.Invalid("invalid_payment", "the payment's reference (1-64 characters)")
	}
	stored, err := s.st.Order(ctx, p.TenantID, id) // sealed holders
	if err != nil {
		return sales.Order{}, err
	}
	h, err := s.sales.GetHold(ctx, seller(p), o.HoldID)
	if err != nil {
		return sales.Order{}, err
	}
	var total int64
	for _, st := range h.Seats {
		total += st.PriceCents
	}
	if pay.AmountCents != total {
		return sales.Order{}, sales.Invalid("invalid_payment", fmt.Sprintf("the order comes to %d; the payment says %d", total, pay.AmountCents))
	}
	ss, err := s.sales.GetSession(ctx, seller(p), o.SessionID)
	if err != nil {
		return sales.Order{}, err
	}
	ev, err := s.sales.GetEvent(ctx, seller(p), ss.EventID)
	if err != nil {
		return sales.Order{}, err
	}
	// Contract tickets are issued to bound holders, and print only for
	// them; a real-name event's tickets also carry their documents.
	if o.State == Lapsed {
		return sales.Order{}, sales.Conflict("order_state", "the order lapsed at its deadline: its seats and quota are free")
	}
	if o.State != Named {
		return sales.Order{}, sales.Conflict("names_missing", "contract tickets are issued to bound holders: name them first")
	}
	req := sales.OrderRequest{HoldID: o.HoldID}
	if ev.RealName {
		for _, hd := range stored.Holders {
			name, _ := s.sales.OpenText(hd.Name)
			doc, _ := s.sales.OpenText(hd.DocNumber)
			req.Holders = append(req.Holders, sales.HolderRequest{SeatID: hd.SeatID, DocType: hd.DocType, DocNumber: doc, Name: name})
		}
	}
	sale, err := s.sales.ConfirmPaid(ctx, seller(p), req, sales.Prepaid{Method: sales.MethodContract, Reference: pay.Reference,
		Key: "contract:" + strconv.FormatInt(o.ID, 10)})
	if err != nil {
		return sales.Order{}, err
	}
	next := stored
	next.State, next.PaymentRef, next.SaleID = Paid, pay.Reference, sale.ID
	if err := s.st.Move(ctx, next, stored.State, audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "contract.pay",
		Object: "contract:" + strconv.FormatInt(o.ID, 10), After: audit.Value(map[string]any{"reference": pay.Reference, "amount_cents": pay.AmountCents, "order": sale.ID})}); err != nil && !errors.Is(err, ErrChanged) {
		return sales.Order{}, err
	}
	return sale, nil
}

// Report is what each customer bought, per session (a representative:
// its own customer's).
func (s *Service) Report(ctx context.Context, p sales.Principal) ([]Report, error) {
	cust, err := s.scope(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.st.Report(ctx, p.TenantID, cust, s.now())
}

// QuotaLeft is one contract quota of a session and what is left of it.
type QuotaLeft struct {
	TierID int64  `json:"tier_id"`
	Track  string `json:"track"` // "all" customers' or "mine"
	Limit  int    `json:"limit"`
	Left   int    `json:"left"`
}

// SessionQuotas is a session open to contract orders with its quotas.
type SessionQuotas struct {
	SessionID int64       `json:"session_id"`
	EventID   int64       `json:"event_id"`
	StartsAt  time.Time   `json:"starts_at"`
	Deadline  time.Time   `json:"deadline"`
	Quotas    []QuotaLeft `json:"quotas"`
}

// Sessions lists the sessions a representative's customer may still
// order for, with what is left of each quota on both tracks.
func (s *Service) Sessions(ctx context.Context, p sales.Principal) ([]SessionQuotas, error) {
	// A representative sees its own customer's track too; staff see the
	// tracks for all customers.
	var c Customer
	if p.Role == auth.RoleCustomerRep {
		var err error
		if c, err = s.repCustomer(ctx, p); err != nil {
			return nil, err
		}
	} else if !staff(p) {
		return nil, forbidden("you may not see contract quotas")
	}
	all, err := s.sales.ListSessions(ctx, seller(p), sales.SessionFilter{})
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []SessionQuotas{}
	for _, ss := range all {
		deadline := ss.StartsAt.Add(-NamesBefore)
		if ss.Status == sales.SessionCancelled || !now.Before(deadline) {
			continue
		}
		v := SessionQuotas{SessionID: ss.ID, EventID: ss.EventID, StartsAt: ss.StartsAt, Deadline: deadline}
		for _, q := range ss.Quotas {
			if q.Channel != sales.ChannelContract || (q.Party != "" && (c.ID == 0 || q.Party != c.Party())) {
				continue
			}
			var cust int64
			track := "all"
			if q.Party != "" {
				cust, track = c.ID, "mine"
			}
			used, err := s.st.Allocated(ctx, ss.ID, q.TierID, cust, now)
			if err != nil {
				return nil, err
			}
			v.Quotas = append(v.Quotas, QuotaLeft{TierID: q.TierID, Track: track, Limit: q.Limit, Left: max(0, q.Limit-used)})
		}
		if len(v.Quotas) > 0 {
			out = append(out, v)
		}
	}
	return out, nil
}

// Partners are the contract customers as settlement sees them (tenantID
// 0: every tenant's): each owes the full price of what it was issued.
func (s *Service) Partners(ctx context.Context, tenantID int64) ([]settlement.Partner, error) {
	cs, err := s.st.Customers(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]settlement.Partner, len(cs))
	for i, c := range cs {
		out[i] = settlement.Partner{TenantID: c.TenantID, Party: c.Party(), Name: c.Name}
	}
	return out, nil
}
