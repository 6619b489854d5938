package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/admitbox/admit/cloud/inventory"
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
