// Package kiosk is the logic of a self-service pickup kiosk over the
// device's cache (package edge/cache): find an order's tickets by pickup
// code or order QR, print them through a TicketPrinter, and record each
// print (or print failure) with its outbox fact in one durable
// transaction. It works offline: the tickets were cached from the venue
// feed (ARCHITECTURE.md rule 2). The printer's bytes are not its job: a
// TicketPrinter returns nil only once the ticket is printed.
package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/sync"
)

// Errors carry plain messages a person at the kiosk can read (the screen
// capitalises them).
var (
	ErrInvalidCode    = errors.New("not a pickup code: a pickup code has 8 letters and digits")
	ErrNotFound       = errors.New("no tickets found for this code: please check it or ask at the box office")
	ErrWrongVenue     = errors.New("this order is for another venue")
	ErrRefunded       = errors.New("this ticket was refunded or replaced and cannot be printed")
	ErrAlreadyPrinted = errors.New("this ticket has already been printed: please ask staff for a reprint")
)

// PickupAlphabet is the alphabet of pickup codes (no 0/O, 1/I/L, 5/S, 2/Z,
// 8/B), as issued by the cloud.
const PickupAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// PickupCodeLen is the length of a pickup code.
const PickupCodeLen = 8

// orderQRPrefix starts an order QR: "AO1:<venue code>:<pickup code>".
const orderQRPrefix = "AO1:"

// NormalizePickupCode upper-cases a typed code and removes spaces and
// dashes; it reports false when the result cannot be a pickup code.
func NormalizePickupCode(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) != PickupCodeLen {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(PickupAlphabet, s[i]) < 0 {
			return "", false
		}
	}
	return s, true
}

// Kiosk serves pickups from a cache.
type Kiosk struct {
	Cache *cache.Cache
	Now   func() time.Time
	// Location is the venue's time zone, in which tickets print the
	// session time; nil prints it in UTC.
	Location *time.Location

	printMu gosync.Mutex // one print at a time: check, print and record
}

// Item is one ticket of an order as the kiosk shows it.
type Item struct {
	cache.Ticket
	Printed  int  // times printed at this kiosk
	Refunded bool // revoked: will not print
}

func (k *Kiosk) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// Lookup finds the tickets of a pickup code (8 characters, any case,
// spaces and dashes ignored) or of a scanned order QR
// ("AO1:<venue>:<code>").
func (k *Kiosk) Lookup(codeOrQR string) ([]Item, error) {
	s := strings.TrimRight(codeOrQR, "\r\n")
	if rest, ok := strings.CutPrefix(s, orderQRPrefix); ok {
		venue, c, ok := strings.Cut(rest, ":")
		if !ok {
			return nil, ErrInvalidCode
		}
		if v := k.Cache.Venue(); v != "" && venue != v {
			return nil, ErrWrongVenue
		}
		s = c
	}
	code, ok := NormalizePickupCode(s)
	if !ok {
		return nil, ErrInvalidCode
	}
	var items []Item
	err := k.Cache.View(func(tx *cache.Tx) error {
		tickets, err := tx.Pickup(code)
		if err != nil {
			return err
		}
		for _, t := range tickets {
			it := Item{Ticket: t}
			if it.Printed, err = tx.Printed(t.Number); err != nil {
				return err
			}
			if _, it.Refunded, err = tx.Revocation(t.Number); err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kiosk: lookup: %w", err)
	}
	if len(items) == 0 {
		return nil, ErrNotFound
	}
	return items, nil
}

// Print records that a ticket was printed, with its FactPrint, in one
// durable transaction. A refunded ticket is refused (ErrRefunded); so is
// a second print (ErrAlreadyPrinted) unless reprint is set and someone
// (authorisedBy) authorised it.
func (k *Kiosk) Print(number string, reprint bool, authorisedBy string) (sync.Fact, error) {
	var f sync.Fact
	err := k.Cache.Update(func(tx *cache.Tx) error {
		var err error
		f, err = k.markPrinted(tx, number, reprint, authorisedBy)
		return err
	})
	if err != nil {
		return sync.Fact{}, err
	}
	return f, nil
}

// markPrinted records in tx that a ticket was printed, with its FactPrint,
// if the print rules let it print.
func (k *Kiosk) markPrinted(tx *cache.Tx, number string, reprint bool, authorisedBy string) (sync.Fact, error) {
	authorisedBy = strings.TrimSpace(authorisedBy)
	if _, err := printable(tx, number, reprint, authorisedBy); err != nil {
		return sync.Fact{}, err
	}
	n, err := tx.Printed(number)
	if err != nil {
		return sync.Fact{}, err
	}
	pf := sync.PrintFact{Number: number}
	if n > 0 {
		pf.Reprint, pf.AuthorisedBy = true, authorisedBy
	}
	if _, err := tx.MarkPrinted(number); err != nil {
		return sync.Fact{}, err
	}
	return tx.Append(sync.FactPrint, pf, k.now())
}

// PrintFailed records that printing a ticket failed (FactPrintFailure); the
// ticket is not marked printed, so it can be printed again.
func (k *Kiosk) PrintFailed(number, errText string) (sync.Fact, error) {
	var f sync.Fact
	err := k.Cache.Update(func(tx *cache.Tx) error {
		var err error
		f, err = tx.Append(sync.FactPrintFailure, sync.PrintFact{Number: number, Error: errText}, k.now())
		return err
	})
	return f, err
}

// Printable is everything a printed ticket shows, from the cache.
type Printable struct {
	Ticket    cache.Ticket
	Session   sync.SessionData // venue name, event, hall, start
	VenueCode string
	Location  *time.Location
}

// TicketPrinter prints one ticket. It returns nil only when the printer
// reported the ticket printed; an error that has a PrinterProblem method
// says what is wrong in a few plain words ("out of paper").
type TicketPrinter interface {
	PrintTicket(ctx context.Context, t Printable) error
}

// PrintError is a ticket that did not print. The ticket stays unprinted
// and a FactPrintFailure was recorded, so a retry prints it.
type PrintError struct {
	Number  string
	Problem string // plain words: "out of paper", "cover open", ...
	Err     error
}

func (e *PrintError) Error() string {
	return fmt.Sprintf("ticket %s was not printed: %s", e.Number, e.Problem)
}

func (e *PrintError) Unwrap() error { return e.Err }

// PrintTicket prints a ticket on p and records it printed, with its
// FactPrint; the rules are Print's (refunded and already printed tickets
// are refused before anything reaches the printer). When the printer
// fails the ticket stays unprinted, a FactPrintFailure records why, and
// the error is a *PrintError saying it in plain words.
func (k *Kiosk) PrintTicket(ctx context.Context, number string, reprint bool, authorisedBy string, p TicketPrinter) (sync.Fact, error) {
	k.printMu.Lock()
	defer k.printMu.Unlock()
	var t Printable
	err := k.Cache.View(func(tx *cache.Tx) error {
		tk, s, err := printableWithSession(tx, number, reprint, authorisedBy)
		if err != nil {
			return err
		}
		t = Printable{Ticket: tk, Session: s, VenueCode: k.Cache.Venue(), Location: k.Location}
		return nil
	})
	if err != nil {
		return sync.Fact{}, err
	}
	if t.Location == nil {
		t.Location = time.UTC
	}
	if err := k.printOn(ctx, p, t, number); err != nil {
		return sync.Fact{}, err
	}
	return k.Print(number, reprint, authorisedBy)
}

// printOn prints t on p; when the printer fails it records a
// FactPrintFailure for number and returns a *PrintError in plain words.
func (k *Kiosk) printOn(ctx context.Context, p TicketPrinter, t Printable, number string) error {
	err := p.PrintTicket(ctx, t)
	if err == nil {
		return nil
	}
	problem := "printer error"
	var pp interface{ PrinterProblem() string }
	if errors.As(err, &pp) && pp.PrinterProblem() != "" {
		problem = pp.PrinterProblem()
	}
	if _, ferr := k.PrintFailed(number, problem); ferr != nil {
		return errors.Join(err, fmt.Errorf("kiosk: record the print failure: %w", ferr))
	}
	return &PrintError{Number: t.Ticket.Number, Problem: problem, Err: err}
}

// printableWithSession is printable's ticket with its cached session.
func printableWithSession(tx *cache.Tx, number string, reprint bool, authorisedBy string) (cache.Ticket, sync.SessionData, error) {
	tk, err := printable(tx, number, reprint, authorisedBy)
	if err != nil {
		return cache.Ticket{}, sync.SessionData{}, err
	}
	s, ok, err := tx.Session(tk.SessionID)
	if err != nil {
		return cache.Ticket{}, sync.SessionData{}, err
	}
	if !ok {
		return cache.Ticket{}, sync.SessionData{}, fmt.Errorf("kiosk: session %d of ticket %s is not cached", tk.SessionID, number)
	}
	return tk, s, nil
}

// printable returns the cached ticket if the print rules let it print:
// it is cached, not revoked, and not printed before unless this is an
// authorised reprint.
func printable(tx *cache.Tx, number string, reprint bool, authorisedBy string) (cache.Ticket, error) {
	tk, ok, err := tx.Ticket(number)
	if err != nil {
		return cache.Ticket{}, err
	}
	if !ok {
		return cache.Ticket{}, ErrNotFound
	}
	if _, revoked, err := tx.Revocation(number); err != nil {
		return cache.Ticket{}, err
	} else if revoked {
		return cache.Ticket{}, ErrRefunded
	}
	n, err := tx.Printed(number)
	if err != nil {
		return cache.Ticket{}, err
	}
	if n > 0 && (!reprint || strings.TrimSpace(authorisedBy) == "") {
		return cache.Ticket{}, ErrAlreadyPrinted
	}
	return tk, nil
}
