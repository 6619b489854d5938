package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/contract"
	"github.com/admitbox/admit/cloud/sales"
)

// Contract keeps contract customers, representatives and orders.
func (s *Store) Contract() contract.Store { return contractStore{s} }

type contractStore struct{ s *Store }

func (r contractStore) InsertCustomer(ctx context.Context, c contract.Customer, e audit.Entry) (contract.Customer, error) {
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		err := t.q.QueryRowContext(ctx, `INSERT INTO contract_customers (tenant_id, code, name, enabled, created_at) VALUES (?,?,?,?,?) RETURNING id`,
			c.TenantID, c.Code, c.Name, boolInt(c.Enabled), ms(c.CreatedAt)).Scan(&c.ID)
		if err != nil && t.d.Unique(err) {
			return contract.ErrDuplicate
		}
		if err != nil {
			return wrap(err, "create a customer")
		}
		e.Object = "customer:" + strconv.FormatInt(c.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return c, err
}

const customerCols = `id, tenant_id, code, name, enabled, created_at`

func scanCustomer(sc interface{ Scan(...any) error }) (contract.Customer, error) {
	var c contract.Customer
	var en int
	var at int64
	err := sc.Scan(&c.ID, &c.TenantID, &c.Code, &c.Name, &en, &at)
	c.Enabled, c.CreatedAt = en == 1, fromMS(at)
	return c, err
}

func (r contractStore) Customer(ctx context.Context, tenantID, id int64) (contract.Customer, error) {
	c, err := scanCustomer(r.s.q.QueryRowContext(ctx, `SELECT `+customerCols+` FROM contract_customers WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, contract.ErrNotFound
	}
	return c, wrap(err, "read a customer")
}

func (r contractStore) Customers(ctx context.Context, tenantID int64) ([]contract.Customer, error) {
	q, args := `SELECT `+customerCols+` FROM contract_customers ORDER BY tenant_id, code`, []any(nil)
	if tenantID != 0 {
		q, args = `SELECT `+customerCols+` FROM contract_customers WHERE tenant_id = ? ORDER BY code`, []any{tenantID}
	}
	rows, err := r.s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list customers")
	}
	defer rows.Close()
	out := []contract.Customer{}
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, wrap(err, "list customers")
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "list customers")
}

func (r contractStore) SetRep(ctx context.Context, tenantID, userID, customerID int64, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		var role string
		if err := t.q.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ? AND tenant_id = ?`, userID, tenantID).Scan(&role); err != nil {
			return notFound(err, "user")
		}
		if role != "customer_rep" {
			return sales.Conflict("not_a_rep", "only a user with the customer_rep role represents a customer")
		}
		if _, err := t.q.ExecContext(ctx, `INSERT INTO contract_reps (user_id, tenant_id, customer_id) VALUES (?,?,?)
ON CONFLICT (user_id) DO UPDATE SET customer_id = excluded.customer_id`, userID, tenantID, customerID); err != nil {
			return wrap(err, "appoint a representative")
		}
		e.Object = "customer:" + strconv.FormatInt(customerID, 10)
		return t.AppendAudit(ctx, e)
	})
}

func (r contractStore) RepCustomer(ctx context.Context, userID int64) (int64, error) {
	var id int64
	err := r.s.q.QueryRowContext(ctx, `SELECT customer_id FROM contract_reps WHERE user_id = ?`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, contract.ErrNotFound
	}
	return id, wrap(err, "read a representative")
}

// activeClause is the orders that hold quota at now ($1 in args order).
const activeClause = `(state = 'paid' OR (state IN ('ordered', 'seated', 'named') AND deadline > ?))`

func (r contractStore) InsertOrder(ctx context.Context, o contract.Order, now time.Time, check func(contract.Counter) error, e audit.Entry) (contract.Order, error) {
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		id, err := t.insert(ctx, `INSERT INTO contract_orders (tenant_id, customer_id, session_id, tier_id, quantity, state, deadline, hold_id, seat_ids, holders, payment_ref, sale_id, created_by, created_at)
VALUES (?,?,?,?,?,?,?,0,'[]','[]','',0,?,?)`, o.TenantID, o.CustomerID, o.SessionID, o.TierID, o.Quantity, o.State, ms(o.Deadline), o.CreatedBy, ms(o.CreatedAt))
		if err != nil {
			return wrap(err, "place a contract order")
		}
		o.ID = id
		count := func(tierID, customerID int64) (int, error) {
			return allocated(ctx, t.q, o.SessionID, tierID, customerID, now)
		}
		if err := check(count); err != nil {
			return err
		}
		e.Object = "contract:" + strconv.FormatInt(o.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return o, err
}

// allocated sums the active orders of a session (of a tier, of a
// customer: 0 for all).
func allocated(ctx context.Context, q querier, sessionID, tierID, customerID int64, now time.Time) (int, error) {
	s, args := `SELECT COALESCE(SUM(quantity), 0) FROM contract_orders WHERE session_id = ? AND `+activeClause, []any{sessionID, ms(now)}
	if tierID != 0 {
		s += ` AND tier_id = ?`
		args = append(args, tierID)
	}
	if customerID != 0 {
		s += ` AND customer_id = ?`
		args = append(args, customerID)
	}
	var n int
	err := q.QueryRowContext(ctx, s, args...).Scan(&n)
	return n, wrap(err, "count contract orders")
}

func (r contractStore) Allocated(ctx context.Context, sessionID, tierID, customerID int64, now time.Time) (int, error) {
	return allocated(ctx, r.s.q, sessionID, tierID, customerID, now)
}

const contractCols = `id, tenant_id, customer_id, session_id, tier_id, quantity, state, deadline, hold_id, seat_ids, holders, payment_ref, sale_id, created_by, created_at`

func scanContract(sc interface{ Scan(...any) error }) (contract.Order, error) {
	var o contract.Order
	var deadline, at int64
	var seats, holders string
	if err := sc.Scan(&o.ID, &o.TenantID, &o.CustomerID, &o.SessionID, &o.TierID, &o.Quantity, &o.State, &deadline, &o.HoldID, &seats, &holders,
		&o.PaymentRef, &o.SaleID, &o.CreatedBy, &at); err != nil {
		return o, err
	}
	o.Deadline, o.CreatedAt = fromMS(deadline), fromMS(at)
	if err := json.Unmarshal([]byte(seats), &o.SeatIDs); err != nil {
		return o, err
	}
	return o, json.Unmarshal([]byte(holders), &o.Holders)
}

func (r contractStore) Order(ctx context.Context, tenantID, id int64) (contract.Order, error) {
	o, err := scanContract(r.s.q.QueryRowContext(ctx, `SELECT `+contractCols+` FROM contract_orders WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return o, contract.ErrNotFound
	}
	return o, wrap(err, "read a contract order")
}

func (r contractStore) Orders(ctx context.Context, tenantID, customerID int64, limit int) ([]contract.Order, error) {
	q, args := `SELECT `+contractCols+` FROM contract_orders WHERE tenant_id = ?`, []any{tenantID}
	if customerID != 0 {
		q += ` AND customer_id = ?`
		args = append(args, customerID)
	}
	rows, err := r.s.q.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "list contract orders")
	}
	defer rows.Close()
	out := []contract.Order{}
	for rows.Next() {
		o, err := scanContract(rows)
		if err != nil {
			return nil, wrap(err, "list contract orders")
		}
		out = append(out, o)
	}
	return out, wrap(rows.Err(), "list contract orders")
}

func (r contractStore) Move(ctx context.Context, o contract.Order, from contract.State, e audit.Entry) error {
	seats, _ := json.Marshal(o.SeatIDs)
	if o.SeatIDs == nil {
		seats = []byte("[]")
	}
	holders, _ := json.Marshal(o.Holders)
	if o.Holders == nil {
		holders = []byte("[]")
	}
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE contract_orders SET state = ?, hold_id = ?, seat_ids = ?, holders = ?, payment_ref = ?, sale_id = ? WHERE id = ? AND state = ?`,
			o.State, o.HoldID, string(seats), string(holders), o.PaymentRef, o.SaleID, o.ID, from)
		if err != nil {
			return wrap(err, "move a contract order")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return contract.ErrChanged
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r contractStore) Report(ctx context.Context, tenantID, customerID int64, now time.Time) ([]contract.Report, error) {
	q, args := `SELECT c.id, c.name, o.session_id,
  COALESCE(SUM(CASE WHEN o.state <> 'paid' AND o.state <> 'lapsed' AND o.deadline > ? THEN o.quantity ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN o.state = 'paid' THEN o.quantity ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN o.state = 'paid' THEN s.total_cents ELSE 0 END), 0)
FROM contract_orders o JOIN contract_customers c ON c.id = o.customer_id LEFT JOIN orders s ON s.id = o.sale_id
WHERE o.tenant_id = ?`, []any{ms(now), tenantID}
	if customerID != 0 {
		q += ` AND o.customer_id = ?`
		args = append(args, customerID)
	}
	rows, err := r.s.q.QueryContext(ctx, q+` GROUP BY c.id, c.name, o.session_id ORDER BY c.name, o.session_id`, args...)
	if err != nil {
		return nil, wrap(err, "contract report")
	}
	defer rows.Close()
	out := []contract.Report{}
	for rows.Next() {
		var x contract.Report
		if err := rows.Scan(&x.CustomerID, &x.Customer, &x.SessionID, &x.Ordered, &x.Paid, &x.PaidCents); err != nil {
			return nil, wrap(err, "contract report")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "contract report")
}

func (r contractStore) InsertNotice(ctx context.Context, n contract.Notice, e audit.Entry) (contract.Notice, error) {
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		id, err := t.insert(ctx, `INSERT INTO contract_notices (tenant_id, customer_id, title, body, created_by, created_at) VALUES (?,?,?,?,?,?)`,
			n.TenantID, n.CustomerID, n.Title, n.Body, n.CreatedBy, ms(n.CreatedAt))
		if err != nil {
			return wrap(err, "post a notice")
		}
		n.ID = id
		return t.AppendAudit(ctx, e)
	})
	return n, err
}

func (r contractStore) Notices(ctx context.Context, tenantID, customerID int64, limit int) ([]contract.Notice, error) {
	q, args := `SELECT id, tenant_id, customer_id, title, body, created_by, created_at FROM contract_notices WHERE tenant_id = ?`, []any{tenantID}
	if customerID != 0 {
		q += ` AND customer_id IN (0, ?)`
		args = append(args, customerID)
	}
	rows, err := r.s.q.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "list notices")
	}
	defer rows.Close()
	out := []contract.Notice{}
	for rows.Next() {
		var n contract.Notice
		var at int64
		if err := rows.Scan(&n.ID, &n.TenantID, &n.CustomerID, &n.Title, &n.Body, &n.CreatedBy, &at); err != nil {
			return nil, wrap(err, "list notices")
		}
		n.CreatedAt = fromMS(at)
		out = append(out, n)
	}
	return out, wrap(rows.Err(), "list notices")
}
