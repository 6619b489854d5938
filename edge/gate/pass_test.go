package gate_test

import (
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/sync"
)

// pass signs a pass's code and puts its tickets for the given sessions
// in the cache, as the feed sends them.
func (f *fixture) pass(id int64, sessions ...int64) (string, []sync.TicketData) {
	f.t.Helper()
	qr, err := ticket.SignPass(ticket.PassPayload{SystemCode: ct.SystemCode, PassID: id}, f.v.Key)
	if err != nil {
		f.t.Fatal(err)
	}
	var tks []sync.TicketData
	for _, s := range sessions {
		date := today
		if s == sTomorrow {
			date = tomorrow
		}
		f.seen++
		d := f.v.Sign(f.t, date, f.seen, s, 7, "")
		d.Pass = id
		tks = append(tks, d)
		ct.Apply(f.t, f.c, f.v.Batch(ct.Event(sync.EventTicket, d)))
	}
	return qr, tks
}

// One code for three sessions: each session's gate admits it once, from
// the cache alone (no network here at all), the others refuse.
func TestAPassIsAdmittedOncePerSession(t *testing.T) {
	f := newFixture(t)
	qr, tks := f.pass(501, sNoReentry, sTomorrow, sReentry)

	// Tonight at the south gate: session 1 (all zones) admits it; session
	// 2 (north only) does not open here.
	d := f.validate(qr, gate.In)
	if !d.Admit || d.SessionID != sNoReentry || d.Number != tks[0].Number || d.Fact == nil {
		t.Fatalf("tonight: %+v", d)
	}
	if d := f.validate(qr, gate.In); d.Admit || d.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("again tonight: %+v", d)
	}
	// At the north gate tonight, the re-entry session admits it, once
	// until the holder goes out.
	f.g.Zone = "north"
	f.now = f.now.Add(5 * time.Minute)
	if d := f.validate(qr, gate.In); !d.Admit || d.SessionID != sReentry {
		t.Fatalf("north gate tonight: %+v", d)
	}
	if d := f.validate(qr, gate.In); d.Admit {
		t.Fatalf("north gate again: %+v", d)
	}
	if d := f.validate(qr, gate.Out); !d.Admit {
		t.Fatalf("going out: %+v", d)
	}
	if d := f.validate(qr, gate.In); !d.Admit || d.SessionID != sReentry {
		t.Fatalf("back in after going out: %+v", d)
	}

	// Tomorrow the same code admits tomorrow's session.
	f.g.Zone = "south"
	f.now = local(15, 19, 15)
	if d := f.validate(qr, gate.In); !d.Admit || d.SessionID != sTomorrow || d.Number != tks[1].Number {
		t.Fatalf("tomorrow: %+v", d)
	}
	if d := f.validate(qr, gate.In); d.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("tomorrow again: %+v", d)
	}
	// The day after, nothing is on: the refusal says so.
	f.now = local(16, 19, 15)
	if d := f.validate(qr, gate.In); d.Admit || d.Reason != gate.ReasonWrongDate {
		t.Fatalf("the day after: %+v", d)
	}
}

func TestARefundedForgedOrUnknownPassIsRefused(t *testing.T) {
	f := newFixture(t)
	qr, tks := f.pass(502, sNoReentry)
	f.revoke(tks[0].Number)
	if d := f.validate(qr, gate.In); d.Admit || d.Reason != gate.ReasonRefunded {
		t.Fatalf("a refunded pass: %+v", d)
	}
	unknown, err := ticket.SignPass(ticket.PassPayload{SystemCode: ct.SystemCode, PassID: 999}, f.v.Key)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.validate(unknown, gate.In); d.Admit || d.Reason != gate.ReasonPassUnknown {
		t.Fatalf("a pass with no session here: %+v", d)
	}
	other := ct.DeterministicKey(1, 9)
	forged, _ := ticket.SignPass(ticket.PassPayload{SystemCode: ct.SystemCode, PassID: 502}, other)
	if d := f.validate(forged, gate.In); d.Admit || d.Reason != gate.ReasonBadSignature {
		t.Fatalf("a forged pass: %+v", d)
	}
	if d := f.validate(qr[:len(qr)-2], gate.In); d.Admit || d.Reason != gate.ReasonMalformed {
		t.Fatalf("a truncated pass: %+v", d)
	}
	if f.depth() != 0 {
		t.Fatalf("refusals recorded %d facts", f.depth())
	}
}

// A session the organiser postponed keeps its business date: its tickets
// are admitted at the new time, not at the old one.
func TestAPostponedSessionAdmitsItsTicketsAtTheNewTime(t *testing.T) {
	f := newFixture(t)
	const sPostponed = 7
	moved := local(16, 19, 30)
	ct.Apply(t, f.c, f.v.Batch(ct.Event(sync.EventSession, sync.SessionData{ID: sPostponed, Event: "Final", Hall: "1", StartsAt: moved.UTC(),
		EndsAt: moved.Add(2 * time.Hour).UTC(), BusinessDate: "2025-03-14", Status: "scheduled", Reentry: "none", OpensBeforeMin: 30})))
	tk := f.ticket(today, sPostponed, true)
	if d := f.validate(tk.QR, gate.In); d.Admit || d.Reason != gate.ReasonWrongSessionTime {
		t.Fatalf("at the old time: %+v", d)
	}
	f.now = local(16, 19, 10)
	if d := f.validate(tk.QR, gate.In); !d.Admit {
		t.Fatalf("at the new time: %+v", d)
	}
}

// A pass sold while this gate was offline: its cache never heard of the
// pass, but the code names each session's ticket, so the gate admits it
// on the signature alone, as it does a ticket, once per session; a
// refund it learns of still refuses it, and a pass naming only another
// venue's tickets is not this gate's.
func TestAPassTheCacheNeverHeardOfIsAdmittedOnItsSignature(t *testing.T) {
	f := newFixture(t)
	var payloads []ticket.Payload
	var numbers []string
	for _, s := range []int64{sNoReentry, sTomorrow} {
		date := today
		if s == sTomorrow {
			date = tomorrow
		}
		f.seen++
		d := f.v.Sign(t, date, f.seen, s, 7, "") // signed, never applied to the cache
		p, _, err := ticket.Parse(d.QR)
		if err != nil {
			t.Fatal(err)
		}
		payloads, numbers = append(payloads, p), append(numbers, d.Number)
	}
	qr, err := ticket.SignPass(ticket.PassPayload{SystemCode: ct.SystemCode, PassID: 601, Tickets: payloads}, f.v.Key)
	if err != nil {
		t.Fatal(err)
	}
	d := f.validate(qr, gate.In)
	if !d.Admit || !d.Offline || d.Number != numbers[0] || d.SessionID != sNoReentry {
		t.Fatalf("tonight, unknown to the cache: %+v", d)
	}
	if d := f.validate(qr, gate.In); d.Admit || d.Reason != gate.ReasonAlreadyAdmitted {
		t.Fatalf("again tonight: %+v", d)
	}
	f.revoke(numbers[1])
	f.now = local(15, 19, 15)
	if d := f.validate(qr, gate.In); d.Admit || d.Reason != gate.ReasonRefunded {
		t.Fatalf("tomorrow, its refund known: %+v", d)
	}
	elsewhere := payloads[0]
	elsewhere.VenueCode = "99000001"
	other, err := ticket.SignPass(ticket.PassPayload{SystemCode: ct.SystemCode, PassID: 602, Tickets: []ticket.Payload{elsewhere}}, f.v.Key)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.validate(other, gate.In); d.Admit || d.Reason != gate.ReasonPassUnknown {
		t.Fatalf("a pass of another venue: %+v", d)
	}
}
