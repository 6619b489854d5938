package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/sales"
)

// Passes keeps pass products.
func (s *Store) Passes() pass.Store { return passStore{s} }

type passStore struct{ s *Store }

const productCols = `id, tenant_id, name, sessions, seated, price_cents, tier_prices, stock, created_at`

func scanProduct(sc interface{ Scan(...any) error }) (pass.Product, error) {
	var p pass.Product
	var sessions, tiers string
	var seated int
	var at int64
	if err := sc.Scan(&p.ID, &p.TenantID, &p.Name, &sessions, &seated, &p.PriceCents, &tiers, &p.Stock, &at); err != nil {
		return p, err
	}
	p.Seated, p.CreatedAt = seated == 1, fromMS(at)
	if err := json.Unmarshal([]byte(sessions), &p.SessionIDs); err != nil {
		return p, err
	}
	if tiers != "" && tiers != "null" {
		return p, json.Unmarshal([]byte(tiers), &p.TierPrices)
	}
	return p, nil
}

func (r passStore) InsertProduct(ctx context.Context, p pass.Product, e audit.Entry) (pass.Product, error) {
	sessions, _ := json.Marshal(p.SessionIDs)
	tiers, _ := json.Marshal(p.TierPrices)
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := t.q.QueryRowContext(ctx, `INSERT INTO pass_products (tenant_id, name, sessions, seated, price_cents, tier_prices, stock, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id`,
			p.TenantID, p.Name, string(sessions), boolInt(p.Seated), p.PriceCents, string(tiers), p.Stock, ms(p.CreatedAt)).Scan(&p.ID); err != nil {
			return wrap(err, "create a pass")
		}
		e.Object = "pass_product:" + strconv.FormatInt(p.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return p, err
}

func (r passStore) Product(ctx context.Context, tenantID, id int64) (pass.Product, error) {
	p, err := scanProduct(r.s.q.QueryRowContext(ctx, `SELECT `+productCols+` FROM pass_products WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, pass.ErrNotFound
	}
	return p, wrap(err, "read a pass")
}

func (r passStore) Products(ctx context.Context, tenantID int64) ([]pass.Product, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+productCols+` FROM pass_products WHERE tenant_id = ? ORDER BY id DESC`, tenantID)
	if err != nil {
		return nil, wrap(err, "list passes")
	}
	defer rows.Close()
	out := []pass.Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, wrap(err, "list passes")
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err(), "list passes")
}
