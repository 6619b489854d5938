package ticket

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeyID identifies a tenant signing key. It is carried in the QR payload so a
// verifier can pick the public key.
type KeyID uint32

// SignatureSize is the length of the Ed25519 signature in the binary message.
const SignatureSize = ed25519.SignatureSize

// Errors returned by Sign, Verify and Parse wrap one of these (and possibly
// ErrInvalidPayload too); test with errors.Is.
var (
	// ErrMalformed: not decodable, wrong length, trailing bytes or a bad field.
	ErrMalformed = errors.New("ticket: malformed QR payload")
	// ErrUnsupportedVersion: a text prefix or version byte other than v1.
	ErrUnsupportedVersion = errors.New("ticket: unsupported QR payload version")
	// ErrUnknownKey: the key id is not in the verifier's PublicKeys (or its
	// entry there is not a valid Ed25519 public key).
	ErrUnknownKey = errors.New("ticket: unknown signing key")
	// ErrBadSignature: the signature does not verify under the key.
	ErrBadSignature = errors.New("ticket: bad signature")
	// ErrInvalidKey: the SigningKey passed to Sign is not usable.
	ErrInvalidKey = errors.New("ticket: invalid signing key")
)

// SigningKey is a tenant's private signing key together with its id.
type SigningKey struct {
	ID      KeyID
	Private ed25519.PrivateKey
}

// GenerateKey creates a new Ed25519 signing key with the given id using
// crypto/rand, and returns it with its public key.
func GenerateKey(id KeyID) (SigningKey, ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, nil, fmt.Errorf("ticket: generate key %d: %w", id, err)
	}
	return SigningKey{ID: id, Private: priv}, pub, nil
}

// PublicKeys is the set of keys a verifier trusts (one tenant's non-revoked
// keys).
type PublicKeys map[KeyID]ed25519.PublicKey

// signedMessage is what Ed25519 signs: the context string followed by body.
func signedMessage(body []byte) []byte {
	m := make([]byte, 0, len(signContext)+len(body))
	m = append(m, signContext...)
	return append(m, body...)
}

// Sign encodes the payload and signs it; it returns the text to put in a QR
// code ("AD1:" + Base45 of the binary message). Ed25519 is deterministic, so
// signing the same payload with the same key always yields the same text.
func Sign(p Payload, k SigningKey) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("ticket: sign: %w", err)
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("ticket: sign: %w: key %d has %d bytes, want %d", ErrInvalidKey, k.ID, len(k.Private), ed25519.PrivateKeySize)
	}
	bin := appendBody(make([]byte, 0, 128), p, k.ID)
	sig := ed25519.Sign(k.Private, signedMessage(bin))
	bin = append(bin, sig...)
	return textPrefix + base45Encode(bin), nil
}

// Verify decodes qr and checks its signature against keys. Any altered,
// truncated, extended or foreign-key payload is rejected. On error the
// returned Payload and KeyID are zero.
func Verify(qr string, keys PublicKeys) (Payload, KeyID, error) {
	p, id, body, sig, err := decodeText(qr)
	if err != nil {
		return Payload{}, 0, fmt.Errorf("ticket: verify: %w", err)
	}
	pub, ok := keys[id]
	if !ok {
		return Payload{}, 0, fmt.Errorf("ticket: verify: %w: key id %d", ErrUnknownKey, id)
	}
	if len(pub) != ed25519.PublicKeySize {
		return Payload{}, 0, fmt.Errorf("ticket: verify: %w: trusted key %d has %d bytes, want %d", ErrUnknownKey, id, len(pub), ed25519.PublicKeySize)
	}
	if !ed25519.Verify(pub, signedMessage(body), sig) {
		return Payload{}, 0, fmt.Errorf("ticket: verify: %w: key id %d", ErrBadSignature, id)
	}
	return p, id, nil
}

// Parse decodes qr without checking the signature, for diagnostics only:
// never admit on the strength of Parse. It applies the same structural and
// field checks as Verify.
func Parse(qr string) (Payload, KeyID, error) {
	p, id, _, _, err := decodeText(qr)
	if err != nil {
		return Payload{}, 0, fmt.Errorf("ticket: parse: %w", err)
	}
	return p, id, nil
}
