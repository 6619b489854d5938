package lane_test

import (
	"context"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/lane"
	"github.com/admitbox/admit/sync"
)

var (
	holder = identity.Document{Type: identity.ResidentID, Number: "11010519491231002X"}
	other  = identity.Document{Type: identity.ResidentID, Number: "110105194912310021"}
)

// realNameLane is a lane with an ID-card reader at a real-name session,
// with tickets for holder, on a clock the test moves.
type realNameLane struct {
	*lane.Lane
	qrs   []string
	now   time.Time
	opens *barrier
}

func newRealNameLane(t *testing.T, wait time.Duration) *realNameLane {
	c := ct.Open(t, "11010001", "gate-1")
	v := ct.NewVenue("11010001", 1, 1)
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	key := []byte("the tenant's holder key, 32 byte")
	evs := []sync.FeedEvent{v.KeyEvent("active"), ct.Event(sync.EventHolderKey, sync.HolderKeyData{Key: key}),
		ct.Event(sync.EventSession, sync.SessionData{ID: 1, Event: "Final", StartsAt: now.Add(time.Hour), EndsAt: now.Add(3 * time.Hour),
			BusinessDate: today.Format(time.DateOnly), Status: "scheduled", Reentry: gate.ReentryNone, OpensBeforeMin: 120, RealName: true})}
	r := &realNameLane{now: now, opens: &barrier{passed: true}}
	for i := range 4 {
		tk := v.Sign(t, today, uint32(i+1), 1, int64(i+1), "")
		tk.Holder = holder.Key(key)
		evs = append(evs, ct.Event(sync.EventTicket, tk))
		r.qrs = append(r.qrs, tk.QR)
	}
	ct.Apply(t, c, v.Batch(evs...))
	g := &gate.Gate{Cache: c, VenueCode: "11010001", Location: time.UTC}
	l, err := lane.New(lane.Config{Gate: g, Barrier: r.opens, IDWait: wait, Now: func() time.Time { return r.now }})
	if err != nil {
		t.Fatal(err)
	}
	r.Lane = l
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func (r *realNameLane) scan(t *testing.T, qr string) lane.Result {
	t.Helper()
	res, err := r.Submit(context.Background(), lane.Read{QR: qr, Source: "scanner"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestARealNameLaneAdmitsOnlyWithTheHoldersCard(t *testing.T) {
	r := newRealNameLane(t, time.Minute)

	// The card first, then the ticket.
	r.PresentID(holder)
	if res := r.scan(t, r.qrs[0]); res.Outcome != lane.Admitted || !res.Decision.Holder {
		t.Fatalf("holder's card then ticket: %+v", res)
	}
	// The ticket first: the lane waits for the card.
	done := make(chan lane.Result)
	go func() {
		res, _ := r.Submit(context.Background(), lane.Read{QR: r.qrs[1], Source: "scanner"})
		done <- res
	}()
	r.PresentID(holder)
	if res := <-done; res.Outcome != lane.Admitted {
		t.Fatalf("ticket then holder's card: %+v", res)
	}
	// Another person's card: refused, the barrier stays shut.
	opened := r.opens.opens
	r.PresentID(other)
	if res := r.scan(t, r.qrs[2]); res.Outcome != lane.Refused || res.Decision.Reason != gate.ReasonHolderMismatch {
		t.Fatalf("another card: %+v", res)
	}
	if r.opens.opens != opened {
		t.Fatal("the barrier opened for another person's card")
	}
	if c := r.Counts(); c.Admitted != 2 || c.Refused != 1 {
		t.Fatalf("counts %+v", c)
	}
}

func TestARealNameTicketWithoutACardIsRefusedWithThatReason(t *testing.T) {
	r := newRealNameLane(t, 20*time.Millisecond) // the wait is the timeout under test
	res := r.scan(t, r.qrs[0])
	if res.Outcome != lane.Refused || res.Decision.Reason != gate.ReasonHolderAbsent || r.opens.opens != 0 {
		t.Fatalf("no card: %+v", res)
	}
	// The local API may carry the card a handheld read.
	doc := holder
	if res, _ := r.Submit(context.Background(), lane.Read{QR: r.qrs[0], ID: &doc}); res.Outcome != lane.Admitted {
		t.Fatalf("card in the read: %+v", res)
	}
	// A card read is used once: it does not admit the next ticket too.
	r.PresentID(holder)
	if res := r.scan(t, r.qrs[1]); res.Outcome != lane.Admitted {
		t.Fatalf("card then ticket: %+v", res)
	}
	if res := r.scan(t, r.qrs[2]); res.Decision.Reason != gate.ReasonHolderAbsent {
		t.Fatalf("a second ticket on one card read: %+v", res)
	}
	// A card read long before the ticket is not the visitor's.
	r.PresentID(holder)
	r.now = r.now.Add(time.Second)
	if res := r.scan(t, r.qrs[2]); res.Decision.Reason != gate.ReasonHolderAbsent {
		t.Fatalf("a stale card read: %+v", res)
	}
}
