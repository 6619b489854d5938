package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/store/sqlstore"
)

// TestSalesPathStatementsUseTheirKeys asks SQLite how it runs the
// statements a sale and its explanations make: each must find its rows by
// a key, never walk a session's seats. A plan gone wrong costs a 50,000-seat
// session a full scan per call (explaining a refused hold once took 13 ms).
func TestSalesPathStatementsUseTheirKeys(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := sqlstore.PlannedQueries(Dialect)
	for _, c := range []struct {
		what, query, want string
	}{
		{"seats by id", q["seats by id"], "USING PRIMARY KEY (session_id=? AND seat_id=?)"},
		{"hold seats", `UPDATE session_seats SET status = 'held' WHERE session_id = ? AND seat_id IN (?,?) AND status = 'available'`, "USING PRIMARY KEY (session_id=? AND seat_id=?)"},
		{"sell a hold", `UPDATE session_seats SET status = 'sold' WHERE hold_id = ? AND status = 'held'`, "USING INDEX session_seats_hold (hold_id=?)"},
		{"a channel's sales under a quota", q["a channel's sales under a quota"], "USING INDEX session_seats_channel (session_id=? AND channel=?)"},
		{"a business day's raw records", q["a business day's raw records"], "USING INDEX reports_day"},
		{"a venue's reporting health", q["a venue's reporting health"], "USING COVERING INDEX reports_venue_pending (venue_id=?)"},
		{"the order a card attempt paid", `SELECT o.id FROM orders o WHERE o.tenant_id = ? AND o.payment_key = ? AND o.payment_method = 'card' ORDER BY o.id DESC LIMIT ?`, "USING INDEX orders_card_key (payment_key=?)"},
		{"a hold's seats", `SELECT seat_id, label, tier_id, price_cents FROM hold_seats WHERE hold_id = ? ORDER BY seat_id`, "(hold_id=?)"},
	} {
		rows, err := st.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.query, make([]any, strings.Count(c.query, "?"))...)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		scans := false // of a table: walking a constant row or a bounded subquery's rows is fine
		subqueries := map[string]bool{"CONSTANT ROW": true}
		for _, p := range plan {
			if name, ok := strings.CutPrefix(p, "CO-ROUTINE "); ok {
				subqueries[name] = true
			}
			name, ok := strings.CutPrefix(p, "SCAN ")
			scans = scans || (ok && !subqueries[name] && !strings.HasPrefix(name, "(subquery"))
		}
		if !strings.Contains(all, c.want) || scans {
			t.Errorf("%s: plan %q, want a search %s", c.what, all, c.want)
		}
	}
}
