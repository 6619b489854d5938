package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/ticket"
)

// cardService is a second service on the fixture's store whose card
// payments go to prov, with a short wait for the provider.
func cardService(t *testing.T, f *Fixture, prov sales.PaymentProvider, timeout time.Duration) *sales.Service {
	t.Helper()
	cfg := Config(f.Clock)
	cfg.Payments = prov
	cfg.PaymentTimeout = timeout
	svc, err := sales.New(ctx, f.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// pendingOrder holds the labelled seats and confirms them into an order.
func pendingOrder(t *testing.T, f *Fixture, svc *sales.Service, labels ...string) sales.Order {
	t.Helper()
	h, err := svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelWeb, SeatIDs: f.SeatIDs(t, labels...)})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func validTickets(t *testing.T, f *Fixture, orderID int64) int {
	t.Helper()
	ts, err := f.Store.OrderTickets(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

// testCardDeclineThenAnotherCard: a declined card, then another card on
// the same order, pays it (it used to answer "idempotency key reused").
func testCardDeclineThenAnotherCard(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	sim := payment.NewSimulator()
	svc := cardService(t, f, sim, time.Second)
	o := pendingOrder(t, f, svc, "D-1", "D-2")
	_, err := svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenDecline})
	WantError(t, err, sales.KindPayment, "payment_declined")
	// The same card again, as the same attempt, is the same decline.
	_, err = svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenDecline})
	WantError(t, err, sales.KindPayment, "payment_declined")
	paid, err := svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenApprove})
	if err != nil {
		t.Fatalf("another card after a decline: %v", err)
	}
	if paid.Status != sales.OrderPaid || len(paid.Tickets) != 2 || sim.Charges() != 1 {
		t.Fatalf("order %s with %d tickets, %d charges; want paid, 2, 1", paid.Status, len(paid.Tickets), sim.Charges())
	}
	// A client's own keys: the same card tried again under a new key.
	o = pendingOrder(t, f, svc, "D-3")
	_, err = svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenInsufficient, IdempotencyKey: "try-1"})
	WantError(t, err, sales.KindPayment, "payment_declined")
	if _, err := svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenApprove, IdempotencyKey: "try-2"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"has space", "a/b", string(make([]byte, 65))} {
		_, err = svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenApprove, IdempotencyKey: bad})
		WantError(t, err, sales.KindInvalid, "invalid_payment")
	}
	if sim.Charges() != 2 {
		t.Fatalf("%d charges stand, want 2", sim.Charges())
	}
}

// testCardTimeoutRetriedOnce: the provider charges but answers too late;
// the client retries the same attempt and the order is paid with one
// charge; the same attempt once more is told of the paid order.
func testCardTimeoutRetriedOnce(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	sim := payment.NewSimulator()
	sim.SlowDelay = 300 * time.Millisecond // the acquirer's pace, longer than the cloud waits
	svc := cardService(t, f, sim, 50*time.Millisecond)
	o := pendingOrder(t, f, svc, "E-1", "E-2")
	in := sales.PaymentRequest{Method: "card", CardToken: payment.TokenSlow, IdempotencyKey: "pos-7-attempt-1"}
	_, err := svc.PayOrder(ctx, f.Clerk, o.ID, in)
	WantError(t, err, sales.KindPayment, "payment_timeout")
	if validTickets(t, f, o.ID) != 0 {
		t.Fatal("tickets issued for a payment the client was told timed out")
	}
	// The retry waits for the charge in flight (longer than the cloud's
	// wait, so it may time out again; it is retried until answered).
	paid := untilAnswered(t, func() (sales.Order, error) { return svc.PayOrder(ctx, f.Clerk, o.ID, in) })
	if paid.Status != sales.OrderPaid || len(paid.Tickets) != 2 || sim.Charges() != 1 {
		t.Fatalf("order %s with %d tickets after %d charges; want paid, 2, 1", paid.Status, len(paid.Tickets), sim.Charges())
	}
	again, err := svc.PayOrder(ctx, f.Clerk, o.ID, in)
	if err != nil {
		t.Fatalf("the same attempt after the order was paid: %v", err)
	}
	if again.ID != paid.ID || len(again.Tickets) != 2 || again.Tickets[0].Number != paid.Tickets[0].Number || sim.Charges() != 1 {
		t.Fatalf("the same attempt again answered %+v, %d charges", again, sim.Charges())
	}
	// Another attempt on a paid order is refused and charges nothing.
	_, err = svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: payment.TokenApprove, IdempotencyKey: "pos-7-attempt-2"})
	WantError(t, err, sales.KindConflict, "order_not_pending")
	if sim.Charges() != 1 || validTickets(t, f, o.ID) != 2 {
		t.Fatalf("%d charges, %d tickets after a second attempt on a paid order", sim.Charges(), validTickets(t, f, o.ID))
	}
}

// untilAnswered repeats a card attempt whose provider answers later than
// the cloud waits, as a client does, until it is answered.
func untilAnswered(t *testing.T, attempt func() (sales.Order, error)) sales.Order {
	t.Helper()
	for try := 0; ; try++ {
		o, err := attempt()
		if err == nil {
			return o
		}
		WantError(t, err, sales.KindPayment, "payment_timeout")
		if try == 20 {
			t.Fatal("the charge never answered")
		}
	}
}

// atOnce runs two attempts concurrently and returns their answers.
func atOnce(attempt func(i int) (sales.Order, error)) ([2]sales.Order, [2]error) {
	var orders [2]sales.Order
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { orders[i], errs[i] = attempt(i) })
	}
	wg.Wait()
	return orders, errs
}

// oneWon checks that exactly one of two racing attempts succeeded and the
// other was refused with code.
func oneWon(t *testing.T, errs [2]error, code string) {
	t.Helper()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		WantError(t, err, sales.KindConflict, code)
	}
	if won != 1 {
		t.Fatalf("%d of two racing cards won: %v", won, errs)
	}
}

// bothApproved lets two charges through only once both are approved, so
// two cards race to pay one order deterministically.
type bothApproved struct {
	*payment.Simulator
	mu      sync.Mutex
	waiting int
	both    chan struct{}
}

func (b *bothApproved) Charge(ctx context.Context, r payment.Request) (payment.Result, error) {
	res, err := b.Simulator.Charge(ctx, r)
	b.mu.Lock()
	b.waiting++
	if b.waiting == 2 {
		close(b.both)
	}
	b.mu.Unlock()
	select {
	case <-b.both:
	case <-ctx.Done():
		return payment.Result{}, ctx.Err()
	}
	return res, err
}

// testTwoCardsRaceOneOrder: two cards pay one order at once; both are
// approved by the provider; one pays the order, the other is voided.
func testTwoCardsRaceOneOrder(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	prov := &bothApproved{Simulator: payment.NewSimulator(), both: make(chan struct{})}
	svc := cardService(t, f, prov, 5*time.Second)
	o := pendingOrder(t, f, svc, "F-1", "F-2")
	cards := []string{"tok_visa_1", "tok_master_2"}
	_, errs := atOnce(func(i int) (sales.Order, error) {
		return svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "card", CardToken: cards[i]})
	})
	oneWon(t, errs, "order_not_pending")
	if prov.Charges() != 1 || prov.Voids() != 1 {
		t.Fatalf("%d charges stand and %d were voided; want 1 and 1", prov.Charges(), prov.Voids())
	}
	if n := validTickets(t, f, o.ID); n != 2 {
		t.Fatalf("the order has %d tickets, want 2", n)
	}
}

// testCashSaleInOneStep: the box office confirms and pays cash in one
// request, one transaction: the order is created paid with its signed
// tickets, or not at all; cash only at the box office.
func testCashSaleInOneStep(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	cash := &sales.PaymentRequest{Method: "cash"}
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "F-1", "F-2")
	feedBefore, err := f.Svc.FeedHead(ctx, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: cash})
	if err != nil {
		t.Fatalf("cash sale in one step: %v", err)
	}
	if o.Status != sales.OrderPaid || o.PaymentMethod != "cash" || o.PaidAt == nil || len(o.Tickets) != 2 {
		t.Fatalf("one-step sale answered %s by %q with %d tickets; want paid by cash with 2", o.Status, o.PaymentMethod, len(o.Tickets))
	}
	got, err := f.Svc.GetOrder(ctx, f.Clerk, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sales.OrderPaid || len(got.Tickets) != 2 || validTickets(t, f, o.ID) != 2 {
		t.Fatalf("stored order %s with %d tickets", got.Status, len(got.Tickets))
	}
	keys := publicKeys(t, f)
	for _, tk := range got.Tickets {
		if _, _, err := ticket.Verify(tk.QR, keys); err != nil || tk.OrderID != o.ID {
			t.Fatalf("ticket %s of order %d: %v", tk.Number, tk.OrderID, err)
		}
	}
	if s := f.SessionSeat(t, "F-1"); s.Status != "sold" {
		t.Fatalf("F-1 is %s after the sale", s.Status)
	}
	if head, _ := f.Svc.FeedHead(ctx, f.Venue.ID); head != feedBefore+2 {
		t.Fatalf("the feed moved from %d to %d; want one event per ticket", feedBefore, head)
	}
	// The hold was used: a second one-step sale of it changes nothing.
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: cash})
	if err == nil {
		t.Fatal("a used hold was sold again")
	}

	// Another method, or cash outside the box office, is refused before anything happens.
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "F-3")
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cheque"}})
	WantError(t, err, sales.KindInvalid, "invalid_order")
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash", IdempotencyKey: "no spaces"}})
	WantError(t, err, sales.KindInvalid, "invalid_payment")
	web := f.Hold(t, f.Clerk, sales.ChannelWeb, "F-4")
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: web.ID, Payment: cash})
	WantError(t, err, sales.KindInvalid, "invalid_order")
	if s := f.SessionSeat(t, "F-3"); s.Status != "held" {
		t.Fatalf("a refused one-step sale left F-3 %s", s.Status)
	}
	orders, err := f.Svc.FindOrders(ctx, f.Clerk, sales.OrderFilter{SessionID: f.Session.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 {
		t.Fatalf("%d orders after one sale and three refusals", len(orders))
	}

	// A hold that lapsed meanwhile: no order, no tickets, no serials issued to anyone.
	f.Clock.Advance(time.Hour)
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: cash})
	if err == nil {
		t.Fatal("a lapsed hold was sold")
	}
	if orders, _ = f.Svc.FindOrders(ctx, f.Clerk, sales.OrderFilter{SessionID: f.Session.ID, Limit: 10}); len(orders) != 1 {
		t.Fatalf("%d orders after a lapsed one-step sale", len(orders))
	}
}

// downRefunds is a simulator whose refunds fail while down is set.
type downRefunds struct {
	*payment.Simulator
	mu   sync.Mutex
	down bool
}

func (d *downRefunds) setDown(v bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = v
}

func (d *downRefunds) Refund(ctx context.Context, charge, key string, amount int64) error {
	d.mu.Lock()
	down := d.down
	d.mu.Unlock()
	if down {
		return payment.ErrTimeout
	}
	return d.Simulator.Refund(ctx, charge, key, amount)
}

// testRefundsPayBack: an approved refund of a card order goes back to the
// card once; a cash refund is handed back at approval; a provider that
// does not answer leaves the refund approved and its money to go back,
// which the next pass sends, once.
func testRefundsPayBack(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	prov := &downRefunds{Simulator: payment.NewSimulator()}
	svc := cardService(t, f, prov, time.Second)
	paid := func(method string, labels ...string) sales.Order {
		t.Helper()
		o := pendingOrder(t, f, svc, labels...)
		o, err := svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: method, CardToken: payment.TokenApprove})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetOrder(ctx, f.Manager, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	refund := func(o sales.Order) sales.RefundRequest {
		t.Helper()
		r, err := svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "cannot come"})
		if err != nil {
			t.Fatal(err)
		}
		if r, err = svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		return r
	}
	card := paid("card", "F-1", "F-2")
	if r := refund(card); r.PaidBackAt == nil || prov.Refunded(card.PaymentKey) != card.TotalCents {
		t.Fatalf("a card refund: paid back %v, %d of %d given back", r.PaidBackAt, prov.Refunded(card.PaymentKey), card.TotalCents)
	}
	cash := f.Buy(t, f.Clerk, "F-3") // cash, at the box office
	if r := refund(cash); r.PaidBackAt == nil {
		t.Fatal("a cash refund is not marked handed back")
	}
	late := paid("card", "F-4")
	prov.setDown(true)
	r := refund(late)
	if r.Status != sales.RefundApproved || r.PaidBackAt != nil || prov.Refunded(late.PaymentKey) != 0 {
		t.Fatalf("with the provider down: %s, paid back %v", r.Status, r.PaidBackAt)
	}
	if n, err := svc.PayBackRefunds(ctx); err == nil || n != 0 {
		t.Fatalf("a pass with the provider down: %d %v", n, err)
	}
	prov.setDown(false)
	for i, want := range []int{1, 0} {
		if n, err := svc.PayBackRefunds(ctx); err != nil || n != want {
			t.Fatalf("pass %d: %d paid back, %v; want %d", i+1, n, err, want)
		}
	}
	if got := prov.Refunded(late.PaymentKey); got != late.TotalCents {
		t.Fatalf("the late refund gave back %d of %d", got, late.TotalCents)
	}
	if got, _ := svc.GetRefund(ctx, f.Manager, r.ID); got.PaidBackAt == nil {
		t.Fatal("the late refund is not marked paid back")
	}
}

// countedCharges counts the charges asked of the provider, answered or not.
type countedCharges struct {
	*payment.Simulator
	calls atomic.Int32
}

func (c *countedCharges) Charge(ctx context.Context, r payment.Request) (payment.Result, error) {
	c.calls.Add(1)
	return c.Simulator.Charge(ctx, r)
}

// testCardWithTheOrder: a card paid with the order (a card terminal at the
// box office) makes the order paid in one transaction; its attempts are
// keyed within the hold as a card on an order is within the order: a
// decline leaves the hold to pay with another card, a resent attempt is
// charged once and answered with the order it made, two cards racing for
// one hold leave one charge and one void, and nothing is charged for a
// hold that can no longer be confirmed.
func testCardWithTheOrder(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	sim := &countedCharges{Simulator: payment.NewSimulator()}
	svc := cardService(t, f, sim, time.Second)
	card := func(token, key string) *sales.PaymentRequest {
		return &sales.PaymentRequest{Method: "card", CardToken: token, IdempotencyKey: key}
	}
	// Held by the same service, which keeps the holds it made.
	h, err := svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "G-1", "G-2")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenDecline, "")})
	WantError(t, err, sales.KindPayment, "payment_declined")
	if s := f.SessionSeat(t, "G-1"); s.Status != "held" {
		t.Fatalf("a declined card left G-1 %s", s.Status)
	}
	o, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "")})
	if err != nil {
		t.Fatalf("another card after a decline: %v", err)
	}
	if o.Status != sales.OrderPaid || o.PaymentMethod != "card" || o.PaymentRef == "" || len(o.Tickets) != 2 || validTickets(t, f, o.ID) != 2 || sim.Charges() != 1 {
		t.Fatalf("order %s by %q ref %q with %d tickets, %d charges; want paid by card, 2 tickets, 1 charge",
			o.Status, o.PaymentMethod, o.PaymentRef, len(o.Tickets), sim.Charges())
	}
	if s := f.SessionSeat(t, "G-2"); s.Status != "sold" {
		t.Fatalf("G-2 is %s after the sale", s.Status)
	}
	// The same attempt again is told of its order, without asking the
	// provider; another attempt is refused.
	asked := sim.calls.Load()
	again, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "")})
	if err != nil || again.ID != o.ID || len(again.Tickets) != 2 || again.Tickets[0].Number != o.Tickets[0].Number {
		t.Fatalf("the same attempt again answered order %d with %d tickets (%v); want order %d", again.ID, len(again.Tickets), err, o.ID)
	}
	if n := sim.calls.Load() - asked; n != 0 {
		t.Fatalf("the same attempt on a confirmed hold went to the provider %d times", n)
	}
	_, err = svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "another")})
	WantError(t, err, sales.KindConflict, "hold_not_active")
	if sim.Charges() != 1 || sim.Voids() != 0 {
		t.Fatalf("%d charges stand, %d voided after resends; want 1 and 0", sim.Charges(), sim.Voids())
	}

	// A provider that answers too late: the retried attempt charges once.
	slow := payment.NewSimulator()
	slow.SlowDelay = 300 * time.Millisecond
	ssvc := cardService(t, f, slow, 50*time.Millisecond)
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "G-3")
	in := sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenSlow, "pos-2-attempt-1")}
	_, err = ssvc.ConfirmOrder(ctx, f.Clerk, in)
	WantError(t, err, sales.KindPayment, "payment_timeout")
	if s := f.SessionSeat(t, "G-3"); s.Status != "held" {
		t.Fatalf("a timed-out card left G-3 %s", s.Status)
	}
	paid := untilAnswered(t, func() (sales.Order, error) { return ssvc.ConfirmOrder(ctx, f.Clerk, in) })
	if paid.Status != sales.OrderPaid || len(paid.Tickets) != 1 || slow.Charges() != 1 {
		t.Fatalf("order %s with %d tickets after %d charges; want paid, 1, 1", paid.Status, len(paid.Tickets), slow.Charges())
	}

	// Two cards race for one hold: one order, one charge, one void.
	prov := &bothApproved{Simulator: payment.NewSimulator(), both: make(chan struct{})}
	rsvc := cardService(t, f, prov, 5*time.Second)
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "G-4", "G-5")
	cards := []string{"tok_visa_1", "tok_master_2"}
	_, errs := atOnce(func(i int) (sales.Order, error) {
		return rsvc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(cards[i], "")})
	})
	oneWon(t, errs, "hold_not_active")
	if prov.Charges() != 1 || prov.Voids() != 1 {
		t.Fatalf("two cards raced for one hold: %d charges stand, %d voided; want 1 and 1", prov.Charges(), prov.Voids())
	}

	// The same attempt sent twice at once (a resend racing the first
	// request): both are answered with the one order, and its charge stands.
	prov = &bothApproved{Simulator: payment.NewSimulator(), both: make(chan struct{})}
	rsvc = cardService(t, f, prov, 5*time.Second)
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "G-8")
	orders, errs := atOnce(func(int) (sales.Order, error) {
		return rsvc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "pos-3-attempt-1")})
	})
	if errs[0] != nil || errs[1] != nil || orders[0].ID != orders[1].ID || orders[0].Status != sales.OrderPaid {
		t.Fatalf("one attempt sent twice at once answered orders %d and %d (%v)", orders[0].ID, orders[1].ID, errs)
	}
	if prov.Charges() != 1 || prov.Voids() != 0 {
		t.Fatalf("one attempt sent twice: %d charges stand, %d voided; want 1 and 0", prov.Charges(), prov.Voids())
	}

	// A hold released, or lapsed, is not charged for.
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "G-6")
	if _, err := svc.ReleaseHold(ctx, f.Clerk, h.ID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "")})
	WantError(t, err, sales.KindConflict, "hold_not_active")
	h = f.Hold(t, f.Clerk, sales.ChannelPOS, "G-7")
	f.Clock.Advance(time.Hour)
	_, err = svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "")})
	WantError(t, err, sales.KindConflict, "hold_expired")
	// A malformed key is refused before anything is charged.
	_, err = svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card(payment.TokenApprove, "no spaces")})
	WantError(t, err, sales.KindInvalid, "invalid_payment")
	if sim.Charges() != 1 || sim.Voids() != 0 {
		t.Fatalf("%d charges stand, %d voided after refusals; want 1 and 0", sim.Charges(), sim.Voids())
	}
}

// droppedOnce is a store whose next write of tickets fails, once armed,
// as a connection dropped mid-transaction does: the transaction is
// rolled back and the caller hears an error.
type droppedOnce struct {
	sales.Store
	armed atomic.Bool
}

func (d *droppedOnce) Update(ctx context.Context, fn func(tx sales.Tx) error) error {
	return d.Store.Update(ctx, func(tx sales.Tx) error { return fn(droppingTx{Tx: tx, d: d}) })
}

type droppingTx struct {
	sales.Tx
	d *droppedOnce
}

func (t droppingTx) InsertTickets(ctx context.Context, ts []sales.Ticket) error {
	if t.d.armed.CompareAndSwap(true, false) {
		return errors.New("storetest: the connection dropped")
	}
	return t.Tx.InsertTickets(ctx, ts)
}

// testVoidedAttemptNeverPays: a card is charged, the transaction that
// would issue the tickets fails for a passing reason, and the charge is
// voided. The provider answers that attempt's key, sent again, as it
// first did (approved), as acquirers do; the attempt must still pay
// nothing, on an order or with one, and a new attempt pays.
func testVoidedAttemptNeverPays(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	st := &droppedOnce{Store: f.Store}
	sim := payment.NewSimulator()
	cfg := Config(f.Clock)
	cfg.Payments = sim
	svc, err := sales.New(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	card := func(key string) *sales.PaymentRequest {
		return &sales.PaymentRequest{Method: "card", CardToken: payment.TokenApprove, IdempotencyKey: key}
	}

	// A card paid with the order.
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "H-11", "H-12")
	st.armed.Store(true)
	if _, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card("pos-9-1")}); err == nil {
		t.Fatal("a sale whose transaction failed was answered as made")
	}
	if sim.Charges() != 0 || sim.Voids() != 1 {
		t.Fatalf("after the failed sale %d charges stand and %d were voided; want 0 and 1", sim.Charges(), sim.Voids())
	}
	_, err = svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card("pos-9-1")})
	WantError(t, err, sales.KindPayment, "payment_voided")
	if s := f.SessionSeat(t, "H-11"); s.Status != "held" {
		t.Fatalf("the voided attempt, sent again, left H-11 %s", s.Status)
	}
	o, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: card("pos-9-2")})
	if err != nil || o.Status != sales.OrderPaid || len(o.Tickets) != 2 || sim.Charges() != 1 {
		t.Fatalf("a new attempt after the void: order %s with %d tickets (%v), %d charges; want paid, 2, 1", o.Status, len(o.Tickets), err, sim.Charges())
	}

	// A card on an order awaiting payment.
	o = pendingOrder(t, f, svc, "H-13")
	st.armed.Store(true)
	if _, err := svc.PayOrder(ctx, f.Clerk, o.ID, *card("web-9-1")); err == nil {
		t.Fatal("a payment whose transaction failed was answered as made")
	}
	_, err = svc.PayOrder(ctx, f.Clerk, o.ID, *card("web-9-1"))
	WantError(t, err, sales.KindPayment, "payment_voided")
	if got, err := f.Store.GetOrder(ctx, o.TenantID, o.ID); err != nil || got.Status != sales.OrderPending {
		t.Fatalf("the voided attempt, sent again, left the order %s (%v)", got.Status, err)
	}
	paid, err := svc.PayOrder(ctx, f.Clerk, o.ID, *card("web-9-2"))
	if err != nil || paid.Status != sales.OrderPaid || validTickets(t, f, o.ID) != 1 || sim.Charges() != 2 || sim.Voids() != 2 {
		t.Fatalf("a new attempt after the void: order %s (%v), %d charges, %d voids; want paid, 2, 2", paid.Status, err, sim.Charges(), sim.Voids())
	}
}
