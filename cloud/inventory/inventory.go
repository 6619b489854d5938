// Package inventory is the ticket inventory (票库盘点, event plan
// §6.1.2(9)): every seat of every session and its ticket, as of a moment,
// by sale state, production type and state, and use state, with counts
// that add up to the session's seats, and a CSV export that is a pure
// function of timestamped data: asked again for the same moment it gives
// the same bytes, whatever was sold, printed or admitted since.
package inventory

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"time"
)

// Sale states.
const (
	Sold       = "sold"
	Unsold     = "unsold"
	NotForSale = "not_for_sale"
)

// Production types and states.
const (
	Electronic    = "electronic"
	Thermal       = "thermal"
	Commemorative = "commemorative"

	Sent    = "sent"     // electronic: delivered with the order
	Printed = "printed"  // thermal: printed (Prints times)
	Done    = "done"     // commemorative: the printing house made it
	NotDone = "not_done" // commemorative, not yet made
)

// Use states.
const (
	NotYetValid = "not_yet_valid"
	NotEntered  = "not_entered"
	Entered     = "entered"
	Left        = "left"
	Expired     = "expired"
)

// OpensBefore is how long before its start a session's tickets become
// valid at the gates, for the use state (gates open 30 minutes before;
// the inventory counts the whole day of the show as valid).
const OpensBefore = 12 * time.Hour

// Session is what the inventory needs of a session.
type Session struct {
	ID       int64
	StartsAt time.Time
	EndsAt   time.Time
}

// Seat is a session seat with its category and physical state now (the
// store keeps no history of them).
type Seat struct {
	SeatID   int64
	Label    string
	Category string // sellable, reserved, held_back, non_sale
	State    string // ok, obstructed, damaged, removed, ...
}

// Ticket is a ticket of the session with its timestamps.
type Ticket struct {
	Number     string
	SeatID     int64
	IssuedAt   time.Time
	RevokedAt  *time.Time // refunded or replaced
	Production string     // electronic or commemorative (thermal: any print)
	ProducedAt *time.Time // commemorative: the printing house's result
	Prints     []time.Time
	// Passages are its admissions (true: in), in time order.
	Passages []Passage
}

// Passage is one pass through a gate.
type Passage struct {
	In bool
	At time.Time
}

// Row is one seat as of a moment.
type Row struct {
	SessionID       int64
	SeatID          int64
	SeatLabel       string
	Category        string
	Sale            string
	Number          string
	Production      string
	ProductionState string
	Prints          int
	Use             string
}

// Counts are a session's rows counted; Seats = Sold + Unsold + NotForSale.
type Counts struct {
	SessionID  int64          `json:"session_id"`
	Seats      int            `json:"seats"`
	Sold       int            `json:"sold"`
	Unsold     int            `json:"unsold"`
	NotForSale int            `json:"not_for_sale"`
	Production map[string]int `json:"production"` // of sold tickets, by type
	Produced   map[string]int `json:"produced"`   // by production state
	Use        map[string]int `json:"use"`
}

// Build is a session's inventory as of asOf.
func Build(ss Session, seats []Seat, tickets []Ticket, asOf time.Time) []Row {
	bySeat := map[int64]Ticket{}
	for _, t := range tickets {
		if t.IssuedAt.After(asOf) || (t.RevokedAt != nil && !t.RevokedAt.After(asOf)) {
			continue
		}
		// A seat resold after a refund: the ticket valid as of asOf.
		if cur, ok := bySeat[t.SeatID]; !ok || t.IssuedAt.After(cur.IssuedAt) {
			bySeat[t.SeatID] = t
		}
	}
	rows := make([]Row, 0, len(seats))
	for _, st := range seats {
		r := Row{SessionID: ss.ID, SeatID: st.SeatID, SeatLabel: st.Label, Category: st.Category}
		t, sold := bySeat[st.SeatID]
		switch {
		case sold:
			r.Sale, r.Number = Sold, t.Number
			r.Production, r.ProductionState, r.Prints = production(t, asOf)
			r.Use = use(ss, t, asOf)
		case st.Category == "non_sale" || st.Category == "held_back" || (st.State != "ok" && st.State != "obstructed"):
			r.Sale = NotForSale
		default:
			r.Sale = Unsold
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b Row) int { return int(a.SeatID - b.SeatID) })
	return rows
}

func production(t Ticket, asOf time.Time) (string, string, int) {
	prints := 0
	for _, p := range t.Prints {
		if !p.After(asOf) {
			prints++
		}
	}
	switch {
	case t.Production == Commemorative:
		if t.ProducedAt != nil && !t.ProducedAt.After(asOf) {
			return Commemorative, Done, prints
		}
		return Commemorative, NotDone, prints
	case prints > 0:
		return Thermal, Printed, prints
	}
	return Electronic, Sent, 0
}

func use(ss Session, t Ticket, asOf time.Time) string {
	var last *Passage
	for i := range t.Passages {
		if !t.Passages[i].At.After(asOf) {
			last = &t.Passages[i]
		}
	}
	switch {
	case last != nil && last.In:
		return Entered
	case last != nil:
		return Left
	case asOf.After(ss.EndsAt):
		return Expired
	case asOf.Before(ss.StartsAt.Add(-OpensBefore)):
		return NotYetValid
	}
	return NotEntered
}

// Count counts a session's rows.
func Count(sessionID int64, rows []Row) Counts {
	c := Counts{SessionID: sessionID, Production: map[string]int{}, Produced: map[string]int{}, Use: map[string]int{}}
	for _, r := range rows {
		c.Seats++
		switch r.Sale {
		case Sold:
			c.Sold++
			c.Production[r.Production]++
			c.Produced[r.ProductionState]++
			c.Use[r.Use]++
		case Unsold:
			c.Unsold++
		default:
			c.NotForSale++
		}
	}
	return c
}

// CSV writes rows (of several sessions, in the order given) with a
// header; the bytes depend on the rows alone.
func CSV(asOf time.Time, rows []Row) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"as_of", "session_id", "seat_id", "seat", "category", "sale", "ticket", "production", "production_state", "prints", "use"})
	at := asOf.UTC().Format(time.RFC3339)
	for _, r := range rows {
		_ = w.Write([]string{at, strconv.FormatInt(r.SessionID, 10), strconv.FormatInt(r.SeatID, 10), r.SeatLabel, r.Category, r.Sale, r.Number,
			r.Production, r.ProductionState, strconv.Itoa(r.Prints), r.Use})
	}
	w.Flush()
	return b.Bytes()
}

// Period is the moment a daily or weekly export is taken: the end of the
// last whole day, or week (Monday to Sunday), before now, in loc.
func Period(kind string, now time.Time, loc *time.Location) (time.Time, bool) {
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	switch kind {
	case "daily":
		return today, true
	case "weekly":
		wd := (int(today.Weekday()) + 6) % 7 // Monday 0
		return today.AddDate(0, 0, -wd), true
	}
	return time.Time{}, false
}
