package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitbox/admit/internal/pgtest"
)

func TestMigrateCreatesTheDatabaseAtTheLatestSchema(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"migrate", "-data", dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "admit.db")); err != nil {
		t.Fatalf("no database: %v", err)
	}
	// Running it again is harmless.
	if err := run([]string{"migrate", "-data", dir}); err != nil {
		t.Fatal(err)
	}
}

func TestAConfigFileWithAnUnknownKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "admit.json")
	if err := os.WriteFile(cfg, []byte(`{"listen":"127.0.0.1:0","data_dir":"`+dir+`","lisen":"typo"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"migrate", "-config", cfg})
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("err = %v, want it to name the unknown key", err)
	}
}

func TestUnknownCommandIsRefused(t *testing.T) {
	if err := run([]string{"frob"}); err == nil {
		t.Fatal("an unknown command ran")
	}
}

func TestBackupAndRestoreFromTheCommandLine(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	if err := run([]string{"migrate", "-data", dir}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if err := run([]string{"backup", "-data", dir}); err == nil {
		t.Fatal("a backup without -out")
	}
	if err := run([]string{"backup", "-data", dir, "-out", backup}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"restore", "-from", backup, "-data", other}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(other, "admit.db")); err != nil {
		t.Fatalf("nothing restored: %v", err)
	}
	if err := run([]string{"restore", "-from", backup, "-data", other}); err == nil || !strings.Contains(err.Error(), "holds a database") {
		t.Fatalf("a restore over a database: %v", err)
	}
	// A damaged backup is refused and restores nothing.
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(damaged, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if err := run([]string{"restore", "-from", damaged, "-data", empty}); err == nil {
		t.Fatal("a damaged backup was restored")
	}
	if _, err := os.Stat(filepath.Join(empty, "admit.db")); err == nil {
		t.Fatal("a damaged backup left a database behind")
	}
}

func TestMigrateAPostgreSQLDatabase(t *testing.T) {
	dsn, _, _ := pgtest.Schema(t)
	var out bytes.Buffer
	if err := runIO([]string{"migrate", "-db", dsn}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if err := runIO([]string{"backup", "-db", dsn, "-out", filepath.Join(t.TempDir(), "b")}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "pg_basebackup") {
		t.Fatalf("backup of PostgreSQL: %v", err)
	}
	// The first admin of a PostgreSQL install.
	if err := runIO([]string{"init", "-db", dsn, "-generate"}, strings.NewReader(""), &out); err != nil {
		t.Fatalf("init on PostgreSQL: %v", err)
	}
}
