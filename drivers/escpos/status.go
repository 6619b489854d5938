package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// The n of DLE EOT n (Transmit real-time status).
const (
	StatusPrinter byte = 1 // printer status
	StatusOffline byte = 2 // offline cause status
	StatusError   byte = 3 // error cause status
	StatusPaper   byte = 4 // roll paper sensor status
)

// ErrMalformedStatus is wrapped by the error ParseStatus returns for a byte
// that cannot be a DLE EOT response.
var ErrMalformedStatus = errors.New("malformed status byte")

// StatusRequest returns DLE EOT n (10 04 n), which the printer answers with
// one status byte at once, even while offline or with its buffer full. It
// panics unless n is StatusPrinter, StatusOffline, StatusError or
// StatusPaper: callers pass those constants.
func StatusRequest(n byte) []byte {
	if n < StatusPrinter || n > StatusPaper {
		panic(fmt.Sprintf("escpos: StatusRequest(%d): n must be 1..4", n))
	}
	return []byte{dle, eot, n}
}

// Status is what one or more DLE EOT responses say about the printer.
type Status struct {
	// Online is false when the response reports the printer offline (n = 1)
	// or reports a condition that stops printing: cover open, paper being
	// fed by the button, paper end, or an error (n = 2, 3, 4).
	Online       bool
	CoverOpen    bool
	PaperEnd     bool
	PaperNearEnd bool // still printing, but the roll needs replacing soon
	Error        bool // an error has stopped the printer
	// Detail lists everything the response reported, for logs.
	Detail string

	conds condition
}

// condition is every bit ParseStatus decodes; Problem and Merge use it.
type condition uint16

const (
	condOffline condition = 1 << iota
	condDrawerHigh
	condWaitingRecovery
	condFeedButton
	condCoverOpen
	condFeeding
	condPaperEndStop
	condError
	condCutter
	condUnrecoverable
	condAutoRecoverable
	condNearEnd
	condPaperEnd
)

var conditionDetail = []struct {
	c    condition
	text string
}{
	{condOffline, "offline"},
	{condDrawerHigh, "drawer kick connector pin 3 high"},
	{condWaitingRecovery, "waiting for online recovery"},
	{condFeedButton, "paper feed button pressed"},
	{condCoverOpen, "cover open"},
	{condFeeding, "paper being fed by the feed button"},
	{condPaperEndStop, "printing stopped at paper end"},
	{condError, "error occurred"},
	{condCutter, "autocutter error"},
	{condUnrecoverable, "unrecoverable error"},
	{condAutoRecoverable, "auto-recoverable error (e.g. print head overheated)"},
	{condNearEnd, "roll paper near end"},
	{condPaperEnd, "roll paper end"},
}

// statusBits maps, for each n, response bits to the conditions they report
// (Epson ESC/POS reference, DLE EOT). Bits not listed are undefined or
// model-specific and are ignored.
var statusBits = [5][8]condition{
	StatusPrinter: {2: condDrawerHigh, 3: condOffline, 5: condWaitingRecovery, 6: condFeedButton},
	StatusOffline: {2: condCoverOpen, 3: condFeeding, 5: condPaperEndStop, 6: condError},
	StatusError:   {3: condCutter, 5: condUnrecoverable, 6: condAutoRecoverable},
	// Models with one near-end (or end) sensor set both bits of a pair,
	// models with two set one each; either bit reports the condition.
	StatusPaper: {2: condNearEnd, 3: condNearEnd, 5: condPaperEnd, 6: condPaperEnd},
}

// Every DLE EOT response has bit 1 and bit 4 set and bits 0 and 7 clear,
// which is how a host tells it from other data the printer sends.
const (
	fixedMask = 0x93
	fixedBits = 0x12
)

// stopsPrinting are the conditions under which the printer does not print.
const stopsPrinting = condOffline | condCoverOpen | condFeeding | condPaperEndStop | condError |
	condCutter | condUnrecoverable | condAutoRecoverable | condPaperEnd

// ParseStatus decodes b, the printer's answer to StatusRequest(n). It
// returns an error wrapping ErrInvalidArgument for n outside 1..4 and one
// wrapping ErrMalformedStatus when b's fixed bits are wrong.
func ParseStatus(n byte, b byte) (Status, error) {
	if n < StatusPrinter || n > StatusPaper {
		return Status{}, fmt.Errorf("escpos: ParseStatus: DLE EOT %d is not a status request (1..4): %w", n, ErrInvalidArgument)
	}
	if b&fixedMask != fixedBits {
		return Status{}, fmt.Errorf("escpos: ParseStatus: DLE EOT %d response %#02x has bits 1,4 not set or 0,7 not clear: %w", n, b, ErrMalformedStatus)
	}
	var c condition
	for bit, cond := range statusBits[n] {
		if cond != 0 && b&(1<<bit) != 0 {
			c |= cond
		}
	}
	return statusOf(c), nil
}

func statusOf(c condition) Status {
	s := Status{
		Online:       c&stopsPrinting == 0,
		CoverOpen:    c&condCoverOpen != 0,
		PaperEnd:     c&(condPaperEnd|condPaperEndStop) != 0,
		PaperNearEnd: c&condNearEnd != 0,
		Error:        c&(condError|condCutter|condUnrecoverable|condAutoRecoverable) != 0,
		conds:        c,
	}
	var parts []string
	for _, d := range conditionDetail {
		if c&d.c != 0 {
			parts = append(parts, d.text)
		}
	}
	s.Detail = strings.Join(parts, "; ")
	return s
}

// Merge combines the statuses of several DLE EOT responses (typically n = 1
// to 4 in turn) into one.
func (s Status) Merge(o Status) Status { return statusOf(s.conds | o.conds) }

// Problem returns the most urgent thing wrong, in words a kiosk can show,
// or "" when the printer is ready and the roll is not running out.
func (s Status) Problem() string {
	c := s.conds
	switch {
	case c&condUnrecoverable != 0:
		return "printer fault, call staff"
	case c&condCoverOpen != 0:
		return "cover open"
	case c&(condPaperEnd|condPaperEndStop) != 0:
		return "out of paper"
	case c&condCutter != 0:
		return "paper jammed in the cutter"
	case c&condAutoRecoverable != 0:
		return "printer cooling down"
	case c&condError != 0:
		return "printer error"
	case c&(condFeeding|condFeedButton) != 0:
		return "feeding paper"
	case c&condOffline != 0:
		return "printer offline"
	case c&condNearEnd != 0:
		return "paper running low"
	}
	return ""
}
