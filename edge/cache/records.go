package cache

import (
	"encoding/binary"
	"errors"
	"time"
)

// Compact record encodings. Every value starts with a format byte so the
// layout can change without a migration of the whole file.

var errCorrupt = errors.New("cache: corrupt record")

// Ticket is what the device keeps of a ticket.
type Ticket struct {
	Number     string
	QR         string
	SessionID  int64
	SeatID     int64
	SeatLabel  string
	OrderID    int64
	PickupCode string
	PriceCents int64
	Tier       string
}

// Admission is the last entry or exit of a ticket seen by this device, from
// its own gate or from the venue feed.
type Admission struct {
	Number    string
	Direction string // "in" or "out": the newest one
	DeviceID  string // the gate that recorded the newest one
	At        time.Time
	Count     int // entries ("in") recorded
	Exits     int // exits ("out") recorded
}

const (
	ticketFormat1 = 1

	qrText   = 0 // the QR text as is
	qrBase45 = 1 // "AD1:" + Base45(bytes): the bytes are stored (a third smaller)
)

type enc []byte

func (e enc) varint(v int64) enc   { return binary.AppendVarint(e, v) }
func (e enc) uvarint(v uint64) enc { return binary.AppendUvarint(e, v) }
func (e enc) str(s string) enc     { return append(e.uvarint(uint64(len(s))), s...) }

type dec struct {
	b   []byte
	err error
}

func (d *dec) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if uint64(len(d.b)) < n {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// encodeTicket: format, session, seat, order, price (zig-zag varints),
// label, pickup code, tier (length-prefixed), QR form byte, QR (the rest).
// The number is the key. A typical ticket takes about 130 bytes.
func encodeTicket(t Ticket) []byte {
	e := make(enc, 0, 48+len(t.SeatLabel)+len(t.Tier)+len(t.QR))
	e = append(e, ticketFormat1)
	e = e.varint(t.SessionID).varint(t.SeatID).varint(t.OrderID).varint(t.PriceCents)
	e = e.str(t.SeatLabel).str(t.PickupCode).str(t.Tier)
	if bin, ok := compactQR(t.QR); ok {
		e = append(e, qrBase45)
		e = append(e, bin...)
	} else {
		e = append(e, qrText)
		e = append(e, t.QR...)
	}
	return e
}

func decodeTicket(number string, v []byte) (Ticket, error) {
	d := &dec{b: v}
	if d.byte() != ticketFormat1 {
		return Ticket{}, errCorrupt
	}
	t := Ticket{Number: number}
	t.SessionID, t.SeatID, t.OrderID, t.PriceCents = d.varint(), d.varint(), d.varint(), d.varint()
	t.SeatLabel, t.PickupCode, t.Tier = d.str(), d.str(), d.str()
	form := d.byte()
	if d.err != nil {
		return Ticket{}, d.err
	}
	switch form {
	case qrText:
		t.QR = string(d.b)
	case qrBase45:
		t.QR = qrPrefix + base45Encode(d.b)
	default:
		return Ticket{}, errCorrupt
	}
	return t, nil
}

// pickupCodeOf reads only the pickup code of an encoded ticket.
func pickupCodeOf(v []byte) string {
	d := &dec{b: v}
	if d.byte() != ticketFormat1 {
		return ""
	}
	d.varint()
	d.varint()
	d.varint()
	d.varint()
	d.str()
	s := d.str()
	if d.err != nil {
		return ""
	}
	return s
}

const (
	dirIn  = 'i'
	dirOut = 'o'
)

// encodeAdmission: direction byte, at (unix nanoseconds), entries, exits,
// device id (the rest).
func encodeAdmission(a Admission) []byte {
	e := make(enc, 0, 24+len(a.DeviceID))
	d := byte(dirIn)
	if a.Direction == DirectionOut {
		d = dirOut
	}
	e = append(e, d)
	e = e.varint(a.At.UnixNano()).uvarint(uint64(a.Count)).uvarint(uint64(a.Exits))
	return append(e, a.DeviceID...)
}

func decodeAdmission(number string, v []byte) (Admission, error) {
	d := &dec{b: v}
	a := Admission{Number: number}
	switch d.byte() {
	case dirIn:
		a.Direction = DirectionIn
	case dirOut:
		a.Direction = DirectionOut
	default:
		return Admission{}, errCorrupt
	}
	a.At = time.Unix(0, d.varint()).UTC()
	a.Count, a.Exits = int(d.uvarint()), int(d.uvarint())
	if d.err != nil {
		return Admission{}, d.err
	}
	a.DeviceID = string(d.b)
	return a, nil
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v) }

func getU64(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// --- QR compaction -------------------------------------------------------

// qrPrefix is the text prefix of a v1 ticket QR (see cloud/ticket).
const qrPrefix = "AD1:"

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// compactQR returns the bytes of a "AD1:"+Base45 QR text when the text is
// exactly the canonical encoding of those bytes (so that decoding the
// record gives back the same text), and false otherwise.
func compactQR(qr string) ([]byte, bool) {
	if len(qr) <= len(qrPrefix) || qr[:len(qrPrefix)] != qrPrefix {
		return nil, false
	}
	s := qr[len(qrPrefix):]
	if len(s)%3 == 1 {
		return nil, false
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		chunk := s[i:min(i+3, len(s))]
		n, mul := 0, 1
		for j := 0; j < len(chunk); j++ {
			v := base45Value[chunk[j]]
			if v < 0 {
				return nil, false
			}
			n += int(v) * mul
			mul *= 45
		}
		if len(chunk) == 3 {
			if n > 0xFFFF {
				return nil, false
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, false
			}
			out = append(out, byte(n))
		}
	}
	return out, base45Encode(out) == s
}

func base45Encode(src []byte) string {
	out := make([]byte, 0, len(src)/2*3+len(src)%2*2)
	i := 0
	for ; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/(45*45)])
	}
	if i < len(src) {
		n := int(src[i])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}
