package sqlstore

import (
	"context"
	"strings"
)

// Secrets stored as they are: the sales service seals them
// (cloud/secrets) before they reach the store.

func (r reader) SettingKeys(ctx context.Context, prefix string) ([]string, error) {
	// LIKE's wildcards in the prefix are escaped: the prefix is literal.
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix)
	rows, err := r.q.QueryContext(ctx, `SELECT key FROM settings WHERE key LIKE ? ESCAPE '\' ORDER BY key`, esc+"%")
	if err != nil {
		return nil, wrap(err, "list settings")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, wrap(err, "list settings")
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "list settings")
}

func (t *txn) SetSigningKeyPrivate(ctx context.Context, keyID uint32, private []byte) error {
	_, err := t.q.ExecContext(ctx, `UPDATE signing_keys SET private_key = ? WHERE id = ?`, private, keyID)
	return wrap(err, "seal a signing key")
}

func (t *txn) SetDeviceSecret(ctx context.Context, id string, secret []byte) error {
	_, err := t.q.ExecContext(ctx, `UPDATE devices SET secret = ? WHERE id = ? AND secret IS NOT NULL`, secret, id)
	return wrap(err, "seal a device secret")
}
