// Package outbox is an edge device's durable record of the facts it
// observed (admissions, exits, prints, print failures, heartbeats), kept
// until the cloud acknowledges them (ARCHITECTURE.md rule 4).
//
// The outbox lives in the device's bbolt file, next to the cache (package
// edge/cache), so that a local state change and the fact describing it
// commit in one transaction: a gate's admission record and its admission
// fact are either both on disk or neither is.
//
// Layout: bucket "outbox", key = the fact's per-device sequence number as 8
// big-endian bytes (so a cursor walks facts oldest first), value = the
// sync.Fact as JSON, exactly what is uploaded. The next sequence number is
// the bucket's own bbolt sequence (Bucket.NextSequence), stored in the
// bucket header and committed with the fact: it only grows, so a sequence
// number is never reused, even after every fact has been pruned.
//
// Durability: bbolt fsyncs the file on every commit unless DB.NoSync is set.
// The cache opens its DB with NoSync=false and this package relies on it: a
// fact returned by Append inside a committed Update transaction is on disk,
// so the device may act on it (open the turnstile, hand out the ticket)
// knowing that it will be uploaded even if the power fails the next moment.
package outbox

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/admitbox/admit/sync"
	bolt "go.etcd.io/bbolt"
)

// Bucket is the name of the outbox bucket in the device's bbolt file.
var Bucket = []byte("outbox")

// ErrNoBucket is returned when the outbox bucket has not been created (see
// Init).
var ErrNoBucket = errors.New("outbox: bucket missing (not initialised)")

// Init creates the outbox bucket if it does not exist. tx must be writable.
func Init(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(Bucket); err != nil {
		return fmt.Errorf("outbox: create bucket: %w", err)
	}
	return nil
}

// Append records a fact of the given kind in tx, which must be writable:
// it assigns the device id, the next sequence number and a random 16-byte
// id, and stores data (marshalled as JSON) with the time at. The fact is
// durable once tx commits.
func Append(tx *bolt.Tx, device, kind string, data any, at time.Time) (sync.Fact, error) {
	if device == "" {
		return sync.Fact{}, errors.New("outbox: append: no device id")
	}
	if kind == "" {
		return sync.Fact{}, errors.New("outbox: append: no fact kind")
	}
	b := tx.Bucket(Bucket)
	if b == nil {
		return sync.Fact{}, ErrNoBucket
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return sync.Fact{}, fmt.Errorf("outbox: append %s: encode data: %w", kind, err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return sync.Fact{}, fmt.Errorf("outbox: append %s: %w", kind, err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return sync.Fact{}, fmt.Errorf("outbox: append %s: fact id: %w", kind, err)
	}
	f := sync.Fact{Device: device, Seq: seq, ID: hex.EncodeToString(id[:]), Kind: kind, At: at.UTC(), Data: raw}
	v, err := json.Marshal(f)
	if err != nil {
		return sync.Fact{}, fmt.Errorf("outbox: append %s: encode fact: %w", kind, err)
	}
	if err := b.Put(seqKey(seq), v); err != nil {
		return sync.Fact{}, fmt.Errorf("outbox: append %s: %w", kind, err)
	}
	return f, nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// Outbox reads and prunes the facts of one device's bbolt file, and
// appends facts that need no other write in the same transaction
// (heartbeats, faults).
type Outbox struct {
	db     *bolt.DB
	device string
}

// New returns the outbox stored in db for device, creating its bucket if
// needed. db must be opened with NoSync=false (see the package comment).
func New(db *bolt.DB, device string) (*Outbox, error) {
	if db.NoSync {
		return nil, errors.New("outbox: refusing a bbolt DB with NoSync set: facts must be fsynced before the device acts on them")
	}
	if err := db.Update(Init); err != nil {
		return nil, err
	}
	return &Outbox{db: db, device: device}, nil
}

// Append records one fact in its own durable transaction.
func (o *Outbox) Append(kind string, data any, at time.Time) (sync.Fact, error) {
	var f sync.Fact
	err := o.db.Update(func(tx *bolt.Tx) error {
		var err error
		f, err = Append(tx, o.device, kind, data, at)
		return err
	})
	return f, err
}

// Pending returns up to limit facts not yet pruned, oldest first (all of
// them if limit <= 0).
func (o *Outbox) Pending(limit int) ([]sync.Fact, error) {
	var out []sync.Fact
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return ErrNoBucket
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var f sync.Fact
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("outbox: fact %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// Prune deletes every fact with a sequence number up to and including upTo
// (the cloud's Ack.UpTo) and returns how many it deleted.
func (o *Outbox) Prune(upTo uint64) (int, error) {
	n := 0
	err := o.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return ErrNoBucket
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= upTo; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return fmt.Errorf("outbox: prune: %w", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Depth returns the number of facts waiting for an acknowledgement.
func (o *Outbox) Depth() (int, error) {
	n := 0
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return ErrNoBucket
		}
		n = b.Stats().KeyN
		return nil
	})
	return n, err
}

// LastSeq returns the sequence number of the newest fact ever appended (0
// if none), whether or not it has been pruned.
func (o *Outbox) LastSeq() (uint64, error) {
	var s uint64
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return ErrNoBucket
		}
		s = b.Sequence()
		return nil
	})
	return s, err
}
