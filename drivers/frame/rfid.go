package frame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// RFIDConfig describes the binary frames an RFID reader sends for a card:
//
//	Start [LEN] [TYPE...] UID... [BCC] End
//
// DATA is the TypeBytes type bytes (a card-type code, say; never part of
// the UID) followed by the card UID, sent most significant byte first as
// the reader read it. LEN, present when Length is set, is one byte: the
// number of DATA bytes, or, with LengthCoversFrame, the number of bytes of
// the whole frame from Start to End inclusive. BCC, present unless
// Checksum is "none", is one byte computed over the DATA bytes, preceded
// by the LEN byte when ChecksumOverLen is set; Start and End are never
// included:
//
//   - "xor":  BCC = b0 ^ b1 ^ ... ^ bn (0x00 over no bytes)
//   - "sum8": BCC = (b0 + b1 + ... + bn) mod 256
//   - "none": no BCC byte
//
// For example, with Start 0x02, End 0x03, Length, "xor" and
// ChecksumOverLen, the UID DE AD BE EF is framed as
// 02 04 DE AD BE EF 26 03 (04^DE^AD^BE^EF = 26). With LengthCoversFrame
// and one type byte 01 as well, it is 02 09 01 DE AD BE EF 2A 03
// (09^01^DE^AD^BE^EF = 2A), as the common dual-frequency UART readers
// send it.
type RFIDConfig struct {
	Start, End      byte
	Length          bool
	Checksum        string // "xor", "sum8" or "none"
	ChecksumOverLen bool   // the BCC covers LEN as well as DATA; needs Length
	// LengthCoversFrame makes LEN count the whole frame, Start to End
	// inclusive, rather than DATA alone; it needs Length.
	LengthCoversFrame bool
	// TypeBytes is the number of bytes between LEN (or Start) and the UID,
	// 0..4. They are covered by LEN and BCC but not returned.
	TypeBytes int
	// UIDSizes lists the UID lengths in bytes the reader sends, e.g.
	// 4, 7 and 10 for ISO 14443 cards; a frame of another size is dropped.
	// Without Length, frames are told apart by where End and a valid BCC
	// fall, so several sizes then need a checksum.
	UIDSizes []int
}

// RFIDStats counts what an [RFIDReader] has returned and dropped.
type RFIDStats struct {
	Cards       int // UIDs returned
	BadChecksum int // frames dropped for a BCC that does not match
	BadLength   int // frames dropped for a UID size not configured or a missing End
	Noise       int // bytes dropped outside any frame, good or bad
}

// RFIDReader reads card UIDs from an RFID reader's byte stream.
//
// A frame that fails any check is dropped and counted, and the search for
// the next frame starts again at the byte after its Start byte, so a Start
// byte that was really noise does not swallow the frame that follows it.
type RFIDReader struct {
	br    *bufio.Reader
	cfg   RFIDConfig
	sizes []int // UIDSizes, sorted and without repeats

	buf     []byte // buf[off:] holds bytes read and not yet decided
	off     int
	covered int  // leading bytes of buf[off:] inside a frame already counted as bad
	eof     bool // the stream has ended; buf[off:] is all that is left
	done    error
	stats   RFIDStats
}

// NewRFIDReader returns an RFIDReader decoding r as cfg describes.
func NewRFIDReader(r io.Reader, cfg RFIDConfig) (*RFIDReader, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sizes := slices.Compact(slices.Sorted(slices.Values(cfg.UIDSizes)))
	cfg.UIDSizes = sizes
	return &RFIDReader{br: bufio.NewReader(r), cfg: cfg, sizes: sizes}, nil
}

func (c RFIDConfig) validate() error {
	switch c.Checksum {
	case "xor", "sum8", "none":
	default:
		return fmt.Errorf("%w: RFID checksum %q is not xor, sum8 or none", ErrConfig, c.Checksum)
	}
	if c.ChecksumOverLen && (!c.Length || c.Checksum == "none") {
		return fmt.Errorf("%w: RFID ChecksumOverLen needs Length and a checksum", ErrConfig)
	}
	if c.LengthCoversFrame && !c.Length {
		return fmt.Errorf("%w: RFID LengthCoversFrame needs Length", ErrConfig)
	}
	if c.TypeBytes < 0 || c.TypeBytes > 4 {
		return fmt.Errorf("%w: RFID TypeBytes %d is outside 0..4", ErrConfig, c.TypeBytes)
	}
	if len(c.UIDSizes) == 0 {
		return fmt.Errorf("%w: RFID UIDSizes is empty", ErrConfig)
	}
	for _, n := range c.UIDSizes {
		if n < 1 || n > 255 {
			return fmt.Errorf("%w: RFID UID size %d is outside 1..255", ErrConfig, n)
		}
		if c.Length && c.lenByte(n) > 255 {
			return fmt.Errorf("%w: RFID UID size %d does not fit the one-byte LEN", ErrConfig, n)
		}
	}
	if !c.Length && c.Checksum == "none" && len(slices.Compact(slices.Sorted(slices.Values(c.UIDSizes)))) > 1 {
		// A 7-byte UID whose fifth byte equals End would read as a
		// 4-byte card: nothing tells the sizes apart.
		return fmt.Errorf("%w: RFID frames with several UID sizes need Length or a checksum", ErrConfig)
	}
	return nil
}

// EncodeRFID frames uid as cfg describes, for simulators and tests, with
// zero type bytes (see [EncodeRFIDCard]). It does not check uid against
// cfg.UIDSizes, so it can also build frames a reader must drop; with
// Length, the LEN value must fit in a byte.
func EncodeRFID(cfg RFIDConfig, uid []byte) []byte {
	return EncodeRFIDCard(cfg, make([]byte, max(cfg.TypeBytes, 0)), uid)
}

// EncodeRFIDCard frames the type bytes typ and uid as cfg describes. typ is
// sent as given, so a test can also build a frame whose type bytes do not
// match cfg.TypeBytes.
func EncodeRFIDCard(cfg RFIDConfig, typ, uid []byte) []byte {
	out := make([]byte, 0, len(typ)+len(uid)+4)
	out = append(out, cfg.Start)
	if cfg.Length {
		n := len(typ) + len(uid)
		if cfg.LengthCoversFrame {
			n += cfg.overhead()
		}
		out = append(out, byte(n))
	}
	out = append(out, typ...)
	out = append(out, uid...)
	if cfg.Checksum == "xor" || cfg.Checksum == "sum8" {
		covered := out[1:]
		if cfg.Length && !cfg.ChecksumOverLen {
			covered = out[2:]
		}
		out = append(out, bcc(cfg.Checksum, covered))
	}
	return append(out, cfg.End)
}

// overhead is the number of frame bytes around DATA: Start, LEN, BCC, End.
func (c RFIDConfig) overhead() int {
	n := 2
	if c.Length {
		n++
	}
	if c.Checksum != "none" {
		n++
	}
	return n
}

// lenByte is the LEN value of a frame holding a UID of size bytes.
func (c RFIDConfig) lenByte(size int) int {
	n := c.TypeBytes + size
	if c.LengthCoversFrame {
		n += c.overhead()
	}
	return n
}

func bcc(kind string, b []byte) byte {
	var s byte
	for _, c := range b {
		if kind == "xor" {
			s ^= c
		} else {
			s += c
		}
	}
	return s
}

// Stats returns the counts so far.
func (r *RFIDReader) Stats() RFIDStats { return r.stats }

// Next returns the UID of the next valid frame as upper-case hex. At the
// end of the stream it returns io.ErrUnexpectedEOF if a frame was cut off,
// then io.EOF.
func (r *RFIDReader) Next() (string, error) {
	if r.done != nil {
		return "", r.done
	}
	for {
		r.skipNoise()
		need := 1
		if win := r.buf[r.off:]; len(win) > 0 {
			v := r.check(win)
			switch {
			case v.uid != nil:
				uid := upperHex(v.uid)
				r.consume(v.n)
				r.stats.Cards++
				return uid, nil
			case v.bad != nil:
				r.reject(v.bad, v.n)
				continue
			case r.eof:
				// The frame at win[0] can no longer complete. If another
				// Start follows, a frame may still be in there.
				if bytes.IndexByte(win[1:], r.cfg.Start) >= 0 {
					r.reject(&r.stats.BadLength, 1)
					continue
				}
				r.buf, r.off, r.done = nil, 0, io.EOF
				return "", io.ErrUnexpectedEOF
			}
			need = v.n
		} else if r.eof {
			r.done = io.EOF
			return "", io.EOF
		}
		for len(r.buf)-r.off < need {
			b, err := r.br.ReadByte()
			if err != nil {
				if errors.Is(err, io.EOF) {
					r.eof = true
					break
				}
				return "", fmt.Errorf("frame: reading an RFID frame: %w", err)
			}
			r.push(b)
		}
	}
}

// verdict is what check decides about the bytes from a Start byte on:
// a card (uid set, n frame bytes), a bad frame (bad set, n bytes it
// covers), or neither yet (n bytes needed to decide).
type verdict struct {
	uid []byte
	bad *int
	n   int
}

// check decides about win, which starts with the Start byte.
func (r *RFIDReader) check(win []byte) verdict {
	bccLen := 1
	if r.cfg.Checksum == "none" {
		bccLen = 0
	}
	typ := r.cfg.TypeBytes
	if r.cfg.Length {
		if len(win) < 2 {
			return verdict{n: 2}
		}
		data := int(win[1])
		if r.cfg.LengthCoversFrame {
			data -= r.cfg.overhead()
		}
		size := data - typ
		if _, ok := slices.BinarySearch(r.sizes, size); !ok {
			return verdict{bad: &r.stats.BadLength, n: 2}
		}
		total := 2 + data + bccLen + 1
		if len(win) < total {
			return verdict{n: total}
		}
		if win[total-1] != r.cfg.End {
			return verdict{bad: &r.stats.BadLength, n: total}
		}
		from := 2
		if r.cfg.ChecksumOverLen {
			from = 1
		}
		if bccLen == 1 && bcc(r.cfg.Checksum, win[from:2+data]) != win[2+data] {
			return verdict{bad: &r.stats.BadChecksum, n: total}
		}
		return verdict{uid: win[2+typ : 2+data], n: total}
	}
	// Without LEN, try the sizes from the smallest: the first whose End
	// and BCC fit is the card, so a card is returned as soon as its frame
	// is in, without waiting for bytes a larger size would need.
	bad := verdict{bad: &r.stats.BadLength, n: 1}
	for _, size := range r.sizes {
		data := typ + size
		total := 1 + data + bccLen + 1
		if len(win) < total {
			return verdict{n: total}
		}
		if win[total-1] != r.cfg.End {
			continue
		}
		if bccLen == 1 && bcc(r.cfg.Checksum, win[1:1+data]) != win[1+data] {
			bad = verdict{bad: &r.stats.BadChecksum, n: total}
			continue
		}
		return verdict{uid: win[1+typ : 1+data], n: total}
	}
	return bad
}

// skipNoise drops bytes up to the next Start byte.
func (r *RFIDReader) skipNoise() {
	win := r.buf[r.off:]
	i := bytes.IndexByte(win, r.cfg.Start)
	if i < 0 {
		i = len(win)
	}
	quiet := min(i, r.covered)
	r.stats.Noise += i - quiet
	r.covered -= quiet
	r.advance(i)
}

// reject counts the frame at the Start byte as bad and drops only that
// Start byte: the n-1 bytes after it are searched again for a Start, but
// are not counted as noise as well.
func (r *RFIDReader) reject(counter *int, n int) {
	*counter++
	r.covered = max(r.covered-1, n-1)
	r.advance(1)
}

// consume drops a good frame of n bytes.
func (r *RFIDReader) consume(n int) {
	r.covered = max(r.covered-n, 0)
	r.advance(n)
}

func (r *RFIDReader) advance(n int) {
	r.off += n
	if r.off == len(r.buf) {
		r.buf, r.off = r.buf[:0], 0
	}
}

func (r *RFIDReader) push(b byte) {
	if r.off > 0 && len(r.buf) == cap(r.buf) {
		n := copy(r.buf, r.buf[r.off:])
		r.buf, r.off = r.buf[:n], 0
	}
	r.buf = append(r.buf, b)
}

func upperHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i] = digits[c>>4]
		out[2*i+1] = digits[c&0x0f]
	}
	return string(out)
}
