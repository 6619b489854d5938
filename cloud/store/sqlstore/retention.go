package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

// Retention (cloud-ticketing-requirements §6.2.6): the working rows that
// have done their job — the venue feed the devices have long had, device
// facts the cloud acknowledged, outbox entries the reporter planned, and
// reports the platform acknowledged, logins that expired — go once older
// than a horizon, a small batch per transaction so sales never wait on a
// long delete. Tickets, orders, refunds, holds, admissions and the audit
// log are never pruned here; reports, the stored inventory exports
// (cloud/inventory, one a day and one a week per venue, each a whole
// venue's seats) and the record of card charges given back (an attempt
// can pay only within its hold's or order's payment window, but money
// given back is kept as long as the reports) stay at least a year.

// MinReportKeep is the least a delivered report is kept.
const MinReportKeep = 366 * 24 * time.Hour

// Retention says what may go.
type Retention struct {
	Horizon time.Duration // feed events, device facts and planned outbox entries older than this
	Reports time.Duration // delivered reports, inventory exports and voided card attempts older than this (at least MinReportKeep)
	// FeedKeep is how many of a venue's latest feed events stay whatever
	// their age: a device behind by fewer catches up event by event, one
	// further behind gets a snapshot (the syncer's SnapshotBehind).
	FeedKeep uint64
	Batch    int // rows per transaction (default 500)
}

// Pruned counts what went.
type Pruned struct {
	Feed    int `json:"feed"`
	Facts   int `json:"facts"`
	Outbox  int `json:"outbox"`
	Reports int `json:"reports"`
	Exports int `json:"exports"`
	Voided  int `json:"voided"`
	Logins  int `json:"logins"`
}

// Prune removes what the policy lets go, as of now.
func (s *Store) Prune(ctx context.Context, p Retention, now time.Time) (Pruned, error) {
	var out Pruned
	if p.Horizon <= 0 {
		return out, fmt.Errorf("store: prune: a horizon is required")
	}
	if p.Batch <= 0 {
		p.Batch = 500
	}
	p.Reports = max(p.Reports, MinReportKeep, p.Horizon)
	cut, reportCut := ms(now.Add(-p.Horizon)), ms(now.Add(-p.Reports))
	venues, err := s.ids(ctx, `SELECT venue_id, seq FROM feed_heads`)
	if err != nil {
		return out, err
	}
	for _, v := range venues {
		if v.n <= int64(p.FeedKeep) {
			continue
		}
		n, err := s.pruneBatches(ctx, p.Batch, `DELETE FROM feed WHERE venue_id = ?1 AND seq IN
  (SELECT seq FROM feed WHERE venue_id = ?1 AND seq <= ?2 AND at < ?3 ORDER BY seq LIMIT ?4)`, v.id, v.n-int64(p.FeedKeep), cut)
		out.Feed += n
		if err != nil {
			return out, err
		}
	}
	devices, err := s.ids(ctx, `SELECT device_id, acked FROM device_cursors`)
	if err != nil {
		return out, err
	}
	for _, d := range devices {
		n, err := s.pruneBatches(ctx, p.Batch, `DELETE FROM device_facts WHERE device_id = ?1 AND seq IN
  (SELECT seq FROM device_facts WHERE device_id = ?1 AND seq <= ?2 AND received_at < ?3 ORDER BY seq LIMIT ?4)`, d.id, d.n, cut)
		out.Facts += n
		if err != nil {
			return out, err
		}
	}
	if out.Outbox, err = s.pruneBatches(ctx, p.Batch, `DELETE FROM outbox WHERE id IN
  (SELECT id FROM outbox WHERE id <= (SELECT outbox_id FROM report_cursor WHERE id = 1) AND created_at < ?1 ORDER BY id LIMIT ?2)`, cut); err != nil {
		return out, err
	}
	if out.Reports, err = s.pruneBatches(ctx, p.Batch, `DELETE FROM reports WHERE id IN
  (SELECT id FROM reports WHERE state = 'delivered' AND created_at < ?1 ORDER BY id LIMIT ?2)`, reportCut); err != nil {
		return out, err
	}
	// An export is of a moment (as_of): the sweeper only ever takes the
	// current day's and week's, so one gone is never taken again.
	if out.Exports, err = s.pruneBatches(ctx, p.Batch, `DELETE FROM inventory_exports WHERE id IN
  (SELECT id FROM inventory_exports WHERE as_of < ?1 ORDER BY id LIMIT ?2)`, reportCut); err != nil {
		return out, err
	}
	if out.Voided, err = s.pruneBatches(ctx, p.Batch, `DELETE FROM voided_attempts WHERE attempt IN
  (SELECT attempt FROM voided_attempts WHERE voided_at < ?1 ORDER BY attempt LIMIT ?2)`, reportCut); err != nil {
		return out, err
	}
	out.Logins, err = s.pruneBatches(ctx, p.Batch, `DELETE FROM login_sessions WHERE token_hash IN
  (SELECT token_hash FROM login_sessions WHERE expires_at < ?1 ORDER BY token_hash LIMIT ?2)`, cut)
	return out, err
}

// keyed is a venue's or a device's id and a position in its sequence.
type keyed struct {
	id any // a venue's number or a device's text
	n  int64
}

// ids reads keyed positions.
func (s *Store) ids(ctx context.Context, q string) ([]keyed, error) {
	rows, err := s.q.QueryContext(ctx, q)
	if err != nil {
		return nil, wrap(err, "prune")
	}
	defer rows.Close()
	var out []keyed
	for rows.Next() {
		var k keyed
		if err := rows.Scan(&k.id, &k.n); err != nil {
			return nil, wrap(err, "prune")
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "prune")
}

// pruneBatches runs a delete until a batch deletes less than a batch; it
// says how many rows went. args bind ?1, ?2, …; the batch size binds the
// placeholder after them, the LIMIT. Every placeholder must be used:
// PostgreSQL cannot type one the statement never reads.
func (s *Store) pruneBatches(ctx context.Context, batch int, q string, args ...any) (int, error) {
	args = append(args, batch)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := 0
		err := s.Update(ctx, func(tx sales.Tx) error {
			res, err := tx.(*txn).q.ExecContext(ctx, q, args...)
			if err != nil {
				return wrap(err, "prune")
			}
			m, _ := res.RowsAffected()
			n = int(m)
			return nil
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}
