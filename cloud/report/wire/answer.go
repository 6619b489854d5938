package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Answer is the receiver's reply to every message (§9.2: "返回接收成功或是失败报文").
type Answer struct {
	OK     bool   `json:"ok"`
	Code   string `json:"code"` // "ok", or why not: see the Code constants
	Reason string `json:"reason,omitempty"`
	Serial string `json:"serial,omitempty"` // the message answered
	// Duplicate: the serial was received before; this copy was not stored
	// again. A sender that lost the first answer treats it as success.
	Duplicate bool `json:"duplicate,omitempty"`
	// Data is a download's payload (films, cinemas) or a query's result.
	Data json.RawMessage `json:"data,omitempty"`
}

// Answer codes.
const (
	CodeOK            = "ok"
	CodeMalformed     = "malformed"      // not a message
	CodeUnknownSystem = "unknown_system" // no such system, or the certificate is another's
	CodeSignature     = "bad_signature"
	CodeField         = "bad_field" // a body field is missing or wrong: Reason says which
	CodeUnknownCinema = "unknown_cinema"
	CodeUnavailable   = "unavailable"
	// A review's answers (§9.2.7–9.2.8): no such application, or it was
	// decided otherwise already.
	CodeUnknownApplication = "unknown_application"
	CodeDecided            = "decided"
)

// Failed is a failure answer to a message.
func Failed(serial, code, reason string) Answer {
	return Answer{Code: code, Reason: reason, Serial: serial}
}

// Received is the success answer.
func Received(serial string, duplicate bool) Answer {
	return Answer{OK: true, Code: CodeOK, Serial: serial, Duplicate: duplicate}
}

// ReadAnswer reads a receiver's answer: anything that is not a well-formed
// answer is an error, never a success.
func ReadAnswer(b []byte) (Answer, error) {
	var a Answer
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&a); err != nil {
		return Answer{}, fmt.Errorf("wire: the answer is not JSON: %w", err)
	}
	if d.More() {
		return Answer{}, fmt.Errorf("wire: data after the answer")
	}
	switch {
	case a.Code == "":
		return Answer{}, fmt.Errorf("wire: the answer has no code")
	case a.OK != (a.Code == CodeOK):
		return Answer{}, fmt.Errorf("wire: the answer says ok=%v with code %q", a.OK, a.Code)
	}
	return a, nil
}

// FieldError is a body field that is missing or wrong.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
