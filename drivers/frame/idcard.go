package frame

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// The resident ID card readers of GA 467 (the "SAM" protocol of the
// second-generation ID card's security module) answer commands framed as
//
//	AA AA AA 96 69  LEN(2, big endian)  PAYLOAD  CHK
//
// where LEN counts PAYLOAD and CHK, and CHK is the XOR of the two LEN
// bytes and every PAYLOAD byte. A command's payload is CMD PARA [DATA];
// a response's is SW1 SW2 SW3 [DATA], SW3 saying how it went. A gate
// polls: find the card (20 01), select it (20 02), read its base
// information (30 01). The base information is the text block (256
// bytes of UCS-2 little endian, fixed fields) and the photo (1024 bytes,
// compressed; not used here), each preceded by its length.

// SAMHeader starts every frame.
var SAMHeader = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69}

// SAM commands, as CMD and PARA.
var (
	SAMFind   = [2]byte{0x20, 0x01}
	SAMSelect = [2]byte{0x20, 0x02}
	SAMRead   = [2]byte{0x30, 0x01}
)

// SAM status bytes (SW3).
const (
	SAMOK         = 0x90 // done
	SAMFound      = 0x9F // find: a card is there
	SAMNoCard     = 0x80 // find: no card (or the card already read, until it is lifted)
	SAMSelectFail = 0x81 // select: the card moved away
	SAMReadFail   = 0x41 // read: the card moved away mid-read
)

// MaxSAMFrame bounds a frame's LEN: the base information with its photo
// is 1,295; a reader that also sends fingerprints stays under 2,400.
const MaxSAMFrame = 4096

// ErrSAMFrame is a frame that fails its checks: a bad length or checksum.
var ErrSAMFrame = errors.New("frame: bad SAM frame")

// EncodeSAM frames a payload: a command's CMD PARA [DATA], or a
// response's SW1 SW2 SW3 [DATA].
func EncodeSAM(payload []byte) []byte {
	n := len(payload) + 1
	out := make([]byte, 0, len(SAMHeader)+2+n)
	out = append(out, SAMHeader...)
	out = binary.BigEndian.AppendUint16(out, uint16(n))
	out = append(out, payload...)
	return append(out, xorAll(out[len(SAMHeader):]))
}

// EncodeSAMResponse frames a response with status sw3 and data.
func EncodeSAMResponse(sw3 byte, data []byte) []byte {
	return EncodeSAM(append([]byte{0x00, 0x00, sw3}, data...))
}

func xorAll(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// SAMReader reads frames from a SAM reader's byte stream, skipping
// anything before a header. A frame with a bad length or checksum is
// dropped, counted, and reported as ErrSAMFrame, so that the poller can
// ask again: in a request-response protocol a lost answer must be known,
// not waited for.
type SAMReader struct {
	br      *bufio.Reader
	dropped int
}

// NewSAMReader returns a frame reader over r.
func NewSAMReader(r io.Reader) *SAMReader { return &SAMReader{br: bufio.NewReaderSize(r, 512)} }

// Dropped counts the bad frames seen.
func (s *SAMReader) Dropped() int { return s.dropped }

// Next returns the next frame's payload (without LEN and CHK).
func (s *SAMReader) Next() ([]byte, error) {
	if err := s.sync(); err != nil {
		return nil, err
	}
	var lb [2]byte
	if _, err := io.ReadFull(s.br, lb[:]); err != nil {
		return nil, eof(err)
	}
	n := int(binary.BigEndian.Uint16(lb[:]))
	if n < 2 || n > MaxSAMFrame {
		s.dropped++
		return nil, fmt.Errorf("%w: length %d", ErrSAMFrame, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(s.br, body); err != nil {
		return nil, eof(err)
	}
	if xorAll(lb[:])^xorAll(body[:n-1]) != body[n-1] {
		s.dropped++
		return nil, fmt.Errorf("%w: checksum", ErrSAMFrame)
	}
	return body[:n-1], nil
}

// sync consumes bytes up to and including the next header.
func (s *SAMReader) sync() error {
	matched := 0
	for matched < len(SAMHeader) {
		b, err := s.br.ReadByte()
		if err != nil {
			if matched > 0 {
				return eof(err)
			}
			return err
		}
		switch {
		case b == SAMHeader[matched]:
			matched++
		case b == SAMHeader[0]:
			// AA AA AA AA 96 69: the last three AA still start a header.
			if matched == 3 {
				break
			}
			matched = 1
		default:
			matched = 0
		}
	}
	return nil
}

// eof turns an end of stream inside a frame into io.ErrUnexpectedEOF.
func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// SAMResponse is a response payload split into its status and data.
type SAMResponse struct {
	SW3  byte
	Data []byte
}

// ParseSAMResponse splits a response payload.
func ParseSAMResponse(p []byte) (SAMResponse, error) {
	if len(p) < 3 {
		return SAMResponse{}, fmt.Errorf("%w: response of %d bytes", ErrSAMFrame, len(p))
	}
	return SAMResponse{SW3: p[2], Data: p[3:]}, nil
}

// IDCardText is the text of a resident ID card, as the card holds it.
type IDCardText struct {
	Name      string
	Sex       string // "1" male, "2" female
	Nation    string // two-digit code
	Birth     string // YYYYMMDD
	Address   string
	Number    string // the 18-character ID number
	Authority string
	ValidFrom string // YYYYMMDD
	ValidTo   string // YYYYMMDD or 长期
}

// idTextFields are the text block's fields and their sizes in bytes.
var idTextFields = []int{30, 2, 4, 16, 70, 36, 30, 16, 16}

// IDTextSize is the size of the text block; the last 36 bytes are reserved.
const IDTextSize = 256

func (t *IDCardText) fields() []*string {
	return []*string{&t.Name, &t.Sex, &t.Nation, &t.Birth, &t.Address, &t.Number, &t.Authority, &t.ValidFrom, &t.ValidTo}
}

// ParseIDText decodes a 256-byte text block; fields are padded with
// spaces, which are trimmed.
func ParseIDText(b []byte) (IDCardText, error) {
	if len(b) != IDTextSize {
		return IDCardText{}, fmt.Errorf("%w: ID text of %d bytes, not %d", ErrSAMFrame, len(b), IDTextSize)
	}
	var t IDCardText
	off := 0
	for i, f := range t.fields() {
		size := idTextFields[i]
		*f = strings.TrimRight(ucs2(b[off:off+size]), " \x00")
		off += size
	}
	return t, nil
}

func ucs2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// EncodeIDText is the card's text block for t, for simulators and tests;
// a field longer than its place is cut.
func EncodeIDText(t IDCardText) []byte {
	out := make([]byte, 0, IDTextSize)
	for i, f := range t.fields() {
		size := idTextFields[i]
		field := make([]byte, 0, size)
		for _, u := range utf16.Encode([]rune(*f)) {
			if len(field)+2 > size {
				break
			}
			field = binary.LittleEndian.AppendUint16(field, u)
		}
		for len(field) < size {
			field = append(field, ' ', 0)
		}
		out = append(out, field...)
	}
	return append(out, bytes.Repeat([]byte{' ', 0}, (IDTextSize-len(out))/2)...)
}

// ParseSAMBaseInfo decodes the data of a read-base-information response:
// the text and photo lengths, the text, the photo.
func ParseSAMBaseInfo(data []byte) (IDCardText, error) {
	if len(data) < 4 {
		return IDCardText{}, fmt.Errorf("%w: base information of %d bytes", ErrSAMFrame, len(data))
	}
	tl, pl := int(binary.BigEndian.Uint16(data)), int(binary.BigEndian.Uint16(data[2:]))
	if tl != IDTextSize || 4+tl+pl != len(data) {
		return IDCardText{}, fmt.Errorf("%w: base information of %d bytes says text %d, photo %d", ErrSAMFrame, len(data), tl, pl)
	}
	return ParseIDText(data[4 : 4+tl])
}

// EncodeSAMBaseInfo is the data of a read-base-information response.
func EncodeSAMBaseInfo(t IDCardText, photo []byte) []byte {
	out := binary.BigEndian.AppendUint16(nil, IDTextSize)
	out = binary.BigEndian.AppendUint16(out, uint16(len(photo)))
	out = append(out, EncodeIDText(t)...)
	return append(out, photo...)
}
