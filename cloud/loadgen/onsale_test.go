package loadgen

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

// TestOnsaleBenchRunsAndReportsItsLine keeps `admit bench onsale` working
// on small sessions, with the cloud in its own process (this test binary,
// see TestMain); it asserts no speed, only that the run sold, followed,
// and that the database holds exactly what buyers were told.
func TestOnsaleBenchRunsAndReportsItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cloud process and runs two phases")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMIT_BENCH_CLOUD", "1")
	var out bytes.Buffer
	err = RunOnsaleBench(context.Background(), OnsaleOptions{Buyers: 6, Watchers: 4, Duration: 1500 * time.Millisecond,
		StadiumSeats: 3000, HallSeats: 600, CloudCommand: []string{self, "-test.run=^$"}}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"(synchronous=FULL)", "\nbuyers only: ", "\nmixed: ", " mismatches 0\n"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q\n%s", want, report)
		}
	}
	// Each phase says what the store's one writer thread spent per order
	// (the cloud reads it from its thread's schedstat, on Linux).
	for _, phase := range []string{"buyers only", "mixed"} {
		w := regexp.MustCompile(`(?m)^` + phase + `: .* server_cpu_us_per_order=(\d+) writer_cpu_us_per_order=(\d+) errors=0$`).FindStringSubmatch(report)
		if w == nil || w[2] == "0" {
			t.Errorf("the %s line does not give the writer's CPU per order\n%s", phase, report)
		} else if server, writer := atoi(t, w[1]), atoi(t, w[2]); writer > server {
			t.Errorf("%s: the writer thread (%d µs an order) spent more than its process (%d)", phase, writer, server)
		}
	}
	lines := strings.Split(strings.TrimSpace(report), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^onsale: orders_per_s=(\d+) p99_ms=[\d.]+ buyers_only_orders_per_s=(\d+) reads_per_s=(\d+) read_p99_ms=[\d.]+ server_cpu_us_per_order=(\d+) errors=0 oversold=0$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q does not match the specified form\n%s", last, report)
	}
	for i, what := range []string{"", "mixed orders", "baseline orders", "reads", "server CPU"} {
		if i > 0 && m[i] == "0" {
			t.Fatalf("no %s measured: %q\n%s", what, last, report)
		}
	}
}

func TestPickFreeChoosesAdjacentFreeSeatsOfOneRow(t *testing.T) {
	// Two sections of two rows of four seats, in availability order.
	seats := sectionSeats([]string{"A", "B"}, 2, 4)
	cases := []struct {
		name  string
		codes string
		k     int
		want  [][]int64 // any of these; none: nil
	}{
		{"a lone free run is found wherever the search starts", "SSSS" + "SAAS" + "SSSS" + "SSSS", 2, [][]int64{{6, 7}}},
		{"a run does not cross the end of a row", "SSAA" + "AASS" + "SSSS" + "SSSS", 3, nil},
		{"a run does not cross into another section", "SSSS" + "SSAA" + "AASS" + "SSSS", 4, nil},
		{"held and sold seats are not free", "AHAS" + "SSSS" + "SSSS" + "SSSA", 2, nil},
		{"a full row is one run", "SSSS" + "SSSS" + "SSSS" + "AAAA", 4, [][]int64{{13, 14, 15, 16}}},
		{"one seat is any free seat", "SSSS" + "SSSS" + "SASS" + "SSSA", 1, [][]int64{{10}, {16}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &onsaleSession{id: 1, seats: seats}
			for seed := range uint64(20) {
				b := &buyer{r: rand.New(rand.NewPCG(seed, 1)), maps: map[int64]*mapCopy{1: {codes: []byte(c.codes)}}}
				got := b.pickFree(s, c.k)
				if c.want == nil && got != nil || c.want != nil && !slices.ContainsFunc(c.want, func(w []int64) bool { return slices.Equal(w, got) }) {
					t.Fatalf("seed %d: picked %v, want one of %v", seed, got, c.want)
				}
			}
		})
	}
}

// The baseline's buyers buy the mix's party sizes: blocks of 1 to 4
// adjacent seats of one row, no seat in two blocks, each size about as
// often as a mixed buyer asks for it.
func TestPartyQueueCutsRowsIntoPartiesOfTheMixsSizes(t *testing.T) {
	s := &onsaleSession{id: 7, seats: sectionSeats([]string{"A", "B"}, 20, 30)}
	q := newPartyQueue([]*onsaleSession{s}, rand.New(rand.NewPCG(3, 4)))
	at := map[int64]int{}
	for i, seat := range s.seats {
		at[seat.SeatID] = i
	}
	sizes := map[int]int{}
	taken := map[int64]bool{}
	sold := 0
	for {
		pt, ok := q.next()
		if !ok {
			break
		}
		if pt.sid != 7 || len(pt.seats) < 1 || len(pt.seats) > 4 {
			t.Fatalf("party %+v: want session 7 and 1 to 4 seats", pt)
		}
		for j, id := range pt.seats {
			if taken[id] {
				t.Fatalf("seat %d is in two parties", id)
			}
			taken[id] = true
			if j > 0 && !adjacent(s.seats[at[pt.seats[j-1]]], s.seats[at[id]]) {
				t.Fatalf("party %v is not one row's adjacent seats", pt.seats)
			}
		}
		sizes[len(pt.seats)]++
		sold += len(pt.seats)
	}
	if sold < len(s.seats)*9/10 {
		t.Fatalf("parties hold %d of %d seats; rows' ends aside, all should be sold", sold, len(s.seats))
	}
	parties := sizes[1] + sizes[2] + sizes[3] + sizes[4]
	for k := 1; k <= 4; k++ {
		if share := float64(sizes[k]) / float64(parties); share < 0.18 || share > 0.32 {
			t.Errorf("%d-seat parties are %.2f of all; a mixed buyer asks for each size a quarter of the time (%v)", k, share, sizes)
		}
	}
}

// sectionSeats is rows of cols seats in each section, in availability order.
func sectionSeats(sections []string, rows, cols int) []sales.SessionSeat {
	var seats []sales.SessionSeat
	for _, sec := range sections {
		for r := 1; r <= rows; r++ {
			for c := 1; c <= cols; c++ {
				seats = append(seats, sales.SessionSeat{SeatID: int64(len(seats) + 1), Section: sec, RowNo: r, Col: c})
			}
		}
	}
	return seats
}

func TestProcStatReadsParentAndChildrensTime(t *testing.T) {
	st, err := parseProcStat("4242 (postgres) S 917 4242 4242 0 -1 4194560 100 0 0 0 250 37 40 2 20 0 9 0")
	if err != nil || st.ppid != 917 || st.cpu != 2870*time.Millisecond || st.children != 420*time.Millisecond {
		t.Fatalf("parseProcStat = %+v, %v; want ppid 917, cpu 2.87s, children 420ms", st, err)
	}
}

func TestStatCPUAddsUserAndSystemTime(t *testing.T) {
	cases := []struct {
		name, stat string
		want       time.Duration
		bad        bool
	}{
		{"a plain command name", "4242 (admit) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 9 0", 2870 * time.Millisecond, false},
		{"a command name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 30 * time.Millisecond, false},
		{"a cut-off line", "7 (admit) R 1 7", 0, true},
		{"no command name", "garbage", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := statCPU(c.stat)
			if (err != nil) != c.bad || got != c.want {
				t.Fatalf("statCPU = %v, %v; want %v (error: %v)", got, err, c.want, c.bad)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
