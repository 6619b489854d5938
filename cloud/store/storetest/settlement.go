package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// testSettlement: an agency's orders and refunds become a daily run's
// lines by its rule; runs are made for each day missed, never twice; a
// closed run never changes; the totals of all runs are the sum of their
// lines; a statement's differences are listed and resolved by finance.
func testSettlement(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	st, ok := f.Store.(interface {
		Agencies() agency.Store
		Settlement() settlement.Store
	})
	if !ok {
		t.Fatal("the store keeps no settlements")
	}
	ags := agency.New(st.Agencies(), f.Svc, f.Clock.Now)
	svc := settlement.New(st.Settlement(), ags, f.Clock.Now)
	finance := f.User(t, f.TenantAdmin, "a-finance", auth.RoleFinance, 0)
	a, err := ags.Create(ctx, f.TenantAdmin, agency.Agency{Code: "tongcheng", Name: "Tongcheng", Enabled: true, CommissionBP: 300, ServiceFeeCents: 200, RatePerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	k, err := ags.IssueKey(ctx, f.TenantAdmin, a.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	caller, err := ags.Authenticate(ctx, k.Token)
	if err != nil {
		t.Fatal(err)
	}
	ss, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 10), 4500)
	sell := func(ref string, n int) sales.Order {
		t.Helper()
		o, _, err := ags.Order(ctx, caller, ref, agency.OrderRequest{SessionID: ss.ID, Count: n, AllowSplit: true, Reference: ref})
		if err != nil {
			t.Fatalf("agency order %s: %v", ref, err)
		}
		return o
	}
	// Day 1: three orders of 1, 2 and 3 tickets; one ticket of the second refunded.
	o1, o2, o3 := sell("T-1", 1), sell("T-2", 2), sell("T-3", 3)
	// The box office's sales are not the agency's.
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.ConfirmAndPay(t, f.Clerk, h, sales.PaymentRequest{Method: "cash"})
	rf, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o2.ID, TicketIDs: []int64{o2.Tickets[0].ID}, Reason: "buyer cannot come"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, rf.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(24 * time.Hour)
	if _, err := svc.Scheduled(ctx); err != nil {
		t.Fatal(err)
	}
	runs, err := svc.Runs(ctx, finance, a.Party())
	if err != nil || len(runs) != 1 || !runs[0].Scheduled {
		t.Fatalf("after day 1: runs %+v %v; want one scheduled", runs, err)
	}
	r1, err := svc.Run(ctx, finance, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	orders := map[int64]bool{}
	for _, l := range r1.Lines {
		orders[l.OrderID] = true
	}
	if len(r1.Lines) != 4 || !orders[o1.ID] || !orders[o2.ID] || !orders[o3.ID] {
		t.Fatalf("day 1's lines: %+v; want the agency's 3 orders and 1 refund", r1.Lines)
	}
	// 6 tickets of 45.00 less one: gross 225.00; commission 3 % per line
	// (1.35 + 2.70 + 4.05 - 1.35); fees 2.00 a ticket (5 tickets).
	want := settlement.Totals{Tickets: 5, GrossCents: 22500, CommissionCents: 675, FeeCents: 1000, NetCents: 20825}
	if r1.Totals != want {
		t.Fatalf("day 1's totals %+v, want %+v", r1.Totals, want)
	}

	// Day 2: one more order; the schedule runs again two days later and
	// makes a run for each day missed, and none twice.
	o4 := sell("T-4", 4)
	f.Clock.Advance(48 * time.Hour)
	if n, err := svc.Scheduled(ctx); err != nil || n != 2 {
		t.Fatalf("scheduled runs after two days: %d %v", n, err)
	}
	if n, err := svc.Scheduled(ctx); err != nil || n != 0 {
		t.Fatalf("the schedule again: %d %v", n, err)
	}
	runs, _ = svc.Runs(ctx, finance, a.Party())
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	// The totals of all runs are the sum of their lines, and each of the
	// agency's orders is in exactly one run.
	var sum, lines int64
	seen := map[int64]int{}
	for _, r := range runs {
		full, err := svc.Run(ctx, finance, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum += full.Totals.NetCents
		for _, l := range full.Lines {
			lines += l.NetCents
			if l.Kind == settlement.Sale {
				seen[l.OrderID]++
			}
		}
		lines -= full.Rule.FixedCents
	}
	if sum != lines || sum != 20825+18000-540-800 {
		t.Fatalf("runs total %d, their lines %d; want both %d", sum, lines, 20825+18000-540-800)
	}
	for _, o := range []sales.Order{o1, o2, o3, o4} {
		if seen[o.ID] != 1 {
			t.Fatalf("order %d settled %d times", o.ID, seen[o.ID])
		}
	}
	// A manual run over a settled period is refused.
	if _, err := svc.Create(ctx, finance, settlement.NewRun{Party: a.Party(), From: r1.From, To: r1.To.Add(time.Hour)}); !isCode(err, "period_settled") {
		t.Fatalf("a run over a settled day: %v", err)
	}
	if _, err := svc.Create(ctx, f.Clerk, settlement.NewRun{Party: a.Party(), From: r1.To, To: f.Clock.Now()}); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk settles: %v", err)
	}

	// Closed, a run never changes.
	if _, err := svc.Close(ctx, finance, r1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Rebuild(ctx, finance, r1.ID); !isCode(err, "run_closed") {
		t.Fatalf("rebuild a closed run: %v", err)
	}
	if _, err := svc.Close(ctx, finance, r1.ID); !isCode(err, "run_closed") {
		t.Fatalf("close a closed run: %v", err)
	}

	// The agency's statement: order 1 right, order 2 wrong, order 3
	// missing, an order we never sold through it.
	net := map[int64]int64{}
	for _, l := range r1.Lines {
		net[l.OrderID] += l.NetCents
	}
	ds, err := svc.Reconcile(ctx, finance, r1.ID, []settlement.StatementLine{
		{OrderID: o1.ID, AmountCents: net[o1.ID]},
		{OrderID: o2.ID, AmountCents: net[o2.ID] + 100},
		{OrderID: 999999, AmountCents: 5000},
	})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[settlement.DiffKind]int64{}
	for _, d := range ds {
		kinds[d.Kind] = d.OrderID
	}
	if len(ds) != 3 || kinds[settlement.AmountDiffers] != o2.ID || kinds[settlement.MissingInStatement] != o3.ID || kinds[settlement.MissingInRun] != 999999 {
		t.Fatalf("differences %+v", ds)
	}
	d, err := svc.Resolve(ctx, finance, ds[0].ID, "the agency rounded the refund; agreed by phone")
	if err != nil || d.ResolvedAt == nil || d.ResolvedBy != finance.Actor() {
		t.Fatalf("resolve: %+v %v", d, err)
	}
	if _, err := svc.Resolve(ctx, finance, ds[0].ID, "again"); !isKind(err, sales.KindNotFound) {
		t.Fatalf("resolve twice: %v", err)
	}
	// Reconciling again keeps what was resolved.
	if ds2, err := svc.Reconcile(ctx, finance, r1.ID, []settlement.StatementLine{{OrderID: o1.ID, AmountCents: net[o1.ID]}}); err != nil || len(ds2) != 2 {
		t.Fatalf("a corrected statement: %+v %v", ds2, err)
	}
	all, _ := svc.Diffs(ctx, finance, r1.ID)
	if len(all) != 3 || all[0].ResolvedAt == nil {
		t.Fatalf("differences after a second statement: %+v", all)
	}
	// A statement for the three days against their three daily runs:
	// each difference lands on the run that settled its order.
	runs, _ = svc.Runs(ctx, finance, a.Party())
	slices.SortFunc(runs, func(x, y settlement.Run) int { return x.From.Compare(y.From) })
	first, last := runs[0], runs[len(runs)-1]
	runOf := map[int64]int64{}
	for _, r := range runs {
		full, _ := svc.Run(ctx, finance, r.ID)
		for _, l := range full.Lines {
			runOf[l.OrderID] = r.ID
		}
	}
	o4net := int64(0)
	full4, _ := svc.Run(ctx, finance, runOf[o4.ID])
	for _, l := range full4.Lines {
		if l.OrderID == o4.ID {
			o4net += l.NetCents
		}
	}
	month := []settlement.StatementLine{{OrderID: o1.ID, AmountCents: net[o1.ID]}, {OrderID: o2.ID, AmountCents: net[o2.ID]}, {OrderID: o3.ID, AmountCents: net[o3.ID]},
		{OrderID: o4.ID, AmountCents: o4net - 1}, {OrderID: 888888, AmountCents: 100}}
	if _, err := svc.ReconcilePeriod(ctx, finance, a.Party(), first.From, last.To.Add(time.Hour), month); !isCode(err, "period_not_settled") {
		t.Fatalf("a period settled only in part: %v", err)
	}
	if _, err := svc.ReconcilePeriod(ctx, finance, a.Party(), first.From.Add(time.Hour), last.To, month); !isCode(err, "period_split") {
		t.Fatalf("a period splitting a run: %v", err)
	}
	pds, err := svc.ReconcilePeriod(ctx, finance, a.Party(), first.From, last.To, month)
	if err != nil || len(pds) != 2 {
		t.Fatalf("the period's differences: %+v %v", pds, err)
	}
	for _, d := range pds {
		switch {
		case d.OrderID == o4.ID && d.Kind == settlement.AmountDiffers && d.RunID == runOf[o4.ID] && runOf[o4.ID] != first.ID:
		case d.OrderID == 888888 && d.Kind == settlement.MissingInRun && d.RunID == last.ID:
		default:
			t.Fatalf("a difference of the period: %+v (runs %d..%d, order 4 in %d)", d, first.ID, last.ID, runOf[o4.ID])
		}
	}
	if ds, _ := svc.Diffs(ctx, finance, first.ID); len(ds) != 1 || ds[0].ResolvedAt == nil {
		t.Fatalf("the first day after the period's statement (its resolved difference kept, the others agreed): %+v", ds)
	}

	entries, err := f.Svc.AuditLog(ctx, f.TenantAdmin, sales.AuditFilter{Action: "settlement.resolve"})
	if err != nil || len(entries) != 1 || entries[0].Actor != finance.Actor() {
		t.Fatalf("the resolution's audit entry: %+v %v", entries, err)
	}
	// The organiser settles every sale, the agency's too, by the
	// platform's rule; the printing house its commemorative tickets.
	if _, err := svc.SetRule(ctx, finance, "agency:1", settlement.Rule{}); !isCode(err, "invalid_party") {
		t.Fatalf("a rule for an agency set here: %v", err)
	}
	if _, err := svc.SetRule(ctx, finance, settlement.Organiser, settlement.Rule{CommissionBP: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetRule(ctx, finance, settlement.Printer, settlement.Rule{FeePerTicketCents: 300}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.OrderCommemorative(ctx, f.Manager, []string{o4.Tickets[0].Number}); err != nil {
		t.Fatal(err)
	}
	if err := f.Svc.RecordProduction(ctx, f.Manager, []sales.Produced{{Number: o4.Tickets[0].Number, UID: "04A22B1A"}}); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Minute)
	org, err := svc.Create(ctx, finance, settlement.NewRun{Party: settlement.Organiser, From: r1.From, To: f.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var orgOrders int
	for _, l := range org.Lines {
		if l.Kind == settlement.Sale {
			orgOrders++
		}
	}
	if orgOrders != 5 || org.Totals.CommissionCents != settlement.Commission(org.Totals.GrossCents, 100) {
		t.Fatalf("the organiser's run: %d sales (want the agency's 4 and the box office's 1), totals %+v", orgOrders, org.Totals)
	}
	pr, err := svc.Create(ctx, finance, settlement.NewRun{Party: settlement.Printer, From: r1.From, To: f.Clock.Now()})
	if err != nil || len(pr.Lines) != 1 || pr.Totals.NetCents != -300 || pr.Totals.Tickets != 0 {
		t.Fatalf("the printing house's run: %+v %v", pr, err)
	}

	// Another tenant sees none of it.
	g := f.AddTenant(t, "b", "31019999")
	if _, err := svc.Run(ctx, g.TenantAdmin, r1.ID); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another tenant reads the run: %v", err)
	}
}
