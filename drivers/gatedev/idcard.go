package gatedev

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/transport"
)

// IDCardReader reads resident ID cards from a reader the gate polls (the
// GA 467 "SAM" protocol): find a card, select it, read its text. It sends
// each card's 18-character number once per placing: the reader's module
// does not find a card it has just read until it is lifted. The name and
// the rest of the text never leave this type.
type IDCardReader struct{ l *link }

// NewIDCardReader returns a reader polling as p says, reached through rc.
// rc.Silence is not used: the reader answers every poll, and a command
// unanswered within p.Answer is taken as a dead port and reopened.
func NewIDCardReader(p profile.IDCard, rc Reconnect) (*IDCardReader, error) {
	if p.Protocol != "sam" {
		return nil, fmt.Errorf("gatedev: idcard protocol %q is not sam", p.Protocol)
	}
	if p.Poll <= 0 || p.Answer <= 0 {
		return nil, fmt.Errorf("gatedev: idcard poll %v, answer %v", p.Poll, p.Answer)
	}
	rc.Silence = 0
	now, after := rc.Now, rc.After
	if now == nil {
		now = time.Now
	}
	if after == nil {
		after = time.After
	}
	l, err := newLink("idcard", rc, func(ctx context.Context, port transport.Port) (decoder, error) {
		return &samPoller{ctx: ctx, port: port, r: frame.NewSAMReader(port), p: p, now: now, after: after}, nil
	})
	if err != nil {
		return nil, err
	}
	return &IDCardReader{l}, nil
}

// Run sends the number of each ID card placed on the reader to out until
// ctx is done, reopening the port whenever it fails or stops answering,
// and returns ctx.Err(). Garbled answers and unreadable cards are counted
// in State.
func (r *IDCardReader) Run(ctx context.Context, out chan<- string) error { return r.l.run(ctx, out) }

// State is safe to call while Run runs.
func (r *IDCardReader) State() DeviceState { return r.l.State() }

// samPoller is one connection's poll loop.
type samPoller struct {
	ctx   context.Context
	port  transport.Port
	r     *frame.SAMReader
	p     profile.IDCard
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	bad   int // garbled answers and cards whose text did not parse
}

func (s *samPoller) dropped() int { return s.bad }

// next polls until a card is read; an error is a port that failed or
// stopped answering.
func (s *samPoller) next() (string, error) {
	for {
		number, err := s.read()
		if err != nil || number != "" {
			return number, err
		}
		select {
		case <-s.ctx.Done():
			return "", s.ctx.Err()
		case <-s.after(s.p.Poll):
		}
	}
}

// read finds, selects and reads a card: its number, or "" when there is
// none (or it moved away, or its answer was garbled: the next poll finds
// it again).
func (s *samPoller) read() (string, error) {
	for _, cmd := range [][2]byte{frame.SAMFind, frame.SAMSelect, frame.SAMRead} {
		resp, ok, err := s.exchange(cmd)
		if err != nil || !ok {
			return "", err
		}
		switch {
		case cmd == frame.SAMFind && resp.SW3 != frame.SAMFound,
			cmd != frame.SAMFind && resp.SW3 != frame.SAMOK:
			return "", nil
		case cmd == frame.SAMRead:
			card, err := frame.ParseSAMBaseInfo(resp.Data)
			if err != nil || !plausibleNumber(card.Number) {
				s.bad++
				return "", nil
			}
			return card.Number, nil
		}
	}
	return "", nil
}

// exchange sends one command and reads its answer; ok is false when the
// answer was garbled.
func (s *samPoller) exchange(cmd [2]byte) (frame.SAMResponse, bool, error) {
	if _, err := s.port.Write(frame.EncodeSAM(cmd[:])); err != nil {
		return frame.SAMResponse{}, false, fmt.Errorf("write command %x: %w", cmd, err)
	}
	if err := s.port.SetReadDeadline(s.now().Add(s.p.Answer)); err != nil {
		return frame.SAMResponse{}, false, fmt.Errorf("set read deadline: %w", err)
	}
	payload, err := s.r.Next()
	if errors.Is(err, frame.ErrSAMFrame) {
		s.bad++
		return frame.SAMResponse{}, false, nil
	}
	if err != nil {
		return frame.SAMResponse{}, false, fmt.Errorf("answer to %x: %w", cmd, err)
	}
	resp, err := frame.ParseSAMResponse(payload)
	if err != nil {
		s.bad++
		return frame.SAMResponse{}, false, nil
	}
	return resp, true, nil
}

// plausibleNumber is the shape of an 18-character ID number; its check
// digit is the gate's to check, with the rest of the document rules.
func plausibleNumber(n string) bool {
	if len(n) != 18 {
		return false
	}
	for i, c := range n {
		if (c < '0' || c > '9') && !(i == 17 && c == 'X') {
			return false
		}
	}
	return true
}
