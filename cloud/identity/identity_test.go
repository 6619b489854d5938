package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// The standard's own examples pass; a mistyped digit, a date that is not
// one, the wrong length or alphabet are refused with the reason.
func TestResidentIDsAreCheckedBeforeAnythingElse(t *testing.T) {
	for _, ok := range []string{"11010519491231002X", "11010519491231002x", "440524188001010014", "1101 0519 4912 3100 2X",
		"810000199408230021"} {
		d, err := Parse(ResidentID, ok, now)
		if err != nil {
			t.Errorf("%s refused: %v", ok, err)
			continue
		}
		if strings.ContainsAny(d.Number, " x") {
			t.Errorf("%s not normalised: %s", ok, d.Number)
		}
	}
	for n, why := range map[string]string{
		"110105194912310021":  "check digit",
		"11010519491231002":   "18 characters",
		"1101051949123100X2":  "17 digits",
		"110105194902300020":  "not a date", // 30 February
		"11010520300101001X":  "not possible",
		"010105194912310026":  "no such region",
		"11010519491231002XX": "18 characters",
	} {
		_, err := Parse(ResidentID, n, now)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Reason, why) {
			t.Errorf("%s: %v, want a refusal naming %q", n, err, why)
		}
	}
	d, _ := Parse(ResidentID, "11010519491231002X", now)
	if b, ok := d.BirthDate(); !ok || b != time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC) {
		t.Errorf("birth date %v", b)
	}
	if got := d.Masked(); got != "110***********002X" {
		t.Errorf("masked %q", got)
	}
}

func TestPermitsAndPassports(t *testing.T) {
	for _, c := range []struct {
		t    Type
		n    string
		good bool
	}{
		{HKMacauPermit, "H12345678", true}, {HKMacauPermit, "m1234567890", true}, {HKMacauPermit, "X12345678", false}, {HKMacauPermit, "H1234567", false},
		{TaiwanPermit, "12345678", true}, {TaiwanPermit, "1234567890", true}, {TaiwanPermit, "1234567A", false},
		{Passport, "E12345678", true}, {Passport, "ab-12 345", true}, {Passport, "AB1", false}, {Passport, "E1234567Ä", false},
	} {
		_, err := Parse(c.t, c.n, now)
		if (err == nil) != c.good {
			t.Errorf("%s %s: %v", c.t, c.n, err)
		}
	}
	if _, err := Parse("driving_licence", "123", now); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("an unknown type: %v", err)
	}
	d, _ := Parse(HKMacauPermit, "H12345678", now)
	if got := d.Masked(); got != "H12****78" {
		t.Errorf("masked %q", got)
	}
}

// The key matches equal documents only, and only under the same key.
func TestKeysCompareDocumentsWithoutTheNumber(t *testing.T) {
	a, _ := Parse(ResidentID, "11010519491231002X", now)
	b, _ := Parse(ResidentID, "11010519491231002x", now)
	c, _ := Parse(ResidentID, "440524188001010014", now)
	k1, k2 := []byte("key one"), []byte("key two")
	if a.Key(k1) != b.Key(k1) {
		t.Fatal("one document, two keys")
	}
	if a.Key(k1) == c.Key(k1) || a.Key(k1) == a.Key(k2) || strings.Contains(a.Key(k1), "1949") {
		t.Fatal("a key does not depend on the number and the key alone")
	}
	p := Document{Type: Passport, Number: a.Number}
	if p.Key(k1) == a.Key(k1) {
		t.Fatal("the same number as another type of document has the same key")
	}
}

// Whatever it is given, Parse does not panic, and what it accepts is
// normalised, parses again to itself and, for a resident ID, carries its
// own check digit.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "H12345678", "12345678", "E12345678", "", "X", "１１０"} {
		f.Add(string(ResidentID), s)
		f.Add(string(Passport), s)
	}
	f.Fuzz(func(t *testing.T, typ, number string) {
		d, err := Parse(Type(typ), number, now)
		if err != nil {
			return
		}
		again, err := Parse(d.Type, d.Number, now)
		if err != nil || again != d {
			t.Fatalf("%q accepted as %q, which parses as %q, %v", number, d.Number, again.Number, err)
		}
		if d.Type == ResidentID {
			if c, ok := CheckDigit(d.Number[:17]); !ok || c != d.Number[17] {
				t.Fatalf("%q accepted with a wrong check digit", d.Number)
			}
		}
		if m := d.Masked(); len(m) != len(d.Number) || m == d.Number {
			t.Fatalf("%q masked as %q", d.Number, m)
		}
	})
}
