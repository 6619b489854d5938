package avail

import (
	"cmp"
	"math"
	"slices"
)

// Best-available. A buyer who asks for n seats of a tier gets the block of
// n adjacent seats in one row nearest the best seat of its section (two
// thirds back, in the middle, as in a cinema), picked on the current map.
// The seats are claimed until the buyer's hold has committed or failed, so
// buyers asking at the same moment are spread over different blocks
// instead of all racing for the same best pair. A party is split only when
// it asked to be and no block is left.

// row is the seats of one tier (or of every tier) in one physical row of a
// section, by column, with the part of the distance that the row decides.
type row struct {
	score float64 // (row - best row)² × 4
	cc    float64 // best column of the section
	pos   []int32 // seat positions, by column
	col   []int   // their columns
}

// layout is the rows of each tier, best first; tier 0 is every tier.
type layout map[int64][]row

type rowKey struct {
	tier    int64
	section string
	row     int
}

type extent struct{ minR, maxR, minC, maxC int }

func newLayout(seats []Seat) layout {
	ext := map[string]*extent{}
	for _, s := range seats {
		e := ext[s.Section]
		if e == nil {
			e = &extent{minR: s.Row, maxR: s.Row, minC: s.Col, maxC: s.Col}
			ext[s.Section] = e
		}
		e.minR, e.maxR = min(e.minR, s.Row), max(e.maxR, s.Row)
		e.minC, e.maxC = min(e.minC, s.Col), max(e.maxC, s.Col)
	}
	rows := map[rowKey]*row{}
	add := func(k rowKey, i int, s Seat) {
		r := rows[k]
		if r == nil {
			e := ext[s.Section]
			cr := float64(e.minR) + float64(e.maxR-e.minR)*2/3
			dr := float64(s.Row) - cr
			r = &row{score: dr * dr * 4, cc: float64(e.minC+e.maxC) / 2}
			rows[k] = r
		}
		r.pos = append(r.pos, int32(i))
		r.col = append(r.col, s.Col)
	}
	for i, s := range seats {
		if s.Tier == 0 {
			continue
		}
		add(rowKey{tier: s.Tier, section: s.Section, row: s.Row}, i, s)
		add(rowKey{tier: 0, section: s.Section, row: s.Row}, i, s)
	}
	l := layout{}
	for k, r := range rows {
		idx := make([]int, len(r.pos))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(r.col[a], r.col[b]) })
		pos, col := make([]int32, len(idx)), make([]int, len(idx))
		for i, j := range idx {
			pos[i], col[i] = r.pos[j], r.col[j]
		}
		r.pos, r.col = pos, col
		l[k.tier] = append(l[k.tier], *r)
	}
	for t := range l {
		slices.SortFunc(l[t], func(a, b row) int { return cmp.Compare(a.score, b.score) })
	}
	return l
}

// Pick chooses n seats of the tier (0: any) for a best-available buyer and
// claims them; release must be called once the buyer's hold has committed
// or failed. It returns nil when no n adjacent seats are free (nor n seats
// at all, when split is allowed).
func (m *Map) Pick(n int, tier int64, split bool) (ids []int64, release func()) {
	if n <= 0 {
		return nil, func() {}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.layout[tier]
	picked := m.block(rows, n)
	if picked == nil && split {
		picked = m.nearest(rows, n)
	}
	if picked == nil {
		return nil, func() {}
	}
	ids = make([]int64, len(picked))
	for i, p := range picked {
		m.claimed[p] = true
		ids[i] = m.seats[p].ID
	}
	return ids, func() {
		m.mu.Lock()
		for _, p := range picked {
			m.claimed[p] = false
		}
		m.mu.Unlock()
	}
}

// orphanCost is what stranding one empty seat beside a block weighs, in
// squared seats from the best seat: a block one seat further from the
// middle is better than one that leaves a single seat nobody can sit in
// with a friend.
const orphanCost = 2.5

func (m *Map) free(p int32) bool { return m.codes[p] == Open && !m.claimed[p] }

// block finds the best run of n free adjacent seats. Rows come best first,
// so the search stops at the first row that cannot beat the best found.
func (m *Map) block(rows []row, n int) []int32 {
	best := math.Inf(1)
	var bestRow *row
	bestStart := 0
	for ri := range rows {
		r := &rows[ri]
		if r.score >= best {
			break
		}
		for a := 0; a < len(r.pos); {
			if !m.free(r.pos[a]) {
				a++
				continue
			}
			b := a + 1
			for b < len(r.pos) && m.free(r.pos[b]) && r.col[b] == r.col[b-1]+1 {
				b++
			}
			if b-a >= n {
				// The block whose middle is nearest the best column, or
				// one seat beside it if that strands no single seat.
				want := r.cc - float64(n-1)/2 - float64(r.col[a])
				ideal := a + min(max(int(math.Round(want)), 0), b-a-n)
				for _, st := range [...]int{ideal, ideal - 1, ideal + 1} {
					if st < a || st+n > b {
						continue
					}
					mid := float64(r.col[st]+r.col[st+n-1]) / 2
					d := r.score + (mid-r.cc)*(mid-r.cc)
					if st-a == 1 {
						d += orphanCost
					}
					if b-st-n == 1 {
						d += orphanCost
					}
					if d < best {
						best, bestRow, bestStart = d, r, st
					}
				}
			}
			a = b
		}
	}
	if bestRow == nil {
		return nil
	}
	return slices.Clone(bestRow.pos[bestStart : bestStart+n])
}

// nearest picks the n free seats nearest their sections' best seats.
func (m *Map) nearest(rows []row, n int) []int32 {
	type cand struct {
		p int32
		d float64
	}
	var cs []cand
	for _, r := range rows {
		for i, p := range r.pos {
			if m.free(p) {
				dc := float64(r.col[i]) - r.cc
				cs = append(cs, cand{p, r.score + dc*dc})
			}
		}
	}
	if len(cs) < n {
		return nil
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(a.d, b.d) })
	out := make([]int32, n)
	for i := range out {
		out[i] = cs[i].p
	}
	return out
}
