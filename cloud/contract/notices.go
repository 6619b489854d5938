package contract

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/sales"
)

// Notice is the organiser's word to contract customers' representatives:
// to one customer, or (CustomerID 0) to all of them. A reminder is made
// on reading, not stored: an order of the reader's whose names are due
// soon.
type Notice struct {
	ID         int64     `json:"id,omitempty"`
	TenantID   int64     `json:"tenant_id"`
	CustomerID int64     `json:"customer_id,omitempty"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Reminder   bool      `json:"reminder,omitempty"`
	OrderID    int64     `json:"order_id,omitempty"` // a reminder's order
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// RemindBefore is how long before an order's deadline its reminder shows.
const RemindBefore = 72 * time.Hour

// Reminders are the notices an order list makes at now: each order still
// waiting for its seats or names, due within RemindBefore.
func Reminders(os []Order, now time.Time) []Notice {
	var out []Notice
	for _, o := range os {
		if o.State != Ordered && o.State != Seated || !now.Before(o.Deadline) || o.Deadline.Sub(now) > RemindBefore {
			continue
		}
		what := "names"
		if o.State == Ordered {
			what = "seats and names"
		}
		out = append(out, Notice{TenantID: o.TenantID, CustomerID: o.CustomerID, Reminder: true, OrderID: o.ID, CreatedAt: now,
			Title: fmt.Sprintf("Order %d: %s due", o.ID, what),
			Body:  fmt.Sprintf("Order %d (%d tickets) lapses at %s unless its %s are in.", o.ID, o.Quantity, o.Deadline.UTC().Format(time.RFC3339), what)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OrderID < out[j].OrderID })
	return out
}

// PostNotice publishes a notice (managers): to a customer, or to all.
func (s *Service) PostNotice(ctx context.Context, p sales.Principal, n Notice) (Notice, error) {
	if !staff(p) {
		return Notice{}, forbidden("only managers post notices to contract customers")
	}
	n.Title, n.Body = strings.TrimSpace(n.Title), strings.TrimSpace(n.Body)
	var fields []sales.FieldError
	if l := len([]rune(n.Title)); l == 0 || l > 120 {
		fields = append(fields, sales.FieldError{Field: "title", Message: "1-120 characters"})
	}
	if l := len([]rune(n.Body)); l == 0 || l > 4000 {
		fields = append(fields, sales.FieldError{Field: "body", Message: "1-4000 characters"})
	}
	if len(fields) > 0 {
		return Notice{}, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_notice", Message: "the notice cannot be posted", Fields: fields}
	}
	if n.CustomerID != 0 {
		if _, err := s.customer(ctx, p.TenantID, n.CustomerID); err != nil {
			return Notice{}, err
		}
	}
	n.ID, n.TenantID, n.Reminder, n.OrderID = 0, p.TenantID, false, 0
	n.CreatedBy, n.CreatedAt = p.Actor(), s.now().UTC()
	return s.st.InsertNotice(ctx, n, audit.Entry{At: n.CreatedAt, TenantID: p.TenantID, Actor: p.Actor(), Action: "contract.notice",
		Object: "customer:" + strconv.FormatInt(n.CustomerID, 10), After: audit.Value(n)})
}

// Notices are a representative's: the reminders of its customer's
// orders, then the notices to its customer and to all, newest first.
// Staff see every notice posted.
func (s *Service) Notices(ctx context.Context, p sales.Principal) ([]Notice, error) {
	cust, err := s.scope(ctx, p)
	if err != nil {
		return nil, err
	}
	posted, err := s.st.Notices(ctx, p.TenantID, cust, 200)
	if err != nil {
		return nil, err
	}
	if cust == 0 {
		return posted, nil
	}
	os, err := s.Orders(ctx, p)
	if err != nil {
		return nil, err
	}
	return append(append([]Notice{}, Reminders(os, s.now())...), posted...), nil
}

// PrintedTicket is a contract ticket as the customer prints it for its
// holder.
type PrintedTicket struct {
	Number     string    `json:"number"`
	Event      string    `json:"event"`
	Venue      string    `json:"venue"`
	Hall       string    `json:"hall"`
	StartsAt   time.Time `json:"starts_at"`
	Timezone   string    `json:"timezone"`
	Seat       string    `json:"seat"`
	Holder     string    `json:"holder"`
	Document   string    `json:"document"` // masked
	PriceCents int64     `json:"price_cents"`
	QR         string    `json:"qr"`
}

// Print prints a paid order's tickets at the customer's office, each
// naming its bound holder: a ticket prints only for a bound holder. A
// second print replaces lost paper and must say so (reprint).
func (s *Service) Print(ctx context.Context, p sales.Principal, id int64, reprint bool) ([]PrintedTicket, error) {
	o, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if o.State != Paid {
		return nil, sales.Conflict("order_state", "the tickets are issued once finance records the payment; the order is "+string(o.State))
	}
	holders := map[int64]Holder{}
	for _, h := range o.Holders {
		holders[h.SeatID] = h
	}
	for _, seat := range o.SeatIDs {
		if _, ok := holders[seat]; !ok {
			return nil, sales.Conflict("names_missing", "a contract ticket prints only for its bound holder: a seat has none")
		}
	}
	pr, err := s.sales.PrintOrder(ctx, seller(p), o.SaleID, reprint)
	if err != nil {
		return nil, err
	}
	out := make([]PrintedTicket, len(pr))
	for i, x := range pr {
		h := holders[x.Ticket.SeatID]
		out[i] = PrintedTicket{Number: x.Ticket.Number, Event: x.Event, Venue: x.Venue, Hall: x.Hall, StartsAt: x.StartsAt, Timezone: x.Timezone,
			Seat: x.Ticket.SeatLabel, Holder: h.Name, Document: h.DocNumber, PriceCents: x.Ticket.PriceCents, QR: x.Ticket.QR}
	}
	return out, nil
}
