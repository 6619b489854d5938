package lane_test

import (
	"context"
	"errors"
	"testing"
	"time"

	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/lane"
	"github.com/admitbox/admit/sync"
)

// barrier is a scripted barrier: the unit tests' stand-in for the
// turnstile drivers, which edge/hardware tests over pseudo-terminals.
type barrier struct {
	openErr error
	passed  bool
	waitErr error
	opens   int
}

func (b *barrier) Open(context.Context, gate.Direction) error { b.opens++; return b.openErr }
func (b *barrier) WaitPassage(context.Context, gate.Direction) (bool, error) {
	return b.passed, b.waitErr
}

type fixture struct {
	t      *testing.T
	g      *gate.Gate
	qr     string
	outbox func() int
}

func newFixture(t *testing.T) *fixture {
	c := ct.Open(t, "11010001", "gate-1")
	v := ct.NewVenue("11010001", 1, 1)
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	tk := v.Sign(t, today, 1, 1, 1, "")
	ct.Apply(t, c, v.Batch(v.KeyEvent("active"), ct.Event(sync.EventSession, sync.SessionData{ID: 1, Event: "Match", StartsAt: now.Add(time.Hour),
		EndsAt: now.Add(3 * time.Hour), BusinessDate: today.Format(time.DateOnly), Status: "scheduled", Reentry: gate.ReentryNone, OpensBeforeMin: 120}),
		ct.Event(sync.EventTicket, tk)))
	return &fixture{t: t, g: &gate.Gate{Cache: c, VenueCode: "11010001", Location: time.UTC}, qr: tk.QR,
		outbox: func() int { n, _ := c.Outbox().Depth(); return n }}
}

func (f *fixture) run(b lane.Barrier) *lane.Lane {
	l, err := lane.New(lane.Config{Gate: f.g, Barrier: b})
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	f.t.Cleanup(func() { cancel(); <-done })
	return l
}

func (f *fixture) submit(l *lane.Lane) lane.Result {
	f.t.Helper()
	r, err := l.Submit(context.Background(), lane.Read{QR: f.qr, Source: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestAFaultyBarrierAdmitsNobodyAndRecordsNothing(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    *barrier
		msg  string
	}{
		{"it does not open", &barrier{openErr: errors.New("EIO")}, lane.MsgDeviceFault},
		{"it raises its alarm", &barrier{waitErr: errors.New("alarm")}, lane.MsgAlarm},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.submit(f.run(tt.b))
			if r.Outcome != lane.DeviceFault || r.Message != tt.msg || r.Decision.Admit || f.outbox() != 0 {
				t.Fatalf("result %+v, outbox %d", r, f.outbox())
			}
		})
	}
}

func TestAHandheldRecordsAtTheScanAndNeverOpensAnything(t *testing.T) {
	f := newFixture(t)
	l := f.run(nil)
	if r := f.submit(l); r.Outcome != lane.Admitted || r.Decision.Fact == nil || f.outbox() != 1 {
		t.Fatalf("handheld scan: %+v, outbox %d", r, f.outbox())
	}
	if r := f.submit(l); r.Outcome != lane.Refused || r.Decision.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("second scan: %+v", r)
	}
	if c := l.Counts(); c.Admitted != 1 || c.Refused != 1 {
		t.Fatalf("counts %+v", c)
	}
}

func TestSubmitAfterTheLaneStoppedFailsInsteadOfHanging(t *testing.T) {
	f := newFixture(t)
	l, err := lane.New(lane.Config{Gate: f.g, Barrier: &barrier{passed: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := l.Submit(ctx, lane.Read{QR: f.qr}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit with no Run: %v", err)
	}
}

func TestAGateThatCannotReadItsCacheOpensNothingAndSaysItCouldNotDecide(t *testing.T) {
	f := newFixture(t)
	b := &barrier{passed: true}
	l := f.run(b)
	if err := f.g.Cache.Close(); err != nil {
		t.Fatal(err)
	}
	r := f.submit(l)
	if !r.Undecided || r.Outcome != lane.DeviceFault || r.Decision.Admit || b.opens != 0 {
		t.Fatalf("with the cache gone: %+v, barrier opened %d times", r, b.opens)
	}
}
