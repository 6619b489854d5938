package ticket

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
)

// PassPayload is the content of a pass's QR code: one code for every
// session the pass includes, in every venue of its tenant. The pass's
// tickets for each session reach gates with the pass id (the venue feed),
// so a gate admits a pass from its cache, once per session.
type PassPayload struct {
	SystemCode string
	PassID     int64 // > 0
}

const (
	passVersion1    = 1
	passTextPrefix  = "AP1:"
	passSignContext = "admit-pass-v1"
)

// IsPass reports whether a scanned text is a pass's code (not a ticket's).
func IsPass(qr string) bool {
	return len(qr) >= len(passTextPrefix) && qr[:len(passTextPrefix)] == passTextPrefix
}

func appendPassBody(b []byte, p PassPayload, id KeyID) []byte {
	b = append(b, passVersion1, byte(len(p.SystemCode)))
	b = append(b, p.SystemCode...)
	b = binary.AppendUvarint(b, uint64(p.PassID))
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// SignPass encodes and signs a pass's payload ("AP1:" + Base45).
func SignPass(p PassPayload, k SigningKey) (string, error) {
	if err := validateSystemCode(p.SystemCode); err != nil {
		return "", fmt.Errorf("ticket: sign pass: %w", err)
	}
	if p.PassID <= 0 {
		return "", fmt.Errorf("ticket: sign pass: %w: pass id %d must be > 0", ErrInvalidPayload, p.PassID)
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("ticket: sign pass: %w: key %d", ErrInvalidKey, k.ID)
	}
	bin := appendPassBody(make([]byte, 0, 64), p, k.ID)
	m := append([]byte(passSignContext), bin...)
	bin = append(bin, ed25519.Sign(k.Private, m)...)
	return passTextPrefix + base45Encode(bin), nil
}

// VerifyPass decodes a pass's code and checks its signature; any
// altered, truncated or extended code is rejected.
func VerifyPass(qr string, keys PublicKeys) (PassPayload, error) {
	if !IsPass(qr) {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w: text does not start with %q", ErrMalformed, passTextPrefix)
	}
	bin, err := base45Decode(qr[len(passTextPrefix):])
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	d := &decoder{b: bin}
	v, err := d.take(1, "version")
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	if v[0] != passVersion1 {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w: binary version %d", ErrUnsupportedVersion, v[0])
	}
	n, err := d.take(1, "system code length")
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	sys, err := d.take(int(n[0]), "system code")
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	p := PassPayload{SystemCode: string(sys)}
	if e := validateSystemCode(p.SystemCode); e != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w: %w", ErrMalformed, e)
	}
	if p.PassID, err = d.id("pass id"); err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	kid, err := d.take(4, "key id")
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	body := bin[:d.off]
	sig, err := d.take(SignatureSize, "signature")
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	if d.off != len(bin) {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w: %d trailing bytes", ErrMalformed, len(bin)-d.off)
	}
	id := KeyID(binary.BigEndian.Uint32(kid))
	pub, ok := keys[id]
	if !ok || len(pub) != ed25519.PublicKeySize {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w: key id %d", ErrUnknownKey, id)
	}
	if !ed25519.Verify(pub, append([]byte(passSignContext), body...), sig) {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w: key id %d", ErrBadSignature, id)
	}
	return p, nil
}
