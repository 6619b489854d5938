package sqlstore

import (
	"context"
	"time"

	"github.com/admitbox/admit/cloud/avail"
)

// The seat change log (migration 6): a trigger on session_seats writes it,
// the live seat maps read it.

func (r reader) SeatLogHead(ctx context.Context) (int64, error) {
	var head int64
	err := r.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM seat_log`).Scan(&head)
	return head, wrap(err, "seat log head")
}

func (r reader) SeatLogSince(ctx context.Context, after int64, limit int) ([]avail.Change, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, session_id, ord, code, tier_id FROM seat_log WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, wrap(err, "read seat log")
	}
	defer rows.Close()
	return scanSeatLog(rows)
}

type scanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

func scanSeatLog(rows scanner) ([]avail.Change, error) {
	var out []avail.Change
	for rows.Next() {
		var c avail.Change
		var code string
		if err := rows.Scan(&c.Seq, &c.Session, &c.Ord, &code, &c.Tier); err != nil {
			return nil, wrap(err, "read seat log")
		}
		if len(code) == 1 {
			c.Code = code[0]
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "read seat log")
}

func (t *txn) ExpireReservations(ctx context.Context, now time.Time) (int, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE session_seats SET category = 'sellable', reserved_for = '', reserved_until = NULL
WHERE category = 'reserved' AND reserved_until <= ?`, ms(now))
	if err != nil {
		return 0, wrap(err, "expire reservations")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (t *txn) PruneSeatLog(ctx context.Context, keep int64) error {
	_, err := t.q.ExecContext(ctx, `DELETE FROM seat_log WHERE id <= (SELECT COALESCE(MAX(id), 0) FROM seat_log) - ?`, keep)
	return wrap(err, "prune seat log")
}

// NotifySeatChanges makes the committer hand each batch's seat changes to
// fn once they are durable, before the batch's writers hear "done", so a
// process reads its own writes. fn runs on the committer: it must be quick.
func (s *Store) NotifySeatChanges(fn func([]avail.Change)) {
	s.hookMu.Lock()
	s.onSeatChanges = append(s.onSeatChanges, fn)
	s.hookMu.Unlock()
}

func (s *Store) seatChangesCommitted(cs []avail.Change) {
	s.hookMu.Lock()
	fns := s.onSeatChanges
	s.hookMu.Unlock()
	for _, fn := range fns {
		fn(cs)
	}
}
