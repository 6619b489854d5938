// Package pgtest gives tests a fresh schema of the machine's PostgreSQL
// (ADMIT_TEST_POSTGRES_DSN, which .ci/run sets) and skips them without one.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that holds the test database's URL.
const Env = "ADMIT_TEST_POSTGRES_DSN"

// Available reports whether a test database is configured.
func Available() bool { return os.Getenv(Env) != "" }

// Schema creates a schema, dropped when the test ends, and returns a URL
// whose connections use it, an administrative connection and its name.
// Without a test database the test is skipped.
func Schema(t testing.TB) (dsn string, admin *pgx.Conn, schema string) {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skip(Env + " is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema = "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		conn.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, conn, schema
}
