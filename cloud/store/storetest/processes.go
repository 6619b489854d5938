package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	wire "github.com/admitbox/admit/sync"
)

// OpenTwo returns two stores on one fresh, empty, migrated database, as
// two cloud processes would open it (their own connections, caches and
// committers).
type OpenTwo func(t *testing.T) (sales.Store, sales.Store)

// RunProcesses runs the capabilities that need several cloud processes
// on one store.
func RunProcesses(t *testing.T, open OpenTwo) {
	for _, c := range []struct {
		name string
		test func(*testing.T, OpenTwo)
	}{
		{"a sale by one process reaches the other's seat map, in order", testTwoProcessesOnOneFileSeeEachOthersSales},
		{"a best-available buyer beaten by another process picks other seats", testABestAvailableBuyerBeatenByAnotherProcessPicksOtherSeats},
		{"a key rotated by one process reaches the other in bounded time", testAKeyRotatedByOneProcessReachesAnotherInBoundedTime},
		{"a hold released by another process is not confirmed", testAHoldReleasedByAnotherProcessIsNotConfirmed},
		{"a user disabled by one process is refused by the other within the bound", testAUserDisabledByOneProcessIsRefusedByAnotherWithinTheBound},
		{"processes selling one session at once: no seat twice, feed, serials and audit intact", testProcessesSellAtOnce},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, open) })
	}
}

// twoProcesses is the fixture on one store and a second sales service,
// as another cloud process, on the other store of the same database.
func twoProcesses(t *testing.T, open OpenTwo) (*Fixture, *sales.Service) {
	t.Helper()
	a, b := open(t)
	f := NewFixture(t, a)
	other, err := sales.New(ctx, b, Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	return f, other
}

// SeatStatus is the status of the session's seat with label.
func SeatStatus(t *testing.T, st sales.Store, sessionID int64, label string) sales.SeatStatus {
	t.Helper()
	seats, err := st.SessionSeats(ctx, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seats {
		if s.Label == label {
			return s.Status
		}
	}
	t.Fatalf("no seat %s", label)
	return ""
}

// testTwoProcessesOnOneFileSeeEachOthersSales stands two cloud processes
// on one database file (two stores, two services): a sale by one reaches
// the other's live seat map when it reads the change log, and a sale by
// the other applies in order after what it had not seen yet.
func testTwoProcessesOnOneFileSeeEachOthersSales(t *testing.T, open OpenTwo) {
	f, other := twoProcesses(t, open)
	seat := func(svc *sales.Service, i int) byte {
		t.Helper()
		b, err := svc.AvailabilityJSON(ctx, f.Clerk, f.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		return DecodeAvailability(t, b).Seats[i]
	}
	if seat(other, 0) != 'A' { // the other process has the map loaded
		t.Fatal("seat A-1 is not available to begin with")
	}
	f.Buy(t, f.Clerk, "A-1")
	if got := seat(other, 0); got != 'A' {
		t.Fatalf("the other process saw the sale before reading the log: %c", got)
	}
	if err := other.CatchUpSeatMaps(ctx); err != nil {
		t.Fatal(err)
	}
	if got := seat(other, 0); got != 'S' {
		t.Fatalf("after reading the log the other process shows A-1 as %c, want S", got)
	}
	// A sale here, then one there: the second process applies the first
	// one's sale (read from the log) before its own.
	f.Buy(t, f.Clerk, "A-2")
	h, err := other.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "A-3")})
	if err != nil {
		t.Fatal(err)
	}
	if got := string([]byte{seat(other, 0), seat(other, 1), seat(other, 2)}); got != "SSH" {
		t.Fatalf("the other process shows %s, want SSH", got)
	}
	if len(h.Seats) != 1 {
		t.Fatalf("hold %+v", h)
	}
}

// testABestAvailableBuyerBeatenByAnotherProcessPicksOtherSeats: this
// process's map has not yet heard that another process took the best
// seats; the buyer's hold loses, and the next pick skips the seats lost.
func testABestAvailableBuyerBeatenByAnotherProcessPicksOtherSeats(t *testing.T, open OpenTwo) {
	f, other := twoProcesses(t, open)
	if _, err := f.Svc.AvailabilityJSON(ctx, f.Clerk, f.Session.ID); err != nil { // this process's map is loaded
		t.Fatal(err)
	}
	theirs, err := other.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 2})
	if err != nil {
		t.Fatalf("the buyer beaten to the best pair by another process: %v", err)
	}
	for _, a := range theirs.Seats {
		for _, b := range ours.Seats {
			if a.SeatID == b.SeatID {
				t.Fatalf("seat %s held by both processes", a.Label)
			}
		}
	}
}

// testAKeyRotatedByOneProcessReachesAnotherInBoundedTime: one cloud
// process rotates the tenant's signing key and revokes the old one; the
// other process, which had the keys cached, refuses tickets signed with
// the revoked key and signs with the new one within the keys' cache TTL.
func testAKeyRotatedByOneProcessReachesAnotherInBoundedTime(t *testing.T, open OpenTwo) {
	f, other := twoProcesses(t, open)
	o := f.Buy(t, f.Clerk, "A-1")
	if chk, err := other.VerifyTicket(ctx, f.TenantAdmin, o.Tickets[0].QR); err != nil || !chk.Valid {
		t.Fatalf("the ticket at the other process: %+v %v", chk, err)
	}
	old := o.Tickets[0].KeyID
	fresh, err := f.Svc.RotateKey(ctx, f.TenantAdmin, f.Tenant.ID, "drill")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Svc.RevokeKey(ctx, f.TenantAdmin, f.Tenant.ID, old, "leaked"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second) // the bound is a second; this only ends a broken test
	for {
		chk, err := other.VerifyTicket(ctx, f.TenantAdmin, o.Tickets[0].QR)
		if err != nil {
			t.Fatal(err)
		}
		if !chk.Valid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process still accepts a ticket signed with the revoked key")
		}
		time.Sleep(50 * time.Millisecond)
	}
	h, err := other.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: f.SeatIDs(t, "A-2")})
	if err != nil {
		t.Fatal(err)
	}
	o2, err := other.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	if err != nil {
		t.Fatal(err)
	}
	if o2.Tickets[0].KeyID != fresh.ID {
		t.Fatalf("the other process signed with key %d, the active one is %d", o2.Tickets[0].KeyID, fresh.ID)
	}
}

// testAHoldReleasedByAnotherProcessIsNotConfirmed: a hold one process
// made and another released is not confirmed by the first, and the buyer
// is told why.
func testAHoldReleasedByAnotherProcessIsNotConfirmed(t *testing.T, open OpenTwo) {
	f, other := twoProcesses(t, open)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1")
	if _, err := other.ReleaseHold(ctx, f.Clerk, h.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	if !sales.IsKind(err, sales.KindConflict) {
		t.Fatalf("confirming a hold released elsewhere: %v", err)
	}
	if st := SeatStatus(t, f.Store, f.Session.ID, "A-1"); st != sales.SeatAvailable {
		t.Fatalf("seat A-1 is %s", st)
	}
}

// testAUserDisabledByOneProcessIsRefusedByAnotherWithinTheBound: a clerk
// logged in, known to a second process; disabled by the first, the clerk
// is refused by the second once the principal cache's bound has passed
// (the README states it), and at once by the first.
func testAUserDisabledByOneProcessIsRefusedByAnotherWithinTheBound(t *testing.T, open OpenTwo) {
	f, other := twoProcesses(t, open)
	login, err := f.Svc.Login(ctx, "a-clerk", Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, login.Token); err != nil {
		t.Fatalf("the other process refuses a good token: %v", err)
	}
	off := true
	if _, err := f.Svc.UpdateUser(ctx, f.TenantAdmin, f.Clerk.UserID, sales.UserPatch{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.Authenticate(ctx, login.Token); err == nil {
		t.Fatal("the process that disabled the clerk still lets them in")
	}
	f.Clock.Advance(6 * time.Second) // past the 5 s bound
	if _, err := other.Authenticate(ctx, login.Token); err == nil {
		t.Fatal("the other process lets a disabled clerk in past the bound")
	}
}

// testProcessesSellAtOnce: buyers at two processes race for one session's
// seats, best available, until it sells out, while probes make the
// processes' group commits roll jobs back. No seat is sold twice, every
// sale a buyer was told about is there, ticket numbers are unique, the
// venue feed is numbered without a gap in the order the processes
// committed, and the audit chain is whole.
func testProcessesSellAtOnce(t *testing.T, open OpenTwo) {
	f, other := twoProcesses(t, open)
	seats, err := f.Store.SessionSeats(ctx, f.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	const buyersEach = 8
	type sale struct {
		order sales.Order
		err   error
	}
	sold := make(chan sale, 2*buyersEach*len(seats))
	var wg sync.WaitGroup
	for _, svc := range []*sales.Service{f.Svc, other} {
		for range buyersEach {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					h, err := svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, Count: 2})
					if sales.IsKind(err, sales.KindConflict) {
						return // sold out
					}
					if err != nil {
						sold <- sale{err: err}
						return
					}
					o, err := svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
					sold <- sale{order: o, err: err}
				}
			}()
		}
	}
	wg.Wait()
	close(sold)
	seatOf := map[int64]int64{} // seat -> order
	numbers := map[string]bool{}
	tickets := 0
	for s := range sold {
		if s.err != nil {
			t.Errorf("a sale failed: %v", s.err)
			continue
		}
		for _, tk := range s.order.Tickets {
			if o, ok := seatOf[tk.SeatID]; ok {
				t.Fatalf("seat %s sold to orders %d and %d", tk.SeatLabel, o, s.order.ID)
			}
			seatOf[tk.SeatID] = s.order.ID
			if numbers[tk.Number] {
				t.Fatalf("ticket number %s issued twice", tk.Number)
			}
			numbers[tk.Number] = true
			tickets++
		}
	}
	if tickets == 0 {
		t.Fatal("nothing was sold")
	}
	// Every sale told is stored, and nothing else is sold.
	stored := 0
	after, err := f.Store.SessionSeats(ctx, f.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range after {
		if s.Status == sales.SeatSold {
			stored++
			if _, ok := seatOf[s.SeatID]; !ok {
				t.Errorf("seat %s is sold but no buyer was told", s.Label)
			}
		}
	}
	if stored != tickets {
		t.Fatalf("%d seats sold in the store, %d tickets told", stored, tickets)
	}
	all := contiguousFeed(t, f)
	if n := len(decodeEvents[wire.TicketData](t, all, wire.EventTicket)); n != tickets {
		t.Errorf("%d ticket events in the feed for %d tickets", n, tickets)
	}
	rep, err := sales.VerifyAudit(ctx, f.Store)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Entries != f.AuditSeq(t) {
		t.Fatalf("audit chain: %+v, head seq %d", rep, f.AuditSeq(t))
	}
}
