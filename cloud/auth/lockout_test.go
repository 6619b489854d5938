package auth

import (
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	l := DefaultLockout()
	if l.MaxFailures != 5 || l.Window != 15*time.Minute {
		t.Fatalf("DefaultLockout() = %+v", l)
	}
	last := time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC)
	clock := last // the injected clock, advanced by the test
	now := func() time.Time { return clock }

	if l.Locked(4, last, now()) {
		t.Error("4 failures locked")
	}
	if !l.Locked(5, last, now()) {
		t.Error("5 failures not locked")
	}
	if !l.Locked(9, last, now()) {
		t.Error("9 failures not locked")
	}
	clock = last.Add(15*time.Minute - time.Nanosecond)
	if !l.Locked(5, last, now()) {
		t.Error("unlocked just before the window ends")
	}
	clock = last.Add(15 * time.Minute)
	if l.Locked(5, last, now()) {
		t.Error("still locked when the window ends")
	}
	clock = last.Add(time.Hour)
	if l.Locked(50, last, now()) {
		t.Error("still locked an hour later")
	}
	if (Lockout{}).Locked(100, last, last) {
		t.Error("zero Lockout locks")
	}
}
