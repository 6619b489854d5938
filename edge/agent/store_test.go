package agent

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func publish(id uint16, payload string) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.TopicName, p.MessageID, p.Payload = 1, "admit/up/dev-1", id, []byte(payload)
	return p
}

func TestCopyStoreHandsOutCopies(t *testing.T) {
	s := newCopyStore()
	orig := publish(7, "fact")
	s.Put("o.7", orig)

	got, ok := s.Get("o.7").(*packets.PublishPacket)
	if !ok {
		t.Fatalf("Get returned %T", s.Get("o.7"))
	}
	if got == orig {
		t.Fatal("Get returned the stored packet itself, which paho's writer may be sending")
	}
	if got.MessageID != 7 || got.TopicName != orig.TopicName || !bytes.Equal(got.Payload, orig.Payload) || got.Qos != 1 {
		t.Fatalf("copy differs: %+v", got)
	}
	got.Dup = true // what paho's resume does
	if orig.Dup {
		t.Fatal("marking the copy a duplicate changed the packet being sent")
	}
	if again := s.Get("o.7").(*packets.PublishPacket); again.Dup {
		t.Fatal("a change to one copy reached the store")
	}
	if s.Get("o.8") != nil {
		t.Fatal("a missing key returned a packet")
	}
}

func TestCopyStoreKeepsOrder(t *testing.T) {
	s := newCopyStore()
	for _, id := range []uint16{9, 3, 12, 1} {
		s.Put(fmt.Sprintf("o.%d", id), publish(id, "x"))
	}
	keys := s.All()
	var ids []uint16
	for _, k := range keys {
		ids = append(ids, s.Get(k).Details().MessageID)
	}
	want := []uint16{9, 3, 12, 1}
	if len(ids) != len(want) {
		t.Fatalf("ids %v", ids)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("resend order %v, want %v", ids, want)
		}
	}
	// A PUBREL replacing its PUBLISH keeps the publish's place.
	rel := packets.NewControlPacket(packets.Pubrel).(*packets.PubrelPacket)
	rel.MessageID = 9
	s.Put(keys[0], rel)
	if k := s.All()[0]; k != keys[0] {
		t.Fatalf("replaced packet moved: first key %q", k)
	}
	s.Del(keys[1])
	if n := len(s.All()); n != 3 {
		t.Fatalf("after Del: %d keys", n)
	}
	s.Reset()
	if n := len(s.All()); n != 0 {
		t.Fatalf("after Reset: %d keys", n)
	}
}
