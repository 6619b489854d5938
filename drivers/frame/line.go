package frame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// LineConfig describes how a serial QR or barcode scanner frames a code.
type LineConfig struct {
	// Prefix, if not empty, starts every code; bytes before it are noise.
	Prefix []byte
	// Terminator ends every code (the scanner's suffix, often "\r" or
	// "\r\n"). It must not be empty.
	Terminator []byte
	// MaxLen is the longest code accepted, in bytes, prefix and
	// terminator excluded. It must be at least 1.
	MaxLen int
}

// LineStats counts what a [LineReader] has returned and dropped.
type LineStats struct {
	Lines     int // codes returned
	Noise     int // bytes dropped outside any code: before a prefix, or blank lines
	Oversized int // codes dropped for being longer than MaxLen
	Garbage   int // codes dropped for holding a byte outside 0x20..0x7E
}

// LineReader reads scanned codes from a scanner's byte stream.
//
// A code is the bytes after the prefix (if one is configured) up to the
// first terminator. It is returned as is: QR ticket payloads are Base45
// text, in which spaces are significant, so nothing is trimmed. A code
// longer than MaxLen is dropped up to its terminator, never truncated; a
// code holding a byte outside printable ASCII (0x20..0x7E) is dropped; an
// empty code is dropped as noise. When a prefix is configured, every byte
// that does not belong to a prefix while one is awaited is noise, including
// the terminators of lines without a prefix.
type LineReader struct {
	br     *bufio.Reader
	prefix []byte
	term   []byte
	max    int

	inLine bool   // a prefix has been read (always true without a prefix)
	pend   []byte // the partial prefix read so far while awaiting a prefix
	line   []byte // the code read so far and maybe part of its terminator
	over   bool   // the code has exceeded max; line holds only a possible terminator start

	done  error // io.EOF once the end of the stream has been reported
	stats LineStats
}

// NewLineReader returns a LineReader decoding r as cfg describes.
func NewLineReader(r io.Reader, cfg LineConfig) (*LineReader, error) {
	if len(cfg.Terminator) == 0 {
		return nil, fmt.Errorf("%w: scanner line terminator is empty", ErrConfig)
	}
	if cfg.MaxLen < 1 {
		return nil, fmt.Errorf("%w: scanner line MaxLen %d is below 1", ErrConfig, cfg.MaxLen)
	}
	l := &LineReader{
		br:     bufio.NewReader(r),
		prefix: bytes.Clone(cfg.Prefix),
		term:   bytes.Clone(cfg.Terminator),
		max:    cfg.MaxLen,
	}
	l.inLine = len(l.prefix) == 0
	return l, nil
}

// Stats returns the counts so far.
func (l *LineReader) Stats() LineStats { return l.stats }

// Next returns the next valid code, without prefix and terminator. At the
// end of the stream it returns io.ErrUnexpectedEOF if a code was cut off,
// then io.EOF.
func (l *LineReader) Next() (string, error) {
	if l.done != nil {
		return "", l.done
	}
	for {
		b, err := l.br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", l.end()
			}
			return "", fmt.Errorf("frame: reading a scanner line: %w", err)
		}
		if code, ok := l.feed(b); ok {
			return code, nil
		}
	}
}

// feed takes one byte and reports a complete valid code.
func (l *LineReader) feed(b byte) (string, bool) {
	if !l.inLine {
		l.pend = append(l.pend, b)
		// Drop bytes from the front until what is left may still grow
		// into the prefix, so that "]]Q1" finds the prefix "]Q1".
		for len(l.pend) > 0 && !bytes.HasPrefix(l.prefix, l.pend) {
			copy(l.pend, l.pend[1:])
			l.pend = l.pend[:len(l.pend)-1]
			l.stats.Noise++
		}
		if len(l.pend) == len(l.prefix) {
			l.pend = l.pend[:0]
			l.inLine = true
		}
		return "", false
	}
	l.line = append(l.line, b)
	if b == l.term[len(l.term)-1] && bytes.HasSuffix(l.line, l.term) {
		code, ok := l.judge(l.line[:len(l.line)-len(l.term)])
		l.line = l.line[:0]
		l.over = false
		l.inLine = len(l.prefix) == 0
		return code, ok
	}
	// The first terminator can overlap at most the last len(term)-1 bytes,
	// so once max+len(term) bytes hold none, the code is longer than max.
	// Keep only what may start the terminator, to bound memory.
	if l.over || len(l.line) >= l.max+len(l.term) {
		l.over = true
		if keep := len(l.term) - 1; len(l.line) > keep {
			copy(l.line, l.line[len(l.line)-keep:])
			l.line = l.line[:keep]
		}
	}
	return "", false
}

// judge counts a terminated code and reports whether it is returned.
func (l *LineReader) judge(code []byte) (string, bool) {
	switch {
	case l.over:
		l.stats.Oversized++
		return "", false
	case len(code) == 0:
		l.stats.Noise += len(l.prefix) + len(l.term)
		return "", false
	case !printable(code):
		l.stats.Garbage++
		return "", false
	}
	l.stats.Lines++
	return string(code), true
}

// end reports the end of the stream once: a partial prefix is noise, a
// started code is cut off.
func (l *LineReader) end() error {
	l.done = io.EOF
	l.stats.Noise += len(l.pend)
	cut := len(l.line) > 0 || l.over || (len(l.prefix) > 0 && l.inLine)
	l.pend, l.line = nil, nil
	if cut {
		return io.ErrUnexpectedEOF
	}
	return io.EOF
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
