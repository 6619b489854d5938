package syncer

import (
	"testing"
	"time"
)

func TestPacerSpacesRoundsButNeverDelaysTheFirstAfterAQuietSpell(t *testing.T) {
	p := pacer{every: 20 * time.Millisecond}
	t0 := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	if w := p.wait(t0); w != 0 {
		t.Fatalf("the first round waits %v", w)
	}
	p.started(t0)
	for _, c := range []struct {
		at   time.Duration // after the last round started
		want time.Duration
	}{
		{0, 20 * time.Millisecond},
		{5 * time.Millisecond, 15 * time.Millisecond},
		{20 * time.Millisecond, 0},
		{time.Second, 0}, // a quiet spell: at once
	} {
		if got := p.wait(t0.Add(c.at)); got != c.want {
			t.Errorf("a kick %v after a round waits %v, want %v", c.at, got, c.want)
		}
	}
	p.started(t0.Add(time.Second))
	if got := p.wait(t0.Add(time.Second + time.Millisecond)); got != 19*time.Millisecond {
		t.Errorf("after the next round, a kick 1ms later waits %v, want 19ms", got)
	}
}
