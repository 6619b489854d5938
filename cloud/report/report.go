// Package report is the cloud's side of the national data platform
// (cloud-ticketing-requirements §9): what a communication with the
// platform is and how it ends. The wire contract is in report/wire; the
// HTTPS client in report/platform.
//
// A communication is one message sent until the platform answers, at
// most Policy.Sends times (§9.1.2: the receiver answers within 60 s, the
// sender resends on silence, and after three sends without an answer the
// communication has failed). An answer ends it: success (a duplicate is a
// success: the first copy's answer was lost), or a refusal with the
// platform's reason, which sending again would not change.
package report

import (
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
)

// Policy bounds a communication. Every limit is configuration, so tests
// use short ones.
type Policy struct {
	Sends   int           // sends per communication; §9.1.2: 3
	Timeout time.Duration // wait for an answer; §9.1.2: 60 s
	Pause   time.Duration // between sends of one communication
}

// DefaultPolicy is the rule's.
var DefaultPolicy = Policy{Sends: 3, Timeout: 60 * time.Second, Pause: 250 * time.Millisecond}

// Outcome is how a communication ended.
type Outcome int

const (
	// Delivered: the platform stored the message (now, or on an earlier
	// send whose answer was lost).
	Delivered Outcome = iota + 1
	// Refused: the platform answered no, with its reason.
	Refused
	// Failed: no answer after every send; the message is sent again in a
	// later communication, and an alert is raised.
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Refused:
		return "refused"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Result is a communication's end.
type Result struct {
	Outcome Outcome
	Answer  wire.Answer // the platform's, when it answered
	Sends   int
	Err     error // the last send's problem, when it failed
}

// Retriable says whether an answer, though a refusal, is the platform
// being unable rather than unwilling: the communication goes on.
func Retriable(a wire.Answer) bool { return !a.OK && a.Code == wire.CodeUnavailable }
