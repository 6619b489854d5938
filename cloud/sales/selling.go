package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/auth"
)

// HoldRequest holds specific seats, or the best N available in a tier.
type HoldRequest struct {
	SessionID int64   `json:"session_id"`
	Channel   Channel `json:"channel"`
	SeatIDs   []int64 `json:"seat_ids"`
	// Best-available: Count seats of TierID (0: any tier), adjacent in one
	// row unless AllowSplit says the party may sit apart when no such
	// block is left.
	Count      int   `json:"count"`
	TierID     int64 `json:"tier_id"`
	AllowSplit bool  `json:"allow_split"`
	// Customer may take seats reserved for them.
	Customer string `json:"customer"`
	// Party is who sells besides the channel ("agency:12"): set by the
	// domain selling through it, never by a client.
	Party string `json:"-"`
	// Key is a prepaid order's key: while a hold with it is active no
	// other can be made (a racing retry is told the order is in flight).
	// TTL, if set, replaces the channel's hold time.
	Key string        `json:"-"`
	TTL time.Duration `json:"-"`
}

// bestTries bounds how often a best-available buyer who lost a race for
// the seats it picked picks again from the map as it is now.
const bestTries = 8

// HoldSeats puts seats on hold for the caller, all or nothing, in one
// transaction. A seat anyone else holds or bought is refused with the reason.
func (s *Service) HoldSeats(ctx context.Context, p Principal, in HoldRequest) (Hold, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Hold{}, err
	}
	ss, err := s.session(ctx, p, in.SessionID)
	if err != nil {
		return Hold{}, err
	}
	now := s.now()
	if err := sellable(ss, now); err != nil {
		return Hold{}, err
	}
	if in.Channel == ChannelWeb && ss.OnSaleAt != nil && now.Before(*ss.OnSaleAt) {
		return Hold{}, conflict("not_on_sale", "the public sale of this session opens at "+ss.OnSaleAt.UTC().Format(time.RFC3339))
	}
	var fields []FieldError
	if !in.Channel.Valid() {
		fields = append(fields, FieldError{Field: "channel", Message: "must be pos, kiosk, web, agency or contract"})
	}
	best := len(in.SeatIDs) == 0
	n := len(in.SeatIDs)
	if best {
		n = in.Count
	} else if in.Count != 0 && in.Count != n {
		fields = append(fields, FieldError{Field: "count", Message: "give seat_ids or count, not both"})
	}
	switch {
	case n <= 0:
		fields = append(fields, FieldError{Field: "seat_ids", Message: "choose at least one seat, or a count"})
	case n > ss.MaxPerOrder:
		fields = append(fields, FieldError{Field: "seat_ids", Message: "at most " + strconv.Itoa(ss.MaxPerOrder) + " tickets per order for this session"})
	}
	if !best && len(slices.Compact(slices.Sorted(slices.Values(in.SeatIDs)))) != len(in.SeatIDs) {
		fields = append(fields, FieldError{Field: "seat_ids", Message: "a seat is listed twice"})
	}
	if len(fields) > 0 {
		return Hold{}, invalid("invalid_hold", "the seats cannot be held", fields...)
	}
	ttl, err := s.holdTTL(ctx, ss.TenantID, in.Channel)
	if err != nil {
		return Hold{}, err
	}
	if in.TTL > 0 {
		ttl = in.TTL
	}
	if !best {
		h, err := s.hold(ctx, p, ss, in, in.SeatIDs, now, ttl)
		if errors.Is(err, errUnholdable) {
			// Explain after the transaction: the writer is not held up reading.
			return Hold{}, s.explainUnholdable(ctx, ss, in.SeatIDs, in.Customer, now)
		}
		return h, err
	}
	// Best-available picks on the current map, outside the transaction; the
	// hold is one conditional statement; a buyer who lost the race picks
	// again from the map as the winner left it. Seats lost in a race stay
	// claimed until the buyer is done, so a map that has not yet heard of
	// another process's sale does not offer them again.
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for try := 0; ; try++ {
		seatIDs, release, err := s.pickBest(ctx, ss, in, now)
		if err != nil {
			return Hold{}, err
		}
		releases = append(releases, release)
		h, err := s.hold(ctx, p, ss, in, seatIDs, now, ttl)
		if !errors.Is(err, errUnholdable) {
			return h, err
		}
		if try+1 == bestTries {
			return Hold{}, conflict("seats_contended", "the seats picked for you were taken by other buyers as you asked; try again")
		}
	}
}

// pickBest chooses seats for a best-available buyer. Seats reserved for a
// named customer are not on the shared map: that rarer case picks from the
// session's seats as the store has them.
func (s *Service) pickBest(ctx context.Context, ss Session, in HoldRequest, now time.Time) ([]int64, func(), error) {
	soldOut := func() error {
		if in.AllowSplit {
			return conflict("sold_out", fmt.Sprintf("fewer than %d seats are available in that tier", in.Count))
		}
		return conflict("sold_out", fmt.Sprintf("no %d adjacent seats are available in that tier; ask for seats apart (allow_split) or fewer", in.Count))
	}
	if in.Customer == "" {
		m, err := s.liveMap(ctx, ss)
		if err != nil {
			return nil, nil, err
		}
		ids, release := m.Pick(in.Count, in.TierID, in.AllowSplit)
		if ids == nil {
			return nil, nil, soldOut()
		}
		return ids, release, nil
	}
	seats, err := s.store.SessionSeats(ctx, ss.ID)
	if err != nil {
		return nil, nil, err
	}
	cands := seats[:0]
	for _, st := range seats {
		if st.TierID != 0 && (in.TierID == 0 || st.TierID == in.TierID) && st.Sellable(now, in.Customer) {
			cands = append(cands, st)
		}
	}
	picked := BestAvailable(cands, in.Count, in.AllowSplit)
	if picked == nil {
		return nil, nil, soldOut()
	}
	ids := make([]int64, len(picked))
	for i, st := range picked {
		ids[i] = st.SeatID
	}
	return ids, func() {}, nil
}

func sellable(ss Session, now time.Time) error {
	if ss.Status == SessionCancelled {
		return conflict("session_cancelled", "the session is cancelled")
	}
	if !now.Before(ss.EndsAt) {
		return conflict("session_over", "the session is over")
	}
	return nil
}

func (s *Service) holdTTL(ctx context.Context, tenantID int64, c Channel) (time.Duration, error) {
	cs, err := s.cachedChannelSettings(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	for _, x := range cs {
		if x.Channel == c {
			return time.Duration(x.HoldTTLSec) * time.Second, nil
		}
	}
	return time.Duration(defaultHoldTTL(c)) * time.Second, nil
}

func (s *Service) hold(ctx context.Context, p Principal, ss Session, in HoldRequest, seatIDs []int64, now time.Time, ttl time.Duration) (Hold, error) {
	h := Hold{TenantID: ss.TenantID, VenueID: ss.VenueID, SessionID: ss.ID, Channel: in.Channel, Party: in.Party, Key: in.Key, Status: HoldActive,
		ExpiresAt: now.Add(ttl).UTC(), CreatedBy: p.UserID, CreatedAt: now.UTC()}
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if err := tx.InsertHold(ctx, &h); err != nil {
			return err
		}
		ok, err := tx.HoldSeats(ctx, &h, seatIDs, in.Customer, now)
		if err != nil {
			return err
		}
		if !ok {
			return errUnholdable
		}
		if err := s.checkQuotas(ctx, tx, ss, in.Channel, in.Party, h.Seats, now); err != nil {
			return err
		}
		rec(change{action: "hold.create", object: "hold:" + itoa(h.ID), tenantID: h.TenantID, venueID: h.VenueID, after: h})
		return nil
	})
	if err != nil {
		return Hold{}, err
	}
	s.reads.rememberHold(h)
	return h, nil
}

var (
	errUnholdable = errors.New("seats not holdable")
	errHoldGone   = errors.New("hold not confirmable")
)

// whyHoldGone explains, outside the transaction, why a hold could not be
// confirmed.
func (s *Service) whyHoldGone(ctx context.Context, h Hold, now time.Time) error {
	cur, err := s.store.GetHold(ctx, h.TenantID, h.ID)
	if err != nil {
		return err
	}
	switch {
	case cur.Status != HoldActive:
		return conflict("hold_not_active", "the hold is "+string(cur.Status))
	case !now.Before(cur.ExpiresAt):
		return conflict("hold_expired", "the hold expired; hold the seats again")
	}
	return conflict("hold_lost", "some held seats are no longer available; hold the seats again")
}

// explainUnholdable builds the refusal a buyer sees: each seat and why.
func (s *Service) explainUnholdable(ctx context.Context, ss Session, seatIDs []int64, customer string, now time.Time) error {
	seats, err := s.store.SessionSeatsByID(ctx, ss.ID, seatIDs)
	if err != nil {
		return err
	}
	byID := make(map[int64]SessionSeat, len(seats))
	for _, st := range seats {
		byID[st.SeatID] = st
	}
	e := conflict("seats_unavailable", "some of the seats cannot be held; none were held")
	for _, id := range seatIDs {
		st, ok := byID[id]
		switch {
		case !ok:
			e.Kind, e.Code = KindInvalid, "unknown_seat"
			e.Message = "a seat is not in this session; none were held"
			e.Seats = append(e.Seats, SeatProblem{SeatID: id, Reason: "no such seat in this session"})
		case st.TierID == 0:
			e.Seats = append(e.Seats, SeatProblem{SeatID: id, Label: st.Label, Reason: "seat has no price"})
		case !st.Sellable(now, customer):
			e.Seats = append(e.Seats, SeatProblem{SeatID: id, Label: st.Label, Reason: st.WhyNot(now, customer)})
		}
	}
	if len(e.Seats) == 0 {
		// Every seat is free again by now: the buyer raced and may retry.
		e.Message = "the seats changed hands while you were holding them; try again"
	}
	return e
}

// checkQuotas checks, in the hold's transaction, the channel's quotas and
// those of the party selling: the counts include the seats just held.
func (s *Service) checkQuotas(ctx context.Context, tx Tx, ss Session, ch Channel, party string, seats []HoldSeat, now time.Time) error {
	for _, q := range ss.Quotas {
		if q.Channel != ch || (q.Party != "" && q.Party != party) {
			continue
		}
		mine := 0
		for _, st := range seats {
			if q.TierID == 0 || st.TierID == q.TierID {
				mine++
			}
		}
		if mine == 0 {
			continue
		}
		if q.Party != "" {
			used, err := tx.CountPartySold(ctx, ss.ID, q.Party, q.TierID, now)
			if err != nil {
				return err
			}
			if used > q.Limit {
				return conflict("quota_exhausted", fmt.Sprintf("your quota for this session is used up (%d of %d)", used-mine, q.Limit))
			}
			continue
		}
		used, err := tx.CountSold(ctx, ss.ID, ch, q.TierID, now)
		if err != nil {
			return err
		}
		if used > q.Limit { // used includes this hold's seats
			return conflict("quota_exhausted", fmt.Sprintf("the %s channel quota for this session is used up (%d of %d)", ch, used-mine, q.Limit))
		}
	}
	return nil
}

// GetHold shows a hold to someone who may sell at its venue.
func (s *Service) GetHold(ctx context.Context, p Principal, id int64) (Hold, error) {
	h, err := s.store.GetHold(ctx, scopeTenant(p), id)
	if err != nil {
		return Hold{}, err
	}
	if !p.SeesVenue(h.VenueID) && p.Role != auth.RolePlatformAdmin {
		return Hold{}, notFound("hold")
	}
	return h, nil
}

// holdToConfirm is GetHold for confirming: a hold this process made is
// not read back (see rememberHold).
func (s *Service) holdToConfirm(ctx context.Context, p Principal, id int64) (Hold, error) {
	h, ok := s.reads.madeHold(id, s.now())
	if !ok {
		return s.GetHold(ctx, p, id)
	}
	if (p.Role != auth.RolePlatformAdmin && h.TenantID != p.TenantID) || (!p.SeesVenue(h.VenueID) && p.Role != auth.RolePlatformAdmin) {
		return Hold{}, notFound("hold")
	}
	return h, nil
}

// ReleaseHold gives a hold's seats back to sale.
func (s *Service) ReleaseHold(ctx context.Context, p Principal, id int64) (Hold, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Hold{}, err
	}
	h, err := s.GetHold(ctx, p, id)
	if err != nil {
		return Hold{}, err
	}
	if h.Status != HoldActive {
		return Hold{}, conflict("hold_not_active", "the hold is "+string(h.Status))
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		cur, err := tx.GetHold(ctx, h.TenantID, h.ID)
		if err != nil {
			return err
		}
		if cur.Status != HoldActive {
			return conflict("hold_not_active", "the hold is "+string(cur.Status))
		}
		if _, err := tx.ReleaseHold(ctx, h.ID, HoldReleased); err != nil {
			return err
		}
		h.Status = HoldReleased
		rec(change{action: "hold.release", object: "hold:" + itoa(h.ID), tenantID: h.TenantID, venueID: h.VenueID, before: cur, after: h})
		return nil
	})
	return h, err
}

// ExpireHolds returns expired holds' seats to sale, and makes seats whose
// reservation lapsed plain sellable seats. Holds and reservations are also
// overtaken lazily (an expired hold's seats can be held again at once), so
// this sweep only tidies state: what the seat maps show, and quotas.
func (s *Service) ExpireHolds(ctx context.Context) (int, error) {
	var n int
	now := s.now()
	err := s.update(ctx, Principal{}, func(tx Tx, rec func(change)) error {
		hs, err := tx.ExpireHolds(ctx, now)
		if err != nil {
			return err
		}
		for _, h := range hs {
			rec(change{action: "hold.expire", object: "hold:" + itoa(h.ID), tenantID: h.TenantID, venueID: h.VenueID, after: map[string]any{"seats": len(h.Seats)}})
		}
		n = len(hs)
		if _, err := tx.ExpireReservations(ctx, now); err != nil {
			return err
		}
		return tx.PruneSeatLog(ctx, seatLogKept)
	})
	return n, err
}

// seatLogKept is how many seat changes the store keeps for processes
// catching up; a live map keeps its own recent changes for deltas.
const seatLogKept = 1_000_000

// OrderRequest confirms a hold into an order.
type OrderRequest struct {
	HoldID        int64  `json:"hold_id"`
	CustomerName  string `json:"customer_name"`
	CustomerPhone string `json:"customer_phone"`
	// Payment, when given, pays the order in the same step: one request
	// and one transaction from hold to tickets. Cash at the box office, or
	// a card on any channel (a card terminal or reader): the card is
	// charged just before the transaction, its attempt key within the
	// hold, and voided if the order cannot be made.
	Payment *PaymentRequest `json:"payment,omitempty"`
	// Holders name each seat's holder: required for a real-name event,
	// refused for another.
	Holders []HolderRequest `json:"holders,omitempty"`
}

// ConfirmOrder turns an active hold into an order awaiting payment; the
// seats stay held for the payment window. With a payment (cash, or a
// card) it is the whole sale: the order is created paid, with its
// tickets, or not at all.
func (s *Service) ConfirmOrder(ctx context.Context, p Principal, in OrderRequest) (Order, error) {
	return s.confirm(ctx, p, in, nil, nil)
}

// ConfirmNamed is ConfirmOrder with holders another domain checked and
// keyed already (the shop's verified identities, by their document's
// key): one per seat, for a real-name event.
func (s *Service) ConfirmNamed(ctx context.Context, p Principal, in OrderRequest, holders []OrderHolder) (Order, error) {
	if len(in.Holders) > 0 {
		return Order{}, invalid("invalid_order", "holders come keyed or as documents, not both")
	}
	if holders == nil {
		holders = []OrderHolder{}
	}
	return s.confirm(ctx, p, in, holders, nil)
}

// confirm makes the order; keyed holders (non-nil) replace in.Holders,
// and a prepaid order is paid in the same transaction.
func (s *Service) confirm(ctx context.Context, p Principal, in OrderRequest, keyed []OrderHolder, pre *Prepaid) (Order, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Order{}, err
	}
	h, err := s.holdToConfirm(ctx, p, in.HoldID)
	if err != nil {
		return Order{}, err
	}
	var fields []FieldError
	name, fe := cleanText("customer_name", in.CustomerName, 0, 80)
	if fe != nil {
		fields = append(fields, *fe)
	}
	phone, fe := cleanText("customer_phone", in.CustomerPhone, 0, 32)
	if fe != nil {
		fields = append(fields, *fe)
	}
	var card string // a card paid with the order: its attempt, within the hold
	if pay := in.Payment; pay != nil {
		switch {
		case pay.Method == "card":
			if card, err = holdAttemptKey(h.ID, *pay); err != nil {
				return Order{}, err
			}
		case pay.Method != "cash":
			fields = append(fields, FieldError{Field: "payment.method", Message: "must be cash or card"})
		case h.Channel != ChannelPOS:
			fields = append(fields, FieldError{Field: "payment.method", Message: "cash is taken only at the box office"})
		default:
			if _, err := attemptKey(0, *pay); err != nil {
				return Order{}, err
			}
		}
	}
	if len(fields) > 0 {
		return Order{}, invalid("invalid_order", "the order cannot be created", fields...)
	}
	now := s.now()
	if h.Status != HoldActive || !now.Before(h.ExpiresAt) {
		// Nothing to confirm, sign or charge. A resent card attempt (a
		// client that timed out) is told of the order it made.
		if card != "" {
			if prev, ok, err := s.cardOrder(ctx, p, card); err != nil || ok {
				return prev, err
			}
		}
		return Order{}, s.whyHoldGone(ctx, h, now)
	}
	ss, err := s.cachedSession(ctx, h.TenantID, h.SessionID)
	if err != nil {
		return Order{}, err
	}
	v, err := s.cachedVenue(ctx, h.TenantID, h.VenueID)
	if err != nil {
		return Order{}, err
	}
	if err := sellable(ss, now); err != nil {
		return Order{}, err
	}
	ev, err := s.cachedEvent(ctx, h.TenantID, ss.EventID)
	if err != nil {
		return Order{}, err
	}
	var holders []OrderHolder
	if keyed == nil {
		holders, err = s.orderHolders(ctx, ev, h, in.Holders, holdersField)
	} else {
		holders, err = s.keyedHolders(ev, h, keyed)
	}
	if err != nil {
		return Order{}, err
	}
	if err := s.holdersFree(ctx, ev, h.SessionID, holders); err != nil {
		return Order{}, err
	}
	var total int64
	for _, st := range h.Seats {
		total += st.PriceCents
	}
	o := Order{TenantID: h.TenantID, VenueID: h.VenueID, SessionID: h.SessionID, HoldID: h.ID, Channel: h.Channel, Party: h.Party, OutletID: p.OutletID,
		Status: OrderPending, TotalCents: total, CustomerName: name, CustomerPhone: phone, PayBy: now.Add(s.cfg.PaymentWindow).UTC(),
		Seats: h.Seats, CreatedBy: p.UserID, CreatedAt: now.UTC(), Holders: holders}
	s.sealCustomer(&o) // the audit entry's copy is sealed too
	var ts []Ticket
	if in.Payment != nil || pre != nil {
		if ts, err = s.issueTickets(ctx, &o, now); err != nil {
			return Order{}, err
		}
	}
	// A card paid with the order is charged last, when nothing but the
	// transaction is left to fail.
	var ref string
	if card != "" {
		if ref, err = s.chargeCard(ctx, 0, total, in.Payment.CardToken, card); err != nil {
			return Order{}, err
		}
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		seats := len(h.Seats)
		if in.Payment != nil || pre != nil {
			seats = 0 // sold below, where settle counts them
		}
		ok, err := tx.ConfirmHold(ctx, h.ID, seats, o.PayBy, now)
		if err != nil {
			return err
		}
		if !ok {
			return errHoldGone
		}
		for try := 0; ; try++ {
			o.PickupCode = NewPickupCode()
			o.OrderQR = OrderQR(v.Code, o.PickupCode)
			err = tx.InsertOrder(ctx, &o)
			if err == nil || try == 3 || !IsKind(err, KindConflict) {
				break
			}
		}
		if err != nil {
			return err
		}
		rec(change{action: "order.create", object: "order:" + itoa(o.ID), tenantID: o.TenantID, venueID: o.VenueID, after: o})
		if pre != nil {
			return s.settle(ctx, tx, rec, &o, ts, pre.Method, pre.Reference, pre.Key, now)
		}
		if in.Payment == nil {
			return nil
		}
		if card != "" {
			return s.settle(ctx, tx, rec, &o, ts, "card", ref, card, now)
		}
		attempt, err := attemptKey(o.ID, *in.Payment)
		if err != nil {
			return err
		}
		return s.settle(ctx, tx, rec, &o, ts, in.Payment.Method, "", attempt, now)
	})
	if err != nil && ref != "" && s.voidCharge(card, err) {
		// The same attempt made the order (a resend racing the first
		// request): that order stands, and so does its charge.
		if prev, ok, ferr := s.cardOrder(ctx, p, card); ferr == nil && ok {
			return prev, nil
		}
	}
	if errors.Is(err, errHoldGone) {
		return Order{}, s.whyHoldGone(ctx, h, now)
	}
	if err != nil {
		return Order{}, err
	}
	// Confirmed: a confirmation sent again reads the hold as it is now.
	s.reads.forgetHold(h.ID)
	return s.maskFor(p, o)
}

func ticketNumbers(ts []Ticket) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Number
	}
	return out
}

// GetOrder shows an order with its tickets.
func (s *Service) GetOrder(ctx context.Context, p Principal, id int64) (Order, error) {
	o, err := s.order(ctx, p, id)
	if err != nil {
		return Order{}, err
	}
	return s.showOrder(ctx, p, o)
}

// order is an order with its tickets as stored (personal data unmasked),
// for the service's own use.
func (s *Service) order(ctx context.Context, p Principal, id int64) (Order, error) {
	if err := authorize(p, auth.ReadSales); err != nil {
		return Order{}, err
	}
	o, err := s.store.GetOrder(ctx, scopeTenant(p), id)
	if err != nil {
		return Order{}, err
	}
	if !p.SeesVenue(o.VenueID) && p.Role != auth.RolePlatformAdmin {
		return Order{}, notFound("order")
	}
	if o.Status != OrderPending { // tickets come with payment
		if o.Tickets, err = s.store.OrderTickets(ctx, o.ID); err != nil {
			return Order{}, err
		}
	}
	return o, nil
}

// FindOrders searches the caller's orders by pickup code, ticket number or name.
func (s *Service) FindOrders(ctx context.Context, p Principal, f OrderFilter) ([]Order, error) {
	if err := authorize(p, auth.ReadSales); err != nil {
		return nil, err
	}
	if f.PickupCode != "" {
		code, ok := NormalizePickupCode(f.PickupCode)
		if !ok {
			return nil, invalid("invalid_pickup_code", "a pickup code has 8 letters and digits", FieldError{Field: "pickup_code", Message: "not a pickup code"})
		}
		f.PickupCode = code
	}
	if p.Role != auth.RolePlatformAdmin {
		f.VenueIDs = venueScope(p)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if s.box != nil && f.CustomerName != "" {
		// Sealed names are found whole, by their blind index.
		f.CustomerIndex, f.CustomerName = s.box.Index(nameKey(f.CustomerName)), ""
	}
	orders, err := s.store.FindOrders(ctx, scopeTenant(p), f)
	if err != nil {
		return nil, err
	}
	return s.showOrders(ctx, p, orders)
}

// GetTicket finds a ticket by its number.
func (s *Service) GetTicket(ctx context.Context, p Principal, number string) (Ticket, error) {
	t, err := s.store.GetTicketByNumber(ctx, scopeTenant(p), number)
	if err != nil {
		return Ticket{}, err
	}
	if !p.SeesVenue(t.VenueID) && p.Role != auth.RolePlatformAdmin {
		return Ticket{}, notFound("ticket")
	}
	return t, nil
}
