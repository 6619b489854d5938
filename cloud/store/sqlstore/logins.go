package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

const loginCols = `s.token_hash, s.user_id, s.tenant_id, s.generation, s.created_at, s.expires_at, s.last_seen_at, s.ended_at, s.end_reason, u.username, u.role, u.venue_ids`

func scanLogin(sc interface{ Scan(...any) error }) (sales.LoginSession, error) {
	var l sales.LoginSession
	var created, expires, seen int64
	var ended sql.NullInt64
	var venues string
	err := sc.Scan(&l.TokenHash, &l.UserID, &l.TenantID, &l.Generation, &created, &expires, &seen, &ended, &l.EndReason, &l.Username, &l.Role, &venues)
	if err != nil {
		return l, err
	}
	l.CreatedAt, l.ExpiresAt, l.LastSeenAt, l.EndedAt = fromMS(created), fromMS(expires), fromMS(seen), fromNullMS(ended)
	return l, json.Unmarshal([]byte(venues), &l.VenueIDs)
}

func (r reader) GetLoginSession(ctx context.Context, tokenHash string) (sales.LoginSession, error) {
	l, err := scanLogin(r.q.QueryRowContext(ctx, `SELECT `+loginCols+` FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash))
	return l, notFound(err, "login session")
}

// LiveLoginSessions lists the logins that still let their user in: not
// ended, not expired, seen since, of a user still enabled and at the same
// generation (a password change ends every login without touching them).
func (r reader) LiveLoginSessions(ctx context.Context, tenantID int64, since, now time.Time) ([]sales.LoginSession, error) {
	q := `SELECT ` + loginCols + ` FROM login_sessions s JOIN users u ON u.id = s.user_id
WHERE s.ended_at IS NULL AND s.last_seen_at >= ? AND s.expires_at > ? AND s.generation = u.generation AND u.disabled = 0`
	args := []any{ms(since), ms(now)}
	if tenantID >= 0 {
		q += ` AND s.tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := r.q.QueryContext(ctx, q+` ORDER BY s.last_seen_at DESC`, args...)
	if err != nil {
		return nil, wrap(err, "list login sessions")
	}
	defer rows.Close()
	out := []sales.LoginSession{}
	for rows.Next() {
		l, err := scanLogin(rows)
		if err != nil {
			return nil, wrap(err, "list login sessions")
		}
		out = append(out, l)
	}
	return out, wrap(rows.Err(), "list login sessions")
}

func (t *txn) InsertLoginSession(ctx context.Context, l sales.LoginSession) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO login_sessions (token_hash, user_id, tenant_id, generation, created_at, expires_at, last_seen_at) VALUES (?,?,?,?,?,?,?)`,
		l.TokenHash, l.UserID, l.TenantID, l.Generation, ms(l.CreatedAt), ms(l.ExpiresAt), ms(l.LastSeenAt))
	return wrap(err, "insert login session")
}

func (t *txn) TouchLoginSession(ctx context.Context, tokenHash string, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE login_sessions SET last_seen_at = ? WHERE token_hash = ? AND ended_at IS NULL AND last_seen_at < ?`, ms(at), tokenHash, ms(at))
	return wrap(err, "touch login session")
}

// EndLoginSession ends the login; false if it had already ended.
func (t *txn) EndLoginSession(ctx context.Context, tokenHash string, at time.Time, reason string) (bool, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE login_sessions SET ended_at = ?, end_reason = ? WHERE token_hash = ? AND ended_at IS NULL`, ms(at), reason, tokenHash)
	if err != nil {
		return false, wrap(err, "end login session")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "end login session")
}
