package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

func (r reader) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := r.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: read setting %s: %w", key, err)
	}
	return v, true, nil
}

func (t *txn) PutSetting(ctx context.Context, key, value string) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return wrap(err, "put setting")
}

func wrap(err error, op string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

func (r reader) GetTenant(ctx context.Context, id int64) (sales.Tenant, error) {
	var t sales.Tenant
	var at int64
	err := r.q.QueryRowContext(ctx, `SELECT id, code, name, created_at FROM tenants WHERE id = ?`, id).Scan(&t.ID, &t.Code, &t.Name, &at)
	t.CreatedAt = fromMS(at)
	return t, notFound(err, "tenant")
}

func (r reader) ListTenants(ctx context.Context) ([]sales.Tenant, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, code, name, created_at FROM tenants ORDER BY id`)
	if err != nil {
		return nil, wrap(err, "list tenants")
	}
	defer rows.Close()
	var out []sales.Tenant
	for rows.Next() {
		var t sales.Tenant
		var at int64
		if err := rows.Scan(&t.ID, &t.Code, &t.Name, &at); err != nil {
			return nil, wrap(err, "list tenants")
		}
		t.CreatedAt = fromMS(at)
		out = append(out, t)
	}
	return out, wrap(rows.Err(), "list tenants")
}

func (t *txn) InsertTenant(ctx context.Context, x *sales.Tenant) error {
	id, err := t.insert(ctx, `INSERT INTO tenants (code, name, created_at) VALUES (?, ?, ?)`, x.Code, x.Name, ms(x.CreatedAt))
	if err != nil {
		return t.uniqueViolation(err, "tenant_exists", "a tenant with that code exists")
	}
	x.ID = id
	return nil
}

const venueCols = `id, tenant_id, code, name, address, timezone, day_start_min, created_at, business_status`

func scanVenue(sc interface{ Scan(...any) error }) (sales.Venue, error) {
	var v sales.Venue
	var at int64
	err := sc.Scan(&v.ID, &v.TenantID, &v.Code, &v.Name, &v.Address, &v.Timezone, &v.BusinessDayStartMinutes, &at, &v.BusinessStatus)
	v.CreatedAt = fromMS(at)
	return v, err
}

func (r reader) GetVenue(ctx context.Context, tenantID, id int64) (sales.Venue, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	v, err := scanVenue(r.q.QueryRowContext(ctx, `SELECT `+venueCols+` FROM venues WHERE id = ? AND `+tc, append([]any{id}, args...)...))
	return v, notFound(err, "venue")
}

func (r reader) GetVenueByCode(ctx context.Context, code string) (sales.Venue, error) {
	v, err := scanVenue(r.q.QueryRowContext(ctx, `SELECT `+venueCols+` FROM venues WHERE code = ?`, code))
	return v, notFound(err, "venue")
}

func (r reader) ListVenues(ctx context.Context, tenantID int64) ([]sales.Venue, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	rows, err := r.q.QueryContext(ctx, `SELECT `+venueCols+` FROM venues WHERE `+tc+` ORDER BY id`, args...)
	if err != nil {
		return nil, wrap(err, "list venues")
	}
	defer rows.Close()
	var out []sales.Venue
	for rows.Next() {
		v, err := scanVenue(rows)
		if err != nil {
			return nil, wrap(err, "list venues")
		}
		out = append(out, v)
	}
	return out, wrap(rows.Err(), "list venues")
}

func (t *txn) SetVenueStatus(ctx context.Context, venueID int64, status string) error {
	_, err := t.q.ExecContext(ctx, `UPDATE venues SET business_status = ? WHERE id = ?`, status, venueID)
	return wrap(err, "set venue status")
}

func (t *txn) InsertVenue(ctx context.Context, v *sales.Venue) error {
	id, err := t.insert(ctx, `INSERT INTO venues (tenant_id, code, name, address, timezone, day_start_min, created_at) VALUES (?,?,?,?,?,?,?)`,
		v.TenantID, v.Code, v.Name, v.Address, v.Timezone, v.BusinessDayStartMinutes, ms(v.CreatedAt))
	if err != nil {
		return t.uniqueViolation(err, "venue_exists", "a venue with that code exists")
	}
	v.ID = id
	return nil
}

const hallCols = `h.id, h.tenant_id, h.venue_id, h.code, h.name, h.created_at,
	(SELECT COUNT(*) FROM hall_seats s WHERE s.hall_id = h.id AND s.state IN ('ok','obstructed'))`

func scanHall(sc interface{ Scan(...any) error }) (sales.Hall, error) {
	var h sales.Hall
	var at int64
	err := sc.Scan(&h.ID, &h.TenantID, &h.VenueID, &h.Code, &h.Name, &at, &h.Seats)
	h.CreatedAt = fromMS(at)
	return h, err
}

func (r reader) GetHall(ctx context.Context, tenantID, id int64) (sales.Hall, error) {
	tc, args := tenantClause("h.tenant_id", tenantID)
	h, err := scanHall(r.q.QueryRowContext(ctx, `SELECT `+hallCols+` FROM halls h WHERE h.id = ? AND `+tc, append([]any{id}, args...)...))
	return h, notFound(err, "hall")
}

func (r reader) ListHalls(ctx context.Context, tenantID, venueID int64) ([]sales.Hall, error) {
	tc, args := tenantClause("h.tenant_id", tenantID)
	rows, err := r.q.QueryContext(ctx, `SELECT `+hallCols+` FROM halls h WHERE h.venue_id = ? AND `+tc+` ORDER BY h.id`, append([]any{venueID}, args...)...)
	if err != nil {
		return nil, wrap(err, "list halls")
	}
	defer rows.Close()
	var out []sales.Hall
	for rows.Next() {
		h, err := scanHall(rows)
		if err != nil {
			return nil, wrap(err, "list halls")
		}
		out = append(out, h)
	}
	return out, wrap(rows.Err(), "list halls")
}

func (t *txn) InsertHall(ctx context.Context, h *sales.Hall) error {
	id, err := t.insert(ctx, `INSERT INTO halls (tenant_id, venue_id, code, name, created_at) VALUES (?,?,?,?,?)`,
		h.TenantID, h.VenueID, h.Code, h.Name, ms(h.CreatedAt))
	if err != nil {
		return t.uniqueViolation(err, "hall_exists", "the venue has a hall with that code")
	}
	h.ID = id
	return nil
}

func (r reader) HallSeatMap(ctx context.Context, hallID int64) ([]seatmap.Section, []sales.HallSeat, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT code, name FROM hall_sections WHERE hall_id = ? ORDER BY ord`, hallID)
	if err != nil {
		return nil, nil, wrap(err, "read sections")
	}
	var secs []seatmap.Section
	for rows.Next() {
		var s seatmap.Section
		if err := rows.Scan(&s.Code, &s.Name); err != nil {
			rows.Close()
			return nil, nil, wrap(err, "read sections")
		}
		secs = append(secs, s)
	}
	rows.Close()
	rows, err = r.q.QueryContext(ctx, `SELECT id, section, row_label, row_no, col, label, type, state FROM hall_seats WHERE hall_id = ? ORDER BY ord`, hallID)
	if err != nil {
		return nil, nil, wrap(err, "read seats")
	}
	defer rows.Close()
	var seats []sales.HallSeat
	for rows.Next() {
		var s sales.HallSeat
		if err := rows.Scan(&s.ID, &s.Section, &s.Row, &s.RowNo, &s.Col, &s.Label, &s.Type, &s.State); err != nil {
			return nil, nil, wrap(err, "read seats")
		}
		seats = append(seats, s)
	}
	return secs, seats, wrap(rows.Err(), "read seats")
}

func (t *txn) ReplaceHallSeatMap(ctx context.Context, hallID int64, m seatmap.Map) ([]int64, error) {
	if _, err := t.q.ExecContext(ctx, `DELETE FROM hall_sections WHERE hall_id = ?`, hallID); err != nil {
		return nil, wrap(err, "replace sections")
	}
	for i, s := range m.Sections {
		if _, err := t.q.ExecContext(ctx, `INSERT INTO hall_sections (hall_id, ord, code, name) VALUES (?,?,?,?)`, hallID, i, s.Code, s.Name); err != nil {
			return nil, wrap(err, "replace sections")
		}
	}
	_, old, err := t.HallSeatMap(ctx, hallID)
	if err != nil {
		return nil, err
	}
	byLabel := make(map[string]sales.HallSeat, len(old))
	for _, s := range old {
		byLabel[s.Label] = s
	}
	upd, err := t.tx.PrepareContext(ctx, t.d.bind(`UPDATE hall_seats SET ord=?, section=?, row_label=?, row_no=?, col=?, type=?, state=? WHERE id=?`))
	if err != nil {
		return nil, wrap(err, "replace seats")
	}
	defer upd.Close()
	ins, err := t.tx.PrepareContext(ctx, t.d.bind(`INSERT INTO hall_seats (hall_id, ord, section, row_label, row_no, col, label, type, state) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`))
	if err != nil {
		return nil, wrap(err, "replace seats")
	}
	defer ins.Close()
	var out []int64
	for i, s := range m.Seats {
		if o, ok := byLabel[s.Label]; ok {
			delete(byLabel, s.Label)
			if _, err := upd.ExecContext(ctx, i, s.Section, s.Row, s.RowNo, s.Col, s.Type, s.State, o.ID); err != nil {
				return nil, wrap(err, "replace seats")
			}
			if !s.State.InService() {
				out = append(out, o.ID)
			}
			continue
		}
		var id int64
		if err := ins.QueryRowContext(ctx, hallID, i, s.Section, s.Row, s.RowNo, s.Col, s.Label, s.Type, s.State).Scan(&id); err != nil {
			return nil, wrap(err, "replace seats")
		}
		if !s.State.InService() {
			out = append(out, id)
		}
	}
	// Seats no longer on the map keep their id (sold tickets refer to them)
	// but leave service.
	for _, o := range byLabel {
		if _, err := t.q.ExecContext(ctx, `UPDATE hall_seats SET state = 'removed', ord = ? WHERE id = ?`, len(m.Seats)+int(o.ID), o.ID); err != nil {
			return nil, wrap(err, "remove seats")
		}
		out = append(out, o.ID)
	}
	return out, nil
}

func (t *txn) SyncSessionSeatStates(ctx context.Context, hallID int64, now time.Time) (int, error) {
	res, err := t.q.ExecContext(ctx, `
UPDATE session_seats SET phys_state = (SELECT h.state FROM hall_seats h WHERE h.id = session_seats.seat_id)
WHERE session_id IN (SELECT id FROM sessions WHERE hall_id = ? AND ends_at > ?)
  AND status <> 'sold'
  AND phys_state <> (SELECT h.state FROM hall_seats h WHERE h.id = session_seats.seat_id)`, hallID, ms(now))
	if err != nil {
		return 0, wrap(err, "sync session seats")
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if _, err := t.q.ExecContext(ctx, `UPDATE sessions SET version = version + 1 WHERE hall_id = ? AND ends_at > ?`, hallID, ms(now)); err != nil {
			return 0, wrap(err, "sync session seats")
		}
	}
	return int(n), nil
}

func (r reader) GetEvent(ctx context.Context, tenantID, id int64) (sales.Event, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	e, err := scanEvent(r.q.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ? AND `+tc, append([]any{id}, args...)...))
	return e, notFound(err, "event")
}

const eventCols = `id, tenant_id, name, kind, code, created_at, real_name, holder_limit, refund_rule, refund_policy`

func scanEvent(sc interface{ Scan(...any) error }) (sales.Event, error) {
	var e sales.Event
	var at int64
	var rule string
	if err := sc.Scan(&e.ID, &e.TenantID, &e.Name, &e.Kind, &e.Code, &at, &e.RealName, &e.HolderLimit, &rule, &e.RefundPolicy); err != nil {
		return e, err
	}
	e.CreatedAt = fromMS(at)
	if rule != "" {
		e.Refunds = new(refundrule.Rule)
		if err := json.Unmarshal([]byte(rule), e.Refunds); err != nil {
			return e, fmt.Errorf("event %d: refund rule: %w", e.ID, err)
		}
	}
	return e, nil
}

func ruleText(r *refundrule.Rule) (string, error) {
	if r == nil {
		return "", nil
	}
	b, err := json.Marshal(r)
	return string(b), err
}

func (r reader) ListEvents(ctx context.Context, tenantID int64) ([]sales.Event, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	rows, err := r.q.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE `+tc+` ORDER BY id`, args...)
	if err != nil {
		return nil, wrap(err, "list events")
	}
	defer rows.Close()
	var out []sales.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, wrap(err, "list events")
		}
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "list events")
}

func (t *txn) InsertEvent(ctx context.Context, e *sales.Event) error {
	rule, err := ruleText(e.Refunds)
	if err != nil {
		return err
	}
	id, err := t.insert(ctx, `INSERT INTO events (tenant_id, name, kind, code, created_at, real_name, holder_limit, refund_rule, refund_policy) VALUES (?,?,?,?,?,?,?,?,?)`,
		e.TenantID, e.Name, e.Kind, e.Code, ms(e.CreatedAt), e.RealName, e.HolderLimit, rule, e.RefundPolicy)
	if err != nil {
		return wrap(err, "insert event")
	}
	e.ID = id
	return nil
}

const sessionCols = `id, tenant_id, venue_id, hall_id, event_id, starts_at, ends_at, business_date, status, min_price_cents, max_per_order, reentry, quotas, created_at, zones, on_sale_at, postponed`

func scanSession(sc interface{ Scan(...any) error }) (sales.Session, error) {
	var s sales.Session
	var start, end, at, onSale int64
	var quotas, zones string
	err := sc.Scan(&s.ID, &s.TenantID, &s.VenueID, &s.HallID, &s.EventID, &start, &end, &s.BusinessDate, &s.Status,
		&s.MinPriceCents, &s.MaxPerOrder, &s.Reentry, &quotas, &at, &zones, &onSale, &s.Postponed)
	if err != nil {
		return s, err
	}
	if onSale != 0 {
		t := fromMS(onSale)
		s.OnSaleAt = &t
	}
	s.StartsAt, s.EndsAt, s.CreatedAt = fromMS(start), fromMS(end), fromMS(at)
	s.Quotas = []sales.Quota{}
	if err := json.Unmarshal([]byte(zones), &s.Zones); err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(quotas), &s.Quotas)
}

func (r reader) GetSession(ctx context.Context, tenantID, id int64) (sales.Session, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	s, err := scanSession(r.q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ? AND `+tc, append([]any{id}, args...)...))
	return s, notFound(err, "session")
}

func (r reader) ListSessions(ctx context.Context, tenantID int64, f sales.SessionFilter) ([]sales.Session, error) {
	tc, args := tenantClause("tenant_id", tenantID)
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE ` + tc
	if f.VenueID != 0 {
		q += ` AND venue_id = ?`
		args = append(args, f.VenueID)
	}
	if f.BusinessDate != "" {
		q += ` AND business_date = ?`
		args = append(args, f.BusinessDate)
	}
	if f.VenueIDs != nil {
		q += ` AND venue_id IN (` + placeholders(len(f.VenueIDs)) + `)`
		if len(f.VenueIDs) == 0 {
			q += ` AND 0`
		}
		for _, v := range f.VenueIDs {
			args = append(args, v)
		}
	}
	rows, err := r.q.QueryContext(ctx, q+` ORDER BY starts_at, id LIMIT 1000`, args...)
	if err != nil {
		return nil, wrap(err, "list sessions")
	}
	defer rows.Close()
	var out []sales.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, wrap(err, "list sessions")
		}
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "list sessions")
}

func (r reader) SessionVersion(ctx context.Context, sessionID int64) (int64, error) {
	var v int64
	err := r.q.QueryRowContext(ctx, `SELECT version FROM sessions WHERE id = ?`, sessionID).Scan(&v)
	return v, notFound(err, "session")
}

func (t *txn) HallBusy(ctx context.Context, hallID int64, start, end time.Time) (bool, error) {
	var n int
	err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE hall_id = ? AND status <> 'cancelled' AND starts_at < ? AND ends_at > ?`,
		hallID, ms(end), ms(start)).Scan(&n)
	return n > 0, wrap(err, "check hall")
}

func (t *txn) InsertSession(ctx context.Context, s *sales.Session) error {
	quotas, _ := json.Marshal(s.Quotas)
	if s.Quotas == nil {
		quotas = []byte("[]")
	}
	zones, _ := json.Marshal(s.Zones)
	if s.Zones == nil {
		zones = []byte("[]")
	}
	var onSale int64
	if s.OnSaleAt != nil {
		onSale = ms(*s.OnSaleAt)
	}
	id, err := t.insert(ctx, `INSERT INTO sessions (tenant_id, venue_id, hall_id, event_id, starts_at, ends_at, business_date, status, min_price_cents, max_per_order, reentry, quotas, created_at, zones, on_sale_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, s.TenantID, s.VenueID, s.HallID, s.EventID, ms(s.StartsAt), ms(s.EndsAt), s.BusinessDate, s.Status,
		s.MinPriceCents, s.MaxPerOrder, s.Reentry, string(quotas), ms(s.CreatedAt), string(zones), onSale)
	if err != nil {
		return wrap(err, "insert session")
	}
	s.ID = id
	_, err = t.q.ExecContext(ctx, `INSERT INTO session_seats (session_id, seat_id, ord, section, row_label, row_no, col, label, type, phys_state)
SELECT ?, id, ord, section, row_label, row_no, col, label, type, state FROM hall_seats WHERE hall_id = ?`, s.ID, s.HallID)
	return wrap(err, "copy seat map")
}

func (t *txn) SetSessionStatus(ctx context.Context, id int64, st sales.SessionStatus) error {
	_, err := t.q.ExecContext(ctx, `UPDATE sessions SET status = ?, version = version + 1 WHERE id = ?`, st, id)
	return wrap(err, "set session status")
}

func (r reader) PriceTiers(ctx context.Context, sessionID int64) ([]sales.PriceTier, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, session_id, name, section, seat_type, price_cents FROM price_tiers WHERE session_id = ? ORDER BY ord`, sessionID)
	if err != nil {
		return nil, wrap(err, "read prices")
	}
	defer rows.Close()
	out := []sales.PriceTier{}
	for rows.Next() {
		var p sales.PriceTier
		if err := rows.Scan(&p.ID, &p.SessionID, &p.Name, &p.Section, &p.SeatType, &p.PriceCents); err != nil {
			return nil, wrap(err, "read prices")
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err(), "read prices")
}

func (t *txn) ReplacePriceTiers(ctx context.Context, sessionID int64, tiers []sales.PriceTier) ([]sales.PriceTier, error) {
	if _, err := t.q.ExecContext(ctx, `DELETE FROM price_tiers WHERE session_id = ?`, sessionID); err != nil {
		return nil, wrap(err, "replace prices")
	}
	out := make([]sales.PriceTier, len(tiers))
	for i, p := range tiers {
		id, err := t.insert(ctx, `INSERT INTO price_tiers (session_id, ord, name, section, seat_type, price_cents) VALUES (?,?,?,?,?,?)`,
			sessionID, i, p.Name, p.Section, p.SeatType, p.PriceCents)
		if err != nil {
			return nil, wrap(err, "replace prices")
		}
		p.ID = id
		p.SessionID = sessionID
		out[i] = p
	}
	seats, err := t.SessionSeats(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	upd, err := t.tx.PrepareContext(ctx, t.d.bind(`UPDATE session_seats SET tier_id = ?, price_cents = ? WHERE session_id = ? AND seat_id = ? AND status <> 'sold'`))
	if err != nil {
		return nil, wrap(err, "price seats")
	}
	defer upd.Close()
	for _, s := range seats {
		tier, _ := sales.TierFor(out, s.Section, s.Type)
		if tier.ID == s.TierID {
			continue
		}
		if _, err := upd.ExecContext(ctx, tier.ID, tier.PriceCents, sessionID, s.SeatID); err != nil {
			return nil, wrap(err, "price seats")
		}
	}
	t.touch(sessionID)
	return out, nil
}

func (t *txn) SetQuotas(ctx context.Context, sessionID int64, q []sales.Quota) error {
	if q == nil {
		q = []sales.Quota{}
	}
	b, _ := json.Marshal(q)
	_, err := t.q.ExecContext(ctx, `UPDATE sessions SET quotas = ? WHERE id = ?`, string(b), sessionID)
	return wrap(err, "set quotas")
}

func (r reader) ChannelSettings(ctx context.Context, tenantID int64) ([]sales.ChannelSettings, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT channel, hold_ttl_sec FROM channel_settings WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return nil, wrap(err, "channel settings")
	}
	defer rows.Close()
	var out []sales.ChannelSettings
	for rows.Next() {
		var c sales.ChannelSettings
		if err := rows.Scan(&c.Channel, &c.HoldTTLSec); err != nil {
			return nil, wrap(err, "channel settings")
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "channel settings")
}

func (t *txn) PutChannelSettings(ctx context.Context, tenantID int64, cs sales.ChannelSettings) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO channel_settings (tenant_id, channel, hold_ttl_sec) VALUES (?,?,?)
ON CONFLICT (tenant_id, channel) DO UPDATE SET hold_ttl_sec = excluded.hold_ttl_sec`, tenantID, cs.Channel, cs.HoldTTLSec)
	return wrap(err, "put channel settings")
}
