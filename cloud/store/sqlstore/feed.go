package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/admitbox/admit/internal/reqid"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	wire "github.com/admitbox/admit/sync"
)

// AppendFeed stores the event under the venue's next seq. The batch keeps
// the venue's head in memory, read from feed_heads at its first event and
// written back once by finishBatch: one statement per event, not two. The
// writer lock orders it; a rolled-back job gives its seqs back.
func (t *txn) AppendFeed(ctx context.Context, venueID int64, kind string, data json.RawMessage, at time.Time) (uint64, error) {
	seq, ok := t.b.feed[venueID]
	if !ok {
		err := t.q.QueryRowContext(ctx, `SELECT seq FROM feed_heads WHERE venue_id = ?`, venueID).Scan(&seq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, wrap(err, "read feed head")
		}
		if t.b.feed == nil {
			t.b.feed = map[int64]int64{}
		}
		t.b.feed[venueID] = seq
	}
	if t.b.moved == nil {
		t.b.moved = map[int64]int64{}
	}
	if _, seen := t.b.moved[venueID]; !seen {
		t.b.moved[venueID] = seq
	}
	seq++
	t.appendRow("feed", "venue_id, seq, kind, data, at, request_id", venueID, seq, kind, string(data), ms(at), reqid.From(ctx))
	t.b.feed[venueID] = seq
	return uint64(seq), nil
}

func (r reader) FeedHeads(ctx context.Context) ([]sales.VenueHead, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT h.venue_id, v.code, h.seq FROM feed_heads h JOIN venues v ON v.id = h.venue_id ORDER BY h.venue_id`)
	if err != nil {
		return nil, wrap(err, "read feed heads")
	}
	defer rows.Close()
	out := []sales.VenueHead{}
	for rows.Next() {
		var h sales.VenueHead
		var seq int64
		if err := rows.Scan(&h.VenueID, &h.Code, &seq); err != nil {
			return nil, wrap(err, "read feed heads")
		}
		h.Seq = uint64(seq)
		out = append(out, h)
	}
	return out, wrap(rows.Err(), "read feed heads")
}

func (r reader) FeedHead(ctx context.Context, venueID int64) (uint64, error) {
	var seq int64
	err := r.q.QueryRowContext(ctx, `SELECT seq FROM feed_heads WHERE venue_id = ?`, venueID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(seq), wrap(err, "read feed head")
}

func (r reader) FeedSince(ctx context.Context, venueID int64, after uint64, limit int) ([]wire.FeedEvent, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT seq, kind, data, at FROM feed WHERE venue_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		venueID, int64(after), limit)
	if err != nil {
		return nil, wrap(err, "read feed")
	}
	defer rows.Close()
	out := []wire.FeedEvent{}
	for rows.Next() {
		var e wire.FeedEvent
		var seq, at int64
		var data string
		if err := rows.Scan(&seq, &e.Kind, &data, &at); err != nil {
			return nil, wrap(err, "read feed")
		}
		e.Seq, e.Data, e.At = uint64(seq), json.RawMessage(data), fromMS(at)
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "read feed")
}

// View runs fn in one read transaction on a reader connection: in WAL
// mode its first read fixes the snapshot every later read sees.
func (s *Store) View(ctx context.Context, fn func(r sales.Reader) error) error {
	tx, err := s.r.BeginTx(ctx, s.d.ReadTx)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(reader{q: &txQuerier{tx: tx, c: s.rcache}, d: s.d})
}

// liveSessions selects the venue's sessions that end after a time.
const liveSessions = `SELECT id FROM sessions WHERE venue_id = ? AND ends_at > ?`

func (r reader) WalkSessions(ctx context.Context, venueID int64, endingAfter time.Time, fn func(sales.Session, string, string) error) error {
	rows, err := r.q.QueryContext(ctx, `SELECT `+prefixed("s.", sessionCols)+`, e.name, h.name FROM sessions s
JOIN events e ON e.id = s.event_id JOIN halls h ON h.id = s.hall_id
WHERE s.venue_id = ? AND s.ends_at > ? ORDER BY s.starts_at, s.id`, venueID, ms(endingAfter))
	if err != nil {
		return wrap(err, "walk sessions")
	}
	defer rows.Close()
	for rows.Next() {
		var ev, hall string
		ss, err := scanSession(extraScan{rows, []any{&ev, &hall}})
		if err != nil {
			return wrap(err, "walk sessions")
		}
		if err := fn(ss, ev, hall); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "walk sessions")
}

func (r reader) WalkValidTickets(ctx context.Context, venueID int64, endingAfter time.Time, fn func(sales.Ticket, string) error) error {
	rows, err := r.q.QueryContext(ctx, `SELECT `+prefixed("t.", ticketCols)+`, o.pickup_code FROM tickets t JOIN orders o ON o.id = t.order_id
WHERE t.session_id IN (`+liveSessions+`) AND t.status = 'valid' ORDER BY t.session_id, t.id`, venueID, ms(endingAfter))
	if err != nil {
		return wrap(err, "walk tickets")
	}
	defer rows.Close()
	for rows.Next() {
		var pickup string
		x, err := scanTicket(extraScan{rows, []any{&pickup}})
		if err != nil {
			return wrap(err, "walk tickets")
		}
		if err := fn(x, pickup); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "walk tickets")
}

func (r reader) WalkRevocations(ctx context.Context, venueID int64, endingAfter time.Time, fn func(sales.Revocation) error) error {
	rows, err := r.q.QueryContext(ctx, `SELECT ticket_id, number, venue_id, session_id, reason, at FROM revocations
WHERE venue_id = ? AND session_id IN (`+liveSessions+`) ORDER BY id`, venueID, venueID, ms(endingAfter))
	if err != nil {
		return wrap(err, "walk revocations")
	}
	defer rows.Close()
	for rows.Next() {
		var x sales.Revocation
		var at int64
		if err := rows.Scan(&x.TicketID, &x.Number, &x.VenueID, &x.SessionID, &x.Reason, &at); err != nil {
			return wrap(err, "walk revocations")
		}
		x.At = fromMS(at)
		if err := fn(x); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "walk revocations")
}

func (r reader) WalkAdmissions(ctx context.Context, venueID int64, endingAfter time.Time, fn func(sales.Admission) error) error {
	rows, err := r.q.QueryContext(ctx, `SELECT `+admissionCols+` FROM admissions
WHERE venue_id = ? AND session_id IN (`+liveSessions+`) ORDER BY at, id`, venueID, venueID, ms(endingAfter))
	if err != nil {
		return wrap(err, "walk admissions")
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAdmission(rows)
		if err != nil {
			return wrap(err, "walk admissions")
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "walk admissions")
}

// extraScan scans a row's leading columns through a scan function and
// its trailing ones into extra.
type extraScan struct {
	rows  *sql.Rows
	extra []any
}

func (e extraScan) Scan(dst ...any) error { return e.rows.Scan(append(dst, e.extra...)...) }

// prefixed qualifies each column of a column list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
