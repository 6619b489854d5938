package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/sales"
)

// Three-way reconciliation (report.ReconcileStore).

// dayRecordsQuery finds a day's raw records by the reports_day index.
func dayRecordsQuery(d *Dialect) string {
	return `SELECT serial, ` + d.JSONText("body", "ticket_code") + `, ` + d.JSONText("body", "operation") + `, state FROM reports
WHERE venue_id = ? AND ` + d.JSONText("body", "business_date") + ` = ? AND interface = 'tickets'`
}

func (r reportStore) DayRecords(ctx context.Context, venueID int64, date string) ([]report.RecordState, error) {
	rows, err := r.s.q.QueryContext(ctx, dayRecordsQuery(r.s.d), venueID, date)
	if err != nil {
		return nil, wrap(err, "read a day's records")
	}
	defer rows.Close()
	var out []report.RecordState
	for rows.Next() {
		var x report.RecordState
		if err := rows.Scan(&x.Serial, &x.Ticket, &x.Operation, &x.State); err != nil {
			return nil, wrap(err, "read a day's records")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read a day's records")
}

func (r reportStore) DayTickets(ctx context.Context, venueID int64, date string) ([]report.DayTicket, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT t.number, t.status = 'refunded', t.printed_at IS NOT NULL, t.admitted_at IS NOT NULL
FROM sessions s JOIN events e ON e.id = s.event_id JOIN tickets t ON t.session_id = s.id
WHERE s.venue_id = ? AND s.business_date = ? AND e.kind = 'film'`, venueID, date)
	if err != nil {
		return nil, wrap(err, "read a day's tickets")
	}
	defer rows.Close()
	var out []report.DayTicket
	for rows.Next() {
		var x report.DayTicket
		if err := rows.Scan(&x.Number, &x.Refunded, &x.Printed, &x.Admitted); err != nil {
			return nil, wrap(err, "read a day's tickets")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read a day's tickets")
}

func (r reportStore) ResendDelivered(ctx context.Context, serials []string, now time.Time) (int, error) {
	n := 0
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		for start := 0; start < len(serials); start += 500 {
			part := serials[start:min(start+500, len(serials))]
			res, err := t.q.ExecContext(ctx, `UPDATE reports SET state = 'pending', next_at = ? WHERE state = 'delivered' AND serial IN (`+
				placeholders(len(part))+`)`, append([]any{ms(now)}, stringArgs(part)...)...)
			if err != nil {
				return wrap(err, "send again what the platform lacks")
			}
			m, _ := res.RowsAffected()
			n += int(m)
		}
		return nil
	})
	return n, err
}

func (r reportStore) SaveReconciliation(ctx context.Context, x report.Reconciliation) error {
	body, err := json.Marshal(x)
	if err != nil {
		return err
	}
	return r.s.Update(ctx, func(tx sales.Tx) error {
		_, err := tx.(*txn).q.ExecContext(ctx, `INSERT INTO report_reconciliations (venue_id, business_date, tenant_id, at, body) VALUES (?,?,?,?,?)
ON CONFLICT (venue_id, business_date) DO UPDATE SET at = excluded.at, body = excluded.body`, x.VenueID, x.BusinessDate, x.TenantID, ms(x.At), string(body))
		return wrap(err, "keep a reconciliation")
	})
}

func (r reportStore) Reconciliations(ctx context.Context, sc report.Scope, limit int) ([]report.Reconciliation, error) {
	tc, args := scopeClause(sc)
	rows, err := r.s.q.QueryContext(ctx, `SELECT body FROM report_reconciliations WHERE `+tc+` ORDER BY business_date DESC, venue_id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "read reconciliations")
	}
	defer rows.Close()
	var out []report.Reconciliation
	for rows.Next() {
		var body string
		var x report.Reconciliation
		if err := rows.Scan(&body); err != nil {
			return nil, wrap(err, "read reconciliations")
		}
		if err := json.Unmarshal([]byte(body), &x); err != nil {
			return nil, wrap(err, "read reconciliations")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read reconciliations")
}

// healthCountCap bounds what a dashboard counts of failing and refused
// reports: it is asked every few seconds, and past this many the number
// says "a great many" as well as the exact one would.
const healthCountCap = 10000

// venueHealthQuery answers from the venue's pending and refused indexes,
// at a cost bounded by healthCountCap however large an outage's backlog.
const venueHealthQuery = `SELECT (SELECT MIN(created_at) FROM reports WHERE state = 'pending' AND venue_id = ?1),
  (SELECT COUNT(*) FROM (SELECT 1 FROM reports WHERE state = 'pending' AND venue_id = ?1 AND failures > 0 LIMIT ?2) AS failing),
  (SELECT COUNT(*) FROM (SELECT 1 FROM reports WHERE state = 'refused' AND venue_id = ?1 LIMIT ?2) AS refused)`

func (r reportStore) VenueHealth(ctx context.Context, venueID int64, floor float64) (sales.ReportingHealth, error) {
	var h sales.ReportingHealth
	var oldest sql.NullInt64
	err := r.s.q.QueryRowContext(ctx, venueHealthQuery, venueID, healthCountCap).Scan(&oldest, &h.Failing, &h.Refused)
	if err != nil {
		return h, wrap(err, "read a venue's reporting")
	}
	h.OldestPending = fromNullMS(oldest)
	rows, err := r.s.q.QueryContext(ctx, `SELECT business_date FROM report_reconciliations
WHERE venue_id = ? AND `+r.s.d.JSONNumber("body", "completeness_pct")+` < ? ORDER BY business_date DESC`, venueID, floor)
	if err != nil {
		return h, wrap(err, "read a venue's reconciliations")
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return h, wrap(err, "read a venue's reconciliations")
		}
		h.IncompleteDays = append(h.IncompleteDays, d)
	}
	return h, wrap(rows.Err(), "read a venue's reconciliations")
}

// PlannedQueries are statements of the sales and reporting paths, by what
// they do, for the engines' tests that each finds its rows by a key.
func PlannedQueries(d Dialect) map[string]string {
	return map[string]string{
		"seats by id":                     sessionSeatsByIDQuery(3),
		"a channel's sales under a quota": countSoldQuery(&d) + ` AND tier_id = ?`,
		"a business day's raw records":    dayRecordsQuery(&d),
		"a venue's reporting health":      venueHealthQuery,
	}
}
