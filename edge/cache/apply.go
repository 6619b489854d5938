package cache

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/sync"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Apply applies a feed batch in one durable bbolt transaction and returns
// how many of its events it consumed.
//
// A live or catch-up batch continues strictly from Cursor()+1: events at
// or below the cursor are replays and are skipped; an event beyond the
// next expected one stops the batch with a *GapError, and the events
// before it are kept (committed) and counted.
//
// A snapshot batch replaces the cloud's data: First clears tickets, pickup
// codes, revocations, sessions and keys (admissions and prints, which
// record what happened at the gates and kiosks, are merged, never
// dropped), every event is applied whatever its Seq, and Final sets the
// cursor to the batch's Head. Between First and Final the cache is Stale
// and its Cursor is 0, also across a restart, so a device that died
// mid-snapshot asks for the feed again from 0; the rest of a snapshot begun
// before a restart is refused (ErrSnapshotNotStarted) since batches may
// have been lost in between. While stale, a catch-up
// starting at seq 1 replaces the data too.
//
// Events of kinds this version does not know are consumed and ignored.
// Any malformed event (undecodable data, an invalid ticket number, ...)
// fails the whole batch: nothing of it is applied, the cursor is unchanged.
func (c *Cache) Apply(b sync.FeedBatch) (applied int, err error) {
	var gap *GapError
	err = c.db.Update(func(tx *bolt.Tx) error {
		applied, gap = 0, nil
		if c.venue != "" && b.Venue != "" && b.Venue != c.venue {
			return fmt.Errorf("%w: batch for %q, cache of %q", ErrWrongVenue, b.Venue, c.venue)
		}
		m := readMeta(tx)
		if b.Snapshot {
			switch {
			case b.First:
				if err := clearFeedData(tx, &m); err != nil {
					return err
				}
				m.snapshot, m.cursor = true, 0
			case !m.snapshot || !c.snapshotting.Load():
				// No snapshot, or one begun before a restart: its missing
				// batches may be lost, so only a new First will do.
				return ErrSnapshotNotStarted
			}
			for i, ev := range b.Events {
				if err := applyEvent(tx, &m, ev); err != nil {
					return fmt.Errorf("snapshot event %d (%s): %w", i, ev.Kind, err)
				}
				applied++
			}
			if b.Final {
				m.snapshot, m.cursor = false, b.Head
			}
		} else {
			if m.snapshot {
				// Half a snapshot: the cursor counts as 0. Only a feed that
				// starts over at seq 1 can replace the partial data.
				m.cursor = 0
			}
			for _, ev := range b.Events {
				if ev.Seq <= m.cursor {
					continue // a replay
				}
				if ev.Seq != m.cursor+1 {
					gap = &GapError{Want: m.cursor + 1, Got: ev.Seq}
					break
				}
				if m.snapshot {
					if err := clearFeedData(tx, &m); err != nil {
						return err
					}
					m.snapshot = false
				}
				if err := applyEvent(tx, &m, ev); err != nil {
					return fmt.Errorf("event seq %d (%s): %w", ev.Seq, ev.Kind, err)
				}
				m.cursor = ev.Seq
				applied++
			}
		}
		m.head = max(m.head, b.Head, m.cursor)
		return writeMeta(tx, m)
	})
	if err != nil {
		return 0, fmt.Errorf("cache: apply: %w", err)
	}
	if b.Snapshot {
		c.snapshotting.Store(!b.Final)
	} else if applied > 0 {
		c.snapshotting.Store(false)
	}
	if gap != nil {
		return applied, gap
	}
	return applied, nil
}

func clearFeedData(tx *bolt.Tx, m *meta) error {
	for _, name := range feedBuckets {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	m.tickets, m.revocations = 0, 0
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func decodeData(ev sync.FeedEvent, v any) error {
	if len(ev.Data) == 0 {
		return malformed("no data")
	}
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return malformed("%v", err)
	}
	return nil
}

func checkNumber(n string) error {
	if _, _, _, err := ticket.ParseNumber(n); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

func applyEvent(tx *bolt.Tx, m *meta, ev sync.FeedEvent) error {
	switch ev.Kind {
	case sync.EventTicket:
		var d sync.TicketData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		return putTicket(tx, m, d)
	case sync.EventRevocation:
		var d sync.RevocationData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		if err := checkNumber(d.Number); err != nil {
			return err
		}
		b := tx.Bucket(bRevocations)
		if b.Get([]byte(d.Number)) == nil {
			m.revocations++
		}
		return b.Put([]byte(d.Number), []byte(d.Reason))
	case sync.EventSession:
		var d sync.SessionData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		if d.ID <= 0 {
			return malformed("session id %d", d.ID)
		}
		v, err := json.Marshal(d)
		if err != nil {
			return malformed("%v", err)
		}
		return tx.Bucket(bSessions).Put(sessionKey(d.ID), v)
	case sync.EventKey:
		var d sync.KeyData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		if len(d.Public) != ed25519.PublicKeySize && d.Status != KeyRevoked {
			return malformed("key %d has a %d-byte public key", d.ID, len(d.Public))
		}
		v, err := json.Marshal(d)
		if err != nil {
			return malformed("%v", err)
		}
		return tx.Bucket(bKeys).Put(binary.BigEndian.AppendUint32(nil, d.ID), v)
	case sync.EventHolderKey:
		var d sync.HolderKeyData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		if len(d.Key) < 16 || len(d.Key) > 64 {
			return malformed("holder key of %d bytes", len(d.Key))
		}
		return tx.Bucket(bHolderKey).Put([]byte("key"), d.Key)
	case sync.EventPrinted:
		var d sync.PrintedData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		if err := checkNumber(d.Number); err != nil {
			return err
		}
		return markOnPaper(tx, d.Number)
	case sync.EventAdmission:
		var d sync.AdmissionData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		return mergeAdmission(tx, d)
	case sync.EventSeatMap:
		var d sync.SeatMapData
		if err := decodeData(ev, &d); err != nil {
			return err
		}
		if d.SessionID <= 0 || len(d.Seats) != d.Total {
			return malformed("seat map of session %d: %d codes for %d seats", d.SessionID, len(d.Seats), d.Total)
		}
		return tx.Bucket(bSeatMaps).Put(sessionKey(d.SessionID), ev.Data)
	default:
		// EventDevice (not used yet) and kinds of newer cloud versions.
		return nil
	}
}

const ticketFill = 0.9

func putTicket(tx *bolt.Tx, m *meta, d sync.TicketData) error {
	if err := checkNumber(d.Number); err != nil {
		return err
	}
	if len(d.PickupCode) > 64 {
		return malformed("pickup code of %d bytes", len(d.PickupCode))
	}
	tk := Ticket{Number: d.Number, QR: d.QR, SessionID: d.SessionID, SeatID: d.SeatID, SeatLabel: d.SeatLabel,
		OrderID: d.OrderID, PickupCode: d.PickupCode, PriceCents: d.PriceCents, Tier: d.Tier}
	tb, pb := tx.Bucket(bTickets), tx.Bucket(bPickups)
	// Ticket numbers arrive mostly in ascending order (serials per venue
	// and date), so pages can be split nearly full instead of half full:
	// the file is about 40% smaller.
	tb.FillPercent = ticketFill
	key := []byte(d.Number)
	if old := tb.Get(key); old == nil {
		m.tickets++
	} else if oc := pickupCodeOf(old); oc != d.PickupCode && oc != "" {
		if err := pickupRemove(pb, oc, d.Number); err != nil {
			return err
		}
	}
	if err := tb.Put(key, encodeTicket(tk)); err != nil {
		return err
	}
	if err := putCard(tx, d.Number, d.Card); err != nil {
		return err
	}
	if err := putHolder(tx, d.Number, d.Holder); err != nil {
		return err
	}
	if d.Printed {
		if err := markOnPaper(tx, d.Number); err != nil {
			return err
		}
	}
	if d.Pass < 0 {
		return malformed("pass id %d", d.Pass)
	}
	if d.Pass > 0 {
		if err := tx.Bucket(bPasses).Put(passKey(d.Pass, d.Number), nil); err != nil {
			return err
		}
	}
	if d.PickupCode == "" {
		return nil
	}
	return pickupAdd(pb, d.PickupCode, d.Number)
}

// markOnPaper notes that a ticket was printed somewhere (this device's
// own print coming back, another device's, an office's): a print count
// of at least one, so it prints again only as an authorised reprint.
func markOnPaper(tx *bolt.Tx, number string) error {
	b := tx.Bucket(bPrinted)
	if b.Get([]byte(number)) != nil {
		return nil
	}
	return b.Put([]byte(number), enc(nil).uvarint(1))
}

// pickupIndex finds number in a pickup list (numbers of NumberLen bytes).
func pickupIndex(list []byte, number string) int {
	for i := 0; i+ticket.NumberLen <= len(list); i += ticket.NumberLen {
		if string(list[i:i+ticket.NumberLen]) == number {
			return i
		}
	}
	return -1
}

func pickupAdd(b *bolt.Bucket, code, number string) error {
	list := b.Get([]byte(code))
	if pickupIndex(list, number) >= 0 {
		return nil
	}
	// Keep the list sorted so Pickup returns tickets in number order.
	n := make([]byte, 0, len(list)+ticket.NumberLen)
	i := 0
	for ; i+ticket.NumberLen <= len(list) && bytes.Compare(list[i:i+ticket.NumberLen], []byte(number)) < 0; i += ticket.NumberLen {
	}
	n = append(n, list[:i]...)
	n = append(n, number...)
	n = append(n, list[i:]...)
	return b.Put([]byte(code), n)
}

func pickupRemove(b *bolt.Bucket, code, number string) error {
	list := b.Get([]byte(code))
	i := pickupIndex(list, number)
	if i < 0 {
		return nil
	}
	if len(list) == ticket.NumberLen {
		return b.Delete([]byte(code))
	}
	n := append(append(make([]byte, 0, len(list)-ticket.NumberLen), list[:i]...), list[i+ticket.NumberLen:]...)
	return b.Put([]byte(code), n)
}

// mergeAdmission applies an admission from the feed. The feed also echoes
// this device's own admissions, and a snapshot re-sends old ones, so an
// admission changes the record only if it is newer than the newest one
// known: an echo (same time) or an older admission is ignored.
func mergeAdmission(tx *bolt.Tx, d sync.AdmissionData) error {
	if err := checkNumber(d.Number); err != nil {
		return err
	}
	if d.Direction != DirectionIn && d.Direction != DirectionOut {
		return malformed("admission direction %q", d.Direction)
	}
	if y := d.At.Year(); y < 2000 || y > 2200 {
		return malformed("admission time %s", d.At)
	}
	b := tx.Bucket(bAdmissions)
	var a Admission
	if v := b.Get([]byte(d.Number)); v != nil {
		var err error
		if a, err = decodeAdmission(d.Number, v); err != nil {
			return fmt.Errorf("cache: admission %s: %w", d.Number, err)
		}
		if !d.At.After(a.At) {
			return nil
		}
	}
	return b.Put([]byte(d.Number), encodeAdmission(bump(a, d.Number, d.Direction, d.DeviceID, d.At)))
}

// putHolder keeps the ticket's holder hash, or forgets it when the ticket
// comes again without one.
func putHolder(tx *bolt.Tx, number, holder string) error {
	if len(holder) > 128 {
		return malformed("holder hash of %d characters", len(holder))
	}
	b := tx.Bucket(bHolders)
	if holder == "" {
		return b.Delete([]byte(number))
	}
	return b.Put([]byte(number), []byte(holder))
}

// putCard keeps the card index in step with the ticket's binding: a card
// moved to another ticket, or removed, stops admitting the old one.
func putCard(tx *bolt.Tx, number, card string) error {
	if len(card) > 20 {
		return malformed("card UID of %d characters", len(card))
	}
	cards, of := tx.Bucket(bCards), tx.Bucket(bCardOf)
	if old := of.Get([]byte(number)); old != nil && string(old) != card {
		if string(cards.Get(old)) == number {
			if err := cards.Delete(old); err != nil {
				return err
			}
		}
		if err := of.Delete([]byte(number)); err != nil {
			return err
		}
	}
	if card == "" {
		return nil
	}
	if err := cards.Put([]byte(card), []byte(number)); err != nil {
		return err
	}
	return of.Put([]byte(number), []byte(card))
}

// passKey is a pass's index key: its id, big-endian, then a ticket number.
func passKey(passID int64, number string) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(number)), uint64(passID)), number...)
}
