package ticket

import (
	"bytes"
	"fmt"
	"testing"
)

func TestBase45MatchesTheRFC9285Vectors(t *testing.T) {
	tests := []struct {
		raw, encoded string
	}{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\x00", "00"},
		{"\xff", "U5"},
		{"\xff\xff", "FGW"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.raw), func(t *testing.T) {
			if got := base45Encode([]byte(tt.raw)); got != tt.encoded {
				t.Errorf("encode(%q) = %q, want %q", tt.raw, got, tt.encoded)
			}
			got, err := base45Decode(tt.encoded)
			if err != nil {
				t.Fatalf("decode(%q): %v", tt.encoded, err)
			}
			if string(got) != tt.raw {
				t.Errorf("decode(%q) = %q, want %q", tt.encoded, got, tt.raw)
			}
		})
	}
}

func TestBase45DecodeRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"a single character", "A"},
		{"a length of 3n+1", "BB8A"},
		{"lower case", "bb8"},
		{"a character outside the alphabet", "BB#"},
		{"a NUL byte", "BB\x00"},
		{"a non-ASCII character", "B\u00e9"},
		{"a triple above 65535", "GGW"},
		{"the largest triple", ":::"},
		{"a pair above 255", "V5"},
		{"the largest pair", "::"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := base45Decode(tt.in)
			wantErr(t, err, ErrMalformed)
			if got != nil {
				t.Fatalf("decode(%q) returned %x with an error", tt.in, got)
			}
		})
	}
}

func TestBase45RoundTripsEveryByteValue(t *testing.T) {
	var all []byte
	for i := 0; i < 256; i++ {
		for j := 0; j < 256; j += 17 {
			all = append(all, byte(i), byte(j))
		}
	}
	for _, b := range [][]byte{all, all[:len(all)-1]} {
		got, err := base45Decode(base45Encode(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip failed: err=%v", err)
		}
	}
}

func FuzzBase45Decode(f *testing.F) {
	for _, s := range []string{"BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "V5", "A", "bb8", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Arbitrary text: decoding never panics, and decoding is canonical.
		if dec, err := base45Decode(s); err == nil {
			if enc := base45Encode(dec); enc != s {
				t.Fatalf("encode(decode(%q)) = %q", s, enc)
			}
		}
		// The same bytes as data: decode(encode(x)) == x.
		x := []byte(s)
		enc := base45Encode(x)
		if len(enc) != base45EncodedLen(len(x)) {
			t.Fatalf("encoded length %d, want %d", len(enc), base45EncodedLen(len(x)))
		}
		dec, err := base45Decode(enc)
		if err != nil {
			t.Fatalf("decode(encode(%x)): %v", x, err)
		}
		if !bytes.Equal(dec, x) {
			t.Fatalf("decode(encode(%x)) = %x", x, dec)
		}
	})
}
