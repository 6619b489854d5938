package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/admitbox/admit/cloud/inventory"
	"github.com/admitbox/admit/cloud/sales"
)

// Inventory reads what the ticket inventory is built from.
func (s *Store) Inventory() inventory.Store { return inventoryStore{s} }

type inventoryStore struct{ s *Store }

func (r inventoryStore) Sessions(ctx context.Context, venueID int64, since time.Time) ([]inventory.Session, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT id, starts_at, ends_at FROM sessions WHERE venue_id = ? AND ends_at > ? ORDER BY starts_at, id`, venueID, ms(since))
	if err != nil {
		return nil, wrap(err, "inventory sessions")
	}
	defer rows.Close()
	var out []inventory.Session
	for rows.Next() {
		var s inventory.Session
		var a, b int64
		if err := rows.Scan(&s.ID, &a, &b); err != nil {
			return nil, wrap(err, "inventory sessions")
		}
		s.StartsAt, s.EndsAt = fromMS(a), fromMS(b)
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "inventory sessions")
}

func (r inventoryStore) Seats(ctx context.Context, sessionID int64) ([]inventory.Seat, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT seat_id, label, category, phys_state FROM session_seats WHERE session_id = ? ORDER BY seat_id`, sessionID)
	if err != nil {
		return nil, wrap(err, "inventory seats")
	}
	defer rows.Close()
	var out []inventory.Seat
	for rows.Next() {
		var s inventory.Seat
		if err := rows.Scan(&s.SeatID, &s.Label, &s.Category, &s.State); err != nil {
			return nil, wrap(err, "inventory seats")
		}
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "inventory seats")
}

func (r inventoryStore) Tickets(ctx context.Context, sessionID int64, asOf time.Time) ([]inventory.Ticket, error) {
	at := ms(asOf)
	rows, err := r.s.q.QueryContext(ctx, `SELECT number, seat_id, issued_at, production, produced_at FROM tickets WHERE session_id = ? AND issued_at <= ? ORDER BY number`, sessionID, at)
	if err != nil {
		return nil, wrap(err, "inventory tickets")
	}
	var out []inventory.Ticket
	idx := map[string]int{}
	for rows.Next() {
		var t inventory.Ticket
		var issued int64
		var produced sql.NullInt64
		if err := rows.Scan(&t.Number, &t.SeatID, &issued, &t.Production, &produced); err != nil {
			rows.Close()
			return nil, wrap(err, "inventory tickets")
		}
		t.IssuedAt, t.ProducedAt = fromMS(issued), fromNullMS(produced)
		idx[t.Number] = len(out)
		out = append(out, t)
	}
	if err := rows.Close(); err != nil {
		return nil, wrap(err, "inventory tickets")
	}
	each := func(q string, fn func(number string, at int64, in bool)) error {
		rows, err := r.s.q.QueryContext(ctx, q, sessionID, at)
		if err != nil {
			return wrap(err, "inventory facts")
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			var a int64
			var in bool
			if err := rows.Scan(&n, &a, &in); err != nil {
				return wrap(err, "inventory facts")
			}
			fn(n, a, in)
		}
		return wrap(rows.Err(), "inventory facts")
	}
	if err := each(`SELECT number, MIN(at), 1 = 1 FROM revocations WHERE session_id = ? AND at <= ? GROUP BY number`, func(n string, a int64, _ bool) {
		if i, ok := idx[n]; ok {
			out[i].RevokedAt = fromNullMS(sql.NullInt64{Int64: a, Valid: true})
		}
	}); err != nil {
		return nil, err
	}
	if err := each(`SELECT number, at, 1 = 1 FROM ticket_prints WHERE session_id = ? AND at <= ? ORDER BY at`, func(n string, a int64, _ bool) {
		if i, ok := idx[n]; ok {
			out[i].Prints = append(out[i].Prints, fromMS(a))
		}
	}); err != nil {
		return nil, err
	}
	if err := each(`SELECT ticket_number, at, direction = 'in' FROM admissions WHERE session_id = ? AND at <= ? ORDER BY at, id`, func(n string, a int64, in bool) {
		if i, ok := idx[n]; ok {
			out[i].Passages = append(out[i].Passages, inventory.Passage{In: in, At: fromMS(a)})
		}
	}); err != nil {
		return nil, err
	}
	return out, nil
}

func (r inventoryStore) ToProduce(ctx context.Context, venueID int64) ([]inventory.PrintLine, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT t.number, t.session_id, e.name, s.starts_at, t.seat_label, t.price_cents
FROM tickets t JOIN sessions s ON s.id = t.session_id JOIN events e ON e.id = s.event_id
WHERE t.venue_id = ? AND t.production = 'commemorative' AND t.produced_at IS NULL AND t.status = 'valid' ORDER BY t.number`, venueID)
	if err != nil {
		return nil, wrap(err, "print data")
	}
	defer rows.Close()
	var out []inventory.PrintLine
	for rows.Next() {
		var l inventory.PrintLine
		var at int64
		if err := rows.Scan(&l.Number, &l.SessionID, &l.Event, &at, &l.Seat, &l.PriceCents); err != nil {
			return nil, wrap(err, "print data")
		}
		l.StartsAt = fromMS(at)
		out = append(out, l)
	}
	return out, wrap(rows.Err(), "print data")
}

func (r inventoryStore) ChannelSales(ctx context.Context, sessionID int64, asOf time.Time) (map[string]int, error) {
	at := ms(asOf)
	rows, err := r.s.q.QueryContext(ctx, `SELECT o.channel, COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id
WHERE t.session_id = ? AND t.issued_at <= ?
  AND NOT EXISTS (SELECT 1 FROM revocations v WHERE v.session_id = t.session_id AND v.number = t.number AND v.at <= ?)
GROUP BY o.channel`, sessionID, at, at)
	if err != nil {
		return nil, wrap(err, "channel sales")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ch string
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, wrap(err, "channel sales")
		}
		out[ch] = n
	}
	return out, wrap(rows.Err(), "channel sales")
}

func (r inventoryStore) HasExport(ctx context.Context, venueID int64, period string, asOf time.Time) (bool, error) {
	var n int
	err := r.s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM inventory_exports WHERE venue_id = ? AND period = ? AND as_of = ?`, venueID, period, ms(asOf)).Scan(&n)
	return n > 0, wrap(err, "look for an export")
}

func (r inventoryStore) InsertExport(ctx context.Context, e inventory.Export, body []byte) (inventory.Export, error) {
	ch, err := json.Marshal(e.Channels)
	if err != nil {
		return e, err
	}
	an, err := json.Marshal(e.Anomalies)
	if err != nil {
		return e, err
	}
	err = r.s.Update(ctx, func(tx sales.Tx) error {
		t := tx.(*txn)
		id, err := t.insert(ctx, `INSERT INTO inventory_exports (tenant_id, venue_id, period, as_of, sha256, bytes, seats, sold, channels, anomalies, taken_at, body)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, e.TenantID, e.VenueID, e.Period, ms(e.AsOf), e.SHA256, e.Bytes, e.Seats, e.Sold, string(ch), string(an), ms(e.TakenAt), body)
		if err != nil && t.d.Unique(err) {
			return inventory.ErrExists
		}
		if err != nil {
			return wrap(err, "keep an export")
		}
		e.ID = id
		return nil
	})
	return e, err
}

const exportCols = `id, tenant_id, venue_id, period, as_of, sha256, bytes, seats, sold, channels, anomalies, taken_at`

func scanExport(sc interface{ Scan(...any) error }, extra ...any) (inventory.Export, error) {
	var e inventory.Export
	var asOf, taken int64
	var ch, an string
	if err := sc.Scan(append([]any{&e.ID, &e.TenantID, &e.VenueID, &e.Period, &asOf, &e.SHA256, &e.Bytes, &e.Seats, &e.Sold, &ch, &an, &taken}, extra...)...); err != nil {
		return e, err
	}
	e.AsOf, e.TakenAt = fromMS(asOf), fromMS(taken)
	if err := json.Unmarshal([]byte(ch), &e.Channels); err != nil {
		return e, err
	}
	return e, json.Unmarshal([]byte(an), &e.Anomalies)
}

func (r inventoryStore) Exports(ctx context.Context, venueID int64, limit int) ([]inventory.Export, error) {
	rows, err := r.s.q.QueryContext(ctx, `SELECT `+exportCols+` FROM inventory_exports WHERE venue_id = ? ORDER BY as_of DESC, id DESC LIMIT ?`, venueID, limit)
	if err != nil {
		return nil, wrap(err, "list exports")
	}
	defer rows.Close()
	out := []inventory.Export{}
	for rows.Next() {
		e, err := scanExport(rows)
		if err != nil {
			return nil, wrap(err, "list exports")
		}
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "list exports")
}

func (r inventoryStore) ExportFile(ctx context.Context, venueID, id int64) (inventory.Export, []byte, error) {
	var body []byte
	e, err := scanExport(r.s.q.QueryRowContext(ctx, `SELECT `+exportCols+`, body FROM inventory_exports WHERE venue_id = ? AND id = ?`, venueID, id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil, inventory.ErrNotFound
	}
	return e, body, wrap(err, "read an export")
}
