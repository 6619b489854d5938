package avail

import (
	"encoding/json"
	"testing"
)

// FuzzFollow feeds a client any document: it is taken whole, applied as a
// delta from the version the client has, or refused; it never panics and
// never writes outside the map.
func FuzzFollow(f *testing.F) {
	f.Add([]byte(`{"session_id":1,"version":9,"counts":{},"seats":"AAHS"}`))
	f.Add([]byte(`{"session_id":1,"since":4,"version":9,"changes":[[0,"S"],[3,"A"]]}`))
	f.Add([]byte(`{"session_id":1,"since":4,"version":9,"changes":[[9,"S"]]}`))
	f.Add([]byte(`{"since":4,"changes":[[-1,"S"]]}`))
	f.Add([]byte(`{"since":4,"changes":[[1,"SS"]]}`))
	f.Add([]byte(`{"since":4,"changes":[["1","S"]]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var d Document
		if json.Unmarshal(doc, &d) != nil {
			return
		}
		codes := []byte("AAAA")
		got, v, err := d.Follow(codes, 4)
		if err != nil {
			if v != 4 {
				t.Fatalf("a refused document moved the version to %d", v)
			}
			return
		}
		if d.Seats == nil && len(got) != 4 {
			t.Fatalf("a delta changed the map's length to %d", len(got))
		}
	})
}

// FuzzSeatCode holds the hand-read form of a change to encoding/json's
// reading: whatever the fast path accepts, the slow one reads the same.
func FuzzSeatCode(f *testing.F) {
	for _, s := range []string{`[0,"S"]`, `[ 12 , "A" ]`, `[007,"S"]`, `[1,"\u0041"]`, `[1,"\""]`, `[1,"SS"]`, `[-1,"S"]`, `[1e3,"S"]`,
		`[123456789,"H"]`, `[1234567890,"H"]`, `[1,"S"] x`, `[1,"S"`, `[1,"é"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pos, code, ok := readSeatCode(b)
		if !ok {
			return
		}
		var slow SeatCode
		if err := slow.unmarshalSlow(b); err != nil {
			t.Fatalf("%q: read by hand as [%d,%q], encoding/json refuses it: %v", b, pos, code, err)
		}
		if slow.Pos != pos || slow.Code != code {
			t.Fatalf("%q: by hand [%d,%q], encoding/json [%d,%q]", b, pos, code, slow.Pos, slow.Code)
		}
	})
}
