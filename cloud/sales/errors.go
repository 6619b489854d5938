package sales

import (
	"errors"
	"fmt"
)

// Kind classifies an error so adapters (HTTP, CLI) can answer it without
// inspecting messages. Each kind maps to one stable API error code.
type Kind string

const (
	KindInvalid         Kind = "invalid"          // the request is wrong; fixing it is up to the caller
	KindNotFound        Kind = "not_found"        // missing, or outside the caller's tenant/venues (§5.3.1)
	KindConflict        Kind = "conflict"         // the state of the world forbids it now (seat taken, hold expired)
	KindForbidden       Kind = "forbidden"        // the caller's role may not do this
	KindUnauthenticated Kind = "unauthenticated"  // no or bad credentials
	KindLocked          Kind = "locked"           // account locked after repeated failures
	KindPayment         Kind = "payment_declined" // the provider declined or timed out
)

// Error is the one error type the service returns for anything a caller can
// act on. Code is stable and machine-readable; Message is for people.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	Seats   []SeatProblem
	err     error
}

// FieldError names one input field that is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// SeatProblem tells a buyer which seat they could not have and why.
type SeatProblem struct {
	SeatID int64  `json:"seat_id"`
	Label  string `json:"label,omitempty"`
	Reason string `json:"reason"`
}

func (e *Error) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.err }

// Is lets errors.Is match on kind: errors.Is(err, ErrNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is by kind.
var (
	ErrInvalid         = &Error{Kind: KindInvalid}
	ErrNotFound        = &Error{Kind: KindNotFound}
	ErrConflict        = &Error{Kind: KindConflict}
	ErrForbidden       = &Error{Kind: KindForbidden}
	ErrUnauthenticated = &Error{Kind: KindUnauthenticated}
)

func invalid(code, msg string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: msg, Fields: fields}
}

func notFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

func conflict(code, msg string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: msg}
}

func forbidden(msg string) *Error {
	return &Error{Kind: KindForbidden, Code: "forbidden", Message: msg}
}

// NotFound is exported for stores: they answer a missing row with it.
func NotFound(what string) error { return notFound(what) }

// Forbidden is exported for the domain packages beside sales (reporting…):
// the caller's role may not do this.
func Forbidden(msg string) error { return forbidden(msg) }

// Invalid is exported for the domain packages beside sales: the request
// itself is wrong.
func Invalid(code, msg string) error { return invalid(code, msg) }

// Conflict is exported for stores: a uniqueness or state violation.
func Conflict(code, msg string) error { return conflict(code, msg) }

// IsKind reports whether err is a service error of the given kind.
// IsCode reports whether err is a service error with that code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
