package agent

import (
	"bytes"
	"sort"
	"sync"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// copyStore is paho's in-flight store, holding each packet as its bytes.
//
// paho's MemoryStore hands back the very packet the client is sending, and
// on a (re)connect paho's resume marks a stored publish as a duplicate while
// the writer goroutine may still be serialising that same packet: a data race
// (eclipse-paho/paho.mqtt.golang#703) that the agent hits whenever it
// publishes the moment its subscriptions are acknowledged. Handing out a fresh
// copy on every Get removes the sharing; the cost is one encode and one
// decode per QoS 1 upload, which the agent sends a few of per second at most.
// Stored packets are resent in the order they were first stored.
type copyStore struct {
	mu   sync.Mutex
	next uint64
	m    map[string]storedPacket
}

type storedPacket struct {
	seq uint64
	b   []byte
}

func newCopyStore() *copyStore { return &copyStore{m: make(map[string]storedPacket)} }

func (s *copyStore) Open() {}

func (s *copyStore) Put(key string, p packets.ControlPacket) {
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		return // a packet that cannot be encoded could not be resent either
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.next
	if old, ok := s.m[key]; ok {
		seq = old.seq // a PUBREL replacing its PUBLISH keeps its place
	} else {
		s.next++
	}
	s.m[key] = storedPacket{seq: seq, b: buf.Bytes()}
}

func (s *copyStore) Get(key string) packets.ControlPacket {
	s.mu.Lock()
	sp, ok := s.m[key]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	p, err := packets.ReadPacket(bytes.NewReader(sp.b))
	if err != nil {
		return nil
	}
	return p
}

func (s *copyStore) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return s.m[keys[i]].seq < s.m[keys[j]].seq })
	return keys
}

func (s *copyStore) Del(key string) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

func (s *copyStore) Close() {}

func (s *copyStore) Reset() {
	s.mu.Lock()
	s.m = make(map[string]storedPacket)
	s.mu.Unlock()
}
