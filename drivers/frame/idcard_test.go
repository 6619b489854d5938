package frame

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

var sampleCard = IDCardText{Name: "张三", Sex: "1", Nation: "01", Birth: "19491231", Address: "北京市西城区某街1号",
	Number: "11010519491231002X", Authority: "北京市公安局西城分局", ValidFrom: "20150101", ValidTo: "20350101"}

func TestSAMCommandFramesAsReadersDocumentThem(t *testing.T) {
	// Find card, as the GA 467 readers' manuals print it.
	if got := hex.EncodeToString(EncodeSAM(SAMFind[:])); got != "aaaaaa96690003200122" {
		t.Fatalf("find card: %s", got)
	}
	if got := hex.EncodeToString(EncodeSAM(SAMRead[:])); got != "aaaaaa96690003300132" {
		t.Fatalf("read base information: %s", got)
	}
	// "No card" answer: 00 00 80.
	if got := hex.EncodeToString(EncodeSAMResponse(SAMNoCard, nil)); got != "aaaaaa9669000400008084" {
		t.Fatalf("no card: %s", got)
	}
}

func TestSAMReaderFindsFramesInNoiseAndDropsBadOnes(t *testing.T) {
	base := EncodeSAMBaseInfo(sampleCard, bytes.Repeat([]byte{0x5A}, 1024))
	good := EncodeSAMResponse(SAMOK, base)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 0xFF
	var stream []byte
	stream = append(stream, 0x00, 0xAA, 0x96)                         // noise, a broken header
	stream = append(stream, 0xAA)                                     // a fourth AA before a header
	stream = append(stream, bad...)                                   // checksum broken
	stream = append(stream, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF) // a length no reader sends
	stream = append(stream, good...)
	for _, r := range []io.Reader{bytes.NewReader(stream), iotest.OneByteReader(bytes.NewReader(stream))} {
		sr := NewSAMReader(r)
		if _, err := sr.Next(); !errors.Is(err, ErrSAMFrame) {
			t.Fatalf("bad checksum: %v", err)
		}
		if _, err := sr.Next(); !errors.Is(err, ErrSAMFrame) {
			t.Fatalf("bad length: %v", err)
		}
		p, err := sr.Next()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ParseSAMResponse(p)
		if err != nil || resp.SW3 != SAMOK {
			t.Fatalf("response %+v, %v", resp, err)
		}
		card, err := ParseSAMBaseInfo(resp.Data)
		if err != nil || card != sampleCard {
			t.Fatalf("card %+v, %v", card, err)
		}
		if _, err := sr.Next(); err != io.EOF {
			t.Fatalf("at the end: %v", err)
		}
		if sr.Dropped() != 2 {
			t.Fatalf("dropped %d", sr.Dropped())
		}
	}
	// A frame cut off mid-way is an unexpected end, not a frame.
	if _, err := NewSAMReader(bytes.NewReader(good[:40])).Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", err)
	}
}

func TestIDTextIsFixedFieldsOfUCS2(t *testing.T) {
	b := EncodeIDText(sampleCard)
	if len(b) != IDTextSize {
		t.Fatalf("%d bytes", len(b))
	}
	// The number starts at byte 122 (30+2+4+16+70).
	if got := ucs2(b[122 : 122+36]); got != sampleCard.Number {
		t.Fatalf("number field %q", got)
	}
	if _, err := ParseIDText(b[:255]); err == nil {
		t.Fatal("a short text block parsed")
	}
	if _, err := ParseSAMBaseInfo(EncodeSAMBaseInfo(sampleCard, nil)[:100]); err == nil {
		t.Fatal("base information shorter than it says parsed")
	}
}

func FuzzSAMReader(f *testing.F) {
	f.Add(EncodeSAMResponse(SAMOK, EncodeSAMBaseInfo(sampleCard, []byte{1, 2, 3})), uint8(0))
	f.Add(append([]byte{0xAA, 0xAA, 0xAA, 0xAA}, EncodeSAMResponse(SAMFound, nil)...), uint8(0x80))
	f.Add(EncodeSAM(SAMFind[:]), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		sr := NewSAMReader(fuzzReader(data, mode))
		for {
			p, err := sr.Next()
			if err != nil {
				if errors.Is(err, ErrSAMFrame) {
					continue
				}
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("Next: %v", err)
				}
				break
			}
			// Every payload returned was framed, with its checksum, in the input.
			if !bytes.Contains(data, EncodeSAM(p)) {
				t.Fatalf("payload %x is not framed in the input", p)
			}
			resp, err := ParseSAMResponse(p)
			if err != nil {
				continue
			}
			if card, err := ParseSAMBaseInfo(resp.Data); err == nil {
				// A card decoded encodes back to a text block of the right size.
				if len(EncodeIDText(card)) != IDTextSize {
					t.Fatalf("card %+v re-encodes to another size", card)
				}
			}
		}
	})
}
