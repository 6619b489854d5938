// Package sqlstore is the sales.Store contract in SQL over database/sql,
// shared by the engines: SQLite (cloud/store/sqlite) and PostgreSQL
// (cloud/store/postgres). An engine opens its connections, migrates its
// schema and hands them over with its Dialect; everything a sale does is
// written once, here.
//
// Writes go through one committer per process (commit.go): the waiting
// transactions run together in one database transaction, each in its own
// savepoint. The first statement of that transaction takes the store's
// write lock (Dialect.LockWrite): SQLite's BEGIN IMMEDIATE, PostgreSQL's
// row lock on the audit chain's head. So however many processes share a
// store, one batch writes at a time, and what SQLite's single writer
// guarantees holds on every engine: the audit chain, venue feeds, seat
// change log and ticket serials advance without gaps, in commit order.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
)

// Dialect is what an engine's SQL differs in.
type Dialect struct {
	// Name prefixes the engine's errors ("sqlite", "postgres").
	Name string
	// Numbered turns the ? and ?N placeholders the queries are written
	// with into $N.
	Numbered bool
	// LockWrite reads the audit chain head (seq, hash) as the first
	// statement of a write transaction and holds the store's write lock
	// until commit.
	LockWrite string
	// JSONText is the SQL for a JSON text column's member as text,
	// JSONNumber as a number, JSONLength for an array's length.
	JSONText, JSONNumber func(col, key string) string
	JSONLength           func(col string) string
	// Unique reports a unique-constraint violation.
	Unique func(error) bool
	// Least and Greatest name the scalar minimum and maximum of their
	// arguments (SQLite's two-argument MIN and MAX).
	Least, Greatest string
	// IndexHints keeps SQLite's INDEXED BY where the planner needs one.
	IndexHints bool
	// WritableCTE lets a statement's WITH clause write (PostgreSQL): a
	// sale's steps that SQLite runs as two statements go as one, which is
	// one round trip fewer under the write lock.
	WritableCTE bool
	// ReadTx opens View's read transaction: one snapshot for all its reads.
	ReadTx *sql.TxOptions

	bound *sync.Map // query as written -> as bound
}

// Store is the sales store over one database.
type Store struct {
	reader
	d      *Dialect
	w      *sql.DB
	r      *sql.DB
	wcache *stmtCache
	rcache *stmtCache

	jobs    chan job
	stop    chan struct{}
	stopped chan struct{}
	// writerPriority is why the committer's thread runs at the process's
	// priority (nil: it runs at WriterNice).
	writerPriority error
	writerThread   int // the committer's thread id
	closeMu        sync.Mutex
	closed         bool

	hookMu        sync.Mutex
	onSeatChanges []func([]avail.Change)
	observer      atomic.Pointer[func(jobs, failed int, d time.Duration)]
}

var _ sales.Store = (*Store)(nil)

// New serves the contract on w, the connections writes use (the
// committer holds one at a time), and r, the readers'. The schema must be
// migrated. Close closes neither.
func New(d Dialect, w, r *sql.DB) *Store {
	dp := &d
	dp.bound = &sync.Map{}
	s := &Store{d: dp, w: w, r: r, wcache: newStmtCache(w, dp), rcache: newStmtCache(r, dp),
		jobs: make(chan job), stop: make(chan struct{}), stopped: make(chan struct{})}
	s.reader = reader{q: &dbQuerier{c: s.rcache}, d: dp}
	prio := make(chan error, 1)
	go s.committer(prio)
	s.writerPriority = <-prio
	return s
}

// WriterPriority says whether the committer's thread runs at WriterNice
// (nil) or, not allowed to, at the process's priority (why not).
func (s *Store) WriterPriority() error { return s.writerPriority }

// WriterTimes says how long the committer's thread has run on a core, and
// how long it was ready to run but waited for one: the share of its time
// the writer, which every sale waits for, lost to the rest of the machine.
func (s *Store) WriterTimes() (run, wait time.Duration, err error) {
	return threadTimes(s.writerThread)
}

// Close stops the committer: Update answers ErrClosed from then on.
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
	return nil
}

// Ping checks that the database answers a read.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("%s: ping: %w", s.d.Name, err)
	}
	return nil
}

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("store: closed")

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

// RunBatch runs fns at once as one group commit, each in its savepoint,
// and says how each ended. It is for tests that need a batch of a known
// composition; the committer must be idle (no Update in flight).
func (s *Store) RunBatch(ctx context.Context, fns ...func(tx sales.Tx) error) []error {
	batch := make([]job, len(fns))
	for i, fn := range fns {
		batch[i] = job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	}
	s.runBatch(batch)
	errs := make([]error, len(batch))
	for i, j := range batch {
		errs[i] = <-j.done
	}
	return errs
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type reader struct {
	q querier
	d *Dialect
}

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
		return fmt.Errorf("store: read %s: %w", what, err)
	}
	return nil
}

// uniqueViolation maps a unique-constraint failure to a Conflict.
func (r reader) uniqueViolation(err error, code, msg string) error {
	if err != nil && r.d.Unique(err) {
		return sales.Conflict(code, msg)
	}
	return err
}

// indexedBy is a table's index hint, where the engine takes hints.
func (d *Dialect) indexedBy(index string) string {
	if !d.IndexHints {
		return ""
	}
	return " INDEXED BY " + index
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

// insert runs an INSERT of one row and returns the row's id, on every
// engine (database/sql's LastInsertId is SQLite's and MySQL's alone).
func (t *txn) insert(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, q+` RETURNING id`, args...).Scan(&id)
	return id, err
}
