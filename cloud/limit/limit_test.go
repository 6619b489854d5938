package limit

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestABucketRefusesBeyondItsBurstAndRefillsAtItsRate(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{PerClient: map[Class]Rule{Sale: {Rate: 2, Burst: 2}}}, c.now)
	for i := range 2 {
		if ok, _ := l.Allow(Sale, "10.0.0.1", ""); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow(Sale, "10.0.0.1", "")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("beyond the burst: ok=%v retry after %v, want refused for up to 500ms", ok, wait)
	}
	if ok, _ := l.Allow(Sale, "10.0.0.2", ""); !ok {
		t.Fatal("another client was refused for the first one's requests")
	}
	if ok, _ := l.Allow(Read, "10.0.0.1", ""); !ok {
		t.Fatal("a class without a rule was limited")
	}
	c.t = c.t.Add(wait)
	if ok, _ := l.Allow(Sale, "10.0.0.1", ""); !ok {
		t.Fatal("refused after waiting as told")
	}
}

func TestATenantLimitSpansClientsAndGivesBackTheClientsToken(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	l := New(Config{
		PerClient: map[Class]Rule{Sale: {Rate: 1, Burst: 1}},
		PerTenant: map[Class]Rule{Sale: {Rate: 1, Burst: 1}},
	}, c.now)
	if ok, _ := l.Allow(Sale, "10.0.0.1", "t1"); !ok {
		t.Fatal("the first sale refused")
	}
	if ok, _ := l.Allow(Sale, "10.0.0.2", "t1"); ok {
		t.Fatal("the tenant's limit did not span its clients")
	}
	// 10.0.0.2's client token was given back: another tenant's sale from
	// it goes through.
	if ok, _ := l.Allow(Sale, "10.0.0.2", "t2"); !ok {
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
		l.Allow(Read, "10.0.1."+string(rune('0'+i%10))+string(rune('0'+i/10)), "")
	}
	if len(l.keys) != 100 {
		t.Fatalf("%d buckets for 100 clients", len(l.keys))
	}
	c.t = c.t.Add(idleAfter + 2*time.Minute)
	l.Allow(Read, "10.0.2.1", "")
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
