// Package postgres is the cloud's store on PostgreSQL (github.com/jackc/pgx/v5),
// for operators who outgrow one machine: several cloud processes on one
// database (cloud-ticketing-requirements §5.1.1, §6.2.4;
// event-ticketing-system-plan §6.4.2–6.4.3).
//
// Open serves the sales.Store contract (cloud/store/sqlstore's SQL, with
// this package's Dialect) on a database whose schema Migrate keeps as
// versioned migrations: the SQLite store's tables, columns and indexes,
// the seat change log kept by a trigger as there, applied once however
// many processes start at the same moment. doc.go says how several
// processes share one database.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migration is one versioned file, NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func load() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for i, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("postgres: migration %s: want version %d first in its name", base, i+1)
		}
		b, err := migrations.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// Latest is the schema version this build migrates to.
func Latest() int {
	ms, err := load()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrateLock is the advisory lock every migrating process holds.
const migrateLock = 7_302_118_001

// Migrate brings the database at dsn to the latest schema and says its
// version. Each migration runs in its own transaction with its record in
// schema_migrations; processes migrating at once wait for each other (an
// advisory lock), so each migration is applied once.
func Migrate(ctx context.Context, dsn string) (int, error) {
	ms, err := load()
	if err != nil {
		return 0, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Up to date: nothing to write (a hot standby, read-only, opens too).
	var have int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err == nil && have >= len(ms) {
		if have > len(ms) {
			return have, fmt.Errorf("postgres: database schema version %d is newer than this program (%d)", have, len(ms))
		}
		return have, nil
	}
	// One migrating process at a time; the lock goes with the connection.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return 0, fmt.Errorf("postgres: wait for other migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("postgres: schema_migrations: %w", err)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.version, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}
