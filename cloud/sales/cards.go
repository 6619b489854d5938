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
