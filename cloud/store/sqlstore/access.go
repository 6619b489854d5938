package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/internal/reqid"
)

func (r reader) SigningKeys(ctx context.Context, tenantID int64) ([]sales.SigningKey, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, tenant_id, public_key, private_key, status, created_at, retired_at, revoked_at FROM signing_keys WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, wrap(err, "read keys")
	}
	defer rows.Close()
	out := []sales.SigningKey{}
	for rows.Next() {
		var k sales.SigningKey
		var at int64
		var ret, rev sql.NullInt64
		if err := rows.Scan(&k.ID, &k.TenantID, &k.Public, &k.Private, &k.Status, &at, &ret, &rev); err != nil {
			return nil, wrap(err, "read keys")
		}
		k.CreatedAt, k.RetiredAt, k.RevokedAt = fromMS(at), fromNullMS(ret), fromNullMS(rev)
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "read keys")
}

func (t *txn) InsertSigningKey(ctx context.Context, k *sales.SigningKey) error {
	id, err := t.insert(ctx, `INSERT INTO signing_keys (tenant_id, public_key, private_key, status, created_at) VALUES (?,?,?,?,?)`,
		k.TenantID, k.Public, k.Private, k.Status, ms(k.CreatedAt))
	if err != nil {
		return wrap(err, "insert key")
	}
	k.ID = uint32(id)
	return nil
}

func (t *txn) SetKeyStatus(ctx context.Context, keyID uint32, st sales.KeyStatus, at time.Time) error {
	col := "retired_at"
	if st == sales.KeyRevoked {
		col = "revoked_at"
	}
	_, err := t.q.ExecContext(ctx, `UPDATE signing_keys SET status = ?, `+col+` = ? WHERE id = ?`, st, ms(at), keyID)
	return wrap(err, "set key status")
}

const userCols = `id, tenant_id, username, display_name, role, venue_ids, disabled, password_hash, failed_logins, last_failed_at, generation, created_at, password_history, password_changed_at, outlet_id`

func scanUser(sc interface{ Scan(...any) error }) (sales.User, error) {
	var u sales.User
	var venues string
	var at int64
	var failed, changed sql.NullInt64
	var history string
	err := sc.Scan(&u.ID, &u.TenantID, &u.Username, &u.DisplayName, &u.Role, &venues, &u.Disabled, &u.PasswordHash, &u.FailedLogins, &failed, &u.Generation, &at,
		&history, &changed, &u.OutletID)
	if err != nil {
		return u, err
	}
	u.CreatedAt, u.LastFailedAt, u.PasswordChangedAt = fromMS(at), fromNullMS(failed), fromNullMS(changed)
	if err := json.Unmarshal([]byte(history), &u.PasswordHistory); err != nil {
		return u, err
	}
	return u, json.Unmarshal([]byte(venues), &u.VenueIDs)
}

func (r reader) GetUser(ctx context.Context, id int64) (sales.User, error) {
	u, err := scanUser(r.q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "user")
}

func (r reader) GetUserByName(ctx context.Context, username string) (sales.User, error) {
	u, err := scanUser(r.q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, notFound(err, "user")
}

func (r reader) ListUsers(ctx context.Context, tenantID int64) ([]sales.User, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, wrap(err, "list users")
	}
	defer rows.Close()
	out := []sales.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap(err, "list users")
		}
		out = append(out, u)
	}
	return out, wrap(rows.Err(), "list users")
}

func historyJSON(h []string) string {
	if h == nil {
		h = []string{}
	}
	b, _ := json.Marshal(h)
	return string(b)
}

func venueJSON(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func (t *txn) InsertUser(ctx context.Context, u *sales.User) error {
	id, err := t.insert(ctx, `INSERT INTO users (tenant_id, username, display_name, role, venue_ids, disabled, password_hash, generation, created_at, password_history, password_changed_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		u.TenantID, u.Username, u.DisplayName, u.Role, venueJSON(u.VenueIDs), u.Disabled, u.PasswordHash, u.Generation, ms(u.CreatedAt),
		historyJSON(u.PasswordHistory), nullMS(u.PasswordChangedAt))
	if err != nil {
		return t.uniqueViolation(err, "username_taken", "that username is taken")
	}
	u.ID = id
	return nil
}

func (t *txn) UpdateUser(ctx context.Context, u sales.User) error {
	_, err := t.q.ExecContext(ctx, `UPDATE users SET display_name = ?, venue_ids = ?, disabled = ?, password_hash = ?, failed_logins = ?, last_failed_at = ?, generation = ?,
password_history = ?, password_changed_at = ? WHERE id = ?`,
		u.DisplayName, venueJSON(u.VenueIDs), u.Disabled, u.PasswordHash, u.FailedLogins, nullMS(u.LastFailedAt), u.Generation,
		historyJSON(u.PasswordHistory), nullMS(u.PasswordChangedAt), u.ID)
	return wrap(err, "update user")
}

func (t *txn) RecordLogin(ctx context.Context, userID int64, failed bool, at time.Time) error {
	var err error
	if failed {
		_, err = t.q.ExecContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ? WHERE id = ?`, ms(at), userID)
	} else {
		_, err = t.q.ExecContext(ctx, `UPDATE users SET failed_logins = 0, last_failed_at = NULL WHERE id = ?`, userID)
	}
	return wrap(err, "record login")
}

func nullJSON(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// AppendAudit seals the entry onto the chain head and moves the head, in
// the caller's transaction: the writer lock orders the chain. The head row
// is written once per batch (finishBatch).
func (t *txn) AppendAudit(ctx context.Context, e audit.Entry) error {
	if e.RequestID == "" {
		e.RequestID = reqid.From(ctx)
	}
	audit.Seal(&e, t.b.seq, t.b.hash)
	t.appendRow("audit_log", "seq, at, tenant_id, venue_id, actor, action, object, before_json, after_json, reason, approver, prev_hash, hash, request_id",
		e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.TenantID, e.VenueID, e.Actor, e.Action, e.Object,
		nullJSON(e.Before), nullJSON(e.After), e.Reason, e.Approver, e.PrevHash, e.Hash, e.RequestID)
	t.b.seq, t.b.hash = e.Seq, e.Hash
	return nil
}

func (r reader) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := r.q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	return seq, hash, wrap(err, "read audit head")
}

func (r reader) AuditLog(ctx context.Context, f sales.AuditFilter, fn func(audit.Entry) error) error {
	var where []string
	var args []any
	if f.TenantID != 0 {
		where = append(where, "tenant_id = ?")
		args = append(args, f.TenantID)
	}
	if f.VenueIDs != nil {
		// Venue-scoped readers see their venues' entries, not tenant-wide ones.
		if len(f.VenueIDs) == 0 {
			return nil
		}
		where = append(where, "venue_id IN ("+placeholders(len(f.VenueIDs))+")")
		args = append(args, int64Args(f.VenueIDs)...)
	}
	if f.Action != "" {
		where = append(where, "action = ?")
		args = append(args, f.Action)
	}
	if f.Object != "" {
		where = append(where, "object = ?")
		args = append(args, f.Object)
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.AfterSeq > 0 {
		where = append(where, "seq > ?")
		args = append(args, f.AfterSeq)
	}
	q := `SELECT seq, at, tenant_id, venue_id, actor, action, object, before_json, after_json, reason, approver, prev_hash, hash, request_id FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return wrap(err, "read audit log")
	}
	defer rows.Close()
	for rows.Next() {
		var e audit.Entry
		var at string
		var before, after sql.NullString
		if err := rows.Scan(&e.Seq, &at, &e.TenantID, &e.VenueID, &e.Actor, &e.Action, &e.Object, &before, &after, &e.Reason, &e.Approver, &e.PrevHash, &e.Hash, &e.RequestID); err != nil {
			return wrap(err, "read audit log")
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			// A mangled timestamp is tampering too: hand the verifier a
			// zero time so the hash check names the entry.
			e.At = time.Time{}
		}
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "read audit log")
}

func (t *txn) AppendOutbox(ctx context.Context, e sales.OutboxEvent) error {
	t.appendRow("outbox", "tenant_id, venue_id, kind, payload, created_at", e.TenantID, e.VenueID, e.Kind, string(e.Payload), time.Now().UnixMilli())
	return nil
}

func (r reader) OutletOpen(ctx context.Context, id int64) (bool, error) {
	var enabled int
	err := r.q.QueryRowContext(ctx, `SELECT enabled FROM outlets WHERE id = ?`, id).Scan(&enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return enabled == 1, wrap(err, "read an outlet")
}
