// Package sqlite is the embedded store of the Admit cloud: the sales.Store
// contract (cloud/store/sqlstore) on SQLite (github.com/mattn/go-sqlite3)
// in WAL mode. One writer connection serialises transactions (BEGIN
// IMMEDIATE), a pool of readers reads committed snapshots in parallel.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/sqlstore"
)

// Options tune the store.
type Options struct {
	// Synchronous is SQLite's PRAGMA synchronous: "FULL" (default) is
	// durable across power loss, at one fsync per commit (a group commit
	// of many sales is one commit); "NORMAL" only across process crashes
	// in WAL mode: a sale a buyer was told about could be lost.
	Synchronous string
	Readers     int
}

// Store is the SQLite sales store.
type Store struct {
	*sqlstore.Store
	w *sql.DB
	r *sql.DB
}

var _ sales.Store = (*Store)(nil)

// Retention and Pruned are the store's pruning policy and its outcome.
type (
	Retention = sqlstore.Retention
	Pruned    = sqlstore.Pruned
)

// Dialect is SQLite's SQL: BEGIN IMMEDIATE (the _txlock of the writer's
// connections) already holds the write lock when the audit head is read.
var Dialect = sqlstore.Dialect{
	Name:       "sqlite",
	IndexHints: true,
	Least:      "MIN",
	Greatest:   "MAX",
	LockWrite:  `SELECT seq, hash FROM audit_head WHERE id = 1`,
	JSONText:   jsonExtract,
	JSONNumber: jsonExtract,
	JSONLength: func(col string) string { return "json_array_length(" + col + ")" },
	Unique: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
	},
}

func jsonExtract(col, key string) string { return "json_extract(" + col + ", '$." + key + "')" }

// Open opens (creating if needed) the database file and migrates it.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	switch strings.ToUpper(o.Synchronous) {
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite: unknown synchronous mode %q", o.Synchronous)
	}
	if o.Readers <= 0 {
		o.Readers = 8
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create data dir: %w", err)
		}
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", strings.ToUpper(o.Synchronous))
	q.Set("_txlock", "immediate")
	q.Set("cache", "private")
	w := sql.OpenDB(connector{drv: &sqlite3.SQLiteDriver{ConnectHook: writerPragmas}, dsn: "file:" + path + "?" + q.Encode()})
	// One connection runs the committer's transactions; a second one only
	// prepares statements for the cache while the first is busy (preparing
	// takes no write lock).
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	q.Set("_txlock", "deferred")
	q.Set("mode", "ro")
	r, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers %s: %w", path, err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	return &Store{Store: sqlstore.New(Dialect, w, r), w: w, r: r}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this program (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
	}
	return nil
}

// SchemaVersion reports the applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Close stops the committer and closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.Store.Close(), s.r.Close(), s.w.Close())
}

// DB exposes the writer connection for tools and tests that must reach
// under the contract (tamper tests, the audit CLI).
func (s *Store) DB() *sql.DB { return s.w }

// CheckpointPages is how long the WAL grows (in 4 KiB pages) before the
// committing writer copies it back into the database file. SQLite's
// default, 1,000 pages, meant a checkpoint some 25 times a second in an
// on-sale, each writing the hot index pages again and syncing the file
// inside the commit that every waiting sale shares; 64 MiB between them
// sold 7% more in the mixed on-sale (admit bench onsale) at 5% less CPU
// per order. The WAL file keeps that size once reached.
const CheckpointPages = 16384

// writerPragmas sets on each writer connection what its DSN cannot: the
// checkpoint interval, and temp_store MEMORY so that savepoint journals
// stay in memory. Every job of a group commit runs in a savepoint, whose
// journal keeps the pages the job changes; past 64 KiB (16 pages, a sale
// changes about that many) SQLite spilled it to a temporary file it
// created, wrote and deleted within the batch. In memory, the store's
// BenchmarkHoldConfirmPay ran 0.34–0.44 ms/op against 1.46–1.67, and
// admit bench onsale's buyers sold a third more. Durability is the
// WAL's; a savepoint journal only undoes a job within its transaction.
func writerPragmas(c *sqlite3.SQLiteConn) error {
	if _, err := c.Exec("PRAGMA wal_autocheckpoint = "+strconv.Itoa(CheckpointPages), nil); err != nil {
		return fmt.Errorf("sqlite: set the checkpoint interval: %w", err)
	}
	if _, err := c.Exec("PRAGMA temp_store = MEMORY", nil); err != nil {
		return fmt.Errorf("sqlite: keep sub-journals in memory: %w", err)
	}
	return nil
}

// connector opens connections of one DSN through a driver value of our
// own, so that its ConnectHook applies to them (sql.Register would make
// the hook process-wide).
type connector struct {
	drv *sqlite3.SQLiteDriver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }
