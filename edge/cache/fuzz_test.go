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

// FuzzApply feeds arbitrary JSON batches to one cache: Apply must never
// panic, a failed batch (other than a gap) must change nothing, a gap must
// keep exactly the events before it, and the counters must match the data.
func FuzzApply(f *testing.F) {
	v := ct.NewVenue(venueCode, 1, 1)
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	tk := func(serial uint32, code string) sync.FeedEvent {
		return ct.Event(sync.EventTicket, v.Sign(f, day, serial, 1, int64(serial), code))
	}
	add := func(b sync.FeedBatch) {
		raw, err := json.Marshal(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	add(v.Batch(v.KeyEvent("active"), ct.Event(sync.EventSession, session(1)), tk(1, "AAAA3333"), tk(2, "AAAA3333")))
	add(v.Batch(ct.Event(sync.EventRevocation, sync.RevocationData{Number: "1101000125031400000015", Reason: "refunded"}),
		ct.Event(sync.EventAdmission, sync.AdmissionData{Number: "1101000125031400000015", DeviceID: "g2", Direction: "in", At: day})))
	add(sync.FeedBatch{Venue: venueCode, Snapshot: true, First: true, Final: true, Head: 7, Events: []sync.FeedEvent{tk(3, "CCCC4444")}})
	add(sync.FeedBatch{Venue: venueCode, Events: []sync.FeedEvent{{Seq: 9, Kind: "ticket", Data: json.RawMessage(`{}`)}}})
	f.Add([]byte(`{"venue":"11010001","events":[{"seq":1,"kind":"ticket","data":{"number":"1101000125031400000015","pickup_code":"AAAA3333"}},{"seq":2,"kind":"ticket","data":null}]}`))
	f.Add([]byte(`{"snapshot":true,"first":true,"events":[{"kind":"key","data":{"id":1,"public":"AAAA","status":"revoked"}}]}`))

	c, err := cache.Open(filepath.Join(f.TempDir(), "fuzz.db"), cache.Options{DeviceID: "gate-1", VenueCode: venueCode})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	c.SkipFsync() // durability is not what this target checks

	f.Fuzz(func(t *testing.T, data []byte) {
		var b sync.FeedBatch
		if json.Unmarshal(data, &b) != nil {
			return
		}
		before, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		staleBefore := c.Stale()
		n, err := c.Apply(b)
		after, serr := c.Stats()
		if serr != nil {
			t.Fatal(serr)
		}
		var gap *cache.GapError
		switch {
		case errors.As(err, &gap):
			if !staleBefore && after.Cursor != before.Cursor+uint64(n) {
				t.Fatalf("gap after %d events: cursor %d → %d", n, before.Cursor, after.Cursor)
			}
		case err != nil:
			if n != 0 {
				t.Fatalf("failed Apply reports %d applied", n)
			}
			before.Head, after.Head = 0, 0
			before.FileBytes, after.FileBytes = 0, 0
			if after != before || c.Stale() != staleBefore {
				t.Fatalf("failed Apply (%v) changed the cache: %+v → %+v", err, before, after)
			}
		case !b.Snapshot && !staleBefore:
			if after.Cursor < before.Cursor {
				t.Fatalf("cursor went back: %d → %d", before.Cursor, after.Cursor)
			}
		}
		checkConsistent(t, c)
	})
}
