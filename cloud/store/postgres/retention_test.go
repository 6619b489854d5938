package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/store/sqlstore"
)

// Every statement of the retention sweep runs on PostgreSQL (the whole
// sweep once failed there: a placeholder a statement never read could not
// be typed), and it takes what is old and leaves what is young.
func TestPruningRunsOnPostgreSQL(t *testing.T) {
	dsn, _, _ := testDSN(t)
	st := openStore(t, dsn)
	ctx := context.Background()
	now := time.Now()
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO voided_attempts (attempt, voided_at) VALUES ('hold-1-k-old', $1), ('hold-2-k-young', $2)`,
		now.Add(-400*24*time.Hour).UnixMilli(), now.Add(-100*24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	got, err := st.Prune(ctx, sqlstore.Retention{Horizon: 24 * time.Hour, Batch: 2}, now)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	if want := (sqlstore.Pruned{Voided: 1}); got != want {
		t.Fatalf("pruned %+v, want %+v", got, want)
	}
	var left string
	if err := st.DB().QueryRowContext(ctx, `SELECT string_agg(attempt, ',') FROM voided_attempts`).Scan(&left); err != nil || left != "hold-2-k-young" {
		t.Fatalf("left %q (%v), want the young attempt", left, err)
	}
}
