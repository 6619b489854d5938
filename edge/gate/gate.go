// Package gate decides whether a scanned ticket opens an entry gate. It is
// pure logic over the device's cache (package edge/cache): no network, so
// a gate keeps admitting while the venue is offline (ARCHITECTURE.md rules
// 2 and 3).
//
// A ticket is admitted when its QR is signed by one of the tenant's active
// or retired keys, is for this venue, is not revoked, and its session is
// on today, open, and admits this gate's zone, and it has not already been
// used (see the session's re-entry policy). A correctly signed ticket that
// has not reached the cache yet (sold seconds before the network dropped)
// is admitted on its signature alone: Decision.Offline tells.
//
// An accepted entry or exit is written to the cache (for anti-passback)
// together with its outbox fact in one durable bbolt transaction. A
// handheld records it at the scan (Validate); a turnstile gate judges with
// Check, opens, and records with Commit only once the visitor has passed,
// so a visitor who turns back keeps a valid ticket. A refusal writes
// nothing.
package gate

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/sync"
)

// Direction is the way a person passes the gate.
type Direction string

const (
	In  Direction = cache.DirectionIn
	Out Direction = cache.DirectionOut
)

// Reason says why a ticket was admitted or refused. The values are stable:
// they are logged, counted in metrics and shown on the gate screen.
type Reason string

const (
	ReasonOK               Reason = "ok"
	ReasonBadSignature     Reason = "bad_signature"      // altered or forged QR
	ReasonUnknownKey       Reason = "unknown_key"        // signed by a key this venue does not trust (or a revoked one)
	ReasonMalformed        Reason = "malformed"          // not a ticket QR
	ReasonWrongVenue       Reason = "wrong_venue"        // a ticket of another venue
	ReasonWrongDate        Reason = "wrong_date"         // the session is not today
	ReasonWrongSessionTime Reason = "wrong_session_time" // today, but not open yet or over
	ReasonWrongZone        Reason = "wrong_zone"         // this gate's zone does not admit the session
	ReasonAlreadyAdmitted  Reason = "already_admitted"   // used, and the re-entry policy refuses
	ReasonRefunded         Reason = "refunded"           // revoked: refunded or reissued
	ReasonNotAdmitted      Reason = "not_admitted"       // an exit without an entry
	ReasonUnknownSession   Reason = "unknown_session"    // the session is not in the cache
	ReasonSessionCancelled Reason = "session_cancelled"  // the session was cancelled
	ReasonCacheRebuilding  Reason = "cache_rebuilding"   // not in the cache while it is being rebuilt: revocations may be missing
	ReasonUnknownCard      Reason = "unknown_card"       // an RFID card no ticket of this venue is bound to
	ReasonHolderAbsent     Reason = "holder_absent"      // a real-name session: the holder's ID card was not presented
	ReasonHolderMismatch   Reason = "holder_mismatch"    // a real-name session: the ID card presented is not the holder's
	ReasonHolderUnknown    Reason = "holder_unknown"     // a real-name session: the gate does not know the ticket's holder yet
	ReasonPassUnknown      Reason = "pass_unknown"       // a pass with no session at this venue in the cache
)

var messages = map[Reason]string{
	ReasonOK:               "Welcome",
	ReasonBadSignature:     "Invalid ticket: the code has been altered",
	ReasonUnknownKey:       "Invalid ticket: not issued by this venue's box office",
	ReasonMalformed:        "Not a ticket code",
	ReasonWrongVenue:       "This ticket is for another venue",
	ReasonWrongDate:        "This ticket is for another day",
	ReasonWrongSessionTime: "Not valid at this time",
	ReasonWrongZone:        "Please use another entrance",
	ReasonAlreadyAdmitted:  "Ticket already used",
	ReasonRefunded:         "Ticket refunded or replaced",
	ReasonNotAdmitted:      "Ticket was not used to enter",
	ReasonUnknownSession:   "Unknown session: ask staff",
	ReasonSessionCancelled: "Session cancelled",
	ReasonCacheRebuilding:  "Gate is updating its ticket list: please wait or ask staff",
	ReasonUnknownCard:      "Card not recognised: please use your ticket or ask staff",
	ReasonHolderAbsent:     "Real-name entry: please present the ticket holder's ID card",
	ReasonHolderMismatch:   "This ID card is not the ticket holder's",
	ReasonHolderUnknown:    "The ticket's holder is not known at this gate yet: please ask staff",
	ReasonPassUnknown:      "This pass has no session at this venue: please ask staff",
}

// Message is the plain text shown on the gate screen for a reason.
func (r Reason) Message() string {
	if m, ok := messages[r]; ok {
		return m
	}
	return string(r)
}

// Re-entry policies (sync.SessionData.Reentry).
const (
	ReentryNone      = "none"
	ReentryAfterExit = "after_exit"
)

// Gate validates tickets at one entrance.
type Gate struct {
	Cache     *cache.Cache
	DeviceID  string // must match the cache's device id (it signs the facts); "" means the cache's
	VenueCode string
	Zone      string // this gate's zone; sessions listing zones admit only through them
	Now       func() time.Time
	// Location is the venue's time zone, in which a business date's day is
	// taken; nil means the device's local time zone.
	Location *time.Location
}

// Decision is the outcome of one scan.
type Decision struct {
	Admit     bool
	Reason    Reason
	Message   string // Reason.Message(), with details where they help (times, gates)
	Number    string // the ticket number, once the QR verified
	SeatLabel string // from the cache; "" for a ticket admitted offline
	SessionID int64
	// Offline: the ticket is not in the cache yet; it was judged on its
	// signature alone.
	Offline bool
	// Fact is the durable outbox fact of an accepted entry or exit.
	Fact *sync.Fact
	// Holder: the session is real-name and the holder's ID card was
	// checked against the ticket.
	Holder bool

	payload ticket.Payload     // the verified QR, for Commit
	doc     *identity.Document // the ID card presented, for a recheck
}

// Scan is what a visitor presents: a QR text or an RFID card, and, at a
// real-name session, the identity card the lane's reader read.
type Scan struct {
	QR   string
	Card string
	ID   *identity.Document
}

func refuse(r Reason, d Decision, detail string) Decision {
	d.Admit, d.Reason, d.Message = false, r, r.Message()
	if detail != "" {
		d.Message += ": " + detail
	}
	return d
}

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) loc() *time.Location {
	if g.Location != nil {
		return g.Location
	}
	return time.Local
}

// Validate judges a scanned QR text for passing in direction dir and
// records an accepted decision at once: the way of a handheld, where the
// visitor walks on when the screen turns green. An error means the gate
// could not decide (or could not record an accepted decision): the
// turnstile must stay shut.
func (g *Gate) Validate(qr string, dir Direction) (Decision, error) {
	return g.ValidateScan(Scan{QR: qr}, dir)
}

// ValidateCard is Validate for an RFID card.
func (g *Gate) ValidateCard(uid string, dir Direction) (Decision, error) {
	return g.ValidateScan(Scan{Card: uid}, dir)
}

// ValidateScan is Validate for anything a visitor presents.
func (g *Gate) ValidateScan(s Scan, dir Direction) (Decision, error) {
	d, err := g.CheckScan(s, dir)
	if err != nil || !d.Admit {
		return d, err
	}
	return g.commit(d, dir, true)
}

// Check judges a scanned QR text without recording anything: a gate with
// a turnstile opens on an accepted Check and calls Commit once the
// visitor has passed, so that a visitor who walks away leaves the ticket
// valid.
func (g *Gate) Check(qr string, dir Direction) (Decision, error) {
	return g.CheckScan(Scan{QR: qr}, dir)
}

// CheckCard decides on an RFID card: the ticket bound to it is judged
// exactly as if its QR had been scanned. A card is only known from the
// cache: there is no signature on a card to admit it offline by.
func (g *Gate) CheckCard(uid string, dir Direction) (Decision, error) {
	return g.CheckScan(Scan{Card: uid}, dir)
}

// CheckScan is Check for anything a visitor presents. At a real-name
// session an entry needs s.ID, and it must be the document of the
// ticket's holder: the keyed hash of the card, under the tenant's holder
// key from the feed, must equal the ticket's. Without one the decision
// is ReasonHolderAbsent, which a lane with an ID-card reader answers by
// waiting for the card.
func (g *Gate) CheckScan(s Scan, dir Direction) (Decision, error) {
	if err := g.ready(dir); err != nil {
		return Decision{}, err
	}
	if g.DeviceID != "" && g.DeviceID != g.Cache.DeviceID() {
		return Decision{}, fmt.Errorf("gate: device %q does not own cache of device %q", g.DeviceID, g.Cache.DeviceID())
	}
	if s.Card != "" {
		return g.check("", strings.ToUpper(strings.TrimSpace(s.Card)), s.ID, dir)
	}
	// Scanners end a read with CR/LF; the QR alphabet has spaces, so
	// nothing else is trimmed.
	return g.check(strings.TrimRight(s.QR, "\r\n"), "", s.ID, dir)
}

// Commit records the passage of an accepted decision from Check, with its
// outbox fact, in one durable transaction. The visitor has passed, so it
// is recorded even if the cache changed meanwhile (a refund, another
// gate's admission): the cloud sees both facts and raises the alert.
func (g *Gate) Commit(d Decision, dir Direction) (Decision, error) {
	if !d.Admit || d.Number == "" {
		return d, errors.New("gate: commit of a decision that did not admit")
	}
	if err := g.ready(dir); err != nil {
		return d, err
	}
	return g.commit(d, dir, false)
}

func (g *Gate) ready(dir Direction) error {
	if dir != In && dir != Out {
		return fmt.Errorf("gate: direction %q", dir)
	}
	if g.Cache == nil {
		return errors.New("gate: no cache")
	}
	return nil
}

// check verifies the ticket (by its QR, or the cached QR of the ticket a
// card is bound to) and decides, writing nothing.
func (g *Gate) check(qr, card string, doc *identity.Document, dir Direction) (Decision, error) {
	now := g.now()
	var d Decision
	err := g.Cache.View(func(tx *cache.Tx) error {
		if card != "" {
			number, ok := tx.TicketByCard(card)
			if !ok {
				d = refuse(ReasonUnknownCard, Decision{}, "")
				return nil
			}
			tk, cached, err := tx.Ticket(number)
			if err != nil {
				return err
			}
			if !cached {
				d = refuse(ReasonUnknownCard, Decision{Number: number}, "")
				return nil
			}
			qr = tk.QR
		}
		keys, err := tx.PublicKeys()
		if err != nil {
			return err
		}
		if ticket.IsPass(qr) {
			d, err = g.decidePass(tx, qr, keys, doc, dir, now)
			return err
		}
		p, _, verr := ticket.Verify(qr, keys)
		if verr != nil {
			d = refuse(verifyReason(verr), Decision{}, "")
			return nil
		}
		d, err = g.decide(tx, p, doc, dir, now)
		d.payload, d.doc = p, doc
		return err
	})
	return d, err
}

// commit records d. With recheck it decides again under the write lock
// first, so that two scans of one ticket racing at this gate cannot both
// pass.
func (g *Gate) commit(d Decision, dir Direction, recheck bool) (Decision, error) {
	return g.commitAt(d, dir, recheck, false, g.now())
}

// commitAt records the admission at now; unconfirmed marks one recovered
// from an intent whose passage nobody saw. The intent, if any, goes in the
// same transaction.
func (g *Gate) commitAt(d Decision, dir Direction, recheck, unconfirmed bool, now time.Time) (Decision, error) {
	err := g.Cache.Update(func(tx *cache.Tx) error {
		if recheck {
			p, doc := d.payload, d.doc
			var err error
			if d, err = g.decide(tx, p, doc, dir, now); err != nil || !d.Admit {
				return err
			}
			d.payload, d.doc = p, doc
		}
		if _, err := tx.RecordAdmission(d.Number, string(dir), now); err != nil {
			return err
		}
		kind := sync.FactAdmission
		if dir == Out {
			kind = sync.FactExit
		}
		f, err := tx.Append(kind, sync.AdmissionFact{Number: d.Number, SessionID: d.SessionID, Zone: g.Zone, Offline: d.Offline, Unconfirmed: unconfirmed}, now)
		if err != nil {
			return err
		}
		d.Fact = &f
		return tx.DeleteIntent(d.Number)
	})
	if err != nil {
		return Decision{Number: d.Number, SessionID: d.SessionID}, fmt.Errorf("gate: record %s of %s: %w", dir, d.Number, err)
	}
	return d, nil
}

func verifyReason(err error) Reason {
	switch {
	case errors.Is(err, ticket.ErrUnknownKey):
		return ReasonUnknownKey
	case errors.Is(err, ticket.ErrBadSignature):
		return ReasonBadSignature
	default: // ErrMalformed, ErrUnsupportedVersion
		return ReasonMalformed
	}
}

// decide judges a verified payload against the cache.
func (g *Gate) decide(tx *cache.Tx, p ticket.Payload, doc *identity.Document, dir Direction, now time.Time) (Decision, error) {
	d := Decision{Number: p.Number(), SessionID: p.SessionID}
	if p.VenueCode != g.VenueCode {
		return refuse(ReasonWrongVenue, d, ""), nil
	}
	tk, cached, err := tx.Ticket(d.Number)
	if err != nil {
		return d, err
	}
	if cached {
		// The cache knows better (e.g. a ticket moved to another session).
		d.SessionID, d.SeatLabel = tk.SessionID, tk.SeatLabel
	}
	d.Offline = !cached
	adm, seen, err := tx.Admission(d.Number)
	if err != nil {
		return d, err
	}
	if dir == Out {
		// Exits are never refused for times, zones or refunds: whoever
		// went in may go out.
		if !seen || adm.Direction != cache.DirectionIn {
			return refuse(ReasonNotAdmitted, d, ""), nil
		}
		return g.ok(d), nil
	}

	if _, revoked, err := tx.Revocation(d.Number); err != nil {
		return d, err
	} else if revoked {
		return refuse(ReasonRefunded, d, ""), nil
	}
	// Admitting on the signature alone relies on knowing every
	// revocation; mid-snapshot the cache does not.
	if d.Offline && tx.Stale() {
		return refuse(ReasonCacheRebuilding, d, ""), nil
	}
	s, known, err := tx.Session(d.SessionID)
	if err != nil {
		return d, err
	}
	if !known {
		return refuse(ReasonUnknownSession, d, fmt.Sprintf("session %d", d.SessionID)), nil
	}
	if s.Status == "cancelled" {
		return refuse(ReasonSessionCancelled, d, ""), nil
	}
	if r, detail := g.checkTime(s, p, now); r != "" {
		return refuse(r, d, detail), nil
	}
	if len(s.Zones) > 0 && !slices.Contains(s.Zones, g.Zone) {
		return refuse(ReasonWrongZone, d, strings.Join(s.Zones, ", ")), nil
	}
	if seen && adm.Count > 0 {
		reenter := s.Reentry == ReentryAfterExit && adm.Direction == cache.DirectionOut
		if !reenter {
			return refuse(ReasonAlreadyAdmitted, d, fmt.Sprintf("%s at %s", adm.At.In(g.loc()).Format("15:04"), adm.DeviceID)), nil
		}
	}
	if s.RealName {
		if r := holderCheck(tx, d.Number, doc); r != "" {
			return refuse(r, d, ""), nil
		}
		d.Holder = true
	}
	return g.ok(d), nil
}

// decidePass judges a pass's code: the pass's ticket for a session of
// this venue is judged as if its own code had been scanned. Of several,
// the first one admitted wins (going out: the one that went in last); if
// none is, the refusal shown is that of the session nearest to being on
// (its gate, its entry), not of a session on another day.
func (g *Gate) decidePass(tx *cache.Tx, qr string, keys ticket.PublicKeys, doc *identity.Document, dir Direction, now time.Time) (Decision, error) {
	pp, err := ticket.VerifyPass(qr, keys)
	if err != nil {
		return refuse(verifyReason(err), Decision{}, ""), nil
	}
	payloads, err := g.passTickets(tx, pp, keys)
	if err != nil {
		return Decision{}, err
	}
	var best, out Decision
	var outAt time.Time
	found := false
	for _, p := range payloads {
		d, err := g.decide(tx, p, doc, dir, now)
		if err != nil {
			return Decision{}, err
		}
		d.payload, d.doc = p, doc
		if d.Admit && dir == In {
			return d, nil
		}
		if d.Admit {
			if adm, _, err := tx.Admission(d.Number); err != nil {
				return Decision{}, err
			} else if out.Number == "" || adm.At.After(outAt) {
				out, outAt = d, adm.At
			}
			continue
		}
		if !found || passRank(d.Reason) < passRank(best.Reason) {
			best, found = d, true
		}
	}
	switch {
	case out.Number != "":
		return out, nil
	case !found:
		return refuse(ReasonPassUnknown, Decision{}, ""), nil
	}
	return best, nil
}

// passTickets are the tickets of a pass at this venue: those its code
// names (a version 2 code: on the signature alone, as a ticket is, so a
// pass sold while this gate was offline is admitted) and those the cache
// holds under its id.
func (g *Gate) passTickets(tx *cache.Tx, pp ticket.PassPayload, keys ticket.PublicKeys) ([]ticket.Payload, error) {
	var out []ticket.Payload
	named := map[string]bool{}
	for _, p := range pp.Tickets {
		if p.VenueCode == g.VenueCode {
			out = append(out, p)
			named[p.Number()] = true
		}
	}
	for _, number := range tx.PassTickets(pp.PassID) {
		if named[number] {
			continue
		}
		tk, cached, err := tx.Ticket(number)
		if err != nil {
			return nil, err
		}
		if !cached {
			continue
		}
		p, _, verr := ticket.Verify(tk.QR, keys)
		if verr != nil {
			continue // a ticket under a revoked key: not this gate's to admit
		}
		out = append(out, p)
	}
	return out, nil
}

// passRank orders a pass's refusals: a session that is on but refuses
// (used, wrong gate, no ID card) says more than one on another day.
func passRank(r Reason) int {
	switch r {
	case ReasonWrongDate:
		return 3
	case ReasonWrongSessionTime:
		return 2
	case ReasonUnknownSession:
		return 4
	}
	return 1
}

// holderCheck compares the ID card presented with the ticket's holder.
// A ticket the cache has no holder for (sold since the last sync, or
// named before holders reached gates) cannot be checked here, and a gate
// does not guess: staff check the card by eye.
func holderCheck(tx *cache.Tx, number string, doc *identity.Document) Reason {
	if doc == nil {
		return ReasonHolderAbsent
	}
	holder, key := tx.Holder(number), tx.HolderKey()
	if holder == "" || key == nil {
		return ReasonHolderUnknown
	}
	if !hmac.Equal([]byte(doc.Key(key)), []byte(holder)) {
		return ReasonHolderMismatch
	}
	return ""
}

func (g *Gate) ok(d Decision) Decision {
	d.Admit, d.Reason, d.Message = true, ReasonOK, ReasonOK.Message()
	return d
}

// checkTime applies the date and time rules. The ticket's business date
// must be its session's, and the session must be today's: now lies within
// the session's business day (midnight to midnight in the venue's zone),
// stretched to include the session's opening and end, so a late-night
// session (after midnight, counted for the previous business date) is still
// "today" while it runs. Within that day the gates open OpensBeforeMin
// minutes before StartsAt and close at EndsAt.
func (g *Gate) checkTime(s sync.SessionData, p ticket.Payload, now time.Time) (Reason, string) {
	loc := g.loc()
	open := s.StartsAt.Add(-time.Duration(s.OpensBeforeMin) * time.Minute)
	ticketDate := p.BusinessDate.UTC().Format(time.DateOnly)
	if bd, err := time.Parse(time.DateOnly, s.BusinessDate); err == nil {
		if ticketDate != s.BusinessDate {
			return ReasonWrongDate, "ticket dated " + ticketDate + ", session on " + s.BusinessDate
		}
		dayStart := time.Date(bd.Year(), bd.Month(), bd.Day(), 0, 0, 0, 0, loc)
		dayEnd := dayStart.AddDate(0, 0, 1)
		lo, hi := dayStart, dayEnd
		if open.Before(lo) {
			lo = open
		}
		if s.EndsAt.After(hi) {
			hi = s.EndsAt
		}
		if now.Before(lo) || !now.Before(hi) {
			return ReasonWrongDate, "valid on " + s.BusinessDate
		}
	}
	if now.Before(open) {
		return ReasonWrongSessionTime, "session not open yet, opens at " + open.In(loc).Format("15:04")
	}
	if now.After(s.EndsAt) {
		return ReasonWrongSessionTime, "session over"
	}
	return "", ""
}
