package secrets

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealedValuesOpenOnlyWithTheirKeyAndUnaltered(t *testing.T) {
	k1, k2 := NewKey(), NewKey()
	b1, _ := NewBox(k1)
	b2, _ := NewBox(k2)
	secret := []byte("ed25519 private key bytes")
	v := b1.Seal(secret)
	if !Sealed(v) || bytes.Contains(v, secret) {
		t.Fatalf("sealed value %q", v)
	}
	if got, err := b1.Open(v); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b2.Open(v); err == nil {
		t.Fatal("another key opened it")
	}
	bad := bytes.Clone(v)
	bad[len(bad)-1] ^= 1
	if _, err := b1.Open(bad); err == nil {
		t.Fatal("an altered value opened")
	}
	if _, err := b1.Open(v[:len(prefix)+4]); err == nil {
		t.Fatal("a truncated value opened")
	}
	var none *Box
	if _, err := none.Open(v); !errors.Is(err, ErrNoKey) {
		t.Fatalf("a sealed value without a key: %v", err)
	}
	if got, err := none.Open([]byte("stored in clear")); err != nil || string(got) != "stored in clear" {
		t.Fatalf("a value stored before sealing: %q %v", got, err)
	}
	txt := b1.SealText("token-secret-hex")
	if got, err := b1.OpenText(txt); err != nil || got != "token-secret-hex" {
		t.Fatalf("text: %q %v", got, err)
	}
	if _, err := b2.OpenText(txt); err == nil {
		t.Fatal("another key opened a sealed text")
	}
	if _, err := NewBox(k1[:16]); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
}

func TestIndexFindsEqualsAndTellsNothingWithoutTheKey(t *testing.T) {
	a, _ := NewBox(bytes.Repeat([]byte{1}, KeySize))
	b, _ := NewBox(bytes.Repeat([]byte{2}, KeySize))
	first, again := a.Index("李雷"), a.Index(string([]rune{'李', '雷'}))
	if first != again {
		t.Fatal("one value, two indexes")
	}
	if a.Index("李雷") == a.Index("李雷 ") || a.Index("李雷") == b.Index("李雷") {
		t.Fatal("an index does not depend on the value and the key")
	}
	if len(a.Index("")) != 32 {
		t.Fatalf("index %q", a.Index(""))
	}
}
