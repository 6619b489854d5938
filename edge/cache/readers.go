package cache

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/sync"
)

// Key statuses (sync.KeyData.Status).
const (
	KeyActive  = "active"
	KeyRetired = "retired"
	KeyRevoked = "revoked"
)

// Ticket returns a cached ticket.
func (t *Tx) Ticket(number string) (Ticket, bool, error) {
	v := t.tx.Bucket(bTickets).Get([]byte(number))
	if v == nil {
		return Ticket{}, false, nil
	}
	tk, err := decodeTicket(number, v)
	if err != nil {
		return Ticket{}, false, fmt.Errorf("cache: ticket %s: %w", number, err)
	}
	return tk, true, nil
}

// Revocation returns the reason a ticket was revoked (refunded, reissued).
func (t *Tx) Revocation(number string) (string, bool, error) {
	v := t.tx.Bucket(bRevocations).Get([]byte(number))
	if v == nil {
		return "", false, nil
	}
	return string(v), true, nil
}

func sessionKey(id int64) []byte { return u64(uint64(id)) }

// Session returns a cached session.
func (t *Tx) Session(id int64) (sync.SessionData, bool, error) {
	v := t.tx.Bucket(bSessions).Get(sessionKey(id))
	if v == nil {
		return sync.SessionData{}, false, nil
	}
	var s sync.SessionData
	if err := json.Unmarshal(v, &s); err != nil {
		return sync.SessionData{}, false, fmt.Errorf("cache: session %d: %w", id, err)
	}
	return s, true, nil
}

// Sessions returns every cached session, by id.
func (t *Tx) Sessions() ([]sync.SessionData, error) {
	var out []sync.SessionData
	err := t.tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
		var s sync.SessionData
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("cache: session %d: %w", binary.BigEndian.Uint64(k), err)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// Keys returns every known key, revoked ones included.
func (t *Tx) Keys() ([]sync.KeyData, error) {
	var out []sync.KeyData
	err := t.tx.Bucket(bKeys).ForEach(func(k, v []byte) error {
		var kd sync.KeyData
		if err := json.Unmarshal(v, &kd); err != nil {
			return fmt.Errorf("cache: key %d: %w", binary.BigEndian.Uint32(k), err)
		}
		out = append(out, kd)
		return nil
	})
	return out, err
}

// PublicKeys returns the keys tickets may be verified with: active and
// retired ones. A revoked key (or one of an unknown status) is left out,
// so its tickets fail with ticket.ErrUnknownKey.
func (t *Tx) PublicKeys() (ticket.PublicKeys, error) {
	keys, err := t.Keys()
	if err != nil {
		return nil, err
	}
	pk := make(ticket.PublicKeys, len(keys))
	for _, k := range keys {
		if (k.Status == KeyActive || k.Status == KeyRetired) && len(k.Public) == ed25519.PublicKeySize {
			pk[ticket.KeyID(k.ID)] = ed25519.PublicKey(k.Public)
		}
	}
	return pk, nil
}

// Admission returns the newest known admission of a ticket.
func (t *Tx) Admission(number string) (Admission, bool, error) {
	v := t.tx.Bucket(bAdmissions).Get([]byte(number))
	if v == nil {
		return Admission{}, false, nil
	}
	a, err := decodeAdmission(number, v)
	if err != nil {
		return Admission{}, false, fmt.Errorf("cache: admission %s: %w", number, err)
	}
	return a, true, nil
}

// Printed returns how many times this device printed a ticket.
func (t *Tx) Printed(number string) (int, error) {
	v := t.tx.Bucket(bPrinted).Get([]byte(number))
	if v == nil {
		return 0, nil
	}
	d := &dec{b: v}
	n := d.uvarint()
	if d.err != nil {
		return 0, fmt.Errorf("cache: printed %s: %w", number, d.err)
	}
	return int(n), nil
}

// Pickup returns the cached tickets of a pickup code (exact, normalised
// form), in number order.
func (t *Tx) Pickup(code string) ([]Ticket, error) {
	v := t.tx.Bucket(bPickups).Get([]byte(code))
	var out []Ticket
	for i := 0; i+ticket.NumberLen <= len(v); i += ticket.NumberLen {
		tk, ok, err := t.Ticket(string(v[i : i+ticket.NumberLen]))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, tk)
		}
	}
	return out, nil
}

// --- the same readers, each in its own read transaction -------------------

func view[T any](c *Cache, fn func(tx *Tx) (T, error)) (T, error) {
	var v T
	err := c.View(func(tx *Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

type found[T any] struct {
	v  T
	ok bool
}

func viewOK[T any](c *Cache, fn func(tx *Tx) (T, bool, error)) (T, bool, error) {
	r, err := view(c, func(tx *Tx) (found[T], error) {
		v, ok, err := fn(tx)
		return found[T]{v, ok}, err
	})
	return r.v, r.ok, err
}

// Ticket returns a cached ticket.
func (c *Cache) Ticket(number string) (Ticket, bool, error) {
	return viewOK(c, func(tx *Tx) (Ticket, bool, error) { return tx.Ticket(number) })
}

// Revocation returns the reason a ticket was revoked.
func (c *Cache) Revocation(number string) (string, bool, error) {
	return viewOK(c, func(tx *Tx) (string, bool, error) { return tx.Revocation(number) })
}

// Session returns a cached session.
func (c *Cache) Session(id int64) (sync.SessionData, bool, error) {
	return viewOK(c, func(tx *Tx) (sync.SessionData, bool, error) { return tx.Session(id) })
}

// Sessions returns every cached session.
func (c *Cache) Sessions() ([]sync.SessionData, error) {
	return view(c, (*Tx).Sessions)
}

// Keys returns every known key, revoked ones included.
func (c *Cache) Keys() ([]sync.KeyData, error) {
	return view(c, (*Tx).Keys)
}

// PublicKeys returns the active and retired keys.
func (c *Cache) PublicKeys() (ticket.PublicKeys, error) {
	return view(c, (*Tx).PublicKeys)
}

// Admission returns the newest known admission of a ticket.
func (c *Cache) Admission(number string) (Admission, bool, error) {
	return viewOK(c, func(tx *Tx) (Admission, bool, error) { return tx.Admission(number) })
}

// Printed returns how many times this device printed a ticket.
func (c *Cache) Printed(number string) (int, error) {
	return view(c, func(tx *Tx) (int, error) { return tx.Printed(number) })
}

// Pickup returns the cached tickets of a pickup code.
func (c *Cache) Pickup(code string) ([]Ticket, error) {
	return view(c, func(tx *Tx) ([]Ticket, error) { return tx.Pickup(code) })
}

// Stale reports, within the transaction, a snapshot begun and not yet
// finished: revocations may be missing until it is.
func (t *Tx) Stale() bool { return readMeta(t.tx).snapshot }

// SeatMap is a session's seat-map summary, for POS display.
func (t *Tx) SeatMap(sessionID int64) (sync.SeatMapData, bool, error) {
	var d sync.SeatMapData
	v := t.tx.Bucket(bSeatMaps).Get(sessionKey(sessionID))
	if v == nil {
		return d, false, nil
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return d, false, fmt.Errorf("cache: seat map of session %d: %w", sessionID, err)
	}
	return d, true, nil
}

// PassTickets are the numbers of a pass's tickets for this venue's
// sessions, as the feed sent them.
func (t *Tx) PassTickets(passID int64) []string {
	prefix := passKey(passID, "")
	var out []string
	c := t.tx.Bucket(bPasses).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out
}

// TicketByCard is the number of the ticket an RFID card admits.
func (t *Tx) TicketByCard(uid string) (string, bool) {
	v := t.tx.Bucket(bCards).Get([]byte(uid))
	return string(v), v != nil
}

// Holder is the keyed hash of the identity document of the ticket's
// holder, on a real-name session: "" when the ticket names none.
func (t *Tx) Holder(number string) string {
	return string(t.tx.Bucket(bHolders).Get([]byte(number)))
}

// HolderKey is the tenant's key for hashing the identity cards the gate
// reads; nil until the feed has sent it.
func (t *Tx) HolderKey() []byte {
	if v := t.tx.Bucket(bHolderKey).Get([]byte("key")); v != nil {
		return bytes.Clone(v)
	}
	return nil
}
