package gate_test

import (
	"testing"

	"github.com/admitbox/admit/cloud/identity"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/sync"
)

const sRealName = 6 // 19:30-21:30 today, real-name

var (
	holderKey = []byte("tenant holder key, 32 bytes long")
	// Resident ID numbers with valid check digits.
	holderDoc = identity.Document{Type: identity.ResidentID, Number: "11010519491231002X"}
	otherDoc  = identity.Document{Type: identity.ResidentID, Number: "110105194912310021"}
)

// realName adds a real-name session to the fixture and, with key, the
// tenant's holder key.
func (f *fixture) realName(key bool) {
	evs := []sync.FeedEvent{ct.Event(sync.EventSession, sync.SessionData{ID: sRealName, Event: "Final", Hall: "1",
		StartsAt: local(14, 19, 30).UTC(), EndsAt: local(14, 21, 30).UTC(), BusinessDate: "2025-03-14", Status: "scheduled",
		Reentry: "none", OpensBeforeMin: 30, RealName: true})}
	if key {
		evs = append(evs, ct.Event(sync.EventHolderKey, sync.HolderKeyData{Key: holderKey}))
	}
	ct.Apply(f.t, f.c, f.v.Batch(evs...))
}

// named caches a ticket of the real-name session naming holder ("" for none).
func (f *fixture) named(holder string) sync.TicketData {
	f.seen++
	d := f.v.Sign(f.t, today, f.seen, sRealName, int64(f.seen), "")
	d.Holder = holder
	ct.Apply(f.t, f.c, f.v.Batch(ct.Event(sync.EventTicket, d)))
	return d
}

func TestRealNameEntryChecksTheHolderCard(t *testing.T) {
	f := newFixture(t)
	f.realName(true)
	tk := f.named(holderDoc.Key(holderKey))

	check := func(s gate.Scan, want gate.Reason) gate.Decision {
		t.Helper()
		d, err := f.g.CheckScan(s, gate.In)
		if err != nil {
			t.Fatal(err)
		}
		if d.Reason != want {
			t.Fatalf("%+v: reason %s (%s), want %s", s, d.Reason, d.Message, want)
		}
		return d
	}
	other := otherDoc
	// No card, another person's card, the same number as a passport: refused,
	// and nothing recorded.
	check(gate.Scan{QR: tk.QR}, gate.ReasonHolderAbsent)
	check(gate.Scan{QR: tk.QR, ID: &other}, gate.ReasonHolderMismatch)
	passport := identity.Document{Type: identity.Passport, Number: holderDoc.Number}
	check(gate.Scan{QR: tk.QR, ID: &passport}, gate.ReasonHolderMismatch)
	if d, _ := f.g.Validate(tk.QR, gate.In); d.Admit || d.Reason != gate.ReasonHolderAbsent {
		t.Fatalf("Validate without a card: %+v", d)
	}
	if n := f.depth(); n != 0 {
		t.Fatalf("refusals wrote %d facts", n)
	}
	// The holder's card admits, once.
	doc := holderDoc
	d, err := f.g.ValidateScan(gate.Scan{QR: tk.QR, ID: &doc}, gate.In)
	if err != nil || !d.Admit || !d.Holder {
		t.Fatalf("holder's card: %+v, %v", d, err)
	}
	check(gate.Scan{QR: tk.QR, ID: &doc}, gate.ReasonAlreadyAdmitted)

	// An ordinary session asks for no card.
	plain := f.ticket(today, sNoReentry, true)
	if d := f.validate(plain.QR, gate.In); !d.Admit || d.Holder {
		t.Fatalf("a session that is not real-name: %+v", d)
	}
}

func TestRealNameEntryWithoutTheHolderOnRecordIsLeftToStaff(t *testing.T) {
	f := newFixture(t)
	f.realName(false)
	doc := holderDoc
	named := f.named(holderDoc.Key(holderKey))
	// The key has not arrived: the card cannot be compared.
	if d, _ := f.g.CheckScan(gate.Scan{QR: named.QR, ID: &doc}, gate.In); d.Reason != gate.ReasonHolderUnknown {
		t.Fatalf("no holder key: %s", d.Reason)
	}
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventHolderKey, sync.HolderKeyData{Key: holderKey})))
	// A ticket named nobody, and one signed but not cached yet.
	for _, qr := range []string{f.named("").QR, f.v.Sign(t, today, 900, sRealName, 900, "").QR} {
		if d, _ := f.g.CheckScan(gate.Scan{QR: qr, ID: &doc}, gate.In); d.Reason != gate.ReasonHolderUnknown {
			t.Fatalf("no holder on record: %s", d.Reason)
		}
	}
	if d, _ := f.g.CheckScan(gate.Scan{QR: named.QR, ID: &doc}, gate.In); !d.Admit {
		t.Fatalf("with the key: %+v", d)
	}
	// A ticket re-sent without its holder (the holder removed) forgets it.
	named.Holder = ""
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventTicket, named)))
	if d, _ := f.g.CheckScan(gate.Scan{QR: named.QR, ID: &doc}, gate.In); d.Reason != gate.ReasonHolderUnknown {
		t.Fatalf("holder removed: %s", d.Reason)
	}
	// A snapshot replaces the key with the feed's data.
	if _, err := f.c.Apply(sync.FeedBatch{Venue: venueCode, Snapshot: true, First: true, Final: true, Head: f.v.Seq,
		Events: []sync.FeedEvent{ct.Event(sync.EventHolderKey, sync.HolderKeyData{Key: []byte("short")})}}); err == nil {
		t.Fatal("a 5-byte holder key was applied")
	}
}
