// Package sqlite is the embedded store of the Admit cloud: the sales.Store
// contract on SQLite (github.com/mattn/go-sqlite3) in WAL mode. One writer
// connection serialises transactions (BEGIN IMMEDIATE), a pool of readers
// reads committed snapshots in parallel.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
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
	reader
	w      *sql.DB
	r      *sql.DB
	wcache *stmtCache
	rcache *stmtCache

	jobs    chan job
	stop    chan struct{}
	stopped chan struct{}
	closeMu sync.Mutex
	closed  bool

	hookMu        sync.Mutex
	onSeatChanges []func([]avail.Change)
}

var _ sales.Store = (*Store)(nil)

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
	w, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
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
	s := &Store{w: w, r: r, wcache: newStmtCache(w), rcache: newStmtCache(r),
		jobs: make(chan job), stop: make(chan struct{}), stopped: make(chan struct{})}
	s.reader = reader{q: &dbQuerier{c: s.rcache}}
	go s.committer()
	return s, nil
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
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.closeMu.Unlock()
	<-s.stopped
	s.wcache.close()
	s.rcache.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the database answers a read.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// DB exposes the writer connection for tools and tests that must reach
// under the contract (tamper tests, the audit CLI).
func (s *Store) DB() *sql.DB { return s.w }

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("sqlite: store closed")

// Update runs fn as one transaction: its writes commit together or not at
// all, and Update returns only after they are committed (see commit.go).
// fn must not call Update.
func (s *Store) Update(ctx context.Context, fn func(tx sales.Tx) error) error {
	j := job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-j.done
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type reader struct{ q querier }

type txn struct {
	reader
	tx *sql.Tx
	b  *batchState
}

// touch marks a session whose seats changed: its version moves at commit.
func (t *txn) touch(sessionID int64) { t.b.touched[sessionID] = struct{}{} }

// ms and fromMS store instants as Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// notFound maps sql.ErrNoRows to the contract's NotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sales.NotFound(what)
	}
	if err != nil {
		return fmt.Errorf("sqlite: read %s: %w", what, err)
	}
	return nil
}

// uniqueViolation maps a UNIQUE constraint failure to a Conflict.
func uniqueViolation(err error, code, msg string) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique {
		return sales.Conflict(code, msg)
	}
	return err
}

// placeholders returns "?,?,?" for n args.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// tenantClause scopes a query: tenantID -1 means every tenant (platform).
func tenantClause(col string, tenantID int64) (string, []any) {
	if tenantID == -1 {
		return "1=1", nil
	}
	return col + " = ?", []any{tenantID}
}
