package cache_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/edge/cache"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/sync"
)

const venueCode = "11010001"

var day = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)

func session(id int64) sync.SessionData {
	return sync.SessionData{ID: id, Event: "Film", Hall: "1", StartsAt: day.Add(11 * time.Hour), EndsAt: day.Add(13 * time.Hour),
		BusinessDate: "2025-03-14", Status: "scheduled", Reentry: "none", OpensBeforeMin: 30}
}

func ticketEvent(t *testing.T, v *ct.Venue, serial uint32, pickup string) (sync.FeedEvent, sync.TicketData) {
	d := v.Sign(t, day, serial, 1, int64(serial), pickup)
	return ct.Event(sync.EventTicket, d), d
}

func checkConsistent(t *testing.T, c *cache.Cache) {
	t.Helper()
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if n := c.CountKeys("tickets"); n != st.Tickets {
		t.Errorf("Stats.Tickets = %d, bucket holds %d", st.Tickets, n)
	}
	if n := c.CountKeys("revocations"); n != st.Revocations {
		t.Errorf("Stats.Revocations = %d, bucket holds %d", st.Revocations, n)
	}
}

func TestApplyAppliesEventsInOrderAndSkipsReplays(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	e1, t1 := ticketEvent(t, v, 1, "AAAA3333")
	e2, _ := ticketEvent(t, v, 2, "AAAA3333")
	first := v.Batch(v.KeyEvent("active"), ct.Event(sync.EventSession, session(1)), e1)
	if n, err := c.Apply(first); err != nil || n != 3 {
		t.Fatalf("Apply = %d, %v; want 3, nil", n, err)
	}
	second := v.Batch(e2)
	// The feed redelivers both batches (QoS 1): nothing is applied twice.
	replay := sync.FeedBatch{Venue: venueCode, Events: append(append([]sync.FeedEvent{}, first.Events...), second.Events...), Head: 4}
	if n, err := c.Apply(replay); err != nil || n != 1 {
		t.Fatalf("Apply(replay + new) = %d, %v; want 1, nil", n, err)
	}
	if n, err := c.Apply(replay); err != nil || n != 0 {
		t.Fatalf("Apply(replay) = %d, %v; want 0, nil", n, err)
	}
	if c.Cursor() != 4 || c.Head() != 4 {
		t.Fatalf("Cursor, Head = %d, %d; want 4, 4", c.Cursor(), c.Head())
	}
	got, ok, err := c.Ticket(t1.Number)
	if err != nil || !ok {
		t.Fatalf("Ticket: %v %v", ok, err)
	}
	want := cache.Ticket{Number: t1.Number, QR: t1.QR, SessionID: 1, SeatID: 1, SeatLabel: t1.SeatLabel, OrderID: 1, PickupCode: "AAAA3333", PriceCents: 4500}
	if got != want {
		t.Fatalf("Ticket = %+v\nwant %+v", got, want)
	}
	pk, _ := c.Pickup("AAAA3333")
	if len(pk) != 2 {
		t.Fatalf("Pickup returned %d tickets, want 2", len(pk))
	}
	st, _ := c.Stats()
	if st.Tickets != 2 || st.Sessions != 1 || st.Keys != 1 || st.Cursor != 4 || st.FileBytes == 0 {
		t.Fatalf("Stats = %+v", st)
	}
	checkConsistent(t, c)
}

func TestApplyStopsAtAGapAndKeepsTheEventsBeforeIt(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	evs := v.Next(ct.Event(sync.EventSession, session(1)), ct.Event(sync.EventSession, session(2)))
	v.Seq++ // seq 3 lost
	evs = append(evs, v.Next(ct.Event(sync.EventSession, session(4)))...)
	n, err := c.Apply(sync.FeedBatch{Venue: venueCode, Events: evs, Head: v.Seq})
	var gap *cache.GapError
	if !errors.As(err, &gap) || gap.Want != 3 || gap.Got != 4 {
		t.Fatalf("Apply error = %v, want GapError{Want: 3, Got: 4}", err)
	}
	if n != 2 || c.Cursor() != 2 {
		t.Fatalf("applied %d, cursor %d; want 2, 2", n, c.Cursor())
	}
	if c.Head() != 4 {
		t.Fatalf("Head = %d, want 4 (heard of)", c.Head())
	}
	if _, ok, _ := c.Session(4); ok {
		t.Fatal("the event after the gap was applied")
	}
	// A batch starting beyond the cursor applies nothing.
	if n, err := c.Apply(sync.FeedBatch{Venue: venueCode, Events: evs[2:], Head: 4}); !errors.As(err, &gap) || n != 0 {
		t.Fatalf("Apply(after gap) = %d, %v", n, err)
	}
}

func TestApplyRejectsMalformedEventsWithoutChangingAnything(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name string
		ev   sync.FeedEvent
	}{
		{"ticket data that is not JSON", sync.FeedEvent{Kind: sync.EventTicket, Data: raw(`{"number":`)}},
		{"ticket without data", sync.FeedEvent{Kind: sync.EventTicket}},
		{"ticket with a bad number", ct.Event(sync.EventTicket, sync.TicketData{Number: "1101000125031400000420"})},
		{"revocation of a bad number", ct.Event(sync.EventRevocation, sync.RevocationData{Number: "12"})},
		{"session without an id", ct.Event(sync.EventSession, sync.SessionData{})},
		{"session data of the wrong type", sync.FeedEvent{Kind: sync.EventSession, Data: raw(`[1,2]`)}},
		{"active key of the wrong size", ct.Event(sync.EventKey, sync.KeyData{ID: 1, Public: []byte{1, 2}, Status: "active"})},
		{"admission in an unknown direction", ct.Event(sync.EventAdmission, sync.AdmissionData{Number: "1101000125031400000429", Direction: "up", At: day})},
		{"admission without a time", ct.Event(sync.EventAdmission, sync.AdmissionData{Number: "1101000125031400000429", Direction: "in"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ct.Open(t, venueCode, "gate-1")
			v := ct.NewVenue(venueCode, 1, 1)
			ct.Apply(t, c, v.Batch(ct.Event(sync.EventSession, session(1))))
			before, _ := c.Stats()
			good := ct.Event(sync.EventSession, session(2))
			n, err := c.Apply(v.Batch(good, tc.ev))
			if !errors.Is(err, cache.ErrMalformed) || n != 0 {
				t.Fatalf("Apply = %d, %v; want 0, ErrMalformed", n, err)
			}
			after, _ := c.Stats()
			if after != before {
				t.Fatalf("stats changed: %+v → %+v", before, after)
			}
			if _, ok, _ := c.Session(2); ok {
				t.Fatal("an event before the malformed one was kept")
			}
		})
	}
}

func TestApplySkipsUnknownEventKindsAndDevicesAndKeepsSeatMaps(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	n, err := c.Apply(v.Batch(
		sync.FeedEvent{Kind: "hologram", Data: json.RawMessage(`{"anything":true}`)},
		ct.Event(sync.EventDevice, sync.DeviceData{DeviceID: "gate-2", Status: "revoked"}),
		ct.Event(sync.EventSeatMap, sync.SeatMapData{SessionID: 1, Total: 3, Seats: "AAS"}),
		ct.Event(sync.EventSession, session(1)),
	))
	if err != nil || n != 4 || c.Cursor() != 4 {
		t.Fatalf("Apply = %d, %v, cursor %d; want 4, nil, 4", n, err, c.Cursor())
	}
}

func TestBatchOfAnotherVenueIsRefused(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue("22020002", 1, 1)
	if _, err := c.Apply(v.Batch(ct.Event(sync.EventSession, session(1)))); !errors.Is(err, cache.ErrWrongVenue) {
		t.Fatalf("Apply = %v, want ErrWrongVenue", err)
	}
	if c.Cursor() != 0 {
		t.Fatal("cursor moved")
	}
}

func TestOpenRefusesTheFileOfAnotherVenue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.db")
	c, err := cache.Open(path, cache.Options{DeviceID: "g", VenueCode: venueCode})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c, err := cache.Open(path, cache.Options{DeviceID: "g", VenueCode: "22020002"}); err == nil {
		c.Close()
		t.Fatal("opened a cache of another venue")
	}
	c, err = cache.Open(path, cache.Options{DeviceID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Venue() != venueCode {
		t.Fatalf("Venue = %q", c.Venue())
	}
}

func TestSnapshotReplacesTheCacheButKeepsAdmissionsAndPrints(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	old, oldT := ticketEvent(t, v, 1, "AAAA3333")
	ct.Apply(t, c, v.Batch(v.KeyEvent("active"), ct.Event(sync.EventSession, session(1)), old,
		ct.Event(sync.EventRevocation, sync.RevocationData{Number: oldT.Number, Reason: "refunded"})))
	if err := c.Update(func(tx *cache.Tx) error {
		if _, err := tx.RecordAdmission(oldT.Number, cache.DirectionIn, day.Add(11*time.Hour)); err != nil {
			return err
		}
		_, err := tx.MarkPrinted(oldT.Number)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	kept, keptT := ticketEvent(t, v, 2, "CCCC4444")
	b1 := sync.FeedBatch{Venue: venueCode, Snapshot: true, First: true, Head: 90,
		Events: []sync.FeedEvent{v.KeyEvent("active"), ct.Event(sync.EventSession, session(7))}}
	b2 := sync.FeedBatch{Venue: venueCode, Snapshot: true, Final: true, Head: 90, Events: []sync.FeedEvent{kept}}
	if n, err := c.Apply(b1); err != nil || n != 2 {
		t.Fatalf("Apply(first) = %d, %v", n, err)
	}
	if !c.Stale() || c.Cursor() != 0 {
		t.Fatalf("mid-snapshot: Stale %v, Cursor %d; want true, 0", c.Stale(), c.Cursor())
	}
	if n, err := c.Apply(b2); err != nil || n != 1 {
		t.Fatalf("Apply(final) = %d, %v", n, err)
	}
	if c.Stale() || c.Cursor() != 90 {
		t.Fatalf("after snapshot: Stale %v, Cursor %d; want false, 90", c.Stale(), c.Cursor())
	}
	if _, ok, _ := c.Ticket(oldT.Number); ok {
		t.Error("a ticket missing from the snapshot survived")
	}
	if _, ok, _ := c.Revocation(oldT.Number); ok {
		t.Error("a revocation missing from the snapshot survived")
	}
	if _, ok, _ := c.Session(1); ok {
		t.Error("a session missing from the snapshot survived")
	}
	if pk, _ := c.Pickup("AAAA3333"); len(pk) != 0 {
		t.Error("a pickup code missing from the snapshot survived")
	}
	if _, ok, _ := c.Ticket(keptT.Number); !ok {
		t.Error("the snapshot's ticket is missing")
	}
	if a, ok, _ := c.Admission(oldT.Number); !ok || a.Count != 1 {
		t.Error("an admission recorded here was forgotten")
	}
	if n, _ := c.Printed(oldT.Number); n != 1 {
		t.Error("a print recorded here was forgotten")
	}
	checkConsistent(t, c)
	// The feed continues after the snapshot's head.
	v.Seq = 90
	if n, err := c.Apply(v.Batch(ct.Event(sync.EventSession, session(8)))); err != nil || n != 1 || c.Cursor() != 91 {
		t.Fatalf("live after snapshot: %d, %v, cursor %d", n, err, c.Cursor())
	}
}

func TestASnapshotInterruptedByACrashLeavesTheCacheStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.db")
	c, err := cache.Open(path, cache.Options{DeviceID: "gate-1", VenueCode: venueCode})
	if err != nil {
		t.Fatal(err)
	}
	v := ct.NewVenue(venueCode, 1, 1)
	ct.Apply(t, c, v.Batch(ct.Event(sync.EventSession, session(1)), ct.Event(sync.EventSession, session(2))))
	first := sync.FeedBatch{Venue: venueCode, Snapshot: true, First: true, Head: 50, Events: []sync.FeedEvent{ct.Event(sync.EventSession, session(3))}}
	ct.Apply(t, c, first)
	// The process dies here: the final batch never arrives.
	c.Close()

	c, err = cache.Open(path, cache.Options{DeviceID: "gate-1", VenueCode: venueCode})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Stale() || c.Cursor() != 0 {
		t.Fatalf("after restart: Stale %v, Cursor %d; want true, 0", c.Stale(), c.Cursor())
	}
	// Live events cannot be applied on a partial cache.
	v.Seq = 50
	var gap *cache.GapError
	if _, err := c.Apply(v.Batch(ct.Event(sync.EventSession, session(9)))); !errors.As(err, &gap) || gap.Want != 1 {
		t.Fatalf("live batch on a stale cache: %v, want GapError{Want: 1}", err)
	}
	// A batch of a snapshot that was not started here is refused.
	// The rest of the interrupted snapshot is refused: batches may be lost.
	if _, err := c.Apply(sync.FeedBatch{Venue: venueCode, Snapshot: true, Final: true, Head: 50}); !errors.Is(err, cache.ErrSnapshotNotStarted) || !c.Stale() {
		t.Fatalf("the interrupted snapshot's last batch: %v, stale %v; want ErrSnapshotNotStarted, true", err, c.Stale())
	}
	// The re-requested snapshot replaces everything.
	ct.Apply(t, c, sync.FeedBatch{Venue: venueCode, Snapshot: true, First: true, Final: true, Head: 51,
		Events: []sync.FeedEvent{ct.Event(sync.EventSession, session(4))}})
	if c.Stale() || c.Cursor() != 51 {
		t.Fatalf("after the new snapshot: Stale %v, Cursor %d", c.Stale(), c.Cursor())
	}
	ss, _ := c.Sessions()
	if len(ss) != 1 || ss[0].ID != 4 {
		t.Fatalf("Sessions = %+v, want only session 4", ss)
	}
}

func TestAStaleCacheCanBeRebuiltFromSeqOne(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	ct.Apply(t, c, sync.FeedBatch{Venue: venueCode, Snapshot: true, First: true, Head: 50, Events: []sync.FeedEvent{ct.Event(sync.EventSession, session(3))}})
	ct.Apply(t, c, v.Batch(ct.Event(sync.EventSession, session(1))))
	if c.Stale() || c.Cursor() != 1 {
		t.Fatalf("Stale %v, Cursor %d; want false, 1", c.Stale(), c.Cursor())
	}
	if _, ok, _ := c.Session(3); ok {
		t.Fatal("partial snapshot data survived a rebuild from seq 1")
	}
}

func TestSnapshotBatchWithoutFirstIsRefused(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	_, err := c.Apply(sync.FeedBatch{Venue: venueCode, Snapshot: true, Final: true, Head: 9})
	if !errors.Is(err, cache.ErrSnapshotNotStarted) || c.Cursor() != 0 {
		t.Fatalf("Apply = %v, cursor %d", err, c.Cursor())
	}
}

func TestReissuedTicketMovesToItsNewPickupCode(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	e1, d := ticketEvent(t, v, 1, "AAAA3333")
	e2, _ := ticketEvent(t, v, 2, "AAAA3333")
	ct.Apply(t, c, v.Batch(e1, e2))
	d.PickupCode = "CCCC4444"
	ct.Apply(t, c, v.Batch(ct.Event(sync.EventTicket, d)))
	if pk, _ := c.Pickup("AAAA3333"); len(pk) != 1 {
		t.Fatalf("old code lists %d tickets, want 1", len(pk))
	}
	if pk, _ := c.Pickup("CCCC4444"); len(pk) != 1 || pk[0].Number != d.Number {
		t.Fatalf("new code lists %+v", pk)
	}
	d.PickupCode = ""
	ct.Apply(t, c, v.Batch(ct.Event(sync.EventTicket, d)))
	if c.PickupList("CCCC4444") != "" {
		t.Fatal("an emptied pickup code is still indexed")
	}
	checkConsistent(t, c)
}

func TestRevokedKeysAreKeptButDoNotVerify(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	k1, k2, k3 := ct.DeterministicKey(1, 1), ct.DeterministicKey(2, 2), ct.DeterministicKey(3, 3)
	v := ct.NewVenue(venueCode, 1, 1)
	ct.Apply(t, c, v.Batch(ct.KeyEvent(k1, "active"), ct.KeyEvent(k2, "active"), ct.KeyEvent(k3, "active")))
	ct.Apply(t, c, v.Batch(ct.KeyEvent(k1, "retired"), ct.KeyEvent(k2, "revoked")))
	pk, err := c.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pk[1]; !ok {
		t.Error("retired key no longer verifies")
	}
	if _, ok := pk[2]; ok {
		t.Error("revoked key still verifies")
	}
	if _, ok := pk[3]; !ok {
		t.Error("active key does not verify")
	}
	keys, _ := c.Keys()
	if len(keys) != 3 {
		t.Errorf("Keys = %d, want 3 (revoked kept)", len(keys))
	}
}

func TestFeedAdmissionsMergeByTimeSoEchoesCountOnce(t *testing.T) {
	c := ct.Open(t, venueCode, "gate-1")
	v := ct.NewVenue(venueCode, 1, 1)
	const n = "1101000125031400000429"
	t0 := day.Add(11 * time.Hour)
	if err := c.Update(func(tx *cache.Tx) error {
		_, err := tx.RecordAdmission(n, cache.DirectionIn, t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	adm := func(dir, dev string, at time.Time) sync.FeedEvent {
		return ct.Event(sync.EventAdmission, sync.AdmissionData{Number: n, DeviceID: dev, Direction: dir, At: at})
	}
	ct.Apply(t, c, v.Batch(
		adm("in", "gate-1", t0),                   // this gate's own entry, echoed
		adm("in", "gate-9", t0.Add(-time.Minute)), // older, from a partitioned gate
		adm("out", "gate-2", t0.Add(time.Hour)),   // newer exit elsewhere
	))
	a, ok, err := c.Admission(n)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	want := cache.Admission{Number: n, Direction: "out", DeviceID: "gate-2", At: t0.Add(time.Hour), Count: 1, Exits: 1}
	if a != want {
		t.Fatalf("Admission = %+v\nwant %+v", a, want)
	}
}

func TestTicketRecordsRoundTripWithAnyQRText(t *testing.T) {
	v := ct.NewVenue(venueCode, 1, 1)
	signed := v.Sign(t, day, 42, 123456, 7890123, "AAAA3333").QR
	for _, qr := range []string{signed, "", "AD1:", "AD1:a", "AD1:GGW", "hello world", "AD1:%50DB8UY9.SAY86WALYJQ4%U"} {
		tk := cache.Ticket{Number: "1101000125031400000429", QR: qr, SessionID: -5, SeatID: 1 << 40, SeatLabel: "排 3 座 7", OrderID: 9, PickupCode: "X", PriceCents: -1, Tier: "vip"}
		rec := cache.EncodeTicket(tk)
		got, err := cache.DecodeTicket(tk.Number, rec)
		if err != nil || got != tk {
			t.Fatalf("round trip of QR %q: %+v, %v", qr, got, err)
		}
		if qr == signed && len(rec) >= len(qr) {
			t.Errorf("signed QR record is %d bytes, QR text %d: not compacted", len(rec), len(qr))
		}
	}
}

func TestSeatMapSummariesAreKeptForThePOS(t *testing.T) {
	c := ct.Open(t, "11010001", "pos-1")
	v := ct.NewVenue("11010001", 1, 1)
	ct.Apply(t, c, v.Batch(ct.Event(sync.EventSeatMap, sync.SeatMapData{SessionID: 7, Total: 3, Available: 2, Sold: 1, Seats: "AAS"})))
	var got sync.SeatMapData
	var ok bool
	if err := c.View(func(tx *cache.Tx) error {
		var err error
		got, ok, err = tx.SeatMap(7)
		return err
	}); err != nil || !ok || got.Seats != "AAS" || got.Available != 2 {
		t.Fatalf("seat map: %+v %v %v", got, ok, err)
	}
	cursor := c.Cursor()
	if _, err := c.Apply(v.Batch(ct.Event(sync.EventSeatMap, sync.SeatMapData{SessionID: 7, Total: 5, Seats: "AA"}))); !errors.Is(err, cache.ErrMalformed) {
		t.Fatalf("a seat map whose codes do not match its size: %v", err)
	}
	if c.Cursor() != cursor {
		t.Fatal("a malformed seat map moved the cursor")
	}
}

// A ticket printed elsewhere (another kiosk, a POS, an office) reaches
// the cache as printed, live or in the ticket itself; a print this device
// made and the echo of it count once; a malformed number changes nothing.
func TestPrintsElsewhereMarkTicketsPrintedOnce(t *testing.T) {
	c := ct.Open(t, venueCode, "kiosk-1")
	v := ct.NewVenue(venueCode, 1, 1)
	e1, t1 := ticketEvent(t, v, 1, "AAAA3333")
	_, t2 := ticketEvent(t, v, 2, "AAAA3333")
	t2.Printed = true
	_, t3 := ticketEvent(t, v, 3, "AAAA4444")
	ct.Apply(t, c, v.Batch(v.KeyEvent("active"), ct.Event(sync.EventSession, session(1)), e1, ct.Event(sync.EventTicket, t2), ct.Event(sync.EventTicket, t3)))
	printed := func(n string) int {
		t.Helper()
		var p int
		if err := c.View(func(tx *cache.Tx) error {
			var err error
			p, err = tx.Printed(n)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if printed(t1.Number) != 0 || printed(t2.Number) != 1 {
		t.Fatalf("printed before any print: %d %d", printed(t1.Number), printed(t2.Number))
	}
	if err := c.Update(func(tx *cache.Tx) error { _, err := tx.MarkPrinted(t3.Number); return err }); err != nil {
		t.Fatal(err)
	}
	ct.Apply(t, c, v.Batch(ct.Event(sync.EventPrinted, sync.PrintedData{Number: t1.Number}), ct.Event(sync.EventPrinted, sync.PrintedData{Number: t3.Number})))
	if printed(t1.Number) != 1 || printed(t3.Number) != 1 {
		t.Fatalf("after the feed's prints: %d %d, want 1 and 1", printed(t1.Number), printed(t3.Number))
	}
	bad := v.Batch(ct.Event(sync.EventPrinted, sync.PrintedData{Number: "not-a-number"}))
	if _, err := c.Apply(bad); !errors.Is(err, cache.ErrMalformed) {
		t.Fatalf("a malformed print: %v", err)
	}
}
