// Package audit defines the append-only, hash-chained audit log of Admit.
//
// Every change to sales data, seat maps, sessions, prices, keys and users is
// recorded as an Entry: who did it (Actor), when (At), what was done (Action
// on Object), the state before and after, why (Reason) and who approved it
// (Approver). Each entry carries the hash of the previous entry (PrevHash) and
// its own hash (Hash) over all of its fields, so that altering, removing or
// reordering stored entries breaks the chain.
//
// The package is pure: it defines the entry, computes hashes and verifies a
// chain that a store has read. It performs no SQL or other I/O itself. A store
// assigns sequence numbers by calling Seal with the previous chain head,
// persists the entry verbatim, and keeps the chain head (last Seq and Hash)
// separately so that deleting the last entry can be detected by
// Verifier.Finish.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// GenesisHash is the PrevHash of the first entry (Seq 1) in a chain: 64 zeros.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// hashDomain separates audit entry hashes from any other sha256 use and
// versions the encoding.
const hashDomain = "admit/audit/entry/v1\x00"

// Entry is one record of the audit log.
//
// Before and After are hashed as the exact bytes given. The store must keep
// them verbatim. Note that encoding/json compacts a json.RawMessage when
// marshalling, so an entry that travels through JSON keeps its hash only if
// Before and After were compact JSON when it was sealed.
type Entry struct {
	Seq      int64           `json:"seq"`              // 1, 2, 3 … contiguous, assigned by the store
	At       time.Time       `json:"at"`               // UTC; hashed as At.UTC().Format(time.RFC3339Nano)
	TenantID int64           `json:"tenant_id"`        // 0 = platform-level
	VenueID  int64           `json:"venue_id"`         // 0 = not venue-specific
	Actor    string          `json:"actor"`            // e.g. "user:12 alice" or "system"
	Action   string          `json:"action"`           // e.g. "order.pay", "seatmap.import"
	Object   string          `json:"object"`           // e.g. "order:55"
	Before   json.RawMessage `json:"before,omitempty"` // JSON or nil
	After    json.RawMessage `json:"after,omitempty"`  // JSON or nil
	Reason   string          `json:"reason,omitempty"`
	Approver string          `json:"approver,omitempty"`
	// RequestID is the API request that made the change ("" for none, and
	// for every entry written before it was kept): it ties the entry to
	// the access log and the feed events of the same request.
	RequestID string `json:"request_id,omitempty"`
	PrevHash  string `json:"prev_hash"` // hex sha256 of the previous entry; GenesisHash for Seq 1
	Hash      string `json:"hash"`      // hex sha256 over all fields above incl. Seq and PrevHash
}

// ComputeHash returns the hash the entry should carry: the hex sha256 of a
// domain tag followed by every field except Hash. Integers are encoded as
// fixed 8-byte big-endian values and every string or byte field is prefixed
// by its 8-byte big-endian length, so the encoding is unambiguous: moving
// bytes from one field to another changes the hash. A nil and an empty
// Before (or After) hash the same, as they do in JSON with omitempty. A
// RequestID, when present, is one more field at the end, so entries sealed
// before request ids were kept hash as they did.
func (e Entry) ComputeHash() string {
	var atBuf [64]byte
	at := e.At.UTC().AppendFormat(atBuf[:0], time.RFC3339Nano)
	n := len(hashDomain) + 13*8 + len(at) + len(e.Actor) + len(e.Action) + len(e.Object) +
		len(e.Before) + len(e.After) + len(e.Reason) + len(e.Approver) + len(e.PrevHash) + len(e.RequestID)
	var stack [512]byte
	b := stack[:0]
	if n > len(stack) {
		b = make([]byte, 0, n)
	}
	b = append(b, hashDomain...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = appendField(b, at)
	b = binary.BigEndian.AppendUint64(b, uint64(e.TenantID))
	b = binary.BigEndian.AppendUint64(b, uint64(e.VenueID))
	b = appendField(b, e.Actor)
	b = appendField(b, e.Action)
	b = appendField(b, e.Object)
	b = appendField(b, e.Before)
	b = appendField(b, e.After)
	b = appendField(b, e.Reason)
	b = appendField(b, e.Approver)
	b = appendField(b, e.PrevHash)
	if e.RequestID != "" {
		b = appendField(b, e.RequestID)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendField appends s prefixed by its length as 8 bytes big-endian.
func appendField[T string | []byte | json.RawMessage](b []byte, s T) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// Seal links e to the chain head (prevSeq, prevHash): it sets
// e.Seq = prevSeq+1 and e.PrevHash = prevHash, normalises e.At to UTC, and
// sets e.Hash. For the first entry pass (0, GenesisHash).
func Seal(e *Entry, prevSeq int64, prevHash string) {
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.At = e.At.UTC()
	e.Hash = e.ComputeHash()
}

// BreakKind classifies a break in the chain.
type BreakKind string

const (
	// Altered: an entry's contents, its link to the previous entry, or the
	// chain head do not match.
	Altered BreakKind = "altered"
	// Removed: one or more entries are missing.
	Removed BreakKind = "removed"
	// Reordered: entries are stored out of sequence order.
	Reordered BreakKind = "reordered"
)

// Break describes the first problem found in a chain. It implements error.
type Break struct {
	Seq    int64     // the entry at which the chain breaks
	Kind   BreakKind // what kind of break
	Detail string    // human-readable detail
}

// Error returns e.g. "audit chain broken at entry 17: altered (hash mismatch)".
func (b *Break) Error() string {
	if b.Detail == "" {
		return fmt.Sprintf("audit chain broken at entry %d: %s", b.Seq, b.Kind)
	}
	return fmt.Sprintf("audit chain broken at entry %d: %s (%s)", b.Seq, b.Kind, b.Detail)
}

// Verifier checks entries fed in storage order (the order rows were
// inserted, e.g. by rowid), then the chain head with Finish.
//
// Classification, with expected = last good Seq + 1:
//
//   - Seq < expected: Reordered at that Seq (e.g. a duplicate, or an entry
//     stored after a later one).
//   - Seq > expected: either entries were removed or a later entry was stored
//     early. The verifier cannot tell from one entry, so it holds judgement
//     until the next Check or Finish: if the next entry has a lower Seq than
//     the early one, it reports Reordered at expected; otherwise Removed at
//     expected (entries expected..Seq-1 missing). So swapping two whole
//     entries i < j in storage order is reported as Reordered at i, and a
//     break may be returned one call later than the entry that caused it.
//   - Hash != ComputeHash(): Altered at Seq (hash mismatch).
//   - PrevHash != previous entry's Hash (the entry's own hash being fine):
//     Altered at Seq ("link to previous entry rewritten"). This is how an
//     attacker who alters entry k and recomputes its Hash is caught: at k+1,
//     or, if k is the last entry, by Finish against the chain head.
//
// Swapping the contents of two rows while each keeps its Seq (everything but
// Seq swapped) is reported as Altered at the first of them, since the Seq is
// part of the hash.
//
// After a break, Check and Finish keep returning the same *Break.
// A Verifier is not safe for concurrent use.
type Verifier struct {
	expected int64  // next Seq expected
	lastHash string // Hash of the last good entry (GenesisHash initially)
	count    int64  // entries accepted
	ahead    int64  // Seq of an entry that jumped ahead, pending classification; 0 if none
	brk      *Break
}

// NewVerifier returns a Verifier expecting Seq 1 linked to GenesisHash.
func NewVerifier() *Verifier {
	return &Verifier{expected: 1, lastHash: GenesisHash}
}

// Count returns the number of entries accepted as good so far.
func (v *Verifier) Count() int64 { return v.count }

func (v *Verifier) fail(seq int64, kind BreakKind, format string, args ...any) error {
	v.brk = &Break{Seq: seq, Kind: kind, Detail: fmt.Sprintf(format, args...)}
	return v.brk
}

func (v *Verifier) failRemoved(from, to int64) error {
	if from == to {
		return v.fail(from, Removed, "entry %d missing", from)
	}
	return v.fail(from, Removed, "entries %d..%d missing", from, to)
}

// Check verifies the next entry in storage order. It returns a *Break at the
// first problem (possibly one call late, see Verifier) and nil otherwise.
func (v *Verifier) Check(e Entry) error {
	if v.brk != nil {
		return v.brk
	}
	if v.ahead != 0 {
		if e.Seq < v.ahead {
			return v.fail(v.expected, Reordered,
				"entry %d stored where entry %d belongs; entry %d follows it", v.ahead, v.expected, e.Seq)
		}
		return v.failRemoved(v.expected, v.ahead-1)
	}
	switch {
	case e.Seq < 1:
		return v.fail(e.Seq, Altered, "invalid sequence number")
	case e.Seq < v.expected:
		return v.fail(e.Seq, Reordered, "entry %d stored after entry %d", e.Seq, v.expected-1)
	case e.Seq > v.expected:
		v.ahead = e.Seq
		return nil
	}
	if e.ComputeHash() != e.Hash {
		return v.fail(e.Seq, Altered, "hash mismatch")
	}
	if e.PrevHash != v.lastHash {
		return v.fail(e.Seq, Altered, "link to previous entry rewritten")
	}
	v.expected++
	v.lastHash = e.Hash
	v.count++
	return nil
}

// Finish compares the verified entries with the chain head the store keeps
// separately (headSeq, headHash), so that deleting the last entries is
// detected as Removed and rewriting the tail as Altered. For an empty chain
// the head is (0, GenesisHash); (0, "") is accepted too. It returns a *Break
// or nil.
func (v *Verifier) Finish(headSeq int64, headHash string) error {
	if v.brk != nil {
		return v.brk
	}
	if v.ahead != 0 {
		return v.failRemoved(v.expected, v.ahead-1)
	}
	last := v.expected - 1
	switch {
	case headSeq > last:
		return v.failRemoved(last+1, headSeq)
	case headSeq < last:
		return v.fail(headSeq+1, Altered, "chain head is entry %d but the log continues to entry %d", headSeq, last)
	case last == 0 && (headHash == "" || headHash == GenesisHash):
		return nil
	case headHash != v.lastHash:
		return v.fail(last, Altered, "hash differs from chain head")
	}
	return nil
}

// Verify checks entries in storage order and then the chain head. It returns
// a *Break at the first problem, or nil.
func Verify(entries []Entry, headSeq int64, headHash string) error {
	v := NewVerifier()
	for i := range entries {
		if err := v.Check(entries[i]); err != nil {
			return err
		}
	}
	return v.Finish(headSeq, headHash)
}

// Value is v as an entry's Before or After keeps it (JSON); a value that
// cannot be encoded is kept as null.
func Value(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
