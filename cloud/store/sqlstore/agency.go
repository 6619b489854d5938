package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/sales"
)

// Agencies keeps agencies and their API keys.
func (s *Store) Agencies() agency.Store { return agencyStore{s} }

type agencyStore struct{ s *Store }

const agencyCols = `id, tenant_id, code, name, enabled, commission_bp, service_fee_cents, rate_per_second, created_at`

func scanAgency(sc interface{ Scan(...any) error }) (agency.Agency, error) {
	var a agency.Agency
	var enabled int
	var at int64
	err := sc.Scan(&a.ID, &a.TenantID, &a.Code, &a.Name, &enabled, &a.CommissionBP, &a.ServiceFeeCents, &a.RatePerSecond, &at)
	a.Enabled, a.CreatedAt = enabled == 1, fromMS(at)
	return a, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r agencyStore) InsertAgency(ctx context.Context, a agency.Agency, e audit.Entry) (agency.Agency, error) {
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		err := t.q.QueryRowContext(ctx, `INSERT INTO agencies (tenant_id, code, name, enabled, commission_bp, service_fee_cents, rate_per_second, created_at)
VALUES (?,?,?,?,?,?,?,?) RETURNING id`, a.TenantID, a.Code, a.Name, boolInt(a.Enabled), a.CommissionBP, a.ServiceFeeCents, a.RatePerSecond, ms(a.CreatedAt)).Scan(&a.ID)
		if err != nil && t.d.Unique(err) {
			return agency.ErrDuplicate
		}
		if err != nil {
			return wrap(err, "create an agency")
		}
		e.Object = "agency:" + strconv.FormatInt(a.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return a, err
}

func (r agencyStore) UpdateAgency(ctx context.Context, a agency.Agency, e audit.Entry) error {
	return r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		res, err := t.q.ExecContext(ctx, `UPDATE agencies SET name = ?, enabled = ?, commission_bp = ?, service_fee_cents = ?, rate_per_second = ? WHERE id = ? AND tenant_id = ?`,
			a.Name, boolInt(a.Enabled), a.CommissionBP, a.ServiceFeeCents, a.RatePerSecond, a.ID, a.TenantID)
		if err != nil {
			return wrap(err, "update an agency")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return agency.ErrNotFound
		}
		e.Object = "agency:" + strconv.FormatInt(a.ID, 10)
		return t.AppendAudit(ctx, e)
	})
}

func (r agencyStore) Agency(ctx context.Context, tenantID, id int64) (agency.Agency, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	a, err := scanAgency(r.s.q.QueryRowContext(ctx, `SELECT `+agencyCols+` FROM agencies WHERE id = ? AND `+tc, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, agency.ErrNotFound
	}
	return a, wrap(err, "read an agency")
}

func (r agencyStore) Agencies(ctx context.Context, tenantID int64) ([]agency.Agency, error) {
	q, args := `SELECT `+agencyCols+` FROM agencies ORDER BY tenant_id, code`, []any(nil)
	if tenantID != 0 {
		q, args = `SELECT `+agencyCols+` FROM agencies WHERE tenant_id = ? ORDER BY code`, []any{tenantID}
	}
	rows, err := r.s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list agencies")
	}
	defer rows.Close()
	out := []agency.Agency{}
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, wrap(err, "list agencies")
		}
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "list agencies")
}

const keyCols = `id, tenant_id, agency_id, prefix, label, created_at, ends_at, hash`

func scanKey(sc interface{ Scan(...any) error }) (agency.Key, string, error) {
	var k agency.Key
	var at int64
	var ends sql.NullInt64
	var hash string
	err := sc.Scan(&k.ID, &k.TenantID, &k.AgencyID, &k.Prefix, &k.Label, &at, &ends, &hash)
	k.CreatedAt, k.EndsAt = fromMS(at), fromNullMS(ends)
	return k, hash, err
}

func (r agencyStore) InsertKey(ctx context.Context, k agency.Key, hash string, e audit.Entry) (agency.Key, error) {
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if err := t.q.QueryRowContext(ctx, `INSERT INTO agency_keys (tenant_id, agency_id, prefix, hash, label, created_at) VALUES (?,?,?,?,?,?) RETURNING id`,
			k.TenantID, k.AgencyID, k.Prefix, hash, k.Label, ms(k.CreatedAt)).Scan(&k.ID); err != nil {
			return wrap(err, "create an agency key")
		}
		e.Object = "agency:" + strconv.FormatInt(k.AgencyID, 10) + ":key:" + strconv.FormatInt(k.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return k, err
}

func (r agencyStore) EndKey(ctx context.Context, tenantID, agencyID, keyID int64, at time.Time, e audit.Entry) (agency.Key, error) {
	var k agency.Key
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		if _, err := t.q.ExecContext(ctx, `UPDATE agency_keys SET ends_at = ? WHERE id = ? AND agency_id = ? AND tenant_id = ? AND (ends_at IS NULL OR ends_at > ?)`,
			ms(at), keyID, agencyID, tenantID, ms(at)); err != nil {
			return wrap(err, "end an agency key")
		}
		var err error
		k, _, err = scanKey(t.q.QueryRowContext(ctx, `SELECT `+keyCols+` FROM agency_keys WHERE id = ? AND agency_id = ? AND tenant_id = ?`, keyID, agencyID, tenantID))
		if errors.Is(err, sql.ErrNoRows) {
			return agency.ErrNotFound
		}
		if err != nil {
			return wrap(err, "end an agency key")
		}
		e.Object = "agency:" + strconv.FormatInt(agencyID, 10) + ":key:" + strconv.FormatInt(keyID, 10)
		return t.AppendAudit(ctx, e)
	})
	return k, err
}

func (r agencyStore) Keys(ctx context.Context, tenantID, agencyID int64) ([]agency.Key, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+keyCols+` FROM agency_keys WHERE agency_id = ? AND tenant_id = ? ORDER BY id`, agencyID, tenantID)
	if err != nil {
		return nil, wrap(err, "list agency keys")
	}
	defer rows.Close()
	out := []agency.Key{}
	for rows.Next() {
		k, _, err := scanKey(rows)
		if err != nil {
			return nil, wrap(err, "list agency keys")
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "list agency keys")
}

func (r agencyStore) KeyByPrefix(ctx context.Context, prefix string) (agency.Key, string, agency.Agency, error) {
	var k agency.Key
	var a agency.Agency
	var at, created int64
	var ends sql.NullInt64
	var hash string
	var enabled int
	err := r.s.q.QueryRowContext(ctx, `SELECT k.id, k.tenant_id, k.agency_id, k.prefix, k.label, k.created_at, k.ends_at, k.hash,
  a.id, a.tenant_id, a.code, a.name, a.enabled, a.commission_bp, a.service_fee_cents, a.rate_per_second, a.created_at
FROM agency_keys k JOIN agencies a ON a.id = k.agency_id WHERE k.prefix = ?`, prefix).Scan(&k.ID, &k.TenantID, &k.AgencyID, &k.Prefix, &k.Label, &at, &ends, &hash,
		&a.ID, &a.TenantID, &a.Code, &a.Name, &enabled, &a.CommissionBP, &a.ServiceFeeCents, &a.RatePerSecond, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, "", a, agency.ErrNotFound
	}
	k.CreatedAt, k.EndsAt, a.Enabled, a.CreatedAt = fromMS(at), fromNullMS(ends), enabled == 1, fromMS(created)
	return k, hash, a, wrap(err, "read an agency key")
}
