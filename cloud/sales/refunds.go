package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/refundrule"
	wire "github.com/admitbox/admit/sync"
)

// RefundInput asks for a refund of a whole order (no ticket ids) or of
// some of its tickets.
type RefundInput struct {
	OrderID   int64   `json:"order_id"`
	TicketIDs []int64 `json:"ticket_ids"`
	Reason    string  `json:"reason"`
	// BundleID refunds a pass whole, instead of an order: a request for
	// each of its orders, decided together.
	BundleID int64 `json:"bundle_id,omitempty"`

	key string // RequestRefundOnce's
}

// ErrRefundKeyTaken is a refund request's idempotency key in use (the
// store's unique index, when two requests under one key race).
var ErrRefundKeyTaken = errors.New("sales: refund idempotency key taken")

// RequestRefundOnce is RequestRefund under an idempotency key: the first
// request with the key asks for the refund; a retry with the same key is
// answered that request (replayed), if it asked for the same order and
// tickets; a key used before for another request is refused.
func (s *Service) RequestRefundOnce(ctx context.Context, p Principal, in RefundInput, key string) (RefundRequest, bool, error) {
	if key == "" || in.BundleID != 0 {
		return RefundRequest{}, false, invalid("invalid_refund", "a refund asked once names one order and a key")
	}
	same := func(r RefundRequest) (RefundRequest, bool, error) {
		if r.OrderID != in.OrderID || (len(in.TicketIDs) > 0 && !slices.Equal(slices.Sorted(slices.Values(in.TicketIDs)), slices.Sorted(slices.Values(r.TicketIDs)))) {
			return RefundRequest{}, false, conflict("idempotency_key_reused",
				fmt.Sprintf("that Idempotency-Key asked for refund %d, another request; use a new key for a new request", r.ID))
		}
		return r, true, nil
	}
	if r, ok, err := s.store.RefundByKey(ctx, p.TenantID, key); err != nil || ok {
		if err != nil {
			return RefundRequest{}, false, err
		}
		return same(r)
	}
	in.key = key
	r, err := s.RequestRefund(ctx, p, in)
	if errors.Is(err, ErrRefundKeyTaken) || IsCode(err, "refund_pending") {
		// A retry raced the first request (the key's index, or the first
		// one's pending request): answer the one that won.
		prior, ok, rerr := s.store.RefundByKey(ctx, p.TenantID, key)
		if rerr != nil {
			return RefundRequest{}, false, rerr
		}
		if ok {
			return same(prior)
		}
		if errors.Is(err, ErrRefundKeyTaken) {
			return RefundRequest{}, false, fmt.Errorf("sales: refund key %q taken but not found: %w", key, err)
		}
	}
	return r, false, err
}

// RequestRefund records a refund request. Nothing changes until someone
// else approves it (four eyes, §7.2.1). The shop (a customer asking for
// their own order) may ask only where the event's rule takes refunds, for
// the whole order, once at a time, and the request keeps the rule's fee.
func (s *Service) RequestRefund(ctx context.Context, p Principal, in RefundInput) (RefundRequest, error) {
	if err := authorize(p, auth.RequestRefund); err != nil {
		return RefundRequest{}, err
	}
	reason, fe := cleanText("reason", in.Reason, 3, 500)
	if fe != nil {
		return RefundRequest{}, invalid("invalid_refund", "a refund needs a reason", *fe)
	}
	if in.BundleID != 0 {
		return s.requestBundleRefund(ctx, p, in, reason)
	}
	o, err := s.order(ctx, p, in.OrderID)
	if err != nil {
		return RefundRequest{}, err
	}
	ids, amount, err := refundable(o, in.TicketIDs)
	if err != nil {
		return RefundRequest{}, err
	}
	ss, err := s.store.GetSession(ctx, o.TenantID, o.SessionID)
	if err != nil {
		return RefundRequest{}, err
	}
	if err := s.refundRefusal(ctx, ss, s.now()); err != nil {
		return RefundRequest{}, err
	}
	var fee int64
	if p.Role == auth.RoleShop {
		if len(in.TicketIDs) > 0 {
			return RefundRequest{}, invalid("invalid_refund", "the shop refunds whole orders")
		}
		q, err := s.shopQuote(ctx, o, ss)
		if err != nil {
			return RefundRequest{}, err
		}
		fee = q.FeeCents
	}
	r := RefundRequest{TenantID: o.TenantID, VenueID: o.VenueID, OrderID: o.ID, TicketIDs: ids, AmountCents: amount, FeeCents: fee,
		Reason: reason, Status: RefundPending, RequestedBy: p.UserID, CreatedAt: s.now().UTC(), Key: in.key}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if p.Role == auth.RoleShop || p.Role == auth.RoleAgency {
			// Checked in the transaction: two requests racing make one.
			if pending, err := tx.RefundPending(ctx, o.ID); err != nil || pending {
				if err == nil {
					err = conflict("refund_pending", "a refund of this order is waiting for review")
				}
				return err
			}
		}
		if err := tx.InsertRefund(ctx, &r); err != nil {
			return err
		}
		rec(change{action: "refund.request", object: "refund:" + itoa(r.ID), tenantID: r.TenantID, venueID: r.VenueID, reason: reason, after: r})
		return nil
	})
	return r, err
}

// requestBundleRefund asks to refund a pass whole: every session's order,
// before the first of them starts (a pass partly used is not refunded).
func (s *Service) requestBundleRefund(ctx context.Context, p Principal, in RefundInput, reason string) (RefundRequest, error) {
	if in.OrderID != 0 || len(in.TicketIDs) > 0 {
		return RefundRequest{}, invalid("invalid_refund", "a pass is refunded whole: give its bundle_id alone")
	}
	if p.Role == auth.RoleShop || p.Role == auth.RoleAgency {
		return RefundRequest{}, forbidden("passes are refunded at the box office")
	}
	b, err := s.store.GetBundle(ctx, scopeTenant(p), in.BundleID)
	if err != nil {
		return RefundRequest{}, err
	}
	if b.Status != BundleValid {
		return RefundRequest{}, conflict("nothing_to_refund", "the pass is "+string(b.Status))
	}
	now := s.now().UTC()
	var rs []RefundRequest
	for _, oid := range b.OrderIDs {
		o, err := s.order(ctx, p, oid)
		if IsKind(err, KindNotFound) {
			return RefundRequest{}, forbidden("the pass has sessions at venues you do not sell for; ask the organiser")
		}
		if err != nil {
			return RefundRequest{}, err
		}
		ids, amount, err := refundable(o, nil)
		if err != nil {
			return RefundRequest{}, err
		}
		ss, err := s.store.GetSession(ctx, o.TenantID, o.SessionID)
		if err != nil {
			return RefundRequest{}, err
		}
		if err := s.refundRefusal(ctx, ss, now); err != nil {
			return RefundRequest{}, err
		}
		rs = append(rs, RefundRequest{TenantID: o.TenantID, VenueID: o.VenueID, OrderID: o.ID, TicketIDs: ids, AmountCents: amount,
			Reason: reason, Status: RefundPending, RequestedBy: p.UserID, CreatedAt: now, BundleID: b.ID})
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if pending, err := tx.BundleRefunds(ctx, b.ID, RefundPending); err != nil || len(pending) > 0 {
			if err == nil {
				err = conflict("refund_pending", "a refund of this pass is waiting for review")
			}
			return err
		}
		for i := range rs {
			if err := tx.InsertRefund(ctx, &rs[i]); err != nil {
				return err
			}
			rec(change{action: "refund.request", object: "refund:" + itoa(rs[i].ID), tenantID: rs[i].TenantID, venueID: rs[i].VenueID, reason: reason, after: rs[i]})
		}
		return nil
	})
	if err != nil {
		return RefundRequest{}, err
	}
	return rs[0], nil
}

// RefundQuote is what the shop would charge to refund a whole order now,
// by its event's rule: an error when the event takes no refunds (or no
// longer does).
func (s *Service) RefundQuote(ctx context.Context, p Principal, orderID int64) (refundrule.Quote, error) {
	if err := authorize(p, auth.ReadSales); err != nil {
		return refundrule.Quote{}, err
	}
	o, err := s.order(ctx, p, orderID)
	if err != nil {
		return refundrule.Quote{}, err
	}
	if _, _, err := refundable(o, nil); err != nil {
		return refundrule.Quote{}, err
	}
	ss, err := s.store.GetSession(ctx, o.TenantID, o.SessionID)
	if err != nil {
		return refundrule.Quote{}, err
	}
	return s.shopQuote(ctx, o, ss)
}

// CancelledRefunds is how long after a cancelled session's start its
// tickets are still refunded at the shop.
const CancelledRefunds = 30 * 24 * time.Hour

// refundOpen says whether a session's tickets may be refunded at now:
// before it starts, or, when it was cancelled, for CancelledRefunds after
// (the special case of §6.1.3(11): the organiser called it off).
func refundOpen(ss Session, now time.Time) bool {
	if ss.Status == SessionCancelled {
		return now.Before(ss.StartsAt.Add(CancelledRefunds))
	}
	return now.Before(ss.StartsAt)
}

// refundRefusal says why a session's tickets may not be refunded now, by
// the time and by its event's policy: an event whose refunds are closed
// takes them only for a session the organiser cancelled or postponed.
func (s *Service) refundRefusal(ctx context.Context, ss Session, now time.Time) error {
	if !refundOpen(ss, now) {
		return conflict("session_started", "tickets can be refunded only before the session starts; after it, a manager records a refund 补登 on the Reporting page")
	}
	if ss.Status == SessionCancelled || ss.Postponed {
		return nil
	}
	ev, err := s.cachedEvent(ctx, ss.TenantID, ss.EventID)
	if err != nil {
		return err
	}
	if ev.RefundPolicy == RefundsClosed {
		return conflict("refunds_closed", "this event takes no refunds unless the organiser cancels or postpones the session")
	}
	return nil
}

// MarkReturned records that staff took a printed ticket back, so that its
// refund can be approved.
func (s *Service) MarkReturned(ctx context.Context, p Principal, number, reason string) (Ticket, error) {
	if err := authorize(p, auth.RequestRefund); err != nil {
		return Ticket{}, err
	}
	t, err := s.GetTicket(ctx, p, number)
	if err != nil {
		return Ticket{}, err
	}
	if !t.OnPaper() {
		return Ticket{}, conflict("not_on_paper", "the ticket was never printed: nothing to hand back")
	}
	if t.ReturnedAt != nil {
		return t, nil
	}
	at := s.now().UTC()
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		rec(change{action: "ticket.returned", object: "ticket:" + t.Number, tenantID: t.TenantID, venueID: t.VenueID, reason: reason,
			after: map[string]any{"returned_at": at}})
		return tx.SetTicketReturned(ctx, t.ID, at)
	})
	t.ReturnedAt = &at
	return t, err
}

func (s *Service) shopQuote(ctx context.Context, o Order, ss Session) (refundrule.Quote, error) {
	var prices []int64
	for _, t := range o.Tickets {
		if t.Status == TicketValid {
			prices = append(prices, t.PriceCents)
		}
	}
	if ss.Status == SessionCancelled {
		// Called off by the organiser: the whole price back, whatever the
		// event's rule, even for an event that takes no refunds.
		until := ss.StartsAt.Add(CancelledRefunds)
		q, err := refundrule.Rule{Grades: []refundrule.Grade{{}}}.Quote(prices, until, s.now())
		if err != nil {
			return q, conflict("refunds_closed", "the refunds of this cancelled session have closed")
		}
		return q, nil
	}
	ev, err := s.store.GetEvent(ctx, o.TenantID, ss.EventID)
	if err != nil {
		return refundrule.Quote{}, err
	}
	switch {
	case ss.Postponed && (ev.Refunds == nil || !ev.Refunds.Open()):
		// Moved by the organiser: the whole price back until it starts.
		return refundrule.Rule{Grades: []refundrule.Grade{{}}}.Quote(prices, ss.StartsAt, s.now())
	case ev.RefundPolicy == RefundsClosed && !ss.Postponed:
		return refundrule.Quote{}, conflict("refunds_closed", "this event takes no refunds unless the organiser cancels or postpones the session")
	}
	if ev.Refunds == nil || !ev.Refunds.Open() {
		return refundrule.Quote{}, conflict("refunds_closed", "this event takes no refunds at the shop")
	}
	q, err := ev.Refunds.Quote(prices, ss.StartsAt, s.now())
	if errors.Is(err, refundrule.ErrClosed) {
		return q, conflict("refunds_closed", "refunds of this event closed "+strconv.Itoa(ev.Refunds.Grades[len(ev.Refunds.Grades)-1].BeforeHours)+" hours before the session")
	}
	return q, err
}

// refundable picks the order's valid tickets to refund and their amount.
func refundable(o Order, want []int64) ([]int64, int64, error) {
	if o.Status != OrderPaid && o.Status != OrderPartiallyRefunded {
		return nil, 0, conflict("order_not_paid", "only paid orders can be refunded; this one is "+string(o.Status))
	}
	var ids []int64
	var amount int64
	for _, t := range o.Tickets {
		if len(want) > 0 && !slices.Contains(want, t.ID) {
			continue
		}
		if t.Status != TicketValid {
			if len(want) > 0 {
				return nil, 0, conflict("ticket_not_valid", "ticket "+t.Number+" is already "+string(t.Status))
			}
			continue
		}
		ids = append(ids, t.ID)
		amount += t.PriceCents
	}
	if len(want) > 0 && len(ids) != len(slices.Compact(slices.Sorted(slices.Values(want)))) {
		return nil, 0, invalid("invalid_refund", "a ticket is not part of this order", FieldError{Field: "ticket_ids", Message: "not in this order"})
	}
	if len(ids) == 0 {
		return nil, 0, conflict("nothing_to_refund", "the order has no valid tickets left")
	}
	return ids, amount, nil
}

func (s *Service) refund(ctx context.Context, p Principal, id int64) (RefundRequest, error) {
	r, err := s.store.GetRefund(ctx, scopeTenant(p), id)
	if err != nil {
		return RefundRequest{}, err
	}
	if !p.SeesVenue(r.VenueID) && p.Role != auth.RolePlatformAdmin {
		return RefundRequest{}, notFound("refund")
	}
	return r, nil
}

func (s *Service) GetRefund(ctx context.Context, p Principal, id int64) (RefundRequest, error) {
	if err := authorize(p, auth.ReadSales); err != nil {
		return RefundRequest{}, err
	}
	return s.refund(ctx, p, id)
}

// ListRefunds lists refund requests of the caller's venues, e.g. the
// approval queue (status pending).
func (s *Service) ListRefunds(ctx context.Context, p Principal, status RefundStatus) ([]RefundRequest, error) {
	if err := authorize(p, auth.ReadSales); err != nil {
		return nil, err
	}
	rs, err := s.store.ListRefunds(ctx, scopeTenant(p), status)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rs, func(r RefundRequest) bool { return !p.SeesVenue(r.VenueID) && p.Role != auth.RolePlatformAdmin }), nil
}

// DecideRefund approves or rejects a pending request. The approver must not
// be the requester. Approval refunds the tickets, returns their seats to
// sale and revokes them for the gates, in one transaction.
func (s *Service) DecideRefund(ctx context.Context, p Principal, id int64, approve bool, note string) (RefundRequest, error) {
	if err := authorize(p, auth.ApproveRefund); err != nil {
		return RefundRequest{}, err
	}
	r, err := s.refund(ctx, p, id)
	if err != nil {
		return RefundRequest{}, err
	}
	if r.RequestedBy == p.UserID {
		return RefundRequest{}, forbidden("you cannot decide your own refund request; another manager must")
	}
	now := s.now()
	var parts []RefundRequest
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		cur, err := tx.GetRefund(ctx, r.TenantID, r.ID)
		if err != nil {
			return err
		}
		if cur.Status != RefundPending {
			return conflict("refund_decided", "the request was already "+string(cur.Status))
		}
		// A pass's refund is decided whole: every session's part at once.
		parts = []RefundRequest{cur}
		if cur.BundleID != 0 {
			if parts, err = tx.BundleRefunds(ctx, cur.BundleID, RefundPending); err != nil {
				return err
			}
		}
		for i, part := range parts {
			if parts[i], err = s.decideOne(ctx, tx, rec, p, part, approve, note, now); err != nil {
				return err
			}
			if part.ID == r.ID {
				r = parts[i]
			}
		}
		if cur.BundleID != 0 && approve {
			return tx.SetBundleStatus(ctx, cur.BundleID, BundleRefunded)
		}
		return nil
	})
	if err == nil && approve {
		// The card is refunded once the approval is durable; if the
		// provider does not answer now, PayBackRefunds tries again.
		for _, part := range parts {
			if part.PaidBackAt != nil {
				continue
			}
			if perr := s.payBack(ctx, part); perr != nil {
				s.log.Warn("refund to the card: will try again", "refund", part.ID, "err", perr)
			} else if part.ID == r.ID {
				r, _ = s.store.GetRefund(ctx, r.TenantID, r.ID)
			}
		}
	}
	return r, err
}

// decideOne approves or rejects one pending request in the decision's
// transaction: approved, its tickets are refunded, their seats return to
// sale and the gates hear of it.
func (s *Service) decideOne(ctx context.Context, tx Tx, rec func(change), p Principal, cur RefundRequest, approve bool, note string, now time.Time) (RefundRequest, error) {
	r := cur
	r.DecidedBy, r.Decision = p.UserID, note
	at := now.UTC()
	r.DecidedAt = &at
	if !approve {
		r.Status = RefundRejected
		rec(change{action: "refund.reject", object: "refund:" + itoa(r.ID), tenantID: r.TenantID, venueID: r.VenueID,
			reason: r.Reason, approver: p.Actor(), before: cur, after: r})
		return r, tx.DecideRefund(ctx, r)
	}
	err := func() error {
		o, err := tx.GetOrder(ctx, r.TenantID, r.OrderID)
		if err != nil {
			return err
		}
		if o.Tickets, err = tx.OrderTickets(ctx, o.ID); err != nil {
			return err
		}
		ss, err := tx.GetSession(ctx, o.TenantID, o.SessionID)
		if err != nil {
			return err
		}
		if err := s.refundRefusal(ctx, ss, now); err != nil {
			return err
		}
		if _, _, err := refundable(o, r.TicketIDs); err != nil {
			return err
		}
		// A ticket on paper comes back before its money does.
		var out []string
		for _, t := range o.Tickets {
			if slices.Contains(r.TicketIDs, t.ID) && t.OnPaper() && t.ReturnedAt == nil {
				out = append(out, t.Number)
			}
		}
		if len(out) > 0 {
			return conflict("tickets_not_returned", "printed tickets must be handed back first (mark them returned): "+strings.Join(out, ", "))
		}
		r.Status = RefundApproved
		if !paidByProvider(o) {
			r.PaidBackAt = &at // cash: handed back at the counter, now
		}
		if err := tx.DecideRefund(ctx, r); err != nil {
			return err
		}
		if err := tx.RefundTickets(ctx, r.TicketIDs, now); err != nil {
			return err
		}
		var revs []Revocation
		revoked := TicketsRevoked{RefundID: r.ID, OrderID: o.ID}
		left := 0
		for _, t := range o.Tickets {
			if slices.Contains(r.TicketIDs, t.ID) {
				revs = append(revs, Revocation{TicketID: t.ID, Number: t.Number, VenueID: t.VenueID, SessionID: t.SessionID, Reason: "refunded", At: at})
				revoked.Tickets = append(revoked.Tickets, ticketFact(t, o.Channel, at))
			} else if t.Status == TicketValid {
				left++
			}
		}
		st := OrderRefunded
		if left > 0 {
			st = OrderPartiallyRefunded
		}
		if err := tx.SetOrderStatus(ctx, o.ID, st); err != nil {
			return err
		}
		if err := tx.InsertRevocations(ctx, revs); err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, outboxEvent(r.TenantID, r.VenueID, "tickets.revoked", revoked)); err != nil {
			return err
		}
		for _, v := range revs {
			if err := s.appendFeed(ctx, tx, v.VenueID, wire.EventRevocation, revocationData(v)); err != nil {
				return err
			}
		}
		rec(change{action: "refund.approve", object: "refund:" + itoa(r.ID), tenantID: r.TenantID, venueID: r.VenueID,
			reason: r.Reason, approver: p.Actor(), before: cur, after: r})
		rec(change{action: "order.refund", object: "order:" + itoa(o.ID), tenantID: o.TenantID, venueID: o.VenueID,
			reason: r.Reason, approver: p.Actor(), before: map[string]any{"status": o.Status}, after: map[string]any{"status": st, "revoked": revs}})
		return nil
	}()
	return r, err
}

// paidByProvider says whether an order's money went through the payment
// provider (a card, a presale's capture), so a refund goes back that way.
func paidByProvider(o Order) bool {
	return (o.PaymentMethod == "card" || o.PaymentMethod == MethodPresale) && o.PaymentKey != ""
}

// payBack refunds an approved refund's money to the card, less the fee it
// keeps, once (the provider's refund key is the refund's), and records it.
func (s *Service) payBack(ctx context.Context, r RefundRequest) error {
	o, err := s.store.GetOrder(ctx, r.TenantID, r.OrderID)
	if err != nil {
		return err
	}
	back := r.AmountCents - r.FeeCents
	if paidByProvider(o) && back > 0 {
		pctx, cancel := context.WithTimeout(ctx, s.cfg.PaymentTimeout)
		err := s.cfg.Payments.Refund(pctx, o.PaymentKey, "refund-"+itoa(r.ID), back)
		cancel()
		if err != nil {
			return fmt.Errorf("refund %d to the card: %w", r.ID, err)
		}
	}
	at := s.now().UTC()
	return s.update(ctx, Principal{}, func(tx Tx, rec func(change)) error {
		rec(change{action: "refund.paid_back", object: "refund:" + itoa(r.ID), tenantID: r.TenantID, venueID: r.VenueID, actor: "payments",
			after: map[string]any{"order": r.OrderID, "cents": back, "method": o.PaymentMethod}})
		return tx.MarkRefundPaidBack(ctx, r.ID, at)
	})
}

// PayBackRefunds refunds to their cards the approved refunds whose money
// has not gone back (the provider did not answer at approval, or the
// process stopped in between); the sweep runs it. It says how many.
func (s *Service) PayBackRefunds(ctx context.Context) (int, error) {
	rs, err := s.store.RefundsToPayBack(ctx, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range rs {
		if err := s.payBack(ctx, r); err != nil {
			if len(errs) < 3 {
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
