package report

import (
	"slices"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
)

func TestReconcileFindsEachKindOfDifference(t *testing.T) {
	v := VenueFacts{ID: 3, TenantID: 1, Code: "31000001"}
	recs := []RecordState{
		{Serial: "T1-0", Ticket: "A", Operation: wire.OpSale, State: StateDelivered},
		{Serial: "T1-1", Ticket: "B", Operation: wire.OpPresale, State: StateDelivered}, // lost by the platform
		{Serial: "T2-0", Ticket: "A", Operation: wire.OpRefund, State: StateDelivered},
		{Serial: "T3-0", Ticket: "C", Operation: wire.OpSale, State: StatePending}, // on its way
		{Serial: "M1-0", Ticket: "M1-1", Operation: wire.OpMakeupSale, State: StateDelivered},
	}
	tickets := []DayTicket{
		{Number: "A", Refunded: true, Printed: true},  // refunded after its print
		{Number: "B", Admitted: true},                 // fine
		{Number: "C"},                                 // fine
		{Number: "D"},                                 // sold, never reported
		{Number: "E", Refunded: true, Admitted: true}, // neither its sale nor refund reported, and used
	}
	held := wire.Holdings{Records: []wire.ReceivedRecord{{Serial: "T1-0"}, {Serial: "T2-0"}, {Serial: "M1-0"}, {Serial: "X9-9"}}}
	r := Reconcile(v, "2026-12-01", recs, tickets, held, time.Now())
	if r.Records != 5 || r.Platform != 4 || r.InFlight != 1 || r.Tickets != 5 || r.Refunded != 2 || r.Printed != 1 || r.Admitted != 2 {
		t.Fatalf("counts: %+v", r)
	}
	if r.Completeness != 60 || !r.Alert() || !r.Differences() {
		t.Fatalf("completeness %.1f alert %v", r.Completeness, r.Alert())
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"missing", r.Missing, []string{"T1-1"}},
		{"unknown", r.Unknown, []string{"X9-9"}},
		{"unreported", r.Unreported, []string{"D", "E"}},
		{"used refunded", r.UsedRefunded, []string{"A", "E"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	empty := Reconcile(v, "2026-12-01", nil, nil, wire.Holdings{}, time.Now())
	if empty.Completeness != 100 || empty.Alert() || empty.Differences() {
		t.Fatalf("a day with nothing: %+v", empty)
	}
}
