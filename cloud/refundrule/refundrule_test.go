package refundrule

import (
	"errors"
	"testing"
	"time"
)

func TestAQuoteFollowsTheGradeOfTheTimeLeft(t *testing.T) {
	start := time.Date(2026, 12, 20, 19, 30, 0, 0, time.UTC)
	r := Default()
	// 5 % of 99.90 is 4.995: 5.00; of 12.34 it is 0.617: 0.62.
	for _, c := range []struct {
		before  time.Duration
		percent int
	}{
		{30 * 24 * time.Hour, 5}, {168 * time.Hour, 5}, {168*time.Hour - time.Second, 10},
		{72 * time.Hour, 10}, {25 * time.Hour, 20}, {24 * time.Hour, 20},
	} {
		q, err := r.Quote([]int64{9990, 1234}, start, start.Add(-c.before))
		if err != nil {
			t.Fatalf("%v before: %v", c.before, err)
		}
		want := map[int]int64{5: 500 + 62, 10: 999 + 123, 20: 1998 + 247}[c.percent]
		if q.FeePercent != c.percent || q.FeeCents != want || q.AmountCents != 11224 || q.RefundCents != 11224-want {
			t.Fatalf("%v before: %+v, want %d %% and a fee of %d", c.before, q, c.percent, want)
		}
		if !q.Until.Equal(start.Add(-time.Duration(map[int]int{5: 168, 10: 72, 20: 24}[c.percent]) * time.Hour)) {
			t.Fatalf("%v before: until %v", c.before, q.Until)
		}
	}
	if _, err := r.Quote([]int64{9990}, start, start.Add(-23*time.Hour)); !errors.Is(err, ErrClosed) {
		t.Fatalf("inside the last day: %v", err)
	}
	if _, err := (Rule{}).Quote([]int64{9990}, start, start.Add(-900*time.Hour)); !errors.Is(err, ErrClosed) || (Rule{}).Open() {
		t.Fatalf("an event without refunds: %v", err)
	}
}

func TestABadRuleIsRefused(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Rule{
		{Grades: []Grade{{BeforeHours: 24, FeePercent: 10}, {BeforeHours: 72, FeePercent: 20}}}, // hours rising
		{Grades: []Grade{{BeforeHours: 72, FeePercent: 20}, {BeforeHours: 24, FeePercent: 10}}}, // fee falling as the show nears
		{Grades: []Grade{{BeforeHours: 24, FeePercent: 101}}},
		{Grades: []Grade{{BeforeHours: -1, FeePercent: 0}}},
		{Grades: make([]Grade, MaxGrades+1)},
	} {
		if r.Validate() == nil {
			t.Errorf("%+v was accepted", r)
		}
	}
}
