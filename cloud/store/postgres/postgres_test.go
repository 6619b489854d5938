package postgres_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/internal/pgtest"
)

// testDSN is a fresh schema of the machine's PostgreSQL.
func testDSN(t *testing.T) (string, *pgx.Conn, string) {
	t.Helper()
	return pgtest.Schema(t)
}

// TestMigrationsApplyOnceAndMatchTheSQLiteSchema: three processes migrate
// one database at once and the migrations apply once; again, nothing
// changes; the tables, columns and indexes are the SQLite store's; the
// seat change log is kept by the database.
func TestMigrationsApplyOnceAndMatchTheSQLiteSchema(t *testing.T) {
	dsn, conn, schema := testDSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	versions := make([]int, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions[i], errs[i] = postgres.Migrate(ctx, dsn)
		}()
	}
	wg.Wait()
	for i := range 3 {
		if errs[i] != nil || versions[i] != postgres.Latest() || versions[i] == 0 {
			t.Fatalf("migration %d: version %d, %v", i, versions[i], errs[i])
		}
	}
	var applied int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM `+schema+`.schema_migrations`).Scan(&applied); err != nil || applied != postgres.Latest() {
		t.Fatalf("%d migrations recorded: %v", applied, err)
	}
	if v, err := postgres.Migrate(ctx, dsn); err != nil || v != postgres.Latest() {
		t.Fatalf("migrating again: %d %v", v, err)
	}

	// The same tables, columns and indexes as SQLite's.
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "admit.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lite := map[string][]string{}
	rows, err := st.DB().Query(`SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, col string
		rows.Scan(&tb, &col)
		lite[tb] = append(lite[tb], col)
	}
	rows.Close()
	pg := map[string][]string{}
	prow, err := conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	for prow.Next() {
		var tb, col string
		prow.Scan(&tb, &col)
		pg[tb] = append(pg[tb], col)
	}
	prow.Close()
	for tb, cols := range lite {
		slices.Sort(cols)
		p := pg[tb]
		slices.Sort(p)
		if !slices.Equal(cols, p) {
			t.Errorf("table %s: SQLite has %v, PostgreSQL %v", tb, cols, p)
		}
	}
	if len(pg) != len(lite) {
		t.Errorf("%d tables in PostgreSQL, %d in SQLite", len(pg), len(lite))
	}
	var liteIdx, pgIdx []string
	irows, err := st.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for irows.Next() {
		var n string
		irows.Scan(&n)
		liteIdx = append(liteIdx, n)
	}
	irows.Close()
	// Less the indexes of primary keys and unique constraints, which SQLite
	// keeps unnamed.
	prow, err = conn.Query(ctx, `SELECT indexname FROM pg_indexes i WHERE schemaname = $1 AND NOT EXISTS
  (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.conname = i.indexname)`, schema)
	if err != nil {
		t.Fatal(err)
	}
	for prow.Next() {
		var n string
		prow.Scan(&n)
		pgIdx = append(pgIdx, n)
	}
	prow.Close()
	slices.Sort(liteIdx)
	slices.Sort(pgIdx)
	if !slices.Equal(liteIdx, pgIdx) {
		t.Errorf("indexes: SQLite %v, PostgreSQL %v", liteIdx, pgIdx)
	}

	// The seat change log: a change of a seat's code is logged, a change
	// of anything else is not.
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	for _, q := range []string{
		`INSERT INTO session_seats (session_id, seat_id, ord, section, row_label, row_no, col, label, type, phys_state, tier_id, price_cents) VALUES (1, 1, 0, 'A', 'A', 1, 1, 'A-1', 'std', 'ok', 5, 4500)`,
		`UPDATE session_seats SET status = 'held', hold_id = 9 WHERE seat_id = 1`,
		`UPDATE session_seats SET channel = 'pos' WHERE seat_id = 1`,
		`UPDATE session_seats SET status = 'sold' WHERE seat_id = 1`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var codes []string
	lrows, err := db.Query(ctx, `SELECT code FROM seat_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for lrows.Next() {
		var c string
		lrows.Scan(&c)
		codes = append(codes, c)
	}
	lrows.Close()
	if strings.Join(codes, "") != "HS" {
		t.Fatalf("the seat change log: %v, want H then S", codes)
	}
}
