package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

const deviceCols = `d.id, d.tenant_id, d.venue_id, v.code, d.role, d.name, d.zone, d.profile, d.status, d.created_at, d.enrolled_at, d.revoked_at, d.last_seen, d.state`

const deviceFrom = ` FROM devices d JOIN venues v ON v.id = d.venue_id`

func scanDevice(sc interface{ Scan(...any) error }, extra ...any) (sales.Device, error) {
	var d sales.Device
	var at int64
	var enrolled, revoked, seen sql.NullInt64
	var state string
	dst := append([]any{&d.ID, &d.TenantID, &d.VenueID, &d.VenueCode, &d.Role, &d.Name, &d.Zone, &d.Profile, &d.Status,
		&at, &enrolled, &revoked, &seen, &state}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return d, err
	}
	d.CreatedAt, d.EnrolledAt, d.RevokedAt, d.LastSeen = fromMS(at), fromNullMS(enrolled), fromNullMS(revoked), fromNullMS(seen)
	if state != "" && state != "{}" {
		if err := json.Unmarshal([]byte(state), &d.State); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (r reader) GetDevice(ctx context.Context, tenantID int64, id string) (sales.Device, error) {
	tc, args := tenantClause("d.tenant_id", tenantID)
	d, err := scanDevice(r.q.QueryRowContext(ctx, `SELECT `+deviceCols+deviceFrom+` WHERE d.id = ? AND `+tc, append([]any{id}, args...)...))
	return d, notFound(err, "device")
}

func (r reader) ListDevices(ctx context.Context, tenantID int64, venueIDs []int64) ([]sales.Device, error) {
	tc, args := tenantClause("d.tenant_id", tenantID)
	q := `SELECT ` + deviceCols + deviceFrom + ` WHERE ` + tc
	if venueIDs != nil {
		if len(venueIDs) == 0 {
			return []sales.Device{}, nil
		}
		q += ` AND d.venue_id IN (` + placeholders(len(venueIDs)) + `)`
		args = append(args, int64Args(venueIDs)...)
	}
	rows, err := r.q.QueryContext(ctx, q+` ORDER BY d.venue_id, d.created_at, d.id`, args...)
	if err != nil {
		return nil, wrap(err, "list devices")
	}
	defer rows.Close()
	out := []sales.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, wrap(err, "list devices")
		}
		out = append(out, d)
	}
	return out, wrap(rows.Err(), "list devices")
}

func (r reader) DeviceByCodeHash(ctx context.Context, hash string) (sales.Device, time.Time, error) {
	var exp sql.NullInt64
	d, err := scanDevice(r.q.QueryRowContext(ctx, `SELECT `+deviceCols+`, d.code_expires`+deviceFrom+` WHERE d.code_hash = ?`, hash), &exp)
	if err != nil {
		return d, time.Time{}, notFound(err, "device")
	}
	if !exp.Valid {
		return d, time.Time{}, sales.NotFound("device")
	}
	return d, fromMS(exp.Int64), nil
}

func (r reader) DeviceSecret(ctx context.Context, id string) (sales.Device, []byte, error) {
	var secret []byte
	d, err := scanDevice(r.q.QueryRowContext(ctx, `SELECT `+deviceCols+`, d.secret`+deviceFrom+` WHERE d.id = ?`, id), &secret)
	if err != nil {
		return d, nil, notFound(err, "device")
	}
	return d, secret, nil
}

func (t *txn) InsertDevice(ctx context.Context, d sales.Device, codeHash string, codeExpires time.Time) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO devices (id, tenant_id, venue_id, role, name, zone, profile, status, code_hash, code_expires, created_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?)`, d.ID, d.TenantID, d.VenueID, d.Role, d.Name, d.Zone, d.Profile, d.Status, codeHash, ms(codeExpires), ms(d.CreatedAt))
	if err != nil {
		return t.uniqueViolation(err, "device_id_taken", "device id or enrollment code collision")
	}
	return nil
}

func (t *txn) ActivateDevice(ctx context.Context, id, codeHash string, secret []byte, at time.Time) (bool, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE devices SET status = 'active', secret = ?, enrolled_at = ?, code_hash = NULL, code_expires = NULL
WHERE id = ? AND status = 'pending' AND code_hash = ?`, secret, ms(at), id, codeHash)
	if err != nil {
		return false, wrap(err, "activate device")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *txn) RevokeDevice(ctx context.Context, id string, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE devices SET status = 'revoked', revoked_at = ?, secret = NULL, code_hash = NULL, code_expires = NULL WHERE id = ?`, ms(at), id)
	return wrap(err, "revoke device")
}

func (t *txn) TouchDevice(ctx context.Context, id string, seen time.Time, state map[string]string) error {
	if state == nil {
		_, err := t.q.ExecContext(ctx, `UPDATE devices SET last_seen = `+t.d.Greatest+`(COALESCE(last_seen, 0), ?) WHERE id = ?`, ms(seen), id)
		return wrap(err, "touch device")
	}
	b, err := json.Marshal(state)
	if err != nil {
		return wrap(err, "touch device")
	}
	_, err = t.q.ExecContext(ctx, `UPDATE devices SET last_seen = `+t.d.Greatest+`(COALESCE(last_seen, 0), ?), state = ? WHERE id = ?`, ms(seen), string(b), id)
	return wrap(err, "touch device")
}

func (r reader) DeviceCursor(ctx context.Context, deviceID string) (uint64, error) {
	var n int64
	err := r.q.QueryRowContext(ctx, `SELECT acked FROM device_cursors WHERE device_id = ?`, deviceID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(n), wrap(err, "read device cursor")
}

func (r reader) DeviceFactIDSeen(ctx context.Context, deviceID, factID string) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM device_facts WHERE device_id = ? AND fact_id = ? AND status = 'ok'`, deviceID, factID).Scan(&n)
	return n > 0, wrap(err, "find device fact")
}

func (t *txn) InsertDeviceFact(ctx context.Context, f sales.StoredFact) (bool, error) {
	var data any
	if f.Data != nil {
		data = string(f.Data)
	}
	res, err := t.q.ExecContext(ctx, `INSERT INTO device_facts (device_id, seq, fact_id, kind, at, data, status, note, received_at)
VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (device_id, seq) DO NOTHING`,
		f.DeviceID, int64(f.Seq), f.ID, f.Kind, ms(f.At), data, f.Status, f.Note, ms(f.ReceivedAt))
	if err != nil {
		return false, wrap(err, "store device fact")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// AdvanceDeviceCursor walks the stored seqs after the cursor until the
// first gap; only facts stored out of order are read twice.
func (t *txn) AdvanceDeviceCursor(ctx context.Context, deviceID string) (uint64, error) {
	acked, err := t.DeviceCursor(ctx, deviceID)
	if err != nil {
		return 0, err
	}
	start := acked
	for {
		rows, err := t.q.QueryContext(ctx, `SELECT seq FROM device_facts WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT 500`, deviceID, int64(acked))
		if err != nil {
			return 0, wrap(err, "advance device cursor")
		}
		n, gap := 0, false
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return 0, wrap(err, "advance device cursor")
			}
			n++
			if uint64(seq) != acked+1 {
				gap = true
				break
			}
			acked++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, wrap(err, "advance device cursor")
		}
		if gap || n < 500 {
			break
		}
	}
	if acked == start {
		return acked, nil
	}
	_, err = t.q.ExecContext(ctx, `INSERT INTO device_cursors (device_id, acked) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET acked = excluded.acked`,
		deviceID, int64(acked))
	return acked, wrap(err, "advance device cursor")
}

const admissionCols = `id, tenant_id, venue_id, session_id, ticket_number, device_id, fact_id, direction, at, offline`

func scanAdmission(sc interface{ Scan(...any) error }) (sales.Admission, error) {
	var a sales.Admission
	var at int64
	err := sc.Scan(&a.ID, &a.TenantID, &a.VenueID, &a.SessionID, &a.TicketNumber, &a.DeviceID, &a.FactID, &a.Direction, &at, &a.Offline)
	a.At = fromMS(at)
	return a, err
}

func (t *txn) InsertAdmission(ctx context.Context, a *sales.Admission) error {
	id, err := t.insert(ctx, `INSERT INTO admissions (tenant_id, venue_id, session_id, ticket_number, device_id, fact_id, direction, at, offline)
VALUES (?,?,?,?,?,?,?,?,?)`, a.TenantID, a.VenueID, a.SessionID, a.TicketNumber, a.DeviceID, a.FactID, a.Direction, ms(a.At), a.Offline)
	if err != nil {
		return wrap(err, "insert admission")
	}
	a.ID = id
	return nil
}

func (t *txn) MarkTicketPrinted(ctx context.Context, venueID int64, number string, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE tickets SET printed_at = `+t.d.Least+`(COALESCE(printed_at, ?), ?) WHERE venue_id = ? AND number = ?`, ms(at), ms(at), venueID, number)
	if err != nil {
		return wrap(err, "mark ticket printed")
	}
	// Every print, for the inventory's count of prints as of a moment.
	_, err = t.q.ExecContext(ctx, `INSERT INTO ticket_prints (session_id, number, at) SELECT session_id, number, ? FROM tickets WHERE venue_id = ? AND number = ?`, ms(at), venueID, number)
	return wrap(err, "record a print")
}

func (t *txn) MarkTicketAdmitted(ctx context.Context, venueID int64, number string, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE tickets SET admitted_at = `+t.d.Least+`(COALESCE(admitted_at, ?), ?) WHERE venue_id = ? AND number = ?`, ms(at), ms(at), venueID, number)
	return wrap(err, "mark ticket admitted")
}

func (r reader) TicketAdmissions(ctx context.Context, sessionID int64, number string) ([]sales.Admission, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+admissionCols+` FROM admissions WHERE session_id = ? AND ticket_number = ? ORDER BY at, id`, sessionID, number)
	if err != nil {
		return nil, wrap(err, "read admissions")
	}
	defer rows.Close()
	var out []sales.Admission
	for rows.Next() {
		a, err := scanAdmission(rows)
		if err != nil {
			return nil, wrap(err, "read admissions")
		}
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "read admissions")
}

func (t *txn) InsertAlert(ctx context.Context, a *sales.Alert) error {
	id, err := t.insert(ctx, `INSERT INTO alerts (tenant_id, venue_id, kind, ticket_number, detail, at) VALUES (?,?,?,?,?,?)`,
		a.TenantID, a.VenueID, a.Kind, a.TicketNumber, a.Detail, ms(a.At))
	if err != nil {
		return wrap(err, "insert alert")
	}
	a.ID = id
	return nil
}

func (r reader) ListAlerts(ctx context.Context, tenantID int64, f sales.AlertFilter) ([]sales.Alert, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	where := []string{tc}
	if f.VenueIDs != nil {
		if len(f.VenueIDs) == 0 {
			return []sales.Alert{}, nil
		}
		where = append(where, `venue_id IN (`+placeholders(len(f.VenueIDs))+`)`)
		args = append(args, int64Args(f.VenueIDs)...)
	}
	if f.VenueID != 0 {
		where = append(where, `venue_id = ?`)
		args = append(args, f.VenueID)
	}
	if f.Kind != "" {
		where = append(where, `kind = ?`)
		args = append(args, f.Kind)
	}
	if !f.Since.IsZero() {
		where = append(where, `at >= ?`)
		args = append(args, ms(f.Since))
	}
	q := `SELECT id, tenant_id, venue_id, kind, ticket_number, detail, at FROM alerts WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list alerts")
	}
	defer rows.Close()
	out := []sales.Alert{}
	for rows.Next() {
		var a sales.Alert
		var at int64
		if err := rows.Scan(&a.ID, &a.TenantID, &a.VenueID, &a.Kind, &a.TicketNumber, &a.Detail, &at); err != nil {
			return nil, wrap(err, "list alerts")
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "list alerts")
}
