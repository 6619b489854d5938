package gate_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/edge/cache"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/sync"
)

const venueCode = "11010001"

// The venue is in UTC+8; the evening's sessions are on 2025-03-14.
var (
	beijing  = time.FixedZone("CST", 8*3600)
	today    = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC) // business dates are midnight UTC
	tomorrow = today.AddDate(0, 0, 1)
	evening  = time.Date(2025, 3, 14, 19, 10, 0, 0, beijing) // gates of session 1 are open
)

func local(day, hour, min int) time.Time { return time.Date(2025, 3, day, hour, min, 0, 0, beijing) }

// Sessions of the fixture.
const (
	sNoReentry = 1 // 19:30-21:30, re-entry none, all zones
	sReentry   = 2 // 19:30-21:30, re-entry after exit, north zone only
	sCancelled = 3
	sTomorrow  = 4 // 2025-03-15 19:30
	sLateNight = 5 // business date 2025-03-14, 00:30-02:30 on the 15th
	sUncached  = 99
)

type fixture struct {
	t    *testing.T
	c    *cache.Cache
	v    *ct.Venue
	g    *gate.Gate
	now  time.Time
	seen uint32 // serials handed out
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, c: ct.Open(t, venueCode, "gate-1"), v: ct.NewVenue(venueCode, 1, 1), now: evening}
	f.g = &gate.Gate{Cache: f.c, DeviceID: "gate-1", VenueCode: venueCode, Zone: "south", Location: beijing,
		Now: func() time.Time { return f.now }}
	sess := func(id int64, start time.Time, bd, reentry, status string, zones ...string) sync.FeedEvent {
		return ct.Event(sync.EventSession, sync.SessionData{ID: id, Event: "Film", Hall: "1", StartsAt: start.UTC(),
			EndsAt: start.Add(2 * time.Hour).UTC(), BusinessDate: bd, Status: status, Reentry: reentry, OpensBeforeMin: 30, Zones: zones})
	}
	revokedKey := ct.DeterministicKey(2, 2)
	ct.Apply(t, f.c, f.v.Batch(
		f.v.KeyEvent("active"),
		ct.KeyEvent(revokedKey, "active"),
		sess(sNoReentry, local(14, 19, 30), "2025-03-14", "none", "scheduled"),
		sess(sReentry, local(14, 19, 30), "2025-03-14", "after_exit", "scheduled", "north"),
		sess(sCancelled, local(14, 19, 30), "2025-03-14", "none", "cancelled"),
		sess(sTomorrow, local(15, 19, 30), "2025-03-15", "none", "scheduled"),
		sess(sLateNight, local(15, 0, 30), "2025-03-14", "none", "scheduled"),
	))
	ct.Apply(t, f.c, f.v.Batch(ct.KeyEvent(revokedKey, "revoked")))
	return f
}

// ticket signs a new ticket; cached puts it in the cache.
func (f *fixture) ticket(date time.Time, session int64, cached bool) sync.TicketData {
	f.seen++
	d := f.v.Sign(f.t, date, f.seen, session, int64(f.seen), "")
	if cached {
		ct.Apply(f.t, f.c, f.v.Batch(ct.Event(sync.EventTicket, d)))
	}
	return d
}

func (f *fixture) signWith(k ticket.SigningKey, venue string, date time.Time, session int64) string {
	f.seen++
	p := ticket.Payload{SystemCode: ct.SystemCode, VenueCode: venue, BusinessDate: date, Serial: f.seen, SessionID: session, SeatID: 1}
	qr, err := ticket.Sign(p, k)
	if err != nil {
		f.t.Fatal(err)
	}
	return qr
}

func (f *fixture) revoke(number string) {
	ct.Apply(f.t, f.c, f.v.Batch(ct.Event(sync.EventRevocation, sync.RevocationData{Number: number, Reason: "refunded"})))
}

func (f *fixture) validate(qr string, dir gate.Direction) gate.Decision {
	f.t.Helper()
	d, err := f.g.Validate(qr, dir)
	if err != nil {
		f.t.Fatalf("Validate: %v", err)
	}
	return d
}

func (f *fixture) depth() int {
	n, err := f.c.Outbox().Depth()
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestEveryReason(t *testing.T) {
	cases := []struct {
		name        string
		qr          func(f *fixture) string // may prepare the fixture
		dir         gate.Direction
		want        gate.Reason
		wantOffline bool
		detail      string // expected in the message
	}{
		{name: "a cached ticket is admitted", want: gate.ReasonOK,
			qr: func(f *fixture) string { return f.ticket(today, sNoReentry, true).QR }},
		{name: "a signed ticket not yet cached is admitted offline", want: gate.ReasonOK, wantOffline: true,
			qr: func(f *fixture) string { return f.ticket(today, sNoReentry, false).QR }},
		{name: "a scanner's trailing CR LF is ignored", want: gate.ReasonOK,
			qr: func(f *fixture) string { return f.ticket(today, sNoReentry, true).QR + "\r\n" }},
		{name: "a ticket signed by another key with the same id has a bad signature", want: gate.ReasonBadSignature,
			qr: func(f *fixture) string { return f.signWith(ct.DeterministicKey(1, 77), venueCode, today, sNoReentry) }},
		{name: "a ticket whose signature bytes were altered has a bad signature", want: gate.ReasonBadSignature,
			qr: func(f *fixture) string {
				qr := f.ticket(today, sNoReentry, true).QR
				// Change the last Base45 pair (the signature's last byte) to another valid pair.
				alt := "00"
				if strings.HasSuffix(qr, alt) {
					alt = "10"
				}
				return qr[:len(qr)-2] + alt
			}},
		{name: "a ticket signed by an unknown key is refused", want: gate.ReasonUnknownKey,
			qr: func(f *fixture) string { return f.signWith(ct.DeterministicKey(9, 9), venueCode, today, sNoReentry) }},
		{name: "a ticket signed by a revoked key is refused", want: gate.ReasonUnknownKey,
			qr: func(f *fixture) string { return f.signWith(ct.DeterministicKey(2, 2), venueCode, today, sNoReentry) }},
		{name: "text that is not a ticket is malformed", want: gate.ReasonMalformed,
			qr: func(*fixture) string { return "https://example.com/" }},
		{name: "a future payload version is malformed", want: gate.ReasonMalformed,
			qr: func(*fixture) string { return "AD2:ABCDEF" }},
		{name: "an order QR at a gate is malformed", want: gate.ReasonMalformed,
			qr: func(*fixture) string { return "AO1:11010001:AAAA3333" }},
		{name: "a ticket of another venue is refused", want: gate.ReasonWrongVenue,
			qr: func(f *fixture) string { return f.signWith(f.v.Key, "22020002", today, sNoReentry) }},
		{name: "a ticket for tomorrow is the wrong date", want: gate.ReasonWrongDate, detail: "2025-03-15",
			qr: func(f *fixture) string { return f.ticket(tomorrow, sTomorrow, true).QR }},
		{name: "a ticket dated unlike its session is the wrong date", want: gate.ReasonWrongDate,
			qr: func(f *fixture) string { return f.ticket(tomorrow, sNoReentry, false).QR }},
		{name: "a ticket for yesterday is the wrong date", want: gate.ReasonWrongDate,
			qr: func(f *fixture) string { f.now = local(15, 19, 10); return f.ticket(today, sNoReentry, true).QR }},
		{name: "before the gates open the session is not open yet", want: gate.ReasonWrongSessionTime, detail: "not open yet",
			qr: func(f *fixture) string { f.now = local(14, 18, 59); return f.ticket(today, sNoReentry, true).QR }},
		{name: "after the end the session is over", want: gate.ReasonWrongSessionTime, detail: "session over",
			qr: func(f *fixture) string { f.now = local(14, 21, 31); return f.ticket(today, sNoReentry, true).QR }},
		{name: "a late-night session counts for the previous business date", want: gate.ReasonOK,
			qr: func(f *fixture) string { f.now = local(15, 0, 20); return f.ticket(today, sLateNight, true).QR }},
		{name: "a session of another zone is refused", want: gate.ReasonWrongZone, detail: "north",
			qr: func(f *fixture) string { return f.ticket(today, sReentry, true).QR }},
		{name: "a session of this zone is admitted", want: gate.ReasonOK,
			qr: func(f *fixture) string { f.g.Zone = "north"; return f.ticket(today, sReentry, true).QR }},
		{name: "a second entry is already admitted", want: gate.ReasonAlreadyAdmitted, detail: "19:10 at gate-1",
			qr: func(f *fixture) string {
				qr := f.ticket(today, sNoReentry, true).QR
				f.validate(qr, gate.In)
				return qr
			}},
		{name: "an entry at another gate seen on the feed is already admitted", want: gate.ReasonAlreadyAdmitted, detail: "gate-7",
			qr: func(f *fixture) string {
				d := f.ticket(today, sNoReentry, true)
				ct.Apply(f.t, f.c, f.v.Batch(ct.Event(sync.EventAdmission, sync.AdmissionData{Number: d.Number, DeviceID: "gate-7", Direction: "in", At: evening.Add(-time.Minute)})))
				return d.QR
			}},
		{name: "a refunded ticket is refused", want: gate.ReasonRefunded,
			qr: func(f *fixture) string { d := f.ticket(today, sNoReentry, true); f.revoke(d.Number); return d.QR }},
		{name: "a revoked ticket that was never cached is refused", want: gate.ReasonRefunded,
			qr: func(f *fixture) string { d := f.ticket(today, sNoReentry, false); f.revoke(d.Number); return d.QR }},
		{name: "an exit without an entry is not admitted", dir: gate.Out, want: gate.ReasonNotAdmitted,
			qr: func(f *fixture) string { return f.ticket(today, sNoReentry, true).QR }},
		{name: "an exit after an entry is let through", dir: gate.Out, want: gate.ReasonOK,
			qr: func(f *fixture) string {
				qr := f.ticket(today, sNoReentry, true).QR
				f.validate(qr, gate.In)
				return qr
			}},
		{name: "a ticket of a session missing from the cache is an unknown session", want: gate.ReasonUnknownSession,
			qr: func(f *fixture) string { return f.ticket(today, sUncached, false).QR }},
		{name: "a ticket of a cancelled session is refused", want: gate.ReasonSessionCancelled,
			qr: func(f *fixture) string { return f.ticket(today, sCancelled, true).QR }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			qr := tc.qr(f)
			dir := tc.dir
			if dir == "" {
				dir = gate.In
			}
			depth := f.depth()
			d := f.validate(qr, dir)
			if d.Reason != tc.want || d.Admit != (tc.want == gate.ReasonOK) {
				t.Fatalf("Validate = %s (admit %v): %q; want %s", d.Reason, d.Admit, d.Message, tc.want)
			}
			if d.Message == "" || !strings.Contains(d.Message, tc.detail) {
				t.Errorf("message %q, want it to mention %q", d.Message, tc.detail)
			}
			if !d.Admit {
				if d.Fact != nil || f.depth() != depth {
					t.Fatal("a refusal wrote a fact")
				}
				return
			}
			if d.Offline != tc.wantOffline {
				t.Errorf("Offline = %v, want %v", d.Offline, tc.wantOffline)
			}
			// Admitted: the fact is already durable in the outbox.
			if d.Fact == nil || f.depth() != depth+1 {
				t.Fatalf("admitted without a fact in the outbox (fact %v, depth %d → %d)", d.Fact, depth, f.depth())
			}
			wantKind := sync.FactAdmission
			if dir == gate.Out {
				wantKind = sync.FactExit
			}
			var af sync.AdmissionFact
			if err := json.Unmarshal(d.Fact.Data, &af); err != nil {
				t.Fatal(err)
			}
			if d.Fact.Kind != wantKind || d.Fact.Device != "gate-1" || !d.Fact.At.Equal(f.now) ||
				af.Number != d.Number || af.SessionID != d.SessionID || af.Offline != tc.wantOffline || af.Zone != f.g.Zone {
				t.Fatalf("fact %+v %+v", d.Fact, af)
			}
			pending, _ := f.c.Outbox().Pending(0)
			if last := pending[len(pending)-1]; last.ID != d.Fact.ID {
				t.Fatalf("outbox holds %+v, not the returned fact", last)
			}
			a, ok, err := f.c.Admission(d.Number)
			if err != nil || !ok || a.Direction != string(dir) || a.DeviceID != "gate-1" || !a.At.Equal(f.now) {
				t.Fatalf("admission record %+v %v %v", a, ok, err)
			}
		})
	}
}

func TestAdmittedTicketShowsItsSeatFromTheCache(t *testing.T) {
	f := newFixture(t)
	td := f.ticket(today, sNoReentry, true)
	d := f.validate(td.QR, gate.In)
	if d.Number != td.Number || d.SeatLabel != td.SeatLabel || d.SessionID != sNoReentry || d.Offline {
		t.Fatalf("decision %+v", d)
	}
}

func TestReentryPolicies(t *testing.T) {
	type step struct {
		dir  gate.Direction
		want gate.Reason
	}
	cases := []struct {
		name    string
		session int64
		steps   []step
	}{
		{"without re-entry a second entry is refused even after an exit", sNoReentry,
			[]step{{gate.In, gate.ReasonOK}, {gate.Out, gate.ReasonOK}, {gate.In, gate.ReasonAlreadyAdmitted}}},
		{"without re-entry a second exit is refused", sNoReentry,
			[]step{{gate.In, gate.ReasonOK}, {gate.Out, gate.ReasonOK}, {gate.Out, gate.ReasonNotAdmitted}}},
		{"with re-entry after exit a second entry without an exit is refused", sReentry,
			[]step{{gate.In, gate.ReasonOK}, {gate.In, gate.ReasonAlreadyAdmitted}}},
		{"with re-entry after exit one may go in and out repeatedly", sReentry,
			[]step{{gate.In, gate.ReasonOK}, {gate.Out, gate.ReasonOK}, {gate.In, gate.ReasonOK}, {gate.Out, gate.ReasonOK}, {gate.In, gate.ReasonOK}, {gate.In, gate.ReasonAlreadyAdmitted}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.g.Zone = "north"
			qr := f.ticket(today, tc.session, true).QR
			for i, s := range tc.steps {
				f.now = f.now.Add(time.Minute)
				if d := f.validate(qr, s.dir); d.Reason != s.want {
					t.Fatalf("step %d (%s) = %s, want %s", i, s.dir, d.Reason, s.want)
				}
			}
		})
	}
}

func TestAnExitSeenOnTheFeedAllowsReentryAfterExit(t *testing.T) {
	f := newFixture(t)
	f.g.Zone = "north"
	td := f.ticket(today, sReentry, true)
	f.validate(td.QR, gate.In)
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventAdmission, sync.AdmissionData{Number: td.Number, DeviceID: "gate-8", Direction: "out", At: evening.Add(time.Minute)})))
	f.now = evening.Add(2 * time.Minute)
	if d := f.validate(td.QR, gate.In); d.Reason != gate.ReasonOK {
		t.Fatalf("re-entry after an exit elsewhere = %s", d.Reason)
	}
}

func TestTheGatesOwnAdmissionEchoedOnTheFeedDoesNotChangeTheDecision(t *testing.T) {
	f := newFixture(t)
	f.g.Zone = "north"
	td := f.ticket(today, sReentry, true)
	in := f.validate(td.QR, gate.In)
	f.now = evening.Add(time.Minute)
	f.validate(td.QR, gate.Out)
	// The cloud republishes the entry after the exit was recorded here.
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventAdmission, sync.AdmissionData{Number: td.Number, DeviceID: "gate-1", Direction: "in", At: in.Fact.At})))
	f.now = evening.Add(2 * time.Minute)
	if d := f.validate(td.QR, gate.In); d.Reason != gate.ReasonOK {
		t.Fatalf("re-entry after an echoed entry = %s", d.Reason)
	}
}

func TestAdmissionsAreDurableAcrossReopen(t *testing.T) {
	f := newFixture(t)
	td := f.ticket(today, sNoReentry, false)
	d := f.validate(td.QR, gate.In)
	path := f.c.Path()
	f.c.Close()
	c, err := cache.Open(path, cache.Options{DeviceID: "gate-1", VenueCode: venueCode})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f.g.Cache = c
	if again, _ := f.g.Validate(td.QR, gate.In); again.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("after reopen = %s", again.Reason)
	}
	pending, _ := c.Outbox().Pending(0)
	if len(pending) != 1 || pending[0].ID != d.Fact.ID {
		t.Fatalf("outbox after reopen = %+v", pending)
	}
}

func TestConcurrentScansOfOneTicketAdmitOnce(t *testing.T) {
	f := newFixture(t)
	qr := f.ticket(today, sNoReentry, true).QR
	const n = 8
	results := make(chan gate.Decision, n)
	for range n {
		go func() {
			d, err := f.g.Validate(qr, gate.In)
			if err != nil {
				t.Error(err)
			}
			results <- d
		}()
	}
	admitted := 0
	for range n {
		if (<-results).Admit {
			admitted++
		}
	}
	if admitted != 1 || f.depth() != 1 {
		t.Fatalf("admitted %d times, %d facts; want 1, 1", admitted, f.depth())
	}
}

func TestAGateOfAnotherDeviceIsRefused(t *testing.T) {
	f := newFixture(t)
	f.g.DeviceID = "gate-2"
	if _, err := f.g.Validate(f.ticket(today, sNoReentry, true).QR, gate.In); err == nil {
		t.Fatal("a gate validated with another device's cache")
	}
	f.g.DeviceID = "gate-1"
	if _, err := f.g.Validate("x", "sideways"); err == nil {
		t.Fatal("accepted a direction that is neither in nor out")
	}
}

func TestASignedTicketIsNotAdmittedOnItsSignatureWhileTheCacheIsRebuilt(t *testing.T) {
	f := newFixture(t)
	uncached := f.ticket(today, sNoReentry, false)
	// A snapshot starts (First) with the keys and sessions, and has not
	// yet brought its tickets or revocations.
	b := f.v.Batch(f.v.KeyEvent("active"), ct.Event(sync.EventSession, sync.SessionData{ID: sNoReentry, Event: "Film", Hall: "1",
		StartsAt: local(14, 19, 30).UTC(), EndsAt: local(14, 21, 30).UTC(), BusinessDate: "2025-03-14", Status: "scheduled", Reentry: "none", OpensBeforeMin: 30}))
	for i := range b.Events {
		b.Events[i].Seq = 0
	}
	b.Snapshot, b.First, b.Head = true, true, 100
	if _, err := f.c.Apply(b); err != nil {
		t.Fatal(err)
	}
	if !f.c.Stale() {
		t.Fatal("the cache does not know it is mid-snapshot")
	}
	if d := f.validate(uncached.QR, gate.In); d.Admit || d.Reason != gate.ReasonCacheRebuilding {
		t.Fatalf("an unknown ticket mid-snapshot: %+v", d)
	}
	if f.depth() != 0 {
		t.Fatal("a refusal wrote a fact")
	}
}

func TestACardAdmitsItsBoundTicketLikeItsQR(t *testing.T) {
	f := newFixture(t)
	tk := f.ticket(today, sNoReentry, false)
	other := f.ticket(today, sNoReentry, false)
	tk.Card = "04A22B1A"
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventTicket, tk), ct.Event(sync.EventTicket, other)))

	if d, err := f.g.ValidateCard("04a22b1a", gate.In); err != nil || !d.Admit || d.Number != tk.Number {
		t.Fatalf("a bound card: %+v %v", d, err)
	}
	if d, _ := f.g.ValidateCard("04A22B1A", gate.In); d.Admit || d.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("the card again: %+v", d)
	}
	if d := f.validate(tk.QR, gate.In); d.Admit || d.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("the QR after the card: %+v", d)
	}
	if d, _ := f.g.ValidateCard("DEADBEEF", gate.In); d.Admit || d.Reason != gate.ReasonUnknownCard {
		t.Fatalf("an unknown card: %+v", d)
	}
	// The card moves to another ticket: it stops admitting the first.
	other.Card = "04A22B1A"
	tk.Card = ""
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventTicket, tk), ct.Event(sync.EventTicket, other)))
	if d, _ := f.g.ValidateCard("04A22B1A", gate.In); !d.Admit || d.Number != other.Number {
		t.Fatalf("the moved card: %+v", d)
	}
	// A refunded ticket's card is refused.
	third := f.ticket(today, sNoReentry, false)
	third.Card = "0102030405060A"
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventTicket, third)))
	f.revoke(third.Number)
	if d, _ := f.g.ValidateCard("0102030405060A", gate.In); d.Admit || d.Reason != gate.ReasonRefunded {
		t.Fatalf("the card of a refunded ticket: %+v", d)
	}
}

func TestCheckRecordsNothingAndCommitRecordsThePassage(t *testing.T) {
	f := newFixture(t)
	tk := f.ticket(today, sNoReentry, true)
	for range 2 { // a visitor who turned back may scan again
		d, err := f.g.Check(tk.QR, gate.In)
		if err != nil || !d.Admit {
			t.Fatalf("check: %+v, %v", d, err)
		}
		if d.Fact != nil || f.depth() != 0 {
			t.Fatalf("check recorded something: fact %v, outbox %d", d.Fact, f.depth())
		}
	}
	d, _ := f.g.Check(tk.QR, gate.In)
	c, err := f.g.Commit(d, gate.In)
	if err != nil || c.Fact == nil || c.Fact.Kind != sync.FactAdmission || f.depth() != 1 {
		t.Fatalf("commit: %+v, %v, outbox %d", c, err, f.depth())
	}
	again, _ := f.g.Check(tk.QR, gate.In)
	if again.Admit || again.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("after the passage: %+v", again)
	}
	if _, err := f.g.Commit(again, gate.In); err == nil || f.depth() != 1 {
		t.Fatalf("committing a refusal: %v, outbox %d", err, f.depth())
	}
}

func TestACommitStandsEvenIfTheTicketWasRefundedDuringThePassage(t *testing.T) {
	f := newFixture(t)
	tk := f.ticket(today, sNoReentry, true)
	d, err := f.g.Check(tk.QR, gate.In)
	if err != nil || !d.Admit {
		t.Fatalf("check: %+v, %v", d, err)
	}
	f.revoke(tk.Number) // arrives while the visitor is in the turnstile
	if c, err := f.g.Commit(d, gate.In); err != nil || c.Fact == nil {
		t.Fatalf("the passage happened and must be recorded: %+v, %v", c, err)
	}
}
