package kiosk_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/admitbox/admit/edge/cache"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/kiosk"
	"github.com/admitbox/admit/sync"
)

const (
	venueCode = "11010001"
	code      = "AC34-MN79" // as printed on a receipt
	norm      = "AC34MN79"
)

var (
	day = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	now = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
)

type fixture struct {
	c       *cache.Cache
	k       *kiosk.Kiosk
	tickets []sync.TicketData
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{c: ct.Open(t, venueCode, "kiosk-1")}
	f.k = &kiosk.Kiosk{Cache: f.c, Now: func() time.Time { return now }}
	v := ct.NewVenue(venueCode, 1, 1)
	var evs []sync.FeedEvent
	for i := uint32(1); i <= 3; i++ {
		pickup := norm
		if i == 3 {
			pickup = "XXXX9999"
		}
		d := v.Sign(t, day, i, 1, int64(i), pickup)
		f.tickets = append(f.tickets, d)
		evs = append(evs, ct.Event(sync.EventTicket, d))
	}
	evs = append(evs, ct.Event(sync.EventRevocation, sync.RevocationData{Number: f.tickets[1].Number, Reason: "refunded"}))
	ct.Apply(t, f.c, v.Batch(evs...))
	return f
}

func TestLookupFindsAnOrdersTickets(t *testing.T) {
	for _, in := range []string{norm, code, "ac34-mn79", " ac34 mn79 ", "AO1:11010001:AC34MN79", "AO1:11010001:AC34MN79\r\n"} {
		t.Run(in, func(t *testing.T) {
			f := newFixture(t)
			items, err := f.k.Lookup(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 2 || items[0].Number != f.tickets[0].Number || items[1].Number != f.tickets[1].Number {
				t.Fatalf("items = %+v", items)
			}
			if items[0].Refunded || !items[1].Refunded || items[0].QR != f.tickets[0].QR || items[0].SeatLabel != f.tickets[0].SeatLabel {
				t.Fatalf("items = %+v", items)
			}
		})
	}
}

func TestLookupRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		want     error
	}{
		{"an unknown code is not found", "YYYY3333", kiosk.ErrNotFound},
		{"a code with a letter outside the alphabet is invalid", "AC34MN7O", kiosk.ErrInvalidCode},
		{"a short code is invalid", "AC34", kiosk.ErrInvalidCode},
		{"an empty code is invalid", "", kiosk.ErrInvalidCode},
		{"an order QR of another venue is refused", "AO1:22020002:AC34MN79", kiosk.ErrWrongVenue},
		{"a broken order QR is invalid", "AO1:AC34MN79", kiosk.ErrInvalidCode},
	}
	f := newFixture(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.k.Lookup(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("Lookup(%q) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func printFact(t *testing.T, f sync.Fact) sync.PrintFact {
	t.Helper()
	var p sync.PrintFact
	if err := json.Unmarshal(f.Data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrintRecordsThePrintAndItsFact(t *testing.T) {
	f := newFixture(t)
	n := f.tickets[0].Number
	fact, err := f.k.Print(n, false, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := printFact(t, fact); fact.Kind != sync.FactPrint || p.Number != n || p.Reprint || !fact.At.Equal(now) || fact.Device != "kiosk-1" {
		t.Fatalf("fact %+v %+v", fact, p)
	}
	if items, _ := f.k.Lookup(norm); items[0].Printed != 1 {
		t.Fatalf("Printed = %d", items[0].Printed)
	}
	pending, _ := f.c.Outbox().Pending(0)
	if len(pending) != 1 || pending[0].ID != fact.ID {
		t.Fatalf("outbox = %+v", pending)
	}
}

func TestASecondPickupIsRefusedWithoutAuthorisation(t *testing.T) {
	cases := []struct {
		name         string
		reprint      bool
		authorisedBy string
	}{
		{"a plain second print", false, ""},
		{"a reprint nobody authorised", true, ""},
		{"a reprint authorised by blanks", true, "  "},
		{"an authorisation without asking for a reprint", false, "mgr-7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			n := f.tickets[0].Number
			if _, err := f.k.Print(n, false, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := f.k.Print(n, tc.reprint, tc.authorisedBy); !errors.Is(err, kiosk.ErrAlreadyPrinted) {
				t.Fatalf("second print = %v, want ErrAlreadyPrinted", err)
			}
			if d, _ := f.c.Outbox().Depth(); d != 1 {
				t.Fatalf("outbox depth %d, want 1 (refusal recorded nothing)", d)
			}
			if p, _ := f.c.Printed(n); p != 1 {
				t.Fatalf("printed %d, want 1", p)
			}
		})
	}
}

func TestAnAuthorisedReprintIsRecorded(t *testing.T) {
	f := newFixture(t)
	n := f.tickets[0].Number
	if _, err := f.k.Print(n, false, ""); err != nil {
		t.Fatal(err)
	}
	fact, err := f.k.Print(n, true, "mgr-7")
	if err != nil {
		t.Fatal(err)
	}
	if p := printFact(t, fact); !p.Reprint || p.AuthorisedBy != "mgr-7" || p.Number != n {
		t.Fatalf("reprint fact %+v", p)
	}
	if p, _ := f.c.Printed(n); p != 2 {
		t.Fatalf("printed %d, want 2", p)
	}
}

func TestAFirstPrintAskedAsAReprintIsAPlainPrint(t *testing.T) {
	f := newFixture(t)
	fact, err := f.k.Print(f.tickets[0].Number, true, "mgr-7")
	if err != nil {
		t.Fatal(err)
	}
	if p := printFact(t, fact); p.Reprint || p.AuthorisedBy != "" {
		t.Fatalf("fact %+v", p)
	}
}

func TestARefundedTicketIsNotPrinted(t *testing.T) {
	f := newFixture(t)
	if _, err := f.k.Print(f.tickets[1].Number, false, ""); !errors.Is(err, kiosk.ErrRefunded) {
		t.Fatalf("Print(refunded) = %v", err)
	}
	if _, err := f.k.Print(f.tickets[1].Number, true, "mgr-7"); !errors.Is(err, kiosk.ErrRefunded) {
		t.Fatalf("reprint of a refunded ticket = %v", err)
	}
	if d, _ := f.c.Outbox().Depth(); d != 0 {
		t.Fatal("a refusal recorded a fact")
	}
}

func TestAnUncachedTicketIsNotPrinted(t *testing.T) {
	f := newFixture(t)
	if _, err := f.k.Print("1101000125031400000993", false, ""); !errors.Is(err, kiosk.ErrNotFound) {
		t.Fatalf("Print(unknown) = %v", err)
	}
}

func TestAFailedPrintIsReportedAndLeavesTheTicketPrintable(t *testing.T) {
	f := newFixture(t)
	n := f.tickets[0].Number
	fact, err := f.k.PrintFailed(n, "paper out")
	if err != nil {
		t.Fatal(err)
	}
	if p := printFact(t, fact); fact.Kind != sync.FactPrintFailure || p.Error != "paper out" || p.Number != n {
		t.Fatalf("fact %+v %+v", fact, p)
	}
	if p, _ := f.c.Printed(n); p != 0 {
		t.Fatal("a failed print counted as printed")
	}
	if _, err := f.k.Print(n, false, ""); err != nil {
		t.Fatalf("print after a failure: %v", err)
	}
}
