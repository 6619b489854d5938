package sync

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testCloudKey is a fixed cloud key, so that sealed seeds and fuzz corpus
// entries stay valid from run to run (Ed25519 signing is deterministic).
func testCloudKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

var testAt = time.Date(2025, 3, 14, 19, 30, 0, 0, time.UTC)

func testTicket(i int) TicketData {
	return TicketData{
		Number:     fmt.Sprintf("T-%08d", i),
		QR:         fmt.Sprintf("ADM1.%08d.c2lnbmF0dXJlLWJ5dGVzLWhlcmU", i),
		SessionID:  42,
		SeatID:     int64(1000 + i),
		SeatLabel:  fmt.Sprintf("R%d-%d", i/30+1, i%30+1),
		OrderID:    int64(500 + i/4),
		PickupCode: fmt.Sprintf("PK%06d", i/4),
		PriceCents: 1850,
		Tier:       "adult",
	}
}

// testFeedBatch is a batch of n ticket events of venue "hall-a".
func testFeedBatch(tb testing.TB, n int) FeedBatch {
	tb.Helper()
	fb := FeedBatch{Venue: "hall-a", Head: uint64(n)}
	for i := 1; i <= n; i++ {
		data, err := json.Marshal(testTicket(i))
		if err != nil {
			tb.Fatal(err)
		}
		fb.Events = append(fb.Events, FeedEvent{Seq: uint64(i), Kind: EventTicket, At: testAt.Add(time.Duration(i) * time.Second), Data: data})
	}
	return fb
}

func mustSealCloud(tb testing.TB, priv ed25519.PrivateKey, topic, kind string, v any) []byte {
	tb.Helper()
	msg, err := SealCloud(priv, topic, kind, v)
	if err != nil {
		tb.Fatalf("SealCloud: %v", err)
	}
	return msg
}

func mustSealDevice(tb testing.TB, secret []byte, topic, kind string, v any) []byte {
	tb.Helper()
	msg, err := SealDevice(secret, topic, kind, v)
	if err != nil {
		tb.Fatalf("SealDevice: %v", err)
	}
	return msg
}

// reenvelope parses msg, lets edit change the envelope, and marshals it
// again without re-signing.
func reenvelope(tb testing.TB, msg []byte, edit func(*Envelope)) []byte {
	tb.Helper()
	var e Envelope
	if err := json.Unmarshal(msg, &e); err != nil {
		tb.Fatal(err)
	}
	edit(&e)
	out, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sameEnvelope(a, b Envelope) bool {
	return a.V == b.V && a.Kind == b.Kind && bytes.Equal(a.Body, b.Body) && bytes.Equal(a.Sig, b.Sig)
}

func TestSealCloudThenOpenCloudDecodesTheFeedBatchAndItsEvents(t *testing.T) {
	pub, priv := testCloudKey(1)
	topic := FeedTopic("hall-a")
	want := testFeedBatch(t, 3)
	want.Snapshot, want.First, want.Final = true, true, false

	msg := mustSealCloud(t, priv, topic, KindFeed, want)
	e, err := OpenCloud(pub, topic, msg)
	if err != nil {
		t.Fatalf("OpenCloud: %v", err)
	}
	if e.V != Version || e.Kind != KindFeed {
		t.Fatalf("envelope v=%d kind=%q, want v=%d kind=%q", e.V, e.Kind, Version, KindFeed)
	}
	var got FeedBatch
	if err := e.Decode(&got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Venue != want.Venue || got.Head != want.Head || got.Snapshot != want.Snapshot || got.First != want.First || got.Final != want.Final {
		t.Errorf("batch header = %+v, want %+v", got, want)
	}
	if len(got.Events) != len(want.Events) {
		t.Fatalf("got %d events, want %d", len(got.Events), len(want.Events))
	}
	for i, ev := range got.Events {
		w := want.Events[i]
		if ev.Seq != w.Seq || ev.Kind != w.Kind || !ev.At.Equal(w.At) {
			t.Errorf("event %d = {%d %q %v}, want {%d %q %v}", i, ev.Seq, ev.Kind, ev.At, w.Seq, w.Kind, w.At)
		}
		var td TicketData
		if err := json.Unmarshal(ev.Data, &td); err != nil {
			t.Fatalf("event %d data: %v", i, err)
		}
		if wt := testTicket(i + 1); td != wt {
			t.Errorf("event %d ticket = %+v, want %+v", i, td, wt)
		}
	}
}

func TestEveryCloudKindRoundTripsOnItsTopic(t *testing.T) {
	pub, priv := testCloudKey(1)
	tests := []struct {
		topic, kind string
		in, out     any
	}{
		{FeedTopic("hall-a"), KindFeed, &FeedBatch{Venue: "hall-a", Head: 7, Events: []FeedEvent{}}, &FeedBatch{}},
		{DownlinkTopic("gate-1"), KindFeed, &FeedBatch{Venue: "hall-a", Head: 9, Events: []FeedEvent{}}, &FeedBatch{}},
		{DownlinkTopic("gate-1"), KindAck, &Ack{Device: "gate-1", UpTo: 12}, &Ack{}},
		{DownlinkTopic("gate-1"), KindCommand, &Command{Name: "revoked"}, &Command{}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" on "+tt.topic, func(t *testing.T) {
			e, err := OpenCloud(pub, tt.topic, mustSealCloud(t, priv, tt.topic, tt.kind, tt.in))
			if err != nil {
				t.Fatalf("OpenCloud: %v", err)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", e.Kind, tt.kind)
			}
			if err := e.Decode(tt.out); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(tt.in, tt.out) {
				t.Errorf("decoded %+v, want %+v", tt.out, tt.in)
			}
		})
	}
}

func TestSealDeviceThenOpenDeviceDecodesFactsAndCatchups(t *testing.T) {
	secret := []byte("device-secret-gate-1")
	topic := UplinkTopic("gate-1")
	hb, _ := json.Marshal(Heartbeat{FeedSeq: 10, OutboxDepth: 2, Status: map[string]string{"printer": "ok"}})
	adm, _ := json.Marshal(AdmissionFact{Number: "T-1", SessionID: 42, Offline: true})
	tests := []struct {
		kind    string
		in, out any
	}{
		{KindFacts, &FactBatch{Facts: []Fact{
			{Device: "gate-1", Seq: 1, ID: "f-1", Kind: FactAdmission, At: testAt, Data: adm},
			{Device: "gate-1", Seq: 2, ID: "f-2", Kind: FactHeartbeat, At: testAt.Add(time.Minute), Data: hb},
		}}, &FactBatch{}},
		{KindCatchup, &CatchupRequest{Device: "gate-1", From: 41}, &CatchupRequest{}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			msg := mustSealDevice(t, secret, topic, tt.kind, tt.in)
			e, err := OpenDevice(secret, topic, msg)
			if err != nil {
				t.Fatalf("OpenDevice: %v", err)
			}
			if e.Kind != tt.kind || len(e.Sig) != 32 {
				t.Errorf("kind = %q, sig %d bytes; want %q and a 32-byte HMAC-SHA256", e.Kind, len(e.Sig), tt.kind)
			}
			if err := e.Decode(tt.out); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(tt.in, tt.out) {
				t.Errorf("decoded %+v, want %+v", tt.out, tt.in)
			}
		})
	}
}

// opener opens msg on topic with the receiver's credentials.
type opener struct {
	name  string
	seal  func(tb testing.TB, topic, kind string, v any) []byte
	open  func(topic string, msg []byte) (Envelope, error)
	other func(topic string, msg []byte) (Envelope, error) // other credentials
}

func openers() []opener {
	pub, priv := testCloudKey(1)
	otherPub, _ := testCloudKey(2)
	secret := []byte("device-secret-gate-1")
	otherSecret := []byte("device-secret-gate-2")
	return []opener{
		{
			name: "cloud",
			seal: func(tb testing.TB, topic, kind string, v any) []byte {
				return mustSealCloud(tb, priv, topic, kind, v)
			},
			open:  func(topic string, msg []byte) (Envelope, error) { return OpenCloud(pub, topic, msg) },
			other: func(topic string, msg []byte) (Envelope, error) { return OpenCloud(otherPub, topic, msg) },
		},
		{
			name: "device",
			seal: func(tb testing.TB, topic, kind string, v any) []byte {
				return mustSealDevice(tb, secret, topic, kind, v)
			},
			open:  func(topic string, msg []byte) (Envelope, error) { return OpenDevice(secret, topic, msg) },
			other: func(topic string, msg []byte) (Envelope, error) { return OpenDevice(otherSecret, topic, msg) },
		},
	}
}

func TestAnySingleByteChangeIsRejectedOrLeavesTheContentUnchanged(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			topic := DownlinkTopic("gate-1")
			msg := o.seal(t, topic, KindAck, Ack{Device: "gate-1", UpTo: 7})
			orig, err := o.open(topic, msg)
			if err != nil {
				t.Fatalf("the unmodified message does not open: %v", err)
			}
			accepted := 0
			for i := range msg {
				// Every single-bit flip and the full inversion of byte i.
				for _, mask := range []byte{1, 2, 4, 8, 16, 32, 64, 128, 0xff} {
					mut := bytes.Clone(msg)
					mut[i] ^= mask
					e, err := o.open(topic, mut)
					if err != nil {
						if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrVersion) {
							t.Errorf("byte %d ^ %#02x: error %v is none of the sentinels", i, mask, err)
						}
						continue
					}
					// JSON keys match case-insensitively and base64 ignores
					// the padding bits of its last character, so a few
					// mutations decode to the very same envelope. None may
					// decode to a different one.
					accepted++
					if !sameEnvelope(e, orig) {
						t.Errorf("byte %d ^ %#02x: accepted with different content:\n got  %+v\n want %+v\n payload %q", i, mask, e, orig, mut)
					}
				}
			}
			t.Logf("%d-byte message: %d of %d mutations decode to the original envelope and open", len(msg), accepted, 9*len(msg))
		})
	}
}

func TestAMessageIsRejected(t *testing.T) {
	for _, o := range openers() {
		topic := UplinkTopic("gate-1")
		body := CatchupRequest{Device: "gate-1", From: 3}
		good := o.seal(t, topic, KindCatchup, body)
		tests := []struct {
			why   string
			topic string
			msg   []byte
			want  error
		}{
			{"when replayed on another device's uplink", UplinkTopic("gate-2"), good, ErrBadSignature},
			{"when replayed on its own downlink", DownlinkTopic("gate-1"), good, ErrBadSignature},
			{"when replayed on a venue feed", FeedTopic("gate-1"), good, ErrBadSignature},
			{"when its kind is changed", topic, reenvelope(t, good, func(e *Envelope) { e.Kind = KindFacts }), ErrBadSignature},
			{"when its kind is changed to an unknown one", topic, reenvelope(t, good, func(e *Envelope) { e.Kind = "bogus" }), ErrBadSignature},
			{"when its body is changed", topic, reenvelope(t, good, func(e *Envelope) { e.Body = json.RawMessage(`{"device":"gate-1","from":0}`) }), ErrBadSignature},
			{"when its body is reformatted", topic, bytes.Replace(good, []byte(`,"from"`), []byte(`, "from"`), 1), ErrBadSignature},
			{"when its signature is truncated", topic, reenvelope(t, good, func(e *Envelope) { e.Sig = e.Sig[:len(e.Sig)-1] }), ErrBadSignature},
			{"when its signature is extended", topic, reenvelope(t, good, func(e *Envelope) { e.Sig = append(e.Sig, 0) }), ErrBadSignature},
			{"when its signature is zeroed", topic, reenvelope(t, good, func(e *Envelope) { e.Sig = make([]byte, len(e.Sig)) }), ErrBadSignature},
			{"when it is version 2", topic, reenvelope(t, good, func(e *Envelope) { e.V = 2 }), ErrVersion},
			{"when it is version 0", topic, reenvelope(t, good, func(e *Envelope) { e.V = 0 }), ErrVersion},
			{"when its version is missing", topic, []byte(`{"k":"catchup","b":{},"s":"AAAA"}`), ErrVersion},
			{"when its signature is missing", topic, reenvelope(t, good, func(e *Envelope) { e.Sig = nil }), ErrMalformed},
			{"when its signature is empty", topic, []byte(`{"v":1,"k":"catchup","b":{},"s":""}`), ErrMalformed},
			{"when its kind is missing", topic, reenvelope(t, good, func(e *Envelope) { e.Kind = "" }), ErrMalformed},
			{"when its body is missing", topic, []byte(`{"v":1,"k":"catchup","s":"AAAA"}`), ErrMalformed},
			{"when its signature is not base64", topic, []byte(`{"v":1,"k":"catchup","b":{},"s":"!!!"}`), ErrMalformed},
			{"when its version is a string", topic, []byte(`{"v":"1","k":"catchup","b":{},"s":"AAAA"}`), ErrMalformed},
			{"when it is not JSON", topic, []byte("hello"), ErrMalformed},
			{"when it is empty", topic, []byte{}, ErrMalformed},
			{"when it is a JSON array", topic, []byte(`[1]`), ErrMalformed},
			{"when it has trailing data", topic, append(bytes.Clone(good), `{}`...), ErrMalformed},
			{"when it is truncated", topic, good[:len(good)-1], ErrMalformed},
			{"when it is over MaxMessageBytes", topic, append(bytes.Clone(good), bytes.Repeat([]byte(" "), MaxMessageBytes+1-len(good))...), ErrTooLarge},
			{"when it is far over MaxMessageBytes", topic, bytes.Repeat([]byte("x"), 2*MaxMessageBytes), ErrTooLarge},
		}
		for _, tt := range tests {
			t.Run(o.name+" "+tt.why, func(t *testing.T) {
				_, err := o.open(tt.topic, tt.msg)
				if !errors.Is(err, tt.want) {
					t.Errorf("open = %v, want errors.Is(err, %v)", err, tt.want)
				}
				for _, other := range []error{ErrMalformed, ErrBadSignature, ErrTooLarge, ErrVersion} {
					if other != tt.want && errors.Is(err, other) {
						t.Errorf("open = %v, which also matches %v", err, other)
					}
				}
			})
		}
		t.Run(o.name+" when opened with other credentials", func(t *testing.T) {
			if _, err := o.other(topic, good); !errors.Is(err, ErrBadSignature) {
				t.Errorf("open with other credentials = %v, want %v", err, ErrBadSignature)
			}
		})
	}
}

func TestACloudMessageIsRejectedByTheDeviceCheckAndViceVersa(t *testing.T) {
	pub, priv := testCloudKey(1)
	secret := []byte("device-secret-gate-1")
	topic := DownlinkTopic("gate-1")
	cloudMsg := mustSealCloud(t, priv, topic, KindAck, Ack{Device: "gate-1", UpTo: 1})
	deviceMsg := mustSealDevice(t, secret, topic, KindAck, Ack{Device: "gate-1", UpTo: 1})
	if _, err := OpenDevice(secret, topic, cloudMsg); !errors.Is(err, ErrBadSignature) {
		t.Errorf("OpenDevice(cloud message) = %v, want %v", err, ErrBadSignature)
	}
	if _, err := OpenCloud(pub, topic, deviceMsg); !errors.Is(err, ErrBadSignature) {
		t.Errorf("OpenCloud(device message) = %v, want %v", err, ErrBadSignature)
	}
}

func TestOpenCloudRejectsAPublicKeyOfTheWrongSize(t *testing.T) {
	pub, priv := testCloudKey(1)
	topic := FeedTopic("hall-a")
	msg := mustSealCloud(t, priv, topic, KindFeed, testFeedBatch(t, 1))
	for _, key := range []ed25519.PublicKey{nil, {}, pub[:31], append(bytes.Clone(pub), 0)} {
		if _, err := OpenCloud(key, topic, msg); !errors.Is(err, ErrBadSignature) {
			t.Errorf("OpenCloud with a %d-byte key = %v, want %v", len(key), err, ErrBadSignature)
		}
	}
}

func TestAMessageOfExactlyMaxMessageBytesIsAccepted(t *testing.T) {
	pub, priv := testCloudKey(1)
	topic := FeedTopic("hall-a")
	msg := mustSealCloud(t, priv, topic, KindFeed, testFeedBatch(t, 1))
	padded := append(bytes.Clone(msg), bytes.Repeat([]byte(" "), MaxMessageBytes-len(msg))...)
	if len(padded) != MaxMessageBytes {
		t.Fatalf("padded to %d bytes, want %d", len(padded), MaxMessageBytes)
	}
	if _, err := OpenCloud(pub, topic, padded); err != nil {
		t.Errorf("OpenCloud(%d bytes) = %v, want nil", len(padded), err)
	}
}

func TestDecodeOfABodyWithWrongTypesIsMalformed(t *testing.T) {
	tests := []struct {
		why  string
		kind string
		body string
		into any
	}{
		{"a string for a sequence number", KindFeed, `{"venue":"v","events":[{"seq":"1","kind":"ticket"}],"head":1}`, &FeedBatch{}},
		{"a negative sequence number", KindFeed, `{"venue":"v","events":[],"head":-1}`, &FeedBatch{}},
		{"an object for the event list", KindFeed, `{"venue":"v","events":{},"head":1}`, &FeedBatch{}},
		{"a number for the venue", KindFeed, `{"venue":7,"events":[],"head":1}`, &FeedBatch{}},
		{"a bad time", KindFeed, `{"venue":"v","events":[{"seq":1,"kind":"ticket","at":"yesterday"}],"head":1}`, &FeedBatch{}},
		{"a string for a snapshot flag", KindFeed, `{"venue":"v","events":[],"snapshot":"yes","head":1}`, &FeedBatch{}},
		{"a fraction for up_to", KindAck, `{"device":"d","up_to":1.5}`, &Ack{}},
		{"an array for an ack", KindAck, `[1,2]`, &Ack{}},
		{"a string for an ack", KindAck, `"ack"`, &Ack{}},
		{"a number for a fact list", KindFacts, `{"facts":3}`, &FactBatch{}},
		{"a string for from", KindCatchup, `{"device":"d","from":"0"}`, &CatchupRequest{}},
		{"a number for a command name", KindCommand, `{"name":1}`, &Command{}},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			e := Envelope{V: Version, Kind: tt.kind, Body: json.RawMessage(tt.body), Sig: []byte{1}}
			err := e.Decode(tt.into)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%s) = %v, want errors.Is(err, ErrMalformed)", tt.body, err)
			}
			if !strings.Contains(err.Error(), tt.kind) {
				t.Errorf("Decode error %q does not name the kind %q", err, tt.kind)
			}
		})
	}
}

func TestDecodeOfASealedBodyWithWrongTypesIsMalformed(t *testing.T) {
	pub, priv := testCloudKey(1)
	topic := DownlinkTopic("gate-1")
	// A correctly signed message whose body is not what its kind promises.
	msg := mustSealCloud(t, priv, topic, KindAck, map[string]any{"device": "gate-1", "up_to": "seven"})
	e, err := OpenCloud(pub, topic, msg)
	if err != nil {
		t.Fatalf("OpenCloud: %v", err)
	}
	var ack Ack
	if err := e.Decode(&ack); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode = %v, want errors.Is(err, ErrMalformed)", err)
	}
}

func TestSealReportsABodyThatCannotBeEncoded(t *testing.T) {
	_, priv := testCloudKey(1)
	topic := DownlinkTopic("gate-1")
	bad := map[string]any{"f": func() {}}
	if _, err := SealCloud(priv, topic, KindCommand, bad); err == nil {
		t.Error("SealCloud(unencodable) = nil error, want one")
	}
	if _, err := SealDevice([]byte("secret-0123456789ab"), topic, KindFacts, bad); err == nil {
		t.Error("SealDevice(unencodable) = nil error, want one")
	}
}

func TestTheSignatureCoversDomainKindTopicAndBodySeparately(t *testing.T) {
	// The NUL separators keep (kind, topic) pairs that concatenate to the
	// same string from sharing a signature.
	pub, priv := testCloudKey(1)
	msg := mustSealCloud(t, priv, "ab", "feed", Ack{})
	shifted := reenvelope(t, msg, func(e *Envelope) { e.Kind = "feeda" })
	if _, err := OpenCloud(pub, "b", shifted); !errors.Is(err, ErrBadSignature) {
		t.Errorf("kind/topic boundary shifted: OpenCloud = %v, want %v", err, ErrBadSignature)
	}
	want := []byte("admit-sync-v1\x00feed\x00ab\x00{}")
	if got := signedBytes("feed", "ab", []byte("{}")); !bytes.Equal(got, want) {
		t.Errorf("signedBytes = %q, want %q", got, want)
	}
}

func benchmarkBatch(b *testing.B, n int) (ed25519.PublicKey, ed25519.PrivateKey, string, FeedBatch) {
	pub, priv := testCloudKey(1)
	return pub, priv, FeedTopic("hall-a"), testFeedBatch(b, n)
}

func BenchmarkSealCloud(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("FeedBatch_%d_tickets", n), func(b *testing.B) {
			_, priv, topic, fb := benchmarkBatch(b, n)
			msg := mustSealCloud(b, priv, topic, KindFeed, fb)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SealCloud(priv, topic, KindFeed, fb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpenCloud(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("FeedBatch_%d_tickets", n), func(b *testing.B) {
			pub, priv, topic, fb := benchmarkBatch(b, n)
			msg := mustSealCloud(b, priv, topic, KindFeed, fb)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := OpenCloud(pub, topic, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestKeysThatCannotProtectAreRefused(t *testing.T) {
	topic := UplinkTopic("gate-1")
	if _, err := SealCloud(nil, topic, KindAck, Ack{}); !errors.Is(err, ErrNoKey) {
		t.Errorf("SealCloud with no key: %v", err)
	}
	for _, secret := range [][]byte{nil, {}, []byte("short")} {
		if _, err := SealDevice(secret, topic, KindFacts, FactBatch{}); !errors.Is(err, ErrNoKey) {
			t.Errorf("SealDevice with secret %q: %v", secret, err)
		}
	}
	// A message forged with an empty secret does not open under one.
	body := []byte(`{"facts":[]}`)
	forged, _ := json.Marshal(Envelope{V: Version, Kind: KindFacts, Body: body, Sig: deviceMAC(nil, KindFacts, topic, body)})
	if _, err := OpenDevice(nil, topic, forged); !errors.Is(err, ErrBadSignature) {
		t.Errorf("OpenDevice with an empty secret accepted a forgery: %v", err)
	}
}

func TestDecodeRefusesUnknownFields(t *testing.T) {
	e := Envelope{V: Version, Kind: KindAck, Body: []byte(`{"device":"d","up_to":3,"extra":1}`)}
	var a Ack
	if err := e.Decode(&a); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Decode with an unknown field: %v", err)
	}
}

func TestSealingRefusesAMessageReceiversWouldDrop(t *testing.T) {
	_, priv := testCloudKey(1)
	huge := FeedBatch{Venue: "11000001", Events: []FeedEvent{{Seq: 1, Kind: EventTicket, Data: json.RawMessage(`"` + strings.Repeat("x", MaxMessageBytes) + `"`)}}}
	if _, err := SealCloud(priv, FeedTopic("11000001"), KindFeed, huge); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("sealing an oversized batch: %v", err)
	}
}
