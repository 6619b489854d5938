package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/admitbox/admit/cloud/sales"
)

// Backups (cloud-ticketing-requirements §6.2.4: a daily cold backup,
// recovery). A backup is one consistent copy of the database taken while
// sales go on: VACUUM INTO reads one snapshot (a read transaction, which
// in WAL mode never blocks the writer) and writes a compact copy. Every
// sale committed before the backup began is in it; none committed after.

// Backup writes a consistent copy of the database to path, which must not
// exist, and syncs it to the disk.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("sqlite: backup: %s exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := s.r.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	if err := syncFile(path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// BackupReport is what a check found in a backup.
type BackupReport struct {
	SchemaVersion int    `json:"schema_version"`
	Integrity     string `json:"integrity"` // "ok", or SQLite's first complaint
	AuditEntries  int64  `json:"audit_entries"`
	AuditOK       bool   `json:"audit_ok"`
	AuditBreak    string `json:"audit_break,omitempty"`
	Orders        int64  `json:"orders"`
	Tickets       int64  `json:"tickets"`
}

// OK says whether the backup can be restored.
func (r BackupReport) OK() bool { return r.Integrity == "ok" && r.AuditOK }

// CheckBackup checks a backup without changing it: SQLite's integrity
// check and the audit log's hash chain, and counts what it holds. A copy
// of the file is checked (opening a store migrates it), so the backup
// itself stays as it was taken.
func CheckBackup(ctx context.Context, path string) (BackupReport, error) {
	tmp, err := os.MkdirTemp("", "admit-backup-check-")
	if err != nil {
		return BackupReport{}, err
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, "admit.db")
	if err := copyFile(path, copyPath); err != nil {
		return BackupReport{}, fmt.Errorf("sqlite: check backup: %w", err)
	}
	return check(ctx, copyPath)
}

func check(ctx context.Context, path string) (BackupReport, error) {
	var rep BackupReport
	st, err := Open(ctx, path, Options{})
	if err != nil {
		return rep, fmt.Errorf("sqlite: check backup: %w", err)
	}
	defer st.Close()
	if rep.SchemaVersion, err = st.SchemaVersion(ctx); err != nil {
		return rep, err
	}
	if err := st.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&rep.Integrity); err != nil {
		return rep, fmt.Errorf("sqlite: integrity check: %w", err)
	}
	if err := st.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM tickets)`).Scan(&rep.Orders, &rep.Tickets); err != nil {
		return rep, fmt.Errorf("sqlite: check backup: %w", err)
	}
	a, err := sales.VerifyAudit(ctx, st)
	if err != nil {
		return rep, err
	}
	rep.AuditEntries, rep.AuditOK = a.Entries, a.OK
	if a.Break != nil {
		rep.AuditBreak = a.Break.Error()
	}
	return rep, nil
}

// Restore makes dir's database the backup at from: it checks the backup,
// refuses a dir that holds a database, copies it in (synced, then renamed
// into place) and brings its schema up to this version.
func Restore(ctx context.Context, from, dir string) (BackupReport, error) {
	rep, err := CheckBackup(ctx, from)
	if err != nil {
		return rep, err
	}
	if !rep.OK() {
		return rep, fmt.Errorf("sqlite: restore: the backup does not check: integrity %q, audit chain %s", rep.Integrity, rep.AuditBreak)
	}
	dst := filepath.Join(dir, "admit.db")
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("sqlite: restore: %s holds a database; restore into an empty data dir", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rep, err
	}
	tmp := dst + ".restore"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return rep, fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return rep, fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return rep, err
	}
	return check(ctx, dst)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncFile syncs a file, or a directory's entries.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
