package frame

import (
	"bytes"
	"io"
	"slices"
	"testing"
)

// dualFrequency is the frame of the dual-frequency UART readers in
// firmware-profiles/rfid: 02 LEN TYPE SN0..SN3 BCC 03, LEN counting the
// whole frame and BCC xor-ed over LEN, TYPE and the UID.
var dualFrequency = RFIDConfig{Start: 0x02, End: 0x03, Length: true, LengthCoversFrame: true, TypeBytes: 1,
	Checksum: "xor", ChecksumOverLen: true, UIDSizes: []int{4, 7}}

// typedFrames are frames with type bytes or a LEN over the whole frame.
var typedFrames = []struct {
	name  string
	cfg   RFIDConfig
	typ   string
	uid   string
	frame string
}{
	{"a dual-frequency reader's 4-byte card", dualFrequency, "01", "DEADBEEF", "02 09 01 DE AD BE EF 2A 03"},
	{"a dual-frequency reader's 7-byte card", dualFrequency, "01", "04A22C7A5B3E80", "02 0C 01 04 A2 2C 7A 5B 3E 80 18 03"},
	{"a LEN over the whole frame without type bytes",
		RFIDConfig{Start: 0x02, End: 0x03, Length: true, LengthCoversFrame: true, Checksum: "xor", ChecksumOverLen: true, UIDSizes: sizes},
		"", "DEADBEEF", "02 08 DE AD BE EF 2A 03"},
	{"a LEN over DATA, which holds the type byte",
		RFIDConfig{Start: 0x02, End: 0x03, Length: true, TypeBytes: 1, Checksum: "xor", ChecksumOverLen: true, UIDSizes: sizes},
		"01", "DEADBEEF", "02 05 01 DE AD BE EF 26 03"},
	{"two type bytes without LEN, covered by the checksum",
		RFIDConfig{Start: 0x02, End: 0x03, TypeBytes: 2, Checksum: "xor", UIDSizes: []int{4}},
		"10 20", "DEADBEEF", "02 10 20 DE AD BE EF 12 03"},
}

func TestRFIDReaderLeavesTypeBytesOutOfTheUID(t *testing.T) {
	for _, tt := range typedFrames {
		t.Run(tt.name, func(t *testing.T) {
			frame := unhexBytes(t, tt.frame)
			if got := EncodeRFIDCard(tt.cfg, unhexBytes(t, tt.typ), unhexBytes(t, tt.uid)); !bytes.Equal(got, frame) {
				t.Fatalf("EncodeRFIDCard = % X, want % X", got, frame)
			}
			rr, err := NewRFIDReader(hexChunks(t, tt.frame, tt.frame), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			uids, end := readUIDs(t, rr)
			if want := []string{tt.uid, tt.uid}; !slices.Equal(uids, want) || end != io.EOF {
				t.Fatalf("read %q then %v, want %q then EOF", uids, end, want)
			}
		})
	}
}

func TestEncodeRFIDSendsZeroTypeBytes(t *testing.T) {
	got := EncodeRFID(dualFrequency, unhexBytes(t, "DEADBEEF"))
	if want := unhexBytes(t, "02 09 00 DE AD BE EF 2B 03"); !bytes.Equal(got, want) {
		t.Fatalf("EncodeRFID = % X, want % X", got, want)
	}
}

func TestRFIDReaderDropsBadTypedFrames(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		stats RFIDStats
	}{
		// LEN 08 counts a frame with no room for the type byte and a 4-byte UID.
		{"a LEN that counts DATA instead of the frame", "02 08 01 DE AD BE EF 2B 03", RFIDStats{BadLength: 1, Noise: 7}},
		// The second 02 is tried as a Start too, with LEN 03.
		{"a LEN smaller than the frame's own overhead", "02 02 03", RFIDStats{BadLength: 2}},
		{"a corrupted type byte", "02 09 05 DE AD BE EF 2A 03", RFIDStats{BadChecksum: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := "02 09 01 DE AD BE EF 2A 03"
			rr, err := NewRFIDReader(hexChunks(t, tt.in, good), dualFrequency)
			if err != nil {
				t.Fatal(err)
			}
			uids, _ := readUIDs(t, rr)
			if want := []string{"DEADBEEF"}; !slices.Equal(uids, want) {
				t.Fatalf("read %q, want %q: the bad frame must be dropped and the good one kept", uids, want)
			}
			tt.stats.Cards = 1
			if s := rr.Stats(); s != tt.stats {
				t.Errorf("stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}
