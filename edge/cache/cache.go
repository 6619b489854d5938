// Package cache is an edge device's local copy of what it needs of its
// venue: tickets, pickup codes, revocations, sessions, the tenant's public
// keys and the admissions seen at the venue's gates, plus the device's own
// prints and its outbox of facts (package edge/outbox), all in one bbolt
// file.
//
// The cache is filled only from the venue feed (Apply): the cloud decides,
// the edge copies (ARCHITECTURE.md rule 2). The device's own observations
// (an admission at this gate, a ticket printed at this kiosk) are written
// with Update, in the same durable transaction as the outbox fact that
// reports them.
//
// # Buckets
//
//	tickets      number → compact binary ticket (session, seat, label, order, pickup code, price, tier, QR)
//	pickups      pickup code → the order's ticket numbers, concatenated (22 bytes each)
//	revocations  number → reason
//	sessions     id (8 bytes, big-endian) → sync.SessionData JSON
//	keys         key id (4 bytes, big-endian) → sync.KeyData JSON (revoked keys kept)
//	admissions   number → last direction, device, time, entries, exits
//	printed      number → times printed here (uvarint)
//	intents      number → a passage a lane opened the barrier for and has not yet recorded (JSON Intent)
//	meta         cursor, head, venue, snapshot-in-progress flag, record counters
//	outbox       see package edge/outbox
//
// Nothing is ever loaded in bulk: every reader touches only the pages of
// the keys it asks for, so a gate with 100,000 tickets stays small in
// memory (the file is memory-mapped; only pages read count).
package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/edge/outbox"
	"github.com/admitbox/admit/sync"
	bolt "go.etcd.io/bbolt"
)

// Directions of an admission, as in sync.AdmissionData.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

var (
	bTickets     = []byte("tickets")
	bPickups     = []byte("pickups")
	bRevocations = []byte("revocations")
	bSessions    = []byte("sessions")
	bSeatMaps    = []byte("seatmaps")
	bCards       = []byte("cards")   // RFID card UID -> ticket number
	bCardOf      = []byte("card_of") // ticket number -> RFID card UID
	bKeys        = []byte("keys")
	bHolders     = []byte("holders")    // ticket number -> holder's keyed document hash (real-name sessions)
	bHolderKey   = []byte("holder_key") // "key" -> the tenant's holder key
	bPasses      = []byte("passes")     // pass id (8 bytes) + ticket number -> nothing: a pass's tickets here
	bAdmissions  = []byte("admissions")
	bPrinted     = []byte("printed")
	bIntents     = []byte("intents")
	bMeta        = []byte("meta")

	// feedBuckets hold the cloud's data and are replaced by a snapshot.
	// admissions and printed record what devices observed: a snapshot
	// merges admissions into them and never forgets an entry or a print.
	feedBuckets = [][]byte{bTickets, bPickups, bRevocations, bSessions, bSeatMaps, bCards, bCardOf, bKeys, bHolders, bHolderKey, bPasses}
	allBuckets  = [][]byte{bTickets, bPickups, bRevocations, bSessions, bSeatMaps, bCards, bCardOf, bKeys, bHolders, bHolderKey, bPasses,
		bAdmissions, bPrinted, bIntents, bMeta}

	mCursor      = []byte("cursor")
	mHead        = []byte("head")
	mVenue       = []byte("venue")
	mSnapshot    = []byte("snapshot") // present while a snapshot is being applied
	mTickets     = []byte("n_tickets")
	mRevocations = []byte("n_revocations")
)

// Errors.
var (
	ErrWrongVenue = errors.New("cache: feed batch for another venue")
	// ErrSnapshotNotStarted: a snapshot batch without First while no
	// snapshot is in progress (its beginning was lost).
	ErrSnapshotNotStarted = errors.New("cache: snapshot batch without a snapshot in progress")
	// ErrMalformed is wrapped by Apply's errors for event data that does not
	// decode or carries invalid fields.
	ErrMalformed = errors.New("cache: malformed feed event")
)

// GapError reports a live or catch-up event beyond the next expected one:
// the device must ask for a catch-up from Want-1.
type GapError struct {
	Want, Got uint64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("cache: feed gap: want seq %d, got %d", e.Want, e.Got)
}

// Options configure a cache.
type Options struct {
	// DeviceID is written into every outbox fact.
	DeviceID string
	// VenueCode, when set, is recorded on first open; a cache file of
	// another venue is refused, and so are feed batches of another venue.
	VenueCode string
	// Timeout waits this long for the file lock held by another process
	// (default 2 s) instead of forever.
	Timeout time.Duration
}

// Cache is an open cache file. Its methods are safe for concurrent use.
type Cache struct {
	db     *bolt.DB
	path   string
	device string
	venue  string
	out    *outbox.Outbox
	// snapshotting: this process applied a snapshot's First batch and not
	// yet its Final one. The flag in meta says the same across restarts,
	// but a snapshot begun before a restart is never continued.
	snapshotting atomic.Bool
}

// Open opens (or creates) the cache file at path.
func Open(path string, opts Options) (*Cache, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.Timeout,
		// NoSync stays false: every commit is fsynced. The outbox relies on
		// it (a fact must be on disk before the gate opens or the kiosk
		// prints), and so does the feed cursor.
		NoSync: false,
		// The freelist is rebuilt by scanning on open instead of being
		// written on every commit: cheaper commits, a small file.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	c := &Cache{db: db, path: path, device: opts.DeviceID}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if err := outbox.Init(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bMeta)
		stored := string(meta.Get(mVenue))
		switch {
		case opts.VenueCode == "":
			c.venue = stored
		case stored == "":
			c.venue = opts.VenueCode
			return meta.Put(mVenue, []byte(opts.VenueCode))
		case stored != opts.VenueCode:
			return fmt.Errorf("cache: %s holds venue %s, not %s", path, stored, opts.VenueCode)
		default:
			c.venue = stored
		}
		return nil
	})
	if err == nil {
		c.out, err = outbox.New(db, opts.DeviceID)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	return c, nil
}

// Close closes the file.
func (c *Cache) Close() error { return c.db.Close() }

// Path is the file's path.
func (c *Cache) Path() string { return c.path }

// Venue is the venue code the cache belongs to ("" if not known).
func (c *Cache) Venue() string { return c.venue }

// DeviceID is the device id written into outbox facts.
func (c *Cache) DeviceID() string { return c.device }

// Outbox gives access to the facts stored in the same file.
func (c *Cache) Outbox() *outbox.Outbox { return c.out }

// --- transactions --------------------------------------------------------

// Tx is a transaction over the cache: reads, and in Update also the
// device's own writes and outbox appends, all committed together.
type Tx struct {
	tx *bolt.Tx
	c  *Cache
}

// View runs fn in a read-only transaction.
func (c *Cache) View(fn func(tx *Tx) error) error {
	return c.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, c: c}) })
}

// Update runs fn in a read-write transaction and commits it durably
// (fsync) before returning, unless fn returns an error, in which case
// nothing fn wrote is kept.
func (c *Cache) Update(fn func(tx *Tx) error) error {
	return c.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, c: c}) })
}

// Append records an outbox fact (see outbox.Append); it commits with the
// transaction.
func (t *Tx) Append(kind string, data any, at time.Time) (sync.Fact, error) {
	return outbox.Append(t.tx, t.c.device, kind, data, at)
}

// RecordAdmission records an entry or exit this device just accepted: it
// becomes the ticket's newest admission whatever the times of the ones
// already known (the gate decided on exactly this state).
func (t *Tx) RecordAdmission(number, direction string, at time.Time) (Admission, error) {
	if err := checkNumber(number); err != nil {
		return Admission{}, err
	}
	if direction != DirectionIn && direction != DirectionOut {
		return Admission{}, fmt.Errorf("cache: admission direction %q", direction)
	}
	a, _, err := t.Admission(number)
	if err != nil {
		return Admission{}, err
	}
	a = bump(a, number, direction, t.c.device, at)
	return a, t.tx.Bucket(bAdmissions).Put([]byte(number), encodeAdmission(a))
}

func bump(a Admission, number, direction, device string, at time.Time) Admission {
	a.Number, a.Direction, a.DeviceID, a.At = number, direction, device, at.UTC()
	if direction == DirectionIn {
		a.Count++
	} else {
		a.Exits++
	}
	return a
}

// MarkPrinted counts one more print of a ticket at this device and returns
// the new count.
func (t *Tx) MarkPrinted(number string) (int, error) {
	n, err := t.Printed(number)
	if err != nil {
		return 0, err
	}
	n++
	return n, t.tx.Bucket(bPrinted).Put([]byte(number), enc(nil).uvarint(uint64(n)))
}

// --- meta ----------------------------------------------------------------

type meta struct {
	cursor, head         uint64
	snapshot             bool
	tickets, revocations uint64
}

func readMeta(tx *bolt.Tx) meta {
	b := tx.Bucket(bMeta)
	return meta{
		cursor:      getU64(b.Get(mCursor)),
		head:        getU64(b.Get(mHead)),
		snapshot:    b.Get(mSnapshot) != nil,
		tickets:     getU64(b.Get(mTickets)),
		revocations: getU64(b.Get(mRevocations)),
	}
}

func writeMeta(tx *bolt.Tx, m meta) error {
	b := tx.Bucket(bMeta)
	for _, kv := range []struct {
		k []byte
		v uint64
	}{{mCursor, m.cursor}, {mHead, m.head}, {mTickets, m.tickets}, {mRevocations, m.revocations}} {
		if err := b.Put(kv.k, u64(kv.v)); err != nil {
			return err
		}
	}
	if m.snapshot {
		return b.Put(mSnapshot, []byte{1})
	}
	return b.Delete(mSnapshot)
}

// Cursor is the seq of the last applied feed event: the device continues
// from Cursor()+1. It is 0 while a snapshot is incomplete (Stale).
func (c *Cache) Cursor() uint64 {
	var m meta
	_ = c.db.View(func(tx *bolt.Tx) error { m = readMeta(tx); return nil })
	if m.snapshot {
		return 0
	}
	return m.cursor
}

// Head is the highest venue seq the device has heard of.
func (c *Cache) Head() uint64 {
	var m meta
	_ = c.db.View(func(tx *bolt.Tx) error { m = readMeta(tx); return nil })
	return m.head
}

// Stale reports a snapshot that began but did not finish (the process
// stopped in between): the data is partial and the device must ask for the
// feed again from 0.
func (c *Cache) Stale() bool {
	var m meta
	_ = c.db.View(func(tx *bolt.Tx) error { m = readMeta(tx); return nil })
	return m.snapshot
}

// NoteHead records that the venue's feed has reached seq h (from a live
// batch's Head or a catch-up answer), if h is higher than known.
func (c *Cache) NoteHead(h uint64) error {
	if h <= c.Head() {
		return nil
	}
	return c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bMeta)
		if getU64(b.Get(mHead)) >= h {
			return nil
		}
		return b.Put(mHead, u64(h))
	})
}

// Stats describes the cache.
type Stats struct {
	Tickets, Revocations, Sessions, Keys int
	Cursor, Head                         uint64
	FileBytes                            int64
}

// Stats returns counts and the file size without walking the tickets.
func (c *Cache) Stats() (Stats, error) {
	var s Stats
	err := c.db.View(func(tx *bolt.Tx) error {
		m := readMeta(tx)
		s.Tickets, s.Revocations = int(m.tickets), int(m.revocations)
		s.Sessions = tx.Bucket(bSessions).Stats().KeyN
		s.Keys = tx.Bucket(bKeys).Stats().KeyN
		s.Cursor, s.Head = m.cursor, m.head
		if m.snapshot {
			s.Cursor = 0
		}
		s.FileBytes = tx.Size()
		return nil
	})
	if fi, e := os.Stat(c.path); e == nil {
		s.FileBytes = fi.Size() // bbolt grows the file ahead of the data
	}
	return s, err
}
