package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/sync"
)

// ErrInvalidPass is a code that is not a genuine pass's.
var ErrInvalidPass = errors.New("not a pass code this venue can check")

// PassNumber is what a printed pass shows as its number.
func PassNumber(passID int64) string { return "PASS-" + strconv.FormatInt(passID, 10) }

// PrintPass prints a pass on p: one paper with the pass's one code,
// admitting at every session it covers. It shows the first of its
// sessions at this venue, its seat and the price of its parts here. The
// code must verify under the venue's keys and the pass must have tickets
// here that may print (none refunded, none printed before unless this is
// an authorised reprint). Its tickets here are then all recorded printed,
// each with its FactPrint, in one transaction: none prints again alone,
// and a refund asks for the paper back.
func (k *Kiosk) PrintPass(ctx context.Context, code string, reprint bool, authorisedBy string, p TicketPrinter) ([]sync.Fact, error) {
	k.printMu.Lock()
	defer k.printMu.Unlock()
	var (
		t       Printable
		numbers []string
	)
	err := k.Cache.View(func(tx *cache.Tx) error {
		keys, err := tx.PublicKeys()
		if err != nil {
			return err
		}
		pp, err := ticket.VerifyPass(code, keys)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidPass, err)
		}
		type part struct {
			tk cache.Ticket
			s  sync.SessionData
		}
		var parts []part
		for _, n := range tx.PassTickets(pp.PassID) {
			tk, s, err := printableWithSession(tx, n, reprint, authorisedBy)
			if err != nil {
				return err
			}
			parts = append(parts, part{tk, s})
		}
		if len(parts) == 0 {
			return ErrNotFound
		}
		slices.SortFunc(parts, func(a, b part) int { return a.s.StartsAt.Compare(b.s.StartsAt) })
		first := parts[0]
		var price int64
		for _, x := range parts {
			numbers = append(numbers, x.tk.Number)
			price += x.tk.PriceCents
		}
		tk := first.tk
		tk.Number, tk.QR, tk.PriceCents = PassNumber(pp.PassID), code, price
		s := first.s
		s.Event = fmt.Sprintf("PASS %s (+%d)", s.Event, len(parts)-1)
		t = Printable{Ticket: tk, Session: s, VenueCode: k.Cache.Venue(), Location: k.Location}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t.Location == nil {
		t.Location = time.UTC
	}
	if err := k.printOn(ctx, p, t, numbers[0]); err != nil {
		return nil, err
	}
	var facts []sync.Fact
	err = k.Cache.Update(func(tx *cache.Tx) error {
		facts = facts[:0]
		for _, n := range numbers {
			f, err := k.markPrinted(tx, n, reprint, authorisedBy)
			if err != nil {
				return err
			}
			facts = append(facts, f)
		}
		return nil
	})
	return facts, err
}
