package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// Settlement keeps settlement runs and reconciliations.
func (s *Store) Settlement() settlement.Store { return settlementStore{s} }

type settlementStore struct{ s *Store }

func (r settlementStore) Facts(ctx context.Context, tenantID int64, party string, from, to time.Time) ([]settlement.Fact, error) {
	var out []settlement.Fact
	// A booth is an outlet: its sales are its staff's; other parties
	// (agencies, contract customers) are named on their orders.
	who, key := "o.party = ?", any(party)
	switch party {
	case settlement.Organiser: // every sale of the tenant
		who, key = "o.tenant_id = ?", tenantID
	case settlement.Printer:
		return r.produced(ctx, tenantID, from, to)
	}
	if id, ok := strings.CutPrefix(party, "outlet:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: settlement party %q: %w", party, err)
		}
		who, key = "o.outlet_id = ?", n
	}
	rows, err := r.s.q.QueryContext(ctx, `SELECT o.id, o.payment_ref, (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id), o.total_cents, o.paid_at
FROM orders o WHERE `+who+` AND o.tenant_id = ? AND o.paid_at >= ? AND o.paid_at < ? ORDER BY o.paid_at, o.id`, key, tenantID, ms(from), ms(to))
	if err != nil {
		return nil, wrap(err, "settlement sales")
	}
	for rows.Next() {
		f := settlement.Fact{Kind: settlement.Sale}
		var at int64
		if err := rows.Scan(&f.OrderID, &f.Reference, &f.Tickets, &f.AmountCents, &at); err != nil {
			rows.Close()
			return nil, wrap(err, "settlement sales")
		}
		f.At = fromMS(at)
		out = append(out, f)
	}
	if err := rows.Close(); err != nil {
		return nil, wrap(err, "settlement sales")
	}
	rows, err = r.s.q.QueryContext(ctx, `SELECT r.id, r.order_id, o.payment_ref, r.ticket_ids, r.amount_cents, r.decided_at
FROM refunds r JOIN orders o ON o.id = r.order_id
WHERE r.tenant_id = ? AND r.status = 'approved' AND r.decided_at >= ? AND r.decided_at < ? AND `+who+` ORDER BY r.decided_at, r.id`, tenantID, ms(from), ms(to), key)
	if err != nil {
		return nil, wrap(err, "settlement refunds")
	}
	defer rows.Close()
	for rows.Next() {
		f := settlement.Fact{Kind: settlement.Refund}
		var ids string
		var at int64
		if err := rows.Scan(&f.RefundID, &f.OrderID, &f.Reference, &ids, &f.AmountCents, &at); err != nil {
			return nil, wrap(err, "settlement refunds")
		}
		var tids []int64
		if err := json.Unmarshal([]byte(ids), &tids); err != nil {
			return nil, wrap(err, "settlement refunds")
		}
		f.Tickets, f.At = len(tids), fromMS(at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "settlement refunds")
	}
	slices.SortStableFunc(out, func(a, b settlement.Fact) int { return a.At.Compare(b.At) })
	return out, nil
}

func (t *txn) insertLines(ctx context.Context, runID int64, party string, ls []settlement.Line) error {
	for chunk := range slices.Chunk(ls, 200) {
		var b strings.Builder
		b.WriteString(`INSERT INTO settlement_lines (run_id, kind, order_id, refund_id, reference, tickets, amount_cents, at, gross_cents, commission_cents, fee_cents, net_cents, party) VALUES `)
		args := make([]any, 0, 13*len(chunk))
		for i, l := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, runID, l.Kind, l.OrderID, l.RefundID, l.Reference, l.Tickets, l.AmountCents, ms(l.At), l.GrossCents, l.CommissionCents, l.FeeCents, l.NetCents, party)
		}
		if _, err := t.q.ExecContext(ctx, b.String(), args...); err != nil {
			if t.d.Unique(err) {
				return settlement.ErrOverlap // a fact is in another run already
			}
			return wrap(err, "store settlement lines")
		}
	}
	return nil
}

func (r settlementStore) InsertRun(ctx context.Context, run settlement.Run, e audit.Entry) (settlement.Run, error) {
	rule, _ := json.Marshal(run.Rule)
	totals, _ := json.Marshal(run.Totals)
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		var n int
		if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM settlement_runs WHERE tenant_id = ? AND party = ? AND from_at < ? AND to_at > ?`,
			run.TenantID, run.Party, ms(run.To), ms(run.From)).Scan(&n); err != nil {
			return wrap(err, "check settlement periods")
		}
		if n > 0 {
			return settlement.ErrOverlap
		}
		if err := t.q.QueryRowContext(ctx, `INSERT INTO settlement_runs (tenant_id, party, name, from_at, to_at, rule, state, scheduled, totals, created_by, created_at, closed_by)
VALUES (?,?,?,?,?,?,?,?,?,?,?,'') RETURNING id`, run.TenantID, run.Party, run.Name, ms(run.From), ms(run.To), string(rule), run.State, boolInt(run.Scheduled),
			string(totals), run.CreatedBy, ms(run.CreatedAt)).Scan(&run.ID); err != nil {
			return wrap(err, "store a settlement run")
		}
		if err := t.insertLines(ctx, run.ID, run.Party, run.Lines); err != nil {
			return err
		}
		e.Object = "settlement:" + strconv.FormatInt(run.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return run, err
}

func (r settlementStore) ReplaceLines(ctx context.Context, run settlement.Run, e audit.Entry) error {
	rule, _ := json.Marshal(run.Rule)
	totals, _ := json.Marshal(run.Totals)
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE settlement_runs SET rule = ?, totals = ? WHERE id = ? AND tenant_id = ? AND state = 'open'`, string(rule), string(totals), run.ID, run.TenantID)
		if err != nil {
			return wrap(err, "rebuild a settlement run")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return settlement.ErrClosed
		}
		if _, err := t.q.ExecContext(ctx, `DELETE FROM settlement_lines WHERE run_id = ?`, run.ID); err != nil {
			return wrap(err, "rebuild a settlement run")
		}
		if err := t.insertLines(ctx, run.ID, run.Party, run.Lines); err != nil {
			return err
		}
		e.Object = "settlement:" + strconv.FormatInt(run.ID, 10)
		return t.AppendAudit(ctx, e)
	})
}

func (r settlementStore) CloseRun(ctx context.Context, tenantID, id int64, by string, at time.Time, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE settlement_runs SET state = 'closed', closed_by = ?, closed_at = ? WHERE id = ? AND tenant_id = ? AND state = 'open'`, by, ms(at), id, tenantID)
		if err != nil {
			return wrap(err, "close a settlement run")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return settlement.ErrClosed
		}
		e.Object = "settlement:" + strconv.FormatInt(id, 10)
		return t.AppendAudit(ctx, e)
	})
}

const runCols = `id, tenant_id, party, name, from_at, to_at, rule, state, scheduled, totals, created_by, created_at, closed_by, closed_at`

func scanRun(sc interface{ Scan(...any) error }) (settlement.Run, error) {
	var run settlement.Run
	var from, to, at int64
	var rule, totals string
	var sched int
	var closed sql.NullInt64
	if err := sc.Scan(&run.ID, &run.TenantID, &run.Party, &run.Name, &from, &to, &rule, &run.State, &sched, &totals, &run.CreatedBy, &at, &run.ClosedBy, &closed); err != nil {
		return run, err
	}
	run.From, run.To, run.CreatedAt, run.ClosedAt, run.Scheduled = fromMS(from), fromMS(to), fromMS(at), fromNullMS(closed), sched == 1
	if err := json.Unmarshal([]byte(rule), &run.Rule); err != nil {
		return run, err
	}
	return run, json.Unmarshal([]byte(totals), &run.Totals)
}

func (r settlementStore) Run(ctx context.Context, tenantID, id int64) (settlement.Run, error) {
	run, err := scanRun(r.s.q.QueryRowContext(ctx, `SELECT `+runCols+` FROM settlement_runs WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return run, settlement.ErrNotFound
	}
	if err != nil {
		return run, wrap(err, "read a settlement run")
	}
	rows, err := r.s.q.QueryContext(ctx, `SELECT kind, order_id, refund_id, reference, tickets, amount_cents, at, gross_cents, commission_cents, fee_cents, net_cents
FROM settlement_lines WHERE run_id = ? ORDER BY at, order_id, refund_id`, id)
	if err != nil {
		return run, wrap(err, "read settlement lines")
	}
	defer rows.Close()
	run.Lines = []settlement.Line{}
	for rows.Next() {
		var l settlement.Line
		var at int64
		if err := rows.Scan(&l.Kind, &l.OrderID, &l.RefundID, &l.Reference, &l.Tickets, &l.AmountCents, &at, &l.GrossCents, &l.CommissionCents, &l.FeeCents, &l.NetCents); err != nil {
			return run, wrap(err, "read settlement lines")
		}
		l.At = fromMS(at)
		run.Lines = append(run.Lines, l)
	}
	return run, wrap(rows.Err(), "read settlement lines")
}

func (r settlementStore) Runs(ctx context.Context, tenantID int64, party string, limit int) ([]settlement.Run, error) {
	q, args := `SELECT `+runCols+` FROM settlement_runs WHERE tenant_id = ?`, []any{tenantID}
	if party != "" {
		q += ` AND party = ?`
		args = append(args, party)
	}
	rows, err := r.s.q.QueryContext(ctx, q+` ORDER BY to_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "list settlement runs")
	}
	defer rows.Close()
	out := []settlement.Run{}
	for rows.Next() {
		run, err := scanRun(rows)
		if err != nil {
			return nil, wrap(err, "list settlement runs")
		}
		out = append(out, run)
	}
	return out, wrap(rows.Err(), "list settlement runs")
}

func (r settlementStore) LastEnd(ctx context.Context, tenantID int64, party string) (time.Time, bool, error) {
	var end sql.NullInt64
	err := r.s.q.QueryRowContext(ctx, `SELECT MAX(to_at) FROM settlement_runs WHERE tenant_id = ? AND party = ?`, tenantID, party).Scan(&end)
	if err != nil || !end.Valid {
		return time.Time{}, false, wrap(err, "last settlement")
	}
	return fromMS(end.Int64), true, nil
}

const diffCols = `id, run_id, order_id, kind, ours_cents, theirs_cents, note, resolved_by, resolved_at`

func scanDiff(sc interface{ Scan(...any) error }) (settlement.Diff, error) {
	var d settlement.Diff
	var at sql.NullInt64
	err := sc.Scan(&d.ID, &d.RunID, &d.OrderID, &d.Kind, &d.OursCents, &d.TheirsCents, &d.Note, &d.ResolvedBy, &at)
	d.ResolvedAt = fromNullMS(at)
	return d, err
}

func (r settlementStore) SetDiffs(ctx context.Context, tenantID int64, byRun map[int64][]settlement.Diff, e audit.Entry) ([]settlement.Diff, error) {
	out := []settlement.Diff{}
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		out = out[:0]
		for _, runID := range slices.Sorted(maps.Keys(byRun)) {
			if _, err := t.q.ExecContext(ctx, `DELETE FROM settlement_diffs WHERE run_id = ? AND tenant_id = ? AND resolved_at IS NULL`, runID, tenantID); err != nil {
				return wrap(err, "store differences")
			}
			for _, d := range byRun[runID] {
				d.RunID = runID
				if err := t.q.QueryRowContext(ctx, `INSERT INTO settlement_diffs (tenant_id, run_id, order_id, kind, ours_cents, theirs_cents, note, resolved_by) VALUES (?,?,?,?,?,?,'','') RETURNING id`,
					tenantID, runID, d.OrderID, d.Kind, d.OursCents, d.TheirsCents).Scan(&d.ID); err != nil {
					return wrap(err, "store differences")
				}
				out = append(out, d)
			}
		}
		return t.AppendAudit(ctx, e)
	})
	return out, err
}

func (r settlementStore) Diffs(ctx context.Context, tenantID, runID int64) ([]settlement.Diff, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+diffCols+` FROM settlement_diffs WHERE run_id = ? AND tenant_id = ? ORDER BY id`, runID, tenantID)
	if err != nil {
		return nil, wrap(err, "list differences")
	}
	defer rows.Close()
	out := []settlement.Diff{}
	for rows.Next() {
		d, err := scanDiff(rows)
		if err != nil {
			return nil, wrap(err, "list differences")
		}
		out = append(out, d)
	}
	return out, wrap(rows.Err(), "list differences")
}

func (r settlementStore) ResolveDiff(ctx context.Context, tenantID, id int64, note, by string, at time.Time, e audit.Entry) (settlement.Diff, error) {
	var d settlement.Diff
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE settlement_diffs SET note = ?, resolved_by = ?, resolved_at = ? WHERE id = ? AND tenant_id = ? AND resolved_at IS NULL`, note, by, ms(at), id, tenantID)
		if err != nil {
			return wrap(err, "resolve a difference")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return settlement.ErrNotFound
		}
		if d, err = scanDiff(t.q.QueryRowContext(ctx, `SELECT `+diffCols+` FROM settlement_diffs WHERE id = ?`, id)); err != nil {
			return wrap(err, "resolve a difference")
		}
		e.Object = "settlement:" + strconv.FormatInt(d.RunID, 10) + ":diff:" + strconv.FormatInt(id, 10)
		return t.AppendAudit(ctx, e)
	})
	return d, err
}

// produced are the commemorative tickets made in [from, to), one fact
// per order.
func (r settlementStore) produced(ctx context.Context, tenantID int64, from, to time.Time) ([]settlement.Fact, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT order_id, COUNT(*), MAX(produced_at) FROM tickets
WHERE tenant_id = ? AND produced_at >= ? AND produced_at < ? AND production = 'commemorative' GROUP BY order_id ORDER BY MAX(produced_at), order_id`, tenantID, ms(from), ms(to))
	if err != nil {
		return nil, wrap(err, "settlement production")
	}
	defer rows.Close()
	var out []settlement.Fact
	for rows.Next() {
		f := settlement.Fact{Kind: settlement.Production}
		var at int64
		if err := rows.Scan(&f.OrderID, &f.Tickets, &at); err != nil {
			return nil, wrap(err, "settlement production")
		}
		f.At = fromMS(at)
		out = append(out, f)
	}
	return out, wrap(rows.Err(), "settlement production")
}

func (r settlementStore) SetRule(ctx context.Context, pt settlement.Partner, e audit.Entry) error {
	rule, _ := json.Marshal(pt.Rule)
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if _, err := t.q.ExecContext(ctx, `INSERT INTO settlement_rules (tenant_id, party, name, rule) VALUES (?,?,?,?)
ON CONFLICT (tenant_id, party) DO UPDATE SET rule = excluded.rule, name = excluded.name`, pt.TenantID, pt.Party, pt.Name, string(rule)); err != nil {
			return wrap(err, "set a settlement rule")
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r settlementStore) Rules(ctx context.Context, tenantID int64) ([]settlement.Partner, error) {
	q, args := `SELECT tenant_id, party, name, rule FROM settlement_rules ORDER BY tenant_id, party`, []any(nil)
	if tenantID != 0 {
		q, args = `SELECT tenant_id, party, name, rule FROM settlement_rules WHERE tenant_id = ? ORDER BY party`, []any{tenantID}
	}
	rows, err := r.s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "settlement rules")
	}
	defer rows.Close()
	var out []settlement.Partner
	for rows.Next() {
		var pt settlement.Partner
		var rule string
		if err := rows.Scan(&pt.TenantID, &pt.Party, &pt.Name, &rule); err != nil {
			return nil, wrap(err, "settlement rules")
		}
		if err := json.Unmarshal([]byte(rule), &pt.Rule); err != nil {
			return nil, wrap(err, "settlement rules")
		}
		out = append(out, pt)
	}
	return out, wrap(rows.Err(), "settlement rules")
}
