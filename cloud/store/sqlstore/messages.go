package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/sales"
)

// Messages is the public messages' queue in this store.
func (s *Store) Messages() messages.Store { return messageStore{s} }

type messageStore struct{ s *Store }

const messageCols = `id, tenant_id, channel, recipient, template, lang, body, msg_key, state, attempts, last_error, provider_ref, created_at, next_at, sent_at`

func scanMessage(sc interface{ Scan(...any) error }) (messages.Message, error) {
	var m messages.Message
	var created, next int64
	var sent sql.NullInt64
	err := sc.Scan(&m.ID, &m.TenantID, &m.Channel, &m.Recipient, &m.Template, &m.Lang, &m.Body, &m.Key, &m.State, &m.Attempts,
		&m.LastError, &m.Ref, &created, &next, &sent)
	m.CreatedAt, m.NextAt, m.SentAt = fromMS(created), fromMS(next), fromNullMS(sent)
	return m, err
}

func (r messageStore) Enqueue(ctx context.Context, batch []messages.Message) (int, error) {
	n := 0
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		n = 0
		for _, m := range batch {
			res, err := t.q.ExecContext(ctx, `INSERT INTO messages (tenant_id, channel, recipient, template, lang, body, msg_key, state, attempts,
  last_error, provider_ref, created_at, next_at, sent_at) VALUES (?,?,?,?,?,?,?,?,0,'','',?,?,NULL) ON CONFLICT (msg_key) DO NOTHING`,
				m.TenantID, m.Channel, m.Recipient, m.Template, m.Lang, m.Body, m.Key, m.State, ms(m.CreatedAt), ms(m.NextAt))
			if err != nil {
				return wrap(err, "queue a message")
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

func (r messageStore) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]messages.Message, error) {
	var out []messages.Message
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		out = out[:0]
		rows, err := t.q.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE state = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
			messages.Queued, ms(now), limit)
		if err != nil {
			return wrap(err, "find due messages")
		}
		var due []messages.Message
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				rows.Close()
				return wrap(err, "find due messages")
			}
			due = append(due, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap(err, "find due messages")
		}
		until := now.Add(lease)
		for _, m := range due {
			res, err := t.q.ExecContext(ctx, `UPDATE messages SET next_at = ? WHERE id = ? AND state = ? AND next_at = ?`, ms(until), m.ID, messages.Queued, ms(m.NextAt))
			if err != nil {
				return wrap(err, "claim a message")
			}
			if k, _ := res.RowsAffected(); k == 1 {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

func (r messageStore) Finish(ctx context.Context, m messages.Message) error {
	var sent any
	if m.SentAt != nil {
		sent = ms(*m.SentAt)
	}
	return r.s.Update(ctx, func(tx sales.Tx) error {
		_, err := tx.(*txn).q.ExecContext(ctx, `UPDATE messages SET state = ?, attempts = ?, last_error = ?, provider_ref = ?, next_at = ?, sent_at = ?
WHERE id = ? AND state = ?`, m.State, m.Attempts, m.LastError, m.Ref, ms(m.NextAt), sent, m.ID, messages.Queued)
		return wrap(err, "record a message's send")
	})
}

func (r messageStore) List(ctx context.Context, tenantID int64, f messages.Filter) ([]messages.Message, error) {
	q := `SELECT ` + messageCols + ` FROM messages WHERE tenant_id = ?`
	args := []any{tenantID}
	if tenantID == 0 {
		q, args = `SELECT `+messageCols+` FROM messages WHERE tenant_id >= ?`, []any{0}
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Key != "" {
		q += ` AND msg_key LIKE ? ESCAPE '\'`
		args = append(args, strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Key)+"%")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := r.s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list messages")
	}
	defer rows.Close()
	var out []messages.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, wrap(err, "list messages")
		}
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "list messages")
}

func (r messageStore) Requeue(ctx context.Context, tenantID, id int64, now time.Time, e audit.Entry) (messages.Message, error) {
	var m messages.Message
	err := r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		var err error
		m, err = scanMessage(t.q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && tenantID != 0 && m.TenantID != tenantID) {
			return messages.ErrNotFound
		}
		if err != nil {
			return wrap(err, "read a message")
		}
		if m.State != messages.Failed {
			return messages.ErrNotFailed
		}
		if _, err := t.q.ExecContext(ctx, `UPDATE messages SET state = ?, attempts = 0, next_at = ? WHERE id = ? AND state = ?`,
			messages.Queued, ms(now), id, messages.Failed); err != nil {
			return wrap(err, "queue a message again")
		}
		m.State, m.Attempts, m.NextAt = messages.Queued, 0, now.UTC()
		e.TenantID, e.Object = m.TenantID, "message:"+strconv.FormatInt(id, 10)
		return t.AppendAudit(ctx, e)
	})
	return m, err
}
