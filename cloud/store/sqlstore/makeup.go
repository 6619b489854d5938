package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/sales"
)

// 补登 (report.MakeupStore).

func (r reportStore) MakeupSeats(ctx context.Context, sessionID int64, labels []string) ([]report.MakeupSeat, error) {
	if len(labels) == 0 {
		return nil, nil
	}
	rows, err := r.s.q.QueryContext(ctx, `SELECT seat_id, label, status = 'sold' FROM session_seats WHERE session_id = ? AND label IN (`+
		placeholders(len(labels))+`)`, append([]any{sessionID}, stringArgs(labels)...)...)
	if err != nil {
		return nil, wrap(err, "read the seats of a 补登")
	}
	defer rows.Close()
	var out []report.MakeupSeat
	for rows.Next() {
		var x report.MakeupSeat
		if err := rows.Scan(&x.SeatID, &x.Label, &x.Sold); err != nil {
			return nil, wrap(err, "read the seats of a 补登")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read the seats of a 补登")
}

func (r reportStore) MakeupTickets(ctx context.Context, sessionID int64, numbers []string) ([]report.MakeupTicket, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	rows, err := r.s.q.QueryContext(ctx, `SELECT t.number, t.seat_id, t.seat_label, t.price_cents, o.channel IN ('web', 'agency'), t.status = 'valid'
FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.session_id = ? AND t.number IN (`+placeholders(len(numbers))+`)`,
		append([]any{sessionID}, stringArgs(numbers)...)...)
	if err != nil {
		return nil, wrap(err, "read the tickets of a 补登")
	}
	defer rows.Close()
	var out []report.MakeupTicket
	for rows.Next() {
		var x report.MakeupTicket
		if err := rows.Scan(&x.Number, &x.SeatID, &x.SeatLabel, &x.PriceCents, &x.Network, &x.Valid); err != nil {
			return nil, wrap(err, "read the tickets of a 补登")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read the tickets of a 补登")
}

func stringArgs(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

const makeupCols = `id, tenant_id, venue_id, session_id, kind, business_date, lines, amount_cents, evidence, state, proposed_by_id, proposed_by,
proposed_at, decided_by, decided_at, COALESCE(application, ''), reason, released_at`

func scanMakeup(sc interface{ Scan(...any) error }) (report.Makeup, error) {
	var m report.Makeup
	var lines string
	var proposed int64
	var decided, released sql.NullInt64
	err := sc.Scan(&m.ID, &m.TenantID, &m.VenueID, &m.SessionID, &m.Kind, &m.BusinessDate, &lines, &m.AmountCents, &m.Evidence, &m.State,
		&m.ProposedByID, &m.ProposedBy, &proposed, &m.DecidedBy, &decided, &m.Application, &m.Reason, &released)
	if err != nil {
		return m, err
	}
	m.ProposedAt, m.DecidedAt, m.ReleasedAt = fromMS(proposed), fromNullMS(decided), fromNullMS(released)
	return m, json.Unmarshal([]byte(lines), &m.Lines)
}

func (r reportStore) listMakeups(ctx context.Context, where string, args ...any) ([]report.Makeup, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+makeupCols+` FROM makeups WHERE `+where, args...)
	if err != nil {
		return nil, wrap(err, "read 补登")
	}
	defer rows.Close()
	var out []report.Makeup
	for rows.Next() {
		m, err := scanMakeup(rows)
		if err != nil {
			return nil, wrap(err, "read 补登")
		}
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "read 补登")
}

func (r reportStore) OpenMakeups(ctx context.Context, sessionID int64, kind report.MakeupKind) ([]report.Makeup, error) {
	return r.listMakeups(ctx, `session_id = ? AND kind = ? AND state <> 'rejected'`, sessionID, kind)
}

func (r reportStore) ListMakeups(ctx context.Context, sc report.Scope, limit int) ([]report.Makeup, error) {
	tc, args := scopeClause(sc)
	return r.listMakeups(ctx, tc+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

func (r reportStore) GetMakeup(ctx context.Context, sc report.Scope, id int64) (report.Makeup, error) {
	tc, args := scopeClause(sc)
	ms, err := r.listMakeups(ctx, `id = ? AND `+tc, append([]any{id}, args...)...)
	if err != nil {
		return report.Makeup{}, err
	}
	if len(ms) == 0 {
		return report.Makeup{}, sales.NotFound("补登")
	}
	return ms[0], nil
}

func (r reportStore) MakeupByApplication(ctx context.Context, serial string) (report.Makeup, error) {
	ms, err := r.listMakeups(ctx, `application = ?`, serial)
	if err != nil {
		return report.Makeup{}, err
	}
	if len(ms) == 0 {
		return report.Makeup{}, sales.NotFound("application " + serial)
	}
	return ms[0], nil
}

func (r reportStore) InsertMakeup(ctx context.Context, m report.Makeup, e audit.Entry) (report.Makeup, error) {
	lines, err := json.Marshal(m.Lines)
	if err != nil {
		return m, err
	}
	err = r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := t.q.QueryRowContext(ctx, `INSERT INTO makeups (tenant_id, venue_id, session_id, kind, business_date, lines, amount_cents, evidence,
  state, proposed_by_id, proposed_by, proposed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`, m.TenantID, m.VenueID, m.SessionID, m.Kind,
			m.BusinessDate, string(lines), m.AmountCents, m.Evidence, m.State, m.ProposedByID, m.ProposedBy, ms(m.ProposedAt)).Scan(&m.ID); err != nil {
			return wrap(err, "record a 补登")
		}
		e.Object = "makeup:" + strconv.FormatInt(m.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return m, err
}

// moveMakeup changes a 补登's state from from, or finds it changed.
func moveMakeup(ctx context.Context, t *txn, m report.Makeup, from report.MakeupState) error {
	lines, err := json.Marshal(m.Lines)
	if err != nil {
		return err
	}
	var app any
	if m.Application != "" {
		app = m.Application
	}
	res, err := t.q.ExecContext(ctx, `UPDATE makeups SET state = ?, lines = ?, decided_by = ?, decided_at = ?, application = ?, reason = ?, released_at = ?
WHERE id = ? AND state = ?`, m.State, string(lines), m.DecidedBy, nullMS(m.DecidedAt), app, m.Reason, nullMS(m.ReleasedAt), m.ID, from)
	if err != nil {
		return wrap(err, "decide a 补登")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return report.ErrMakeupChanged
	}
	return nil
}

func (r reportStore) ApplyMakeup(ctx context.Context, m report.Makeup, application report.Report, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := moveMakeup(ctx, t, m, report.MakeupProposed); err != nil {
			return err
		}
		if err := insertReports(ctx, t, []report.Report{application}); err != nil {
			return err
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r reportStore) ReleaseMakeup(ctx context.Context, m report.Makeup, from report.MakeupState, rs []report.Report, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := moveMakeup(ctx, t, m, from); err != nil {
			return err
		}
		if m.Kind == report.MakeupRefund {
			numbers := make([]string, len(m.Lines))
			for i, l := range m.Lines {
				numbers[i] = l.Ticket
			}
			res, err := t.q.ExecContext(ctx, `UPDATE tickets SET status = 'refunded' WHERE session_id = ? AND status = 'valid' AND number IN (`+
				placeholders(len(numbers))+`)`, append([]any{m.SessionID}, stringArgs(numbers)...)...)
			if err != nil {
				return wrap(err, "refund the tickets of a 补登")
			}
			if n, _ := res.RowsAffected(); int(n) != len(numbers) {
				return report.ErrMakeupChanged
			}
		}
		if err := insertReports(ctx, t, rs); err != nil {
			return err
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r reportStore) RejectMakeup(ctx context.Context, m report.Makeup, from report.MakeupState, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := moveMakeup(ctx, t, m, from); err != nil {
			return err
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r reportStore) MakeupFigures(ctx context.Context, venueID int64, date string) (map[int64]report.MakeupFigure, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT session_id, SUM(`+r.s.d.JSONLength("lines")+`), SUM(amount_cents) FROM makeups
WHERE venue_id = ? AND business_date = ? AND state = 'released' AND kind = 'sale' GROUP BY session_id`, venueID, date)
	if err != nil {
		return nil, wrap(err, "sum 补登")
	}
	defer rows.Close()
	out := map[int64]report.MakeupFigure{}
	for rows.Next() {
		var id int64
		var f report.MakeupFigure
		if err := rows.Scan(&id, &f.Count, &f.Cents); err != nil {
			return nil, wrap(err, "sum 补登")
		}
		out[id] = f
	}
	return out, wrap(rows.Err(), "sum 补登")
}

func (r reportStore) Unrestated(ctx context.Context, limit int) ([]report.Makeup, error) {
	return r.listMakeups(ctx, `state = 'released' AND restated = 0 ORDER BY id LIMIT ?`, limit)
}

func (r reportStore) Restate(ctx context.Context, m report.Makeup, rs []report.Report) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE makeups SET restated = 1 WHERE id = ? AND restated = 0`, m.ID)
		if err != nil {
			return wrap(err, "restate a 补登's day")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // another process restated it
		}
		var planned int
		err = t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM report_days WHERE venue_id = ? AND business_date = ?`, m.VenueID, m.BusinessDate).Scan(&planned)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "restate a 补登's day")
		}
		if planned == 0 {
			return nil // the day's statistics, when planned, count it
		}
		return insertReports(ctx, t, rs)
	})
}
