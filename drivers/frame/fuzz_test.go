package frame

import (
	"bytes"
	"encoding/hex"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// fuzzReader delivers data in one read or one byte per read, so the
// fuzzer explores split frames as well.
func fuzzReader(data []byte, mode uint8) io.Reader {
	if mode&0x80 != 0 {
		return iotest.OneByteReader(bytes.NewReader(data))
	}
	return bytes.NewReader(data)
}

var fuzzLineConfigs = []LineConfig{
	{Terminator: []byte("\r\n"), MaxLen: 16},
	{Prefix: []byte("]Q1"), Terminator: []byte("\r"), MaxLen: 8},
	{Terminator: []byte("\r"), MaxLen: 1},
	// A terminator that overlaps itself and a prefix that holds it.
	{Prefix: []byte("a\r"), Terminator: []byte("\r\r\n"), MaxLen: 4},
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("6BFOXN%TS3DH\r\nABC\r\n"), uint8(0))
	f.Add([]byte("xx]Q1CODE1\r\x00]Q1CODE2\r"), uint8(1))
	f.Add([]byte("ABCDE\r\nWXYZ\r\n"), uint8(0x80))
	f.Add([]byte("AB\x01C\r\nGRÜN\r\nA\rB\r\nOK\r\n"), uint8(0))
	f.Add([]byte("A\r\r\r\nB\rC\r"), uint8(2))
	f.Add([]byte("a\ra\r\r\r\na\rxy\r\r\r\r\n"), uint8(3))
	f.Add([]byte("A\r\nBC"), uint8(0x80))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		cfg := fuzzLineConfigs[int(mode&0x7f)%len(fuzzLineConfigs)]
		lr, err := NewLineReader(fuzzReader(data, mode), cfg)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			line, err := lr.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("Next: %v", err)
				}
				break
			}
			n++
			if len(line) == 0 || len(line) > cfg.MaxLen || !printable([]byte(line)) {
				t.Fatalf("returned %q: empty, over MaxLen %d or not printable", line, cfg.MaxLen)
			}
			if bytes.Contains([]byte(line), cfg.Terminator) {
				t.Fatalf("returned %q, which holds the terminator", line)
			}
			if framed := slices.Concat(cfg.Prefix, []byte(line), cfg.Terminator); !bytes.Contains(data, framed) {
				t.Fatalf("returned %q, but %q is not in the input", line, framed)
			}
		}
		if s := lr.Stats(); s.Lines != n {
			t.Fatalf("Stats().Lines = %d, returned %d", s.Lines, n)
		}
	})
}

var fuzzRFIDConfigs = []RFIDConfig{
	lenXorOverLen, lenXor, lenSum8OverLen, lenSum8, lenNone, bareXor, bareSum8, bareNone4,
	// Start equal to End, as in HDLC-like framing.
	{Start: 0x7E, End: 0x7E, Length: true, Checksum: "xor", UIDSizes: []int{1, 4}},
	{Start: 0x7E, End: 0x7E, Checksum: "sum8", UIDSizes: []int{1, 2, 3}},
	// LEN over the whole frame.
	{Start: 0x02, End: 0x03, Length: true, LengthCoversFrame: true, Checksum: "xor", ChecksumOverLen: true, UIDSizes: []int{4, 7}},
}

func FuzzRFIDReader(f *testing.F) {
	for i, tt := range goodFrames {
		frame := unhexBytes(f, tt.frame)
		mode := uint8(slices.IndexFunc(fuzzRFIDConfigs, func(c RFIDConfig) bool { return sameRFIDConfig(c, tt.cfg) }))
		f.Add(slices.Concat([]byte{0xFF, 0x02, 0x04}, frame, frame[:len(frame)/2], frame), mode|uint8(i&1)<<7)
	}
	f.Add(unhexBytes(f, "02 04 DE AD BE EF 27 03 02 05 DE AD BE EF 01 21 03 02 04 DE AD BE EF 26 03"), uint8(0))
	f.Add(unhexBytes(f, "02 0A 02 04 DE AD BE EF 26 03"), uint8(0x80))
	f.Add(unhexBytes(f, "7E 01 7E 7E 7E 04 7E 7E 7E 7E 00 7E"), uint8(8))
	f.Add(unhexBytes(f, "7E 7E 7E 7E 01 01 7E 7E"), uint8(9))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		cfg := fuzzRFIDConfigs[int(mode&0x7f)%len(fuzzRFIDConfigs)]
		rr, err := NewRFIDReader(fuzzReader(data, mode), cfg)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			uid, err := rr.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("Next: %v", err)
				}
				break
			}
			n++
			raw, herr := hex.DecodeString(uid)
			if herr != nil || hex.EncodeToString(raw) != toLowerASCII(uid) {
				t.Fatalf("returned %q, which is not upper-case hex", uid)
			}
			if !slices.Contains(cfg.UIDSizes, len(raw)) {
				t.Fatalf("returned %s, a %d-byte UID not in %v", uid, len(raw), cfg.UIDSizes)
			}
			if frame := EncodeRFID(cfg, raw); !bytes.Contains(data, frame) {
				t.Fatalf("returned %s, but its frame % X is not in the input", uid, frame)
			}
		}
		if s := rr.Stats(); s.Cards != n {
			t.Fatalf("Stats().Cards = %d, returned %d", s.Cards, n)
		}
	})
}

func sameRFIDConfig(a, b RFIDConfig) bool {
	return a.Start == b.Start && a.End == b.End && a.Length == b.Length && a.Checksum == b.Checksum &&
		a.ChecksumOverLen == b.ChecksumOverLen && a.LengthCoversFrame == b.LengthCoversFrame &&
		a.TypeBytes == b.TypeBytes && slices.Equal(a.UIDSizes, b.UIDSizes)
}

func toLowerASCII(s string) string {
	return string(bytes.ToLower([]byte(s)))
}

var fuzzTurnstileConfigs = []TurnstileConfig{
	asciiGate,
	binaryGate,
	// Responses that sit inside each other.
	{PassageIn: []byte("abc"), PassageOut: []byte("b"), Alarm: []byte("d"), OK: []byte("cab")},
}

func FuzzTurnstileDecoder(f *testing.F) {
	f.Add([]byte("OK\rPI\rPO\rAL\r"), uint8(0))
	f.Add([]byte("PX\rOK\rP"), uint8(0x80))
	f.Add(unhexBytes(f, "00 FF 06 AA AA 10 01 AA 10 02 AA 20 AA 10"), uint8(1))
	f.Add([]byte("abdcabcab"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		cfg := fuzzTurnstileConfigs[int(mode&0x7f)%len(fuzzTurnstileConfigs)]
		d, err := NewTurnstileDecoder(fuzzReader(data, mode), cfg)
		if err != nil {
			t.Fatal(err)
		}
		seq := map[TurnstileEvent][]byte{PassageIn: cfg.PassageIn, PassageOut: cfg.PassageOut, Alarm: cfg.Alarm, OK: cfg.OK}
		decoded, n := 0, 0
		for {
			ev, err := d.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("Next: %v", err)
				}
				break
			}
			if len(seq[ev]) == 0 {
				t.Fatalf("returned %v, which the configuration does not have", ev)
			}
			if !bytes.Contains(data, seq[ev]) {
				t.Fatalf("returned %v, but % X is not in the input", ev, seq[ev])
			}
			decoded += len(seq[ev])
			n++
		}
		// Every byte is either in a response returned or skipped.
		s := d.Stats()
		if s.Events != n || decoded+s.Unknown != len(data) {
			t.Fatalf("stats %+v after %d events of %d bytes, from %d bytes of input", s, n, decoded, len(data))
		}
	})
}
