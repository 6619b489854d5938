package sales

import (
	"context"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	wire "github.com/admitbox/admit/sync"
)

// Printout is what a printed ticket shows, for the portal's print preview.
type Printout struct {
	Ticket   Ticket
	Venue    string
	Timezone string
	Event    string
	Hall     string
	StartsAt time.Time
}

// TicketPrintout gathers a ticket's printed fields.
func (s *Service) TicketPrintout(ctx context.Context, p Principal, number string) (Printout, error) {
	t, err := s.GetTicket(ctx, p, number)
	if err != nil {
		return Printout{}, err
	}
	pr, err := s.printout(ctx, t.TenantID, t.VenueID, t.SessionID)
	pr.Ticket = t
	return pr, err
}

// printout is what the tickets of a session print besides their own
// fields: venue, event, hall and time.
func (s *Service) printout(ctx context.Context, tenantID, venueID, sessionID int64) (Printout, error) {
	ss, err := s.store.GetSession(ctx, tenantID, sessionID)
	if err != nil {
		return Printout{}, err
	}
	v, err := s.store.GetVenue(ctx, tenantID, venueID)
	if err != nil {
		return Printout{}, err
	}
	ev, err := s.store.GetEvent(ctx, tenantID, ss.EventID)
	if err != nil {
		return Printout{}, err
	}
	h, err := s.store.GetHall(ctx, tenantID, ss.HallID)
	if err != nil {
		return Printout{}, err
	}
	return Printout{Venue: v.Name, Timezone: v.Timezone, Event: ev.Name, Hall: h.Name, StartsAt: ss.StartsAt}, nil
}

// PrintOrder records the print of an order's valid tickets away from the
// venue's devices (a contract customer's office prints its tickets on
// paper) and returns what each shows. Each is marked printed and its
// print counted, with one audit entry; an order with a ticket printed
// before is refused (already_printed) unless reprint is set.
func (s *Service) PrintOrder(ctx context.Context, p Principal, orderID int64, reprint bool) ([]Printout, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return nil, err
	}
	o, err := s.GetOrder(ctx, p, orderID)
	if err != nil {
		return nil, err
	}
	if o.Status != OrderPaid && o.Status != OrderPartiallyRefunded {
		return nil, conflict("order_state", "only a paid order's tickets print; this order is "+string(o.Status))
	}
	var valid []Ticket
	printed := 0
	for _, t := range o.Tickets {
		if t.Status != TicketValid {
			continue
		}
		valid = append(valid, t)
		if t.PrintedAt != nil {
			printed++
		}
	}
	if len(valid) == 0 {
		return nil, conflict("nothing_to_print", "the order has no valid ticket")
	}
	if printed > 0 && !reprint {
		return nil, conflict("already_printed", strconv.Itoa(printed)+" of the tickets were printed before: print again only to replace lost paper (reprint)")
	}
	base, err := s.printout(ctx, o.TenantID, o.VenueID, o.SessionID)
	if err != nil {
		return nil, err
	}
	at := s.now().UTC()
	numbers := make([]string, len(valid))
	for i, t := range valid {
		numbers[i] = t.Number
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		for _, n := range numbers {
			if err := tx.MarkTicketPrinted(ctx, o.VenueID, n, at); err != nil {
				return err
			}
			if err := s.appendFeed(ctx, tx, o.VenueID, wire.EventPrinted, wire.PrintedData{Number: n}); err != nil {
				return err
			}
		}
		rec(change{action: "order.print", object: "order:" + itoa(o.ID), tenantID: o.TenantID, venueID: o.VenueID,
			after: map[string]any{"tickets": numbers, "reprint": printed > 0}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Printout, len(valid))
	for i, t := range valid {
		if t.PrintedAt == nil {
			t.PrintedAt = &at
		}
		out[i] = base
		out[i].Ticket = t
	}
	return out, nil
}
