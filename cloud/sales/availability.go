package sales

import (
	"context"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	wire "github.com/admitbox/admit/sync"
)

// Availability codes, one character per seat in seat-map order (the order
// of SessionSeats); the live maps' codes (cloud/avail).
const (
	AvailOpen       = avail.Open // can be held now
	AvailHeld       = avail.Held
	AvailSold       = avail.Sold
	AvailOutOfOrder = avail.OutOfOrder // damaged or removed
	AvailReserved   = avail.Reserved
	AvailHeldBack   = avail.HeldBack
	AvailNonSale    = avail.NonSale
	AvailNoPrice    = avail.NoPrice
)

// availabilityCodes gives each seat its availability code as of now.
func availabilityCodes(seats []SessionSeat, now time.Time) ([]byte, map[string]int) {
	codes := make([]byte, len(seats))
	counts := map[string]int{}
	for i, st := range seats {
		c := byte(AvailOpen)
		switch {
		case !st.State.InService():
			c = AvailOutOfOrder
		case st.Status == SeatSold:
			c = AvailSold
		case st.Status == SeatHeld && st.HoldExpires != nil && now.Before(*st.HoldExpires):
			c = AvailHeld
		case st.Category == CategoryHeldBack:
			c = AvailHeldBack
		case st.Category == CategoryNonSale:
			c = AvailNonSale
		case st.Category == CategoryReserved && (st.ReservedUntil == nil || now.Before(*st.ReservedUntil)):
			c = AvailReserved
		case st.TierID == 0:
			c = AvailNoPrice
		}
		codes[i] = c
		counts[string(c)]++
	}
	return codes, counts
}

// seatMapData is the summary a POS shows from its cache.
func seatMapData(sessionID int64, seats []SessionSeat, now time.Time) wire.SeatMapData {
	codes, counts := availabilityCodes(seats, now)
	return wire.SeatMapData{SessionID: sessionID, Total: len(seats), Available: counts["A"], Sold: counts["S"], Seats: string(codes)}
}

// feedSeatMap announces a session's seat-map summary to its venue.
func (s *Service) feedSeatMap(ctx context.Context, tx Tx, ss Session) error {
	seats, err := tx.SessionSeats(ctx, ss.ID)
	if err != nil {
		return err
	}
	return s.appendFeed(ctx, tx, ss.VenueID, wire.EventSeatMap, seatMapData(ss.ID, seats, s.now()))
}

// SessionSeats lists the session's seats with ids, in the order the
// availability string uses.
func (s *Service) SessionSeats(ctx context.Context, p Principal, sessionID int64) ([]SessionSeat, error) {
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	return s.store.SessionSeats(ctx, ss.ID)
}
