package settlement

import (
	"strings"
	"testing"
	"time"
)

func TestCommissionRoundsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		amount int64
		bp     int
		want   int64
	}{
		{4500, 300, 135}, {1, 5000, 1}, {1, 4999, 0}, {-1, 5000, -1}, {-4500, 300, -135}, {333, 150, 5}, {0, 10000, 0}, {12345, 10000, 12345},
	} {
		if got := Commission(c.amount, c.bp); got != c.want {
			t.Errorf("Commission(%d, %d) = %d, want %d", c.amount, c.bp, got, c.want)
		}
	}
}

func TestARefundReversesItsShareAndTotalsAreTheLinesSum(t *testing.T) {
	r := Rule{CommissionBP: 250, FeePerTicketCents: 300, FixedCents: 10000}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ls := Settle(r, []Fact{
		{Kind: Sale, OrderID: 1, Tickets: 2, AmountCents: 16000, At: at},
		{Kind: Sale, OrderID: 2, Tickets: 1, AmountCents: 8001, At: at},
		{Kind: Refund, OrderID: 1, RefundID: 7, Tickets: 1, AmountCents: 8000, At: at},
	})
	if ls[2].GrossCents != -8000 || ls[2].CommissionCents != -200 || ls[2].FeeCents != -300 || ls[2].NetCents != -7500 {
		t.Fatalf("the refund's line: %+v", ls[2])
	}
	tot := Sum(r, ls)
	var net int64
	for _, l := range ls {
		net += l.NetCents
		if l.NetCents != l.GrossCents-l.CommissionCents-l.FeeCents {
			t.Fatalf("a line that does not add up: %+v", l)
		}
	}
	if tot.NetCents != net-r.FixedCents || tot.Tickets != 2 || tot.GrossCents != 16001 {
		t.Fatalf("totals %+v, lines' net %d", tot, net)
	}
}

func TestReconcileListsEveryDifferenceByOrder(t *testing.T) {
	lines := []Line{{Fact: Fact{OrderID: 3}, NetCents: 100}, {Fact: Fact{OrderID: 1}, NetCents: 50}, {Fact: Fact{OrderID: 1, Kind: Refund}, NetCents: -20}, {Fact: Fact{OrderID: 5}, NetCents: 7}}
	ds := Reconcile(lines, []StatementLine{{OrderID: 1, AmountCents: 30}, {OrderID: 3, AmountCents: 99}, {OrderID: 4, AmountCents: 1}})
	want := []Diff{{OrderID: 3, Kind: AmountDiffers, OursCents: 100, TheirsCents: 99}, {OrderID: 4, Kind: MissingInRun, TheirsCents: 1}, {OrderID: 5, Kind: MissingInStatement, OursCents: 7}}
	if len(ds) != len(want) {
		t.Fatalf("differences %+v", ds)
	}
	for i := range want {
		if ds[i] != want[i] {
			t.Fatalf("difference %d: %+v, want %+v", i, ds[i], want[i])
		}
	}
}

func TestParseStatementNamesEveryBadLine(t *testing.T) {
	good := "\ufefforder_id,reference,amount_cents\n12,CT-1,8000\n13,,-500\n"
	ls, errs := ParseStatement(strings.NewReader(good))
	if len(errs) != 0 || len(ls) != 2 || ls[1].AmountCents != -500 || ls[0].Reference != "CT-1" {
		t.Fatalf("a good statement: %+v %+v", ls, errs)
	}
	bad := "order_id,reference,amount_cents\n0,x,1\nabc,x,1\n12,x,1.50\n12,x\n14,x,9\n"
	ls, errs = ParseStatement(strings.NewReader(bad))
	if ls != nil || len(errs) != 4 || errs[0].Line != 2 || errs[3].Line != 5 {
		t.Fatalf("a bad statement: %+v %+v", ls, errs)
	}
	for _, in := range []string{"", "id,amount\n1,2\n", "order_id,reference,amount_cents\n\"unclosed,1,2\n"} {
		if ls, errs := ParseStatement(strings.NewReader(in)); ls != nil || len(errs) == 0 {
			t.Errorf("%q: %+v %+v", in, ls, errs)
		}
	}
}

func FuzzParseStatement(f *testing.F) {
	f.Add("order_id,reference,amount_cents\n12,CT-1,8000\n")
	f.Add("order_id,reference,amount_cents\n1,\"a,b\",-1\n")
	f.Fuzz(func(t *testing.T, in string) {
		ls, errs := ParseStatement(strings.NewReader(in))
		if len(errs) > 0 && ls != nil {
			t.Fatalf("lines and errors at once from %q", in)
		}
		for _, l := range ls {
			if l.OrderID <= 0 || len(l.Reference) > 64 {
				t.Fatalf("accepted %+v from %q", l, in)
			}
		}
		for _, e := range errs {
			if e.Line < 1 {
				t.Fatalf("an error without its line: %+v", e)
			}
		}
	})
}
