// Package cachetest builds edge caches for tests: a venue with a signing
// key, numbered feed events and signed tickets.
package cachetest

import (
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/sync"
)

// SystemCode is the system code of test tickets.
const SystemCode = "ADMIT01"

// Venue plays the cloud for one venue: it numbers feed events and signs
// tickets.
type Venue struct {
	Code string
	Key  ticket.SigningKey
	Pub  ed25519.PublicKey
	Seq  uint64 // the last seq handed out
}

// NewVenue returns a venue with a signing key derived from seed.
func NewVenue(code string, keyID ticket.KeyID, seed byte) *Venue {
	k := DeterministicKey(keyID, seed)
	return &Venue{Code: code, Key: k, Pub: Public(k)}
}

// DeterministicKey derives a signing key from a byte.
func DeterministicKey(id ticket.KeyID, seed byte) ticket.SigningKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed + byte(i)
	}
	return ticket.SigningKey{ID: id, Private: ed25519.NewKeyFromSeed(s)}
}

// Public returns the public half of a signing key.
func Public(k ticket.SigningKey) ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// Open opens a fresh cache file in a temporary directory.
func Open(t testing.TB, venue, device string) *cache.Cache {
	t.Helper()
	c, err := cache.Open(filepath.Join(t.TempDir(), "edge.db"), cache.Options{DeviceID: device, VenueCode: venue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Event returns a feed event with data marshalled and seq 0 (see Next).
func Event(kind string, data any) sync.FeedEvent {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return sync.FeedEvent{Kind: kind, At: time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC), Data: raw}
}

// Next numbers events with the venue's next seqs.
func (v *Venue) Next(evs ...sync.FeedEvent) []sync.FeedEvent {
	out := make([]sync.FeedEvent, len(evs))
	for i, e := range evs {
		v.Seq++
		e.Seq = v.Seq
		out[i] = e
	}
	return out
}

// Batch numbers events and wraps them in a live batch.
func (v *Venue) Batch(evs ...sync.FeedEvent) sync.FeedBatch {
	evs = v.Next(evs...)
	return sync.FeedBatch{Venue: v.Code, Events: evs, Head: v.Seq}
}

// KeyEvent announces the venue's key with a status.
func (v *Venue) KeyEvent(status string) sync.FeedEvent {
	return KeyEvent(v.Key, status)
}

// KeyEvent announces any key with a status.
func KeyEvent(k ticket.SigningKey, status string) sync.FeedEvent {
	return Event(sync.EventKey, sync.KeyData{ID: uint32(k.ID), Public: Public(k), Status: status})
}

// Sign signs a ticket of this venue and returns its feed data.
func (v *Venue) Sign(t testing.TB, date time.Time, serial uint32, session, seat int64, pickup string) sync.TicketData {
	t.Helper()
	p := ticket.Payload{SystemCode: SystemCode, VenueCode: v.Code, BusinessDate: date, Serial: serial, SessionID: session, SeatID: seat}
	qr, err := ticket.Sign(p, v.Key)
	if err != nil {
		t.Fatal(err)
	}
	return sync.TicketData{Number: p.Number(), QR: qr, SessionID: session, SeatID: seat,
		SeatLabel: "R1-" + string(rune('A'+seat%26)), OrderID: int64(serial), PickupCode: pickup, PriceCents: 4500}
}

// Apply applies a batch and fails the test on any error.
func Apply(t testing.TB, c *cache.Cache, b sync.FeedBatch) {
	t.Helper()
	if _, err := c.Apply(b); err != nil {
		t.Fatal(err)
	}
}
