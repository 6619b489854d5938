package ops

import (
	"math"
	"slices"
	"testing"
)

func f(v float64) *float64 { return &v }

func TestValidateNamesEachProblem(t *testing.T) {
	cases := []struct {
		name  string
		in    []Range
		field string
	}{
		{"unknown figure", []Range{{Metric: "cpu", Max: f(1)}}, "metric"},
		{"twice", []Range{{Metric: GatesOnline, Min: f(1)}, {Metric: GatesOnline, Min: f(2)}}, "metric"},
		{"no bound", []Range{{Metric: GatesOnline}}, "min"},
		{"negative", []Range{{Metric: FeedLag, Max: f(-1)}}, "max"},
		{"not a number", []Range{{Metric: FeedLag, Max: f(math.NaN())}}, "max"},
		{"min above max", []Range{{Metric: TicketsPerMinute, Min: f(5), Max: f(2)}}, "max"},
	}
	for _, tc := range cases {
		errs := Validate(tc.in)
		if len(errs) != 1 || errs[len(errs)-1].Field != tc.field {
			t.Errorf("%s: %v, want one problem with %s", tc.name, errs, tc.field)
		}
	}
	if errs := Validate([]Range{{Metric: GatesOnline, Min: f(2)}, {Metric: ReportingLag, Max: f(60)}, {Metric: TicketsPerMinute, Min: f(0), Max: f(0)}}); len(errs) != 0 {
		t.Fatalf("good ranges refused: %v", errs)
	}
	if errs := Validate(make([]Range, MaxRanges+1)); len(errs) != 1 {
		t.Fatalf("too many ranges: %v", errs)
	}
}

func TestEvaluateRaisesWhatIsOutside(t *testing.T) {
	values := map[string]float64{GatesOnline: 1, ReportingLag: 75, TicketsPerMinute: 12, FeedLag: 0}
	rs := []Range{
		{Metric: GatesOnline, Min: f(2)},         // below
		{Metric: ReportingLag, Max: f(60)},       // above
		{Metric: TicketsPerMinute, Max: f(12)},   // at the bound: fine
		{Metric: FeedLag, Min: f(0), Max: f(10)}, // inside
		{Metric: UsersOnline, Max: f(0)},         // not in the snapshot: not judged
	}
	got := Evaluate(values, rs)
	var names []string
	for _, b := range got {
		names = append(names, b.Metric+" "+b.Bound)
	}
	if !slices.Equal(names, []string{"gates_online min", "reporting_lag_s max"}) {
		t.Fatalf("breaches %v", names)
	}
	if got[0].Detail != "gates_online is 1, below the minimum 2" {
		t.Fatalf("detail %q", got[0].Detail)
	}
}
