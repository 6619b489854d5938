package messages

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Simulator is a channel's provider for tests and demos: it keeps what it
// was sent, once per key, refuses for good the recipients in Unknown, and
// fails the next FailNext sends as a provider that is down would.
type Simulator struct {
	Channel Channel
	// Echo, if set, hears every message the simulator delivers (the demo
	// prints them: the phone it would reach does not exist).
	Echo func(Message)

	mu       sync.Mutex
	sent     map[string]Message // by key
	order    []string
	unknown  map[string]bool
	failNext int
	calls    int
	changed  chan struct{} // closed and replaced at each first send of a key
}

// NewSimulator returns a simulator of channel c.
func NewSimulator(c Channel) *Simulator {
	return &Simulator{Channel: c, sent: map[string]Message{}, unknown: map[string]bool{}, changed: make(chan struct{})}
}

// Unknown makes the provider refuse recipient for good (a number that
// does not exist).
func (s *Simulator) Unknown(recipient string) {
	s.mu.Lock()
	s.unknown[recipient] = true
	s.mu.Unlock()
}

// FailNext makes the next n sends fail as if the provider were down.
func (s *Simulator) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// ErrDown is the simulator's answer while it is down.
var ErrDown = errors.New("messages: provider unavailable")

// Send records m once per key.
func (s *Simulator) Send(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.unknown[m.Recipient] {
		return "", fmt.Errorf("%w: %s: no such recipient", ErrPermanent, s.Channel)
	}
	if s.failNext > 0 {
		s.failNext--
		return "", ErrDown
	}
	if _, ok := s.sent[m.Key]; !ok {
		s.sent[m.Key] = m
		s.order = append(s.order, m.Key)
		close(s.changed)
		s.changed = make(chan struct{})
		if s.Echo != nil {
			s.Echo(m)
		}
	}
	return fmt.Sprintf("%s-%d", s.Channel, len(s.order)), nil
}

// Sent returns what reached people, in the order it first did.
func (s *Simulator) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.order))
	for i, k := range s.order {
		out[i] = s.sent[k]
	}
	return out
}

// WaitFor returns the first message sent that ok accepts, waiting for it
// until ctx ends.
func (s *Simulator) WaitFor(ctx context.Context, ok func(Message) bool) (Message, error) {
	for {
		s.mu.Lock()
		for _, k := range s.order {
			if m := s.sent[k]; ok(m) {
				s.mu.Unlock()
				return m, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Calls counts every Send, failed or repeated ones too.
func (s *Simulator) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}
