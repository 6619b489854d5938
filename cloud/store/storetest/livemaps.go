package storetest

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

// mapAt is a client's copy of a seat map.
type mapAt struct {
	version int64
	codes   []byte
}

func decodeMap(t testing.TB, b []byte) avail.Document {
	t.Helper()
	var d avail.Document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("availability document: %v\n%s", err, b)
	}
	return d
}

// storeCodes is the session's map as the store has it, by the rule the
// change log follows.
func storeCodes(t testing.TB, f *Fixture, sessionID int64) []byte {
	t.Helper()
	seats, err := f.Store.SessionSeats(ctx, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(seats))
	for i, st := range seats {
		out[i] = sales.SeatCode(st)
	}
	return out
}

// testSeatMapDeltas is the property live seat maps rest on: under
// concurrent holds, releases, sales, refunds, category changes and expiry,
// the delta since any version V a client saw, applied to the map at V, is
// the map now; and the map now is what the store holds.
func testSeatMapDeltas(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	sid := f.Session.ID
	all, err := f.Store.SessionSeats(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(all))
	for i, st := range all {
		ids[i] = st.SeatID
	}
	const workers, ops = 6, 60
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// A watcher takes the map now and then, and follows it by delta.
	var snaps []mapAt
	var follower mapAt
	// (t.Fatal may not be called off the test's goroutine.)
	read := func(since int64, whole bool) (avail.Document, error) {
		var b []byte
		var err error
		if whole {
			b, err = f.Svc.AvailabilityJSON(ctx, f.Clerk, sid)
		} else {
			b, err = f.Svc.AvailabilitySince(ctx, f.Clerk, sid, since)
		}
		var d avail.Document
		if err == nil {
			err = json.Unmarshal(b, &d)
		}
		return d, err
	}
	d := decodeMap(t, mustBytes(t)(f.Svc.AvailabilityJSON(ctx, f.Clerk, sid)))
	follower = mapAt{d.Version, []byte(*d.Seats)}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%3 == 0 {
				d, err := read(0, true)
				if err != nil {
					t.Error(err)
					return
				}
				snaps = append(snaps, mapAt{d.Version, []byte(*d.Seats)})
			}
			d, err := read(follower.version, false)
			if err == nil {
				var codes []byte
				var v int64
				if codes, v, err = d.Follow(follower.codes, follower.version); err == nil {
					follower = mapAt{v, codes}
				}
			}
			if err != nil {
				t.Error(err)
				return
			}
			runtime.Gosched()
		}
	}()
	var sellers sync.WaitGroup
	for w := range workers {
		sellers.Add(1)
		go func() {
			defer sellers.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			var orders []sales.Order
			for op := range ops {
				switch r.IntN(6) {
				case 0, 1: // specific seats; some collide
					i := r.IntN(len(ids) - 1)
					h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: sid, Channel: sales.ChannelPOS, SeatIDs: ids[i : i+2]})
					if err != nil {
						continue
					}
					if r.IntN(3) == 0 {
						f.Svc.ReleaseHold(ctx, f.Clerk, h.ID)
						continue
					}
					if o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID}); err == nil {
						if o, err = f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"}); err == nil {
							orders = append(orders, o)
						}
					}
				case 2: // best available, sometimes abandoned
					h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: sid, Channel: sales.ChannelPOS, Count: 1 + r.IntN(3)})
					if err == nil && r.IntN(2) == 0 {
						f.Svc.ReleaseHold(ctx, f.Clerk, h.ID)
					}
				case 3: // a refund, approved by someone else
					if len(orders) == 0 {
						continue
					}
					o := orders[len(orders)-1]
					orders = orders[:len(orders)-1]
					if rq, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "changed plans"}); err == nil {
						f.Svc.DecideRefund(ctx, f.Manager, rq.ID, true, "ok")
					}
				case 4: // the manager holds seats back and releases them
					i := r.IntN(len(ids))
					c := sales.CategoryHeldBack
					if op%2 == 0 {
						c = sales.CategorySellable
					}
					f.Svc.SetSeatCategory(ctx, f.Manager, sid, sales.CategoryChange{SeatIDs: ids[i : i+1], Category: c, Reason: "property test"})
				case 5: // abandoned holds lapse and the sweeper releases them
					if w == 0 && op%20 == 19 {
						f.Clock.Advance(16 * time.Minute)
						if _, err := f.Svc.ExpireHolds(ctx); err != nil {
							t.Error(err)
						}
					}
				}
			}
		}()
	}
	sellers.Wait()
	close(stop)
	wg.Wait()

	full := decodeMap(t, mustBytes(t)(f.Svc.AvailabilityJSON(ctx, f.Clerk, sid)))
	now := []byte(*full.Seats)
	if want := storeCodes(t, f, sid); !slices.Equal(now, want) {
		t.Fatalf("the live map differs from the store:\n live %s\nstore %s", now, want)
	}
	for _, s := range snaps {
		d := decodeMap(t, mustBytes(t)(f.Svc.AvailabilitySince(ctx, f.Clerk, sid, s.version)))
		got, v, err := d.Follow(slices.Clone(s.codes), s.version)
		if err != nil {
			t.Fatal(err)
		}
		if v != full.Version || !slices.Equal(got, now) {
			t.Fatalf("the delta since %d applied to the map at %d is not the map now (%d)", s.version, s.version, full.Version)
		}
	}
	d = decodeMap(t, mustBytes(t)(f.Svc.AvailabilitySince(ctx, f.Clerk, sid, follower.version)))
	got, _, err := d.Follow(follower.codes, follower.version)
	if err != nil || !slices.Equal(got, now) {
		t.Fatalf("a follower applying every delta in turn ends at another map (%v)", err)
	}
	if len(snaps) < 3 {
		t.Fatalf("only %d snapshots taken during the sales", len(snaps))
	}
	counts := map[byte]int{}
	for _, c := range now {
		counts[c]++
	}
	if counts[avail.Sold] == 0 || counts[avail.Open] == 0 {
		t.Fatalf("the sales sold nothing or everything: %v", counts)
	}
}

func mustBytes(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// testBestAvailableCrowd: 200 buyers ask for the best seats of one level
// of a 5,000-seat session at once. Every one is served, no seat twice, and
// every party sits together.
func testBestAvailableCrowd(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	m := seatmap.Map{Sections: []seatmap.Section{{Code: "L", Name: "Lower"}, {Code: "U", Name: "Upper"}}}
	for _, sec := range []string{"L", "U"} {
		for r := 1; r <= 25; r++ {
			for c := 1; c <= 100; c++ {
				m.Seats = append(m.Seats, seatmap.Seat{Section: sec, Row: itoa(r), RowNo: r, Col: c, Label: sec + itoa(r) + "-" + itoa(c),
					Type: seatmap.TypeStandard, State: seatmap.StateOK})
			}
		}
	}
	hall, err := f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "ARENA", Name: "Arena", Map: &m})
	if err != nil {
		t.Fatal(err)
	}
	start := Tomorrow(f.Clock, 14, 0)
	ss, err := f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: hall.ID, EventID: f.Event.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 3000, MaxPerOrder: 6})
	if err != nil {
		t.Fatal(err)
	}
	tiers, err := f.Svc.SetPrices(ctx, f.Manager, ss.ID, []sales.PriceTier{{Name: "Lower", Section: "L", PriceCents: 9000}, {Name: "Upper", Section: "U", PriceCents: 5000}})
	if err != nil {
		t.Fatal(err)
	}
	lower := tiers[0].ID
	seats, err := f.Store.SessionSeats(ctx, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]sales.SessionSeat{}
	for _, st := range seats {
		byID[st.SeatID] = st
	}
	const buyers = 200
	holds := make([]sales.Hold, buyers)
	errs := make([]error, buyers)
	want := make([]int, buyers)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range buyers {
		want[i] = 1 + i%6 // 700 seats of the level's 2,500
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			holds[i], errs[i] = f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: want[i], TierID: lower})
		}()
	}
	close(gate)
	wg.Wait()
	owner := map[int64]int{}
	for i, h := range holds {
		if errs[i] != nil {
			t.Errorf("buyer %d (party of %d) was not served: %v", i, want[i], errs[i])
			continue
		}
		if len(h.Seats) != want[i] {
			t.Errorf("buyer %d asked for %d seats and holds %d", i, want[i], len(h.Seats))
		}
		var party []sales.SessionSeat
		for _, hs := range h.Seats {
			if prev, dup := owner[hs.SeatID]; dup {
				t.Errorf("seat %d held by buyers %d and %d", hs.SeatID, prev, i)
			}
			owner[hs.SeatID] = i
			st := byID[hs.SeatID]
			if st.TierID != lower {
				t.Errorf("buyer %d got %s, not of the lower level", i, st.Label)
			}
			party = append(party, st)
		}
		slices.SortFunc(party, func(a, b sales.SessionSeat) int { return a.Col - b.Col })
		for k := 1; k < len(party); k++ {
			if party[k].Section != party[0].Section || party[k].RowNo != party[0].RowNo || party[k].Col != party[k-1].Col+1 {
				t.Errorf("buyer %d's party of %d is split: %v", i, want[i], labelsOf(party))
				break
			}
		}
	}
	if a := decodeMap(t, mustBytes(t)(f.Svc.AvailabilityJSON(ctx, f.Clerk, ss.ID))); a.Counts["held"] != len(owner) {
		t.Errorf("the live map shows %d held seats, the buyers hold %d", a.Counts["held"], len(owner))
	}
}
