package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

func (t *txn) InsertBundle(ctx context.Context, b *sales.Bundle) error {
	id, err := t.insert(ctx, `INSERT INTO bundles (tenant_id, kind, ref, code, status, total_cents, order_ids, customer_name, created_by, created_at) VALUES (?,?,?,'',?,?,'[]',?,?,?)`,
		b.TenantID, b.Kind, b.Ref, b.Status, b.TotalCents, b.CustomerName, b.CreatedBy, ms(b.CreatedAt))
	if err != nil {
		return wrap(err, "insert bundle")
	}
	b.ID = id
	return nil
}

func (t *txn) SetBundleOrders(ctx context.Context, id int64, orderIDs []int64) error {
	ids, _ := json.Marshal(orderIDs)
	_, err := t.q.ExecContext(ctx, `UPDATE bundles SET order_ids = ? WHERE id = ?`, string(ids), id)
	return wrap(err, "bundle orders")
}

func (t *txn) SetBundleCode(ctx context.Context, id int64, code string) error {
	_, err := t.q.ExecContext(ctx, `UPDATE bundles SET code = ? WHERE id = ?`, code, id)
	return wrap(err, "bundle code")
}

func (t *txn) CountBundles(ctx context.Context, tenantID int64, kind string, ref int64) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM bundles WHERE tenant_id = ? AND kind = ? AND ref = ? AND status = 'valid'`, tenantID, kind, ref).Scan(&n)
	return n, wrap(err, "count bundles")
}

func (t *txn) SetBundleStatus(ctx context.Context, id int64, st sales.BundleStatus) error {
	_, err := t.q.ExecContext(ctx, `UPDATE bundles SET status = ? WHERE id = ?`, st, id)
	return wrap(err, "bundle status")
}

func (t *txn) RepriceHold(ctx context.Context, holdID, priceCents int64) error {
	_, err := t.q.ExecContext(ctx, `UPDATE hold_seats SET price_cents = ? WHERE hold_id = ?`, priceCents, holdID)
	return wrap(err, "reprice hold")
}

func (t *txn) BundleRefunds(ctx context.Context, bundleID int64, st sales.RefundStatus) ([]sales.RefundRequest, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+refundCols+` FROM refunds WHERE bundle_id = ? AND status = ? ORDER BY id`, bundleID, st)
	if err != nil {
		return nil, wrap(err, "bundle refunds")
	}
	defer rows.Close()
	var out []sales.RefundRequest
	for rows.Next() {
		x, err := scanRefund(rows)
		if err != nil {
			return nil, wrap(err, "bundle refunds")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "bundle refunds")
}

func (r reader) GetBundle(ctx context.Context, tenantID, id int64) (sales.Bundle, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	var b sales.Bundle
	var ids string
	var at int64
	err := r.q.QueryRowContext(ctx, `SELECT id, tenant_id, kind, ref, code, status, total_cents, order_ids, customer_name, created_by, created_at FROM bundles WHERE id = ? AND `+tc,
		append([]any{id}, args...)...).Scan(&b.ID, &b.TenantID, &b.Kind, &b.Ref, &b.Code, &b.Status, &b.TotalCents, &ids, &b.CustomerName, &b.CreatedBy, &at)
	if err != nil {
		return b, notFound(err, "pass")
	}
	b.CreatedAt = fromMS(at)
	return b, json.Unmarshal([]byte(ids), &b.OrderIDs)
}

func (t *txn) SetTicketProduction(ctx context.Context, ticketID int64, production string, producedAt *time.Time) error {
	var at any
	if producedAt != nil {
		at = ms(*producedAt)
	}
	_, err := t.q.ExecContext(ctx, `UPDATE tickets SET production = ?, produced_at = ? WHERE id = ?`, production, at, ticketID)
	return wrap(err, "ticket production")
}

func (t *txn) TicketProduction(ctx context.Context, ticketID int64) (string, error) {
	var p string
	err := t.q.QueryRowContext(ctx, `SELECT production FROM tickets WHERE id = ?`, ticketID).Scan(&p)
	return p, wrap(err, "ticket production")
}

func (t *txn) SetTicketReturned(ctx context.Context, ticketID int64, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE tickets SET returned_at = ? WHERE id = ? AND returned_at IS NULL`, ms(at), ticketID)
	return wrap(err, "ticket returned")
}

func (t *txn) SetSessionTimes(ctx context.Context, sessionID int64, starts, ends time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE sessions SET starts_at = ?, ends_at = ?, postponed = 1 WHERE id = ?`, ms(starts), ms(ends), sessionID)
	return wrap(err, "postpone a session")
}
