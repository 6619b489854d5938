package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/outlet"
	"github.com/admitbox/admit/cloud/sales"
)

// Outlets keeps the channels' outlets.
func (s *Store) Outlets() outlet.Store { return outletStore{s} }

type outletStore struct{ s *Store }

const outletCols = `id, tenant_id, channel, code, name, enabled, created_at`

func scanOutlet(sc interface{ Scan(...any) error }) (outlet.Outlet, error) {
	var o outlet.Outlet
	var en int
	var at int64
	err := sc.Scan(&o.ID, &o.TenantID, &o.Channel, &o.Code, &o.Name, &en, &at)
	o.Enabled, o.CreatedAt = en == 1, fromMS(at)
	return o, err
}

func (r outletStore) InsertOutlet(ctx context.Context, o outlet.Outlet, e audit.Entry) (outlet.Outlet, error) {
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		err := t.q.QueryRowContext(ctx, `INSERT INTO outlets (tenant_id, channel, code, name, enabled, created_at) VALUES (?,?,?,?,?,?) RETURNING id`,
			o.TenantID, o.Channel, o.Code, o.Name, boolInt(o.Enabled), ms(o.CreatedAt)).Scan(&o.ID)
		if err != nil && t.d.Unique(err) {
			return outlet.ErrDuplicate
		}
		if err != nil {
			return wrap(err, "create an outlet")
		}
		e.Object = "outlet:" + strconv.FormatInt(o.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return o, err
}

func (r outletStore) SetEnabled(ctx context.Context, tenantID, id int64, enabled bool, e audit.Entry) (outlet.Outlet, error) {
	var o outlet.Outlet
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE outlets SET enabled = ? WHERE id = ? AND tenant_id = ?`, boolInt(enabled), id, tenantID)
		if err != nil {
			return wrap(err, "enable an outlet")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return outlet.ErrNotFound
		}
		if o, err = scanOutlet(t.q.QueryRowContext(ctx, `SELECT `+outletCols+` FROM outlets WHERE id = ?`, id)); err != nil {
			return wrap(err, "enable an outlet")
		}
		e.Object = "outlet:" + strconv.FormatInt(id, 10)
		return t.AppendAudit(ctx, e)
	})
	return o, err
}

func (r outletStore) Outlets(ctx context.Context, tenantID int64) ([]outlet.Outlet, error) {
	q, args := `SELECT `+outletCols+` FROM outlets ORDER BY tenant_id, code`, []any(nil)
	if tenantID != 0 {
		q, args = `SELECT `+outletCols+` FROM outlets WHERE tenant_id = ? ORDER BY code`, []any{tenantID}
	}
	rows, err := r.s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list outlets")
	}
	defer rows.Close()
	out := []outlet.Outlet{}
	for rows.Next() {
		o, err := scanOutlet(rows)
		if err != nil {
			return nil, wrap(err, "list outlets")
		}
		out = append(out, o)
	}
	return out, wrap(rows.Err(), "list outlets")
}

func (r outletStore) SetStaff(ctx context.Context, tenantID, userID, outletID int64, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if outletID != 0 {
			var id int64
			err := t.q.QueryRowContext(ctx, `SELECT id FROM outlets WHERE id = ? AND tenant_id = ?`, outletID, tenantID).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return outlet.ErrNotFound
			}
			if err != nil {
				return wrap(err, "assign staff")
			}
		}
		res, err := t.q.ExecContext(ctx, `UPDATE users SET outlet_id = ? WHERE id = ? AND tenant_id = ?`, outletID, userID, tenantID)
		if err != nil {
			return wrap(err, "assign staff")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return outlet.ErrNotFound
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r outletStore) Report(ctx context.Context, tenantID int64, from, to time.Time) ([]outlet.Sales, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT u.id, u.code, u.name, COUNT(o.id), COALESCE(SUM((SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id)), 0), COALESCE(SUM(o.total_cents), 0)
FROM outlets u LEFT JOIN orders o ON o.outlet_id = u.id AND o.paid_at >= ? AND o.paid_at < ?
WHERE u.tenant_id = ? GROUP BY u.id, u.code, u.name ORDER BY u.code`, ms(from), ms(to), tenantID)
	if err != nil {
		return nil, wrap(err, "outlet report")
	}
	defer rows.Close()
	out := []outlet.Sales{}
	for rows.Next() {
		var x outlet.Sales
		if err := rows.Scan(&x.OutletID, &x.Code, &x.Name, &x.Orders, &x.Tickets, &x.TotalCents); err != nil {
			return nil, wrap(err, "outlet report")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "outlet report")
}
