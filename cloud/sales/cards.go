package sales

import (
	"context"
	"encoding/hex"
	"strings"

	"github.com/admitbox/admit/cloud/auth"
	wire "github.com/admitbox/admit/sync"
)

// NormalizeCardUID turns a card UID as readers and people write it
// ("04:a2:2b:1a", "04 A2 2B 1A") into upper-case hex; UIDs are 4, 7 or
// 10 bytes (ISO/IEC 14443).
func NormalizeCardUID(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(":", "", " ", "", "-", "").Replace(s))
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 4 && len(b) != 7 && len(b) != 10) {
		return "", false
	}
	return s, true
}

// CardBinding is the input to BindCard.
type CardBinding struct {
	UID    string `json:"uid"`
	Reason string `json:"reason"`
}

// BindCard lets an RFID card admit a ticket (a season card, a wristband):
// the binding travels to the venue's gates with the ticket.
func (s *Service) BindCard(ctx context.Context, p Principal, number string, in CardBinding) (Ticket, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return Ticket{}, err
	}
	uid, ok := NormalizeCardUID(in.UID)
	if !ok {
		return Ticket{}, invalid("invalid_card", "a card UID is 4, 7 or 10 bytes of hex", FieldError{Field: "uid", Message: "not a card UID"})
	}
	t, err := s.GetTicket(ctx, p, number)
	if err != nil {
		return Ticket{}, err
	}
	if t.Status != TicketValid {
		return Ticket{}, conflict("ticket_not_valid", "the ticket is "+string(t.Status))
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if err := tx.SetTicketCard(ctx, t.ID, uid); err != nil {
			return err
		}
		before := t.Card
		t.Card = uid
		o, err := tx.GetOrder(ctx, t.TenantID, t.OrderID)
		if err != nil {
			return err
		}
		rec(change{action: "ticket.card", object: "ticket:" + t.Number, tenantID: t.TenantID, venueID: t.VenueID, reason: in.Reason,
			before: map[string]string{"card": before}, after: map[string]string{"card": uid}})
		return s.appendFeed(ctx, tx, t.VenueID, wire.EventTicket, ticketData(t, o.PickupCode))
	})
	if err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// OrderCommemorative has valid tickets made by the printing house as
// commemorative tickets (§6.1.3(6)), in one transaction.
func (s *Service) OrderCommemorative(ctx context.Context, p Principal, numbers []string) (int, error) {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return 0, err
	}
	if len(numbers) == 0 || len(numbers) > 10_000 {
		return 0, invalid("invalid_production", "name 1 to 10000 tickets")
	}
	ts := make([]Ticket, len(numbers))
	for i, n := range numbers {
		t, err := s.GetTicket(ctx, p, n)
		if err != nil {
			return 0, err
		}
		if t.Status != TicketValid {
			return 0, conflict("ticket_not_valid", "ticket "+n+" is "+string(t.Status))
		}
		ts[i] = t
	}
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		for _, t := range ts {
			if err := tx.SetTicketProduction(ctx, t.ID, "commemorative", nil); err != nil {
				return err
			}
			rec(change{action: "ticket.production", object: "ticket:" + t.Number, tenantID: t.TenantID, venueID: t.VenueID,
				after: map[string]string{"production": "commemorative"}})
		}
		return nil
	})
	return len(ts), err
}

// Produced is the printing house's result for one ticket: made, with the
// UID of the RFID chip in it.
type Produced struct {
	Number string
	UID    string
}

// RecordProduction records the printing house's results, all or none:
// each ticket made and its chip bound, so the venue's gates admit it by
// its RFID code.
func (s *Service) RecordProduction(ctx context.Context, p Principal, rs []Produced) error {
	if err := authorize(p, auth.ManageSessions); err != nil {
		return err
	}
	ts := make([]Ticket, len(rs))
	for i, r := range rs {
		uid, ok := NormalizeCardUID(r.UID)
		if !ok {
			return invalid("invalid_card", "ticket "+r.Number+": a chip UID is 4, 7 or 10 bytes of hex")
		}
		t, err := s.GetTicket(ctx, p, r.Number)
		if err != nil {
			return err
		}
		if t.Status != TicketValid {
			return conflict("ticket_not_valid", "ticket "+r.Number+" is "+string(t.Status))
		}
		t.Card = uid
		ts[i] = t
	}
	now := s.now().UTC()
	return s.update(ctx, p, func(tx Tx, rec func(change)) error {
		for _, t := range ts {
			ok, err := tx.TicketProduction(ctx, t.ID)
			if err != nil {
				return err
			}
			if ok != "commemorative" {
				return conflict("not_commemorative", "ticket "+t.Number+" was not ordered as a commemorative ticket")
			}
			if err := tx.SetTicketProduction(ctx, t.ID, "commemorative", &now); err != nil {
				return err
			}
			if err := tx.SetTicketCard(ctx, t.ID, t.Card); err != nil {
				return err
			}
			o, err := tx.GetOrder(ctx, t.TenantID, t.OrderID)
			if err != nil {
				return err
			}
			rec(change{action: "ticket.produced", object: "ticket:" + t.Number, tenantID: t.TenantID, venueID: t.VenueID,
				after: map[string]string{"production": "commemorative", "card": t.Card}})
			t.Produced = true // on paper: no kiosk prints it
			if err := s.appendFeed(ctx, tx, t.VenueID, wire.EventTicket, ticketData(t, o.PickupCode)); err != nil {
				return err
			}
		}
		return nil
	})
}
