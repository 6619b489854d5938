package sim

import (
	"bytes"
	"errors"
	"sync"

	"github.com/admitbox/admit/drivers/frame"
)

// IDCardReader is a simulated resident ID card reader speaking the GA 467
// "SAM" protocol: it answers find, select and read commands for the card
// placed on it. Like the real module, it does not find a card it has just
// read until the card is lifted and placed again. Its methods are safe
// for concurrent use.
type IDCardReader struct {
	*line

	mu     sync.Mutex
	card   *frame.IDCardText
	read   bool // the card placed has been read
	mute   bool // answers nothing, as a reader whose module hung
	garble int  // answers to garble (a bad checksum) before answering well
	reads  int
	onRead func(number string)
}

// OpenIDCardPTY starts an ID card reader on a new pseudo-terminal.
func OpenIDCardPTY() (*IDCardReader, error) {
	l, err := openLine()
	if err != nil {
		return nil, err
	}
	r := &IDCardReader{line: l}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		r.serve()
	}()
	return r, nil
}

// Place puts a card on the reader, replacing any card there.
func (r *IDCardReader) Place(card frame.IDCardText) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.card, r.read = &card, false
}

// Lift takes the card away.
func (r *IDCardReader) Lift() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.card, r.read = nil, false
}

// SetMute makes the reader stop answering, or answer again.
func (r *IDCardReader) SetMute(mute bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mute = mute
}

// Garble makes the next n answers arrive with a bad checksum.
func (r *IDCardReader) Garble(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.garble = n
}

// Reads counts the cards read.
func (r *IDCardReader) Reads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads
}

// OnRead has fn called with the number of each card read (the demo shows it).
func (r *IDCardReader) OnRead(fn func(number string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onRead = fn
}

func (r *IDCardReader) serve() {
	sr := frame.NewSAMReader(r.master)
	for {
		p, err := sr.Next()
		if errors.Is(err, frame.ErrSAMFrame) {
			continue
		}
		if err != nil {
			return
		}
		reply, fn, number := r.answer(p)
		if fn != nil {
			fn(number)
		}
		if reply != nil && r.send(reply) != nil {
			return
		}
	}
}

// answer is the reply to one command payload (nil: none).
func (r *IDCardReader) answer(p []byte) ([]byte, func(string), string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mute || len(p) < 2 {
		return nil, nil, ""
	}
	var (
		reply  []byte
		fn     func(string)
		number string
	)
	switch cmd := [2]byte{p[0], p[1]}; {
	case cmd == frame.SAMFind && r.card != nil && !r.read:
		reply = frame.EncodeSAMResponse(frame.SAMFound, nil)
	case cmd == frame.SAMFind:
		reply = frame.EncodeSAMResponse(frame.SAMNoCard, nil)
	case cmd == frame.SAMSelect && r.card != nil:
		reply = frame.EncodeSAMResponse(frame.SAMOK, nil)
	case cmd == frame.SAMSelect:
		reply = frame.EncodeSAMResponse(frame.SAMSelectFail, nil)
	case cmd == frame.SAMRead && r.card != nil:
		reply = frame.EncodeSAMResponse(frame.SAMOK, frame.EncodeSAMBaseInfo(*r.card, bytes.Repeat([]byte{0x57}, 1024)))
		if r.garble == 0 {
			r.read = true
			r.reads++
			fn, number = r.onRead, r.card.Number
		}
	case cmd == frame.SAMRead:
		reply = frame.EncodeSAMResponse(frame.SAMReadFail, nil)
	default:
		reply = frame.EncodeSAMResponse(0x21, nil) // unknown command
	}
	if r.garble > 0 {
		r.garble--
		reply[len(reply)-1] ^= 0xFF
	}
	return reply, fn, number
}
