package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/ticket"
)

// Bundle is several sessions' seats sold together in one transaction, as
// a pass (通票): one order per session, every ticket tagged with the
// bundle, and one signed code (ticket.SignPass) that admits at each
// session's gates once. Refunded, it is refunded whole.
type Bundle struct {
	ID           int64        `json:"id"`
	TenantID     int64        `json:"tenant_id"`
	Kind         string       `json:"kind"` // "pass"
	Ref          int64        `json:"ref"`  // the product it was sold as, in its domain
	Code         string       `json:"code"` // the pass's QR text
	Status       BundleStatus `json:"status"`
	TotalCents   int64        `json:"total_cents"`
	CustomerName string       `json:"customer_name,omitempty"`
	OrderIDs     []int64      `json:"order_ids"`
	Orders       []Order      `json:"orders,omitempty"`
	CreatedBy    int64        `json:"created_by"`
	CreatedAt    time.Time    `json:"created_at"`
}

type BundleStatus string

const (
	BundleValid    BundleStatus = "valid"
	BundleRefunded BundleStatus = "refunded"
)

// BundleItem is one session's part of a bundle: given seats, or Count
// of a tier's best seats; PriceCents, if set, is each seat's price there
// (a pass's price shared over its sessions), else the tier's.
type BundleItem struct {
	SessionID  int64
	SeatIDs    []int64
	Count      int
	TierID     int64
	PriceCents int64
}

// BundleRequest sells a bundle at the box office, paid in cash.
type BundleRequest struct {
	Kind         string
	Ref          int64
	Items        []BundleItem
	CustomerName string
	Payment      PaymentRequest
	// Limit, if set, caps the valid bundles of this kind and ref: checked
	// in the sale's transaction.
	Limit int
	// Holder is the one person a bundle of one seat per session names,
	// required when any of its sessions is of a real-name event: every
	// session's ticket is theirs (its SeatID is not used).
	Holder *HolderRequest
}

// MaxBundleSessions bounds a bundle.
const MaxBundleSessions = 50

// SellBundle sells every item's seats in one transaction, or none: the
// holds, the orders, their payment and the tickets of every session, and
// the bundle's code. A best-available item that lost its seats to another
// buyer is picked again, as for one session.
func (s *Service) SellBundle(ctx context.Context, p Principal, in BundleRequest) (Bundle, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Bundle{}, err
	}
	switch {
	case len(in.Items) == 0 || len(in.Items) > MaxBundleSessions:
		return Bundle{}, invalid("invalid_bundle", fmt.Sprintf("a pass covers 1 to %d sessions", MaxBundleSessions))
	case in.Payment.Method != "cash":
		return Bundle{}, invalid("invalid_bundle", "a pass is paid in cash at the box office", FieldError{Field: "payment.method", Message: "must be cash"})
	}
	name, fe := cleanText("customer_name", in.CustomerName, 0, 80)
	if fe != nil {
		return Bundle{}, invalid("invalid_bundle", "the pass cannot be sold", *fe)
	}
	now := s.now()
	sessions := make([]Session, len(in.Items))
	seen := map[int64]bool{}
	for i, it := range in.Items {
		if seen[it.SessionID] {
			return Bundle{}, invalid("invalid_bundle", "a session is in the pass twice")
		}
		seen[it.SessionID] = true
		if (len(it.SeatIDs) == 0) == (it.Count == 0) || it.Count < 0 || len(it.SeatIDs) > MaxBundleSessions || it.Count > MaxBundleSessions || it.PriceCents < 0 {
			return Bundle{}, invalid("invalid_bundle", "each session of a pass names its seats or a count")
		}
		ss, err := s.session(ctx, p, it.SessionID)
		if err != nil {
			return Bundle{}, err
		}
		if err := sellable(ss, now); err != nil {
			return Bundle{}, err
		}
		sessions[i] = ss
	}
	events, err := s.bundleEvents(ctx, in, sessions)
	if err != nil {
		return Bundle{}, err
	}
	key, err := s.activeKey(ctx, p.TenantID)
	if err != nil {
		return Bundle{}, err
	}
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for try := 0; ; try++ {
		picked := make([][]int64, len(in.Items))
		for i, it := range in.Items {
			picked[i] = it.SeatIDs
			if it.Count > 0 {
				ids, release, err := s.pickBest(ctx, sessions[i], HoldRequest{SessionID: it.SessionID, Count: it.Count, TierID: it.TierID, AllowSplit: true}, now)
				if err != nil {
					return Bundle{}, err
				}
				releases = append(releases, release)
				picked[i] = ids
			}
		}
		b, err := s.sellBundle(ctx, p, in, name, sessions, events, picked, key, now)
		if !errors.Is(err, errUnholdable) {
			return b, err
		}
		// Given seats: say which are taken, after the transaction. Best
		// available seats lost in a race: pick again.
		best := false
		for i, it := range in.Items {
			if it.Count > 0 {
				best = true
				continue
			}
			var e *Error
			if errors.As(s.explainUnholdable(ctx, sessions[i], picked[i], "", now), &e) && len(e.Seats) > 0 {
				e.Message = fmt.Sprintf("some seats of session %d cannot be held; nothing was sold", sessions[i].ID)
				return Bundle{}, e
			}
		}
		if !best || try+1 == bestTries {
			return Bundle{}, conflict("seats_contended", "the seats changed hands while the pass was being sold; try again")
		}
	}
}

// sellBundle is one attempt: tickets signed outside, everything stored
// in one transaction.
func (s *Service) sellBundle(ctx context.Context, p Principal, in BundleRequest, name string, sessions []Session, events []Event, picked [][]int64, key ticket.SigningKey, now time.Time) (Bundle, error) {
	orders := make([]Order, len(sessions))
	tickets := make([][]Ticket, len(sessions))
	var total int64
	for i, ss := range sessions {
		seats, err := s.store.SessionSeatsByID(ctx, ss.ID, picked[i])
		if err != nil {
			return Bundle{}, err
		}
		if len(seats) != len(picked[i]) {
			return Bundle{}, invalid("unknown_seat", fmt.Sprintf("a seat is not in session %d", ss.ID))
		}
		tiers, err := s.store.PriceTiers(ctx, ss.ID)
		if err != nil {
			return Bundle{}, err
		}
		price := map[int64]int64{}
		for _, t := range tiers {
			price[t.ID] = t.PriceCents
		}
		o := Order{TenantID: ss.TenantID, VenueID: ss.VenueID, SessionID: ss.ID, Channel: ChannelPOS, OutletID: p.OutletID, Status: OrderPending,
			CustomerName: name, PayBy: now.Add(s.cfg.PaymentWindow).UTC(), CreatedBy: p.UserID, CreatedAt: now.UTC()}
		for _, st := range seats {
			if st.TierID == 0 {
				return Bundle{}, conflict("seats_unavailable", "seat "+st.Label+" has no price in session "+itoa(ss.ID))
			}
			hs := HoldSeat{SeatID: st.SeatID, Label: st.Label, TierID: st.TierID, PriceCents: price[st.TierID]}
			if in.Items[i].PriceCents > 0 {
				hs.PriceCents = in.Items[i].PriceCents
			}
			o.Seats = append(o.Seats, hs)
			o.TotalCents += hs.PriceCents
		}
		slices.SortFunc(o.Seats, func(a, b HoldSeat) int { return int(a.SeatID - b.SeatID) })
		if events[i].RealName {
			// One person, one seat: the holder's document on this
			// session's ticket; its rules are checked where it is issued.
			hr := *in.Holder
			hr.SeatID = o.Seats[0].SeatID
			hs, err := s.orderHolders(ctx, events[i], Hold{Seats: o.Seats}, []HolderRequest{hr}, func(int) string { return "holder" })
			if err != nil {
				return Bundle{}, err
			}
			o.Holders = hs
		}
		s.sealCustomer(&o)
		ts, err := s.issueTickets(ctx, &o, now)
		if err != nil {
			return Bundle{}, err
		}
		orders[i], tickets[i] = o, ts
		total += o.TotalCents
	}
	b := Bundle{TenantID: p.TenantID, Kind: in.Kind, Ref: in.Ref, Status: BundleValid, TotalCents: total, CustomerName: s.SealText(name),
		CreatedBy: p.UserID, CreatedAt: now.UTC()}
	ttl, err := s.holdTTL(ctx, p.TenantID, ChannelPOS)
	if err != nil {
		return Bundle{}, err
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if in.Limit > 0 {
			n, err := tx.CountBundles(ctx, p.TenantID, in.Kind, in.Ref)
			if err != nil {
				return err
			}
			if n >= in.Limit {
				return conflict("sold_out", fmt.Sprintf("all %d passes are sold", in.Limit))
			}
		}
		if err := tx.InsertBundle(ctx, &b); err != nil {
			return err
		}
		// The code names every session's ticket: a gate that never heard
		// of the pass admits it on the signature, like a ticket.
		// (A bundle of more tickets than a code holds names only itself.)
		pp := ticket.PassPayload{SystemCode: s.cfg.SystemCode, PassID: b.ID}
		n := 0
		for i := range tickets {
			n += len(tickets[i])
		}
		for i := range tickets {
			if n > ticket.MaxPassTickets {
				break
			}
			for _, t := range tickets[i] {
				pl, err := s.ticketPayload(ctx, t)
				if err != nil {
					return err
				}
				pp.Tickets = append(pp.Tickets, pl)
			}
		}
		code, err := ticket.SignPass(pp, key)
		if err != nil {
			return fmt.Errorf("sign pass: %w", err)
		}
		b.Code = code
		if err := tx.SetBundleCode(ctx, b.ID, code); err != nil {
			return err
		}
		b.OrderIDs = b.OrderIDs[:0]
		for i, ss := range sessions {
			o := &orders[i]
			h := Hold{TenantID: ss.TenantID, VenueID: ss.VenueID, SessionID: ss.ID, Channel: ChannelPOS, Status: HoldActive,
				ExpiresAt: now.Add(ttl).UTC(), CreatedBy: p.UserID, CreatedAt: now.UTC()}
			if err := tx.InsertHold(ctx, &h); err != nil {
				return err
			}
			ok, err := tx.HoldSeats(ctx, &h, picked[i], "", now)
			if err != nil {
				return err
			}
			if !ok {
				return errUnholdable
			}
			if err := s.checkQuotas(ctx, tx, ss, ChannelPOS, "", h.Seats, now); err != nil {
				return err
			}
			if in.Items[i].PriceCents > 0 {
				if err := tx.RepriceHold(ctx, h.ID, in.Items[i].PriceCents); err != nil {
					return err
				}
			}
			if ok, err := tx.ConfirmHold(ctx, h.ID, 0, o.PayBy, now); err != nil || !ok { // settle sells and counts its seats
				if err == nil {
					err = errHoldGone
				}
				return err
			}
			o.HoldID = h.ID
			v, err := s.cachedVenue(ctx, o.TenantID, o.VenueID)
			if err != nil {
				return err
			}
			for try := 0; ; try++ {
				o.PickupCode = NewPickupCode()
				o.OrderQR = OrderQR(v.Code, o.PickupCode)
				err = tx.InsertOrder(ctx, o)
				if err == nil || try == 3 || !IsKind(err, KindConflict) {
					break
				}
			}
			if err != nil {
				return err
			}
			rec(change{action: "order.create", object: "order:" + itoa(o.ID), tenantID: o.TenantID, venueID: o.VenueID, after: o})
			for j := range tickets[i] {
				tickets[i][j].Bundle = b.ID
			}
			attempt, err := attemptKey(o.ID, in.Payment)
			if err != nil {
				return err
			}
			if err := s.settle(ctx, tx, rec, o, tickets[i], "cash", "", attempt, now); err != nil {
				return err
			}
			b.OrderIDs = append(b.OrderIDs, o.ID)
		}
		if err := tx.SetBundleOrders(ctx, b.ID, b.OrderIDs); err != nil {
			return err
		}
		rec(change{action: "bundle.sell", object: "bundle:" + itoa(b.ID), tenantID: b.TenantID,
			after: map[string]any{"kind": b.Kind, "ref": b.Ref, "orders": b.OrderIDs, "total_cents": b.TotalCents}})
		return nil
	})
	if err != nil {
		return Bundle{}, err
	}
	b.CustomerName = name
	for i := range orders {
		o, err := s.maskFor(p, orders[i])
		if err != nil {
			return Bundle{}, err
		}
		b.Orders = append(b.Orders, o)
	}
	return b, nil
}

// ticketPayload is what an issued ticket's code says.
func (s *Service) ticketPayload(ctx context.Context, t Ticket) (ticket.Payload, error) {
	v, err := s.cachedVenue(ctx, t.TenantID, t.VenueID)
	if err != nil {
		return ticket.Payload{}, err
	}
	day, err := time.Parse(time.DateOnly, t.BusinessDate)
	if err != nil {
		return ticket.Payload{}, fmt.Errorf("ticket %s: business date %q: %w", t.Number, t.BusinessDate, err)
	}
	return ticket.Payload{SystemCode: s.cfg.SystemCode, VenueCode: v.Code, BusinessDate: day, Serial: t.Serial, SessionID: t.SessionID, SeatID: t.SeatID}, nil
}

// bundleEvents are the events of a bundle's sessions, with its holder
// checked against them: a session of a real-name event needs the holder,
// and one seat, as a pass is one person's; a bundle of no real-name
// session names nobody.
func (s *Service) bundleEvents(ctx context.Context, in BundleRequest, sessions []Session) ([]Event, error) {
	events := make([]Event, len(sessions))
	realName := false
	for i, ss := range sessions {
		ev, err := s.cachedEvent(ctx, ss.TenantID, ss.EventID)
		if err != nil {
			return nil, err
		}
		events[i] = ev
		if !ev.RealName {
			continue
		}
		realName = true
		if in.Items[i].Count+len(in.Items[i].SeatIDs) != 1 {
			return nil, invalid("invalid_bundle", "a real-name pass is one person's: one seat per session")
		}
	}
	switch {
	case realName && in.Holder == nil:
		return nil, invalid("holder_required", "a session of this pass is of a real-name event: name the pass's holder and their document",
			FieldError{Field: "holder", Message: "required"})
	case !realName && in.Holder != nil:
		return nil, invalid("invalid_bundle", "no session of this pass is of a real-name event: it names no holder", FieldError{Field: "holder", Message: "not for this pass"})
	}
	return events, nil
}

// GetBundle shows a bundle with its orders and tickets.
func (s *Service) GetBundle(ctx context.Context, p Principal, id int64) (Bundle, error) {
	if err := authorize(p, auth.ReadSales); err != nil {
		return Bundle{}, err
	}
	b, err := s.store.GetBundle(ctx, scopeTenant(p), id)
	if err != nil {
		return Bundle{}, err
	}
	if name, err := s.OpenText(b.CustomerName); err == nil {
		b.CustomerName = name
	}
	for _, oid := range b.OrderIDs {
		o, err := s.GetOrder(ctx, p, oid)
		if IsKind(err, KindNotFound) {
			// A session at a venue the caller does not see: the pass is
			// its venues' staff's and the organiser's, not this caller's.
			return Bundle{}, notFound("pass")
		}
		if err != nil {
			return Bundle{}, err
		}
		b.Orders = append(b.Orders, o)
	}
	return b, nil
}
