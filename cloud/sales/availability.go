package sales

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	wire "github.com/admitbox/admit/sync"
)

// Availability codes, one character per seat in seat-map order (the order
// of SessionSeats): a 5,000-seat stand is 5 KB, so a POS or web page can
// poll it cheaply.
const (
	AvailOpen       = 'A' // can be held now
	AvailHeld       = 'H'
	AvailSold       = 'S'
	AvailOutOfOrder = 'X' // damaged or removed
	AvailReserved   = 'R'
	AvailHeldBack   = 'B'
	AvailNonSale    = 'N'
	AvailNoPrice    = '-'
)

// availability is a session's encoded availability at one store version.
type availability struct {
	version  int64
	validTil time.Time // the earliest hold or reservation expiry: re-encode then
	body     []byte
}

// AvailabilityJSON returns the session's availability document, ready to
// send. It is cached per session and rebuilt only when the session's seats
// changed or a hold in it expired, so the hot path is one indexed read.
func (s *Service) AvailabilityJSON(ctx context.Context, p Principal, sessionID int64) ([]byte, error) {
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	ver, err := s.store.SessionVersion(ctx, ss.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	s.availMu.Lock()
	a := s.avail[ss.ID]
	s.availMu.Unlock()
	if a != nil && a.version == ver && now.Before(a.validTil) {
		return a.body, nil
	}
	seats, err := s.store.SessionSeats(ctx, ss.ID)
	if err != nil {
		return nil, err
	}
	a = encodeAvailability(ss.ID, ver, seats, now)
	s.availMu.Lock()
	if cur := s.avail[ss.ID]; cur == nil || cur.version <= ver {
		s.avail[ss.ID] = a
	}
	s.availMu.Unlock()
	return a.body, nil
}

// availabilityCodes gives each seat its availability code and says until
// when the answer holds (the earliest hold or reservation expiry).
func availabilityCodes(seats []SessionSeat, now time.Time) ([]byte, map[string]int, time.Time) {
	codes := make([]byte, len(seats))
	validTil := now.Add(time.Hour)
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
			if st.HoldExpires.Before(validTil) {
				validTil = *st.HoldExpires
			}
		case st.Category == CategoryHeldBack:
			c = AvailHeldBack
		case st.Category == CategoryNonSale:
			c = AvailNonSale
		case st.Category == CategoryReserved && (st.ReservedUntil == nil || now.Before(*st.ReservedUntil)):
			c = AvailReserved
			if st.ReservedUntil != nil && st.ReservedUntil.Before(validTil) {
				validTil = *st.ReservedUntil
			}
		case st.TierID == 0:
			c = AvailNoPrice
		}
		codes[i] = c
		counts[string(c)]++
	}
	return codes, counts, validTil
}

// seatMapData is the summary a POS shows from its cache.
func seatMapData(sessionID int64, seats []SessionSeat, now time.Time) wire.SeatMapData {
	codes, counts, _ := availabilityCodes(seats, now)
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

func encodeAvailability(sessionID, version int64, seats []SessionSeat, now time.Time) *availability {
	codes, counts, validTil := availabilityCodes(seats, now)
	cb, _ := json.Marshal(map[string]int{
		"available": counts["A"], "held": counts["H"], "sold": counts["S"], "out_of_service": counts["X"],
		"reserved": counts["R"], "held_back": counts["B"], "non_sale": counts["N"], "unpriced": counts["-"],
	})
	body := make([]byte, 0, len(codes)+256)
	body = append(body, `{"session_id":`...)
	body = strconv.AppendInt(body, sessionID, 10)
	body = append(body, `,"version":`...)
	body = strconv.AppendInt(body, version, 10)
	body = append(body, `,"legend":"A=available H=held S=sold X=out of service R=reserved B=held back N=not for sale -=no price","counts":`...)
	body = append(body, cb...)
	body = append(body, `,"seats":"`...)
	body = append(body, codes...)
	body = append(body, `"}`...)
	return &availability{version: version, validTil: validTil, body: body}
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
