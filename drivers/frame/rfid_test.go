package frame

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

var (
	sizes = []int{4, 7, 10}
	// lenXorOverLen is the common STX LEN DATA BCC ETX frame with the BCC
	// xor-ed over LEN and DATA.
	lenXorOverLen  = RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "xor", ChecksumOverLen: true, UIDSizes: sizes}
	lenXor         = RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "xor", UIDSizes: sizes}
	lenSum8OverLen = RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "sum8", ChecksumOverLen: true, UIDSizes: sizes}
	lenSum8        = RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "sum8", UIDSizes: sizes}
	lenNone        = RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "none", UIDSizes: sizes}
	bareXor        = RFIDConfig{Start: 0x02, End: 0x03, Checksum: "xor", UIDSizes: sizes}
	bareSum8       = RFIDConfig{Start: 0x02, End: 0x03, Checksum: "sum8", UIDSizes: sizes}
	bareNone4      = RFIDConfig{Start: 0x02, End: 0x03, Checksum: "none", UIDSizes: []int{4}}
)

// goodFrames are the exact bytes each configuration frames a UID as; both
// the reader and EncodeRFID are held to them.
var goodFrames = []struct {
	name  string
	cfg   RFIDConfig
	uid   string
	frame string
}{
	{"a 4-byte UID with LEN and xor over LEN", lenXorOverLen, "DEADBEEF", "02 04 DE AD BE EF 26 03"},
	{"a 7-byte UID with LEN and xor over LEN", lenXorOverLen, "04A22C7A5B3E80", "02 07 04 A2 2C 7A 5B 3E 80 12 03"},
	{"a 10-byte UID with LEN and xor over LEN", lenXorOverLen, "04112233445566778899", "02 0A 04 11 22 33 44 55 66 77 88 99 1F 03"},
	{"a 4-byte UID with LEN and xor over DATA", lenXor, "DEADBEEF", "02 04 DE AD BE EF 22 03"},
	{"a 7-byte UID with LEN and xor over DATA", lenXor, "04A22C7A5B3E80", "02 07 04 A2 2C 7A 5B 3E 80 15 03"},
	{"a 10-byte UID with LEN and xor over DATA", lenXor, "04112233445566778899", "02 0A 04 11 22 33 44 55 66 77 88 99 15 03"},
	{"a 4-byte UID with LEN and sum8 over LEN", lenSum8OverLen, "DEADBEEF", "02 04 DE AD BE EF 3C 03"},
	{"a 7-byte UID with LEN and sum8 over LEN", lenSum8OverLen, "04A22C7A5B3E80", "02 07 04 A2 2C 7A 5B 3E 80 6C 03"},
	{"a 10-byte UID with LEN and sum8 over LEN", lenSum8OverLen, "04112233445566778899", "02 0A 04 11 22 33 44 55 66 77 88 99 0B 03"},
	{"a 4-byte UID with LEN and sum8 over DATA", lenSum8, "DEADBEEF", "02 04 DE AD BE EF 38 03"},
	{"a 7-byte UID with LEN and sum8 over DATA", lenSum8, "04A22C7A5B3E80", "02 07 04 A2 2C 7A 5B 3E 80 65 03"},
	{"a 10-byte UID with LEN and sum8 over DATA", lenSum8, "04112233445566778899", "02 0A 04 11 22 33 44 55 66 77 88 99 01 03"},
	{"a 4-byte UID with LEN and no checksum", lenNone, "DEADBEEF", "02 04 DE AD BE EF 03"},
	{"a 7-byte UID with LEN and no checksum", lenNone, "04A22C7A5B3E80", "02 07 04 A2 2C 7A 5B 3E 80 03"},
	{"a 10-byte UID with LEN and no checksum", lenNone, "04112233445566778899", "02 0A 04 11 22 33 44 55 66 77 88 99 03"},
	{"a 4-byte UID without LEN, xor", bareXor, "DEADBEEF", "02 DE AD BE EF 22 03"},
	{"a 7-byte UID without LEN, xor", bareXor, "04A22C7A5B3E80", "02 04 A2 2C 7A 5B 3E 80 15 03"},
	{"a 10-byte UID without LEN, xor", bareXor, "04112233445566778899", "02 04 11 22 33 44 55 66 77 88 99 15 03"},
	{"a 4-byte UID without LEN, sum8", bareSum8, "DEADBEEF", "02 DE AD BE EF 38 03"},
	{"a 7-byte UID without LEN, sum8", bareSum8, "04A22C7A5B3E80", "02 04 A2 2C 7A 5B 3E 80 65 03"},
	{"a 10-byte UID without LEN, sum8", bareSum8, "04112233445566778899", "02 04 11 22 33 44 55 66 77 88 99 01 03"},
	{"a 4-byte UID without LEN or checksum", bareNone4, "DEADBEEF", "02 DE AD BE EF 03"},
	{"a UID holding the Start and End bytes", lenXorOverLen, "02030203", "02 04 02 03 02 03 04 03"},
}

func TestRFIDReaderReadsGoodFrames(t *testing.T) {
	for _, tt := range goodFrames {
		t.Run(tt.name, func(t *testing.T) {
			for _, split := range []struct {
				name string
				in   func([]byte) io.Reader
			}{
				{"in one read", func(b []byte) io.Reader { return bytes.NewReader(b) }},
				{"one byte per read", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
			} {
				t.Run(split.name, func(t *testing.T) {
					// Two cards back to back, as a reader sends a card held
					// over it twice.
					frame := unhexBytes(t, tt.frame)
					rr, err := NewRFIDReader(split.in(slices.Concat(frame, frame)), tt.cfg)
					if err != nil {
						t.Fatal(err)
					}
					uids, end := readUIDs(t, rr)
					if want := []string{tt.uid, tt.uid}; !slices.Equal(uids, want) || end != io.EOF {
						t.Fatalf("read %q then %v, want %q then EOF", uids, end, want)
					}
					if s, want := rr.Stats(), (RFIDStats{Cards: 2}); s != want {
						t.Errorf("stats = %+v, want %+v", s, want)
					}
				})
			}
		})
	}
}

func TestEncodeRFIDWritesTheExactFrame(t *testing.T) {
	for _, tt := range goodFrames {
		t.Run(tt.name, func(t *testing.T) {
			uid := unhexBytes(t, tt.uid)
			got := EncodeRFID(tt.cfg, uid)
			if want := unhexBytes(t, tt.frame); !bytes.Equal(got, want) {
				t.Fatalf("EncodeRFID(%X) = % X, want % X", uid, got, want)
			}
			rr, err := NewRFIDReader(bytes.NewReader(got), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := rr.Next(); back != tt.uid || err != nil {
				t.Fatalf("read back %q, %v; want %q", back, err, tt.uid)
			}
		})
	}
}

func TestRFIDReaderDropsBadFrames(t *testing.T) {
	tests := []struct {
		name  string
		cfg   RFIDConfig
		in    io.Reader
		want  []string
		end   error
		stats RFIDStats
	}{
		{
			name:  "a corrupted BCC is dropped and the next card read",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD BE EF 27 03", "02 04 DE AD BE EF 26 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadChecksum: 1},
		},
		{
			name:  "a flipped UID bit fails the xor BCC",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD BE EE 26 03"),
			end:   io.EOF,
			stats: RFIDStats{BadChecksum: 1},
		},
		{
			name:  "a BCC over DATA only is wrong where it should cover LEN",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD BE EF 22 03"),
			end:   io.EOF,
			stats: RFIDStats{BadChecksum: 1},
		},
		{
			name:  "a corrupted sum8 BCC is dropped",
			cfg:   lenSum8,
			in:    hexChunks(t, "02 04 DE AD BE EF 39 03 02 04 DE AD BE EF 38 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadChecksum: 1},
		},
		{
			name:  "a LEN not among the UID sizes is dropped at once",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 05 DE AD BE EF 01 21 03 02 04 DE AD BE EF 26 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1, Noise: 7},
		},
		{
			name:  "a LEN of zero is dropped",
			cfg:   lenNone,
			in:    hexChunks(t, "02 00 03"),
			end:   io.EOF,
			stats: RFIDStats{BadLength: 1, Noise: 1},
		},
		{
			name:  "a frame whose End is missing where LEN says is dropped",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD BE EF 26 FF 02 04 DE AD BE EF 26 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1},
		},
		{
			name:  "a frame cut short by the next frame is dropped and the next one read",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD", "02 07 04 A2 2C 7A 5B 3E 80 12 03"),
			want:  []string{"04A22C7A5B3E80"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1},
		},
		{
			name:  "a frame without LEN matching none of the sizes is dropped",
			cfg:   bareXor,
			in:    hexChunks(t, "02 DE AD BE EF 22 FF FF FF FF FF FF FF", "02 DE AD BE EF 22 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1, Noise: 12},
		},
		{
			name:  "a frame without LEN with its End in place but a bad BCC is a bad checksum",
			cfg:   bareXor,
			in:    hexChunks(t, "02 DE AD BE EF 23 03", "02 DE AD BE EF 22 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadChecksum: 1},
		},
		{
			name:  "noise between frames is counted byte by byte",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "FF 00 0D 0A", "02 04 DE AD BE EF 26 03", "41 42", "02 04 DE AD BE EF 26 03", "EE"),
			want:  []string{"DEADBEEF", "DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 2, Noise: 7},
		},
		{
			name:  "a Start byte inside noise does not swallow the frame after it",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "FF 02 04 11", "02 04 DE AD BE EF 26 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1, Noise: 1},
		},
		{
			name:  "a Start byte inside noise does not swallow a frame without LEN",
			cfg:   bareXor,
			in:    hexChunks(t, "02 11", "02 DE AD BE EF 22 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1, Noise: 1},
		},
		{
			name:  "a frame split over many reads is read",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02", "04 DE", "AD BE EF", "26", "03 02 04 DE AD BE EF 26", "03"),
			want:  []string{"DEADBEEF", "DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 2},
		},
		{
			name:  "end of stream mid-frame reports an unexpected EOF after the valid cards",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD BE EF 26 03 02 04 DE AD"),
			want:  []string{"DEADBEEF"},
			end:   io.ErrUnexpectedEOF,
			stats: RFIDStats{Cards: 1},
		},
		{
			name:  "a card after an unfinished frame is still read at the end of stream",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 0A 02 04 DE AD BE EF 26 03"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, BadLength: 1, Noise: 1},
		},
		{
			name:  "noise alone at the end of stream ends cleanly",
			cfg:   lenXorOverLen,
			in:    hexChunks(t, "02 04 DE AD BE EF 26 03 0D 0A"),
			want:  []string{"DEADBEEF"},
			end:   io.EOF,
			stats: RFIDStats{Cards: 1, Noise: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := NewRFIDReader(tt.in, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			uids, end := readUIDs(t, rr)
			if !slices.Equal(uids, tt.want) {
				t.Errorf("UIDs = %q, want %q", uids, tt.want)
			}
			if end != tt.end {
				t.Errorf("end = %v, want %v", end, tt.end)
			}
			if s := rr.Stats(); s != tt.stats {
				t.Errorf("stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

// readUIDs reads to the end and checks that the end stays io.EOF.
func readUIDs(t *testing.T, rr *RFIDReader) ([]string, error) {
	t.Helper()
	var uids []string
	for {
		uid, err := rr.Next()
		if err != nil {
			if uid != "" {
				t.Errorf("Next returned %q with %v", uid, err)
			}
			if _, again := rr.Next(); again != io.EOF {
				t.Errorf("Next after %v returned %v, want io.EOF", err, again)
			}
			return uids, err
		}
		uids = append(uids, uid)
	}
}

func TestRFIDReaderCarriesOnAfterAReadError(t *testing.T) {
	in := iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(EncodeRFID(lenXorOverLen, []byte{0xDE, 0xAD, 0xBE, 0xEF}))))
	rr, err := NewRFIDReader(in, lenXorOverLen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rr.Next(); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("first Next: %v, want the timeout", err)
	}
	if uid, err := rr.Next(); uid != "DEADBEEF" || err != nil {
		t.Fatalf("second Next = %q, %v; want DEADBEEF", uid, err)
	}
}

func TestNewRFIDReaderRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  RFIDConfig
	}{
		{"an empty checksum", RFIDConfig{Length: true, UIDSizes: sizes}},
		{"an unknown checksum", RFIDConfig{Length: true, Checksum: "crc16", UIDSizes: sizes}},
		{"a checksum name in capitals", RFIDConfig{Length: true, Checksum: "XOR", UIDSizes: sizes}},
		{"ChecksumOverLen without Length", RFIDConfig{Checksum: "xor", ChecksumOverLen: true, UIDSizes: sizes}},
		{"ChecksumOverLen without a checksum", RFIDConfig{Length: true, Checksum: "none", ChecksumOverLen: true, UIDSizes: sizes}},
		{"no UID sizes", RFIDConfig{Length: true, Checksum: "xor"}},
		{"a UID size of zero", RFIDConfig{Length: true, Checksum: "xor", UIDSizes: []int{0, 4}}},
		{"a UID size LEN cannot hold", RFIDConfig{Length: true, Checksum: "xor", UIDSizes: []int{256}}},
		{"several UID sizes with neither LEN nor checksum", RFIDConfig{Checksum: "none", UIDSizes: []int{4, 7}}},
		{"LengthCoversFrame without Length", RFIDConfig{Checksum: "xor", LengthCoversFrame: true, UIDSizes: sizes}},
		{"negative TypeBytes", RFIDConfig{Length: true, Checksum: "xor", TypeBytes: -1, UIDSizes: sizes}},
		{"more than four TypeBytes", RFIDConfig{Length: true, Checksum: "xor", TypeBytes: 5, UIDSizes: sizes}},
		{"a frame LEN cannot hold", RFIDConfig{Length: true, LengthCoversFrame: true, Checksum: "xor", UIDSizes: []int{252}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRFIDReader(strings.NewReader(""), tt.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestRFIDReaderDoesNotShareTheConfigSizes(t *testing.T) {
	cfg := RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "xor", UIDSizes: []int{7, 4, 4}}
	rr, err := NewRFIDReader(hexChunks(t, "02 04 DE AD BE EF 22 03"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.UIDSizes[0], cfg.UIDSizes[1], cfg.UIDSizes[2] = 7, 7, 7
	if uid, err := rr.Next(); uid != "DEADBEEF" || err != nil {
		t.Fatalf("Next = %q, %v; want DEADBEEF", uid, err)
	}
}

func BenchmarkRFIDReader(b *testing.B) {
	for _, cfg := range []struct {
		name string
		cfg  RFIDConfig
	}{{"with LEN", lenXorOverLen}, {"without LEN", bareXor}} {
		b.Run(cfg.name, func(b *testing.B) {
			var stream []byte
			for i := range 1000 {
				uid := []byte{0x04, byte(i), byte(i >> 8), 0x7A, 0x5B, 0x3E, 0x80}
				stream = append(stream, EncodeRFID(cfg.cfg, uid)...)
			}
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			r := bytes.NewReader(nil)
			for b.Loop() {
				r.Reset(stream)
				rr, _ := NewRFIDReader(r, cfg.cfg)
				n := 0
				for {
					if _, err := rr.Next(); err != nil {
						break
					}
					n++
				}
				if n != 1000 {
					b.Fatalf("read %d cards, want 1000", n)
				}
			}
		})
	}
}
