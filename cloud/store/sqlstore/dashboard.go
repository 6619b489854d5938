package sqlstore

import (
	"context"
	"fmt"

	"github.com/admitbox/admit/cloud/sales"
)

// VenueDashboard counts the venue's sessions in the window, and
// the tickets, admissions, prints and alerts the dashboard shows. Each
// count is one grouped query over an index of the venue or its sessions;
// prints and first entries are kept on the tickets as the facts arrive.
// The channel split counts the sold seats of those sessions.
func (r reader) VenueDashboard(ctx context.Context, venueID int64, win sales.DashboardWindow) (sales.DashboardCounts, error) {
	c := sales.DashboardCounts{TicketsByMinute: map[int64]int{}, Channels: map[string]int{}}
	rows, err := r.q.QueryContext(ctx, `SELECT `+prefixed("s.", sessionCols)+`, e.name, h.name FROM sessions s
		JOIN events e ON e.id = s.event_id JOIN halls h ON h.id = s.hall_id
		WHERE s.venue_id = ? AND s.ends_at >= ? ORDER BY s.starts_at, s.id`, venueID, ms(win.SessionsEndingAfter))
	if err != nil {
		return c, wrap(err, "dashboard sessions")
	}
	index := map[int64]int{}
	for rows.Next() {
		var sc sales.SessionCounts
		var event, hall string
		s, err := scanSession(extraScan{rows, []any{&event, &hall}})
		if err != nil {
			rows.Close()
			return c, wrap(err, "dashboard sessions")
		}
		sc.Session, sc.Event, sc.Hall = s, event, hall
		index[s.ID] = len(c.Sessions)
		c.Sessions = append(c.Sessions, sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, wrap(err, "dashboard sessions")
	}
	if len(c.Sessions) > 0 {
		ids := make([]int64, 0, len(c.Sessions))
		for _, s := range c.Sessions {
			ids = append(ids, s.ID)
		}
		in := `(` + placeholders(len(ids)) + `)`
		err := r.each(ctx, `SELECT session_id,
				SUM(CASE WHEN phys_state = 'ok' THEN 1 ELSE 0 END),
				SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END),
				SUM(CASE WHEN status = 'available' AND phys_state = 'ok' AND category = 'sellable' AND tier_id != 0 THEN 1 ELSE 0 END)
			FROM session_seats WHERE session_id IN `+in+` GROUP BY session_id`, int64Args(ids), func(scan func(...any) error) error {
			var id int64
			var capacity, held, avail int
			if err := scan(&id, &capacity, &held, &avail); err != nil {
				return err
			}
			s := &c.Sessions[index[id]]
			s.Capacity, s.Held, s.Available = capacity, held, avail
			return nil
		})
		if err != nil {
			return c, wrap(err, "dashboard seats")
		}
		err = r.each(ctx, `SELECT session_id, COUNT(*), COUNT(printed_at), COUNT(admitted_at),
			COALESCE(SUM(CASE WHEN bundle_id <> 0 AND admitted_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM tickets
			WHERE session_id IN `+in+` AND status = 'valid' GROUP BY session_id`, int64Args(ids),
			func(scan func(...any) error) error {
				var id int64
				var sold, printed, admitted, passes int
				if err := scan(&id, &sold, &printed, &admitted, &passes); err != nil {
					return err
				}
				s := &c.Sessions[index[id]]
				s.Sold, s.Printed, s.Admitted, s.PassAdmitted = sold, printed, admitted, passes
				return nil
			})
		if err != nil {
			return c, wrap(err, "dashboard tickets")
		}
		err = r.each(ctx, `SELECT channel, COUNT(*) FROM session_seats WHERE session_id IN `+in+` AND channel IS NOT NULL AND status = 'sold' GROUP BY channel`,
			int64Args(ids), func(scan func(...any) error) error {
				var ch string
				var n int
				if err := scan(&ch, &n); err != nil {
					return err
				}
				c.Channels[ch] = n
				return nil
			})
		if err != nil {
			return c, wrap(err, "dashboard channels")
		}
		err = r.each(ctx, `SELECT session_id, device_id, COUNT(DISTINCT ticket_number) FROM admissions
			WHERE venue_id = ? AND session_id IN `+in+` AND direction = 'in' GROUP BY session_id, device_id ORDER BY session_id, device_id`,
			append([]any{venueID}, int64Args(ids)...), func(scan func(...any) error) error {
				var g sales.GateAttendance
				if err := scan(&g.SessionID, &g.DeviceID, &g.Admitted); err != nil {
					return err
				}
				c.Gates = append(c.Gates, g)
				return nil
			})
		if err != nil {
			return c, wrap(err, "dashboard admissions")
		}
	}
	err = r.each(ctx, `SELECT issued_at / 60000, COUNT(*) FROM tickets WHERE venue_id = ? AND issued_at >= ? GROUP BY 1`,
		[]any{venueID, ms(win.RateSince)}, func(scan func(...any) error) error {
			var minute int64
			var n int
			if err := scan(&minute, &n); err != nil {
				return err
			}
			c.TicketsByMinute[minute] = n
			return nil
		})
	if err != nil {
		return c, wrap(err, "dashboard sales rate")
	}
	if err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE venue_id = ? AND kind = 'duplicate_admission'`, venueID).Scan(&c.AlertCount); err != nil {
		return c, wrap(err, "dashboard alerts")
	}
	if c.Alerts, err = r.ListAlerts(ctx, -1, sales.AlertFilter{VenueID: venueID, Limit: 20}); err != nil {
		return c, err
	}
	err = r.each(ctx, `SELECT f.device_id, COALESCE(`+r.d.JSONText("f.data", "number")+`, ''), COALESCE(`+r.d.JSONText("f.data", "error")+`, ''), f.at
		FROM device_facts f JOIN devices d ON d.id = f.device_id
		WHERE d.venue_id = ? AND f.kind = 'print_failure' AND f.status = 'ok' AND f.at >= ? ORDER BY f.at DESC`,
		[]any{venueID, ms(win.FailuresSince)}, func(scan func(...any) error) error {
			var pf sales.PrintFailure
			var at int64
			if err := scan(&pf.DeviceID, &pf.Number, &pf.Error, &at); err != nil {
				return err
			}
			c.PrintFailureCount++
			if len(c.PrintFailures) < 20 {
				pf.At = fromMS(at)
				c.PrintFailures = append(c.PrintFailures, pf)
			}
			return nil
		})
	if err != nil {
		return c, wrap(err, "dashboard print failures")
	}
	return c, nil
}

// DashboardVersion changes whenever the venue's feed moves (every sale,
// refund and admission is on it), a device reports, or an alert is raised.
func (r reader) DashboardVersion(ctx context.Context, venueID int64) (string, error) {
	var feed, seen, alert int64
	err := r.q.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT seq FROM feed_heads WHERE venue_id = ?), 0),
		COALESCE((SELECT MAX(last_seen) FROM devices WHERE venue_id = ?), 0),
		COALESCE((SELECT MAX(id) FROM alerts WHERE venue_id = ?), 0)`, venueID, venueID, venueID).Scan(&feed, &seen, &alert)
	if err != nil {
		return "", wrap(err, "dashboard version")
	}
	return fmt.Sprintf("%d.%d.%d", feed, seen, alert), nil
}

// each runs q and calls fn with a scanner for every row.
func (r reader) each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
