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
