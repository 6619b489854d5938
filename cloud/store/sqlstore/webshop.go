package sqlstore

import (
	"context"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/webshop"
)

// WebShop is the shop's record of which account made which order.
func (s *Store) WebShop() webshop.Store { return webshopStore{s} }

type webshopStore struct{ s *Store }

func (r webshopStore) AddOrder(ctx context.Context, accountID, orderID int64, at time.Time) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		_, err := tx.(*txn).q.ExecContext(ctx, `INSERT INTO account_orders (order_id, account_id, created_at) VALUES (?,?,?) ON CONFLICT (order_id) DO NOTHING`,
			orderID, accountID, ms(at))
		return wrap(err, "record an account's order")
	})
}

func (r webshopStore) Orders(ctx context.Context, accountID int64, limit int) ([]int64, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT order_id FROM account_orders WHERE account_id = ? ORDER BY order_id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, wrap(err, "list an account's orders")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err, "list an account's orders")
		}
		out = append(out, id)
	}
	return out, wrap(rows.Err(), "list an account's orders")
}

func (r webshopStore) Owner(ctx context.Context, orderID int64) (int64, error) {
	var id int64
	err := r.s.q.QueryRowContext(ctx, `SELECT account_id FROM account_orders WHERE order_id = ?`, orderID).Scan(&id)
	return id, notFound(err, "order")
}

func (r webshopStore) AddAlert(ctx context.Context, sessionID, accountID int64, at time.Time) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		_, err := tx.(*txn).q.ExecContext(ctx, `INSERT INTO sale_alerts (session_id, account_id, created_at) VALUES (?,?,?) ON CONFLICT (session_id, account_id) DO NOTHING`,
			sessionID, accountID, ms(at))
		return wrap(err, "record a sale alert")
	})
}

func (r webshopStore) DueAlerts(ctx context.Context, from, to time.Time, limit int) ([]webshop.Alert, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT a.session_id, a.account_id, s.tenant_id, s.event_id, s.on_sale_at, s.starts_at, e.name, v.timezone, t.code
FROM sale_alerts a JOIN sessions s ON s.id = a.session_id JOIN events e ON e.id = s.event_id
JOIN venues v ON v.id = s.venue_id JOIN tenants t ON t.id = s.tenant_id
WHERE s.on_sale_at > ? AND s.on_sale_at <= ? AND s.status <> 'cancelled' ORDER BY a.session_id, a.account_id LIMIT ?`, ms(from), ms(to), limit)
	if err != nil {
		return nil, wrap(err, "find sale alerts due")
	}
	defer rows.Close()
	var out []webshop.Alert
	for rows.Next() {
		var al webshop.Alert
		var onSale, starts int64
		if err := rows.Scan(&al.SessionID, &al.AccountID, &al.TenantID, &al.EventID, &onSale, &starts, &al.Event, &al.Timezone, &al.Tenant); err != nil {
			return nil, wrap(err, "find sale alerts due")
		}
		al.OnSaleAt, al.StartsAt = fromMS(onSale), fromMS(starts)
		out = append(out, al)
	}
	return out, wrap(rows.Err(), "find sale alerts due")
}

func (r webshopStore) DueReminders(ctx context.Context, from, to time.Time, limit int) ([]webshop.Reminder, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT ao.order_id, ao.account_id, o.tenant_id, s.starts_at, e.name, v.timezone
FROM sessions s JOIN orders o ON o.session_id = s.id JOIN account_orders ao ON ao.order_id = o.id
JOIN events e ON e.id = s.event_id JOIN venues v ON v.id = s.venue_id
WHERE s.starts_at > ? AND s.starts_at <= ? AND o.status = 'paid' ORDER BY ao.order_id LIMIT ?`, ms(from), ms(to), limit)
	if err != nil {
		return nil, wrap(err, "find reminders due")
	}
	defer rows.Close()
	var out []webshop.Reminder
	for rows.Next() {
		var rm webshop.Reminder
		var starts int64
		if err := rows.Scan(&rm.OrderID, &rm.AccountID, &rm.TenantID, &starts, &rm.Event, &rm.Timezone); err != nil {
			return nil, wrap(err, "find reminders due")
		}
		rm.StartsAt = fromMS(starts)
		out = append(out, rm)
	}
	return out, wrap(rows.Err(), "find reminders due")
}
