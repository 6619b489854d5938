package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// fuzzSealed is every message the fuzz tests seal with testCloudKey(1):
// the only messages OpenCloud may ever accept under that key.
type fuzzSealed struct {
	topic, kind string
	v           any
}

func fuzzSeeds() []fuzzSealed {
	return []fuzzSealed{
		{FeedTopic("hall-a"), KindFeed, FeedBatch{Venue: "hall-a", Head: 2, Events: []FeedEvent{
			{Seq: 1, Kind: EventTicket, At: testAt, Data: json.RawMessage(`{"number":"T-1","qr":"q","session_id":42,"seat_id":7,"seat_label":"A7","order_id":3,"pickup_code":"P","price_cents":1850}`)},
			{Seq: 2, Kind: EventRevocation, At: testAt, Data: json.RawMessage(`{"number":"T-1","reason":"refund"}`)},
		}}},
		{DownlinkTopic("gate-1"), KindAck, Ack{Device: "gate-1", UpTo: 9}},
		{DownlinkTopic("gate-1"), KindCommand, Command{Name: "revoked"}},
		{DownlinkTopic("gate-2"), KindFeed, FeedBatch{Venue: "hall-a", Snapshot: true, First: true, Final: true, Head: 0, Events: []FeedEvent{}}},
	}
}

func isSentinel(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrVersion)
}

func FuzzOpenCloud(f *testing.F) {
	pub, priv := testCloudKey(1)
	type signed struct{ kind, topic, body, sig string }
	sealed := map[signed]bool{}
	for _, s := range fuzzSeeds() {
		msg := mustSealCloud(f, priv, s.topic, s.kind, s.v)
		e, err := Parse(msg)
		if err != nil {
			f.Fatal(err)
		}
		sealed[signed{e.Kind, s.topic, string(e.Body), string(e.Sig)}] = true
		f.Add(s.topic, msg)
		// The same message on the wrong topic, and a few hand mutations.
		f.Add(UplinkTopic("gate-1"), msg)
		f.Add(s.topic, bytes.Replace(msg, []byte(`"k":"`), []byte(`"K":"`), 1))
		f.Add(s.topic, bytes.Replace(msg, []byte(`"v":1`), []byte(`"v":2`), 1))
		f.Add(s.topic, msg[:len(msg)/2])
	}
	f.Add("", []byte{})
	f.Add(FeedTopic("x"), []byte(`{"v":1,"k":"feed","b":{},"s":"AAAA"}`))
	f.Add(FeedTopic("x"), []byte(`{"v":1,"k":"feed","b":null,"s":"AAAA"}`))
	f.Add(FeedTopic("x"), []byte(`null`))

	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		e, err := OpenCloud(pub, topic, payload)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("OpenCloud error %v is none of the sentinels", err)
			}
			return
		}
		if !sealed[signed{e.Kind, topic, string(e.Body), string(e.Sig)}] {
			t.Fatalf("OpenCloud accepted a message the key never sealed: topic %q kind %q body %q sig %x", topic, e.Kind, e.Body, e.Sig)
		}
		if _, err := Parse(payload); err != nil {
			t.Fatalf("OpenCloud accepted what Parse rejects: %v", err)
		}
	})
}

func FuzzParse(f *testing.F) {
	_, priv := testCloudKey(1)
	for _, s := range fuzzSeeds() {
		f.Add(mustSealCloud(f, priv, s.topic, s.kind, s.v))
		f.Add(mustSealDevice(f, []byte("secret-0123456789ab"), s.topic, s.kind, s.v))
	}
	for _, s := range []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`{"v":1}`,
		`{"v":1,"k":"feed","b":{},"s":"AAAA"}`,
		`{"v":1,"k":"feed","b":null,"s":"AAAA"}`,
		`{"v":1,"k":"feed","b":"x","s":"AAAA"}`,
		`{"v":2,"k":"feed","b":{},"s":"AAAA"}`,
		`{"V":1,"K":"feed","B":{ "a" : [1, 2] },"S":"AA=="}`,
		`{"v":1,"k":"<\u00e9>","b":"<&>","s":"AAAA"}`,
		"{\"v\":1,\"k\":\"\xff\",\"b\":\"\xfe\",\"s\":\"AAAA\"}",
		`{"v":1e0,"k":"feed","b":{},"s":"AAAA"}`,
		`{"v":1,"k":"feed","b":{},"s":"AAAA","v":2}`,
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, payload []byte) {
		e, err := Parse(payload)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("Parse error %v is none of the sentinels", err)
			}
			if errors.Is(err, ErrTooLarge) != (len(payload) > MaxMessageBytes) {
				t.Fatalf("Parse(%d bytes) = %v: ErrTooLarge must mean exactly len > MaxMessageBytes", len(payload), err)
			}
			return
		}
		if e.V != Version || e.Kind == "" || len(e.Body) == 0 || len(e.Sig) == 0 {
			t.Fatalf("Parse accepted an incomplete envelope %+v", e)
		}
		if !json.Valid(e.Body) {
			t.Fatalf("Parse accepted a body that is not JSON: %q", e.Body)
		}
		// What Parse accepts survives re-encoding: the re-encoded envelope
		// parses to the same kind, signature and (compacted) body, and
		// encodes to the same bytes again.
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", e, err)
		}
		e2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(re-encoded %q) = %v", out, err)
		}
		if e2.V != e.V || e2.Kind != e.Kind || !bytes.Equal(e2.Sig, e.Sig) {
			t.Fatalf("re-encoded envelope %+v differs from %+v", e2, e)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, e.Body); err != nil {
			t.Fatal(err)
		}
		var compact2 bytes.Buffer
		if err := json.Compact(&compact2, e2.Body); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(compact.Bytes(), compact2.Bytes()) && !jsonEqual(e.Body, e2.Body) {
			t.Fatalf("re-encoded body %q differs from %q", e2.Body, e.Body)
		}
		out2, err := json.Marshal(e2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not stable:\n %q\n %q", out, out2)
		}
	})
}

// jsonEqual compares two JSON values after decoding (Marshal escapes <, >
// and & in a RawMessage, which Compact leaves alone).
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
