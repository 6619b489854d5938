// Package secrets seals the cloud's secrets at rest
// (cloud-ticketing-requirements §6.2.1: key fields encrypted; a copy of
// the database alone must sign nothing). Envelope encryption: a master
// key the database never holds (a file or an environment variable) wraps
// one data key, stored sealed in the database; the data key seals each
// secret with AES-256-GCM. Rotating the master key rewraps the data key
// alone.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a master or data key: AES-256.
const KeySize = 32

// prefix marks a sealed value; what lacks it was stored before sealing.
var prefix = []byte("admit-sealed:v1:")

// ErrNoKey is a sealed value met without the key to open it.
var ErrNoKey = errors.New("secrets: the value is sealed and no master key is configured")

// Box seals and opens values with one key.
type Box struct {
	aead  cipher.AEAD
	index []byte // keys Index: derived from the key, never the key itself
}

// NewBox makes a box for a KeySize key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: a key is %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("admit/blind-index/v1"))
	return &Box{aead: aead, index: m.Sum(nil)}, nil
}

// Index is a blind index of v: equal values give equal indexes, and
// nothing about v can be read from one without the key. It lets a sealed
// column be searched for equality (a customer's name).
func (b *Box) Index(v string) string {
	m := hmac.New(sha256.New, b.index)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Seal encrypts plain: prefix, nonce, ciphertext and tag.
func (b *Box) Seal(plain []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	out := append(append([]byte(nil), prefix...), nonce...)
	return b.aead.Seal(out, nonce, plain, prefix)
}

// Open decrypts what Seal made; a value without the prefix (stored before
// sealing) comes back as it is.
func (b *Box) Open(v []byte) ([]byte, error) {
	if !Sealed(v) {
		return v, nil
	}
	if b == nil {
		return nil, ErrNoKey
	}
	rest := v[len(prefix):]
	n := b.aead.NonceSize()
	if len(rest) < n+b.aead.Overhead() {
		return nil, errors.New("secrets: a sealed value is truncated")
	}
	plain, err := b.aead.Open(nil, rest[:n], rest[n:], prefix)
	if err != nil {
		return nil, errors.New("secrets: a sealed value does not open with this key (another key, or altered)")
	}
	return plain, nil
}

// Prefix begins every sealed value, in bytes or text.
func Prefix() string { return string(prefix) }

// Sealed reports whether v was sealed.
func Sealed(v []byte) bool { return bytes.HasPrefix(v, prefix) }

// SealText and OpenText are Seal and Open for text columns (base64).
func (b *Box) SealText(plain string) string {
	return string(prefix) + base64.RawStdEncoding.EncodeToString(b.Seal([]byte(plain))[len(prefix):])
}

// OpenText opens what SealText made; other text comes back as it is.
func (b *Box) OpenText(v string) (string, error) {
	rest, ok := strings.CutPrefix(v, string(prefix))
	if !ok {
		return v, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return "", errors.New("secrets: a sealed text is not base64")
	}
	plain, err := b.Open(append(append([]byte(nil), prefix...), raw...))
	return string(plain), err
}

// NewKey makes a random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}
