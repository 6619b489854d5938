package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/sales"
)

// Accounts is the public's accounts in this store.
func (s *Store) Accounts() accounts.Store { return accountStore{s} }

type accountStore struct{ s *Store }

func (r accountStore) update(ctx context.Context, fn func(t *txn) error) error {
	return r.s.Update(ctx, func(tx sales.Tx) error { return fn(tx.(*txn)) })
}

func (r accountStore) PutCode(ctx context.Context, c accounts.Code) error {
	return r.update(ctx, func(t *txn) error {
		_, err := t.q.ExecContext(ctx, `INSERT INTO sms_codes (phone_key, hash, sent_at, expires_at, attempts) VALUES (?,?,?,?,0)
ON CONFLICT (phone_key) DO UPDATE SET hash = excluded.hash, sent_at = excluded.sent_at, expires_at = excluded.expires_at, attempts = 0`,
			c.PhoneKey, c.Hash, ms(c.SentAt), ms(c.Expires))
		return wrap(err, "store a code")
	})
}

func (r accountStore) GetCode(ctx context.Context, phoneKey string) (accounts.Code, error) {
	c := accounts.Code{PhoneKey: phoneKey}
	var sent, exp int64
	err := r.s.q.QueryRowContext(ctx, `SELECT hash, sent_at, expires_at, attempts FROM sms_codes WHERE phone_key = ?`, phoneKey).Scan(&c.Hash, &sent, &exp, &c.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return c, accounts.ErrNotFound
	}
	c.SentAt, c.Expires = fromMS(sent), fromMS(exp)
	return c, wrap(err, "read a code")
}

func (r accountStore) CodeFailed(ctx context.Context, phoneKey string) error {
	return r.update(ctx, func(t *txn) error {
		_, err := t.q.ExecContext(ctx, `UPDATE sms_codes SET attempts = attempts + 1 WHERE phone_key = ?`, phoneKey)
		return wrap(err, "count a wrong code")
	})
}

func (r accountStore) DeleteCode(ctx context.Context, phoneKey string) error {
	return r.update(ctx, func(t *txn) error {
		_, err := t.q.ExecContext(ctx, `DELETE FROM sms_codes WHERE phone_key = ?`, phoneKey)
		return wrap(err, "delete a code")
	})
}

const accountCols = `id, tenant_id, phone, phone_key, password, identity_id, failures, last_fail, generation, created_at`

func scanAccount(sc interface{ Scan(...any) error }) (accounts.Account, error) {
	var a accounts.Account
	var last sql.NullInt64
	var created int64
	err := sc.Scan(&a.ID, &a.TenantID, &a.Phone, &a.PhoneKey, &a.Password, &a.IdentityID, &a.Failures, &last, &a.Generation, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, accounts.ErrNotFound
	}
	a.LastFail, a.CreatedAt = fromNullMS(last), fromMS(created)
	return a, wrap(err, "read an account")
}

func (r accountStore) CreateAccount(ctx context.Context, a accounts.Account, e audit.Entry) (accounts.Account, error) {
	err := r.update(ctx, func(t *txn) error {
		err := t.q.QueryRowContext(ctx, `INSERT INTO accounts (tenant_id, phone, phone_key, password, identity_id, failures, last_fail, generation, created_at)
VALUES (?,?,?,?,0,0,NULL,0,?) RETURNING id`, a.TenantID, a.Phone, a.PhoneKey, a.Password, ms(a.CreatedAt)).Scan(&a.ID)
		if err != nil && t.d.Unique(err) {
			return accounts.ErrDuplicate
		}
		if err != nil {
			return wrap(err, "create an account")
		}
		e.Object = "account:" + strconv.FormatInt(a.ID, 10)
		return t.AppendAudit(ctx, e)
	})
	return a, err
}

func (r accountStore) AccountByPhone(ctx context.Context, tenantID int64, phoneKey string) (accounts.Account, error) {
	return scanAccount(r.s.q.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE tenant_id = ? AND phone_key = ?`, tenantID, phoneKey))
}

func (r accountStore) GetAccount(ctx context.Context, tenantID, id int64) (accounts.Account, error) {
	return scanAccount(r.s.q.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

func (r accountStore) LoginFailed(ctx context.Context, id int64, at time.Time) error {
	return r.update(ctx, func(t *txn) error {
		_, err := t.q.ExecContext(ctx, `UPDATE accounts SET failures = failures + 1, last_fail = ? WHERE id = ?`, ms(at), id)
		return wrap(err, "count a failed login")
	})
}

func (r accountStore) LoginSucceeded(ctx context.Context, id int64) error {
	return r.update(ctx, func(t *txn) error {
		_, err := t.q.ExecContext(ctx, `UPDATE accounts SET failures = 0 WHERE id = ?`, id)
		return wrap(err, "clear failed logins")
	})
}

func (r accountStore) EndSessions(ctx context.Context, id int64) error {
	return r.update(ctx, func(t *txn) error {
		_, err := t.q.ExecContext(ctx, `UPDATE accounts SET generation = generation + 1 WHERE id = ?`, id)
		return wrap(err, "end an account's logins")
	})
}

func (r accountStore) SetAccountIdentity(ctx context.Context, accountID, identityID int64, e audit.Entry) error {
	return r.update(ctx, func(t *txn) error {
		if _, err := t.q.ExecContext(ctx, `UPDATE accounts SET identity_id = ? WHERE id = ?`, identityID, accountID); err != nil {
			return wrap(err, "set an account's identity")
		}
		return t.AppendAudit(ctx, e)
	})
}

const identityCols = `id, tenant_id, id_key, doc_type, doc_masked, name, state, reason, checked_by, created_at, checked_at, gate_tag`

func scanIdentity(sc interface{ Scan(...any) error }) (accounts.Identity, error) {
	var i accounts.Identity
	var created int64
	var checked sql.NullInt64
	err := sc.Scan(&i.ID, &i.TenantID, &i.IDKey, &i.DocType, &i.DocMasked, &i.Name, &i.State, &i.Reason, &i.CheckedBy, &created, &checked, &i.GateTag)
	if errors.Is(err, sql.ErrNoRows) {
		return i, accounts.ErrNotFound
	}
	i.CreatedAt, i.CheckedAt = fromMS(created), fromNullMS(checked)
	return i, wrap(err, "read an identity")
}

func (r accountStore) IdentityByKey(ctx context.Context, tenantID int64, idKey string) (accounts.Identity, error) {
	return scanIdentity(r.s.q.QueryRowContext(ctx, `SELECT `+identityCols+` FROM identities WHERE tenant_id = ? AND id_key = ?`, tenantID, idKey))
}

func (r accountStore) GetIdentity(ctx context.Context, tenantID, id int64) (accounts.Identity, error) {
	return scanIdentity(r.s.q.QueryRowContext(ctx, `SELECT `+identityCols+` FROM identities WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

func (r accountStore) CreateIdentity(ctx context.Context, i accounts.Identity) (accounts.Identity, error) {
	err := r.update(ctx, func(t *txn) error {
		err := t.q.QueryRowContext(ctx, `INSERT INTO identities (tenant_id, id_key, doc_type, doc_masked, name, state, reason, checked_by, created_at, checked_at, gate_tag)
VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`, i.TenantID, i.IDKey, i.DocType, i.DocMasked, i.Name, i.State, i.Reason, i.CheckedBy, ms(i.CreatedAt), nullMS(i.CheckedAt), i.GateTag).Scan(&i.ID)
		if err != nil && t.d.Unique(err) {
			return accounts.ErrDuplicate
		}
		return wrap(err, "record an identity")
	})
	return i, err
}

func (r accountStore) DecideIdentity(ctx context.Context, i accounts.Identity, from accounts.State, e audit.Entry) error {
	return r.update(ctx, func(t *txn) error {
		res, err := t.q.ExecContext(ctx, `UPDATE identities SET state = ?, reason = ?, checked_by = ?, checked_at = ? WHERE id = ? AND state = ?`,
			i.State, i.Reason, i.CheckedBy, nullMS(i.CheckedAt), i.ID, from)
		if err != nil {
			return wrap(err, "decide an identity")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return accounts.ErrChanged
		}
		return t.AppendAudit(ctx, e)
	})
}

func (r accountStore) Reviews(ctx context.Context, tenantID int64) ([]accounts.Identity, error) {
	q, args := `SELECT `+identityCols+` FROM identities WHERE tenant_id = ? AND state = ? ORDER BY id`, []any{tenantID, accounts.Review}
	if tenantID == 0 {
		q, args = `SELECT `+identityCols+` FROM identities WHERE state = ? ORDER BY id`, []any{accounts.Review}
	}
	rows, err := r.s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list identities to review")
	}
	defer rows.Close()
	var out []accounts.Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, wrap(rows.Err(), "list identities to review")
}

func (r accountStore) AddHolder(ctx context.Context, accountID, identityID int64, max int) (int64, error) {
	var id int64
	err := r.update(ctx, func(t *txn) error {
		var n, same int
		if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN identity_id = ? THEN 1 ELSE 0 END), 0) FROM account_holders WHERE account_id = ?`,
			identityID, accountID).Scan(&n, &same); err != nil {
			return wrap(err, "count holders")
		}
		if same > 0 {
			return accounts.ErrDuplicate
		}
		if n >= max {
			return accounts.ErrFull
		}
		err := t.q.QueryRowContext(ctx, `INSERT INTO account_holders (account_id, identity_id, created_at) VALUES (?,?,?) RETURNING id`,
			accountID, identityID, ms(time.Now())).Scan(&id)
		if err != nil && t.d.Unique(err) {
			return accounts.ErrDuplicate
		}
		return wrap(err, "add a holder")
	})
	return id, err
}

func (r accountStore) RemoveHolder(ctx context.Context, accountID, linkID int64) error {
	return r.update(ctx, func(t *txn) error {
		res, err := t.q.ExecContext(ctx, `DELETE FROM account_holders WHERE id = ? AND account_id = ?`, linkID, accountID)
		if err != nil {
			return wrap(err, "remove a holder")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return accounts.ErrNotFound
		}
		return nil
	})
}

func (r accountStore) Holders(ctx context.Context, accountID int64) ([]accounts.Holder, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+prefixed("i.", identityCols)+`, h.id FROM account_holders h JOIN identities i ON i.id = h.identity_id
WHERE h.account_id = ? ORDER BY h.id`, accountID)
	if err != nil {
		return nil, wrap(err, "list holders")
	}
	defer rows.Close()
	var out []accounts.Holder
	for rows.Next() {
		var h accounts.Holder
		if h.Identity, err = scanIdentity(extraScan{rows, []any{&h.ID}}); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, wrap(rows.Err(), "list holders")
}
