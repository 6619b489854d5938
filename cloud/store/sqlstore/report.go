package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/sales"
)

// Reports is the national data platform reporter's queue in this store.
func (s *Store) Reports() report.Store { return reportStore{s} }

type reportStore struct{ s *Store }

func (r reportStore) OutboxAfter(ctx context.Context, limit int) (int64, []report.OutboxEntry, error) {
	var cursor int64
	if err := r.s.q.QueryRowContext(ctx, `SELECT outbox_id FROM report_cursor WHERE id = 1`).Scan(&cursor); err != nil {
		return 0, nil, wrap(err, "read the report cursor")
	}
	rows, err := r.s.q.QueryContext(ctx, `SELECT id, tenant_id, venue_id, kind, payload, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?`, cursor, limit)
	if err != nil {
		return 0, nil, wrap(err, "read the outbox")
	}
	defer rows.Close()
	var out []report.OutboxEntry
	for rows.Next() {
		var e report.OutboxEntry
		var payload string
		var at int64
		if err := rows.Scan(&e.ID, &e.TenantID, &e.VenueID, &e.Kind, &payload, &at); err != nil {
			return 0, nil, wrap(err, "read the outbox")
		}
		e.Payload, e.At = []byte(payload), fromMS(at)
		out = append(out, e)
	}
	return cursor, out, wrap(rows.Err(), "read the outbox")
}

func (r reportStore) Enqueue(ctx context.Context, from, to int64, rs []report.Report) (bool, error) {
	moved := false
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE report_cursor SET outbox_id = ? WHERE id = 1 AND outbox_id = ?`, to, from)
		if err != nil {
			return wrap(err, "move the report cursor")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // another process planned these entries
		}
		moved = true
		return insertReports(ctx, t, rs)
	})
	return moved, err
}

func (r reportStore) DayPlanned(ctx context.Context, venueID int64, date string) (bool, error) {
	var n int
	err := r.s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM report_days WHERE venue_id = ? AND business_date = ?`, venueID, date).Scan(&n)
	return n > 0, wrap(err, "read planned days")
}

func (r reportStore) EnqueueDay(ctx context.Context, venueID int64, date string, at time.Time, rs []report.Report) (bool, error) {
	planned := false
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `INSERT INTO report_days (venue_id, business_date, planned_at) VALUES (?,?,?) ON CONFLICT DO NOTHING`, venueID, date, ms(at))
		if err != nil {
			return wrap(err, "plan a day")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // another process planned it
		}
		planned = true
		return insertReports(ctx, t, rs)
	})
	return planned, err
}

func insertReports(ctx context.Context, t *txn, rs []report.Report) error {
	for _, x := range rs {
		if _, err := t.q.ExecContext(ctx, `INSERT INTO reports (tenant_id, venue_id, serial, interface, key, body, message, created_at, state, next_at)
VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (serial) DO NOTHING`, x.TenantID, x.VenueID, x.Serial, x.Interface, x.Key, string(x.Body),
			string(x.Message), ms(x.CreatedAt), x.State, ms(x.NextAt)); err != nil {
			return wrap(err, "enqueue report")
		}
	}
	return nil
}

const reportCols = `id, tenant_id, venue_id, serial, interface, key, body, message, created_at, state, sends, failures, next_at, last_error, answer, delivered_at`

func scanReport(sc interface{ Scan(...any) error }) (report.Report, error) {
	var x report.Report
	var body, msg string
	var created, next int64
	var delivered sql.NullInt64
	err := sc.Scan(&x.ID, &x.TenantID, &x.VenueID, &x.Serial, &x.Interface, &x.Key, &body, &msg, &created, &x.State, &x.Sends, &x.Failures,
		&next, &x.LastError, &x.Answer, &delivered)
	x.Body, x.Message, x.CreatedAt, x.NextAt, x.DeliveredAt = []byte(body), []byte(msg), fromMS(created), fromMS(next), fromNullMS(delivered)
	return x, err
}

// Due lists pending reports due by now, oldest first, leaving out any
// whose key has an older report still waiting: a key's reports go in order.
func (r reportStore) Due(ctx context.Context, now time.Time, limit int) ([]report.Report, error) {
	n := ms(now)
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+reportCols+` FROM reports r WHERE state = 'pending' AND next_at <= ?
AND NOT EXISTS (SELECT 1 FROM reports p WHERE p.key = r.key AND p.state = 'pending' AND p.id < r.id AND p.next_at > ?)
ORDER BY id LIMIT ?`, n, n, limit)
	if err != nil {
		return nil, wrap(err, "read due reports")
	}
	defer rows.Close()
	var out []report.Report
	for rows.Next() {
		x, err := scanReport(rows)
		if err != nil {
			return nil, wrap(err, "read due reports")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read due reports")
}

func (r reportStore) Finish(ctx context.Context, rs []report.Report) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		for _, x := range rs {
			if _, err := t.q.ExecContext(ctx, `UPDATE reports SET state = ?, sends = ?, failures = ?, next_at = ?, last_error = ?, answer = ?, delivered_at = ?
WHERE id = ? AND state = 'pending'`, x.State, x.Sends, x.Failures, ms(x.NextAt), x.LastError, x.Answer, nullMS(x.DeliveredAt), x.ID); err != nil {
				return wrap(err, fmt.Sprintf("record report %s", x.Serial))
			}
		}
		return nil
	})
}

func (r reportStore) Wake(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		res, err := tx.(*txn).q.ExecContext(ctx, `UPDATE reports SET next_at = ? WHERE state = 'pending' AND next_at > ?`, ms(now), ms(now))
		if err != nil {
			return wrap(err, "wake reports")
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return nil
	})
	return n, err
}

// scopeClause limits reports to a scope.
func scopeClause(sc report.Scope) (string, []any) {
	tc, args := tenantClause("tenant_id", sc.TenantID)
	if sc.VenueIDs != nil {
		if len(sc.VenueIDs) == 0 {
			return "0=1", nil
		}
		tc += ` AND venue_id IN (` + placeholders(len(sc.VenueIDs)) + `)`
		args = append(args, int64Args(sc.VenueIDs)...)
	}
	return tc, args
}

func (r reportStore) Rereport(ctx context.Context, venueID int64, from, to string, now time.Time) (int, error) {
	n := 0
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		res, err := tx.(*txn).q.ExecContext(ctx, `UPDATE reports SET state = 'pending', next_at = ?
WHERE venue_id = ? AND interface = 'tickets' AND state = 'delivered' AND `+r.s.d.JSONText("body", "business_date")+` BETWEEN ? AND ?`, ms(now), venueID, from, to)
		if err != nil {
			return wrap(err, "report again")
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return nil
	})
	return n, err
}

func (r reportStore) PlanHistory(ctx context.Context, venueID int64, from, to string) ([]report.Report, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+reportCols+` FROM reports WHERE venue_id = ? AND interface = 'plans'
AND `+r.s.d.JSONText("body", "business_date")+` BETWEEN ? AND ? ORDER BY id`, venueID, from, to)
	if err != nil {
		return nil, wrap(err, "read the plan history")
	}
	defer rows.Close()
	var out []report.Report
	for rows.Next() {
		x, err := scanReport(rows)
		if err != nil {
			return nil, wrap(err, "read the plan history")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read the plan history")
}

func (r reportStore) Queue(ctx context.Context, sc report.Scope) (report.QueueStatus, error) {
	var q report.QueueStatus
	var oldest sql.NullInt64
	tc, args := scopeClause(sc)
	err := r.s.q.QueryRowContext(ctx, `SELECT
  COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'refused' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN state = 'pending' AND failures > 0 THEN 1 ELSE 0 END), 0), MIN(CASE WHEN state = 'pending' THEN created_at END)
FROM reports WHERE `+tc, args...).Scan(&q.Pending, &q.Refused, &q.Delivered, &q.Failing, &oldest)
	if err != nil {
		return q, wrap(err, "read the report queue")
	}
	q.OldestPending = fromNullMS(oldest)
	var last string
	err = r.s.q.QueryRowContext(ctx, `SELECT last_error FROM reports WHERE last_error <> '' AND state <> 'delivered' AND `+tc+` ORDER BY id DESC LIMIT 1`, args...).Scan(&last)
	if err != nil && err != sql.ErrNoRows {
		return q, wrap(err, "read the report queue")
	}
	q.LastError = strings.TrimSpace(last)
	return q, nil
}

func (r reportStore) Attention(ctx context.Context, sc report.Scope, limit int) ([]report.Report, error) {
	tc, args := scopeClause(sc)
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+reportCols+` FROM reports WHERE (state = 'refused' OR (state = 'pending' AND failures > 0)) AND `+tc+`
ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "read reports needing attention")
	}
	defer rows.Close()
	var out []report.Report
	for rows.Next() {
		x, err := scanReport(rows)
		if err != nil {
			return nil, wrap(err, "read reports needing attention")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read reports needing attention")
}

func (r reportStore) Resend(ctx context.Context, sc report.Scope, id int64, now time.Time, e audit.Entry) (report.Report, error) {
	var out report.Report
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		tc, args := scopeClause(sc)
		res, err := t.q.ExecContext(ctx, `UPDATE reports SET state = 'pending', next_at = ?, message = '', answer = ''
WHERE id = ? AND (state = 'refused' OR (state = 'pending' AND failures > 0)) AND `+tc, append([]any{ms(now), id}, args...)...)
		if err != nil {
			return wrap(err, "resend report")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return report.ErrNotResendable
		}
		if out, err = scanReport(t.q.QueryRowContext(ctx, `SELECT `+reportCols+` FROM reports WHERE id = ?`, id)); err != nil {
			return wrap(err, "resend report")
		}
		e.TenantID, e.VenueID = out.TenantID, out.VenueID
		return t.AppendAudit(ctx, e)
	})
	return out, err
}
