package sales

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/auth"
)

// MethodPresale is the payment method of an order paid before it had
// seats: a presale winner's captured authorisation (cloud/presale).
const MethodPresale = "presale"

// MethodAgency is the payment method of an order an agency sold and
// collected the money for (cloud/agency): paid on the agency's word, and
// settled with it later.
const MethodAgency = "agency"

// MethodContract is the payment method of a contract customer's order,
// paid outside the system and recorded by a finance user (cloud/contract).
const MethodContract = "contract"

// ConfirmPaid turns a hold into an order paid outside the system, with
// its holders, in one transaction: the order, its payment and its
// tickets. Asked again with the same key it answers the order made the
// first time.
func (s *Service) ConfirmPaid(ctx context.Context, p Principal, in OrderRequest, pre Prepaid) (Order, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Order{}, err
	}
	if pre.Key == "" || pre.Method != MethodContract || in.Payment != nil {
		return Order{}, invalid("invalid_order", "an order paid outside needs its key and the contract method")
	}
	if o, ok, err := s.PrepaidOrder(ctx, p, pre.Key); err != nil || ok {
		return o, err
	}
	o, err := s.confirm(ctx, p, in, nil, &pre)
	if err != nil {
		if prev, ok, ferr := s.PrepaidOrder(ctx, p, pre.Key); ferr == nil && ok {
			return prev, nil
		}
	}
	return o, err
}

// CodeKeyInFlight refuses a prepaid order whose key another request is
// still serving: retry it in a moment to get that request's order.
const CodeKeyInFlight = "idempotency_key_in_flight"

// prepaidHoldTTL is a prepaid order's hold time: the order is confirmed
// at once, so a crash between the two blocks its key only this long.
const prepaidHoldTTL = time.Minute

// Prepaid is an order whose money was taken before it had seats: the
// seats it gets, the holders named for them, and the captured payment.
type Prepaid struct {
	SessionID int64
	// SeatIDs, or Count seats of TierID picked for the buyer.
	SeatIDs    []int64
	Count      int
	TierID     int64
	AllowSplit bool
	Holders    []OrderHolder // one per seat, SeatID set, for a real-name event
	// Documents name the holders by their documents instead, in seat
	// order (the service keys them, as for the box office).
	Documents    []HolderRequest
	CustomerName string
	Reference    string // the provider's reference
	// Method is how it was paid: MethodPresale (the default) or
	// MethodAgency; Channel is the channel it sells on (default web);
	// Party is the party selling (HoldRequest.Party).
	Method  string
	Channel Channel
	Party   string
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
	if in.Method == "" {
		in.Method = MethodPresale
	}
	if in.Channel == "" {
		in.Channel = ChannelWeb
	}
	if in.Key == "" || (len(in.SeatIDs) == 0 && in.Count == 0) || (in.Method != MethodPresale && in.Method != MethodAgency) {
		return Order{}, invalid("invalid_order", "a prepaid order needs its payment key, its method and seats")
	}
	if o, ok, err := s.PrepaidOrder(ctx, p, in.Key); err != nil || ok {
		return o, err
	}
	h, err := s.HoldSeats(ctx, p, HoldRequest{SessionID: in.SessionID, Channel: in.Channel, SeatIDs: in.SeatIDs,
		Count: in.Count, TierID: in.TierID, AllowSplit: in.AllowSplit, Party: in.Party, Key: in.Key, TTL: prepaidHoldTTL})
	if IsKind(err, KindConflict) {
		// A racing request with the key held first: holds are serialised,
		// so its hold is still active (CodeKeyInFlight) or its order is
		// made (the seats are gone; answer that order).
		if prev, ok, ferr := s.PrepaidOrder(ctx, p, in.Key); ferr == nil && ok {
			return prev, nil
		}
	}
	if err != nil {
		return Order{}, err
	}
	req := OrderRequest{HoldID: h.ID, CustomerName: in.CustomerName}
	keyed := in.Holders
	switch {
	case in.Documents != nil:
		// The documents go to the held seats in order (a wrong count is
		// refused by confirm, naming it).
		keyed, req.Holders = nil, slices.Clone(in.Documents)
		for i := range req.Holders {
			if i < len(h.Seats) {
				req.Holders[i].SeatID = h.Seats[i].SeatID
			}
		}
	case keyed == nil:
		keyed = []OrderHolder{}
	}
	o, err := s.confirm(ctx, p, req, keyed, &in)
	if err == nil {
		return o, nil
	}
	if _, rerr := s.ReleaseHold(ctx, p, h.ID); rerr != nil && !IsKind(rerr, KindConflict) && !IsKind(rerr, KindNotFound) {
		s.log.Warn("release a prepaid order's hold", "hold", h.ID, "err", rerr)
	}
	// Another process may have issued it meanwhile (the key is unique).
	if prev, ok, ferr := s.PrepaidOrder(ctx, p, in.Key); ferr == nil && ok {
		return prev, nil
	}
	return Order{}, err
}

// PrepaidOrder is the order a prepaid payment's key made, if any.
func (s *Service) PrepaidOrder(ctx context.Context, p Principal, key string) (Order, bool, error) {
	found, err := s.store.FindOrders(ctx, scopeTenant(p), OrderFilter{PrepaidKey: key, Limit: 1})
	if err == nil && len(found) > 0 && found[0].Party != "" && p.Role == auth.RoleAgency && found[0].Party != p.Username {
		found = nil // another party's key: not this caller's order
	}
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

// ValidParty reports whether s names a party as "kind:id" (agency:12):
// a lowercase kind and a positive decimal id.
func ValidParty(s string) bool {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || kind == "" || len(kind) > 16 || id == "" || len(id) > 18 || id[0] == '0' {
		return false
	}
	for _, r := range kind {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
