package e2e

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/edge/agent"
)

// A seated pass for three sessions of one hall: sold in one transaction
// or not at all, its one code admitted once per session at the gates of
// that session's zone, with the cloud gone; a refund of another pass
// gives its seat back in all three sessions and its code is refused.
func TestASeatedPassForThreeSessions(t *testing.T) {
	w := newWorld(t, embedded)
	ctx := context.Background()
	s1 := w.session
	day := 24 * time.Hour
	newSession := func(start time.Time, zones ...string) sales.Session {
		ss, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: s1.HallID, EventID: s1.EventID, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
			MinPriceCents: 1000, Zones: zones})
		w.must(err)
		_, err = w.svc.SetPrices(ctx, w.admin, ss.ID, []sales.PriceTier{{Name: "Std", PriceCents: 5000}})
		w.must(err)
		return ss
	}
	s2 := newSession(s1.StartsAt.Add(day), "north")
	s3 := newSession(s1.StartsAt.Add(2 * day))
	sessions := []sales.Session{s1, s2, s3}
	product, err := w.srv.Passes.Create(ctx, w.manager, pass.Product{Name: "Three nights", SessionIDs: []int64{s1.ID, s2.ID, s3.ID}, Seated: true, PriceCents: 12000})
	w.must(err)

	// Seat X is sold for the third night alone: a pass on it sells
	// nothing, not even the first two nights.
	x, y, z := w.seats[0].SeatID, w.seats[1].SeatID, w.seats[2].SeatID
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: s3.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{x}})
	w.must(err)
	_, err = w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	w.must(err)
	cash := sales.PaymentRequest{Method: "cash"}
	if _, err := w.srv.Passes.Sell(ctx, w.clerk, product.ID, pass.SellRequest{SeatID: x, Payment: cash}); !sales.IsKind(err, sales.KindConflict) {
		t.Fatalf("a pass on a seat taken for one night: %v", err)
	}
	for _, ss := range sessions[:2] {
		if st := seatState(t, w, ss.ID, x); st != sales.SeatAvailable {
			t.Fatalf("after the refused pass, seat %d of session %d is %s", x, ss.ID, st)
		}
	}

	b, err := w.srv.Passes.Sell(ctx, w.clerk, product.ID, pass.SellRequest{SeatID: y, CustomerName: "Zhao Lei", Payment: cash})
	w.must(err)
	if len(b.Orders) != 3 || b.TotalCents != 12000 || b.Code == "" {
		t.Fatalf("the pass: %+v", b)
	}
	for i, o := range b.Orders {
		if o.SessionID != sessions[i].ID || len(o.Tickets) != 1 || o.Tickets[0].SeatID != y || o.Tickets[0].PriceCents != 4000 || o.Status != sales.OrderPaid {
			t.Fatalf("the pass's order for night %d: %+v", i+1, o)
		}
	}
	other, err := w.srv.Passes.Sell(ctx, w.clerk, product.ID, pass.SellRequest{SeatID: z, Payment: cash})
	w.must(err)

	// Gates at the south and north entrances, on a clock the test moves.
	var now atomic.Pointer[time.Time]
	setNow := func(t time.Time) { now.Store(&t) }
	setNow(s1.StartsAt.Add(-30 * time.Minute))
	gateAt := func(name, zone string) *agent.Agent {
		dir := w.deviceInZone("gate", name, zone)
		a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0", Now: func() time.Time { return *now.Load() },
			HeartbeatEvery: time.Hour, ResendAfter: time.Second, Logger: testLogger(filepath.Base(dir))})
		w.must(err)
		t.Cleanup(func() { a.Close() })
		return a
	}
	south, north := gateAt("south-gate", "south"), gateAt("north-gate", "north")

	// The other pass is refunded whole: its seat is back on sale for every
	// night, and its code is refused.
	rf, err := w.svc.RequestRefund(ctx, w.clerk, sales.RefundInput{BundleID: other.ID, Reason: "cannot come"})
	w.must(err)
	if _, err := w.svc.DecideRefund(ctx, w.manager, rf.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	for _, ss := range sessions {
		if st := seatState(t, w, ss.ID, z); st != sales.SeatAvailable {
			t.Fatalf("after the pass's refund, seat %d of session %d is %s", z, ss.ID, st)
		}
	}
	if got, err := w.srv.Passes.Get(ctx, w.manager, other.ID); err != nil || got.Status != sales.BundleRefunded {
		t.Fatalf("the refunded pass: %+v %v", got, err)
	}
	w.caughtUp(south)
	w.caughtUp(north)
	if s := validate(t, south.URL(), other.Code); s.Admit || s.Reason != "refunded" {
		t.Fatalf("a refunded pass: %+v", s)
	}

	// The cloud goes away; the gates decide from their caches.
	w.srv.Close()
	if s := validate(t, south.URL(), b.Code); !s.Admit || s.Number != b.Orders[0].Tickets[0].Number {
		t.Fatalf("night 1 at the south gate: %+v", s)
	}
	if s := validate(t, south.URL(), b.Code); s.Admit || s.Reason != "already_admitted" {
		t.Fatalf("night 1 again: %+v", s)
	}
	setNow(s2.StartsAt.Add(-30 * time.Minute))
	if s := validate(t, south.URL(), b.Code); s.Admit || s.Reason != "wrong_zone" {
		t.Fatalf("night 2 at the south gate (north only): %+v", s)
	}
	if s := validate(t, north.URL(), b.Code); !s.Admit || s.Number != b.Orders[1].Tickets[0].Number {
		t.Fatalf("night 2 at the north gate: %+v", s)
	}
	setNow(s3.StartsAt.Add(-30 * time.Minute))
	if s := validate(t, south.URL(), b.Code); !s.Admit || s.Number != b.Orders[2].Tickets[0].Number {
		t.Fatalf("night 3 at the south gate: %+v", s)
	}
	if s := validate(t, north.URL(), b.Code); !s.Admit {
		// The north gate has not heard of the south gate's admission
		// (the cloud is down): partitioned gates both admit, and the
		// cloud raises the duplicate when they upload. Here it must.
		t.Fatalf("night 3 at the north gate, partitioned: %+v", s)
	}
	if s := validate(t, south.URL(), b.Code); s.Admit || s.Reason != "already_admitted" {
		t.Fatalf("night 3 again at the south gate: %+v", s)
	}
}

func seatState(t *testing.T, w *world, sessionID, seatID int64) sales.SeatStatus {
	t.Helper()
	seats, err := w.svc.SessionSeats(context.Background(), w.manager, sessionID)
	w.must(err)
	for _, st := range seats {
		if st.SeatID == seatID {
			return st.Status
		}
	}
	t.Fatalf("no seat %d in session %d", seatID, sessionID)
	return ""
}
