package sqlite_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/cloud/store/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sales.Store {
		return open(t, filepath.Join(t.TempDir(), "admit.db"))
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "admit.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{Synchronous: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, st)
	o := f.Buy(t, f.Clerk, "A-1", "A-2")
	ver, err := st.SchemaVersion(ctx)
	if err != nil || ver < 1 {
		t.Fatalf("schema version %d, %v", ver, err)
	}
	seq := f.AuditSeq(t)
	login, err := f.Svc.Login(ctx, f.Clerk.Username, storetest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := open(t, path)
	if v, err := st2.SchemaVersion(ctx); err != nil || v != ver {
		t.Fatalf("reopened schema version %d, %v; want %d", v, err, ver)
	}
	// The token secret survives: a service over the reopened store accepts
	// logins and still sees the sale.
	svc, err := sales.New(ctx, st2, storetest.Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetOrder(ctx, f.Clerk, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != sales.OrderPaid || len(got.Tickets) != 2 || got.Tickets[0].QR != o.Tickets[0].QR {
		t.Fatalf("reopened order %+v", got)
	}
	if chk, err := svc.VerifyTicket(ctx, f.Gate, o.Tickets[0].QR); err != nil || !chk.Valid {
		t.Fatalf("ticket after reopen: %+v, %v", chk, err)
	}
	if p, err := svc.Authenticate(ctx, login.Token); err != nil || p.UserID != f.Clerk.UserID {
		t.Errorf("a token issued before reopening: %+v, %v", p, err)
	}
	rep, err := sales.VerifyAudit(ctx, st2)
	if err != nil || !rep.OK || rep.Entries != seq {
		t.Fatalf("audit after reopen: %+v, %v (want %d entries)", rep, err, seq)
	}
	if st := seatStatus(t, st2, f.Session.ID, "A-1"); st != sales.SeatSold {
		t.Fatalf("A-1 is %s after reopen", st)
	}
}

func seatStatus(t *testing.T, st sales.Store, sessionID int64, label string) sales.SeatStatus {
	seats, err := st.SessionSeats(context.Background(), sessionID)
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

func TestOpenRefusesUnknownSynchronous(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Synchronous: "SOMETIMES"}); err == nil {
		t.Fatal("opened with an unknown synchronous mode")
	}
}

// BenchmarkHoldConfirmPay sells one seat per op (hold, confirm, pay cash)
// from parallel clerks, across as many 5,000-seat sessions as b.N needs.
func BenchmarkHoldConfirmPay(b *testing.B) {
	ctx := context.Background()
	st := open(b, filepath.Join(b.TempDir(), "admit.db"))
	f := storetest.NewFixture(b, st)
	m := seatmap.Grid("S1", "Stand", 50, 100)
	hall, err := f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "S1", Name: "Stand", Map: &m})
	if err != nil {
		b.Fatal(err)
	}
	const perSession = 50 * 100
	sessions := make([]int64, b.N/perSession+1)
	start := f.Session.StartsAt.Add(24 * time.Hour)
	for i := range sessions {
		ss, _ := f.AddSession(b, hall.ID, start.Add(time.Duration(i)*24*time.Hour), 4500)
		sessions[i] = ss.ID
	}
	seats, err := st.SessionSeats(ctx, sessions[0])
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: sessions[i/perSession], Channel: sales.ChannelPOS,
				SeatIDs: []int64{seats[i%perSession].SeatID}})
			if err != nil {
				b.Error(err)
				return
			}
			o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAvailability reads a 5,000-seat session's availability document:
// "cached" while nothing changes, "rebuilt" when every read must re-encode.
func BenchmarkAvailability(b *testing.B) {
	ctx := context.Background()
	st := open(b, filepath.Join(b.TempDir(), "admit.db"))
	f := storetest.NewFixture(b, st)
	m := seatmap.Grid("S1", "Stand", 50, 100)
	hall, err := f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "S1", Name: "Stand", Map: &m})
	if err != nil {
		b.Fatal(err)
	}
	ss, _ := f.AddSession(b, hall.ID, f.Session.StartsAt.Add(24*time.Hour), 4500)
	for range 20 { // some sold seats so the document is not uniform
		h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, Count: 10})
		if err != nil {
			b.Fatal(err)
		}
		f.ConfirmAndPay(b, f.Clerk, h, sales.PaymentRequest{Method: "cash"})
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.Svc.AvailabilityJSON(ctx, f.Clerk, ss.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("rebuilt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.Clock.Advance(2 * time.Hour) // past the cache's validity
			if _, err := f.Svc.AvailabilityJSON(ctx, f.Clerk, ss.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTwoProcessesOnOneFileSeeEachOthersSales stands two cloud processes
// on one database file (two stores, two services): a sale by one reaches
// the other's live seat map when it reads the change log, and a sale by
// the other applies in order after what it had not seen yet.
// twoProcesses is the fixture on a store file and a second sales service,
// as another cloud process, on its own connection to the same file.
func twoProcesses(t *testing.T) (*storetest.Fixture, *sales.Service) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admit.db")
	f := storetest.NewFixture(t, open(t, path))
	other, err := sales.New(context.Background(), open(t, path), storetest.Config(f.Clock))
	if err != nil {
		t.Fatal(err)
	}
	return f, other
}

func TestTwoProcessesOnOneFileSeeEachOthersSales(t *testing.T) {
	ctx := context.Background()
	f, other := twoProcesses(t)
	seat := func(svc *sales.Service, i int) byte {
		t.Helper()
		b, err := svc.AvailabilityJSON(ctx, f.Clerk, f.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		return storetest.DecodeAvailability(t, b).Seats[i]
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

// TestABestAvailableBuyerBeatenByAnotherProcessPicksOtherSeats: this
// process's map has not yet heard that another process took the best
// seats; the buyer's hold loses, and the next pick skips the seats lost.
func TestABestAvailableBuyerBeatenByAnotherProcessPicksOtherSeats(t *testing.T) {
	ctx := context.Background()
	f, other := twoProcesses(t)
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

// TestAKeyRotatedByOneProcessReachesAnotherInBoundedTime: one cloud
// process rotates the tenant's signing key and revokes the old one; the
// other process, which had the keys cached, refuses tickets signed with
// the revoked key and signs with the new one within the keys' cache TTL.
func TestAKeyRotatedByOneProcessReachesAnotherInBoundedTime(t *testing.T) {
	ctx := context.Background()
	f, other := twoProcesses(t)
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

// TestAHoldReleasedByAnotherProcessIsNotConfirmed: a hold one process
// made and another released is not confirmed by the first, and the buyer
// is told why.
func TestAHoldReleasedByAnotherProcessIsNotConfirmed(t *testing.T) {
	ctx := context.Background()
	f, other := twoProcesses(t)
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1")
	if _, err := other.ReleaseHold(ctx, f.Clerk, h.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	if !sales.IsKind(err, sales.KindConflict) {
		t.Fatalf("confirming a hold released elsewhere: %v", err)
	}
	if st := seatStatus(t, f.Store, f.Session.ID, "A-1"); st != sales.SeatAvailable {
		t.Fatalf("seat A-1 is %s", st)
	}
}

// TestAUserDisabledByOneProcessIsRefusedByAnotherWithinTheBound: a clerk
// logged in, known to a second process; disabled by the first, the clerk
// is refused by the second once the principal cache's bound has passed
// (the README states it), and at once by the first.
func TestAUserDisabledByOneProcessIsRefusedByAnotherWithinTheBound(t *testing.T) {
	ctx := context.Background()
	f, other := twoProcesses(t)
	login, err := f.Svc.Login(ctx, "a-clerk", storetest.Password)
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
