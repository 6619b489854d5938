// Package avail keeps a session's seat availability in memory, current to
// the last commit: one code per seat, a version that moves with every
// committed change, the recent changes so that a client at version V gets a
// small delta instead of the whole map, a broadcast for live followers, and
// the best-available picker that works on the current map, outside any
// write transaction.
//
// Versions are positions in the store's seat change log: the store numbers
// every committed change of a seat's code, in commit order, and a Map at
// version V has applied every change numbered V or lower. The package does
// no I/O: the sales service loads snapshots and feeds committed changes in.
// It must not import HTTP, SQL or MQTT packages.
package avail

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Availability codes, one byte per seat in seat order.
const (
	Open       = 'A' // can be held now
	Held       = 'H'
	Sold       = 'S'
	OutOfOrder = 'X' // damaged or removed
	Reserved   = 'R'
	HeldBack   = 'B'
	NonSale    = 'N'
	NoPrice    = '-'
)

// Legend explains the codes to a person reading the document.
const Legend = "A=available H=held S=sold X=out of service R=reserved B=held back N=not for sale -=no price"

// countNames are the codes in the order the documents list their counts.
var countNames = [...]struct {
	code byte
	name string
}{
	{Open, "available"}, {Held, "held"}, {Sold, "sold"}, {OutOfOrder, "out_of_service"},
	{Reserved, "reserved"}, {HeldBack, "held_back"}, {NonSale, "non_sale"}, {NoPrice, "unpriced"},
}

// Seat is the part of a session seat that does not change while it sells.
type Seat struct {
	ID      int64
	Ord     int64 // the store's ordinal: how the change log names the seat
	Section string
	Row     int
	Col     int
	Tier    int64 // 0: unpriced
}

// Change is one committed change of a seat's code (or price tier).
type Change struct {
	Seq     int64 // position in the store's change log: the version it makes
	Session int64
	Ord     int64
	Code    byte
	Tier    int64
}

// change is a Change as a Map keeps it.
type change struct {
	seq  int64
	pos  int32
	code byte
}

// maxRecent bounds the changes a Map keeps for deltas; a client further
// behind gets the whole map.
const maxRecent = 8192

// Map is one session's live availability. It is safe for concurrent use.
type Map struct {
	Session, Tenant, Venue int64

	mu      sync.RWMutex
	seats   []Seat
	pos     map[int64]int32 // ord -> position
	codes   []byte
	counts  [256]int
	version int64
	floor   int64    // the oldest version a delta can start from
	recent  []change // changes after floor, in order
	at      int64    // unix µs when the newest change was applied
	changed chan struct{}
	claimed []bool // seats picked by a best-available buyer whose hold is in flight
	layout  layout

	// The documents of the current version, built once and shared.
	full      []byte
	fullVer   int64
	delta     []byte
	deltaFrom int64
	deltaTo   int64
}

// New builds a session's map from a snapshot: its seats in seat order,
// each one's code, and the change log position the snapshot reflects.
func New(session, tenant, venue int64, seats []Seat, codes []byte, version int64) *Map {
	m := &Map{Session: session, Tenant: tenant, Venue: venue, seats: seats, codes: codes,
		pos: make(map[int64]int32, len(seats)), version: version, floor: version,
		changed: make(chan struct{}), claimed: make([]bool, len(seats)), at: time.Now().UnixMicro()}
	for i, s := range seats {
		m.pos[s.Ord] = int32(i)
	}
	for _, c := range codes {
		m.counts[c]++
	}
	m.layout = newLayout(seats)
	return m
}

// Version is the change log position the map reflects.
func (m *Map) Version() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.version
}

// Snapshot returns a copy of the codes and their version.
func (m *Map) Snapshot() (int64, []byte) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.version, append([]byte(nil), m.codes...)
}

// Changed is closed at the next change of the map.
func (m *Map) Changed() <-chan struct{} {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.changed
}

// Apply applies committed changes in log order. Changes of other sessions,
// and changes the map already reflects (Seq not above its version), are
// skipped, so a caller may hand every map the same batch.
func (m *Map) Apply(cs []Change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	moved := false
	tierMoved := false
	for _, c := range cs {
		if c.Session != m.Session || c.Seq <= m.version {
			continue
		}
		m.version = c.Seq
		moved = true
		p, ok := m.pos[c.Ord]
		if !ok {
			continue // a seat the session does not have: nothing to show
		}
		if m.seats[p].Tier != c.Tier {
			m.seats[p].Tier = c.Tier
			tierMoved = true
		}
		m.counts[m.codes[p]]--
		m.codes[p] = c.Code
		m.counts[c.Code]++
		m.recent = append(m.recent, change{seq: c.Seq, pos: p, code: c.Code})
	}
	if !moved {
		return
	}
	if tierMoved {
		m.layout = newLayout(m.seats)
	}
	if len(m.recent) > maxRecent {
		drop := len(m.recent) - maxRecent/2
		m.floor = m.recent[drop-1].seq
		m.recent = append(m.recent[:0:0], m.recent[drop:]...)
	}
	m.at = time.Now().UnixMicro()
	close(m.changed)
	m.changed = make(chan struct{})
}

// Full returns the whole map as a JSON document:
//
//	{"session_id":1,"version":V,"legend":"...","counts":{...},"seats":"AAHS..."}
func (m *Map) Full() ([]byte, int64) {
	m.mu.RLock()
	if m.full != nil && m.fullVer == m.version {
		b, v := m.full, m.fullVer
		m.mu.RUnlock()
		return b, v
	}
	m.mu.RUnlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.full == nil || m.fullVer != m.version {
		b := make([]byte, 0, len(m.codes)+320)
		b = append(b, `{"session_id":`...)
		b = strconv.AppendInt(b, m.Session, 10)
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, m.version, 10)
		b = append(b, `,"legend":"`+Legend+`","counts":`...)
		b = m.appendCounts(b)
		b = append(b, `,"seats":"`...)
		b = append(b, m.codes...)
		b = append(b, `"}`...)
		m.full, m.fullVer = b, m.version
	}
	return m.full, m.fullVer
}

// Delta returns the changes since version since as a JSON document:
//
//	{"session_id":1,"since":V,"version":W,"at_us":T,"counts":{...},"changes":[[index,"H"],...]}
//
// Applying the changes in order to the map at V gives the map at W. It
// reports false when the map cannot answer from V (too old, or a version
// this map never had): the caller then sends Full.
func (m *Map) Delta(since int64) ([]byte, int64, bool) {
	m.mu.RLock()
	if since < m.floor || since > m.version {
		m.mu.RUnlock()
		return nil, 0, false
	}
	if m.delta != nil && m.deltaFrom == since && m.deltaTo == m.version {
		b, v := m.delta, m.deltaTo
		m.mu.RUnlock()
		return b, v, true
	}
	b := m.appendDelta(make([]byte, 0, 256), since)
	ver := m.version
	m.mu.RUnlock()
	// Followers of one map wake together and ask for the same delta.
	m.mu.Lock()
	if ver >= m.deltaTo {
		m.delta, m.deltaFrom, m.deltaTo = b, since, ver
	}
	m.mu.Unlock()
	return b, ver, true
}

func (m *Map) appendDelta(b []byte, since int64) []byte {
	b = append(b, `{"session_id":`...)
	b = strconv.AppendInt(b, m.Session, 10)
	b = append(b, `,"since":`...)
	b = strconv.AppendInt(b, since, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, m.version, 10)
	b = append(b, `,"at_us":`...)
	b = strconv.AppendInt(b, m.at, 10)
	b = append(b, `,"counts":`...)
	b = m.appendCounts(b)
	b = append(b, `,"changes":[`...)
	// recent is in seq order: find the first change after since.
	lo, hi := 0, len(m.recent)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.recent[mid].seq <= since {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i, c := range m.recent[lo:] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(c.pos), 10)
		b = append(b, ',', '"', c.code, '"', ']')
	}
	return append(b, "]}"...)
}

func (m *Map) appendCounts(b []byte) []byte {
	b = append(b, '{')
	for i, c := range countNames {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, c.name...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(m.counts[c.code]), 10)
	}
	return append(b, '}')
}

// OpenByTier counts the seats open for sale by price tier.
func (m *Map) OpenByTier() map[int64]int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[int64]int{}
	for i, c := range m.codes {
		if c == Open && !m.claimed[i] {
			out[m.seats[i].Tier]++
		}
	}
	return out
}

// Counts returns how many seats have each code.
func (m *Map) Counts() map[byte]int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[byte]int, len(countNames))
	for _, c := range countNames {
		if n := m.counts[c.code]; n > 0 {
			out[c.code] = n
		}
	}
	return out
}

// Document is the availability document as a client reads it: a whole map
// (Seats set) or a delta (Changes from Since to Version).
type Document struct {
	SessionID int64          `json:"session_id"`
	Since     *int64         `json:"since,omitempty"`
	Version   int64          `json:"version"`
	AtUS      int64          `json:"at_us,omitempty"`
	Counts    map[string]int `json:"counts"`
	Seats     *string        `json:"seats,omitempty"`
	Changes   []SeatCode     `json:"changes,omitempty"`
}

// SeatCode is one change of a delta: the seat's position and its new code,
// written [position, "C"].
type SeatCode struct {
	Pos  int
	Code byte
}

// UnmarshalJSON reads [position, "C"]. A follower reads thousands of
// these a second: the plain form is read by hand, anything else (escapes,
// odd numbers, mistakes) by encoding/json, which also words the errors.
func (c *SeatCode) UnmarshalJSON(b []byte) error {
	if pos, code, ok := readSeatCode(b); ok {
		c.Pos, c.Code = pos, code
		return nil
	}
	return c.unmarshalSlow(b)
}

// readSeatCode reads `[digits, "C"]` (spaces allowed between tokens) with
// C a printable ASCII character other than a quote or backslash; ok is
// false for anything else.
func readSeatCode(b []byte) (pos int, code byte, ok bool) {
	r := reader{b: b}
	c, ok := r.seatCode()
	r.space()
	return c.Pos, c.Code, ok && r.i == len(b)
}

func (c *SeatCode) unmarshalSlow(b []byte) error {
	var raw [2]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("avail: a change is [position, code]: %w", err)
	}
	var code string
	if err := json.Unmarshal(raw[0], &c.Pos); err != nil {
		return fmt.Errorf("avail: change position: %w", err)
	}
	if err := json.Unmarshal(raw[1], &code); err != nil || len(code) != 1 {
		return fmt.Errorf("avail: change code %s: not one character", raw[1])
	}
	c.Code = code[0]
	return nil
}

// Follow brings codes, a client's copy of the map at version have, up to
// the document: a whole map replaces it, a delta from have is applied in
// order. It returns the new codes and version, or an error for a delta
// that does not start at have or names no seat of the map.
func (d Document) Follow(codes []byte, have int64) ([]byte, int64, error) {
	if d.Seats != nil {
		return []byte(*d.Seats), d.Version, nil
	}
	if d.Since == nil || *d.Since != have {
		return codes, have, fmt.Errorf("avail: delta from version %v, the map is at %d", d.Since, have)
	}
	for _, c := range d.Changes {
		if c.Pos < 0 || c.Pos >= len(codes) {
			return codes, have, fmt.Errorf("avail: change of seat %d, the map has %d", c.Pos, len(codes))
		}
		codes[c.Pos] = c.Code
	}
	return codes, d.Version, nil
}
