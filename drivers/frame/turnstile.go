package frame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// TurnstileConfig holds the byte sequences of a turnstile controller: the
// commands the gate sends (OpenIn, OpenOut, Status) and the responses it
// recognises (PassageIn, PassageOut, Alarm, OK). A response the model does
// not have is left empty.
type TurnstileConfig struct {
	OpenIn, OpenOut, Status          []byte
	PassageIn, PassageOut, Alarm, OK []byte
}

// TurnstileEvent is a response recognised by a [TurnstileDecoder].
type TurnstileEvent int

// The zero TurnstileEvent is Unknown, so an event that was never decoded
// is never taken for a passage.
const (
	Unknown    TurnstileEvent = iota // no event; returned only with an error
	PassageIn                        // someone passed in
	PassageOut                       // someone passed out
	Alarm                            // forced entry, tailgating or another fault
	OK                               // a command was accepted
)

func (e TurnstileEvent) String() string {
	switch e {
	case PassageIn:
		return "passage-in"
	case PassageOut:
		return "passage-out"
	case Alarm:
		return "alarm"
	case OK:
		return "ok"
	}
	return "unknown"
}

// TurnstileStats counts what a [TurnstileDecoder] has returned and skipped.
type TurnstileStats struct {
	Events  int // responses returned
	Unknown int // bytes skipped as belonging to no response
}

// TurnstileDecoder recognises a turnstile controller's responses in its
// byte stream. A response may arrive split over several reads. A byte
// that cannot start or continue a response is skipped on its own, and the
// bytes after it are searched again, so a response right after a stray
// byte is still found.
type TurnstileDecoder struct {
	br    *bufio.Reader
	resp  []response
	win   []byte // bytes read that are a proper prefix of some response
	eof   bool   // the stream has ended; win is all that is left
	cut   bool   // the stream ended inside a response
	done  error
	stats TurnstileStats
}

type response struct {
	event TurnstileEvent
	seq   []byte
}

// NewTurnstileDecoder returns a TurnstileDecoder decoding r as cfg
// describes. No response may be a prefix of another (nor equal to it),
// since the decoder could then not tell them apart without waiting for
// bytes that may never come.
func NewTurnstileDecoder(r io.Reader, cfg TurnstileConfig) (*TurnstileDecoder, error) {
	var resp []response
	for _, c := range []response{
		{PassageIn, cfg.PassageIn},
		{PassageOut, cfg.PassageOut},
		{Alarm, cfg.Alarm},
		{OK, cfg.OK},
	} {
		if len(c.seq) == 0 {
			continue
		}
		for _, o := range resp {
			if bytes.HasPrefix(c.seq, o.seq) || bytes.HasPrefix(o.seq, c.seq) {
				return nil, fmt.Errorf("%w: turnstile responses %v (% X) and %v (% X) overlap: one is a prefix of the other",
					ErrConfig, o.event, o.seq, c.event, c.seq)
			}
		}
		resp = append(resp, response{c.event, bytes.Clone(c.seq)})
	}
	if len(resp) == 0 {
		return nil, fmt.Errorf("%w: no turnstile response is configured", ErrConfig)
	}
	return &TurnstileDecoder{br: bufio.NewReader(r), resp: resp}, nil
}

// Stats returns the counts so far.
func (d *TurnstileDecoder) Stats() TurnstileStats { return d.stats }

// Next returns the next response recognised. At the end of the stream it
// returns io.ErrUnexpectedEOF if the stream stopped inside a response (its
// bytes are counted as Unknown), then io.EOF.
func (d *TurnstileDecoder) Next() (TurnstileEvent, error) {
	if d.done != nil {
		return Unknown, d.done
	}
	// A response matched after skipped bytes may have left a whole
	// response behind it: return that before waiting for more bytes.
	if ev, ok := d.resolve(false); ok {
		return ev, nil
	}
	for !d.eof {
		b, err := d.br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				d.eof, d.cut = true, len(d.win) > 0
				break
			}
			return Unknown, fmt.Errorf("frame: reading a turnstile response: %w", err)
		}
		d.win = append(d.win, b)
		if ev, ok := d.resolve(false); ok {
			return ev, nil
		}
	}
	// A response may still follow a byte skipped now that none can
	// complete the bytes left.
	if ev, ok := d.resolve(true); ok {
		return ev, nil
	}
	d.done = io.EOF
	if d.cut {
		return Unknown, io.ErrUnexpectedEOF
	}
	return Unknown, io.EOF
}

// resolve returns a response that d.win starts with, after skipping the
// bytes that start none. It leaves in d.win a proper prefix of a response
// to wait for, unless the stream has ended.
func (d *TurnstileDecoder) resolve(ended bool) (TurnstileEvent, bool) {
	for len(d.win) > 0 {
		partial := false
		for _, r := range d.resp {
			if bytes.HasPrefix(d.win, r.seq) {
				d.win = d.win[:copy(d.win, d.win[len(r.seq):])]
				d.stats.Events++
				return r.event, true
			}
			partial = partial || bytes.HasPrefix(r.seq, d.win)
		}
		if partial && !ended {
			return Unknown, false
		}
		d.win = d.win[:copy(d.win, d.win[1:])]
		d.stats.Unknown++
	}
	return Unknown, false
}
