package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/contract"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// testContract: two customers' representatives and the public race for
// one price level; neither track of contract quotas is exceeded, no seat
// is sold twice; names come by CSV with every bad line named; finance's
// payment issues the tickets once; an order not named by the deadline
// lapses and frees its seats.
func testContract(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	svc, a, b, repA, repB := contractCustomers(t, f)
	tier := f.Tiers[0].ID
	finance := f.User(t, f.TenantAdmin, "fin", auth.RoleFinance, 0)
	if err := svc.SetRep(ctx, f.Manager, a.ID, f.Clerk.UserID); !isCode(err, "not_a_rep") {
		t.Fatalf("a clerk made a representative: %v", err)
	}
	if _, err := svc.Place(ctx, repA, contract.NewOrder{SessionID: f.Session.ID, TierID: tier, Quantity: 1}); !isCode(err, "no_contract_quota") {
		t.Fatalf("an order with no contract quota: %v", err)
	}
	if _, err := f.Svc.SetQuotas(ctx, f.Manager, f.Session.ID, []sales.Quota{
		{Channel: sales.ChannelContract, TierID: tier, Limit: 10},
		{Channel: sales.ChannelContract, TierID: tier, Party: a.Party(), Limit: 6},
		{Channel: sales.ChannelContract, TierID: tier, Party: b.Party(), Limit: 6},
	}); err != nil {
		t.Fatal(err)
	}

	// Eight orders of two from each representative race eight buyers of
	// the public.
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := map[int64]int{}
	var orders []contract.Order
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0, 1:
				rep := repA
				if i%3 == 1 {
					rep = repB
				}
				o, err := svc.Place(ctx, rep, contract.NewOrder{SessionID: f.Session.ID, TierID: tier, Quantity: 2})
				if err != nil && !isCode(err, "quota_exhausted") {
					t.Errorf("representative's order: %v", err)
				}
				if err == nil {
					mu.Lock()
					granted[o.CustomerID] += o.Quantity
					orders = append(orders, o)
					mu.Unlock()
				}
			default:
				h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 2, TierID: tier, AllowSplit: true})
				if err == nil {
					_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
				}
				if err != nil {
					t.Errorf("a buyer of the public: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if granted[a.ID] > 6 || granted[b.ID] > 6 || granted[a.ID]+granted[b.ID] != 10 {
		t.Fatalf("granted %v: want at most 6 each and 10 in all", granted)
	}
	if _, err := svc.Place(ctx, repB, contract.NewOrder{CustomerID: a.ID, SessionID: f.Session.ID, TierID: tier, Quantity: 1}); !isKind(err, sales.KindNotFound) {
		t.Fatalf("a representative orders for another customer: %v", err)
	}

	// Every order takes its seats at once, with the public still buying.
	for i, o := range orders {
		wg.Add(2)
		go func() {
			defer wg.Done()
			rep := repA
			if o.CustomerID == b.ID {
				rep = repB
			}
			if got, err := svc.Seat(ctx, rep, o.ID, contract.SeatRequest{}); err != nil || len(got.SeatIDs) != 2 {
				t.Errorf("seating order %d: %+v %v", o.ID, got, err)
			} else {
				orders[i] = got
			}
		}()
		go func() {
			defer wg.Done()
			h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 2, TierID: tier, AllowSplit: true})
			if err == nil {
				_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
			}
			if err != nil {
				t.Errorf("a buyer of the public: %v", err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	seen := map[int64]bool{}
	for _, o := range orders {
		for _, s := range o.SeatIDs {
			if seen[s] {
				t.Fatalf("seat %d in two contract orders", s)
			}
			seen[s] = true
		}
	}

	// Names by CSV: bad lines are named and change nothing.
	o := orders[0]
	rep := repA
	if o.CustomerID == b.ID {
		rep = repB
	}
	bad := "doc_type,doc_number,name\nresident_id,110105199001010000,张三\nresident_id," + ResidentID(1) + ",\n"
	var ne *contract.NameError
	if _, err := svc.Name(ctx, rep, o.ID, strings.NewReader(bad)); !errors.As(err, &ne) || len(ne.Lines) != 2 || ne.Lines[0].Line != 2 || ne.Lines[1].Line != 3 {
		t.Fatalf("a bad holders file: %v %+v", err, ne)
	}
	good := fmt.Sprintf("doc_type,doc_number,name\nresident_id,%s,张三\nresident_id,%s,李四\n", ResidentID(1), ResidentID(2))
	named, err := svc.Name(ctx, rep, o.ID, strings.NewReader(good))
	if err != nil || named.State != contract.Named || len(named.Holders) != 2 || strings.Contains(named.Holders[0].DocNumber, ResidentID(1)[:10]) {
		t.Fatalf("named: %+v %v", named, err)
	}
	// Finance records the payment; the tickets are issued once.
	if _, err := svc.RecordPayment(ctx, rep, o.ID, contract.Payment{Reference: "TT-1", AmountCents: 9000}); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a representative records a payment: %v", err)
	}
	if _, err := svc.RecordPayment(ctx, finance, o.ID, contract.Payment{Reference: "TT-1", AmountCents: 100}); !isCode(err, "invalid_payment") {
		t.Fatalf("a wrong amount: %v", err)
	}
	sale, err := svc.RecordPayment(ctx, finance, o.ID, contract.Payment{Reference: "TT-1", AmountCents: 9000})
	if err != nil || sale.Status != sales.OrderPaid || len(sale.Tickets) != 2 || sale.PaymentMethod != sales.MethodContract || sale.Party != contract.PartyOf(o.CustomerID) {
		t.Fatalf("the payment: %+v %v", sale, err)
	}
	again, err := svc.RecordPayment(ctx, finance, o.ID, contract.Payment{Reference: "TT-1", AmountCents: 9000})
	if err != nil || again.ID != sale.ID {
		t.Fatalf("the payment again: %+v %v", again, err)
	}
	// The representative prints the tickets, each for its bound holder,
	// once; a second print must say it replaces lost paper. Another
	// customer's representative cannot print them.
	if _, err := svc.Print(ctx, f.Manager, orders[1].ID, false); !isCode(err, "order_state") {
		t.Fatalf("an unpaid order printed: %v", err)
	}
	other := repB
	if o.CustomerID == b.ID {
		other = repA
	}
	if _, err := svc.Print(ctx, other, o.ID, false); !isKind(err, sales.KindNotFound) {
		t.Fatalf("another customer's representative printed the order: %v", err)
	}
	printed, err := svc.Print(ctx, rep, o.ID, false)
	if err != nil || len(printed) != 2 {
		t.Fatalf("the print: %+v %v", printed, err)
	}
	holders := map[string]bool{}
	for _, p := range printed {
		holders[p.Holder] = true
		if p.QR == "" || p.Seat == "" || p.Event == "" || strings.Contains(p.Document, ResidentID(1)[:10]) {
			t.Fatalf("a printed ticket: %+v", p)
		}
	}
	if !holders["张三"] || !holders["李四"] {
		t.Fatalf("the printed tickets name %v", holders)
	}
	if _, err := svc.Print(ctx, rep, o.ID, false); !isCode(err, "already_printed") {
		t.Fatalf("a second print without saying so: %v", err)
	}
	if again, err := svc.Print(ctx, rep, o.ID, true); err != nil || len(again) != 2 {
		t.Fatalf("a reprint: %+v %v", again, err)
	}
	issued, err := f.Svc.GetOrder(ctx, f.Manager, sale.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range issued.Tickets {
		if tk.PrintedAt == nil {
			t.Fatalf("ticket %s printed at the office is not marked printed", tk.Number)
		}
	}

	// Notices: to all customers and to one; a representative sees its
	// own and the reminder of its order due soon, not another's.
	if _, err := svc.PostNotice(ctx, rep, contract.Notice{Title: "x", Body: "y"}); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a representative posts a notice: %v", err)
	}
	if _, err := svc.PostNotice(ctx, f.Manager, contract.Notice{Title: " ", Body: "y"}); !isCode(err, "invalid_notice") {
		t.Fatalf("a notice with no title: %v", err)
	}
	if _, err := svc.PostNotice(ctx, f.Manager, contract.Notice{Title: "Gates open at 18:00", Body: "Bring the holders' IDs."}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostNotice(ctx, f.Manager, contract.Notice{CustomerID: a.ID, Title: "Your invoice", Body: "Sent by post."}); err != nil {
		t.Fatal(err)
	}
	titles := func(who sales.Principal) []string {
		ns, err := svc.Notices(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.Title)
		}
		return out
	}
	due := map[int64][]int64{}
	for _, x := range orders[1:] {
		due[x.CustomerID] = append(due[x.CustomerID], x.ID)
	}
	want := func(cust int64, posted string) string {
		ids := due[cust]
		slices.Sort(ids)
		var w []string
		for _, id := range ids {
			w = append(w, fmt.Sprintf("Order %d: names due", id))
		}
		return strings.Join(append(w, posted), "|")
	}
	wantA, wantB := want(a.ID, "Your invoice|Gates open at 18:00"), want(b.ID, "Gates open at 18:00")
	if got := strings.Join(titles(repA), "|"); got != wantA {
		t.Fatalf("customer A's notices: %q, want %q", got, wantA)
	}
	if got := strings.Join(titles(repB), "|"); got != wantB {
		t.Fatalf("customer B's notices: %q, want %q", got, wantB)
	}

	rs, err := svc.Report(ctx, rep)
	if err != nil || len(rs) != 1 || rs[0].Paid != 2 || rs[0].PaidCents != 9000 {
		t.Fatalf("the representative's report: %+v %v", rs, err)
	}

	// The customer is a settlement partner: its run is its paid order.
	ss, ok := f.Store.(interface{ Settlement() settlement.Store })
	if !ok {
		t.Fatal("the store keeps no settlements")
	}
	paidAt := f.Clock.Now()
	f.Clock.Advance(time.Minute)
	run, err := settlement.New(ss.Settlement(), svc, f.Clock.Now).Create(ctx, finance, settlement.NewRun{Party: contract.PartyOf(o.CustomerID), From: paidAt.Add(-time.Hour), To: f.Clock.Now()})
	if err != nil || len(run.Lines) != 1 || run.Lines[0].OrderID != sale.ID || run.Totals.NetCents != 9000 {
		t.Fatalf("the customer's settlement: %+v %v", run, err)
	}

	// The deadline (24 hours before the show) passes: unpaid orders lapse
	// and their seats go back to sale.
	f.Clock.Advance(10*time.Hour - time.Minute)
	if _, err := f.Svc.ExpireHolds(ctx); err != nil {
		t.Fatal(err)
	}
	lapsed := orders[1]
	got, err := svc.Get(ctx, f.Manager, lapsed.ID)
	if err != nil || got.State != contract.Lapsed {
		t.Fatalf("an unnamed order after the deadline: %+v %v", got.State, err)
	}
	for _, s := range lapsed.SeatIDs {
		if st := seatStatus(t, f, f.Session.ID, s); st != sales.SeatAvailable {
			t.Fatalf("seat %d of a lapsed order is %s", s, st)
		}
	}
	if _, err := svc.Place(ctx, repA, contract.NewOrder{SessionID: f.Session.ID, TierID: tier, Quantity: 1}); !isCode(err, "deadline_passed") {
		t.Fatalf("an order after the deadline: %v", err)
	}
}

// testContractReserved: seats the organiser reserves for a contract
// customer (targeted reservation) are that customer's: its order is
// assigned them first, another customer's representative and the public
// cannot take them.
func testContractReserved(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	svc, a, _, repA, repB := contractCustomers(t, f)
	tier := f.Tiers[0].ID
	if _, err := f.Svc.SetQuotas(ctx, f.Manager, f.Session.ID, []sales.Quota{{Channel: sales.ChannelContract, TierID: tier, Limit: 10}}); err != nil {
		t.Fatal(err)
	}
	mine := []int64{f.SeatID(t, f.Session.ID, "F-9"), f.SeatID(t, f.Session.ID, "F-10")}
	until := f.Session.StartsAt.Add(-contract.NamesBefore)
	if err := f.Svc.SetSeatCategory(ctx, f.Manager, f.Session.ID, sales.CategoryChange{SeatIDs: mine, Category: sales.CategoryReserved, ReservedFor: a.Code,
		ReservedUntil: &until, Reason: "the bank's box"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: mine[:1]}); !isKind(err, sales.KindConflict) {
		t.Fatalf("the public holds a seat reserved for the bank: %v", err)
	}
	ob, err := svc.Place(ctx, repB, contract.NewOrder{SessionID: f.Session.ID, TierID: tier, Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Seat(ctx, repB, ob.ID, contract.SeatRequest{SeatIDs: mine}); !isKind(err, sales.KindConflict) {
		t.Fatalf("another customer takes the bank's reserved seats: %v", err)
	}
	oa, err := svc.Place(ctx, repA, contract.NewOrder{SessionID: f.Session.ID, TierID: tier, Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Seat(ctx, repA, oa.ID, contract.SeatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got.SeatIDs)
	if !slices.Equal(got.SeatIDs, mine) {
		t.Fatalf("the bank's order was assigned %v, not its reserved seats %v", got.SeatIDs, mine)
	}
}

// contractCustomers makes two contract customers, a bank and an airline,
// each with its representative.
func contractCustomers(t *testing.T, f *Fixture) (svc *contract.Service, a, b contract.Customer, repA, repB sales.Principal) {
	t.Helper()
	cs, ok := f.Store.(interface{ Contract() contract.Store })
	if !ok {
		t.Fatal("the store keeps no contract customers")
	}
	svc = contract.New(cs.Contract(), f.Svc, f.Clock.Now)
	var err error
	if a, err = svc.CreateCustomer(ctx, f.Manager, contract.Customer{Code: "bank", Name: "Bank of Shanghai", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if b, err = svc.CreateCustomer(ctx, f.Manager, contract.Customer{Code: "airline", Name: "Eastern Air", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	repA = f.User(t, f.TenantAdmin, "rep-a", auth.RoleCustomerRep, 0)
	repB = f.User(t, f.TenantAdmin, "rep-b", auth.RoleCustomerRep, 0)
	for _, x := range []struct {
		rep  sales.Principal
		cust int64
	}{{repA, a.ID}, {repB, b.ID}} {
		if err := svc.SetRep(ctx, f.Manager, x.cust, x.rep.UserID); err != nil {
			t.Fatal(err)
		}
	}
	return svc, a, b, repA, repB
}
