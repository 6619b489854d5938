package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
