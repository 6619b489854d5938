package gatedev_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/gatedev"
	"github.com/admitbox/admit/drivers/profile"
)

func TestTheShippedRFIDProfileFramesACardAsTheReaderSendsIt(t *testing.T) {
	p := load(t, "rfid/dual-frequency-uart-reader.json")
	cfg, err := gatedev.RFIDConfig(*p.RFID)
	if err != nil {
		t.Fatal(err)
	}
	want := frame.RFIDConfig{Start: 0x02, End: 0x03, Length: true, LengthCoversFrame: true, TypeBytes: 1,
		Checksum: "xor", ChecksumOverLen: true, UIDSizes: []int{4}}
	if !sameRFID(cfg, want) {
		t.Fatalf("config %+v, want %+v", cfg, want)
	}
	// 02 LEN TYPE SN0..SN3 BCC 03, LEN the whole frame, BCC 09^01^DE^AD^BE^EF.
	got := frame.EncodeRFIDCard(cfg, []byte{0x01}, []byte{0xDE, 0xAD, 0xBE, 0xEF})
	if w := []byte{0x02, 0x09, 0x01, 0xDE, 0xAD, 0xBE, 0xEF, 0x2A, 0x03}; !bytes.Equal(got, w) {
		t.Fatalf("frame % X, want % X", got, w)
	}
}

func TestRFIDConfigMapsEachProfileSetting(t *testing.T) {
	base := profile.Frame{Start: 0xAA, End: 0xBB, Checksum: "sum8", UIDBytes: []int{7}}
	tests := []struct {
		name string
		set  func(*profile.Frame)
		want frame.RFIDConfig
	}{
		{"no length byte", func(f *profile.Frame) { f.Length = "none" },
			frame.RFIDConfig{Start: 0xAA, End: 0xBB, Checksum: "sum8", UIDSizes: []int{7}}},
		{"a length byte over the data", func(f *profile.Frame) { f.Length, f.LengthCovers = "byte", "data" },
			frame.RFIDConfig{Start: 0xAA, End: 0xBB, Length: true, Checksum: "sum8", UIDSizes: []int{7}}},
		{"a checksum over len and data", func(f *profile.Frame) { f.Length, f.LengthCovers, f.ChecksumOver = "byte", "frame", "len+data" },
			frame.RFIDConfig{Start: 0xAA, End: 0xBB, Length: true, LengthCoversFrame: true, ChecksumOverLen: true, Checksum: "sum8", UIDSizes: []int{7}}},
		{"two type bytes", func(f *profile.Frame) { f.Length, f.TypeBytes, f.ChecksumOver = "none", 2, "data" },
			frame.RFIDConfig{Start: 0xAA, End: 0xBB, TypeBytes: 2, Checksum: "sum8", UIDSizes: []int{7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.set(&f)
			got, err := gatedev.RFIDConfig(profile.RFID{Frame: f})
			if err != nil {
				t.Fatal(err)
			}
			if !sameRFID(got, tt.want) {
				t.Fatalf("config %+v, want %+v", got, tt.want)
			}
		})
	}
	bad := base
	bad.Length, bad.LengthCovers = "byte", "everything"
	if _, err := gatedev.RFIDConfig(profile.RFID{Frame: bad}); err == nil {
		t.Error("RFIDConfig accepted length_covers \"everything\"")
	}
}

func sameRFID(a, b frame.RFIDConfig) bool {
	return a.Start == b.Start && a.End == b.End && a.Length == b.Length && a.LengthCoversFrame == b.LengthCoversFrame &&
		a.TypeBytes == b.TypeBytes && a.Checksum == b.Checksum && a.ChecksumOverLen == b.ChecksumOverLen &&
		slices.Equal(a.UIDSizes, b.UIDSizes)
}

func TestScannerAndTurnstileConfigsCarryTheProfileBytes(t *testing.T) {
	sc := gatedev.LineConfig(*load(t, "scanner/honeywell-xenon-1900-rs232.json").Scanner)
	if !bytes.Equal(sc.Prefix, []byte{0x02}) || !bytes.Equal(sc.Terminator, []byte("\r\n")) || sc.MaxLen != 4096 {
		t.Errorf("scanner config %+v", sc)
	}
	ts := gatedev.TurnstileConfig(*load(t, "turnstile/tripod-serial-feedback.json").Turnstile)
	if !bytes.Equal(ts.Alarm, []byte{0xFE, 0x44, 0x01, 0x00, 0x00, 0x00, 0xAB}) || len(ts.OK) != 0 {
		t.Errorf("turnstile config %+v", ts)
	}
}
