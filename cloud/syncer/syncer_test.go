package syncer

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/admitbox/admit/cloud/broker"
	admitsync "github.com/admitbox/admit/sync"
)

// memFeed is one venue's feed in memory, standing in for the store.
type memFeed struct {
	mu     sync.Mutex
	events []admitsync.FeedEvent
}

func (f *memFeed) add(kind string, data any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(data)
	f.events = append(f.events, admitsync.FeedEvent{Seq: uint64(len(f.events) + 1), Kind: kind, At: time.Now(), Data: b})
}

func (f *memFeed) FeedHeads(context.Context) ([]VenueHead, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []VenueHead{{VenueID: 1, Code: "11000001", Seq: uint64(len(f.events))}}, nil
}

func (f *memFeed) FeedSince(_ context.Context, venueID int64, after uint64, limit int) ([]admitsync.FeedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if after >= uint64(len(f.events)) {
		return nil, nil
	}
	out := f.events[after:]
	if len(out) > limit {
		out = out[:limit]
	}
	return append([]admitsync.FeedEvent(nil), out...), nil
}

func (f *memFeed) Snapshot(context.Context, int64) (uint64, []admitsync.FeedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []admitsync.FeedEvent
	for _, e := range f.events {
		e.Seq = 0
		out = append(out, e)
	}
	return uint64(len(f.events)), out, nil
}

// memDevices stores facts once per (device, seq), like the cloud must.
type memDevices struct {
	mu     sync.Mutex
	secret map[string][]byte
	facts  map[uint64]admitsync.Fact
	calls  int
}

func (d *memDevices) DeviceInfo(_ context.Context, id string) (DeviceInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.secret[id]
	if !ok {
		return DeviceInfo{}, errors.New("unknown device")
	}
	return DeviceInfo{ID: id, VenueID: 1, VenueCode: "11000001", Secret: s}, nil
}

func (d *memDevices) AuthenticateDevice(ctx context.Context, id string, secret []byte) (string, error) {
	info, err := d.DeviceInfo(ctx, id)
	if err != nil || !hmac.Equal(info.Secret, secret) {
		return "", errors.New("refused")
	}
	return info.VenueCode, nil
}

func (d *memDevices) IngestFacts(_ context.Context, id string, facts []admitsync.Fact) (uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	for _, f := range facts {
		if _, ok := d.facts[f.Seq]; !ok {
			d.facts[f.Seq] = f
		}
	}
	var up uint64
	for d.facts[up+1].ID != "" {
		up++
	}
	return up, nil
}

type rig struct {
	feed    *memFeed
	devs    *memDevices
	syncer  *Syncer
	pub     ed25519.PublicKey
	device  paho.Client
	feedMsg chan paho.Message
	downMsg chan paho.Message
}

func newRig(t *testing.T, snapshotBehind uint64) *rig {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	r := &rig{feed: &memFeed{}, devs: &memDevices{secret: map[string][]byte{"gate-1": []byte("gate-1-secret-0123")}, facts: map[uint64]admitsync.Fact{}},
		pub: pub, feedMsg: make(chan paho.Message, 64), downMsg: make(chan paho.Message, 64)}
	cloudSecret := []byte("cloud-secret-0123456789")
	b, err := broker.Start(broker.Config{CloudUser: "admit-cloud", CloudSecret: cloudSecret, Devices: r.devs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	r.syncer, err = Start(context.Background(), Config{BrokerURL: b.URL(), ClientID: "admit-cloud-test", Username: "admit-cloud", Password: cloudSecret,
		Key: key, Feed: r.feed, Devices: r.devs, PollEvery: 10 * time.Millisecond, BatchMax: 3, SnapshotBehind: snapshotBehind})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.syncer.Close)
	o := paho.NewClientOptions().AddBroker(b.URL()).SetClientID("gate-1").SetUsername("gate-1").SetPassword("gate-1-secret-0123").SetAutoReconnect(false)
	r.device = paho.NewClient(o)
	if tok := r.device.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("device connect: %v", tok.Error())
	}
	t.Cleanup(func() { r.device.Disconnect(0) })
	for topic, ch := range map[string]chan paho.Message{admitsync.FeedTopic("11000001"): r.feedMsg, admitsync.DownlinkTopic("gate-1"): r.downMsg} {
		ch := ch
		if tok := r.device.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { ch <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", topic, tok.Error())
		}
	}
	return r
}

func (r *rig) next(t *testing.T, ch chan paho.Message, kind string, v any) {
	t.Helper()
	select {
	case m := <-ch:
		env, err := admitsync.OpenCloud(r.pub, m.Topic(), m.Payload())
		if err != nil {
			t.Fatalf("a cloud message does not verify: %v", err)
		}
		if env.Kind != kind {
			t.Fatalf("got %s, want %s", env.Kind, kind)
		}
		if err := env.Decode(v); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s message", kind)
	}
}

func (r *rig) upload(t *testing.T, secret []byte, kind string, v any) {
	t.Helper()
	topic := admitsync.UplinkTopic("gate-1")
	b, err := admitsync.SealDevice(secret, topic, kind, v)
	if err != nil {
		t.Fatal(err)
	}
	if tok := r.device.Publish(topic, 1, false, b); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

func TestNewEventsArePublishedInOrderAndSigned(t *testing.T) {
	r := newRig(t, 1000)
	for i := 0; i < 7; i++ {
		r.feed.add(admitsync.EventRevocation, admitsync.RevocationData{Number: "n", Reason: "refunded"})
	}
	r.syncer.Kick()
	var want uint64 = 1
	for want <= 7 {
		var b admitsync.FeedBatch
		r.next(t, r.feedMsg, admitsync.KindFeed, &b)
		for _, e := range b.Events {
			if e.Seq != want {
				t.Fatalf("event %d arrived when %d was due", e.Seq, want)
			}
			want++
		}
		if len(b.Events) > 3 {
			t.Fatalf("a batch of %d exceeds BatchMax", len(b.Events))
		}
	}
}

func TestFactsAreStoredOnceAndAcknowledged(t *testing.T) {
	r := newRig(t, 1000)
	secret := r.devs.secret["gate-1"]
	f := func(seq uint64) admitsync.Fact {
		return admitsync.Fact{Device: "gate-1", Seq: seq, ID: "id-" + string(rune('a'+seq)), Kind: admitsync.FactHeartbeat, At: time.Now(), Data: json.RawMessage(`{}`)}
	}
	r.upload(t, secret, admitsync.KindFacts, admitsync.FactBatch{Facts: []admitsync.Fact{f(1), f(2)}})
	var ack admitsync.Ack
	r.next(t, r.downMsg, admitsync.KindAck, &ack)
	if ack.UpTo != 2 || ack.Device != "gate-1" {
		t.Fatalf("ack %+v", ack)
	}
	// A replay is acknowledged again and stored once.
	r.upload(t, secret, admitsync.KindFacts, admitsync.FactBatch{Facts: []admitsync.Fact{f(1), f(2)}})
	r.next(t, r.downMsg, admitsync.KindAck, &ack)
	if ack.UpTo != 2 || len(r.devs.facts) != 2 {
		t.Fatalf("after a replay: ack %d, %d facts stored", ack.UpTo, len(r.devs.facts))
	}
	// A forged batch (wrong secret) is dropped: nothing stored, no ack.
	calls := r.devs.calls
	r.upload(t, []byte("not-the-secret-000"), admitsync.KindFacts, admitsync.FactBatch{Facts: []admitsync.Fact{f(3)}})
	// Then a good one, whose ack proves the forged one was handled first.
	r.upload(t, secret, admitsync.KindFacts, admitsync.FactBatch{Facts: []admitsync.Fact{f(3)}})
	r.next(t, r.downMsg, admitsync.KindAck, &ack)
	if r.devs.calls != calls+1 || r.syncer.Stats.Dropped.Load() != 1 {
		t.Fatalf("forged batch: %d ingest calls (want %d), %d dropped", r.devs.calls, calls+1, r.syncer.Stats.Dropped.Load())
	}
}

func TestCatchupSendsTheMissedEventsOrASnapshot(t *testing.T) {
	r := newRig(t, 5)
	for i := 0; i < 8; i++ {
		r.feed.add(admitsync.EventRevocation, admitsync.RevocationData{Number: "n"})
	}
	// Drain the live feed so only downlink answers matter.
	secret := r.devs.secret["gate-1"]
	r.upload(t, secret, admitsync.KindCatchup, admitsync.CatchupRequest{Device: "gate-1", From: 4})
	var got []uint64
	for {
		var b admitsync.FeedBatch
		r.next(t, r.downMsg, admitsync.KindFeed, &b)
		if b.Snapshot {
			t.Fatal("4 events behind got a snapshot")
		}
		for _, e := range b.Events {
			got = append(got, e.Seq)
		}
		if b.Final {
			break
		}
	}
	if len(got) != 4 || got[0] != 5 || got[3] != 8 {
		t.Fatalf("catch-up from 4 delivered %v", got)
	}
	// From the start, 8 behind with SnapshotBehind 5: a snapshot.
	r.upload(t, secret, admitsync.KindCatchup, admitsync.CatchupRequest{Device: "gate-1", From: 0})
	n := 0
	for {
		var b admitsync.FeedBatch
		r.next(t, r.downMsg, admitsync.KindFeed, &b)
		if !b.Snapshot || b.Head != 8 || (n == 0) != b.First {
			t.Fatalf("snapshot batch %+v", b)
		}
		n += len(b.Events)
		if b.Final {
			break
		}
	}
	if n != 8 {
		t.Fatalf("snapshot carried %d events", n)
	}
}
