package ticket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Payload is the content of a ticket QR code.
type Payload struct {
	SystemCode   string    // cloud ticketing system code: 1..8 chars of [A-Z0-9]
	VenueCode    string    // exactly 8 ASCII digits (the regulator's venue/cinema code)
	BusinessDate time.Time // a date; only the UTC Y/M/D matter; 2000-01-01..2099-12-31
	Serial       uint32    // per-venue, per-business-date serial: 1..MaxSerial
	SessionID    int64     // > 0
	SeatID       int64     // > 0
}

// ErrInvalidPayload is wrapped by the errors Payload.Validate returns.
var ErrInvalidPayload = errors.New("ticket: invalid payload")

// MaxSystemCodeLen is the longest allowed system code.
const MaxSystemCodeLen = 8

// Number returns the payload's ticket number; see FormatNumber. It returns ""
// if the venue code, business date or serial is invalid.
func (p Payload) Number() string {
	return FormatNumber(p.VenueCode, p.BusinessDate, p.Serial)
}

// Validate checks every field and returns the first problem found, wrapping
// ErrInvalidPayload.
func (p Payload) Validate() error {
	if err := validateSystemCode(p.SystemCode); err != nil {
		return err
	}
	if !validVenueCode(p.VenueCode) {
		return fmt.Errorf("%w: venue code %q must be exactly 8 ASCII digits", ErrInvalidPayload, p.VenueCode)
	}
	if !validBusinessDate(p.BusinessDate) {
		return fmt.Errorf("%w: business date %s is outside 2000-01-01..2099-12-31", ErrInvalidPayload, p.BusinessDate.UTC().Format(time.DateOnly))
	}
	if p.Serial < 1 || p.Serial > MaxSerial {
		return fmt.Errorf("%w: serial %d is outside 1..%d", ErrInvalidPayload, p.Serial, MaxSerial)
	}
	if p.SessionID <= 0 {
		return fmt.Errorf("%w: session id %d must be > 0", ErrInvalidPayload, p.SessionID)
	}
	if p.SeatID <= 0 {
		return fmt.Errorf("%w: seat id %d must be > 0", ErrInvalidPayload, p.SeatID)
	}
	return nil
}

func validateSystemCode(s string) error {
	if len(s) < 1 || len(s) > MaxSystemCodeLen {
		return fmt.Errorf("%w: system code %q must be 1..%d characters long", ErrInvalidPayload, s, MaxSystemCodeLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return fmt.Errorf("%w: system code %q may contain only A-Z and 0-9", ErrInvalidPayload, s)
		}
	}
	return nil
}

// Binary layout constants (see the package documentation).
const (
	version1     = 1
	textPrefix   = "AD1:"
	signContext  = "admit-ticket-v1"
	maxVenueCode = 99_999_999
)

// appendBody appends the signed part of the v1 binary message (everything
// but the signature). p must be valid.
func appendBody(b []byte, p Payload, id KeyID) []byte {
	b = append(b, version1, byte(len(p.SystemCode)))
	b = append(b, p.SystemCode...)
	b = appendTicketFields(b, p)
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// appendTicketFields encodes what names a ticket: venue, business date,
// serial, session and seat (a pass's code carries them per session).
func appendTicketFields(b []byte, p Payload) []byte {
	var venue uint32
	for i := 0; i < len(p.VenueCode); i++ {
		venue = venue*10 + uint32(p.VenueCode[i]-'0')
	}
	b = binary.BigEndian.AppendUint32(b, venue)
	days := dateOnly(p.BusinessDate).Sub(epoch) / (24 * time.Hour)
	b = binary.BigEndian.AppendUint16(b, uint16(days))
	b = binary.BigEndian.AppendUint32(b, p.Serial)
	b = binary.AppendUvarint(b, uint64(p.SessionID))
	return binary.AppendUvarint(b, uint64(p.SeatID))
}

// decoder reads the v1 binary message; every error wraps ErrMalformed.
type decoder struct {
	b   []byte
	off int
}

func (d *decoder) take(n int, what string) ([]byte, error) {
	if len(d.b)-d.off < n {
		return nil, fmt.Errorf("%w: truncated at offset %d reading %s", ErrMalformed, d.off, what)
	}
	v := d.b[d.off : d.off+n]
	d.off += n
	return v, nil
}

// id reads a minimally encoded uvarint in 1..MaxInt64.
func (d *decoder) id(what string) (int64, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		return 0, fmt.Errorf("%w: truncated at offset %d reading %s", ErrMalformed, d.off, what)
	case n < 0:
		return 0, fmt.Errorf("%w: %s at offset %d overflows 64 bits", ErrMalformed, what, d.off)
	case n > 1 && d.b[d.off+n-1] == 0:
		return 0, fmt.Errorf("%w: %s at offset %d is not minimally encoded", ErrMalformed, what, d.off)
	case v == 0 || v > math.MaxInt64:
		return 0, fmt.Errorf("%w: %s %d is outside 1..%d", ErrMalformed, what, v, int64(math.MaxInt64))
	}
	d.off += n
	return int64(v), nil
}

// decodeText decodes a QR text into its payload, key id, signed body and
// signature, checking structure and field validity but not the signature.
func decodeText(qr string) (p Payload, id KeyID, body, sig []byte, err error) {
	if len(qr) < len(textPrefix) || qr[:len(textPrefix)] != textPrefix {
		if otherVersionPrefix(qr) {
			return Payload{}, 0, nil, nil, fmt.Errorf("%w: text prefix %q", ErrUnsupportedVersion, qr[:min(len(qr), 8)])
		}
		return Payload{}, 0, nil, nil, fmt.Errorf("%w: text does not start with %q", ErrMalformed, textPrefix)
	}
	bin, err := base45Decode(qr[len(textPrefix):])
	if err != nil {
		return Payload{}, 0, nil, nil, err
	}
	p, id, body, sig, err = decodeBinary(bin)
	if err != nil {
		return Payload{}, 0, nil, nil, err
	}
	return p, id, body, sig, nil
}

// otherVersionPrefix reports whether s starts with "AD<digits>:", the text
// prefix of some other payload version.
func otherVersionPrefix(s string) bool {
	if len(s) < 4 || s[:2] != "AD" {
		return false
	}
	i := 2
	for i < len(s) && i < 6 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 2 && i < len(s) && s[i] == ':'
}

func decodeBinary(bin []byte) (p Payload, id KeyID, body, sig []byte, err error) {
	d := &decoder{b: bin}
	v, err := d.take(1, "version")
	if err != nil {
		return
	}
	if v[0] != version1 {
		err = fmt.Errorf("%w: binary version %d", ErrUnsupportedVersion, v[0])
		return
	}
	n, err := d.take(1, "system code length")
	if err != nil {
		return
	}
	sys, err := d.take(int(n[0]), "system code")
	if err != nil {
		return
	}
	p.SystemCode = string(sys)
	if e := validateSystemCode(p.SystemCode); e != nil {
		err = fmt.Errorf("%w: %w", ErrMalformed, e)
		return
	}
	if err = d.ticketFields(&p); err != nil {
		return
	}
	kid, err := d.take(4, "key id")
	if err != nil {
		return
	}
	id = KeyID(binary.BigEndian.Uint32(kid))
	body = bin[:d.off]
	if sig, err = d.take(SignatureSize, "signature"); err != nil {
		return
	}
	if d.off != len(bin) {
		err = fmt.Errorf("%w: %d trailing bytes after the signature", ErrMalformed, len(bin)-d.off)
		return
	}
	// Belt and braces: whatever decoded must be a valid payload.
	if e := p.Validate(); e != nil {
		err = fmt.Errorf("%w: %w", ErrMalformed, e)
		return
	}
	return p, id, body, sig, nil
}

// ticketFields reads appendTicketFields' fields into p.
func (d *decoder) ticketFields(p *Payload) (err error) {
	venue, err := d.take(4, "venue code")
	if err != nil {
		return
	}
	vc := binary.BigEndian.Uint32(venue)
	if vc > maxVenueCode {
		err = fmt.Errorf("%w: venue code %d has more than 8 digits", ErrMalformed, vc)
		return
	}
	p.VenueCode = string(appendPadded(nil, int(vc), 8))
	days, err := d.take(2, "business date")
	if err != nil {
		return
	}
	p.BusinessDate = epoch.AddDate(0, 0, int(binary.BigEndian.Uint16(days)))
	if p.BusinessDate.After(maxBusinessDate) {
		err = fmt.Errorf("%w: business date %s is after %s", ErrMalformed, p.BusinessDate.Format(time.DateOnly), maxBusinessDate.Format(time.DateOnly))
		return
	}
	serial, err := d.take(4, "serial")
	if err != nil {
		return
	}
	p.Serial = binary.BigEndian.Uint32(serial)
	if p.Serial < 1 || p.Serial > MaxSerial {
		err = fmt.Errorf("%w: serial %d is outside 1..%d", ErrMalformed, p.Serial, MaxSerial)
		return
	}
	if p.SessionID, err = d.id("session id"); err != nil {
		return
	}
	p.SeatID, err = d.id("seat id")
	return err
}
