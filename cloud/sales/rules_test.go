package sales

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/admitbox/admit/cloud/seatmap"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name) // time/tzdata is linked in: never missing
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}

func TestRulesBusinessDate(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	cases := []struct {
		name     string
		start    time.Time
		dayStart int
		want     string
	}{
		{"a 01:30 showing with a 06:00 day start belongs to the previous date",
			time.Date(2024, 5, 2, 1, 30, 0, 0, sh), 360, "2024-05-01"},
		{"a showing at 06:00 exactly belongs to the same date",
			time.Date(2024, 5, 2, 6, 0, 0, 0, sh), 360, "2024-05-02"},
		{"a showing at 05:59 belongs to the previous date",
			time.Date(2024, 5, 2, 5, 59, 0, 0, sh), 360, "2024-05-01"},
		{"a late evening showing belongs to its own date",
			time.Date(2024, 5, 2, 23, 45, 0, 0, sh), 360, "2024-05-02"},
		{"a UTC instant that is already the next day in Shanghai takes the Shanghai date",
			time.Date(2024, 5, 1, 22, 0, 0, 0, time.UTC), 0, "2024-05-02"},
		{"a UTC instant is read in Shanghai time before the day start is applied",
			time.Date(2024, 5, 1, 18, 0, 0, 0, time.UTC), 360, "2024-05-01"}, // 02:00 on 05-02 in Shanghai, before 06:00
		{"with a day start of 0 a showing at 00:00 belongs to its own date",
			time.Date(2024, 5, 2, 0, 0, 0, 0, sh), 0, "2024-05-02"},
		{"with a day start of 0 a showing at 23:59 belongs to its own date",
			time.Date(2024, 5, 2, 23, 59, 0, 0, sh), 0, "2024-05-02"},
		{"a 01:30 showing on the first of the year belongs to the last day of the previous year",
			time.Date(2025, 1, 1, 1, 30, 0, 0, sh), 360, "2024-12-31"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := BusinessDate(c.start, sh, c.dayStart); got != c.want {
				t.Errorf("BusinessDate(%s, Shanghai, %d) = %s, want %s", c.start.Format(time.RFC3339), c.dayStart, got, c.want)
			}
		})
	}
}

// The cut-off is a wall-clock time: on a daylight-saving day it must not
// move by an hour. Asia/Shanghai has no DST, but a venue may be anywhere.
func TestRulesBusinessDateUsesTheWallClockOnDaylightSavingDays(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	cases := []struct {
		name  string
		start time.Time
		want  string
	}{
		{"a 06:00 showing on the spring-forward day belongs to the same date",
			time.Date(2024, 3, 10, 6, 0, 0, 0, ny), "2024-03-10"},
		{"a 05:30 showing on the fall-back day belongs to the previous date",
			time.Date(2024, 11, 3, 5, 30, 0, 0, ny), "2024-11-02"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := BusinessDate(c.start, ny, 360); got != c.want {
				t.Errorf("BusinessDate(%s, New_York, 360) = %s, want %s", c.start.Format(time.RFC3339), got, c.want)
			}
		})
	}
}

func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(pickupAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

func TestRulesNewPickupCodeIsTypableAndRarelyRepeats(t *testing.T) {
	const n = 10000
	seen := make(map[string]bool, n)
	dups := 0
	for i := 0; i < n; i++ {
		c := NewPickupCode()
		if len(c) != PickupCodeLen {
			t.Fatalf("code %q has length %d, want %d", c, len(c), PickupCodeLen)
		}
		if !inAlphabet(c) {
			t.Fatalf("code %q has a character outside the alphabet", c)
		}
		if strings.ContainsAny(c, "0O1IL5S2Z8B") {
			t.Fatalf("code %q contains an ambiguous character", c)
		}
		if got, ok := NormalizePickupCode(c); !ok || got != c {
			t.Fatalf("NormalizePickupCode(%q) = %q, %v; want it unchanged", c, got, ok)
		}
		if seen[c] {
			dups++
		}
		seen[c] = true
	}
	if dups >= 2 {
		t.Errorf("%d duplicate codes among %d, want fewer than 2", dups, n)
	}
}

func TestRulesNewPickupCodeUsesTheWholeAlphabet(t *testing.T) {
	counts := map[byte]int{}
	for i := 0; i < 2000; i++ {
		c := NewPickupCode()
		for j := 0; j < len(c); j++ {
			counts[c[j]]++
		}
	}
	if len(counts) != len(pickupAlphabet) {
		t.Errorf("16000 characters used %d distinct symbols, want all %d", len(counts), len(pickupAlphabet))
	}
}

func TestRulesNormalizePickupCode(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"an upper-case code is accepted as is", "K7M9AC3D", "K7M9AC3D", true},
		{"a lower-case code is upper-cased", "k7m9ac3d", "K7M9AC3D", true},
		{"a dash typed in the middle is dropped", "k7m9-ac3d", "K7M9AC3D", true},
		{"spaces typed between groups are dropped", "K7M9 AC3D", "K7M9AC3D", true},
		{"leading and trailing spaces are dropped", "  k7m9ac3d ", "K7M9AC3D", true},
		{"many dashes and spaces are dropped", "k-7 m-9 a-c 3-d", "K7M9AC3D", true},
		{"mixed case is accepted", "K7m9Ac3D", "K7M9AC3D", true},
		{"a code one character short is refused", "K7M9AC3", "", false},
		{"a code one character long is refused", "K7M9AC3DE", "", false},
		{"an empty string is refused", "", "", false},
		{"only dashes are refused", "--------", "", false},
		{"a zero is refused", "K7M9AC30", "", false},
		{"a letter O is refused", "K7M9AC3O", "", false},
		{"a one is refused", "K7M9AC31", "", false},
		{"a letter I is refused", "K7M9AC3I", "", false},
		{"a letter L is refused", "K7M9AC3L", "", false},
		{"a lower-case l is refused", "k7m9ac3l", "", false},
		{"a five is refused", "K7M9AC35", "", false},
		{"a letter S is refused", "K7M9AC3S", "", false},
		{"a two is refused", "K7M9AC32", "", false},
		{"a letter Z is refused", "K7M9AC3Z", "", false},
		{"an eight is refused", "K7M9AC38", "", false},
		{"a letter B is refused", "K7M9AC3B", "", false},
		{"a tab is not stripped and is refused", "K7M9\tAC3", "", false},
		{"an underscore is refused", "K7M9_AC3", "", false},
		{"a non-ASCII letter is refused", "K7M9AC3é", "", false},
		{"a fullwidth letter is refused", "K7M9AC3Ｄ", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := NormalizePickupCode(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("NormalizePickupCode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestRulesOrderQRRoundTrips(t *testing.T) {
	for i := 0; i < 100; i++ {
		code := NewPickupCode()
		qr := OrderQR("31010101", code)
		if want := "AO1:31010101:" + code; qr != want {
			t.Fatalf("OrderQR = %q, want %q", qr, want)
		}
		v, c, ok := ParseOrderQR(qr)
		if !ok || v != "31010101" || c != code {
			t.Fatalf("ParseOrderQR(%q) = %q, %q, %v; want 31010101, %q, true", qr, v, c, ok, code)
		}
	}
}

func TestRulesParseOrderQR(t *testing.T) {
	cases := []struct {
		name, in    string
		venue, code string
		ok          bool
	}{
		{"a well-formed QR is accepted", "AO1:31010101:K7M9AC3D", "31010101", "K7M9AC3D", true},
		{"a lower-case dashed pickup code is normalized", "AO1:31010101:k7m9-ac3d", "31010101", "K7M9AC3D", true},
		{"a lower-case prefix is refused", "ao1:31010101:K7M9AC3D", "", "", false},
		{"a different version prefix is refused", "AO2:31010101:K7M9AC3D", "", "", false},
		{"a missing prefix is refused", "31010101:K7M9AC3D", "", "", false},
		{"an empty prefix is refused", ":31010101:K7M9AC3D", "", "", false},
		{"an extra field is refused", "AO1:31010101:K7M9AC3D:X", "", "", false},
		{"a seven-digit venue code is refused", "AO1:3101010:K7M9AC3D", "", "", false},
		{"a nine-digit venue code is refused", "AO1:310101010:K7M9AC3D", "", "", false},
		{"a venue code with a letter is refused", "AO1:3101010A:K7M9AC3D", "", "", false},
		{"an empty venue code is refused", "AO1::K7M9AC3D", "", "", false},
		{"a pickup code with an ambiguous character is refused", "AO1:31010101:K7M9AC3O", "", "", false},
		{"a short pickup code is refused", "AO1:31010101:K7M9", "", "", false},
		{"an empty pickup code is refused", "AO1:31010101:", "", "", false},
		{"an empty string is refused", "", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, code, ok := ParseOrderQR(c.in)
			if ok != c.ok {
				t.Fatalf("ParseOrderQR(%q) ok = %v, want %v", c.in, ok, c.ok)
			}
			if ok && (v != c.venue || code != c.code) {
				t.Errorf("ParseOrderQR(%q) = %q, %q; want %q, %q", c.in, v, code, c.venue, c.code)
			}
			if !ok && code != "" {
				t.Errorf("ParseOrderQR(%q) refused but returned pickup code %q", c.in, code)
			}
		})
	}
}

func TestRulesValidVenueCode(t *testing.T) {
	cases := []struct {
		name, in string
		want     bool
	}{
		{"eight digits are valid", "31010101", true},
		{"eight zeros are valid", "00000000", true},
		{"seven digits are not", "3101010", false},
		{"nine digits are not", "310101011", false},
		{"an empty string is not", "", false},
		{"a letter is not", "3101010A", false},
		{"a space is not", "3101 101", false},
		{"a sign is not", "+3101010", false},
		{"fullwidth digits are not", "３１０１０１０１", false},
		{"Arabic-Indic digits are not", "٣١٠١٠١", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ValidVenueCode(c.in); got != c.want {
				t.Errorf("ValidVenueCode(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestRulesSellableAndWhyNot(t *testing.T) {
	now := time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC)
	before := now.Add(-time.Minute)
	after := now.Add(time.Minute)
	ptr := func(t time.Time) *time.Time { return &t }
	seat := func(mod func(*SessionSeat)) SessionSeat {
		s := SessionSeat{SeatID: 1, Section: "A", Row: "1", RowNo: 1, Col: 1, Label: "1-1",
			Type: seatmap.TypeStandard, State: seatmap.StateOK, Category: CategorySellable, Status: SeatAvailable}
		mod(&s)
		return s
	}
	reserved := func(until *time.Time) func(*SessionSeat) {
		return func(s *SessionSeat) {
			s.Category, s.ReservedFor, s.ReservedUntil = CategoryReserved, "acme", until
		}
	}
	cases := []struct {
		name     string
		seat     SessionSeat
		customer string
		sellable bool
		why      string // checked only when not sellable
	}{
		{"an ok available sellable seat is sellable", seat(func(*SessionSeat) {}), "", true, ""},
		{"an obstructed seat is sellable", seat(func(s *SessionSeat) { s.State = seatmap.StateObstructed }), "", true, ""},
		{"a damaged seat is never sellable", seat(func(s *SessionSeat) { s.State = seatmap.StateDamaged }), "",
			false, "seat is out of service (damaged)"},
		{"a removed seat is never sellable", seat(func(s *SessionSeat) { s.State = seatmap.StateRemoved }), "",
			false, "seat is out of service (removed)"},
		{"a damaged seat reserved for the customer is still not sellable",
			seat(func(s *SessionSeat) { reserved(ptr(after))(s); s.State = seatmap.StateDamaged }), "acme",
			false, "seat is out of service (damaged)"},
		{"a held-back seat is never sellable", seat(func(s *SessionSeat) { s.Category = CategoryHeldBack }), "",
			false, "seat is held back by the venue"},
		{"a non-sale seat is never sellable", seat(func(s *SessionSeat) { s.Category = CategoryNonSale }), "",
			false, "seat is not for sale"},
		{"an unknown category is not sellable", seat(func(s *SessionSeat) { s.Category = "bogus" }), "",
			false, "seat is not available"},
		{"a reserved seat is not sellable to another customer before ReservedUntil",
			seat(reserved(ptr(after))), "other", false, "seat is reserved for another customer"},
		{"a reserved seat is not sellable to an anonymous buyer before ReservedUntil",
			seat(reserved(ptr(after))), "", false, "seat is reserved for another customer"},
		{"a reserved seat is sellable to the named customer before ReservedUntil",
			seat(reserved(ptr(after))), "acme", true, ""},
		{"a reserved seat is sellable to anyone after ReservedUntil",
			seat(reserved(ptr(before))), "other", true, ""},
		{"a reserved seat is sellable to an anonymous buyer exactly at ReservedUntil",
			seat(reserved(ptr(now))), "", true, ""},
		{"a reserved seat without an end date is not sellable to others",
			seat(reserved(nil)), "other", false, "seat is reserved for another customer"},
		{"a reserved seat without an end date is sellable to the named customer",
			seat(reserved(nil)), "acme", true, ""},
		{"a reserved seat with no named customer is not sellable to an anonymous buyer before ReservedUntil",
			seat(func(s *SessionSeat) { reserved(ptr(after))(s); s.ReservedFor = "" }), "",
			false, "seat is reserved for another customer"},
		{"a held seat is not sellable before HoldExpires",
			seat(func(s *SessionSeat) { s.Status, s.HoldExpires = SeatHeld, ptr(after) }), "",
			false, "seat is held by another buyer"},
		{"a held seat is sellable after HoldExpires",
			seat(func(s *SessionSeat) { s.Status, s.HoldExpires = SeatHeld, ptr(before) }), "", true, ""},
		{"a held seat is sellable exactly at HoldExpires",
			seat(func(s *SessionSeat) { s.Status, s.HoldExpires = SeatHeld, ptr(now) }), "", true, ""},
		{"a held seat with no expiry is not sellable",
			seat(func(s *SessionSeat) { s.Status = SeatHeld }), "",
			false, "seat is held by another buyer"},
		{"a sold seat is never sellable", seat(func(s *SessionSeat) { s.Status = SeatSold }), "",
			false, "seat is already sold"},
		{"a sold seat reserved for the customer is not sellable to them",
			seat(func(s *SessionSeat) { reserved(ptr(after))(s); s.Status = SeatSold }), "acme",
			false, "seat is already sold"},
		{"a sold seat with a stale hold expiry is not sellable",
			seat(func(s *SessionSeat) { s.Status, s.HoldExpires = SeatSold, ptr(before) }), "",
			false, "seat is already sold"},
		{"an unknown status is not sellable", seat(func(s *SessionSeat) { s.Status = "bogus" }), "",
			false, "seat is not available"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.seat.Sellable(now, c.customer); got != c.sellable {
				t.Errorf("Sellable(customer %q) = %v, want %v", c.customer, got, c.sellable)
			}
			if c.sellable {
				return
			}
			if got := c.seat.WhyNot(now, c.customer); got != c.why {
				t.Errorf("WhyNot(customer %q) = %q, want %q", c.customer, got, c.why)
			}
		})
	}
}

func grid(section string, rows, cols int, firstID int64) []SessionSeat {
	var out []SessionSeat
	id := firstID
	for r := 1; r <= rows; r++ {
		for c := 1; c <= cols; c++ {
			out = append(out, SessionSeat{SeatID: id, Section: section, RowNo: r, Col: c,
				State: seatmap.StateOK, Category: CategorySellable, Status: SeatAvailable})
			id++
		}
	}
	return out
}

func without(seats []SessionSeat, drop func(SessionSeat) bool) []SessionSeat {
	var out []SessionSeat
	for _, s := range seats {
		if !drop(s) {
			out = append(out, s)
		}
	}
	return out
}

func assertDistinctFrom(t *testing.T, got, cands []SessionSeat) {
	t.Helper()
	in := map[int64]bool{}
	for _, s := range cands {
		in[s.SeatID] = true
	}
	seen := map[int64]bool{}
	for _, s := range got {
		if seen[s.SeatID] {
			t.Fatalf("seat %d returned twice in %v", s.SeatID, got)
		}
		seen[s.SeatID] = true
		if !in[s.SeatID] {
			t.Fatalf("seat %d is not a candidate", s.SeatID)
		}
	}
}

func assertOneRun(t *testing.T, got []SessionSeat) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		if got[i].Section != got[0].Section || got[i].RowNo != got[0].RowNo || got[i].Col != got[i-1].Col+1 {
			t.Fatalf("seats are not adjacent in one row: %v", rowCols(got))
		}
	}
}

func rowCols(ss []SessionSeat) [][2]int {
	out := make([][2]int, len(ss))
	for i, s := range ss {
		out[i] = [2]int{s.RowNo, s.Col}
	}
	return out
}

func shuffled(ss []SessionSeat, seed uint64) []SessionSeat {
	out := append([]SessionSeat(nil), ss...)
	r := rand.New(rand.NewPCG(seed, 1))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestRulesBestAvailable(t *testing.T) {
	cases := []struct {
		name     string
		cands    []SessionSeat
		n        int
		row      int // 0: no run expected
		firstCol int
	}{
		{"in a full hall it picks the centre run two-thirds back",
			grid("A", 4, 10, 1), 4, 3, 4},
		{"a single seat in a full hall is the centre seat two-thirds back",
			grid("A", 4, 9, 1), 1, 3, 5},
		{"it prefers the run nearer the centre row when the centre row is broken",
			without(grid("A", 4, 9, 1), func(s SessionSeat) bool { return (s.RowNo == 3 && s.Col%2 == 0) || s.RowNo == 2 }),
			3, 4, 4},
		{"it prefers the run nearer the centre column in one row",
			without(grid("A", 1, 11, 1), func(s SessionSeat) bool { return s.Col == 4 || s.Col == 8 }),
			3, 1, 5},
		{"it finds the only run in the hall even far from the centre",
			without(grid("A", 3, 9, 1), func(s SessionSeat) bool { return s.Col%2 == 0 && !(s.RowNo == 1 && s.Col <= 2) }),
			3, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(0); seed < 5; seed++ {
				got := BestAvailable(shuffled(c.cands, seed), c.n, true)
				if len(got) != c.n {
					t.Fatalf("got %d seats, want %d", len(got), c.n)
				}
				assertDistinctFrom(t, got, c.cands)
				assertOneRun(t, got)
				if got[0].RowNo != c.row || got[0].Col != c.firstCol {
					t.Fatalf("got %v, want row %d from col %d", rowCols(got), c.row, c.firstCol)
				}
			}
		})
	}
}

func TestRulesBestAvailableDoesNotJoinSeatsAcrossSections(t *testing.T) {
	// Section A has cols 1-2 and section B cols 3-4 of row 1: same row number,
	// consecutive columns, but not one block.
	cands := append(grid("A", 1, 2, 1),
		without(grid("B", 1, 4, 10), func(s SessionSeat) bool { return s.Col <= 2 })...)
	got := BestAvailable(cands, 3, true)
	if len(got) != 3 {
		t.Fatalf("got %d seats, want 3", len(got))
	}
	assertDistinctFrom(t, got, cands)
	for i := 1; i < len(got); i++ {
		if got[i].Section != got[0].Section || got[i].Col != got[i-1].Col+1 {
			return // not a block, as expected
		}
	}
	t.Errorf("got a block spanning sections: %v", got)
}

func TestRulesBestAvailableWithoutARunStillReturnsNSeats(t *testing.T) {
	cands := without(grid("A", 5, 9, 1), func(s SessionSeat) bool { return (s.RowNo+s.Col)%2 == 0 })
	for n := 2; n <= 6; n++ {
		got := BestAvailable(cands, n, true)
		if len(got) != n {
			t.Fatalf("n=%d: got %d seats, want %d", n, len(got), n)
		}
		assertDistinctFrom(t, got, cands)
	}
	// The nearest seat to the centre (row 1+4*2/3≈3.67, col 5) comes first.
	got := BestAvailable(cands, 2, true)
	if got[0].RowNo != 4 || got[0].Col != 5 {
		t.Errorf("first seat = %v, want row 4 col 5", rowCols(got[:1]))
	}
}

func TestRulesBestAvailableNeverSplitsAPartyThatDidNotAskTo(t *testing.T) {
	cands := without(grid("A", 5, 9, 1), func(s SessionSeat) bool { return (s.RowNo+s.Col)%2 == 0 })
	if got := BestAvailable(cands, 2, false); got != nil {
		t.Fatalf("no two seats are adjacent, yet it picked %v", rowCols(got))
	}
	if got := BestAvailable(cands, 1, false); len(got) != 1 {
		t.Fatalf("one seat is always a block; got %v", rowCols(got))
	}
}

func TestRulesBestAvailableReturnsNil(t *testing.T) {
	cands := grid("A", 2, 3, 1)
	cases := []struct {
		name  string
		cands []SessionSeat
		n     int
	}{
		{"when fewer candidates than n exist", cands, 7},
		{"when there are no candidates", nil, 1},
		{"when n is zero", cands, 0},
		{"when n is negative", cands, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := BestAvailable(c.cands, c.n, true); got != nil {
				t.Errorf("BestAvailable(%d cands, %d) = %v, want nil", len(c.cands), c.n, rowCols(got))
			}
		})
	}
}

func TestRulesBestAvailableNeverReturnsASeatTwiceOrMutatesItsInput(t *testing.T) {
	hall := append(grid("A", 6, 12, 1), grid("B", 3, 12, 1000)...)
	r := rand.New(rand.NewPCG(7, 7))
	for iter := 0; iter < 500; iter++ {
		cands := without(hall, func(SessionSeat) bool { return r.IntN(3) == 0 })
		cands = shuffled(cands, uint64(iter))
		orig := append([]SessionSeat(nil), cands...)
		n := 1 + r.IntN(8)
		got := BestAvailable(cands, n, true)
		if len(got) != n {
			t.Fatalf("iter %d: got %d seats, want %d", iter, len(got), n)
		}
		assertDistinctFrom(t, got, cands)
		for i := range cands {
			if cands[i].SeatID != orig[i].SeatID {
				t.Fatalf("iter %d: input slice reordered", iter)
			}
		}
	}
}

func TestRulesTierFor(t *testing.T) {
	vip := PriceTier{ID: 1, Name: "VIP", SeatType: seatmap.TypeVIP, PriceCents: 9000}
	balcony := PriceTier{ID: 2, Name: "Balcony", Section: "BAL", PriceCents: 4000}
	balconyBox := PriceTier{ID: 3, Name: "Balcony box", Section: "BAL", SeatType: seatmap.TypeBox, PriceCents: 12000}
	all := PriceTier{ID: 4, Name: "Standard", PriceCents: 5000}
	cases := []struct {
		name    string
		tiers   []PriceTier
		section string
		typ     seatmap.SeatType
		want    int64
		ok      bool
	}{
		{"a type-specific tier matches that type in any section",
			[]PriceTier{vip, all}, "STALLS", seatmap.TypeVIP, 1, true},
		{"a type-specific tier does not match another type",
			[]PriceTier{vip, all}, "STALLS", seatmap.TypeStandard, 4, true},
		{"a section-specific tier matches any type in that section",
			[]PriceTier{balcony, all}, "BAL", seatmap.TypeAccessible, 2, true},
		{"a section-specific tier does not match another section",
			[]PriceTier{balcony, all}, "STALLS", seatmap.TypeStandard, 4, true},
		{"a tier for both section and type needs both to match",
			[]PriceTier{balconyBox, balcony}, "BAL", seatmap.TypeStandard, 2, true},
		{"a tier for both section and type matches when both do",
			[]PriceTier{balconyBox, balcony}, "BAL", seatmap.TypeBox, 3, true},
		{"the first matching tier wins over a more specific later one",
			[]PriceTier{all, vip}, "STALLS", seatmap.TypeVIP, 4, true},
		{"the first matching tier wins between two specific ones",
			[]PriceTier{balcony, balconyBox}, "BAL", seatmap.TypeBox, 2, true},
		{"no matching tier reports false",
			[]PriceTier{vip, balcony}, "STALLS", seatmap.TypeStandard, 0, false},
		{"no tiers reports false", nil, "STALLS", seatmap.TypeStandard, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := TierFor(c.tiers, c.section, c.typ)
			if ok != c.ok || got.ID != c.want {
				t.Errorf("TierFor(%q, %q) = tier %d, %v; want tier %d, %v", c.section, c.typ, got.ID, ok, c.want, c.ok)
			}
		})
	}
}

func TestWhyNotNamesTheReservationEvenUnderAnExpiredHold(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	until, expired := now.Add(24*time.Hour), now.Add(-time.Minute)
	s := SessionSeat{State: "ok", Category: CategoryReserved, ReservedFor: "acme", ReservedUntil: &until, Status: SeatHeld, HoldExpires: &expired}
	if s.Sellable(now, "other") {
		t.Fatal("a seat reserved for acme is sellable to another customer")
	}
	if got := s.WhyNot(now, "other"); got != "seat is reserved for another customer" {
		t.Fatalf("WhyNot = %q", got)
	}
	if !s.Sellable(now, "acme") {
		t.Fatal("the named customer cannot take a seat whose hold expired")
	}
}

func TestMasking(t *testing.T) {
	for in, want := range map[string]string{"张三丰": "张**", "Li": "L*", "王": "王*", "": ""} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"13812345678": "138****5678", "+8613812345678": "+86*******5678", "12345": "***45", "1": "*", "": ""} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
