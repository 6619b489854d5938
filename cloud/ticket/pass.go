package ticket

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
)

// PassPayload is the content of a pass's QR code: one code for every
// session the pass includes, in every venue of its tenant. Since binary
// version 2 the code also names each session's ticket (Tickets), so a
// gate admits it on the signature alone, like a ticket, when its cache
// has not heard of the pass yet (the gate was offline when it was sold);
// a version 1 code names the pass only, and a gate finds its tickets in
// its cache by the pass id the venue feed gives them.
type PassPayload struct {
	SystemCode string
	PassID     int64 // > 0
	// Tickets are the pass's tickets, one per session (their SystemCode
	// is the pass's); none in a version 1 code.
	Tickets []Payload
}

// MaxPassTickets bounds the tickets a pass's code names.
const MaxPassTickets = 50

const (
	passVersion1    = 1
	passVersion2    = 2
	passTextPrefix  = "AP1:"
	passSignContext = "admit-pass-v1"
)

// IsPass reports whether a scanned text is a pass's code (not a ticket's).
func IsPass(qr string) bool {
	return len(qr) >= len(passTextPrefix) && qr[:len(passTextPrefix)] == passTextPrefix
}

func appendPassBody(b []byte, p PassPayload, id KeyID) []byte {
	v := byte(passVersion1)
	if len(p.Tickets) > 0 {
		v = passVersion2
	}
	b = append(b, v, byte(len(p.SystemCode)))
	b = append(b, p.SystemCode...)
	b = binary.AppendUvarint(b, uint64(p.PassID))
	if v == passVersion2 {
		b = append(b, byte(len(p.Tickets)))
		for _, t := range p.Tickets {
			b = appendTicketFields(b, t)
		}
	}
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// SignPass encodes and signs a pass's payload ("AP1:" + Base45): version
// 2 when it names its tickets, else version 1.
func SignPass(p PassPayload, k SigningKey) (string, error) {
	if err := validateSystemCode(p.SystemCode); err != nil {
		return "", fmt.Errorf("ticket: sign pass: %w", err)
	}
	if p.PassID <= 0 {
		return "", fmt.Errorf("ticket: sign pass: %w: pass id %d must be > 0", ErrInvalidPayload, p.PassID)
	}
	if len(p.Tickets) > MaxPassTickets {
		return "", fmt.Errorf("ticket: sign pass: %w: %d tickets, at most %d", ErrInvalidPayload, len(p.Tickets), MaxPassTickets)
	}
	for i, t := range p.Tickets {
		if t.SystemCode != p.SystemCode {
			return "", fmt.Errorf("ticket: sign pass: %w: ticket %d is of system %q, the pass of %q", ErrInvalidPayload, i, t.SystemCode, p.SystemCode)
		}
		if err := t.Validate(); err != nil {
			return "", fmt.Errorf("ticket: sign pass: ticket %d: %w", i, err)
		}
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("ticket: sign pass: %w: key %d", ErrInvalidKey, k.ID)
	}
	bin := appendPassBody(make([]byte, 0, 64+16*len(p.Tickets)), p, k.ID)
	m := append([]byte(passSignContext), bin...)
	bin = append(bin, ed25519.Sign(k.Private, m)...)
	return passTextPrefix + base45Encode(bin), nil
}

// VerifyPass decodes a pass's code and checks its signature; any
// altered, truncated or extended code is rejected.
func VerifyPass(qr string, keys PublicKeys) (PassPayload, error) {
	p, err := verifyPass(qr, keys)
	if err != nil {
		return PassPayload{}, fmt.Errorf("ticket: verify pass: %w", err)
	}
	return p, nil
}

func verifyPass(qr string, keys PublicKeys) (PassPayload, error) {
	if !IsPass(qr) {
		return PassPayload{}, fmt.Errorf("%w: text does not start with %q", ErrMalformed, passTextPrefix)
	}
	bin, err := base45Decode(qr[len(passTextPrefix):])
	if err != nil {
		return PassPayload{}, err
	}
	d := &decoder{b: bin}
	v, err := d.take(1, "version")
	if err != nil {
		return PassPayload{}, err
	}
	if v[0] != passVersion1 && v[0] != passVersion2 {
		return PassPayload{}, fmt.Errorf("%w: binary version %d", ErrUnsupportedVersion, v[0])
	}
	n, err := d.take(1, "system code length")
	if err != nil {
		return PassPayload{}, err
	}
	sys, err := d.take(int(n[0]), "system code")
	if err != nil {
		return PassPayload{}, err
	}
	p := PassPayload{SystemCode: string(sys)}
	if e := validateSystemCode(p.SystemCode); e != nil {
		return PassPayload{}, fmt.Errorf("%w: %w", ErrMalformed, e)
	}
	if p.PassID, err = d.id("pass id"); err != nil {
		return PassPayload{}, err
	}
	if v[0] == passVersion2 {
		c, err := d.take(1, "ticket count")
		if err != nil {
			return PassPayload{}, err
		}
		if c[0] == 0 || int(c[0]) > MaxPassTickets {
			return PassPayload{}, fmt.Errorf("%w: %d tickets, want 1..%d", ErrMalformed, c[0], MaxPassTickets)
		}
		for range int(c[0]) {
			t := Payload{SystemCode: p.SystemCode}
			if err := d.ticketFields(&t); err != nil {
				return PassPayload{}, err
			}
			if e := t.Validate(); e != nil {
				return PassPayload{}, fmt.Errorf("%w: %w", ErrMalformed, e)
			}
			p.Tickets = append(p.Tickets, t)
		}
	}
	kid, err := d.take(4, "key id")
	if err != nil {
		return PassPayload{}, err
	}
	body := bin[:d.off]
	sig, err := d.take(SignatureSize, "signature")
	if err != nil {
		return PassPayload{}, err
	}
	if d.off != len(bin) {
		return PassPayload{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(bin)-d.off)
	}
	id := KeyID(binary.BigEndian.Uint32(kid))
	pub, ok := keys[id]
	if !ok || len(pub) != ed25519.PublicKeySize {
		return PassPayload{}, fmt.Errorf("%w: key id %d", ErrUnknownKey, id)
	}
	if !ed25519.Verify(pub, append([]byte(passSignContext), body...), sig) {
		return PassPayload{}, fmt.Errorf("%w: key id %d", ErrBadSignature, id)
	}
	return p, nil
}
