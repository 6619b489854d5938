package sales

import "testing"

func FuzzParseOrderQR(f *testing.F) {
	for _, s := range []string{
		"AO1:31010101:K7M9AC3D",
		"AO1:31010101:k7m9-ac3d",
		"AO1:31010101: K7M9 AC3D ",
		"AO1:3101010:K7M9AC3D",
		"AO1:31010101:K7M9AC3O",
		"AO1::",
		"AO1:31010101:K7M9AC3D:extra",
		"ao1:31010101:K7M9AC3D",
		"",
		":::",
		"AO1:３１０１０１０１:K7M9AC3D",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		venue, code, ok := ParseOrderQR(s)
		if !ok {
			if code != "" {
				t.Fatalf("ParseOrderQR(%q) refused but returned code %q", s, code)
			}
			return
		}
		if !ValidVenueCode(venue) {
			t.Fatalf("ParseOrderQR(%q) accepted invalid venue %q", s, venue)
		}
		if len(code) != PickupCodeLen || !inAlphabet(code) {
			t.Fatalf("ParseOrderQR(%q) accepted invalid code %q", s, code)
		}
		qr := OrderQR(venue, code)
		v2, c2, ok2 := ParseOrderQR(qr)
		if !ok2 || v2 != venue || c2 != code {
			t.Fatalf("round trip of %q via %q = %q, %q, %v; want %q, %q, true", s, qr, v2, c2, ok2, venue, code)
		}
		if OrderQR(v2, c2) != qr {
			t.Fatalf("OrderQR is not stable for %q", qr)
		}
	})
}

func FuzzNormalizePickupCode(f *testing.F) {
	for _, s := range []string{
		"K7M9AC3D", "k7m9-ac3d", " k7m9 ac3d ", "k-7-m-9-a-c-3-d",
		"K7M9AC3", "K7M9AC3DE", "K7M9AC3O", "K7M9AC3é", "--------", "",
		"\x00\x00\x00\x00\x00\x00\x00\x00", "ıııııııı", "ſſſſſſſſ", "ǆǆǆǆ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := NormalizePickupCode(s)
		if !ok {
			if out != "" {
				t.Fatalf("NormalizePickupCode(%q) refused but returned %q", s, out)
			}
			return
		}
		if len(out) != PickupCodeLen {
			t.Fatalf("NormalizePickupCode(%q) = %q, length %d", s, out, len(out))
		}
		if !inAlphabet(out) {
			t.Fatalf("NormalizePickupCode(%q) = %q, outside the alphabet", s, out)
		}
		again, ok := NormalizePickupCode(out)
		if !ok || again != out {
			t.Fatalf("NormalizePickupCode(%q) = %q, %v; want %q, true", out, again, ok, out)
		}
	})
}
