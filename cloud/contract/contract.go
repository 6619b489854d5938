// Package contract is selling to contract customers through their
// representatives (event plan §6.1.3(5), §6.1.5): a customer's quota is
// kept on two tracks, per session and price level for all contract
// customers and for each one (quotas of the contract channel in the
// session, the second naming the customer's party). A representative
// orders a quantity, which locks the quota; then picks seats or has the
// best assigned, which locks the seats until the event's deadline for
// names (24 hours before the show); then names a holder per seat by a
// CSV file, every bad line reported. A finance user records the payment
// made outside the system, and only then are the tickets issued, for the
// bound holders.
package contract

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/sales"
)

// Customer is a contract customer.
type Customer struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Party is the customer as sales names who sold: its quota track and
// its orders carry it.
func (c Customer) Party() string { return PartyOf(c.ID) }

// PartyOf names customer id as a sales party.
func PartyOf(id int64) string { return "customer:" + strconv.FormatInt(id, 10) }

// State is a contract order's.
type State string

const (
	Ordered State = "ordered" // a quantity: the quota is locked
	Seated  State = "seated"  // seats held until the deadline
	Named   State = "named"   // a holder bound to every seat
	Paid    State = "paid"    // payment recorded: tickets issued
	Lapsed  State = "lapsed"  // not named by the deadline: quota and seats free
)

// Order is a representative's order of a quantity of one price level of
// one session.
type Order struct {
	ID         int64     `json:"id"`
	TenantID   int64     `json:"tenant_id"`
	CustomerID int64     `json:"customer_id"`
	SessionID  int64     `json:"session_id"`
	TierID     int64     `json:"tier_id"`
	Quantity   int       `json:"quantity"`
	State      State     `json:"state"`
	Deadline   time.Time `json:"deadline"` // names (and seats) by then
	HoldID     int64     `json:"hold_id,omitempty"`
	SeatIDs    []int64   `json:"seat_ids,omitempty"`
	// Holders are sealed as stored; shown masked.
	Holders    []Holder  `json:"holders,omitempty"`
	PaymentRef string    `json:"payment_ref,omitempty"`
	SaleID     int64     `json:"sale_id,omitempty"` // the sales order, once paid
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// Holder is a seat's holder as the customer named them.
type Holder struct {
	SeatID    int64         `json:"seat_id"`
	DocType   identity.Type `json:"doc_type"`
	DocNumber string        `json:"doc_number"`
	Name      string        `json:"name"`
}

// Active reports whether an order still holds quota at now.
func (o Order) Active(now time.Time) bool {
	switch o.State {
	case Paid:
		return true
	case Ordered, Seated, Named:
		return now.Before(o.Deadline)
	}
	return false
}

// NamesBefore is how long before its session a customer's names are due
// (the current rule).
const NamesBefore = 24 * time.Hour

// LineProblem is a bad line of a holders file.
type LineProblem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// MaxHolderLines bounds a holders file.
const MaxHolderLines = 10_000

// ParseHolders reads a holders file: CSV with the header
// doc_type,doc_number,name and one line per seat, in seat order. Every
// bad line is reported; any bad line means no holders.
func ParseHolders(r io.Reader, now time.Time) ([]Holder, []LineProblem) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []Holder
	var probs []LineProblem
	docs := map[string]int{}
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if n == 1 {
				probs = append(probs, LineProblem{1, "empty: the first line must be doc_type,doc_number,name"})
			}
			break
		}
		if err != nil {
			probs = append(probs, LineProblem{n, "not CSV: " + err.Error()})
			break
		}
		if n == 1 {
			if len(rec) != 3 || strings.TrimPrefix(rec[0], "\ufeff") != "doc_type" || rec[1] != "doc_number" || rec[2] != "name" {
				probs = append(probs, LineProblem{1, "the first line must be doc_type,doc_number,name"})
				break
			}
			continue
		}
		if n > MaxHolderLines+1 {
			probs = append(probs, LineProblem{n, fmt.Sprintf("more than %d holders", MaxHolderLines)})
			break
		}
		if len(rec) != 3 {
			probs = append(probs, LineProblem{n, "want 3 fields: doc_type,doc_number,name"})
			continue
		}
		doc, err := identity.Parse(identity.Type(strings.TrimSpace(rec[0])), rec[1], now)
		if err != nil {
			probs = append(probs, LineProblem{n, err.Error()})
			continue
		}
		name := strings.TrimSpace(rec[2])
		if l := len([]rune(name)); l == 0 || l > 80 {
			probs = append(probs, LineProblem{n, "name: 1-80 characters"})
			continue
		}
		if prev, ok := docs[string(doc.Type)+":"+doc.Number]; ok {
			probs = append(probs, LineProblem{n, fmt.Sprintf("the same document as line %d: one ticket per person", prev)})
			continue
		}
		docs[string(doc.Type)+":"+doc.Number] = n
		out = append(out, Holder{DocType: doc.Type, DocNumber: doc.Number, Name: name})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}

// ErrNotFound, ErrQuota are the store's.
var (
	ErrNotFound = errors.New("contract: not found")
	ErrChanged  = errors.New("contract: the order changed meanwhile")
)

// Report is what one customer bought of one session.
type Report struct {
	CustomerID int64  `json:"customer_id"`
	Customer   string `json:"customer"`
	SessionID  int64  `json:"session_id"`
	Ordered    int    `json:"ordered"` // active, unpaid
	Paid       int    `json:"paid"`    // tickets issued
	PaidCents  int64  `json:"paid_cents"`
}

// ReportCSV writes reports as CSV.
func ReportCSV(rs []Report) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"customer_id", "customer", "session_id", "ordered", "paid", "paid_cents"})
	for _, r := range rs {
		_ = w.Write([]string{strconv.FormatInt(r.CustomerID, 10), r.Customer, strconv.FormatInt(r.SessionID, 10),
			strconv.Itoa(r.Ordered), strconv.Itoa(r.Paid), strconv.FormatInt(r.PaidCents, 10)})
	}
	w.Flush()
	return b.Bytes()
}

// Counter counts, in the order's transaction, the quantities of active
// orders of a session: of one tier (0: all) and one customer (0: all).
type Counter func(tierID, customerID int64) (int, error)

// CheckQuotas checks a new order of quantity against the session's two
// tracks: each contract quota of its tier (or of all tiers) for all
// customers, and each for the order's customer. The counts include the
// new order. A session with no contract quota for the tier sells none.
func CheckQuotas(ss sales.Session, o Order, count Counter) error {
	party := PartyOf(o.CustomerID)
	found := false
	for _, q := range ss.Quotas {
		if q.Channel != sales.ChannelContract || (q.TierID != 0 && q.TierID != o.TierID) || (q.Party != "" && q.Party != party) {
			continue
		}
		found = true
		var cust int64
		track := "all contract customers'"
		if q.Party != "" {
			cust, track = o.CustomerID, "your"
		}
		used, err := count(q.TierID, cust)
		if err != nil {
			return err
		}
		if used > q.Limit {
			return sales.Conflict("quota_exhausted", fmt.Sprintf("%s quota for this session is used up: %d of %d left", track, max(0, q.Limit-(used-o.Quantity)), q.Limit))
		}
	}
	if !found {
		return sales.Conflict("no_contract_quota", "this session keeps no tickets of that level for contract customers")
	}
	return nil
}
