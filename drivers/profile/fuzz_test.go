package profile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, fails only with *Error, and whatever it accepts
// validates again and survives being written out and read back unchanged.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(shipped, "*", "*.json"))
	if len(paths) == 0 {
		f.Fatal("no shipped profiles to seed from")
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, src := range bases {
		f.Add([]byte(src))
	}
	f.Add([]byte(`{"schema": 1, "kind": "relay", "relay": {"commands": {"on": "{ch}{sum}"}}}`))
	f.Add([]byte(`{"Schema": 1e400}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.json", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed profile does not validate: %v", err)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := Parse("fuzz.json", out)
		if err != nil {
			t.Fatalf("written profile does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("written profile reads back different\n got %+v\nwant %+v", again, p)
		}
	})
}
