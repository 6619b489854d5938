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

const sessionSeatCols = `seat_id, ord, section, row_label, row_no, col, label, type, phys_state, category, reserved_for, reserved_until, status, hold_expires, tier_id`

func (r reader) SessionSeats(ctx context.Context, sessionID int64) ([]sales.SessionSeat, error) {
	return r.sessionSeats(ctx, `SELECT `+sessionSeatCols+` FROM session_seats WHERE session_id = ? ORDER BY ord`, sessionID)
}

func (r reader) SessionSeatsByID(ctx context.Context, sessionID int64, seatIDs []int64) ([]sales.SessionSeat, error) {
	if len(seatIDs) == 0 {
		return nil, nil
	}
	// +ord: sort the few rows found by key; ORDER BY ord alone lets the
	// planner walk the whole session in seat order instead.
	return r.sessionSeats(ctx, sessionSeatsByIDQuery(len(seatIDs)),
		append([]any{sessionID}, int64Args(seatIDs)...)...)
}

func sessionSeatsByIDQuery(n int) string {
	return `SELECT ` + sessionSeatCols + ` FROM session_seats WHERE session_id = ? AND seat_id IN (` + placeholders(n) + `) ORDER BY +ord`
}

func (r reader) sessionSeats(ctx context.Context, q string, args ...any) ([]sales.SessionSeat, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "read session seats")
	}
	defer rows.Close()
	out := make([]sales.SessionSeat, 0, 256)
	for rows.Next() {
		var s sales.SessionSeat
		var until, exp sql.NullInt64
		if err := rows.Scan(&s.SeatID, &s.Ord, &s.Section, &s.Row, &s.RowNo, &s.Col, &s.Label, &s.Type, &s.State, &s.Category,
			&s.ReservedFor, &until, &s.Status, &exp, &s.TierID); err != nil {
			return nil, wrap(err, "read session seats")
		}
		s.ReservedUntil, s.HoldExpires = fromNullMS(until), fromNullMS(exp)
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "read session seats")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func (t *txn) SetSeatCategory(ctx context.Context, sessionID int64, seatIDs []int64, c sales.Category, reservedFor string, until *time.Time) ([]int64, error) {
	args := append([]any{c, reservedFor, nullMS(until), sessionID}, int64Args(seatIDs)...)
	rows, err := t.q.QueryContext(ctx, `UPDATE session_seats SET category = ?, reserved_for = ?, reserved_until = ?
WHERE session_id = ? AND seat_id IN (`+placeholders(len(seatIDs))+`) AND status = 'available' RETURNING seat_id`, args...)
	if err != nil {
		return nil, wrap(err, "set category")
	}
	done := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap(err, "set category")
		}
		done[id] = true
	}
	rows.Close()
	var refused []int64
	for _, id := range seatIDs {
		if !done[id] {
			refused = append(refused, id)
		}
	}
	t.touch(sessionID)
	return refused, nil
}

// countSoldQuery counts a channel's seats sold or held. It names its
// index: left to itself the planner walks every seat of the session (the
// whole stadium, inside the writer, on every hold under a quota).
func countSoldQuery(d *Dialect) string {
	return `SELECT COUNT(*) FROM session_seats` + d.indexedBy("session_seats_channel") + `
WHERE session_id = ? AND channel = ? AND (status = 'sold' OR (status = 'held' AND hold_expires > ?))`
}

func (t *txn) CountSold(ctx context.Context, sessionID int64, ch sales.Channel, tierID int64, now time.Time) (int, error) {
	q := countSoldQuery(t.d)
	args := []any{sessionID, ch, ms(now)}
	if tierID != 0 {
		q += ` AND tier_id = ?`
		args = append(args, tierID)
	}
	var n int
	err := t.q.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, wrap(err, "count sold")
}

func (t *txn) CountPartySold(ctx context.Context, sessionID int64, party string, tierID int64, now time.Time) (int, error) {
	q := `SELECT COUNT(*) FROM session_seats WHERE session_id = ? AND party = ? AND (status = 'sold' OR (status = 'held' AND hold_expires > ?))`
	args := []any{sessionID, party, ms(now)}
	if tierID != 0 {
		q += ` AND tier_id = ?`
		args = append(args, tierID)
	}
	var n int
	err := t.q.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, wrap(err, "count a party's seats")
}

func (t *txn) InsertHold(ctx context.Context, h *sales.Hold) error {
	id, err := t.insert(ctx, `INSERT INTO holds (tenant_id, venue_id, session_id, channel, status, expires_at, created_by, created_at, party, prepaid_key) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		h.TenantID, h.VenueID, h.SessionID, h.Channel, h.Status, ms(h.ExpiresAt), h.CreatedBy, ms(h.CreatedAt), h.Party, h.Key)
	if err != nil && h.Key != "" && t.d.Unique(err) {
		return sales.Conflict(sales.CodeKeyInFlight, "another request with this key is being served; retry in a moment for its order")
	}
	if err != nil {
		return wrap(err, "insert hold")
	}
	h.ID = id
	return nil
}

// HoldSeats is the one conditional update that makes overselling
// impossible: a seat moves to held only if it is in service, for sale to
// this customer, priced, and free (or its previous hold has expired). When
// it returns ok=false some seats may have moved: the caller must abandon
// the transaction (the service does).
func (t *txn) HoldSeats(ctx context.Context, h *sales.Hold, seatIDs []int64, customer string, now time.Time) (bool, error) {
	if len(seatIDs) == 0 {
		return false, nil
	}
	n := ms(now)
	args := append([]any{h.ID, ms(h.ExpiresAt), h.Channel, h.Party, h.SessionID}, int64Args(seatIDs)...)
	args = append(args, n, customer, n)
	update := `UPDATE session_seats SET status = 'held', hold_id = ?, hold_expires = ?, channel = ?, party = ?, order_id = NULL
WHERE session_id = ? AND seat_id IN (` + placeholders(len(seatIDs)) + `)
  AND tier_id <> 0 AND phys_state IN ('ok', 'obstructed')
  AND (category = 'sellable' OR (category = 'reserved' AND (reserved_until <= ? OR (reserved_for <> '' AND reserved_for = ?))))
  AND (status = 'available' OR (status = 'held' AND hold_expires <= ?))
RETURNING seat_id, label, tier_id, price_cents`
	q := update
	if t.d.WritableCTE {
		// The hold's seats are written by the same statement. If fewer
		// seats moved than asked, the caller abandons the transaction,
		// and them with it.
		q = `WITH s AS (` + update + `),
i AS (INSERT INTO hold_seats (hold_id, seat_id, label, tier_id, price_cents) SELECT ?, seat_id, label, tier_id, price_cents FROM s)
SELECT seat_id, label, tier_id, price_cents FROM s`
		args = append(args, h.ID)
	}
	rows, err := t.q.QueryContext(ctx, q, args...)
	if err != nil {
		return false, wrap(err, "hold seats")
	}
	h.Seats = h.Seats[:0]
	for rows.Next() {
		var s sales.HoldSeat
		if err := rows.Scan(&s.SeatID, &s.Label, &s.TierID, &s.PriceCents); err != nil {
			rows.Close()
			return false, wrap(err, "hold seats")
		}
		h.Seats = append(h.Seats, s)
	}
	if err := rows.Close(); err != nil {
		return false, wrap(err, "hold seats")
	}
	if len(h.Seats) != len(seatIDs) {
		return false, nil
	}
	if !t.d.WritableCTE { // the statement above wrote them otherwise
		if err := t.insertHoldSeats(ctx, h); err != nil {
			return false, err
		}
	}
	t.touch(h.SessionID)
	return true, nil
}

// insertHoldSeats records the seats a hold took, at their prices then.
func (t *txn) insertHoldSeats(ctx context.Context, h *sales.Hold) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO hold_seats (hold_id, seat_id, label, tier_id, price_cents) VALUES `)
	args := make([]any, 0, 5*len(h.Seats))
	for i, s := range h.Seats {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?)")
		args = append(args, h.ID, s.SeatID, s.Label, s.TierID, s.PriceCents)
	}
	_, err := t.q.ExecContext(ctx, b.String(), args...)
	return wrap(err, "hold seats")
}

func (r reader) GetHold(ctx context.Context, tenantID, id int64) (sales.Hold, error) {
	tc, args := tenantClause("h.tenant_id", tenantID)
	// The hold and its seats in one query: on PostgreSQL every query is a
	// round trip, and a replica that did not make a hold reads it to
	// confirm it.
	var h sales.Hold
	var exp, at int64
	seats, err := r.withSeats(ctx, "hold", `SELECT h.id, h.tenant_id, h.venue_id, h.session_id, h.channel, h.status, h.expires_at, h.created_by, h.created_at, h.party, `+seatOfHoldCols+`
FROM holds h LEFT JOIN hold_seats s ON s.hold_id = h.id WHERE h.id = ? AND `+tc+` ORDER BY s.seat_id`, append([]any{id}, args...),
		func(sc interface{ Scan(...any) error }) error {
			return sc.Scan(&h.ID, &h.TenantID, &h.VenueID, &h.SessionID, &h.Channel, &h.Status, &exp, &h.CreatedBy, &at, &h.Party)
		})
	if err != nil {
		return sales.Hold{}, err
	}
	h.ExpiresAt, h.CreatedAt, h.Seats = fromMS(exp), fromMS(at), seats
	return h, nil
}

// withSeats runs q, whose rows are a record's columns followed by
// seatOfHoldCols (one row per seat), scanning the record's columns with
// scan and returning the seats; not found when there is no row.
func (r reader) withSeats(ctx context.Context, what, q string, args []any, scan func(sc interface{ Scan(...any) error }) error) ([]sales.HoldSeat, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "read "+what)
	}
	defer rows.Close()
	var seats []sales.HoldSeat
	for rows.Next() {
		var st seatOfHold
		if err := scan(withExtra{rows, st.dest()}); err != nil {
			return nil, wrap(err, "read "+what)
		}
		seats = st.appendTo(seats)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "read "+what)
	}
	if seats == nil {
		return nil, notFound(sql.ErrNoRows, what)
	}
	return seats, nil
}

// seatOfHoldCols are a hold's seat, LEFT JOINed as s: NULL for a hold of
// none.
const seatOfHoldCols = `s.seat_id, s.label, s.tier_id, s.price_cents`

type seatOfHold struct {
	id, tier, price sql.NullInt64
	label           sql.NullString
}

func (st *seatOfHold) dest() []any { return []any{&st.id, &st.label, &st.tier, &st.price} }

// appendTo adds the seat to seats (never nil: a hold of none has an
// empty list).
func (st *seatOfHold) appendTo(seats []sales.HoldSeat) []sales.HoldSeat {
	if seats == nil {
		seats = []sales.HoldSeat{}
	}
	if !st.id.Valid {
		return seats
	}
	return append(seats, sales.HoldSeat{SeatID: st.id.Int64, Label: st.label.String, TierID: st.tier.Int64, PriceCents: st.price.Int64})
}

func (r reader) holdSeats(ctx context.Context, holdID int64) ([]sales.HoldSeat, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT seat_id, label, tier_id, price_cents FROM hold_seats WHERE hold_id = ? ORDER BY seat_id`, holdID)
	if err != nil {
		return nil, wrap(err, "read hold seats")
	}
	defer rows.Close()
	out := []sales.HoldSeat{}
	for rows.Next() {
		var s sales.HoldSeat
		if err := rows.Scan(&s.SeatID, &s.Label, &s.TierID, &s.PriceCents); err != nil {
			return nil, wrap(err, "read hold seats")
		}
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "read hold seats")
}

func (t *txn) ReleaseHold(ctx context.Context, holdID int64, st sales.HoldStatus) (int, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE session_seats SET status = 'available', hold_id = NULL, hold_expires = NULL, channel = NULL, order_id = NULL
WHERE hold_id = ? AND status = 'held'`, holdID)
	if err != nil {
		return 0, wrap(err, "release hold")
	}
	n, _ := res.RowsAffected()
	if _, err := t.q.ExecContext(ctx, `UPDATE holds SET status = ? WHERE id = ?`, st, holdID); err != nil {
		return 0, wrap(err, "release hold")
	}
	_, err = t.q.ExecContext(ctx, `UPDATE sessions SET version = version + 1 WHERE id = (SELECT session_id FROM holds WHERE id = ?)`, holdID)
	return int(n), wrap(err, "release hold")
}

func (t *txn) ExpireHolds(ctx context.Context, now time.Time) ([]sales.Hold, error) {
	n := ms(now)
	// RETURNING sees the updated row (hold_id NULL): read the holds first.
	rows, err := t.q.QueryContext(ctx, `SELECT session_id, hold_id FROM session_seats WHERE status = 'held' AND hold_expires <= ?`, n)
	if err != nil {
		return nil, wrap(err, "expire holds")
	}
	sessions := map[int64]bool{}
	holds := map[int64]int{}
	for rows.Next() {
		var sid, hid int64
		if err := rows.Scan(&sid, &hid); err != nil {
			rows.Close()
			return nil, wrap(err, "expire holds")
		}
		sessions[sid] = true
		holds[hid]++
	}
	rows.Close()
	if _, err := t.q.ExecContext(ctx, `UPDATE session_seats SET status = 'available', hold_id = NULL, hold_expires = NULL, channel = NULL, order_id = NULL
WHERE status = 'held' AND hold_expires <= ?`, n); err != nil {
		return nil, wrap(err, "expire holds")
	}
	for sid := range sessions {
		t.touch(sid)
	}
	if _, err := t.q.ExecContext(ctx, `UPDATE orders SET status = 'cancelled' WHERE status = 'pending_payment' AND pay_by <= ?`, n); err != nil {
		return nil, wrap(err, "expire orders")
	}
	rows, err = t.q.QueryContext(ctx, `UPDATE holds SET status = 'expired' WHERE status = 'active' AND expires_at <= ? RETURNING id, tenant_id, venue_id, session_id`, n)
	if err != nil {
		return nil, wrap(err, "expire holds")
	}
	defer rows.Close()
	var out []sales.Hold
	for rows.Next() {
		var h sales.Hold
		if err := rows.Scan(&h.ID, &h.TenantID, &h.VenueID, &h.SessionID); err != nil {
			return nil, wrap(err, "expire holds")
		}
		h.Status = sales.HoldExpired
		h.Seats = make([]sales.HoldSeat, holds[h.ID])
		out = append(out, h)
	}
	return out, wrap(rows.Err(), "expire holds")
}

// ConfirmHold moves an active, unexpired hold to confirmed and keeps its
// seats until the payment deadline; false if the hold is not active, has
// expired, or lost any seat. With seats 0 (paid in this transaction) the
// seats are left to SellHoldSeats.
func (t *txn) ConfirmHold(ctx context.Context, holdID int64, seats int, until, now time.Time) (bool, error) {
	if t.d.WritableCTE && seats > 0 {
		// One statement: a hold not confirmed names no seats to extend.
		res, err := t.q.ExecContext(ctx, `WITH h AS (UPDATE holds SET status = 'confirmed', expires_at = ? WHERE id = ? AND status = 'active' AND expires_at > ? RETURNING id)
UPDATE session_seats SET hold_expires = ?
WHERE hold_id = (SELECT id FROM h) AND status = 'held' AND hold_expires > ? AND phys_state IN ('ok', 'obstructed')`, ms(until), holdID, ms(now), ms(until), ms(now))
		if err != nil {
			return false, wrap(err, "confirm hold")
		}
		n, _ := res.RowsAffected()
		return int(n) == seats, nil
	}
	res, err := t.q.ExecContext(ctx, `UPDATE holds SET status = 'confirmed', expires_at = ? WHERE id = ? AND status = 'active' AND expires_at > ?`, ms(until), holdID, ms(now))
	if err != nil {
		return false, wrap(err, "confirm hold")
	}
	if n, _ := res.RowsAffected(); n != 1 || seats == 0 {
		return n == 1, nil
	}
	res, err = t.q.ExecContext(ctx, `UPDATE session_seats SET hold_expires = ?
WHERE hold_id = ? AND status = 'held' AND hold_expires > ? AND phys_state IN ('ok', 'obstructed')`, ms(until), holdID, ms(now))
	if err != nil {
		return false, wrap(err, "confirm hold")
	}
	n, _ := res.RowsAffected()
	return int(n) == seats, nil
}

func (t *txn) SellHoldSeats(ctx context.Context, holdID, orderID int64, now time.Time) (int, error) {
	rows, err := t.q.QueryContext(ctx, `UPDATE session_seats SET status = 'sold', order_id = ?, hold_expires = NULL
WHERE hold_id = ? AND status = 'held' AND hold_expires > ? AND phys_state IN ('ok', 'obstructed') RETURNING session_id`, orderID, holdID, ms(now))
	if err != nil {
		return 0, wrap(err, "sell seats")
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sid int64
		if err := rows.Scan(&sid); err != nil {
			return 0, wrap(err, "sell seats")
		}
		t.touch(sid)
		n++
	}
	return n, wrap(rows.Err(), "sell seats")
}

func (t *txn) NextTicketSerial(ctx context.Context, venueID int64, businessDate string, n int) (uint32, error) {
	var last int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO ticket_serials (venue_id, business_date, last) VALUES (?, ?, ?)
ON CONFLICT (venue_id, business_date) DO UPDATE SET last = ticket_serials.last + excluded.last RETURNING last`, venueID, businessDate, n).Scan(&last)
	if err != nil {
		return 0, wrap(err, "allocate ticket serials")
	}
	if last > 9_999_999 {
		return 0, sales.Conflict("serials_exhausted", "the venue has issued the most tickets a business day can number")
	}
	return uint32(last) - uint32(n) + 1, nil
}

func (t *txn) InsertTickets(ctx context.Context, ts []sales.Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO tickets (tenant_id, venue_id, session_id, order_id, seat_id, seat_label, number, business_date, serial, tier_id, price_cents, key_id, qr, status, issued_at, holder, bundle_id) VALUES `)
	args := make([]any, 0, 17*len(ts))
	for i, x := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, x.TenantID, x.VenueID, x.SessionID, x.OrderID, x.SeatID, x.SeatLabel, x.Number, x.BusinessDate, x.Serial,
			x.TierID, x.PriceCents, x.KeyID, x.QR, x.Status, ms(x.IssuedAt), x.Holder, x.Bundle)
	}
	b.WriteString(" RETURNING id")
	rows, err := t.q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return t.uniqueViolation(err, "ticket_number_taken", "a ticket number was issued twice")
	}
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		if err := rows.Scan(&ts[i].ID); err != nil {
			return wrap(err, "insert tickets")
		}
	}
	return wrap(rows.Err(), "insert tickets")
}

func (t *txn) InsertOrder(ctx context.Context, o *sales.Order) error {
	id, err := t.insert(ctx, `INSERT INTO orders (tenant_id, venue_id, session_id, hold_id, channel, status, total_cents, pickup_code, order_qr, customer_name, customer_phone, customer_index, pay_by, created_by, created_at, holders, party, outlet_id)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, o.TenantID, o.VenueID, o.SessionID, o.HoldID, o.Channel, o.Status, o.TotalCents, o.PickupCode, o.OrderQR,
		o.CustomerName, o.CustomerPhone, o.CustomerIndex, ms(o.PayBy), o.CreatedBy, ms(o.CreatedAt), holdersJSON(o.Holders), o.Party, o.OutletID)
	if err != nil {
		return t.uniqueViolation(err, "pickup_code_taken", "pickup code collision")
	}
	o.ID = id
	return nil
}

func (t *txn) SealCustomers(ctx context.Context, sealedPrefix string, seal func(name, phone string) (string, string, string)) (int, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(sealedPrefix) + "%"
	rows, err := t.q.QueryContext(ctx, `SELECT id, customer_name, customer_phone FROM orders
WHERE (customer_name <> '' AND customer_name NOT LIKE ? ESCAPE '\') OR (customer_phone <> '' AND customer_phone NOT LIKE ? ESCAPE '\')`, like, like)
	if err != nil {
		return 0, wrap(err, "find customers to seal")
	}
	type row struct {
		id          int64
		name, phone string
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.phone); err != nil {
			rows.Close()
			return 0, wrap(err, "find customers to seal")
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap(err, "find customers to seal")
	}
	for _, r := range todo {
		name, phone, index := seal(r.name, r.phone)
		if _, err := t.q.ExecContext(ctx, `UPDATE orders SET customer_name = ?, customer_phone = ?, customer_index = ? WHERE id = ?`, name, phone, index, r.id); err != nil {
			return 0, wrap(err, "seal customers")
		}
	}
	return len(todo), nil
}

func (t *txn) MarkOrderPaid(ctx context.Context, orderID int64, method, ref, key string, at time.Time) (bool, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE orders SET status = 'paid', payment_method = ?, payment_ref = ?, payment_key = ?, paid_at = ? WHERE id = ? AND status = 'pending_payment'`, method, ref, key, ms(at), orderID)
	if err != nil {
		return false, wrap(err, "mark paid")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (r reader) AttemptVoided(ctx context.Context, attempt string) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM voided_attempts WHERE attempt = ?`, attempt).Scan(&n)
	return n > 0, wrap(err, "look up a voided card attempt")
}

func (t *txn) VoidAttempt(ctx context.Context, attempt string, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO voided_attempts (attempt, voided_at) VALUES (?, ?) ON CONFLICT (attempt) DO NOTHING`, attempt, ms(at))
	return wrap(err, "record a voided card attempt")
}

func (t *txn) SetOrderStatus(ctx context.Context, orderID int64, st sales.OrderStatus) error {
	_, err := t.q.ExecContext(ctx, `UPDATE orders SET status = ? WHERE id = ?`, st, orderID)
	return wrap(err, "set order status")
}

const orderCols = `o.id, o.tenant_id, o.venue_id, o.session_id, o.hold_id, o.channel, o.status, o.total_cents, o.pickup_code, o.order_qr,
	o.customer_name, o.customer_phone, o.customer_index, o.payment_method, o.payment_ref, o.payment_key, o.pay_by, o.created_by, o.created_at, o.paid_at, o.holders, o.party, o.outlet_id`

func holdersJSON(hs []sales.OrderHolder) string {
	if len(hs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(hs)
	return string(b)
}

func scanOrder(sc interface{ Scan(...any) error }) (sales.Order, error) {
	var o sales.Order
	var payBy, at int64
	var paid sql.NullInt64
	var holders string
	err := sc.Scan(&o.ID, &o.TenantID, &o.VenueID, &o.SessionID, &o.HoldID, &o.Channel, &o.Status, &o.TotalCents, &o.PickupCode, &o.OrderQR,
		&o.CustomerName, &o.CustomerPhone, &o.CustomerIndex, &o.PaymentMethod, &o.PaymentRef, &o.PaymentKey, &payBy, &o.CreatedBy, &at, &paid, &holders, &o.Party, &o.OutletID)
	if err != nil {
		return o, err
	}
	o.PayBy, o.CreatedAt, o.PaidAt = fromMS(payBy), fromMS(at), fromNullMS(paid)
	if holders != "[]" {
		err = json.Unmarshal([]byte(holders), &o.Holders)
	}
	return o, err
}

func (r reader) GetOrder(ctx context.Context, tenantID, id int64) (sales.Order, error) {
	tc, args := tenantClause("o.tenant_id", tenantID)
	// The order and its seats in one query, as GetHold.
	var o sales.Order
	seats, err := r.withSeats(ctx, "order", `SELECT `+orderCols+`, `+seatOfHoldCols+`
FROM orders o LEFT JOIN hold_seats s ON s.hold_id = o.hold_id WHERE o.id = ? AND `+tc+` ORDER BY s.seat_id`, append([]any{id}, args...),
		func(sc interface{ Scan(...any) error }) (err error) {
			o, err = scanOrder(sc)
			return err
		})
	if err != nil {
		return sales.Order{}, err
	}
	o.Seats = seats
	return o, nil
}

// withExtra scans a row's leading columns where a scan function puts
// them, and the columns after them into extra.
type withExtra struct {
	rows  *sql.Rows
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra...)...) }

func (r reader) FindOrders(ctx context.Context, tenantID int64, f sales.OrderFilter) ([]sales.Order, error) {
	tc, args := tenantClause("o.tenant_id", tenantID)
	q := `SELECT ` + orderCols + ` FROM orders o WHERE ` + tc
	if f.PickupCode != "" {
		q += ` AND o.pickup_code = ?`
		args = append(args, f.PickupCode)
	}
	if f.PrepaidKey != "" {
		q += ` AND o.payment_key = ? AND o.payment_method IN ('presale', 'agency', 'contract')`
		args = append(args, f.PrepaidKey)
	}
	if f.CardKey != "" {
		q += ` AND o.payment_key = ? AND o.payment_method = 'card'`
		args = append(args, f.CardKey)
	}
	if f.HolderKey != "" {
		q += ` AND o.id IN (SELECT t.order_id FROM ticket_holders h JOIN tickets t ON t.id = h.ticket_id WHERE h.id_key = ?)`
		args = append(args, f.HolderKey)
	}
	if f.TicketNumber != "" {
		q += ` AND o.id IN (SELECT order_id FROM tickets WHERE number = ?)`
		args = append(args, f.TicketNumber)
	}
	if f.CustomerName != "" {
		q += ` AND o.customer_name LIKE ? ESCAPE '\'`
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.CustomerName)
		args = append(args, "%"+esc+"%")
	}
	if f.CustomerIndex != "" {
		q += ` AND o.customer_index = ?`
		args = append(args, f.CustomerIndex)
	}
	if f.SessionID != 0 {
		q += ` AND o.session_id = ?`
		args = append(args, f.SessionID)
	}
	if f.VenueIDs != nil {
		if len(f.VenueIDs) == 0 {
			return []sales.Order{}, nil
		}
		q += ` AND o.venue_id IN (` + placeholders(len(f.VenueIDs)) + `)`
		args = append(args, int64Args(f.VenueIDs)...)
	}
	q += ` ORDER BY o.id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "find orders")
	}
	out := []sales.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, wrap(err, "find orders")
		}
		out = append(out, o)
	}
	rows.Close()
	for i := range out {
		if out[i].Seats, err = r.holdSeats(ctx, out[i].HoldID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const ticketCols = `id, tenant_id, venue_id, session_id, order_id, seat_id, seat_label, number, business_date, serial, tier_id, price_cents, key_id, qr, status, issued_at, card, holder, bundle_id, printed_at, produced_at IS NOT NULL, returned_at`

func scanTicket(sc interface{ Scan(...any) error }) (sales.Ticket, error) {
	var x sales.Ticket
	var at int64
	var card sql.NullString
	var printed, returned sql.NullInt64
	err := sc.Scan(&x.ID, &x.TenantID, &x.VenueID, &x.SessionID, &x.OrderID, &x.SeatID, &x.SeatLabel, &x.Number, &x.BusinessDate, &x.Serial,
		&x.TierID, &x.PriceCents, &x.KeyID, &x.QR, &x.Status, &at, &card, &x.Holder, &x.Bundle, &printed, &x.Produced, &returned)
	x.IssuedAt, x.Card, x.PrintedAt, x.ReturnedAt = fromMS(at), card.String, fromNullMS(printed), fromNullMS(returned)
	return x, err
}

// SetTicketCard binds an RFID card to a valid ticket; a card already bound
// to another valid ticket of the venue is a conflict.
func (t *txn) SetTicketCard(ctx context.Context, ticketID int64, card string) error {
	res, err := t.q.ExecContext(ctx, `UPDATE tickets SET card = ? WHERE id = ? AND status = 'valid'`, card, ticketID)
	if err != nil {
		return t.uniqueViolation(err, "card_in_use", "that card is bound to another ticket of this venue")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sales.Conflict("ticket_not_valid", "only a valid ticket can get a card")
	}
	return nil
}

func (r reader) OrderTickets(ctx context.Context, orderID int64) ([]sales.Ticket, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, wrap(err, "read tickets")
	}
	defer rows.Close()
	var out []sales.Ticket
	for rows.Next() {
		x, err := scanTicket(rows)
		if err != nil {
			return nil, wrap(err, "read tickets")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read tickets")
}

func (r reader) GetTicketByNumber(ctx context.Context, tenantID int64, number string) (sales.Ticket, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	x, err := scanTicket(r.q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE number = ? AND `+tc, append([]any{number}, args...)...))
	return x, notFound(err, "ticket")
}

const refundCols = `id, tenant_id, venue_id, order_id, ticket_ids, amount_cents, reason, status, requested_by, decided_by, decision, created_at, decided_at, fee_cents, paid_back, bundle_id`

func scanRefund(sc interface{ Scan(...any) error }) (sales.RefundRequest, error) {
	var x sales.RefundRequest
	var ids string
	var at int64
	var dec sql.NullInt64
	var paid int64
	err := sc.Scan(&x.ID, &x.TenantID, &x.VenueID, &x.OrderID, &ids, &x.AmountCents, &x.Reason, &x.Status, &x.RequestedBy, &x.DecidedBy, &x.Decision, &at, &dec, &x.FeeCents, &paid, &x.BundleID)
	if err != nil {
		return x, err
	}
	if paid != 0 {
		t := fromMS(paid)
		x.PaidBackAt = &t
	}
	x.CreatedAt, x.DecidedAt = fromMS(at), fromNullMS(dec)
	return x, json.Unmarshal([]byte(ids), &x.TicketIDs)
}

func (r reader) GetRefund(ctx context.Context, tenantID, id int64) (sales.RefundRequest, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	x, err := scanRefund(r.q.QueryRowContext(ctx, `SELECT `+refundCols+` FROM refunds WHERE id = ? AND `+tc, append([]any{id}, args...)...))
	return x, notFound(err, "refund")
}

func (r reader) ListRefunds(ctx context.Context, tenantID int64, st sales.RefundStatus) ([]sales.RefundRequest, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	q := `SELECT ` + refundCols + ` FROM refunds WHERE ` + tc
	if st != "" {
		q += ` AND status = ?`
		args = append(args, st)
	}
	rows, err := r.q.QueryContext(ctx, q+` ORDER BY id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, wrap(err, "list refunds")
	}
	defer rows.Close()
	out := []sales.RefundRequest{}
	for rows.Next() {
		x, err := scanRefund(rows)
		if err != nil {
			return nil, wrap(err, "list refunds")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "list refunds")
}

func (t *txn) InsertRefund(ctx context.Context, x *sales.RefundRequest) error {
	ids, _ := json.Marshal(x.TicketIDs)
	id, err := t.insert(ctx, `INSERT INTO refunds (tenant_id, venue_id, order_id, ticket_ids, amount_cents, reason, status, requested_by, created_at, fee_cents, bundle_id, request_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		x.TenantID, x.VenueID, x.OrderID, string(ids), x.AmountCents, x.Reason, x.Status, x.RequestedBy, ms(x.CreatedAt), x.FeeCents, x.BundleID, x.Key)
	if err != nil && x.Key != "" && t.d.Unique(err) {
		return sales.ErrRefundKeyTaken
	}
	if err != nil {
		return wrap(err, "insert refund")
	}
	x.ID = id
	return nil
}

func (t *txn) DecideRefund(ctx context.Context, x sales.RefundRequest) error {
	var paid int64
	if x.PaidBackAt != nil {
		paid = ms(*x.PaidBackAt)
	}
	_, err := t.q.ExecContext(ctx, `UPDATE refunds SET status = ?, decided_by = ?, decision = ?, decided_at = ?, paid_back = ? WHERE id = ?`,
		x.Status, x.DecidedBy, x.Decision, nullMS(x.DecidedAt), paid, x.ID)
	return wrap(err, "decide refund")
}

func (t *txn) MarkRefundPaidBack(ctx context.Context, id int64, at time.Time) error {
	_, err := t.q.ExecContext(ctx, `UPDATE refunds SET paid_back = ? WHERE id = ? AND paid_back = 0`, ms(at), id)
	return wrap(err, "mark a refund paid back")
}

func (r reader) RefundPending(ctx context.Context, orderID int64) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM refunds WHERE order_id = ? AND status = 'pending'`, orderID).Scan(&n)
	return n > 0, wrap(err, "look for a pending refund")
}

func (r reader) RefundByKey(ctx context.Context, tenantID int64, key string) (sales.RefundRequest, bool, error) {
	x, err := scanRefund(r.q.QueryRowContext(ctx, `SELECT `+refundCols+` FROM refunds WHERE tenant_id = ? AND request_key = ?`, tenantID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return x, false, nil
	}
	if err != nil {
		return x, false, wrap(err, "read a refund by its key")
	}
	x.Key = key
	return x, true, nil
}

func (r reader) RefundsToPayBack(ctx context.Context, limit int) ([]sales.RefundRequest, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+refundCols+` FROM refunds WHERE status = 'approved' AND paid_back = 0 ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, wrap(err, "list refunds to pay back")
	}
	defer rows.Close()
	var out []sales.RefundRequest
	for rows.Next() {
		x, err := scanRefund(rows)
		if err != nil {
			return nil, wrap(err, "list refunds to pay back")
		}
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "list refunds to pay back")
}

func (t *txn) RefundTickets(ctx context.Context, ticketIDs []int64, now time.Time) error {
	if len(ticketIDs) == 0 {
		return nil
	}
	ph := placeholders(len(ticketIDs))
	args := int64Args(ticketIDs)
	res, err := t.q.ExecContext(ctx, `UPDATE tickets SET status = 'refunded' WHERE status = 'valid' AND id IN (`+ph+`)`, args...)
	if err != nil {
		return wrap(err, "refund tickets")
	}
	if n, _ := res.RowsAffected(); int(n) != len(ticketIDs) {
		return sales.Conflict("ticket_not_valid", "a ticket was refunded already")
	}
	if _, err := t.q.ExecContext(ctx, `UPDATE session_seats SET status = 'available', hold_id = NULL, hold_expires = NULL, channel = NULL, order_id = NULL
WHERE (session_id, seat_id) IN (SELECT session_id, seat_id FROM tickets WHERE id IN (`+ph+`))`, args...); err != nil {
		return wrap(err, "release refunded seats")
	}
	if _, err := t.q.ExecContext(ctx, `DELETE FROM ticket_holders WHERE ticket_id IN (`+ph+`)`, args...); err != nil {
		return wrap(err, "free refunded tickets' holders")
	}
	_, err = t.q.ExecContext(ctx, `UPDATE sessions SET version = version + 1 WHERE id IN (SELECT session_id FROM tickets WHERE id IN (`+ph+`))`, args...)
	return wrap(err, "release refunded seats")
}

// InsertTicketHolders names each ticket's holder; a document that holds a
// ticket of the session already is a Conflict.
func (t *txn) InsertTicketHolders(ctx context.Context, hs []sales.TicketHolder) error {
	for _, h := range hs {
		_, err := t.q.ExecContext(ctx, `INSERT INTO ticket_holders (ticket_id, session_id, event_id, id_key, doc_type, doc_masked, created_at) VALUES (?,?,?,?,?,?,?)`,
			h.TicketID, h.SessionID, h.EventID, h.IDKey, h.DocType, h.DocMasked, ms(h.At))
		if err != nil {
			return t.uniqueViolation(err, "holder_taken", "this document holds a ticket of the session already: one ticket per person per session")
		}
	}
	return nil
}

// HolderTickets counts the valid tickets the document holds for the event.
func (r reader) HolderTickets(ctx context.Context, eventID int64, idKey string) (int, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_holders WHERE event_id = ? AND id_key = ?`, eventID, idKey).Scan(&n)
	return n, wrap(err, "count a holder's tickets")
}

// HolderInSession says whether the document holds a ticket of the session.
func (r reader) HolderInSession(ctx context.Context, sessionID int64, idKey string) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_holders WHERE session_id = ? AND id_key = ?`, sessionID, idKey).Scan(&n)
	return n > 0, wrap(err, "find a holder's ticket")
}

func (t *txn) InsertRevocations(ctx context.Context, rs []sales.Revocation) error {
	for _, x := range rs {
		var tenant int64
		if err := t.q.QueryRowContext(ctx, `SELECT tenant_id FROM tickets WHERE id = ?`, x.TicketID).Scan(&tenant); err != nil {
			return wrap(err, "insert revocation")
		}
		if _, err := t.q.ExecContext(ctx, `INSERT INTO revocations (tenant_id, venue_id, session_id, ticket_id, number, reason, at) VALUES (?,?,?,?,?,?,?)`,
			tenant, x.VenueID, x.SessionID, x.TicketID, x.Number, x.Reason, ms(x.At)); err != nil {
			return wrap(err, "insert revocation")
		}
	}
	return nil
}

func (r reader) Revocations(ctx context.Context, venueID int64) ([]sales.Revocation, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT ticket_id, number, venue_id, session_id, reason, at FROM revocations WHERE venue_id = ? ORDER BY id`, venueID)
	if err != nil {
		return nil, wrap(err, "read revocations")
	}
	defer rows.Close()
	out := []sales.Revocation{}
	for rows.Next() {
		var x sales.Revocation
		var at int64
		if err := rows.Scan(&x.TicketID, &x.Number, &x.VenueID, &x.SessionID, &x.Reason, &at); err != nil {
			return nil, wrap(err, "read revocations")
		}
		x.At = fromMS(at)
		out = append(out, x)
	}
	return out, wrap(rows.Err(), "read revocations")
}

func (r reader) SessionFigures(ctx context.Context, sessionID int64) (sales.SessionFigures, error) {
	var f sales.SessionFigures
	rows, err := r.q.QueryContext(ctx, `SELECT o.channel IN ('web', 'agency'), COUNT(*), COALESCE(SUM(t.price_cents), 0),
  COALESCE(SUM(CASE WHEN t.status = 'refunded' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN t.status = 'refunded' THEN t.price_cents ELSE 0 END), 0)
FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.session_id = ? GROUP BY 1`, sessionID)
	if err != nil {
		return f, wrap(err, "session figures")
	}
	defer rows.Close()
	for rows.Next() {
		var network bool
		var sold, refunded int
		var soldCents, refundedCents int64
		if err := rows.Scan(&network, &sold, &soldCents, &refunded, &refundedCents); err != nil {
			return f, wrap(err, "session figures")
		}
		if network {
			f.NetworkSold, f.NetworkSoldCents, f.NetworkRefunded, f.NetworkRefundedCents = sold, soldCents, refunded, refundedCents
		} else {
			f.LocalSold, f.LocalSoldCents, f.LocalRefunded, f.LocalRefundedCents = sold, soldCents, refunded, refundedCents
		}
	}
	return f, wrap(rows.Err(), "session figures")
}
