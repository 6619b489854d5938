package lane_test

import (
	"context"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/lane"
	"github.com/admitbox/admit/sync"
)

// crashBarrier opens, then the agent dies while the visitor is in the
// turnstile: WaitPassage ends the lane's goroutine on the spot
// (runtime.Goexit), so nothing after it runs, as in a crash.
type crashBarrier struct {
	count   uint64
	crashed chan struct{}
}

func (b *crashBarrier) Open(context.Context, gate.Direction) error { return nil }
func (b *crashBarrier) WaitPassage(context.Context, gate.Direction) (bool, error) {
	close(b.crashed)
	runtime.Goexit()
	return false, nil
}

// countingBarrier is a barrier with a passage counter, after the restart.
type countingBarrier struct {
	barrier
	count uint64
}

func (b *countingBarrier) Passages(context.Context) (uint64, error) { return b.count, nil }

type counterCrashBarrier struct {
	crashBarrier
}

func (b *counterCrashBarrier) Passages(context.Context) (uint64, error) { return b.count, nil }

// crash opens the lane for the fixture's ticket and dies mid-passage; it
// returns the cache file, closed, as the crash left it.
func crash(t *testing.T, f *fixture, b lane.Barrier, crashed chan struct{}) string {
	t.Helper()
	l, err := lane.New(lane.Config{Gate: f.g, Barrier: b})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	go l.Submit(ctx, lane.Read{QR: f.qr, Source: "test"})
	<-crashed
	path := f.g.Cache.Path()
	if err := f.g.Cache.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// restart reopens the cache and a lane on it with barrier b, and resolves
// what the crash left.
func restart(t *testing.T, path string, b lane.Barrier) (*gate.Gate, []gate.Recovered) {
	t.Helper()
	c, err := cache.Open(path, cache.Options{DeviceID: "gate-1", VenueCode: "11010001"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	g := &gate.Gate{Cache: c, VenueCode: "11010001", Location: time.UTC}
	l, err := lane.New(lane.Config{Gate: g, Barrier: b})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := l.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := l.Counts(); (len(rs) == 1 && rs[0].Resolution != gate.NotPassed) != (c.Admitted == 1) {
		t.Fatalf("counts %+v after %v", c, rs)
	}
	return g, rs
}

func admissions(t *testing.T, g *gate.Gate) []sync.AdmissionFact {
	t.Helper()
	facts, err := g.Cache.Outbox().Pending(10)
	if err != nil {
		t.Fatal(err)
	}
	var out []sync.AdmissionFact
	for _, f := range facts {
		var a sync.AdmissionFact
		if err := json.Unmarshal(f.Data, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// A crash between opening the barrier and recording the passage used to
// lose the entry. Now the intent is on disk before the barrier opens, and
// the restarted lane resolves it: without a counter, admitted and flagged
// unconfirmed; with one, admitted if the count moved, else the ticket
// stays valid. Either way the intent is gone after.
func TestACrashMidPassageLosesNoEntry(t *testing.T) {
	t.Run("no counter: admitted, flagged", func(t *testing.T) {
		f := newFixture(t)
		b := &crashBarrier{crashed: make(chan struct{})}
		g, rs := restart(t, crash(t, f, b, b.crashed), &barrier{})
		if len(rs) != 1 || rs[0].Resolution != gate.Unconfirmed {
			t.Fatalf("recovered %+v", rs)
		}
		if a := admissions(t, g); len(a) != 1 || !a[0].Unconfirmed || a[0].Number != rs[0].Intent.Number {
			t.Fatalf("facts %+v", a)
		}
		if d, err := g.Check(f.qr, gate.In); err != nil || d.Admit || d.Reason != gate.ReasonAlreadyAdmitted {
			t.Fatalf("the ticket after its recovered entry: %+v %v", d, err)
		}
	})
	t.Run("the counter moved: admitted", func(t *testing.T) {
		f := newFixture(t)
		b := &counterCrashBarrier{crashBarrier{count: 41, crashed: make(chan struct{})}}
		g, rs := restart(t, crash(t, f, b, b.crashed), &countingBarrier{count: 42})
		if len(rs) != 1 || rs[0].Resolution != gate.Passed || rs[0].Intent.Counter != 41 {
			t.Fatalf("recovered %+v", rs)
		}
		if a := admissions(t, g); len(a) != 1 || a[0].Unconfirmed {
			t.Fatalf("facts %+v", a)
		}
	})
	t.Run("the counter did not move: still valid", func(t *testing.T) {
		f := newFixture(t)
		b := &counterCrashBarrier{crashBarrier{count: 41, crashed: make(chan struct{})}}
		g, rs := restart(t, crash(t, f, b, b.crashed), &countingBarrier{count: 41})
		if len(rs) != 1 || rs[0].Resolution != gate.NotPassed {
			t.Fatalf("recovered %+v", rs)
		}
		if a := admissions(t, g); len(a) != 0 {
			t.Fatalf("facts %+v", a)
		}
		if d, err := g.Check(f.qr, gate.In); err != nil || !d.Admit {
			t.Fatalf("the ticket nobody used: %+v %v", d, err)
		}
	})
	t.Run("nothing left after a clean run", func(t *testing.T) {
		f := newFixture(t)
		l := f.run(&barrier{passed: true})
		if r := f.submit(l); r.Outcome != lane.Admitted {
			t.Fatalf("%+v", r)
		}
		nobody := &barrier{passed: false}
		f2 := newFixture(t)
		if r := f2.submit(f2.run(nobody)); r.Outcome != lane.NoPassage {
			t.Fatalf("%+v", r)
		}
		for _, g := range []*gate.Gate{f.g, f2.g} {
			rs, err := g.Recover(gate.Counter{})
			if err != nil || len(rs) != 0 {
				t.Fatalf("intents left: %+v %v", rs, err)
			}
		}
	})
}
