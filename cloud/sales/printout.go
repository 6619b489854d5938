package sales

import (
	"context"
	"time"
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
	ss, err := s.store.GetSession(ctx, t.TenantID, t.SessionID)
	if err != nil {
		return Printout{}, err
	}
	v, err := s.store.GetVenue(ctx, t.TenantID, t.VenueID)
	if err != nil {
		return Printout{}, err
	}
	ev, err := s.store.GetEvent(ctx, t.TenantID, ss.EventID)
	if err != nil {
		return Printout{}, err
	}
	h, err := s.store.GetHall(ctx, t.TenantID, ss.HallID)
	if err != nil {
		return Printout{}, err
	}
	return Printout{Ticket: t, Venue: v.Name, Timezone: v.Timezone, Event: ev.Name, Hall: h.Name, StartsAt: ss.StartsAt}, nil
}
