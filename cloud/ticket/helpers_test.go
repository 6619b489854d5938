package ticket

import (
	"crypto/ed25519"
	"errors"
	"math"
	"testing"
	"time"
)

// testKey returns a deterministic signing key derived from n, and its
// public key.
func testKey(t testing.TB, id KeyID, n byte) (SigningKey, ed25519.PublicKey) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = n + byte(i)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return SigningKey{ID: id, Private: priv}, priv.Public().(ed25519.PublicKey)
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func typicalPayload() Payload {
	return Payload{
		SystemCode:   "ADMIT01",
		VenueCode:    "11010001",
		BusinessDate: date(2025, time.March, 14),
		Serial:       42,
		SessionID:    123456,
		SeatID:       7890123,
	}
}

func largestPayload() Payload {
	return Payload{
		SystemCode:   "ZZZZZZZZ",
		VenueCode:    "99999999",
		BusinessDate: date(2099, time.December, 31),
		Serial:       MaxSerial,
		SessionID:    math.MaxInt64,
		SeatID:       math.MaxInt64,
	}
}

func mustSign(t testing.TB, p Payload, k SigningKey) string {
	t.Helper()
	qr, err := Sign(p, k)
	if err != nil {
		t.Fatalf("Sign(%+v): %v", p, err)
	}
	return qr
}

// binaryOf decodes the base45 part of a QR text.
func binaryOf(t testing.TB, qr string) []byte {
	t.Helper()
	bin, err := base45Decode(qr[len(textPrefix):])
	if err != nil {
		t.Fatalf("base45Decode: %v", err)
	}
	return bin
}

func textOf(bin []byte) string { return textPrefix + base45Encode(bin) }

// signRaw signs an arbitrary body, as a buggy or hostile signer holding a
// valid key might, so tests can check that the decoder rejects structure
// independently of the signature.
func signRaw(body []byte, k SigningKey) string {
	sig := ed25519.Sign(k.Private, signedMessage(body))
	return textOf(append(append([]byte(nil), body...), sig...))
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want errors.Is(_, %v)", err, target)
	}
}
