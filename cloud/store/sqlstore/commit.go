package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
)

// Group commit. SQLite has one writer; a commit costs far more than the
// few statements of a sale, so one committer goroutine runs the
// transactions that are waiting together inside one SQLite transaction,
// each in its own SAVEPOINT: a failing one is rolled back alone, the rest
// commit together, and nobody hears "done" before the commit is durable.
// Each transaction still sees the state left by those before it, exactly
// as if they had run one after another.

type job struct {
	ctx  context.Context
	fn   func(tx sales.Tx) error
	done chan error
}

// maxBatch bounds how long one SQLite transaction holds the write lock.
const maxBatch = 64

// WriterNice is the OS priority the committer asks for its thread. Every
// sale waits for the one writer, and in an on-sale the HTTP goroutines,
// seat-map streams and the rest of the machine keep both cores busy: at
// the process's priority the writer waited for a core 13% of the time it
// had work with buyers only and 27% in the mixed on-sale (its thread's
// /proc schedstat), and fewer sales were made for all. Raising a thread's priority needs CAP_SYS_NICE or an
// RLIMIT_NICE that allows it (the systemd unit sets LimitNICE); without
// either, the writer runs at the process's priority (WriterPriority).
const WriterNice = -10

// committer runs the batches on a thread of its own, at WriterNice where
// allowed; it reports on prio whether it got it. The thread ends with it,
// and gives its priority back before the store is closed.
func (s *Store) committer(prio chan<- error) {
	defer close(s.stopped)
	runtime.LockOSThread()
	s.writerThread = threadID()
	restore, err := raiseThreadPriority(WriterNice)
	prio <- err
	if err == nil {
		// The thread is not reused (it stays locked), but Go tears it down
		// only after this goroutine has gone, after Close has returned:
		// the raised priority ends with the store.
		defer restore()
	}
	for {
		var first job
		select {
		case first = <-s.jobs:
		case <-s.stop:
			return
		}
		batch := []job{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.runBatch(batch)
	}
}

func (s *Store) runBatch(batch []job) {
	start := time.Now()
	errs := make([]error, len(batch))
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range batch {
			j.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	t := &txn{reader: reader{q: &txQuerier{tx: tx, c: s.wcache}, d: s.d}, tx: tx, b: &batchState{touched: map[int64]struct{}{}}}
	// The write lock is ours until COMMIT: read the audit chain head once,
	// let each job extend it in memory, write it back once.
	if err := t.q.QueryRowContext(context.Background(), s.d.LockWrite).Scan(&t.b.seq, &t.b.hash); err != nil {
		tx.Rollback()
		for i := range batch {
			errs[i] = fmt.Errorf("store: read audit head: %w", err)
		}
		s.finish(batch, errs, start)
		return
	}
	startSeq := t.b.seq
	var logStart int64
	if err := t.q.QueryRowContext(context.Background(), `SELECT COALESCE(MAX(id), 0) FROM seat_log`).Scan(&logStart); err != nil {
		tx.Rollback()
		for i := range batch {
			errs[i] = fmt.Errorf("store: read seat log head: %w", err)
		}
		s.finish(batch, errs, start)
		return
	}
	// Jobs that came while the lock was awaited join this batch: when
	// other processes hold the lock, batches grow instead of each job
	// waiting a turn of its own.
drain:
	for len(batch) < maxBatch {
		select {
		case j := <-s.jobs:
			batch = append(batch, j)
			errs = append(errs, nil)
		default:
			break drain
		}
	}
	ok := 0
	// A job's savepoint is released as the next one is taken, in one
	// round trip; the last stays open and commits with the transaction.
	savepoint := "SAVEPOINT job"
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		m := t.b.mark()
		if _, err := tx.Exec(savepoint); err != nil {
			// The transaction is unusable: fail the whole batch.
			tx.Rollback()
			for k := range batch {
				if errs[k] == nil || k == i {
					errs[k] = fmt.Errorf("store: savepoint: %w", err)
				}
			}
			s.finish(batch, errs, start)
			return
		}
		savepoint = "RELEASE job; SAVEPOINT job"
		errs[i] = runJob(j, t)
		if errs[i] != nil {
			t.b.restore(m)
			if _, err := tx.Exec("ROLLBACK TO job"); err != nil {
				tx.Rollback()
				for k := range batch {
					if errs[k] == nil {
						errs[k] = fmt.Errorf("store: rollback to savepoint: %w", err)
					}
				}
				s.finish(batch, errs, start)
				return
			}
		} else {
			ok++
		}
	}
	var changes []avail.Change
	if ok > 0 {
		err := t.finishBatch(startSeq)
		if err == nil {
			changes, err = t.batchSeatChanges(logStart)
		}
		if err != nil {
			tx.Rollback()
			for k := range batch {
				if errs[k] == nil {
					errs[k] = err
				}
			}
			s.finish(batch, errs, start)
			return
		}
	}
	if ok == 0 {
		tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		for k := range batch {
			if errs[k] == nil {
				errs[k] = fmt.Errorf("store: commit: %w", err)
			}
		}
	} else if len(changes) > 0 {
		s.seatChangesCommitted(changes)
	}
	s.finish(batch, errs, start)
}

// batchSeatChanges reads back the seat changes the batch's jobs logged.
func (t *txn) batchSeatChanges(after int64) ([]avail.Change, error) {
	rows, err := t.q.QueryContext(context.Background(), `SELECT id, session_id, ord, code, tier_id FROM seat_log WHERE id > ? ORDER BY id`, after)
	if err != nil {
		return nil, fmt.Errorf("store: read the batch's seat changes: %w", err)
	}
	defer rows.Close()
	return scanSeatLog(rows)
}

// batchState is what the jobs of one batch share.
type batchState struct {
	seq     int64  // audit chain head
	hash    string // audit chain head
	touched map[int64]struct{}
	// feed holds each venue's feed head as the batch moved it, read once
	// on the venue's first event; moved says which to write back.
	feed  map[int64]int64
	moved map[int64]int64 // venue -> head when the batch first moved it
	// appended holds rows nothing reads before commit (feed events, audit
	// entries, outbox events): the batch inserts them together when it
	// finishes, a statement per table and up to appendChunk rows, instead
	// of a round trip each.
	appended []appendedRow
}

type appendedRow struct {
	table, cols string // cols: "a, b, c"
	args        []any
}

// appendChunk bounds the rows of one multi-row INSERT.
const appendChunk = 64

// appendRow queues a row for the batch's end.
func (t *txn) appendRow(table, cols string, args ...any) {
	t.b.appended = append(t.b.appended, appendedRow{table: table, cols: cols, args: args})
}

// mark is what a job's rollback restores of the batch's memory.
type mark struct {
	seq      int64
	hash     string
	feed     map[int64]int64
	appended int
}

func (b *batchState) mark() mark {
	return mark{seq: b.seq, hash: b.hash, feed: maps.Clone(b.feed), appended: len(b.appended)}
}

func (b *batchState) restore(m mark) {
	b.seq, b.hash, b.feed = m.seq, m.hash, m.feed
	clear(b.appended[m.appended:])
	b.appended = b.appended[:m.appended]
}

// insertAppended writes the queued rows, each table's in the order they
// were queued: a table's rows go in one INSERT (up to appendChunk rows),
// though the jobs of a batch queue them interleaved (audit, outbox, feed,
// audit, …). Nothing orders rows across tables.
func (t *txn) insertAppended(ctx context.Context) error {
	rows := groupAppended(t.b.appended)
	for len(rows) > 0 {
		n := 1
		for n < len(rows) && n < appendChunk && rows[n].table == rows[0].table && rows[n].cols == rows[0].cols {
			n++
		}
		one := "(" + placeholders(len(rows[0].args)) + ")"
		var q strings.Builder
		q.WriteString("INSERT INTO " + rows[0].table + " (" + rows[0].cols + ") VALUES ")
		args := make([]any, 0, n*len(rows[0].args))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(one)
			args = append(args, r.args...)
		}
		if _, err := t.q.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("store: insert into %s: %w", rows[0].table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// groupAppended orders rows by their table (and columns), tables in the
// order first queued, keeping each table's rows in queue order.
func groupAppended(rows []appendedRow) []appendedRow {
	type key struct{ table, cols string }
	var order []key
	by := map[key][]appendedRow{}
	for _, r := range rows {
		k := key{r.table, r.cols}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], r)
	}
	if len(order) <= 1 {
		return rows
	}
	out := make([]appendedRow, 0, len(rows))
	for _, k := range order {
		out = append(out, by[k]...)
	}
	return out
}

// finishBatch writes what the batch's jobs left in memory: the audit
// chain head, the venues' feed heads and the availability version of every session they touched
// (a job rolled back may leave a session bumped: harmless, it only makes
// readers re-read).
func (t *txn) finishBatch(startSeq int64) error {
	ctx := context.Background()
	if err := t.insertAppended(ctx); err != nil {
		return err
	}
	if t.b.seq != startSeq {
		if _, err := t.q.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, t.b.seq, t.b.hash); err != nil {
			return fmt.Errorf("store: move audit head: %w", err)
		}
	}
	for venue, was := range t.b.moved {
		seq, ok := t.b.feed[venue]
		if !ok || seq == was {
			continue // every job that moved it was rolled back
		}
		if _, err := t.q.ExecContext(ctx, `INSERT INTO feed_heads (venue_id, seq) VALUES (?, ?)
ON CONFLICT (venue_id) DO UPDATE SET seq = excluded.seq`, venue, seq); err != nil {
			return fmt.Errorf("store: move feed head: %w", err)
		}
	}
	if len(t.b.touched) > 0 {
		ids := slices.Sorted(maps.Keys(t.b.touched))
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		if _, err := t.q.ExecContext(ctx, `UPDATE sessions SET version = version + 1 WHERE id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
			return fmt.Errorf("store: bump session versions: %w", err)
		}
	}
	return nil
}

func (s *Store) finish(batch []job, errs []error, start time.Time) {
	if o := s.observer.Load(); o != nil {
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
			}
		}
		(*o)(len(batch), failed, time.Since(start))
	}
	for i, j := range batch {
		j.done <- errs[i]
	}
}

// ObserveCommits has fn hear of every group commit: its transactions,
// how many of them failed, and how long it took from begin to commit.
func (s *Store) ObserveCommits(fn func(jobs, failed int, d time.Duration)) {
	s.observer.Store(&fn)
}

// runJob runs one transaction body; a panic fails that job only.
func runJob(j job, t *txn) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: transaction panicked: %v", r)
		}
	}()
	return j.fn(t)
}

// stmtCache keeps prepared statements: preparing costs more than running
// most of our statements. Statements with very long IN lists are not kept.
type stmtCache struct {
	db *sql.DB
	d  *Dialect
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

const maxCachedArgs = 64

func newStmtCache(db *sql.DB, d *Dialect) *stmtCache {
	return &stmtCache{db: db, d: d, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[q]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, c.d.bind(q))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if prev := c.m[q]; prev != nil {
		c.mu.Unlock()
		st.Close()
		return prev, nil
	}
	c.m[q] = st
	c.mu.Unlock()
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

// dbQuerier runs reads on the reader pool through cached statements.
type dbQuerier struct{ c *stmtCache }

func (d *dbQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	args = d.c.d.args(args)
	if len(args) > maxCachedArgs {
		return d.c.db.ExecContext(ctx, d.c.d.bind(q), args...)
	}
	st, err := d.c.get(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (d *dbQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	args = d.c.d.args(args)
	if len(args) > maxCachedArgs {
		return d.c.db.QueryContext(ctx, d.c.d.bind(q), args...)
	}
	st, err := d.c.get(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (d *dbQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	args = d.c.d.args(args)
	if len(args) > maxCachedArgs {
		return d.c.db.QueryRowContext(ctx, d.c.d.bind(q), args...)
	}
	st, err := d.c.get(ctx, q)
	if err != nil {
		// Let database/sql report the prepare error through Scan.
		return d.c.db.QueryRowContext(ctx, d.c.d.bind(q), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// txQuerier runs a transaction's statements through statements prepared
// once on the writer connection.
//
// They run on a context that is never cancelled: once the committer has
// started a job, the batch decides it, not the patience of the request
// that asked for it (its caller waits for the outcome all the same). A
// cancellable context would cost every statement a goroutine and two
// handoffs in the SQLite driver, which runs each Exec beside a watcher of
// ctx; and a cancelled one would interrupt the connection the whole batch
// shares.
type txQuerier struct {
	tx *sql.Tx
	c  *stmtCache
}

func (t *txQuerier) stmt(ctx context.Context, q string, n int) *sql.Stmt {
	if n > maxCachedArgs {
		return nil
	}
	st, err := t.c.get(ctx, q)
	if err != nil {
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t *txQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	args = t.c.d.args(args)
	if st := t.stmt(ctx, q, len(args)); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.c.d.bind(q), args...)
}

func (t *txQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	args = t.c.d.args(args)
	if st := t.stmt(ctx, q, len(args)); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.c.d.bind(q), args...)
}

func (t *txQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	args = t.c.d.args(args)
	if st := t.stmt(ctx, q, len(args)); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.c.d.bind(q), args...)
}
