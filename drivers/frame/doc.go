// Package frame holds the byte-level codecs for gate devices: the lines a
// serial QR scanner sends ([LineReader]), the frames an RFID reader sends
// ([RFIDReader], [EncodeRFID]) and the responses of a turnstile controller
// ([TurnstileDecoder]). Relay boards' commands are templates of their
// firmware profile (profile.Template).
//
// The codecs are pure: a reader decodes whatever [io.Reader] it is given
// (a serial port, a pseudo-terminal, a TCP connection, a recording in a
// test) and never opens a port by name. Which bytes a model uses is data
// (a firmware profile fills in [LineConfig], [RFIDConfig],
// [TurnstileConfig]); nothing here knows a model.
//
// Gate devices sit on noisy lines: a reader powers up mid-frame, a cable
// is replugged, a scanner is configured with the wrong suffix. The readers
// therefore never fail on bad input. They drop what they cannot decode,
// count it in their Stats, and resynchronise, and they never return a
// truncated or corrupted code, because a wrong ticket code or card UID
// at a gate is worse than a missed one.
//
// Readers are not safe for concurrent use: call Stats from the goroutine
// that calls Next. A read error other than [io.EOF] is returned wrapped and
// the reader keeps its state, so Next can be called again after, say, a
// serial read timeout. At the end of the stream Next returns
// [io.ErrUnexpectedEOF] once if the stream stopped in the middle of a line,
// frame or response, and [io.EOF] from then on.
//
// This package must import only the standard library's byte, text and io
// packages: no serial, USB, network or third-party packages, so that it
// builds with CGO_ENABLED=0 for any gate and runs in simulators and tests.
package frame

import "errors"

var (
	// ErrConfig reports a configuration (a firmware profile's bytes) that
	// cannot be decoded or encoded unambiguously.
	ErrConfig = errors.New("frame: invalid configuration")
)
