package sales

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/admitbox/admit/cloud/ticket"
	wire "github.com/admitbox/admit/sync"
)

// Stored fact statuses. Every seq a device uploads gets one row, so the
// cursor can pass it; only "ok" facts had any effect.
const (
	FactOK        = "ok"
	FactInvalid   = "invalid"   // failed validation: receipt only
	FactDuplicate = "duplicate" // its id was already stored under another seq
)

// StoredFact is a device fact as the cloud keeps it.
type StoredFact struct {
	DeviceID   string
	Seq        uint64
	ID         string
	Kind       string
	At         time.Time
	Data       json.RawMessage // nil unless Status is FactOK
	Status     string
	Note       string // why it was not applied
	ReceivedAt time.Time
}

// Admission directions.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// Admission is an entry or exit a gate reported.
type Admission struct {
	ID           int64     `json:"id"`
	TenantID     int64     `json:"tenant_id"`
	VenueID      int64     `json:"venue_id"`
	SessionID    int64     `json:"session_id"`
	TicketNumber string    `json:"ticket_number"`
	DeviceID     string    `json:"device_id"`
	FactID       string    `json:"fact_id"`
	Direction    string    `json:"direction"`
	At           time.Time `json:"at"`
	Offline      bool      `json:"offline"`
}

// AlertDuplicateAdmission: a ticket got in twice without leaving between.
const AlertDuplicateAdmission = "duplicate_admission"

// AlertUnconfirmedAdmission: a gate crashed between opening for a ticket
// and seeing the passage, had no counter to tell, and counted it.
const AlertUnconfirmedAdmission = "unconfirmed_admission"

// Alert is something venue staff should look at.
type Alert struct {
	ID           int64     `json:"id"`
	TenantID     int64     `json:"tenant_id"`
	VenueID      int64     `json:"venue_id"`
	Kind         string    `json:"kind"`
	TicketNumber string    `json:"ticket_number,omitempty"`
	Detail       string    `json:"detail"`
	At           time.Time `json:"at"`
}

// Bounds on what a fact may carry.
const (
	maxFactID       = 128
	maxStatusKeys   = 32
	maxStatusKey    = 64
	maxStatusValue  = 256
	maxPickupNumber = 100
)

// checked is a fact and what validation made of it.
type checked struct {
	f       wire.Fact
	adm     *wire.AdmissionFact
	print   *wire.PrintFact // a successful print
	hb      *wire.Heartbeat
	problem string
}

// IngestFacts stores a device's facts once each and applies them, in one
// transaction, and returns the acknowledgement: the highest contiguous seq
// stored for the device.
//
// The whole upload is refused (KindForbidden, nothing changes) when the
// device is not active or a fact names another device. Otherwise:
//
//   - A fact whose seq is already stored is skipped, even if its content
//     differs: the first write wins. A fact whose id the device already
//     stored under another seq is kept as a "duplicate" receipt only.
//   - An invalid fact (unknown kind, a body that does not decode strictly,
//     a ticket number that does not parse or is of another venue, a session
//     not at the device's venue, …) is logged, stored as an "invalid"
//     receipt with the reason, has no effect, and is acknowledged like any
//     other. A device resends what is not acknowledged, forever: refusing
//     to acknowledge garbage would wedge its outbox behind one bad fact
//     while the good facts after it never arrive. The receipt keeps the
//     evidence. (Seq 0 cannot be stored and is only logged.)
//   - Admissions and exits are recorded and republished on the venue feed
//     (anti-passback at the other gates). An entry of a ticket that already
//     got in with no exit between (for sessions without re-entry, exits do
//     not count) is kept too, and raises a duplicate_admission alert.
//   - A heartbeat records the device's reported state; every upload
//     records when the device was last heard from.
func (s *Service) IngestFacts(ctx context.Context, deviceID string, facts []wire.Fact) (uint64, error) {
	d, err := s.activeDevice(ctx, s.store, deviceID)
	if err != nil {
		return 0, err
	}
	for _, f := range facts {
		if f.Device != deviceID {
			return 0, forbidden("a fact names device " + strconv.Quote(f.Device) + ", not the uploader " + deviceID)
		}
	}
	cs := make([]checked, len(facts))
	for i, f := range facts {
		cs[i] = checkFact(f, d)
	}
	slices.SortStableFunc(cs, func(a, b checked) int {
		switch {
		case a.f.Seq < b.f.Seq:
			return -1
		case a.f.Seq > b.f.Seq:
			return 1
		}
		return 0
	})
	now := s.now().UTC()
	var ack uint64
	var refused []StoredFact
	err = s.update(ctx, Principal{}, func(tx Tx, rec func(change)) error {
		refused = refused[:0]
		if _, err := s.activeDevice(ctx, tx, deviceID); err != nil {
			return err
		}
		acked, err := tx.DeviceCursor(ctx, deviceID)
		if err != nil {
			return err
		}
		sessions := map[int64]*Session{}
		var state map[string]string
		for _, c := range cs {
			if c.f.Seq == 0 {
				refused = append(refused, StoredFact{DeviceID: deviceID, ID: c.f.ID, Kind: c.f.Kind, Status: FactInvalid, Note: c.problem})
				continue
			}
			if c.f.Seq <= acked {
				continue // stored before
			}
			sf := StoredFact{DeviceID: deviceID, Seq: c.f.Seq, ID: c.f.ID, Kind: c.f.Kind, At: c.f.At.UTC(), Data: c.f.Data,
				Status: FactOK, ReceivedAt: now}
			var ss *Session
			if c.problem == "" && c.adm != nil {
				if ss, err = s.factSession(ctx, tx, d, c.adm.SessionID, sessions); err != nil {
					return err
				}
				if ss == nil {
					c.problem = "session " + strconv.FormatInt(c.adm.SessionID, 10) + " is not a session of the device's venue"
				}
			}
			if c.problem == "" && c.f.ID != "" {
				seen, err := tx.DeviceFactIDSeen(ctx, deviceID, c.f.ID)
				if err != nil {
					return err
				}
				if seen {
					sf.Status, sf.Note = FactDuplicate, "fact id already stored under another seq"
				}
			}
			if c.problem != "" {
				sf.Status, sf.Note = FactInvalid, c.problem
			}
			if sf.Status != FactOK {
				sf.Data = nil
			}
			stored, err := tx.InsertDeviceFact(ctx, sf)
			if err != nil {
				return err
			}
			if !stored {
				continue // first write wins
			}
			if sf.Status != FactOK {
				refused = append(refused, sf)
				continue
			}
			switch {
			case c.adm != nil:
				if err := s.recordAdmission(ctx, tx, d, c, *ss, now); err != nil {
					return err
				}
			case c.print != nil:
				if err := tx.MarkTicketPrinted(ctx, d.VenueID, c.print.Number, c.f.At.UTC()); err != nil {
					return err
				}
				// The venue's other devices learn it is on paper.
				if err := s.appendFeed(ctx, tx, d.VenueID, wire.EventPrinted, wire.PrintedData{Number: c.print.Number}); err != nil {
					return err
				}
			case c.hb != nil:
				state = heartbeatState(*c.hb)
			}
		}
		if err := tx.TouchDevice(ctx, deviceID, now, state); err != nil {
			return err
		}
		ack, err = tx.AdvanceDeviceCursor(ctx, deviceID)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, f := range refused {
		s.log.WarnContext(ctx, "device fact not applied", "device", deviceID, "seq", f.Seq, "id", f.ID, "kind", f.Kind,
			"status", f.Status, "problem", f.Note)
	}
	return ack, nil
}

// activeDevice is the device, or Forbidden unless it is active.
func (s *Service) activeDevice(ctx context.Context, r Reader, id string) (Device, error) {
	d, err := r.GetDevice(ctx, -1, id)
	if IsKind(err, KindNotFound) || err == nil && d.Status != DeviceActive {
		return Device{}, forbidden("device " + strconv.Quote(id) + " is not an active device")
	}
	return d, err
}

// factSession is the admission's session if it is at the device's venue,
// nil if not.
func (s *Service) factSession(ctx context.Context, tx Tx, d Device, id int64, cache map[int64]*Session) (*Session, error) {
	if ss, ok := cache[id]; ok {
		return ss, nil
	}
	ss, err := tx.GetSession(ctx, d.TenantID, id)
	if IsKind(err, KindNotFound) {
		cache[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if ss.VenueID != d.VenueID {
		cache[id] = nil
		return nil, nil
	}
	cache[id] = &ss
	return &ss, nil
}

// recordAdmission stores an entry or exit, republishes it to the venue,
// and raises an alert when it makes a ticket get in twice.
func (s *Service) recordAdmission(ctx context.Context, tx Tx, d Device, c checked, ss Session, now time.Time) error {
	dir := DirectionIn
	if c.f.Kind == wire.FactExit {
		dir = DirectionOut
	}
	a := Admission{TenantID: d.TenantID, VenueID: d.VenueID, SessionID: ss.ID, TicketNumber: c.adm.Number, DeviceID: d.ID,
		FactID: c.f.ID, Direction: dir, At: c.f.At.UTC(), Offline: c.adm.Offline}
	if err := tx.InsertAdmission(ctx, &a); err != nil {
		return err
	}
	if err := s.appendFeed(ctx, tx, d.VenueID, wire.EventAdmission, admissionData(a)); err != nil {
		return err
	}
	if c.adm.Unconfirmed {
		al := Alert{TenantID: d.TenantID, VenueID: d.VenueID, Kind: AlertUnconfirmedAdmission, TicketNumber: a.TicketNumber, At: now,
			Detail: fmt.Sprintf("%s of ticket %s at %s counted without a confirmed passage: the gate restarted with the turnstile open",
				dir, a.TicketNumber, d.ID)}
		if err := tx.InsertAlert(ctx, &al); err != nil {
			return err
		}
	}
	if dir != DirectionIn {
		return nil
	}
	if err := tx.MarkTicketAdmitted(ctx, d.VenueID, a.TicketNumber, a.At); err != nil {
		return err
	}
	all, err := tx.TicketAdmissions(ctx, ss.ID, a.TicketNumber)
	if err != nil {
		return err
	}
	for _, pair := range passbackViolations(all, a.ID, ss.Reentry) {
		x, y := pair[0], pair[1]
		al := Alert{TenantID: d.TenantID, VenueID: d.VenueID, Kind: AlertDuplicateAdmission, TicketNumber: a.TicketNumber, At: now,
			Detail: fmt.Sprintf("ticket %s of session %d got in twice with no exit between: at %s by %s, and at %s by %s",
				a.TicketNumber, ss.ID, x.At.Format(time.RFC3339), x.DeviceID, y.At.Format(time.RFC3339), y.DeviceID)}
		if err := tx.InsertAlert(ctx, &al); err != nil {
			return err
		}
	}
	return nil
}

// passbackViolations returns the pairs of entries, in time order, that
// the entry newID completes: an entry directly before it, or directly
// after it (facts arrive out of order), with no exit between. For
// sessions without re-entry exits are ignored: any two entries clash.
// all is the ticket's admissions by time, newID among them.
func passbackViolations(all []Admission, newID int64, reentry Reentry) [][2]Admission {
	seq := all
	if reentry != ReentryAfterExit {
		seq = slices.DeleteFunc(slices.Clone(all), func(a Admission) bool { return a.Direction != DirectionIn })
	}
	i := slices.IndexFunc(seq, func(a Admission) bool { return a.ID == newID })
	if i < 0 {
		return nil
	}
	var out [][2]Admission
	if i > 0 && seq[i-1].Direction == DirectionIn {
		out = append(out, [2]Admission{seq[i-1], seq[i]})
	}
	if i+1 < len(seq) && seq[i+1].Direction == DirectionIn {
		out = append(out, [2]Admission{seq[i], seq[i+1]})
	}
	return out
}

func heartbeatState(hb wire.Heartbeat) map[string]string {
	st := make(map[string]string, len(hb.Status)+4)
	for k, v := range hb.Status {
		st[k] = v
	}
	st["feed_seq"] = strconv.FormatUint(hb.FeedSeq, 10)
	st["feed_lag"] = strconv.FormatUint(hb.FeedLag, 10)
	st["outbox_depth"] = strconv.Itoa(hb.OutboxDepth)
	st["cache_tickets"] = strconv.Itoa(hb.CacheTickets)
	return st
}

// checkFact validates what can be checked without the store.
func checkFact(f wire.Fact, d Device) checked {
	c := checked{f: f}
	c.problem = c.check(d)
	return c
}

func (c *checked) check(d Device) string {
	f := c.f
	switch {
	case f.Seq == 0:
		return "seq must be 1 or more"
	case f.ID == "" || len(f.ID) > maxFactID || !printable(f.ID):
		return "id must be 1-128 printable characters"
	case f.At.IsZero():
		return "at is missing"
	}
	switch f.Kind {
	case wire.FactAdmission, wire.FactExit:
		var a wire.AdmissionFact
		if err := decodeStrict(f.Data, &a); err != nil {
			return err.Error()
		}
		if d.Role != DeviceRoleGate {
			return "only a gate reports entries and exits; this device is a " + d.Role
		}
		if p := checkNumber(a.Number, d.VenueCode); p != "" {
			return p
		}
		if a.SessionID <= 0 {
			return "session_id is missing"
		}
		c.adm = &a
	case wire.FactPickup:
		var p wire.PickupFact
		if err := decodeStrict(f.Data, &p); err != nil {
			return err.Error()
		}
		if _, ok := NormalizePickupCode(p.PickupCode); !ok {
			return "pickup_code is not a pickup code"
		}
		if len(p.Numbers) == 0 || len(p.Numbers) > maxPickupNumber {
			return "numbers must list 1-100 tickets"
		}
		for _, n := range p.Numbers {
			if pr := checkNumber(n, d.VenueCode); pr != "" {
				return pr
			}
		}
	case wire.FactPrint, wire.FactPrintFailure:
		var p wire.PrintFact
		if err := decodeStrict(f.Data, &p); err != nil {
			return err.Error()
		}
		if pr := checkNumber(p.Number, d.VenueCode); pr != "" {
			return pr
		}
		if (f.Kind == wire.FactPrintFailure) != (p.Error != "") {
			return "a print failure, and only a print failure, carries an error"
		}
		if f.Kind == wire.FactPrint {
			c.print = &p
		}
	case wire.FactHeartbeat:
		var hb wire.Heartbeat
		if err := decodeStrict(f.Data, &hb); err != nil {
			return err.Error()
		}
		if len(hb.Status) > maxStatusKeys {
			return "status has more than 32 entries"
		}
		for k, v := range hb.Status {
			if k == "" || len(k) > maxStatusKey || len(v) > maxStatusValue || !printable(k) || !utf8.ValidString(v) {
				return "status entries must have 1-64 character keys and values up to 256 bytes"
			}
		}
		c.hb = &hb
	default:
		return "unknown fact kind " + strconv.Quote(f.Kind)
	}
	return ""
}

// decodeStrict decodes a JSON object: no unknown fields, no trailing data.
func decodeStrict(data json.RawMessage, v any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("data must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("data does not decode: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data has trailing content")
	}
	return nil
}

// checkNumber: a ticket number that parses and belongs to the venue.
func checkNumber(n, venueCode string) string {
	v, _, _, err := ticket.ParseNumber(n)
	if err != nil {
		return err.Error()
	}
	if v != venueCode {
		return "ticket " + n + " is of venue " + v + ", not the device's " + venueCode
	}
	return ""
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
