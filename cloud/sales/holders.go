package sales

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/identity"
)

// Real-name events (event plan §6.1.1, §6.3.1.3; the rules for shows of
// 5,000 and more): every ticket names its holder's identity document, one
// ticket per document per session, and at most the event's HolderLimit
// across its sessions. The document is checked (cloud/identity) when the
// order is made; the rules are enforced in the transaction that issues the
// tickets, by a unique index (one per session) and a count under the
// store's write lock (the event's limit), so a race of buyers naming one
// document gets the limit and no more, over every channel. Only a keyed
// hash of the number and its masked form are kept; the holder's name is
// stored sealed like a customer's.

// MaxHolderLimit bounds an event's HolderLimit.
const MaxHolderLimit = 20

// HolderRequest names one seat's holder.
type HolderRequest struct {
	SeatID    int64         `json:"seat_id"`
	DocType   identity.Type `json:"doc_type"`
	DocNumber string        `json:"doc_number"`
	Name      string        `json:"name"`
}

// OrderHolder is a seat's named holder, as an order keeps it.
type OrderHolder struct {
	SeatID    int64         `json:"seat_id"`
	DocType   identity.Type `json:"doc_type"`
	DocMasked string        `json:"doc_masked"`
	IDKey     string        `json:"id_key,omitempty"` // the document's keyed hash; never shown
	// GateTag is the document hashed under the tenant's holder key, for
	// the gates (Ticket.Holder); never shown.
	GateTag string `json:"gate_tag,omitempty"`
	Name    string `json:"name"` // sealed when stored
}

// TicketHolder binds a ticket to its holder's document.
type TicketHolder struct {
	TicketID, SessionID, EventID int64
	IDKey, DocType, DocMasked    string
	At                           time.Time
}

// identityKey keys the documents' hashes: one per installation, made on
// first use, sealed with the other secrets, and never changed (so it is
// read once).
func (s *Service) identityKey(ctx context.Context) ([]byte, error) {
	s.keysMu.Lock()
	k := s.idKey
	s.keysMu.Unlock()
	if k != nil {
		return k, nil
	}
	v, err := s.randomSetting(ctx, "secret:identity_key")
	if err != nil {
		return nil, err
	}
	s.keysMu.Lock()
	s.idKey = []byte(v)
	s.keysMu.Unlock()
	return []byte(v), nil
}

// HolderKey is the key a tenant's gates hash ID cards with: derived from
// the installation's secret for it, one per tenant, so a gate's cache
// holds nothing that opens another tenant's hashes or the cloud's own
// (identityKey never leaves the cloud).
func (s *Service) HolderKey(tenantID int64) []byte {
	m := hmac.New(sha256.New, s.holderSecret)
	m.Write([]byte("admit/holder-key/v1\x00tenant:" + strconv.FormatInt(tenantID, 10)))
	return m.Sum(nil)
}

// DocumentKeys are a document's two hashes: the cloud's (the key it
// finds a person again by) and the gates' (Ticket.Holder) for the tenant.
// Other domains (accounts, presales) keep both, to name holders later
// without the number.
func (s *Service) DocumentKeys(ctx context.Context, tenantID int64, d identity.Document) (idKey, gateTag string, err error) {
	k, err := s.identityKey(ctx)
	if err != nil {
		return "", "", err
	}
	return d.Key(k), d.Key(s.HolderKey(tenantID)), nil
}

// orderHolders checks the holders an order names for the hold's seats:
// none for an event that is not real-name, else exactly one per seat, each
// document valid and named once. field names the request's i-th holder in
// errors.
func (s *Service) orderHolders(ctx context.Context, ev Event, h Hold, in []HolderRequest, field func(i int) string) ([]OrderHolder, error) {
	if !ev.RealName {
		if len(in) > 0 {
			return nil, invalid("invalid_order", "the order cannot be created", FieldError{Field: "holders", Message: "only a real-name event names its tickets' holders"})
		}
		return nil, nil
	}
	key, err := s.identityKey(ctx)
	if err != nil {
		return nil, err
	}
	gateKey := s.HolderKey(ev.TenantID)
	seats := map[int64]bool{}
	for _, st := range h.Seats {
		seats[st.SeatID] = true
	}
	var fields []FieldError
	if len(in) != len(h.Seats) {
		fields = append(fields, FieldError{Field: "holders", Message: fmt.Sprintf("a real-name event names a holder for each of the %d seats", len(h.Seats))})
	}
	named, docs := map[int64]bool{}, map[string]bool{}
	out := make([]OrderHolder, 0, len(in))
	for i, x := range in {
		f := field(i)
		if !seats[x.SeatID] || named[x.SeatID] {
			fields = append(fields, FieldError{Field: f + ".seat_id", Message: "not a seat of the hold, or named twice"})
			continue
		}
		named[x.SeatID] = true
		doc, err := identity.Parse(x.DocType, x.DocNumber, s.now())
		if err != nil {
			msg := "unknown document type"
			if ie := (*identity.Error)(nil); errors.As(err, &ie) {
				msg = ie.Reason
			}
			fields = append(fields, FieldError{Field: f + ".doc_number", Message: msg})
			continue
		}
		name, fe := cleanText(f+".name", x.Name, 1, 60)
		if fe != nil {
			fields = append(fields, *fe)
			continue
		}
		k := doc.Key(key)
		if docs[k] {
			fields = append(fields, FieldError{Field: f + ".doc_number", Message: "one document holds one ticket of a session"})
			continue
		}
		docs[k] = true
		out = append(out, OrderHolder{SeatID: x.SeatID, DocType: doc.Type, DocMasked: doc.Masked(), IDKey: k, GateTag: doc.Key(gateKey), Name: s.SealText(name)})
	}
	if len(fields) > 0 {
		return nil, invalid("invalid_holders", "the holders cannot be named", fields...)
	}
	return out, nil
}

// holdersField names an order request's i-th holder.
func holdersField(i int) string { return "holders[" + strconv.Itoa(i) + "]" }

// holdersFree refuses, before an order is made, holders who could not
// hold its tickets at payment: a document holding a ticket of the session
// already, or the event's limit. The payment's transaction checks again
// (this read only spares a card charge that would have to be voided).
func (s *Service) holdersFree(ctx context.Context, ev Event, sessionID int64, hs []OrderHolder) error {
	for _, h := range hs {
		taken, err := s.store.HolderInSession(ctx, sessionID, h.IDKey)
		if err != nil {
			return err
		}
		if taken {
			return &Error{Kind: KindConflict, Code: "holder_taken",
				Message: "this document holds a ticket of the session already: one ticket per person per session (" + h.DocMasked + ")"}
		}
		if ev.HolderLimit > 0 {
			n, err := s.store.HolderTickets(ctx, ev.ID, h.IDKey)
			if err != nil {
				return err
			}
			if n >= ev.HolderLimit {
				return &Error{Kind: KindConflict, Code: "holder_limit",
					Message: fmt.Sprintf("the document %s holds %d tickets of this event already, its limit", h.DocMasked, n)}
			}
		}
	}
	return nil
}

// nameHolders binds the issued tickets to the order's holders, in the
// issuing transaction: one per document per session (the store's unique
// index), at most the event's limit across its sessions.
func (s *Service) nameHolders(ctx context.Context, tx Tx, o *Order, ts []Ticket, now time.Time) error {
	if len(o.Holders) == 0 {
		return nil
	}
	ss, err := s.cachedSession(ctx, o.TenantID, o.SessionID)
	if err != nil {
		return err
	}
	ev, err := s.cachedEvent(ctx, o.TenantID, ss.EventID)
	if err != nil {
		return err
	}
	bySeat := map[int64]OrderHolder{}
	for _, h := range o.Holders {
		bySeat[h.SeatID] = h
	}
	hs := make([]TicketHolder, 0, len(ts))
	for _, t := range ts {
		h, ok := bySeat[t.SeatID]
		if !ok {
			return invalid("invalid_holders", "a ticket of a real-name event has no holder", FieldError{Field: "holders", Message: "seat " + t.SeatLabel + " has none"})
		}
		if ev.HolderLimit > 0 {
			n, err := tx.HolderTickets(ctx, ev.ID, h.IDKey)
			if err != nil {
				return err
			}
			if n >= ev.HolderLimit {
				return &Error{Kind: KindConflict, Code: "holder_limit",
					Message: fmt.Sprintf("the document %s holds %d tickets of this event already, its limit", h.DocMasked, n)}
			}
		}
		hs = append(hs, TicketHolder{TicketID: t.ID, SessionID: t.SessionID, EventID: ev.ID, IDKey: h.IDKey, DocType: string(h.DocType), DocMasked: h.DocMasked, At: now.UTC()})
	}
	return tx.InsertTicketHolders(ctx, hs)
}

// showHolders readies an order's holders for p: names opened (masked for
// a role that may not read personal data), keys dropped.
func (s *Service) showHolders(o *Order, unmasked bool) error {
	for i := range o.Holders {
		h := &o.Holders[i]
		name, err := s.OpenText(h.Name)
		if err != nil {
			return fmt.Errorf("order %d: a holder's name: %w", o.ID, err)
		}
		if !unmasked {
			name = MaskName(name)
		}
		h.Name, h.IDKey, h.GateTag = name, "", ""
	}
	return nil
}

// DocumentKey is the keyed hash of an identity document, as real-name
// tickets keep it; other domains (presales) use it to know a person again
// without keeping the number.
func (s *Service) DocumentKey(ctx context.Context, d identity.Document) (string, error) {
	k, err := s.identityKey(ctx)
	if err != nil {
		return "", err
	}
	return d.Key(k), nil
}

// HolderLookup is a document a booth checked, to find its holder's orders.
type HolderLookup struct {
	DocType   identity.Type `json:"doc_type"`
	DocNumber string        `json:"doc_number"`
}

// FindOrdersByHolder finds the orders of the caller's venues with a ticket
// naming the document: at a booth, the pickup of a reserved order after
// checking the buyer's ID (§6.1.6). The document is keyed, never stored.
func (s *Service) FindOrdersByHolder(ctx context.Context, p Principal, in HolderLookup) ([]Order, error) {
	if err := authorize(p, auth.Sell); err != nil {
		return nil, err
	}
	d, err := identity.Parse(in.DocType, in.DocNumber, s.now())
	if err != nil {
		return nil, invalid("invalid_document", err.Error(), FieldError{Field: "doc_number", Message: err.Error()})
	}
	key, err := s.DocumentKey(ctx, d)
	if err != nil {
		return nil, err
	}
	found, err := s.FindOrders(ctx, p, OrderFilter{HolderKey: key, Limit: 50})
	if err != nil {
		return nil, err
	}
	// With their tickets: the booth prints them.
	out := make([]Order, 0, len(found))
	for _, o := range found {
		full, err := s.GetOrder(ctx, p, o.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}
