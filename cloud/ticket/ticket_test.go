package ticket

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignThenVerifyReturnsTheSamePayload(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	tests := []struct {
		name string
		p    Payload
	}{
		{"a typical ticket", typicalPayload()},
		{"the largest values", largestPayload()},
		{"the smallest values", Payload{SystemCode: "A", VenueCode: "00000000", BusinessDate: date(2000, 1, 1), Serial: 1, SessionID: 1, SeatID: 1}},
		{"ids at a varint boundary", Payload{SystemCode: "X9", VenueCode: "00000001", BusinessDate: date(2024, 2, 29), Serial: 128, SessionID: 127, SeatID: 128}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qr := mustSign(t, tt.p, key)
			got, id, err := Verify(qr, PublicKeys{7: pub})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id != 7 {
				t.Errorf("key id = %d, want 7", id)
			}
			want := tt.p
			want.BusinessDate = dateOnly(want.BusinessDate)
			if got != want {
				t.Errorf("Verify = %+v, want %+v", got, want)
			}
			if got.Number() != tt.p.Number() {
				t.Errorf("Number() = %q, want %q", got.Number(), tt.p.Number())
			}
			parsed, pid, err := Parse(qr)
			if err != nil || parsed != got || pid != id {
				t.Errorf("Parse = %+v, %d, %v; want %+v, %d, nil", parsed, pid, err, got, id)
			}
		})
	}
}

func TestSignUsesOnlyTheUTCCalendarDate(t *testing.T) {
	key, pub := testKey(t, 1, 1)
	p := typicalPayload()
	p.BusinessDate = time.Date(2025, time.March, 14, 18, 30, 5, 7, time.FixedZone("X", -4*3600)) // 22:30 UTC
	got, _, err := Verify(mustSign(t, p, key), PublicKeys{1: pub})
	if err != nil {
		t.Fatal(err)
	}
	if want := date(2025, time.March, 14); got.BusinessDate != want {
		t.Fatalf("BusinessDate = %v, want %v", got.BusinessDate, want)
	}
}

func TestSigningIsDeterministic(t *testing.T) {
	key, _ := testKey(t, 1, 1)
	if a, b := mustSign(t, typicalPayload(), key), mustSign(t, typicalPayload(), key); a != b {
		t.Fatalf("two signatures differ:\n%s\n%s", a, b)
	}
}

func TestNumberMatchesFormatNumber(t *testing.T) {
	for _, p := range []Payload{typicalPayload(), largestPayload()} {
		if got, want := p.Number(), FormatNumber(p.VenueCode, p.BusinessDate, p.Serial); got != want || got == "" {
			t.Errorf("Number() = %q, FormatNumber = %q", got, want)
		}
	}
}

func TestGeneratedKeysSignAndVerify(t *testing.T) {
	k, pub, err := GenerateKey(42)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != 42 || len(k.Private) != ed25519.PrivateKeySize || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("GenerateKey returned id %d, %d-byte private and %d-byte public key", k.ID, len(k.Private), len(pub))
	}
	k2, _, _ := GenerateKey(42)
	if k2.Private.Equal(k.Private) {
		t.Fatal("two generated keys are equal")
	}
	if _, _, err := Verify(mustSign(t, typicalPayload(), k), PublicKeys{42: pub}); err != nil {
		t.Fatal(err)
	}
}

func TestTypicalPayloadFitsASmallQRCode(t *testing.T) {
	key, _ := testKey(t, 1_000_000, 1)
	tests := []struct {
		name string
		p    Payload
		max  int
	}{
		{"a typical ticket", typicalPayload(), 150},
		{"the largest possible ticket", largestPayload(), 163},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qr := mustSign(t, tt.p, key)
			t.Logf("%d characters: %s", len(qr), qr)
			if len(qr) > tt.max {
				t.Fatalf("QR text is %d characters, want <= %d", len(qr), tt.max)
			}
			for _, c := range []byte(qr) {
				if !strings.ContainsRune(base45Alphabet, rune(c)) {
					t.Fatalf("character %q is not in the QR alphanumeric set", c)
				}
			}
		})
	}
}

func TestFlippingAnyByteOfTheBinaryIsRejected(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	bin := binaryOf(t, mustSign(t, typicalPayload(), key))
	for i := range bin {
		for _, mask := range []byte{0x01, 0x80, 0xFF} {
			b := append([]byte(nil), bin...)
			b[i] ^= mask
			if p, _, err := Verify(textOf(b), PublicKeys{7: pub}); err == nil {
				t.Errorf("byte %d ^ %#x accepted: %+v", i, mask, p)
			}
		}
	}
}

func TestChangingAnyCharacterOfTheTextIsRejected(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	qr := mustSign(t, typicalPayload(), key)
	replacements := base45Alphabet + "adz\x00\n\xff"
	for i := range len(qr) {
		for _, c := range []byte(replacements) {
			if c == qr[i] {
				continue
			}
			s := qr[:i] + string(c) + qr[i+1:]
			if p, _, err := Verify(s, PublicKeys{7: pub}); err == nil {
				t.Errorf("character %d changed to %q accepted: %+v", i, c, p)
			}
		}
	}
}

func TestTruncatingIsRejected(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	qr := mustSign(t, typicalPayload(), key)
	for n := range len(qr) {
		if _, _, err := Verify(qr[:n], PublicKeys{7: pub}); err == nil {
			t.Errorf("text truncated to %d characters accepted", n)
		}
	}
	bin := binaryOf(t, qr)
	for n := range len(bin) {
		_, _, err := Verify(textOf(bin[:n]), PublicKeys{7: pub})
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("binary truncated to %d bytes: error %v, want ErrMalformed", n, err)
		}
	}
}

func TestAppendingIsRejected(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	qr := mustSign(t, typicalPayload(), key)
	bin := binaryOf(t, qr)
	for _, extra := range [][]byte{{0}, {0xFF}, {0, 0}, []byte("admit"), make([]byte, 64)} {
		_, _, err := Verify(textOf(append(append([]byte(nil), bin...), extra...)), PublicKeys{7: pub})
		wantErr(t, err, ErrMalformed)
	}
	for _, extra := range []string{"0", "00", "000", " ", "\n", "\r\n", "AD1:"} {
		if _, _, err := Verify(qr+extra, PublicKeys{7: pub}); err == nil {
			t.Errorf("text with %q appended accepted", extra)
		}
	}
}

func TestAnotherTenantsKeyIsRejected(t *testing.T) {
	ours, ourPub := testKey(t, 7, 1)
	theirs, _ := testKey(t, 8, 2)
	sameID, _ := testKey(t, 7, 3)
	tests := []struct {
		name string
		key  SigningKey
		want error
	}{
		{"a key id that is not trusted", theirs, ErrUnknownKey},
		{"a trusted key id with a different key", sameID, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qr := mustSign(t, typicalPayload(), tt.key)
			p, id, err := Verify(qr, PublicKeys{ours.ID: ourPub})
			wantErr(t, err, tt.want)
			if p != (Payload{}) || id != 0 {
				t.Fatalf("Verify returned %+v, %d with an error", p, id)
			}
		})
	}
}

func TestVerifyRejectsEmptyOrBrokenTrustStores(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	qr := mustSign(t, typicalPayload(), key)
	for name, keys := range map[string]PublicKeys{
		"a nil map":              nil,
		"an empty map":           {},
		"a short public key":     {7: pub[:31]},
		"a nil public key":       {7: nil},
		"a private key as entry": {7: ed25519.PublicKey(key.Private)},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Verify(qr, keys)
			wantErr(t, err, ErrUnknownKey)
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Payload)
	}{
		{"an empty system code", func(p *Payload) { p.SystemCode = "" }},
		{"a nine-character system code", func(p *Payload) { p.SystemCode = "ABCDEFGHI" }},
		{"a lower-case system code", func(p *Payload) { p.SystemCode = "admit" }},
		{"a system code with a dash", func(p *Payload) { p.SystemCode = "AD-1" }},
		{"a system code with a space", func(p *Payload) { p.SystemCode = "AD 1" }},
		{"an empty venue code", func(p *Payload) { p.VenueCode = "" }},
		{"a seven-digit venue code", func(p *Payload) { p.VenueCode = "1101000" }},
		{"a nine-digit venue code", func(p *Payload) { p.VenueCode = "110100011" }},
		{"a venue code with a letter", func(p *Payload) { p.VenueCode = "1101000X" }},
		{"a venue code with a sign", func(p *Payload) { p.VenueCode = "+1010001" }},
		{"serial zero", func(p *Payload) { p.Serial = 0 }},
		{"a serial over 9,999,999", func(p *Payload) { p.Serial = MaxSerial + 1 }},
		{"session id zero", func(p *Payload) { p.SessionID = 0 }},
		{"a negative session id", func(p *Payload) { p.SessionID = -1 }},
		{"seat id zero", func(p *Payload) { p.SeatID = 0 }},
		{"a negative seat id", func(p *Payload) { p.SeatID = -5 }},
		{"the zero date", func(p *Payload) { p.BusinessDate = time.Time{} }},
		{"a date before 2000", func(p *Payload) { p.BusinessDate = date(1999, 12, 31) }},
		{"a date after 2099", func(p *Payload) { p.BusinessDate = date(2100, 1, 1) }},
		{"a date past the uint16 day range", func(p *Payload) { p.BusinessDate = epoch.AddDate(0, 0, 65536) }},
	}
	key, _ := testKey(t, 1, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := typicalPayload()
			tt.modify(&p)
			wantErr(t, p.Validate(), ErrInvalidPayload)
			qr, err := Sign(p, key)
			wantErr(t, err, ErrInvalidPayload)
			if qr != "" {
				t.Fatalf("Sign returned %q with an error", qr)
			}
		})
	}
	if err := typicalPayload().Validate(); err != nil {
		t.Fatalf("a typical payload is invalid: %v", err)
	}
}

func TestSignRejectsAnUnusableKey(t *testing.T) {
	for name, k := range map[string]SigningKey{
		"a zero key":  {},
		"a short key": {ID: 1, Private: make(ed25519.PrivateKey, 32)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Sign(typicalPayload(), k)
			wantErr(t, err, ErrInvalidKey)
		})
	}
}

// body is a builder for hand-made binary messages.
type body struct {
	version byte
	sysLen  int // -1: len(sys)
	sys     string
	venue   uint32
	days    uint16
	serial  uint32
	session []byte
	seat    []byte
	keyID   uint32
}

func validBody() body {
	return body{version: 1, sysLen: -1, sys: "ADMIT01", venue: 11010001, days: 9204, serial: 42,
		session: binary.AppendUvarint(nil, 123456), seat: binary.AppendUvarint(nil, 7890123), keyID: 7}
}

func (b body) bytes() []byte {
	n := b.sysLen
	if n < 0 {
		n = len(b.sys)
	}
	out := []byte{b.version, byte(n)}
	out = append(out, b.sys...)
	out = binary.BigEndian.AppendUint32(out, b.venue)
	out = binary.BigEndian.AppendUint16(out, b.days)
	out = binary.BigEndian.AppendUint32(out, b.serial)
	out = append(out, b.session...)
	out = append(out, b.seat...)
	return binary.BigEndian.AppendUint32(out, b.keyID)
}

func TestHandMadeValidBodyMatchesSign(t *testing.T) {
	key, _ := testKey(t, 7, 1)
	if got, want := signRaw(validBody().bytes(), key), mustSign(t, typicalPayload(), key); got != want {
		t.Fatalf("hand-made body signs to\n%s\nwant\n%s", got, want)
	}
}

func TestVerifyRejectsCorrectlySignedButInvalidMessages(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	tests := []struct {
		name   string
		modify func(*body)
		want   error
	}{
		{"version 0", func(b *body) { b.version = 0 }, ErrUnsupportedVersion},
		{"version 2", func(b *body) { b.version = 2 }, ErrUnsupportedVersion},
		{"an empty system code", func(b *body) { b.sys = "" }, ErrMalformed},
		{"a nine-character system code", func(b *body) { b.sys = "ABCDEFGHI" }, ErrMalformed},
		{"a lower-case system code", func(b *body) { b.sys = "admit01" }, ErrMalformed},
		{"a system code with a NUL", func(b *body) { b.sys = "ADMIT\x001" }, ErrMalformed},
		{"a system code length longer than the message", func(b *body) { b.sysLen = 255 }, ErrMalformed},
		{"a venue code above 99999999", func(b *body) { b.venue = 100_000_000 }, ErrMalformed},
		{"the largest uint32 venue code", func(b *body) { b.venue = 0xFFFFFFFF }, ErrMalformed},
		{"a date after 2099", func(b *body) { b.days = 36525 }, ErrMalformed},
		{"the largest uint16 date", func(b *body) { b.days = 0xFFFF }, ErrMalformed},
		{"serial zero", func(b *body) { b.serial = 0 }, ErrMalformed},
		{"a serial over 9,999,999", func(b *body) { b.serial = MaxSerial + 1 }, ErrMalformed},
		{"session id zero", func(b *body) { b.session = []byte{0} }, ErrMalformed},
		{"seat id zero", func(b *body) { b.seat = []byte{0} }, ErrMalformed},
		{"a non-minimal session id", func(b *body) { b.session = []byte{0x81, 0x00} }, ErrMalformed},
		{"a non-minimal seat id", func(b *body) { b.seat = []byte{0xC0, 0xC4, 0x87, 0x00} }, ErrMalformed},
		{"a session id above MaxInt64", func(b *body) { b.session = binary.AppendUvarint(nil, 1<<63) }, ErrMalformed},
		{"a seat id overflowing 64 bits", func(b *body) { b.seat = []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02} }, ErrMalformed},
		{"an unterminated varint", func(b *body) { b.seat = []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF} }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := validBody()
			tt.modify(&b)
			qr := signRaw(b.bytes(), key)
			_, _, err := Verify(qr, PublicKeys{7: pub})
			wantErr(t, err, tt.want)
			_, _, err = Parse(qr)
			wantErr(t, err, tt.want)
		})
	}
}

func TestVerifyRejectsBadTextPrefixes(t *testing.T) {
	key, pub := testKey(t, 7, 1)
	qr := mustSign(t, typicalPayload(), key)
	rest := qr[len(textPrefix):]
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"the empty string", "", ErrMalformed},
		{"no prefix", rest, ErrMalformed},
		{"a lower-case prefix", "ad1:" + rest, ErrMalformed},
		{"a prefix without a colon", "AD1" + rest, ErrMalformed},
		{"a URL", "https://example.com/" + rest, ErrMalformed},
		{"the prefix alone", "AD1:", ErrMalformed},
		{"version 2", "AD2:" + rest, ErrUnsupportedVersion},
		{"version 10", "AD10:" + rest, ErrUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Verify(tt.in, PublicKeys{7: pub})
			wantErr(t, err, tt.want)
		})
	}
}

func FuzzVerify(f *testing.F) {
	key, pub := testKey(f, 7, 1)
	keys := PublicKeys{7: pub}
	valid := mustSign(f, typicalPayload(), key)
	f.Add(valid)
	f.Add(mustSign(f, largestPayload(), key))
	f.Add(valid[:len(valid)-1])
	f.Add(valid + "00")
	f.Add("AD2:" + valid[4:])
	f.Add("AD1:")
	f.Add("")
	f.Add("AD1:%69 VD92EX0")
	b := validBody()
	b.session = []byte{0x81, 0x00}
	f.Add(signRaw(b.bytes(), key))
	f.Fuzz(func(t *testing.T, qr string) {
		p, id, err := Parse(qr)
		if err == nil {
			// Whatever parses is valid and canonical: re-encoding the
			// fields reproduces the text up to the signature.
			if verr := p.Validate(); verr != nil {
				t.Fatalf("Parse(%q) returned an invalid payload: %v", qr, verr)
			}
			bin := binaryOf(t, qr)
			if got := textOf(append(appendBody(nil, p, id), bin[len(bin)-SignatureSize:]...)); got != qr {
				t.Fatalf("Parse(%q) is not canonical: re-encodes to %q", qr, got)
			}
		}
		vp, vid, verr := Verify(qr, keys)
		if verr != nil {
			if vp != (Payload{}) || vid != 0 {
				t.Fatalf("Verify returned %+v, %d with error %v", vp, vid, verr)
			}
			return
		}
		if err != nil || vp != p || vid != id {
			t.Fatalf("Verify = %+v, %d but Parse = %+v, %d, %v", vp, vid, p, id, err)
		}
		if again := mustSign(t, vp, key); again != qr {
			t.Fatalf("Verify(%q) accepted a text that re-signs to %q", qr, again)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	key, _ := testKey(b, 7, 1)
	p := typicalPayload()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(p, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key, pub := testKey(b, 7, 1)
	qr := mustSign(b, typicalPayload(), key)
	keys := PublicKeys{7: pub}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Verify(qr, keys); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAPassCodeVerifiesAndAnyAlteredByteIsRefused(t *testing.T) {
	k, pub, err := GenerateKey(3)
	if err != nil {
		t.Fatal(err)
	}
	keys := PublicKeys{3: pub}
	qr, err := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 4242}, k)
	if err != nil {
		t.Fatal(err)
	}
	if !IsPass(qr) || IsPass("AD1:XYZ") {
		t.Fatal("IsPass mistakes a code")
	}
	p, err := VerifyPass(qr, keys)
	if err != nil || p.PassID != 4242 || p.SystemCode != "ADMIT" {
		t.Fatalf("verify: %+v %v", p, err)
	}
	for i := len(passTextPrefix); i < len(qr); i++ {
		for _, c := range []byte{'0', 'Z', ' ', '%'} {
			if qr[i] == c {
				continue
			}
			bad := qr[:i] + string(c) + qr[i+1:]
			if _, err := VerifyPass(bad, keys); err == nil {
				t.Fatalf("altered byte %d (%q) verified", i, bad)
			}
		}
	}
	for _, bad := range []string{"", "AP1:", qr[:len(qr)-1], qr + "0", qr[:len(qr)-3]} {
		if _, err := VerifyPass(bad, keys); err == nil {
			t.Fatalf("%q verified", bad)
		}
	}
	other, otherPub, _ := GenerateKey(3)
	forged, _ := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 4242}, other)
	if _, err := VerifyPass(forged, keys); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a pass signed by another key: %v", err)
	}
	if _, err := VerifyPass(qr, PublicKeys{3: otherPub}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("verified under the wrong key: %v", err)
	}
	if _, _, err := Verify(qr, keys); err == nil {
		t.Fatal("a pass's code verified as a ticket")
	}
}

// A version 2 pass code names each session's ticket, so a gate that has
// not heard of the pass admits it on the signature alone; every byte of
// it is signed.
func TestAPassCodeNamingItsTicketsVerifiesWhole(t *testing.T) {
	k, pub, err := GenerateKey(3)
	if err != nil {
		t.Fatal(err)
	}
	keys := PublicKeys{3: pub}
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	var tickets []Payload
	for i := range 3 {
		tickets = append(tickets, Payload{SystemCode: "ADMIT", VenueCode: "11010001", BusinessDate: day.AddDate(0, 0, i), Serial: uint32(40 + i), SessionID: int64(7 + i), SeatID: 1234})
	}
	qr, err := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 99, Tickets: tickets}, k)
	if err != nil {
		t.Fatal(err)
	}
	p, err := VerifyPass(qr, keys)
	if err != nil || p.PassID != 99 || len(p.Tickets) != 3 {
		t.Fatalf("verify: %+v %v", p, err)
	}
	for i, got := range p.Tickets {
		if got.Number() != tickets[i].Number() || got.SessionID != tickets[i].SessionID || got.SeatID != 1234 {
			t.Fatalf("ticket %d: %+v, want %+v", i, got, tickets[i])
		}
	}
	for i := len(passTextPrefix); i < len(qr); i++ {
		c := byte('0')
		if qr[i] == c {
			c = 'Z'
		}
		if _, err := VerifyPass(qr[:i]+string(c)+qr[i+1:], keys); err == nil {
			t.Fatalf("altered byte %d verified", i)
		}
	}
	if _, err := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 99, Tickets: []Payload{{SystemCode: "OTHER", VenueCode: "11010001", BusinessDate: day, Serial: 1, SessionID: 1, SeatID: 1}}}, k); err == nil {
		t.Fatal("a pass signed a ticket of another system")
	}
	if _, err := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 99, Tickets: make([]Payload, MaxPassTickets+1)}, k); err == nil {
		t.Fatal("a pass signed more tickets than a code holds")
	}
}

func FuzzVerifyPass(f *testing.F) {
	key, pub := testKey(f, 7, 1)
	keys := PublicKeys{7: pub}
	valid, err := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 77}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	v2, err := SignPass(PassPayload{SystemCode: "ADMIT", PassID: 78, Tickets: []Payload{
		{SystemCode: "ADMIT", VenueCode: "11010001", BusinessDate: day, Serial: 5, SessionID: 9, SeatID: 301},
		{SystemCode: "ADMIT", VenueCode: "11010002", BusinessDate: day.AddDate(0, 0, 1), Serial: 6, SessionID: 10, SeatID: 301}}}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v2)
	f.Add(v2[:len(v2)-7])
	f.Add(valid[:len(valid)-1])
	f.Add(valid + "00")
	f.Add("AP1:")
	f.Add("AP2:" + valid[4:])
	f.Fuzz(func(t *testing.T, qr string) {
		p, err := VerifyPass(qr, keys)
		if err != nil {
			if p.SystemCode != "" || p.PassID != 0 || p.Tickets != nil {
				t.Fatalf("VerifyPass returned %+v with error %v", p, err)
			}
			return
		}
		// Only the signer's own codes verify: re-signing reproduces it.
		if again, _ := SignPass(p, key); again != qr {
			t.Fatalf("VerifyPass(%q) accepted a text that re-signs to %q", qr, again)
		}
	})
}
