package avail

import (
	"encoding/json"
	"fmt"
)

// ParseDocument reads an availability document. A follower of a busy map
// reads thousands of changes a second, and encoding/json spends most of
// its time on them (it validates the whole text, then reflects on every
// change); the form the cloud writes is therefore read by hand, in one
// pass. Anything else (escapes, other keys, nulls, odd numbers, mistakes)
// goes to encoding/json, which reads it as it always has and words the
// errors. FuzzParseDocument holds the two readings to each other.
func ParseDocument(b []byte) (Document, error) {
	if d, ok := parseDocument(b); ok {
		return d, nil
	}
	var p plainDocument
	if err := json.Unmarshal(b, &p); err != nil {
		return Document{}, fmt.Errorf("avail: read document: %w", err)
	}
	return Document(p), nil
}

// plainDocument is Document without its UnmarshalJSON, for encoding/json.
type plainDocument Document

// UnmarshalJSON reads the document with ParseDocument.
func (d *Document) UnmarshalJSON(b []byte) error {
	doc, err := ParseDocument(b)
	if err != nil {
		return err
	}
	*d = doc
	return nil
}

// parseDocument reads the plain form of a document; ok is false for
// anything it does not know, which encoding/json then reads.
func parseDocument(b []byte) (d Document, ok bool) {
	r := reader{b: b}
	if !r.expect('{') {
		return d, false
	}
	var seen [7]bool
	if !r.expect('}') {
		for {
			key, ok := r.plainString()
			if !ok || !r.expect(':') {
				return d, false
			}
			k := documentKey(key)
			if k < 0 || seen[k] {
				return d, false // a key of another form, or twice
			}
			seen[k] = true
			r.space()
			switch k {
			case keySessionID:
				d.SessionID, ok = r.integer()
			case keySince:
				var since int64
				since, ok = r.integer()
				d.Since = &since
			case keyVersion:
				d.Version, ok = r.integer()
			case keyAtUS:
				d.AtUS, ok = r.integer()
			case keyCounts:
				d.Counts, ok = r.counts()
			case keySeats:
				var seats string
				seats, ok = r.plainString()
				d.Seats = &seats
			case keyChanges:
				d.Changes, ok = r.changes()
			}
			if !ok {
				return d, false
			}
			if r.expect('}') {
				break
			}
			if !r.expect(',') {
				return d, false
			}
		}
	}
	r.space()
	return d, r.i == len(b)
}

const (
	keySessionID = iota
	keySince
	keyVersion
	keyAtUS
	keyCounts
	keySeats
	keyChanges
)

func documentKey(k string) int {
	switch k {
	case "session_id":
		return keySessionID
	case "since":
		return keySince
	case "version":
		return keyVersion
	case "at_us":
		return keyAtUS
	case "counts":
		return keyCounts
	case "seats":
		return keySeats
	case "changes":
		return keyChanges
	}
	return -1
}

// reader reads the plain JSON of a document from b at i.
type reader struct {
	b []byte
	i int
}

func (r *reader) space() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\t' || r.b[r.i] == '\n' || r.b[r.i] == '\r') {
		r.i++
	}
}

// expect skips space and then ch, if ch is next.
func (r *reader) expect(ch byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == ch {
		r.i++
		return true
	}
	return false
}

// integer reads an optional minus and up to 18 digits without a leading
// zero: always an int64, read the same by encoding/json.
func (r *reader) integer() (int64, bool) {
	neg := r.i < len(r.b) && r.b[r.i] == '-'
	if neg {
		r.i++
	}
	start := r.i
	var n int64
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		if r.i-start == 18 {
			return 0, false
		}
		n = n*10 + int64(r.b[r.i]-'0')
		r.i++
	}
	if r.i == start || (r.b[start] == '0' && r.i-start > 1) {
		return 0, false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// plainString reads a string of printable ASCII without escapes.
func (r *reader) plainString() (string, bool) {
	if !r.expect('"') {
		return "", false
	}
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		if c == '"' {
			s := string(r.b[start:r.i])
			r.i++
			return s, true
		}
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return "", false
		}
		r.i++
	}
	return "", false
}

// counts reads an object of plain keys and integers.
func (r *reader) counts() (map[string]int, bool) {
	if !r.expect('{') {
		return nil, false
	}
	m := make(map[string]int, len(countNames))
	if r.expect('}') {
		return m, true
	}
	for {
		k, ok := r.plainString()
		if !ok || !r.expect(':') {
			return nil, false
		}
		r.space()
		n, ok := r.integer()
		if !ok {
			return nil, false
		}
		m[k] = int(n)
		if r.expect('}') {
			return m, true
		}
		if !r.expect(',') {
			return nil, false
		}
	}
}

// changes reads an array of [position, "C"].
func (r *reader) changes() ([]SeatCode, bool) {
	if !r.expect('[') {
		return nil, false
	}
	cs := make([]SeatCode, 0, (len(r.b)-r.i)/8)
	if r.expect(']') {
		return cs, true
	}
	for {
		c, ok := r.seatCode()
		if !ok {
			return nil, false
		}
		cs = append(cs, c)
		if r.expect(']') {
			return cs, true
		}
		if !r.expect(',') {
			return nil, false
		}
	}
}

// seatCode reads [position, "C"]: a position without a sign and C a
// printable ASCII character other than a quote or a backslash.
func (r *reader) seatCode() (SeatCode, bool) {
	if !r.expect('[') {
		return SeatCode{}, false
	}
	r.space()
	if r.i < len(r.b) && r.b[r.i] == '-' {
		return SeatCode{}, false
	}
	pos, ok := r.integer()
	if !ok || !r.expect(',') || !r.expect('"') || r.i+1 >= len(r.b) {
		return SeatCode{}, false
	}
	code := r.b[r.i]
	if code < 0x20 || code >= 0x7f || code == '"' || code == '\\' || r.b[r.i+1] != '"' {
		return SeatCode{}, false
	}
	r.i += 2
	return SeatCode{Pos: int(pos), Code: code}, r.expect(']')
}
