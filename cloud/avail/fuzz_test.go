package avail

import (
	"encoding/json"
	"reflect"
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

// FuzzParseDocument holds the hand reading of a document to
// encoding/json's: whatever the hand reads, encoding/json reads the same,
// and ParseDocument refuses exactly what encoding/json refuses.
func FuzzParseDocument(f *testing.F) {
	m := New(7, 1, 1, []Seat{{ID: 1, Ord: 1, Tier: 1}, {ID: 2, Ord: 2, Tier: 1}, {ID: 3, Ord: 3, Tier: 2}}, []byte("AAA"), 0)
	m.Apply([]Change{{Seq: 1, Session: 7, Ord: 2, Code: 'S'}, {Seq: 2, Session: 7, Ord: 3, Code: 'H'}})
	whole, _ := m.Full()
	delta, _, _ := m.Delta(0)
	for _, s := range [][]byte{whole, delta,
		[]byte(`{"session_id":1,"since":4,"version":9,"changes":[]}`),
		[]byte(` { "version" : -0 , "counts" : { "a" : 1 , "a" : 2 } , "seats" : "" } `),
		[]byte(`{"version":9,"Version":8}`), []byte(`{"version":9,"version":8}`),
		[]byte(`{"version":1e3}`), []byte(`{"version":0123}`), []byte(`{"version":123456789012345678901}`),
		[]byte(`{"seats":"A\u0041"}`), []byte(`{"seats":"é"}`), []byte(`{"seats":null}`), []byte(`{"changes":null}`),
		[]byte(`{"changes":[[1,"S"],[2,"A"]`), []byte(`{"changes":[[-1,"S"]]}`), []byte(`{"other":1}`),
		[]byte(`{}`), []byte(`{} {}`), []byte(`[]`), []byte(``)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want plainDocument
		wantErr := json.Unmarshal(b, &want)
		got, err := ParseDocument(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: ParseDocument says %v, encoding/json %v", b, err, wantErr)
		}
		fast, ok := parseDocument(b)
		if !ok {
			return
		}
		if wantErr != nil {
			t.Fatalf("%q: read by hand as %+v, encoding/json refuses it: %v", b, fast, wantErr)
		}
		if !reflect.DeepEqual(fast, Document(want)) || !reflect.DeepEqual(got, fast) {
			t.Fatalf("%q: by hand %+v, encoding/json %+v", b, fast, want)
		}
	})
}
