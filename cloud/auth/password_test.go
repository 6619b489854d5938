package auth

import (
	"errors"
	"strings"
	"testing"
)

// fast keeps the round-trip tests quick; the default params get one test.
var fast = PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}

func TestHashCheckRoundTrip(t *testing.T) {
	for _, pw := range []string{"correct horse battery", "ünïcødé-pässwörd", strings.Repeat("x", MaxPasswordBytes)} {
		h, err := HashPassword(fast, pw)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := CheckPassword(h, pw)
		if err != nil || !ok {
			t.Fatalf("CheckPassword(own hash) = %v, %v", ok, err)
		}
		ok, err = CheckPassword(h, pw+"!")
		if err != nil || ok {
			t.Fatalf("CheckPassword(wrong) = %v, %v", ok, err)
		}
	}
}

func TestHashDefaultParams(t *testing.T) {
	h, err := HashPassword(DefaultPasswordParams(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the default params", h)
	}
	parts := strings.Split(h, "$")
	if len(parts[4]) != 22 || len(parts[5]) != 43 { // 16 and 32 bytes, unpadded base64
		t.Errorf("salt/hash lengths %d/%d", len(parts[4]), len(parts[5]))
	}
	if ok, err := CheckPassword(h, "correct horse battery"); err != nil || !ok {
		t.Fatalf("CheckPassword = %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h, "Correct horse battery"); err != nil || ok {
		t.Fatalf("CheckPassword(wrong) = %v, %v", ok, err)
	}
}

func TestHashSalted(t *testing.T) {
	a, _ := HashPassword(fast, "same password")
	b, _ := HashPassword(fast, "same password")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestHashRejectsBadParams(t *testing.T) {
	for _, p := range []PasswordParams{
		{Time: 0, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: 64, Threads: 0},
		{Time: 1, MemoryKiB: 4, Threads: 1},
		{Time: 1, MemoryKiB: 1<<20 + 1, Threads: 1},
	} {
		if _, err := HashPassword(p, "correct horse battery"); err == nil {
			t.Errorf("HashPassword(%+v) accepted", p)
		}
	}
}

func TestCheckMalformed(t *testing.T) {
	good, err := HashPassword(fast, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for name, enc := range map[string]string{
		"empty":         "",
		"garbage":       "not a hash",
		"bcrypt":        "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"argon2i":       "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"old version":   "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"no version":    "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"extra field":   good + "$x",
		"no leading $":  strings.TrimPrefix(good, "$"),
		"params order":  "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"params sign":   "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
		"params zero t": "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"params zero p": "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"leading zero":  "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"huge memory":   "$argon2id$v=19$m=1048577,t=1,p=1$" + salt + "$" + key,
		"overflow mem":  "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"huge time":     "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key,
		"huge threads":  "$argon2id$v=19$m=65536,t=1,p=255$" + salt + "$" + key,
		"mem < 8p":      "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"salt not b64":  "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key,
		"salt padded":   "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"salt short":    "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"hash empty":    "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"hash short":    "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAAAAAA",
		"newline":       "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:10] + "\n" + key[10:],
		"hash not b64":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:len(key)-1] + "*",
	} {
		ok, err := CheckPassword(enc, "correct horse battery")
		if err == nil || ok {
			t.Errorf("%s: CheckPassword(%q) = %v, %v; want error", name, enc, ok, err)
		} else if !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: error %v does not wrap ErrMalformedHash", name, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                                      false,
		"short":                                 false,
		"123456789":                             false,
		"1234567890":                            true,
		"ääääääääää":                            true, // 10 characters, 20 bytes
		"äääääääää":                             false,
		strings.Repeat("a", MaxPasswordBytes):   true,
		strings.Repeat("a", MaxPasswordBytes+1): false,
		strings.Repeat("ä", 129):                false, // 258 bytes
	} {
		if err := ValidatePassword(pw); (err == nil) != ok {
			t.Errorf("ValidatePassword(%d bytes) = %v, want ok=%v", len(pw), err, ok)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	p := DefaultPasswordParams()
	for b.Loop() {
		if _, err := HashPassword(p, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
