package avail

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
)

// hall is rows × cols seats of one section and tier, all open, at version 0.
func hall(rows, cols int) *Map {
	var seats []Seat
	for r := 1; r <= rows; r++ {
		for c := 1; c <= cols; c++ {
			seats = append(seats, Seat{ID: int64(len(seats) + 1), Ord: int64(len(seats)), Section: "S", Row: r, Col: c, Tier: 1})
		}
	}
	codes := make([]byte, len(seats))
	for i := range codes {
		codes[i] = Open
	}
	return New(7, 1, 1, seats, codes, 0)
}

func follow(t *testing.T, doc []byte, codes []byte, have int64) ([]byte, int64) {
	t.Helper()
	var d Document
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("document is not JSON: %v\n%s", err, doc)
	}
	codes, v, err := d.Follow(codes, have)
	if err != nil {
		t.Fatal(err)
	}
	return codes, v
}

func TestADeltaAppliedToTheMapAtItsVersionGivesTheMapNow(t *testing.T) {
	m := hall(10, 20)
	r := rand.New(rand.NewPCG(1, 2))
	type snap struct {
		v     int64
		codes []byte
	}
	var snaps []snap
	seq := int64(0)
	for i := 0; i < 5000; i++ {
		if r.IntN(50) == 0 {
			v, c := m.Snapshot()
			snaps = append(snaps, snap{v, c})
		}
		batch := make([]Change, 1+r.IntN(4))
		for j := range batch {
			seq++
			batch[j] = Change{Seq: seq, Session: 7, Ord: int64(r.IntN(200)), Code: "AHSXRBN-"[r.IntN(8)], Tier: 1}
		}
		m.Apply(batch)
	}
	_, now := m.Snapshot()
	full, fv := m.Full()
	if got, _ := follow(t, full, nil, 0); !slices.Equal(got, now) || fv != seq {
		t.Fatalf("the whole map at %d differs from the map", fv)
	}
	kept := 0
	for _, s := range snaps {
		doc, v, ok := m.Delta(s.v)
		if !ok {
			continue // older than the changes kept: the client gets the whole map
		}
		kept++
		got, gv := follow(t, doc, s.codes, s.v)
		if gv != v || v != seq || !slices.Equal(got, now) {
			t.Fatalf("delta from %d to %d does not give the map now", s.v, v)
		}
	}
	if kept == 0 {
		t.Fatal("no snapshot was recent enough for a delta")
	}
	if _, _, ok := m.Delta(0); ok {
		t.Error("a delta from version 0 after 12,500 changes: the map keeps at most 8192")
	}
	if _, _, ok := m.Delta(seq + 1); ok {
		t.Error("a delta from a version the map never had")
	}
}

func TestApplySkipsWhatTheMapAlreadyHasAndOtherSessions(t *testing.T) {
	m := hall(1, 4)
	m.Apply([]Change{{Seq: 1, Session: 7, Ord: 0, Code: Held, Tier: 1}, {Seq: 2, Session: 8, Ord: 1, Code: Sold, Tier: 1}})
	m.Apply([]Change{{Seq: 1, Session: 7, Ord: 0, Code: Sold, Tier: 1}}) // again: already applied
	v, codes := m.Snapshot()
	if string(codes) != "HAAA" || v != 1 {
		t.Fatalf("map %q at %d, want HAAA at 1 (its own session's last change)", codes, v)
	}
	if c := m.Counts(); c[Held] != 1 || c[Open] != 3 {
		t.Fatalf("counts %v", c)
	}
}

func TestChangedWakesFollowers(t *testing.T) {
	m := hall(1, 4)
	ch := m.Changed()
	select {
	case <-ch:
		t.Fatal("woke before any change")
	default:
	}
	m.Apply([]Change{{Seq: 1, Session: 7, Ord: 2, Code: Sold, Tier: 1}})
	select {
	case <-ch:
	default:
		t.Fatal("a change did not wake the follower")
	}
}

func TestPickClaimsSeatsSoConcurrentBuyersGetDifferentBlocks(t *testing.T) {
	m := hall(10, 20)
	seen := map[int64]bool{}
	var releases []func()
	for i := 0; i < 20; i++ {
		ids, release := m.Pick(4, 1, false)
		if len(ids) != 4 {
			t.Fatalf("buyer %d got %v", i, ids)
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("seat %d picked for two buyers in flight", id)
			}
			seen[id] = true
		}
		releases = append(releases, release)
	}
	for _, r := range releases {
		r()
	}
	// Released claims are free again: the first pick comes back.
	ids, _ := m.Pick(4, 1, false)
	first, _ := hall(10, 20).Pick(4, 1, false)
	if !slices.Equal(ids, first) {
		t.Fatalf("after release the best block is %v, want %v", ids, first)
	}
}

func TestPickNeverSplitsUnlessAsked(t *testing.T) {
	m := hall(2, 6)
	// Every other seat sold: no two adjacent seats are left.
	var cs []Change
	for i := 0; i < 12; i += 2 {
		cs = append(cs, Change{Seq: int64(len(cs) + 1), Session: 7, Ord: int64(i), Code: Sold, Tier: 1})
	}
	m.Apply(cs)
	if ids, _ := m.Pick(2, 1, false); ids != nil {
		t.Fatalf("picked %v: no two adjacent seats are free", ids)
	}
	if ids, _ := m.Pick(2, 0, true); len(ids) != 2 {
		t.Fatalf("a party that may split got %v", ids)
	}
	if ids, _ := m.Pick(7, 1, true); ids != nil {
		t.Fatalf("7 seats picked of 6 free: %v", ids)
	}
	if ids, _ := m.Pick(1, 2, true); ids != nil {
		t.Fatalf("picked %v in a tier the hall does not have", ids)
	}
}

func TestPickAvoidsStrandingASingleSeat(t *testing.T) {
	// A row of 4 free seats and a party of 2: the middle pair (cols 2-3)
	// would leave cols 1 and 4 alone; a pair at either end strands nobody.
	m := hall(1, 4)
	ids, _ := m.Pick(2, 1, false)
	if slices.Equal(ids, []int64{2, 3}) {
		t.Fatalf("picked the middle pair, stranding two single seats")
	}
}

func BenchmarkPickStadium(b *testing.B) {
	m := hall(250, 200) // 50,000 seats
	r := rand.New(rand.NewPCG(3, 4))
	var cs []Change
	for i := 0; i < 20000; i++ {
		cs = append(cs, Change{Seq: int64(i + 1), Session: 7, Ord: int64(r.IntN(50000)), Code: Sold, Tier: 1})
	}
	m.Apply(cs)
	b.ResetTimer()
	for b.Loop() {
		ids, release := m.Pick(2, 1, false)
		if ids == nil {
			b.Fatal("sold out")
		}
		release()
	}
}

// BenchmarkReadDelta reads what a follower of a stadium on sale gets: a
// delta of 300 changes, by hand (ParseDocument) and by encoding/json.
func BenchmarkReadDelta(b *testing.B) {
	m := hall(250, 200)
	r := rand.New(rand.NewPCG(5, 6))
	var cs []Change
	for i := range 300 {
		cs = append(cs, Change{Seq: int64(i + 1), Session: 7, Ord: int64(1 + r.IntN(50000)), Code: Sold, Tier: 1})
	}
	m.Apply(cs)
	delta, _, _ := m.Delta(0)
	b.Run("by hand", func(b *testing.B) {
		b.SetBytes(int64(len(delta)))
		for b.Loop() {
			if d, err := ParseDocument(delta); err != nil || len(d.Changes) != 300 {
				b.Fatal(len(d.Changes), err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(delta)))
		for b.Loop() {
			var d plainDocument
			if err := json.Unmarshal(delta, &d); err != nil || len(d.Changes) != 300 {
				b.Fatal(len(d.Changes), err)
			}
		}
	})
}
