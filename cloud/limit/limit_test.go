package limit

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// allow is Allow as (admitted at once, retry after).
func allow(l *Limiter, class Class, client, tenant string) (bool, time.Duration) {
	d := l.Allow(class, client, tenant)
	return d.OK && d.Pace == 0, d.RetryAfter
}

func TestABucketRefusesBeyondItsBurstAndRefillsAtItsRate(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{PerClient: map[Class]Rule{Sale: {Rate: 2, Burst: 2}}}, c.now)
	for i := range 2 {
		if ok, _ := allow(l, Sale, "10.0.0.1", ""); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := allow(l, Sale, "10.0.0.1", "")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("beyond the burst: ok=%v retry after %v, want refused for up to 500ms", ok, wait)
	}
	if ok, _ := allow(l, Sale, "10.0.0.2", ""); !ok {
		t.Fatal("another client was refused for the first one's requests")
	}
	if ok, _ := allow(l, Read, "10.0.0.1", ""); !ok {
		t.Fatal("a class without a rule was limited")
	}
	c.t = c.t.Add(wait)
	if ok, _ := allow(l, Sale, "10.0.0.1", ""); !ok {
		t.Fatal("refused after waiting as told")
	}
}

func TestATenantLimitSpansClientsAndGivesBackTheClientsToken(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{
		PerClient: map[Class]Rule{Sale: {Rate: 1, Burst: 1}},
		PerTenant: map[Class]Rule{Sale: {Rate: 1, Burst: 1}},
	}, c.now)
	if ok, _ := allow(l, Sale, "10.0.0.1", "t1"); !ok {
		t.Fatal("the first sale refused")
	}
	if ok, _ := allow(l, Sale, "10.0.0.2", "t1"); ok {
		t.Fatal("the tenant's limit did not span its clients")
	}
	// 10.0.0.2's client token was given back: another tenant's sale from
	// it goes through.
	if ok, _ := allow(l, Sale, "10.0.0.2", "t2"); !ok {
		t.Fatal("a refusal by the tenant's limit used up the client's token")
	}
}

func TestReadsBeyondTheCapAreRefusedAtOnce(t *testing.T) {
	l := New(Config{MaxReads: 2}, nil)
	d1, ok1 := l.StartRead()
	_, ok2 := l.StartRead()
	if !ok1 || !ok2 {
		t.Fatal("reads within the cap refused")
	}
	if _, ok := l.StartRead(); ok {
		t.Fatal("a third read in flight with a cap of two")
	}
	d1()
	if _, ok := l.StartRead(); !ok {
		t.Fatal("a read refused after one finished")
	}
}

func TestIdleBucketsAreForgotten(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{PerClient: map[Class]Rule{Read: {Rate: 10, Burst: 10}}}, c.now)
	for i := range 100 {
		allow(l, Read, "10.0.1."+string(rune('0'+i%10))+string(rune('0'+i/10)), "")
	}
	if len(l.keys) != 100 {
		t.Fatalf("%d buckets for 100 clients", len(l.keys))
	}
	c.t = c.t.Add(idleAfter + 2*time.Minute)
	allow(l, Read, "10.0.2.1", "")
	if len(l.keys) != 1 {
		t.Fatalf("%d buckets after the others were idle", len(l.keys))
	}
}

func TestRetryAfterIsWholeSecondsAtLeastOne(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, 200 * time.Millisecond: 1, 1500 * time.Millisecond: 2, 3 * time.Second: 3} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

// With a queue, a request beyond the burst waits its turn at the rule's
// rate, as long as the turn is within the queue; further off, refused.
func TestAQueuePacesRequestsBeyondTheBurstAndRefusesPastIt(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{PerClient: map[Class]Rule{Read: {Rate: 10, Burst: 1, QueueMS: 250}}}, c.now)
	var paces []time.Duration
	for range 5 {
		d := l.Allow(Read, "10.0.0.1", "")
		if !d.OK {
			break
		}
		paces = append(paces, d.Pace)
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}
	if len(paces) != len(want) {
		t.Fatalf("paces %v, want %v", paces, want)
	}
	for i := range want {
		if paces[i] != want[i] {
			t.Fatalf("paces %v, want %v", paces, want)
		}
	}
	if d := l.Allow(Read, "10.0.0.1", ""); d.OK || d.RetryAfter <= 250*time.Millisecond || d.Hold != 250*time.Millisecond {
		t.Fatalf("a turn 300 ms off: %+v, want refused, held for the queue's 250 ms", d)
	}
	if d := l.Allow(Read, "10.0.0.2", ""); !d.OK || d.Pace != 0 {
		t.Fatalf("another client waits for the first: %+v", d)
	}
}

// A user's limit spans the addresses it calls from, and other users of
// the same tenant and address keep theirs.
func TestAUserLimitSpansAddresses(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{PerUser: map[Class]Rule{Write: {Rate: 1, Burst: 1}}}, c.now)
	if d := l.AllowCaller(Write, "", "t1", "7"); !d.OK {
		t.Fatal("the first write refused")
	}
	if d := l.AllowCaller(Write, "", "t1", "7"); d.OK {
		t.Fatal("the user's second write within the second passed")
	}
	if d := l.AllowCaller(Write, "", "t1", "8"); !d.OK {
		t.Fatal("another user refused for the first one's writes")
	}
}
