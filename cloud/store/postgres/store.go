package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	// database/sql's driver for pgx: the shared SQL store speaks database/sql.
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/sqlstore"
)

// Options tune the store.
type Options struct {
	// Readers bounds the connections reads use (default 8); writes use at
	// most two per process (the committer runs one transaction at a time).
	Readers int
}

// Store is the PostgreSQL sales store.
type Store struct {
	*sqlstore.Store
	w *sql.DB
	r *sql.DB
}

var _ sales.Store = (*Store)(nil)

// Dialect is PostgreSQL's SQL. A write transaction first locks the audit
// chain's head row (FOR UPDATE): every process's committer takes its turn
// there, so the audit chain, venue feeds, seat change log and serials
// advance in commit order, as on SQLite. READ COMMITTED suffices: each
// statement after the lock sees every commit before it. View reads one
// REPEATABLE READ snapshot.
var Dialect = sqlstore.Dialect{
	Name:        "postgres",
	Numbered:    true,
	WritableCTE: true,
	Least:       "LEAST",
	Greatest:    "GREATEST",
	LockWrite:   `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`,
	// The reports_day index is on this expression, written exactly so.
	JSONText:   func(col, key string) string { return "((" + col + "::jsonb) ->> '" + key + "')" },
	JSONNumber: func(col, key string) string { return "(((" + col + "::jsonb) ->> '" + key + "')::float8)" },
	JSONLength: func(col string) string { return "jsonb_array_length(" + col + "::jsonb)" },
	Unique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	ReadTx: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
}

// Open migrates the database at dsn (postgres://…) to this build's schema
// and serves the sales.Store contract on it.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	if _, err := Migrate(ctx, dsn); err != nil {
		return nil, err
	}
	if o.Readers <= 0 {
		o.Readers = 8
	}
	w, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	r, err := sql.Open("pgx", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("postgres: open readers: %w", err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &Store{Store: sqlstore.New(Dialect, w, r), w: w, r: r}, nil
}

// Close stops the committer and closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.Store.Close(), s.r.Close(), s.w.Close())
}

// DB exposes the writers' pool for tools and tests that must reach under
// the contract.
func (s *Store) DB() *sql.DB { return s.w }
