package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/cloud/store/storetest"
)

func count(t *testing.T, st *sqlite.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestPruningTakesOnlyWhatHasDoneItsJob: feed events the devices can no
// longer need, acknowledged device facts, planned outbox entries, and
// delivered reports and inventory exports older than a year go; the latest
// feed events, facts not yet acknowledged, unplanned entries, young or
// refused reports, young exports, and every ticket, order, refund, hold
// and audit entry stay.
func TestPruningTakesOnlyWhatHasDoneItsJob(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "admit.db"))
	f := storetest.NewFixture(t, st)
	for _, l := range []string{"A-1", "A-2", "A-3", "A-4", "A-5"} {
		f.Buy(t, f.Clerk, l)
	}
	now := f.Clock.Now().Add(400 * 24 * time.Hour)
	head := count(t, st, `SELECT seq FROM feed_heads WHERE venue_id = ?`, f.Venue.ID)
	outbox := count(t, st, `SELECT COUNT(*) FROM outbox`)
	if head < 5 || outbox < 5 {
		t.Fatalf("feed head %d, outbox %d", head, outbox)
	}
	db := st.DB()
	planned := count(t, st, `SELECT id FROM outbox ORDER BY id LIMIT 1 OFFSET 2`)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`UPDATE report_cursor SET outbox_id = ? WHERE id = 1`, planned)
	old := f.Clock.Now().UnixMilli()
	for seq := 1; seq <= 5; seq++ {
		mustExec(`INSERT INTO device_facts (device_id, seq, fact_id, kind, at, data, status, note, received_at) VALUES ('dev-1', ?, ?, 'admission', ?, '{}', 'ok', '', ?)`,
			seq, "f"+string(rune('0'+seq)), old, old)
	}
	mustExec(`INSERT INTO device_cursors (device_id, acked) VALUES ('dev-1', 3)`)
	for _, r := range []struct {
		serial, state string
		age           time.Duration
	}{{"R-old", "delivered", 390 * 24 * time.Hour}, {"R-young", "delivered", 100 * 24 * time.Hour}, {"R-refused", "refused", 390 * 24 * time.Hour}} {
		at := now.Add(-r.age).UnixMilli()
		mustExec(`INSERT INTO reports (tenant_id, venue_id, serial, interface, key, body, created_at, state, next_at) VALUES (1, ?, ?, 'tickets', 'k', '{}', ?, ?, ?)`,
			f.Venue.ID, r.serial, at, r.state, at)
	}
	// An inventory export of a moment over a year ago goes; a younger stays.
	for _, r := range []struct {
		period string
		age    time.Duration
	}{{"daily", 390 * 24 * time.Hour}, {"weekly", 100 * 24 * time.Hour}} {
		mustExec(`INSERT INTO inventory_exports (tenant_id, venue_id, period, as_of, sha256, bytes, seats, sold, channels, anomalies, taken_at, body)
VALUES (1, ?, ?, ?, 'h', 1, 1, 0, '{}', '[]', ?, x'00')`, f.Venue.ID, r.period, now.Add(-r.age).UnixMilli(), now.Add(-r.age).UnixMilli())
	}
	// A card attempt voided over a year ago goes; a younger stays.
	mustExec(`INSERT INTO voided_attempts (attempt, voided_at) VALUES ('hold-1-k-old', ?), ('hold-2-k-young', ?)`,
		now.Add(-390*24*time.Hour).UnixMilli(), now.Add(-100*24*time.Hour).UnixMilli())
	// A login that expired long ago goes; one still valid stays.
	if _, err := f.Svc.Login(ctx, f.Clerk.Username, storetest.Password); err != nil {
		t.Fatal(err)
	}
	mustExec(`INSERT INTO login_sessions (token_hash, user_id, tenant_id, generation, created_at, expires_at, last_seen_at) VALUES ('live', 1, 1, 1, ?, ?, ?)`,
		now.UnixMilli(), now.Add(time.Hour).UnixMilli(), now.UnixMilli())
	keep := []string{"tickets", "orders", "holds", "refunds", "admissions", "audit_log", "makeups"}
	before := map[string]int{}
	for _, tb := range keep {
		before[tb] = count(t, st, `SELECT COUNT(*) FROM `+tb)
	}

	// Nothing is old yet: nothing goes.
	p := sqlite.Retention{Horizon: 24 * time.Hour, FeedKeep: 2, Batch: 2}
	if got, err := st.Prune(ctx, p, f.Clock.Now()); err != nil || got != (sqlite.Pruned{}) {
		t.Fatalf("pruning young rows: %+v %v", got, err)
	}
	got, err := st.Prune(ctx, p, now)
	if err != nil {
		t.Fatal(err)
	}
	want := sqlite.Pruned{Feed: head - 2, Facts: 3, Outbox: 3, Reports: 1, Exports: 1, Voided: 1, Logins: 1}
	if got != want {
		t.Fatalf("pruned %+v, want %+v", got, want)
	}
	if n := count(t, st, `SELECT COUNT(*) FROM feed WHERE venue_id = ? AND seq > ?`, f.Venue.ID, head-2); n != 2 {
		t.Fatalf("%d of the latest feed events left", n)
	}
	if n := count(t, st, `SELECT COUNT(*) FROM device_facts WHERE seq > 3`); n != 2 {
		t.Fatalf("%d unacknowledged facts left", n)
	}
	if n := count(t, st, `SELECT COUNT(*) FROM outbox`); n != outbox-3 {
		t.Fatalf("%d outbox entries left of %d", n, outbox)
	}
	if n := count(t, st, `SELECT COUNT(*) FROM login_sessions WHERE token_hash = 'live'`); n != 1 {
		t.Fatal("a valid login was pruned")
	}
	if n := count(t, st, `SELECT COUNT(*) FROM inventory_exports WHERE period = 'weekly'`); n != 1 {
		t.Fatal("an inventory export younger than a year was pruned")
	}
	if n := count(t, st, `SELECT COUNT(*) FROM voided_attempts WHERE attempt = 'hold-2-k-young'`); n != 1 {
		t.Fatal("a card attempt voided less than a year ago was pruned")
	}
	if n := count(t, st, `SELECT COUNT(*) FROM reports WHERE serial IN ('R-young', 'R-refused')`); n != 2 {
		t.Fatalf("%d of the young and refused reports left", n)
	}
	for _, tb := range keep {
		if n := count(t, st, `SELECT COUNT(*) FROM `+tb); n != before[tb] {
			t.Errorf("%s: %d rows, were %d", tb, n, before[tb])
		}
	}
	if a, err := sales.VerifyAudit(ctx, st); err != nil || !a.OK {
		t.Fatalf("the audit chain after pruning: %+v %v", a, err)
	}
	// Again: nothing more goes; a report is kept a year even if told less.
	p.Reports = time.Hour
	if got, err := st.Prune(ctx, p, now); err != nil || got != (sqlite.Pruned{}) {
		t.Fatalf("pruning again: %+v %v", got, err)
	}
}
