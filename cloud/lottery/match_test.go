package lottery

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// venue is sections of rows of seats; a seat's score is its squared
// distance from the middle of row 1 of its section (the best seat).
func venue(sections, rows, cols int) []Seat {
	var out []Seat
	id := int64(1)
	for s := range sections {
		for r := 1; r <= rows; r++ {
			for c := 1; c <= cols; c++ {
				dc := float64(c) - float64(cols+1)/2
				out = append(out, Seat{ID: id, Section: fmt.Sprintf("S%d", s), Row: r, Col: c, Score: float64(r-1)*float64(r-1)*4 + dc*dc + float64(s)*1000})
				id++
			}
		}
	}
	return out
}

func winners(qty ...int) []Winner {
	out := make([]Winner, len(qty))
	for i, q := range qty {
		out[i] = Winner{ID: fmt.Sprintf("w%d", i+1), Quantity: q, Rank: i + 1}
	}
	return out
}

// seated asserts every winner has their tickets, no seat twice, and says
// which parties sit apart.
func seated(t *testing.T, ws []Winner, seats []Seat, got map[string][]int64) (apart []string) {
	t.Helper()
	by := map[int64]Seat{}
	for _, s := range seats {
		by[s.ID] = s
	}
	used := map[int64]string{}
	for _, w := range ws {
		ids := got[w.ID]
		if len(ids) != w.Quantity {
			t.Fatalf("%s won %d tickets and got %d seats", w.ID, w.Quantity, len(ids))
		}
		for i, id := range ids {
			if other, ok := used[id]; ok {
				t.Fatalf("seat %d given to %s and %s", id, other, w.ID)
			}
			used[id] = w.ID
			if i > 0 {
				a, b := by[ids[i-1]], by[id]
				if a.Section != b.Section || a.Row != b.Row || b.Col != a.Col+1 {
					apart = append(apart, w.ID)
					break
				}
			}
		}
	}
	return apart
}

func TestWinnersSitTogetherBestFirstInDrawOrder(t *testing.T) {
	seats := venue(2, 10, 20)
	ws := winners(4, 2, 3, 1, 4, 4, 2)
	got, err := Match(ws, seats)
	if err != nil {
		t.Fatal(err)
	}
	if apart := seated(t, ws, seats, got); len(apart) != 0 {
		t.Fatalf("parties apart with room to spare: %v", apart)
	}
	// The first drawn sits in the middle of the best row.
	by := map[int64]Seat{}
	for _, s := range seats {
		by[s.ID] = s
	}
	first := got["w1"]
	if s := by[first[0]]; s.Section != "S0" || s.Row != 1 || s.Col != 9 {
		t.Fatalf("the first winner's block starts at %+v, want S0 row 1 seat 9 (of 9-12)", s)
	}
	// Scores never get better down the draw for a party of one size.
	score := func(w string) float64 {
		sum := 0.0
		for _, id := range got[w] {
			sum += by[id].Score
		}
		return sum
	}
	if score("w1") > score("w5") || score("w5") > score("w6") {
		t.Fatalf("a later party of four sits better: %v %v %v", score("w1"), score("w5"), score("w6"))
	}
}

// When no row has room for a party together it is split over the best
// free seats; nobody else is.
func TestAPartyIsSplitOnlyWhenNoRowHoldsIt(t *testing.T) {
	seats := venue(1, 3, 3) // rows of three
	ws := winners(3, 2, 4)
	got, err := Match(ws, seats)
	if err != nil {
		t.Fatal(err)
	}
	apart := seated(t, ws, seats, got)
	if len(apart) != 1 || apart[0] != "w3" {
		t.Fatalf("apart: %v", apart)
	}
}

func TestMatchRefusesWhatCannotBeSeated(t *testing.T) {
	if _, err := Match(winners(5, 5), venue(1, 1, 9)); !errors.Is(err, ErrNotEnoughSeats) {
		t.Fatalf("10 tickets, 9 seats: %v", err)
	}
	if _, err := Match([]Winner{{ID: "a", Quantity: 1}, {ID: "a", Quantity: 1}}, venue(1, 1, 9)); !errors.Is(err, ErrInput) {
		t.Fatalf("a winner twice: %v", err)
	}
}

// A full house of random parties: everyone seated, no seat twice, few
// parties apart (only at the end, when the rows are full).
func TestAFullHouseSeatsEveryone(t *testing.T) {
	seats := venue(4, 25, 30) // 3,000 seats
	var qty []int
	total := 0
	for i := 0; total < len(seats); i++ {
		q := 1 + (i*7)%4
		if total+q > len(seats) {
			q = len(seats) - total
		}
		qty = append(qty, q)
		total += q
	}
	ws := winners(qty...)
	got, err := Match(ws, seats)
	if err != nil {
		t.Fatal(err)
	}
	apart := seated(t, ws, seats, got)
	if frac := float64(len(apart)) / float64(len(ws)); frac > 0.02 || math.IsNaN(frac) {
		t.Fatalf("%d of %d parties apart", len(apart), len(ws))
	}
}

// BenchmarkMatch100k: the figure, seats for 100,000 winners in a
// 100,000-seat venue (one ticket each), and for parties of one to four
// filling it.
func BenchmarkMatch100k(b *testing.B) {
	seats := venue(20, 50, 100)
	for _, tc := range []struct {
		name string
		ws   []Winner
	}{
		{"singles", winners(repeat(1, 100_000)...)},
		{"parties", func() []Winner {
			var q []int
			for total := 0; total < 100_000; {
				n := min(1+len(q)%4, 100_000-total)
				q = append(q, n)
				total += n
			}
			return winners(q...)
		}()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Match(tc.ws, seats); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}
