package sales

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/ticket"
	wire "github.com/admitbox/admit/sync"
)

// Payments. Every payment attempt has its own idempotency key at the
// provider: a declined card and then another card are two attempts, a
// client that timed out and resends is the same attempt (one charge), and
// an approved charge whose tickets cannot be issued (the order was paid by
// another attempt meanwhile, or lost its seats) is voided with its key.

// PaymentRequest pays an order: cash at the box office, or a card through
// the payment provider.
type PaymentRequest struct {
	Method    string `json:"method"` // cash | card
	CardToken string `json:"card_token"`
	// IdempotencyKey names this payment attempt. A client that timed out
	// sends the same request with the same key and is told what happened
	// (one charge at most); another card, or the same card tried again
	// after a decline, is a new attempt with a new key. Without one, a card
	// attempt is the order and the card.
	IdempotencyKey string `json:"idempotency_key"`
}

// maxIdempotencyKey bounds a client's payment attempt key.
const maxIdempotencyKey = 64

// attemptKey is the provider's idempotency key for a payment attempt,
// always within the order, so a client's key never reaches another
// order's charge.
func attemptKey(orderID int64, in PaymentRequest) (string, error) {
	return attemptKeyIn("order-"+itoa(orderID), in)
}

// holdAttemptKey is the idempotency key of a card paid with the order
// (ConfirmOrder), which has no order yet: the attempt is within the hold,
// and a hold makes one order.
func holdAttemptKey(holdID int64, in PaymentRequest) (string, error) {
	return attemptKeyIn("hold-"+itoa(holdID), in)
}

func attemptKeyIn(scope string, in PaymentRequest) (string, error) {
	if k := in.IdempotencyKey; k != "" {
		if len(k) > maxIdempotencyKey || strings.IndexFunc(k, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r))
		}) >= 0 {
			return "", invalid("invalid_payment", "the idempotency key is 1 to 64 letters, digits and - _ . :",
				FieldError{Field: "idempotency_key", Message: "not an idempotency key"})
		}
		return scope + "-k-" + k, nil
	}
	sum := sha256.Sum256([]byte(in.Method + "\x00" + in.CardToken))
	return scope + "-t-" + hex.EncodeToString(sum[:8]), nil
}

// PayOrder takes the payment and, in one transaction with marking the seats
// sold, issues the signed tickets.
func (s *Service) PayOrder(ctx context.Context, p Principal, orderID int64, in PaymentRequest) (Order, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Order{}, err
	}
	o, err := s.order(ctx, p, orderID)
	if err != nil {
		return Order{}, err
	}
	attempt, err := attemptKey(o.ID, in)
	if err != nil {
		return Order{}, err
	}
	// The same attempt again (a client that timed out) is told of the
	// payment it made. Cash without a key is not an attempt anyone can
	// name twice: paying a paid order again is refused.
	if o.Status == OrderPaid && o.PaymentKey == attempt && o.PaymentMethod == in.Method && (in.IdempotencyKey != "" || in.Method == "card") {
		return s.maskFor(p, o)
	}
	if o.Status != OrderPending {
		return Order{}, conflict("order_not_pending", "the order is "+string(o.Status))
	}
	now := s.now()
	if !now.Before(o.PayBy) {
		return Order{}, conflict("payment_window_over", "the time to pay this order is over; hold the seats again")
	}
	var ref string
	switch in.Method {
	case "cash":
		if o.Channel != ChannelPOS {
			return Order{}, invalid("invalid_payment", "cash is taken only at the box office", FieldError{Field: "method", Message: "cash needs the pos channel"})
		}
	case "card":
		if ref, err = s.chargeCard(ctx, o.ID, o.TotalCents, in.CardToken, attempt); err != nil {
			return Order{}, err
		}
	default:
		return Order{}, invalid("invalid_payment", "unknown payment method", FieldError{Field: "method", Message: "must be cash or card"})
	}
	ts, err := s.issueTickets(ctx, &o, now)
	if err != nil {
		return Order{}, err
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		return s.settle(ctx, tx, rec, &o, ts, in.Method, ref, attempt, now)
	})
	if err != nil {
		if ref != "" && s.voidCharge(attempt, err) {
			// A resend of this attempt paid the order meanwhile.
			if prev, ok, ferr := s.cardOrder(ctx, p, attempt); ferr == nil && ok {
				return prev, nil
			}
		}
		return Order{}, err
	}
	return s.maskFor(p, o)
}

// cardOrder is the order a card attempt paid, if any.
func (s *Service) cardOrder(ctx context.Context, p Principal, attempt string) (Order, bool, error) {
	found, err := s.store.FindOrders(ctx, scopeTenant(p), OrderFilter{CardKey: attempt, Limit: 1})
	if err != nil || len(found) == 0 {
		return Order{}, false, err
	}
	o, err := s.GetOrder(ctx, p, found[0].ID)
	return o, err == nil, err
}

// chargeCard charges a card attempt; it answers the provider's reference
// of an approved charge, or the decline or timeout as the buyer hears it.
// orderID is 0 for a card paid with the order, before the order exists.
func (s *Service) chargeCard(ctx context.Context, orderID, amountCents int64, token, attempt string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.PaymentTimeout)
	res, err := s.cfg.Payments.Charge(cctx, payment.Request{OrderID: orderID, AmountCents: amountCents, Currency: "CNY",
		Token: token, IdempotencyKey: attempt})
	cancel()
	if errors.Is(err, payment.ErrTimeout) {
		return "", &Error{Kind: KindPayment, Code: "payment_timeout", Message: "the payment provider did not answer; nothing was charged twice, try again", err: err}
	}
	if err != nil {
		return "", fmt.Errorf("charge attempt %s: %w", attempt, err)
	}
	if !res.Approved {
		s.log.Info("card declined", "attempt", attempt, "reason", res.DeclineReason)
		return "", &Error{Kind: KindPayment, Code: "payment_declined", Message: "the payment was declined: " + res.DeclineReason +
			"; try another card, or the same card with a new idempotency_key"}
	}
	return res.Reference, nil
}

// issueTickets numbers and signs an order's tickets before the writer is
// taken: signing is the slowest step of a sale and needs nothing the
// transaction decides. The caller sets OrderID when it is not known yet.
func (s *Service) issueTickets(ctx context.Context, o *Order, now time.Time) ([]Ticket, error) {
	ss, err := s.cachedSession(ctx, o.TenantID, o.SessionID)
	if err != nil {
		return nil, err
	}
	v, err := s.cachedVenue(ctx, o.TenantID, o.VenueID)
	if err != nil {
		return nil, err
	}
	key, err := s.activeKey(ctx, o.TenantID)
	if err != nil {
		return nil, err
	}
	bdate, err := time.Parse("2006-01-02", ss.BusinessDate)
	if err != nil {
		return nil, fmt.Errorf("session %d business date: %w", ss.ID, err)
	}
	first, err := s.takeSerials(ctx, o.VenueID, ss.BusinessDate, len(o.Seats))
	if err != nil {
		return nil, err
	}
	ts := make([]Ticket, len(o.Seats))
	for i, st := range o.Seats {
		pl := ticket.Payload{SystemCode: s.cfg.SystemCode, VenueCode: v.Code, BusinessDate: bdate,
			Serial: first + uint32(i), SessionID: ss.ID, SeatID: st.SeatID}
		qr, err := ticket.Sign(pl, key)
		if err != nil {
			return nil, fmt.Errorf("sign ticket: %w", err)
		}
		ts[i] = Ticket{TenantID: o.TenantID, VenueID: o.VenueID, SessionID: o.SessionID, OrderID: o.ID, SeatID: st.SeatID,
			SeatLabel: st.Label, Number: pl.Number(), BusinessDate: ss.BusinessDate, Serial: pl.Serial, TierID: st.TierID,
			PriceCents: st.PriceCents, KeyID: uint32(key.ID), QR: qr, Status: TicketValid, IssuedAt: now.UTC()}
	}
	return ts, nil
}

// settle is the paying half of a sale, inside its transaction: the order
// paid by this attempt, its seats sold, its tickets stored, reported and
// fed to the venue's devices.
func (s *Service) settle(ctx context.Context, tx Tx, rec func(change), o *Order, ts []Ticket, method, ref, attempt string, now time.Time) error {
	if method == "card" {
		// A provider answers a spent key as it first did: an attempt whose
		// charge went back must not pay, however it is answered now.
		voided, err := tx.AttemptVoided(ctx, attempt)
		if err != nil {
			return err
		}
		if voided {
			return &Error{Kind: KindPayment, Code: "payment_voided", Message: "this payment attempt's charge was given back; pay again with a new idempotency_key"}
		}
	}
	paid, err := tx.MarkOrderPaid(ctx, o.ID, method, ref, attempt, now.UTC())
	if err != nil {
		return err
	}
	if !paid {
		return conflict("order_not_pending", "the order is no longer awaiting payment")
	}
	n, err := tx.SellHoldSeats(ctx, o.HoldID, o.ID, now)
	if err != nil {
		return err
	}
	if n != len(o.Seats) {
		return conflict("hold_lost", "the seats were released before payment; hold the seats again")
	}
	tags := map[int64]string{}
	for _, h := range o.Holders {
		tags[h.SeatID] = h.GateTag
	}
	for i := range ts {
		ts[i].OrderID, ts[i].Holder = o.ID, tags[ts[i].SeatID]
	}
	if err := tx.InsertTickets(ctx, ts); err != nil {
		return err
	}
	if err := s.nameHolders(ctx, tx, o, ts, now); err != nil {
		return err
	}
	paidAt := now.UTC()
	o.Status, o.PaymentMethod, o.PaymentRef, o.PaymentKey, o.PaidAt, o.Tickets = OrderPaid, method, ref, attempt, &paidAt, ts
	// For the regulator's reporter: the sale, in the sale's transaction.
	issued := TicketsIssued{OrderID: o.ID, Tickets: make([]TicketFact, len(ts))}
	for i, t := range ts {
		issued.Tickets[i] = ticketFact(t, o.Channel, paidAt)
	}
	if err := tx.AppendOutbox(ctx, outboxEvent(o.TenantID, o.VenueID, "tickets.issued", issued)); err != nil {
		return err
	}
	for _, t := range ts {
		if err := s.appendFeed(ctx, tx, o.VenueID, wire.EventTicket, ticketData(t, o.PickupCode)); err != nil {
			return err
		}
	}
	rec(change{action: "order.pay", object: "order:" + itoa(o.ID), tenantID: o.TenantID, venueID: o.VenueID,
		before: map[string]any{"status": OrderPending}, after: map[string]any{"status": o.Status, "method": method, "ref": ref, "tickets": ticketNumbers(ts)}})
	return nil
}

// voidCharge gives a customer's money back when the card was charged but
// the tickets could not be issued (the seats were lost meanwhile). It
// runs on its own context: the request's may be the reason we are here.
// The attempt key names the order, or the hold of a card paid with it.
//
// The void is recorded first, in a transaction that finds no order paid
// by the attempt (a resend of it may have made one meanwhile: then paid
// is true and the charge stands). Once recorded, the attempt never pays:
// the provider answers its key, sent again, as approved.
func (s *Service) voidCharge(key string, cause error) (paid bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.store.Update(ctx, func(tx Tx) error {
		found, err := tx.FindOrders(ctx, -1, OrderFilter{CardKey: key, Limit: 1})
		if err != nil {
			return err
		}
		if paid = len(found) > 0; paid {
			return nil
		}
		return tx.VoidAttempt(ctx, key, s.now().UTC())
	})
	if err != nil {
		// The money goes back all the same: a charge without tickets is
		// the worse wrong. Should this attempt be sent again, the
		// provider's answer could pay for it: reconcile by hand then.
		s.log.Error("voided card attempt not recorded", "attempt", key, "cause", cause, "err", err)
	}
	if paid {
		return true
	}
	if err := s.cfg.Payments.Void(ctx, key); err != nil {
		s.log.Error("charged card not voided: reconcile by hand", "attempt", key, "cause", cause, "err", err)
		return false
	}
	s.log.Warn("card charge voided: tickets could not be issued", "attempt", key, "cause", cause)
	return false
}
