package sqlstore

import (
	"context"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

// Leases (report.Leases): one holder at a time per name, until its lease
// runs out unrenewed.

func (r reportStore) Lease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	held := false
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if _, err := t.q.ExecContext(ctx, `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.holder = excluded.holder OR leases.until < ?4`,
			name, holder, ms(now.Add(ttl)), ms(now)); err != nil {
			return wrap(err, "take a lease")
		}
		var who string
		if err := t.q.QueryRowContext(ctx, `SELECT holder FROM leases WHERE name = ?`, name).Scan(&who); err != nil {
			return wrap(err, "take a lease")
		}
		held = who == holder
		return nil
	})
	return held, err
}

func (r reportStore) Release(ctx context.Context, name, holder string) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		_, err := tx.(*txn).q.ExecContext(ctx, `UPDATE leases SET until = 0 WHERE name = ? AND holder = ?`, name, holder)
		return wrap(err, "release a lease")
	})
}
