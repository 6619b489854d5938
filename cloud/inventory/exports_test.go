package inventory

import (
	"testing"
	"time"
)

// A seat sold twice counts once in the inventory and twice in the
// channels' sales: the comparison flags that session, and only it.
func TestCompareFlagsASessionWhoseChannelsSoldMoreThanItsSeats(t *testing.T) {
	at := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	ss := Session{ID: 7, StartsAt: at.Add(48 * time.Hour), EndsAt: at.Add(50 * time.Hour)}
	seats := []Seat{{SeatID: 1, Label: "A-1", Category: "sellable", State: "ok"}, {SeatID: 2, Label: "A-2", Category: "sellable", State: "ok"}}
	twice := []Ticket{{Number: "n1", SeatID: 1, IssuedAt: at.Add(-2 * time.Hour)}, {Number: "n2", SeatID: 1, IssuedAt: at.Add(-time.Hour)}}
	c := Count(ss.ID, Build(ss, seats, twice, at))
	if c.Sold != 1 || c.Seats != 2 {
		t.Fatalf("counts %+v", c)
	}
	ok := Count(8, Build(Session{ID: 8, StartsAt: ss.StartsAt, EndsAt: ss.EndsAt}, seats, twice[:1], at))
	got := Compare([]Counts{c, ok}, map[int64]map[string]int{7: {"pos": 1, "web": 1}, 8: {"pos": 1}})
	if len(got) != 1 || got[0].SessionID != 7 || got[0].Inventory != 1 || got[0].Channels != 2 {
		t.Fatalf("anomalies %+v", got)
	}
	if got := Compare([]Counts{ok}, map[int64]map[string]int{8: {"pos": 1}}); len(got) != 0 {
		t.Fatalf("a session that agrees is flagged: %+v", got)
	}
}
