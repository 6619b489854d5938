package accounts

import (
	"testing"
	"time"
)

func TestNormalisePhone(t *testing.T) {
	for in, want := range map[string]string{"138 0013 8000": "13800138000", "+86-138-0013-8000": "+8613800138000", " 123456 ": "123456"} {
		if got, ok := NormalisePhone(in); !ok || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "12345", "1380013800a", "++8613800138000", "123456789012345678901"} {
		if _, ok := NormalisePhone(bad); ok {
			t.Errorf("%q was taken", bad)
		}
	}
}

func TestCheckCode(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	c := Code{PhoneKey: "pk", Hash: CodeHash(key, "pk", "123456"), SentAt: t0, Expires: t0.Add(CodeTTL)}
	if err := CheckCode(key, c, " 123456 ", t0.Add(time.Minute)); err != nil {
		t.Fatalf("the right code: %v", err)
	}
	if CheckCode(key, c, "123457", t0) == nil {
		t.Fatal("a wrong code passed")
	}
	if CheckCode(key, c, "123456", t0.Add(CodeTTL)) == nil {
		t.Fatal("an expired code passed")
	}
	other := c
	other.PhoneKey = "another"
	if CheckCode(key, other, "123456", t0) == nil {
		t.Fatal("a code for another phone passed")
	}
	c.Attempts = CodeAttempts
	if CheckCode(key, c, "123456", t0) == nil {
		t.Fatal("a code passed after too many wrong ones")
	}
}

func TestMaskAndState(t *testing.T) {
	if got := MaskPhone("13800138000"); got != "138****8000" {
		t.Errorf("mask %q", got)
	}
	if got := MaskPhone("12345"); got != "****" {
		t.Errorf("a short phone masked as %q", got)
	}
	if StateOf(Match) != Verified || StateOf(NoMatch) != Rejected || StateOf(Later) != Review {
		t.Error("a verdict maps to the wrong state")
	}
	for range 50 {
		c, err := NewCode()
		if err != nil || len(c) != 6 {
			t.Fatalf("code %q %v", c, err)
		}
	}
}

// FuzzNormalisePhone: whatever a visitor types, a phone taken is only
// digits (after one optional +), of the allowed length, and normalising it
// again changes nothing.
func FuzzNormalisePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "", "++1", "１３８００１３８０００", "123456\n", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, ok := NormalisePhone(in)
		if !ok {
			return
		}
		d := p
		if len(d) > 0 && d[0] == '+' {
			d = d[1:]
		}
		if len(d) < 6 || len(d) > 20 {
			t.Fatalf("%q -> %q: %d digits", in, p, len(d))
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				t.Fatalf("%q -> %q holds %q", in, p, c)
			}
		}
		if again, ok := NormalisePhone(p); !ok || again != p {
			t.Fatalf("%q -> %q -> %q", in, p, again)
		}
	})
}
