package lottery

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Seat is a seat a pool gives to its winners: where it is and how good
// it is (Score: lower is better, as the seat map ranks its seats).
type Seat struct {
	ID      int64
	Section string
	Row     int
	Col     int
	Score   float64
}

// ErrNotEnoughSeats: the pool's seats cannot hold its winners' tickets.
var ErrNotEnoughSeats = errors.New("lottery: fewer seats than tickets won")

// Match gives the winners seats, in draw order (event plan §6.1.3(4),
// presale seat matching): each winner's tickets together, in one row of
// adjacent seats, in the best row that still has such a block, placed on
// the row's best seats; a party is split only when no row has room for it
// together, and then gets the best free seats. Winners come as Draw
// returns them (by rank); the answer is each winner's seats, by id.
func Match(winners []Winner, seats []Seat) (map[string][]int64, error) {
	need := 0
	for _, w := range winners {
		if w.Quantity < 1 {
			return nil, fmt.Errorf("%w: winner %q has %d tickets", ErrInput, w.ID, w.Quantity)
		}
		need += w.Quantity
	}
	if need > len(seats) {
		return nil, fmt.Errorf("%w: %d tickets, %d seats", ErrNotEnoughSeats, need, len(seats))
	}
	rows := layoutRows(seats)
	out := make(map[string][]int64, len(winners))
	cursor := map[int]int{} // party size -> the first row that may still seat it together
	for _, w := range winners {
		if _, dup := out[w.ID]; dup {
			return nil, fmt.Errorf("%w: winner %q twice", ErrInput, w.ID)
		}
		q := w.Quantity
		i := cursor[q]
		for i < len(rows) && rows[i].longest() < q {
			i++
		}
		cursor[q] = i
		if i < len(rows) {
			out[w.ID] = rows[i].take(q)
			continue
		}
		// No row seats the party together: the best free seats, row by row.
		var ids []int64
		for r := cursor[1]; len(ids) < q && r < len(rows); r++ {
			ids = append(ids, rows[r].takeAny(q-len(ids))...)
		}
		out[w.ID] = ids
	}
	return out, nil
}

// mrow is a row being filled: its seats by column, which are free, and
// its free runs of adjacent seats.
type mrow struct {
	seats []Seat
	free  []bool
	best  float64
	runs  [][2]int // [start, end) of free adjacent seats
}

func layoutRows(seats []Seat) []*mrow {
	type key struct {
		section string
		row     int
	}
	by := map[key]*mrow{}
	var rows []*mrow
	for _, s := range seats {
		k := key{s.Section, s.Row}
		r := by[k]
		if r == nil {
			r = &mrow{}
			by[k] = r
			rows = append(rows, r)
		}
		r.seats = append(r.seats, s)
	}
	for _, r := range rows {
		slices.SortFunc(r.seats, func(a, b Seat) int { return cmp.Compare(a.Col, b.Col) })
		r.free = make([]bool, len(r.seats))
		r.best = r.seats[0].Score
		start := 0
		for i, s := range r.seats {
			r.free[i] = true
			r.best = min(r.best, s.Score)
			if i > 0 && s.Col != r.seats[i-1].Col+1 {
				r.runs = append(r.runs, [2]int{start, i})
				start = i
			}
		}
		r.runs = append(r.runs, [2]int{start, len(r.seats)})
	}
	slices.SortStableFunc(rows, func(a, b *mrow) int {
		if c := cmp.Compare(a.best, b.best); c != 0 {
			return c
		}
		if c := cmp.Compare(a.seats[0].Section, b.seats[0].Section); c != 0 {
			return c
		}
		return cmp.Compare(a.seats[0].Row, b.seats[0].Row)
	})
	return rows
}

func (r *mrow) longest() int {
	n := 0
	for _, run := range r.runs {
		n = max(n, run[1]-run[0])
	}
	return n
}

// take seats q adjacent seats of the row where their scores sum least,
// and splits the run they came from.
func (r *mrow) take(q int) []int64 {
	bestRun, bestStart, bestSum := -1, 0, 0.0
	for ri, run := range r.runs {
		if run[1]-run[0] < q {
			continue
		}
		sum := 0.0
		for i := run[0]; i < run[0]+q; i++ {
			sum += r.seats[i].Score
		}
		for st := run[0]; ; st++ {
			if bestRun < 0 || sum < bestSum {
				bestRun, bestStart, bestSum = ri, st, sum
			}
			if st+q >= run[1] {
				break
			}
			sum += r.seats[st+q].Score - r.seats[st].Score
		}
	}
	run := r.runs[bestRun]
	var parts [][2]int
	if bestStart > run[0] {
		parts = append(parts, [2]int{run[0], bestStart})
	}
	if bestStart+q < run[1] {
		parts = append(parts, [2]int{bestStart + q, run[1]})
	}
	r.runs = slices.Replace(r.runs, bestRun, bestRun+1, parts...)
	ids := make([]int64, q)
	for i := range q {
		r.free[bestStart+i] = false
		ids[i] = r.seats[bestStart+i].ID
	}
	return ids
}

// takeAny seats up to q of the row's free seats, best first.
func (r *mrow) takeAny(q int) []int64 {
	var idx []int
	for i, f := range r.free {
		if f {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(r.seats[a].Score, r.seats[b].Score) })
	if len(idx) > q {
		idx = idx[:q]
	}
	ids := make([]int64, 0, len(idx))
	for _, i := range idx {
		r.free[i] = false
		ids = append(ids, r.seats[i].ID)
	}
	// Rebuild the runs from what is free now.
	r.runs = r.runs[:0]
	start := -1
	for i := range r.seats {
		adjacent := i > 0 && r.seats[i].Col == r.seats[i-1].Col+1
		switch {
		case r.free[i] && start >= 0 && adjacent:
		case r.free[i]:
			if start >= 0 {
				r.runs = append(r.runs, [2]int{start, i})
			}
			start = i
		default:
			if start >= 0 {
				r.runs = append(r.runs, [2]int{start, i})
				start = -1
			}
		}
	}
	if start >= 0 {
		r.runs = append(r.runs, [2]int{start, len(r.seats)})
	}
	return ids
}
