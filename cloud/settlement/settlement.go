// Package settlement settles money with the parties who sell an
// organiser's tickets (event plan §6.1.4): for a party and a period, a run
// turns each order paid and each refund approved through that party into
// a line (gross, the party's commission and fees, net), by the party's
// rule. A run is immutable once closed, and its lines name their orders.
// A statement from the party is reconciled against a run: each
// difference is listed, and a finance user resolves it with a note, in
// the audit log. Money is integer minor units (fen) everywhere.
package settlement

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule is how a party is paid: a commission in basis points of the
// money it took, a fee per ticket, and a fixed fee per run.
type Rule struct {
	CommissionBP      int   `json:"commission_bp"`
	FeePerTicketCents int64 `json:"fee_per_ticket_cents"`
	FixedCents        int64 `json:"fixed_cents"`
}

// Validate checks a rule's bounds.
func (r Rule) Validate() error {
	switch {
	case r.CommissionBP < 0 || r.CommissionBP > 10000:
		return errors.New("commission_bp must be 0-10000")
	case r.FeePerTicketCents < 0 || r.FixedCents < 0:
		return errors.New("fees must not be negative")
	}
	return nil
}

// Partner is a party settled with: its party name as sales records it
// ("agency:12") and its rule.
type Partner struct {
	TenantID int64  `json:"tenant_id"`
	Party    string `json:"party"`
	Name     string `json:"name"`
	Rule     Rule   `json:"rule"`
}

// FactKind is what moved money.
type FactKind string

const (
	Sale   FactKind = "sale"
	Refund FactKind = "refund"
	// Production is commemorative tickets the printing house made.
	Production FactKind = "production"
)

// The parties whose rules the organiser sets in settlement itself: the
// organiser (all its sales, the platform's commission and fees) and the
// printing house (a fee per commemorative ticket made).
const (
	Organiser = "organiser"
	Printer   = "printer"
)

// Fact is money that moved through a party: an order paid, or a refund
// of one approved. Tickets and AmountCents are positive for both.
type Fact struct {
	Kind        FactKind  `json:"kind"`
	OrderID     int64     `json:"order_id"`
	RefundID    int64     `json:"refund_id,omitempty"`
	Reference   string    `json:"reference,omitempty"` // the party's own order number
	Tickets     int       `json:"tickets"`
	AmountCents int64     `json:"amount_cents"`
	At          time.Time `json:"at"`
}

// Line is a fact settled: a refund's line is negative, reversing its
// share of the sale (the commission and fees go back with the money).
type Line struct {
	Fact
	GrossCents      int64 `json:"gross_cents"`
	CommissionCents int64 `json:"commission_cents"`
	FeeCents        int64 `json:"fee_cents"`
	NetCents        int64 `json:"net_cents"` // gross - commission - fees: what the party owes the organiser
}

// Commission is bp basis points of amount, rounded half away from zero.
func Commission(amount int64, bp int) int64 {
	v := amount * int64(bp)
	if v >= 0 {
		return (v + 5000) / 10000
	}
	return -((-v + 5000) / 10000)
}

// Settle turns facts into lines by rule.
func Settle(r Rule, facts []Fact) []Line {
	out := make([]Line, len(facts))
	for i, f := range facts {
		if f.Kind == Production {
			// The organiser owes the printing house its fee per ticket made.
			fee := int64(f.Tickets) * r.FeePerTicketCents
			out[i] = Line{Fact: f, FeeCents: fee, NetCents: -fee}
			continue
		}
		sign := int64(1)
		if f.Kind == Refund {
			sign = -1
		}
		l := Line{Fact: f, GrossCents: sign * f.AmountCents}
		l.CommissionCents = Commission(l.GrossCents, r.CommissionBP)
		l.FeeCents = sign * int64(f.Tickets) * r.FeePerTicketCents
		l.NetCents = l.GrossCents - l.CommissionCents - l.FeeCents
		out[i] = l
	}
	return out
}

// Totals are a run's sums.
type Totals struct {
	Tickets         int   `json:"tickets"` // sold less refunded
	GrossCents      int64 `json:"gross_cents"`
	CommissionCents int64 `json:"commission_cents"`
	FeeCents        int64 `json:"fee_cents"`
	FixedCents      int64 `json:"fixed_cents"`
	NetCents        int64 `json:"net_cents"` // the lines' net less the fixed fee
}

// Sum totals lines and the rule's fixed fee.
func Sum(r Rule, lines []Line) Totals {
	t := Totals{FixedCents: r.FixedCents}
	for _, l := range lines {
		switch l.Kind {
		case Refund:
			t.Tickets -= l.Tickets
		case Sale:
			t.Tickets += l.Tickets
		}
		t.GrossCents += l.GrossCents
		t.CommissionCents += l.CommissionCents
		t.FeeCents += l.FeeCents
		t.NetCents += l.NetCents
	}
	t.NetCents -= r.FixedCents
	return t
}

// State is a run's.
type State string

const (
	Open   State = "open"   // its lines may be rebuilt
	Closed State = "closed" // immutable
)

// Run settles a party for a period [From, To).
type Run struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	Party     string     `json:"party"`
	Name      string     `json:"name"`
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Rule      Rule       `json:"rule"`
	State     State      `json:"state"`
	Scheduled bool       `json:"scheduled"`
	Totals    Totals     `json:"totals"`
	Lines     []Line     `json:"lines,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ClosedBy  string     `json:"closed_by,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// StatementLine is one order as the party's statement has it.
type StatementLine struct {
	OrderID     int64  `json:"order_id"`
	Reference   string `json:"reference,omitempty"`
	AmountCents int64  `json:"amount_cents"` // its net, positive for a sale, negative for a refund
}

// DiffKind says how a statement and a run differ on an order.
type DiffKind string

const (
	MissingInRun       DiffKind = "missing_in_run"       // the party lists it, we settled none
	MissingInStatement DiffKind = "missing_in_statement" // we settled it, the party does not list it
	AmountDiffers      DiffKind = "amount_differs"
)

// Diff is one difference, resolved by a finance user with a note.
type Diff struct {
	ID          int64      `json:"id"`
	RunID       int64      `json:"run_id"`
	OrderID     int64      `json:"order_id"`
	Kind        DiffKind   `json:"kind"`
	OursCents   int64      `json:"ours_cents"`
	TheirsCents int64      `json:"theirs_cents"`
	Note        string     `json:"note,omitempty"`
	ResolvedBy  string     `json:"resolved_by,omitempty"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
}

// Reconcile compares a run's lines with a statement, order by order (a
// party's statement nets each order's sale and refunds). Differences
// come in order id order.
func Reconcile(lines []Line, st []StatementLine) []Diff {
	ours := map[int64]int64{}
	for _, l := range lines {
		ours[l.OrderID] += l.NetCents
	}
	theirs := map[int64]int64{}
	for _, s := range st {
		theirs[s.OrderID] += s.AmountCents
	}
	var out []Diff
	ids := map[int64]bool{}
	for id := range ours {
		ids[id] = true
	}
	for id := range theirs {
		ids[id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		o, inOurs := ours[id]
		t, inTheirs := theirs[id]
		switch {
		case !inOurs:
			out = append(out, Diff{OrderID: id, Kind: MissingInRun, TheirsCents: t})
		case !inTheirs:
			out = append(out, Diff{OrderID: id, Kind: MissingInStatement, OursCents: o})
		case o != t:
			out = append(out, Diff{OrderID: id, Kind: AmountDiffers, OursCents: o, TheirsCents: t})
		}
	}
	return out
}

// Cover checks that runs (sorted by start) settle [from, to) whole: the
// first starts at from, each starts where the one before ended, and the
// last ends at to. It says where a gap is.
func Cover(runs []Run, from, to time.Time) error {
	at := from
	for _, r := range runs {
		if !r.From.Equal(at) {
			return fmt.Errorf("nothing is settled from %s to %s", at.UTC().Format(time.RFC3339), r.From.UTC().Format(time.RFC3339))
		}
		at = r.To
	}
	if !at.Equal(to) {
		return fmt.Errorf("nothing is settled from %s to %s", at.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	return nil
}

// ReconcileRuns compares a statement covering several runs with all
// their lines, and puts each difference on the run that settled its
// order; one the runs never settled goes on the last run.
func ReconcileRuns(runs []Run, st []StatementLine) map[int64][]Diff {
	var lines []Line
	runOf := map[int64]int64{}
	for _, r := range runs {
		lines = append(lines, r.Lines...)
		for _, l := range r.Lines {
			if _, ok := runOf[l.OrderID]; !ok {
				runOf[l.OrderID] = r.ID
			}
		}
	}
	out := map[int64][]Diff{}
	for _, r := range runs {
		out[r.ID] = []Diff{}
	}
	for _, d := range Reconcile(lines, st) {
		id, ok := runOf[d.OrderID]
		if !ok {
			id = runs[len(runs)-1].ID
		}
		d.RunID = id
		out[id] = append(out[id], d)
	}
	return out
}

// LineError is a statement line that cannot be read.
type LineError struct {
	Line int    `json:"line"`
	Msg  string `json:"message"`
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// MaxStatementLines bounds a statement file.
const MaxStatementLines = 100_000

// ParseStatement reads a party's statement as CSV with the header
// order_id,reference,amount_cents (reference may be empty). Every bad
// line is reported with its number; any bad line means no statement.
func ParseStatement(r io.Reader) ([]StatementLine, []LineError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []StatementLine
	var errs []LineError
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if n == 1 {
				errs = append(errs, LineError{1, "empty: the first line must be order_id,reference,amount_cents"})
			}
			break
		}
		if err != nil {
			errs = append(errs, LineError{n, "not CSV: " + err.Error()})
			break
		}
		if n == 1 {
			if len(rec) != 3 || strings.TrimPrefix(rec[0], "\ufeff") != "order_id" || rec[1] != "reference" || rec[2] != "amount_cents" {
				errs = append(errs, LineError{1, "the first line must be order_id,reference,amount_cents"})
				break
			}
			continue
		}
		if n > MaxStatementLines+1 {
			errs = append(errs, LineError{n, fmt.Sprintf("more than %d lines", MaxStatementLines)})
			break
		}
		if len(rec) != 3 {
			errs = append(errs, LineError{n, "want 3 fields: order_id,reference,amount_cents"})
			continue
		}
		id, err := strconv.ParseInt(strings.TrimSpace(rec[0]), 10, 64)
		if err != nil || id <= 0 {
			errs = append(errs, LineError{n, "order_id must be a positive integer"})
			continue
		}
		amt, err := strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
		if err != nil || amt > 1<<40 || amt < -(1<<40) {
			errs = append(errs, LineError{n, "amount_cents must be an integer number of fen"})
			continue
		}
		if len(rec[1]) > 64 {
			errs = append(errs, LineError{n, "reference: at most 64 characters"})
			continue
		}
		out = append(out, StatementLine{OrderID: id, Reference: rec[1], AmountCents: amt})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// Multi lists the partners of several kinds (agencies, booths, contract
// customers) as one.
type Multi []Partners

// Partners lists every kind's partners.
func (m Multi) Partners(ctx context.Context, tenantID int64) ([]Partner, error) {
	var out []Partner
	for _, p := range m {
		ps, err := p.Partners(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}
