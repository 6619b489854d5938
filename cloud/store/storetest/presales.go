package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/lottery"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
)

// ResidentID makes the i-th test resident ID, with its check digit right.
func ResidentID(i int) string {
	first := fmt.Sprintf("110105199001%02d%03d", 1+i/1000%28, i%1000)
	d, _ := identity.CheckDigit(first)
	return first + string(d)
}

// CrashingPayments passes calls to the simulator until it has voided
// After times; the next void is done at the provider but the process
// "dies" before hearing of it, and every call after fails (ErrCrashed).
// After < 0 never crashes.
type CrashingPayments struct {
	*payment.Simulator
	After   int
	voids   atomic.Int64
	crashed atomic.Bool
}

// ErrCrashed is what a CrashingPayments says once it has "died".
var ErrCrashed = errors.New("the process died")

func (c *CrashingPayments) Void(ctx context.Context, key string) error {
	if c.crashed.Load() {
		return ErrCrashed
	}
	if c.After >= 0 && c.voids.Add(1) > int64(c.After) {
		c.crashed.Store(true)
		if err := c.Simulator.Void(ctx, key); err != nil {
			return err
		}
		return ErrCrashed
	}
	return c.Simulator.Void(ctx, key)
}

func (c *CrashingPayments) Capture(ctx context.Context, key string, amount int64) (payment.Result, error) {
	if c.crashed.Load() {
		return payment.Result{}, ErrCrashed
	}
	return c.Simulator.Capture(ctx, key, amount)
}

// testPresaleLottery: a presale runs end to end on the store — checked
// applications with authorised cards, one per person whatever the race,
// a lock that lapses the unanswered, a draw anyone can verify from the
// published files, and a settlement that survives a crash halfway and
// voids each loser once.
func testPresaleLottery(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ps, ok := f.Store.(interface{ Presales() presale.Store })
	if !ok {
		t.Fatal("the store keeps no presales")
	}
	sim := payment.NewSimulator()
	sim.Timeout = 50 * time.Millisecond
	svc := presale.New(ps.Presales(), f.Svc, sim, f.Clock.Now, nil)
	svc.PaymentTimeout = time.Second

	opens := f.Clock.Now().Add(time.Hour)
	closes := opens.Add(24 * time.Hour)
	ss, tiers := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 4), 8000)
	in := presale.NewPresale{SessionID: ss.ID, TierID: tiers[0].ID, Name: "Final presale", Tickets: 12, PerPerson: 4, OpensAt: opens, ClosesAt: closes}
	if _, err := svc.Create(ctx, f.Clerk, in); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk created a presale: %v", err)
	}
	bad := in
	bad.ClosesAt, bad.Tickets = opens.Add(-time.Minute), 0
	if _, err := svc.Create(ctx, f.Manager, bad); !isKind(err, sales.KindInvalid) {
		t.Fatalf("a presale closing before it opens: %v", err)
	}
	p, err := svc.Create(ctx, f.Manager, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != presale.Open || len(p.Commitment) != 64 || p.Seed != "" || p.PriceCents != tiers[0].PriceCents {
		t.Fatalf("created %+v", p)
	}

	apply := func(i, qty int, token string) (presale.Application, error) {
		return svc.Apply(ctx, p.ID, presale.ApplyRequest{Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: ResidentID(i), Name: "张三"},
			Quantity: qty, CardToken: token, Phone: fmt.Sprintf("1390000%04d", i), Lang: map[bool]string{true: "en", false: "zh"}[i%2 == 0]})
	}
	if _, err := apply(1, 1, payment.TokenApprove); !isCode(err, "presale_closed") {
		t.Fatalf("an application before opening: %v", err)
	}
	f.Clock.Advance(2 * time.Hour)

	// Bad input changes nothing.
	wrong := ResidentID(1)
	wrong = wrong[:17] + map[bool]string{true: "1", false: "2"}[wrong[17] != '1']
	if _, err := svc.Apply(ctx, p.ID, presale.ApplyRequest{Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: wrong, Name: "张三"},
		Quantity: 1, CardToken: payment.TokenApprove}); !isKind(err, sales.KindInvalid) {
		t.Fatalf("a wrong check digit: %v", err)
	}
	if _, err := apply(1, 5, payment.TokenApprove); !isKind(err, sales.KindInvalid) {
		t.Fatalf("5 tickets over a limit of 4: %v", err)
	}
	if _, err := apply(1, 1, payment.TokenDecline); !isKind(err, sales.KindPayment) {
		t.Fatalf("a declined card: %v", err)
	}
	if got, _ := svc.Get(ctx, p.ID); len(got.Counts) != 0 {
		t.Fatalf("refused applications left %v", got.Counts)
	}

	// One person, twenty tabs at once: one application.
	var wg sync.WaitGroup
	var okN atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := apply(1, 2, payment.TokenApprove); err == nil {
				okN.Add(1)
			} else if !isCode(err, "already_applied") {
				t.Errorf("a racing application: %v", err)
			}
		}()
	}
	wg.Wait()
	if got, _ := svc.Get(ctx, p.ID); got.Counts[presale.Applied] != 1 {
		t.Fatalf("one person racing: %v", got.Counts)
	}
	// ok counts the first and retries that found it still pending.
	if okN.Load() < 1 {
		t.Fatal("no racing application succeeded")
	}

	// Thirty more people; one card that never answers stays pending.
	for i := 2; i <= 31; i++ {
		if _, err := apply(i, 1+i%3, payment.TokenApprove); err != nil {
			t.Fatalf("applicant %d: %v", i, err)
		}
	}
	if _, err := apply(40, 1, payment.TokenTimeout); !isCode(err, "payment_timeout") {
		t.Fatalf("a card that never answers: %v", err)
	}
	if _, err := svc.Lock(ctx, f.Manager, p.ID); !isCode(err, "presale_state") {
		t.Fatalf("locked before closing: %v", err)
	}
	f.Clock.Advance(24 * time.Hour)
	if _, err := apply(41, 1, payment.TokenApprove); !isCode(err, "presale_closed") {
		t.Fatalf("an application after closing: %v", err)
	}
	if _, err := svc.Publish(ctx, p.ID); !isCode(err, "presale_state") {
		t.Fatalf("the list published before the lock: %v", err)
	}
	locked, err := svc.Lock(ctx, f.Manager, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Lock(ctx, f.Manager, p.ID); !isCode(err, "presale_state") {
		t.Fatalf("locked twice: %v", err)
	}
	got, _ := svc.Get(ctx, p.ID)
	if got.Counts[presale.Applied] != 31 || got.Counts[presale.Lapsed] != 1 || locked.ListHash == "" {
		t.Fatalf("after the lock: %v, hash %q", got.Counts, locked.ListHash)
	}

	drawn, err := svc.Draw(ctx, f.Manager, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if drawn.State != presale.Drawn || drawn.Result == nil || drawn.Result.Awarded > 12 || drawn.Seed == "" {
		t.Fatalf("drawn %+v", drawn)
	}
	if _, err := svc.Draw(ctx, f.Manager, p.ID); !isCode(err, "presale_state") {
		t.Fatalf("drawn twice: %v", err)
	}
	pub, err := svc.Publish(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := lottery.Verify(*pub.Result, pub.Pools, pub.Applications); err != nil {
		t.Fatalf("the published draw does not verify: %v", err)
	}
	if len(pub.Applications) != 31 {
		t.Fatalf("published %d applications, 31 were in the draw", len(pub.Applications))
	}
	forged := append([]lottery.Application(nil), pub.Applications...)
	forged[0].Quantity = forged[0].Quantity%4 + 1
	if err := lottery.Verify(*pub.Result, pub.Pools, forged); err == nil {
		t.Fatal("a forged list verified")
	}
	winners := len(drawn.Result.Winners)
	losers := 31 - winners

	// Settlement dies after three voids, then a new process finishes it.
	crash := &CrashingPayments{Simulator: sim, After: 3}
	first := presale.New(ps.Presales(), f.Svc, crash, f.Clock.Now, nil)
	if _, err := first.Settle(ctx, p.ID); !errors.Is(err, ErrCrashed) {
		t.Fatalf("the first settlement: %v", err)
	}
	again := &CrashingPayments{Simulator: sim, After: -1}
	second := presale.New(ps.Presales(), f.Svc, again, f.Clock.Now, nil)
	msgs, sims := messageService(t, f)
	second.Notify = presale.BySMS(msgs)
	if err := second.SettleAll(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = svc.Get(ctx, p.ID)
	if got.State != presale.Settled || got.Counts[presale.Captured] != winners || got.Counts[presale.Voided] != losers+1 {
		t.Fatalf("after settling: %s %v (winners %d, losers %d)", got.State, got.Counts, winners, losers)
	}
	if sim.Captured() != winners || sim.Voids() != losers || sim.Held() != 0 {
		t.Fatalf("provider: captured %d voided %d held %d; want %d, %d, 0", sim.Captured(), sim.Voids(), sim.Held(), winners, losers)
	}
	if c, err := second.Settle(ctx, p.ID); err != nil || c != (presale.SettleCounts{}) {
		t.Fatalf("settling a settled presale: %+v %v", c, err)
	}
	// Everyone in the draw is told, once, in their language.
	if err := second.SettleAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := msgs.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	told := map[string]int{}
	for _, m := range sims[messages.SMS].Sent() {
		told[m.Template]++
		if m.Template == "presale.won" && m.Lang == "en" && !strings.Contains(m.Body, "You won") {
			t.Errorf("an English winner read %q", m.Body)
		}
	}
	if told["presale.won"] != winners || told["presale.lost"] != losers || len(told) != 2 {
		t.Fatalf("told %v; %d winners, %d losers", told, winners, losers)
	}

	// Seats for the winners, in draw order. The first winner's order was
	// made by a pass that died before recording it: it is found, not
	// made twice.
	apps, err := ps.Presales().Applications(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	top := drawn.Result.Winners[0]
	var pre presale.Application
	for _, a := range apps {
		if a.Ref == top.ID {
			pre = a
		}
	}
	if _, err := second.Assign(ctx, f.Clerk, p.ID); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk assigned seats: %v", err)
	}
	seats, err := f.Svc.SessionSeats(ctx, f.Manager, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	rowOf := map[int64]string{}
	for _, st := range seats {
		rowOf[st.SeatID] = st.Section + "/" + st.Row
	}
	var last []int64 // the back row's seats: not where the draw would put them
	for i := len(seats) - 1; len(last) < pre.Quantity; i-- {
		last = append(last, seats[i].SeatID)
	}
	early, err := f.Svc.IssuePrepaid(ctx, f.Manager, sales.Prepaid{SessionID: ss.ID, SeatIDs: last, Reference: pre.AuthRef, Key: pre.PaymentKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := second.Assign(ctx, f.Manager, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issued != winners || c.Tickets != drawn.Result.Awarded || c.Left != 0 {
		t.Fatalf("assigned %+v; %d winners with %d tickets", c, winners, drawn.Result.Awarded)
	}
	apps, _ = ps.Presales().Applications(ctx, p.ID)
	orders := map[int64]bool{}
	for _, a := range apps {
		if a.Rank == 0 {
			continue
		}
		if a.State != presale.Issued || a.OrderID == 0 || orders[a.OrderID] {
			t.Fatalf("winner %s: %s, order %d", a.Ref, a.State, a.OrderID)
		}
		orders[a.OrderID] = true
		o, err := f.Svc.GetOrder(ctx, f.Manager, a.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != sales.OrderPaid || len(o.Tickets) != a.Quantity || o.PaymentMethod != sales.MethodPresale {
			t.Fatalf("winner %s's order: %s, %d tickets, %q", a.Ref, o.Status, len(o.Tickets), o.PaymentMethod)
		}
		if a.Ref == top.ID && o.ID != early.ID {
			t.Fatalf("the first winner got order %d, and %d before the crash", o.ID, early.ID)
		}
		if a.Ref != top.ID && a.Quantity > 1 {
			rows := map[string]bool{}
			for _, st := range o.Seats {
				rows[rowOf[st.SeatID]] = true
			}
			if len(rows) != 1 {
				t.Errorf("winner %s's party is split over rows %v", a.Ref, rows)
			}
		}
	}
	if c, err := second.Assign(ctx, f.Manager, p.ID); err != nil || c != (presale.AssignCounts{}) {
		t.Fatalf("assigning again: %+v %v", c, err)
	}
	if _, err := msgs.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	issued := 0
	for _, m := range sims[messages.SMS].Sent() {
		if m.Template == "tickets.issued" {
			issued++
		}
	}
	if issued != winners {
		t.Fatalf("%d winners told of their tickets, want %d", issued, winners)
	}
}

func isKind(err error, k sales.Kind) bool {
	var e *sales.Error
	return errors.As(err, &e) && e.Kind == k
}

func isCode(err error, code string) bool {
	var e *sales.Error
	return errors.As(err, &e) && e.Code == code
}

// testPresaleChoice: a presale with a seat choice window: once settled,
// each winner is texted a link; through it the winner picks exactly their
// seats of the level (a wrong token, another level, a wrong count or a
// taken seat change nothing); Assign waits for the window; after it the
// sweep assigns the winners who did not choose.
func testPresaleChoice(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ps := f.Store.(interface{ Presales() presale.Store })
	sim := payment.NewSimulator()
	svc := presale.New(ps.Presales(), f.Svc, sim, f.Clock.Now, nil)
	msgs, sims := messageService(t, f)
	svc.Notify, svc.ShopURL = presale.BySMS(msgs), "https://tickets.example/shop/"

	start := Tomorrow(f.Clock, 19, 30).AddDate(0, 0, 6)
	ss, tiers := f.AddSession(t, f.Hall.ID, start, 8000)
	closes := f.Clock.Now().Add(24 * time.Hour)
	tooSoon := closes.Add(time.Minute)
	in := presale.NewPresale{SessionID: ss.ID, TierID: tiers[0].ID, Name: "Derby", Tickets: 6, PerPerson: 2,
		OpensAt: f.Clock.Now().Add(-time.Minute), ClosesAt: closes, ChoiceUntil: &tooSoon}
	if _, err := svc.Create(ctx, f.Manager, in); !isKind(err, sales.KindInvalid) {
		t.Fatalf("a choice window of a minute: %v", err)
	}
	until := closes.Add(48 * time.Hour)
	in.ChoiceUntil = &until
	// A presale for the shop's accounts alone refuses the public page.
	shopOnly := in
	shopOnly.Channels = []string{presale.ChannelShop}
	so, err := svc.Create(ctx, f.Manager, shopOnly)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Apply(ctx, so.ID, presale.ApplyRequest{Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: ResidentID(399), Name: "李雷"},
		Quantity: 1, CardToken: payment.TokenApprove}); !isCode(err, "presale_channel") || sim.Held() != 0 {
		t.Fatalf("the public page of a shop-only presale: %v, %d held", err, sim.Held())
	}
	p, err := svc.Create(ctx, f.Manager, in)
	if err != nil || p.ChoiceUntil == nil || !p.ChoiceUntil.Equal(until) {
		t.Fatalf("created %+v %v", p.ChoiceUntil, err)
	}
	for i := range 3 { // three people, two tickets each: all win
		if _, err := svc.Apply(ctx, p.ID, presale.ApplyRequest{Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: ResidentID(300 + i), Name: "李雷"},
			Quantity: 2, CardToken: payment.TokenApprove, Phone: fmt.Sprintf("1380000%04d", i), Lang: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	f.Clock.Advance(25 * time.Hour)
	if _, err := svc.Lock(ctx, f.Manager, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Draw(ctx, f.Manager, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.SettleAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Assign(ctx, f.Manager, p.ID); !isCode(err, "presale_state") {
		t.Fatalf("assigning while winners choose: %v", err)
	}
	if _, err := msgs.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{} // ref -> link
	for _, m := range sims[messages.SMS].Sent() {
		if m.Template == "presale.choose" {
			i := strings.Index(m.Body, "https://tickets.example/shop/#/presale/")
			if i < 0 || !strings.Contains(m.Body, "2 tickets") {
				t.Fatalf("a choice message reads %q", m.Body)
			}
			parts := strings.Split(strings.TrimSpace(m.Body[i:]), "/")
			links[parts[len(parts)-2]] = parts[len(parts)-1]
		}
	}
	if len(links) != 3 {
		t.Fatalf("%d winners were texted a link, want 3", len(links))
	}
	var refs []string
	for ref := range links {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	ref, token := refs[0], links[refs[0]]
	wrong := token[:31] + map[bool]string{true: "1", false: "0"}[token[31] == '0'] // another last digit
	if _, err := svc.ChoiceView(ctx, p.ID, ref, wrong); !isKind(err, sales.KindNotFound) {
		t.Fatalf("a wrong token: %v", err)
	}
	if _, err := svc.ChoiceView(ctx, p.ID, refs[1], token); !isKind(err, sales.KindNotFound) {
		t.Fatalf("one winner's token for another: %v", err)
	}
	view, err := svc.ChoiceView(ctx, p.ID, ref, token)
	if err != nil || !view.Open || view.Quantity != 2 || len(view.Seats) == 0 || view.Issued != nil {
		t.Fatalf("the view %+v %v", view, err)
	}
	var free []int64
	for _, s := range view.Seats {
		if s.Free {
			free = append(free, s.ID)
		}
	}
	other := f.SeatID(t, ss.ID, "A-1") // sold below, before the pick
	f.Session = ss
	f.Buy(t, f.Clerk, "A-1")
	for name, c := range map[string]struct {
		pick []int64
		code string
	}{"one seat": {free[len(free)-1:], "invalid_seats"}, "the same seat twice": {[]int64{free[5], free[5]}, "invalid_seats"},
		"a sold seat": {[]int64{other, free[5]}, "seat_taken"}} {
		if _, err := svc.Choose(ctx, p.ID, ref, token, c.pick); !isCode(err, c.code) {
			t.Fatalf("%s: %v, want %s", name, err, c.code)
		}
	}
	pick := []int64{free[len(free)-1], free[len(free)-2]}
	got, err := svc.Choose(ctx, p.ID, ref, token, pick)
	if err != nil || got.Issued == nil || len(got.Issued.Seats) != 2 || got.Issued.PickupCode == "" || got.Open {
		t.Fatalf("chose %+v %v", got, err)
	}
	if _, err := svc.Choose(ctx, p.ID, ref, token, pick); !isCode(err, "presale_state") {
		t.Fatalf("choosing twice: %v", err)
	}
	// The window ends: the sweep assigns the two who did not choose.
	f.Clock.Advance(until.Sub(f.Clock.Now()) + time.Minute)
	if _, err := svc.Choose(ctx, p.ID, refs[1], links[refs[1]], free[:2]); !isCode(err, "presale_state") {
		t.Fatalf("choosing after the window: %v", err)
	}
	if err := svc.AssignDue(ctx); err != nil {
		t.Fatal(err)
	}
	apps, err := ps.Presales().Applications(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if a.State != presale.Issued {
			t.Fatalf("after the window %s is %s", a.Ref, a.State)
		}
		o, err := f.Svc.GetOrder(ctx, f.Manager, a.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Ref == ref && !(o.Seats[0].SeatID == pick[0] || o.Seats[0].SeatID == pick[1]) {
			t.Fatalf("the chooser's order holds %+v, not the seats picked", o.Seats)
		}
	}
}
