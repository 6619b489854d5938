package sales

import (
	"context"
	"fmt"

	"github.com/admitbox/admit/cloud/auth"
)

// MethodPresale is the payment method of an order paid before it had
// seats: a presale winner's captured authorisation (cloud/presale).
const MethodPresale = "presale"

// Prepaid is an order whose money was taken before it had seats: the
// seats it gets, the holders named for them, and the captured payment.
type Prepaid struct {
	SessionID    int64
	SeatIDs      []int64
	Holders      []OrderHolder // one per seat, SeatID set, for a real-name event
	CustomerName string
	Reference    string // the provider's reference
	// Key is the payment's key: one order per key, however often the
	// caller asks (a crash between the order and the caller's record of
	// it is answered with the same order).
	Key string
}

// IssuePrepaid holds the seats and issues their tickets, paid by a
// captured payment, in one transaction after the hold; asked again with
// the same key it returns the order made the first time.
func (s *Service) IssuePrepaid(ctx context.Context, p Principal, in Prepaid) (Order, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Order{}, err
	}
	if in.Key == "" || len(in.SeatIDs) == 0 {
		return Order{}, invalid("invalid_order", "a prepaid order needs its payment key and seats")
	}
	if o, ok, err := s.prepaidOrder(ctx, p, in.Key); err != nil || ok {
		return o, err
	}
	h, err := s.HoldSeats(ctx, p, HoldRequest{SessionID: in.SessionID, Channel: ChannelWeb, SeatIDs: in.SeatIDs})
	if err != nil {
		return Order{}, err
	}
	keyed := in.Holders
	if keyed == nil {
		keyed = []OrderHolder{}
	}
	o, err := s.confirm(ctx, p, OrderRequest{HoldID: h.ID, CustomerName: in.CustomerName}, keyed, &in)
	if err == nil {
		return o, nil
	}
	if _, rerr := s.ReleaseHold(ctx, p, h.ID); rerr != nil && !IsKind(rerr, KindConflict) && !IsKind(rerr, KindNotFound) {
		s.log.Warn("release a prepaid order's hold", "hold", h.ID, "err", rerr)
	}
	// Another process may have issued it meanwhile (the key is unique).
	if prev, ok, ferr := s.prepaidOrder(ctx, p, in.Key); ferr == nil && ok {
		return prev, nil
	}
	return Order{}, err
}

func (s *Service) prepaidOrder(ctx context.Context, p Principal, key string) (Order, bool, error) {
	found, err := s.store.FindOrders(ctx, scopeTenant(p), OrderFilter{PrepaidKey: key, Limit: 1})
	if err != nil || len(found) == 0 {
		return Order{}, false, err
	}
	o, err := s.GetOrder(ctx, p, found[0].ID)
	return o, err == nil, err
}

// keyedHolders checks holders, already checked and keyed by the domain
// that took them, against the hold's seats, and seals their names as an
// order keeps them.
func (s *Service) keyedHolders(ev Event, h Hold, in []OrderHolder) ([]OrderHolder, error) {
	if !ev.RealName {
		if len(in) > 0 {
			return nil, invalid("invalid_order", "only a real-name event names its tickets' holders")
		}
		return nil, nil
	}
	if len(in) != len(h.Seats) {
		return nil, invalid("invalid_holders", fmt.Sprintf("a real-name event names a holder for each of the %d seats", len(h.Seats)))
	}
	seats := map[int64]bool{}
	for _, st := range h.Seats {
		seats[st.SeatID] = true
	}
	docs := map[string]bool{}
	out := make([]OrderHolder, len(in))
	for i, oh := range in {
		if !seats[oh.SeatID] || oh.IDKey == "" {
			return nil, invalid("invalid_holders", "a holder names a seat outside the order, or no document")
		}
		if docs[oh.IDKey] {
			return nil, invalid("invalid_holders", "one document holds one ticket of a session")
		}
		delete(seats, oh.SeatID)
		docs[oh.IDKey] = true
		oh.Name = s.SealText(oh.Name)
		out[i] = oh
	}
	return out, nil
}
