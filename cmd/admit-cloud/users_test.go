package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// service opens the data dir's store as another process would.
func service(t *testing.T, dir string) (*sales.Service, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "admit.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := sales.New(context.Background(), st, sales.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// TestInitCreatesTheFirstAdminOnceAndResetRecoversIt: a fresh install has
// no user; init makes the platform admin from the password on stdin and
// refuses a second time; the admin, locked out by wrong passwords, is
// recovered from the shell with a generated password, and the reset is in
// the audit log under the shell user.
func TestInitCreatesTheFirstAdminOnceAndResetRecoversIt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := runIO([]string{"init", "-data", dir}, strings.NewReader("first-Admin-pass\n"), &out); err != nil {
		t.Fatalf("init: %v\n%s", err, out.String())
	}
	svc, st := service(t, dir)
	if _, err := svc.Login(ctx, "admin", "first-Admin-pass"); err != nil {
		t.Fatalf("the admin init made cannot log in: %v", err)
	}
	err := runIO([]string{"init", "-data", dir, "-username", "another"}, strings.NewReader("second-Admin-pass\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "a platform admin exists") {
		t.Fatalf("a second init: %v", err)
	}
	if _, err := svc.Login(ctx, "another", "second-Admin-pass"); err == nil {
		t.Fatal("the refused init created its admin")
	}
	if err := runIO([]string{"init", "-data", t.TempDir()}, strings.NewReader(""), &out); err == nil {
		t.Fatal("init with no password on stdin succeeded")
	}

	locked := false
	for range 20 {
		if _, err := svc.Login(ctx, "admin", "wrong-password-x"); sales.IsKind(err, sales.KindLocked) {
			locked = true
			break
		}
	}
	if _, err := svc.Login(ctx, "admin", "first-Admin-pass"); !locked || !sales.IsKind(err, sales.KindLocked) {
		t.Fatalf("the admin is not locked out (%v)", err)
	}
	out.Reset()
	if err := runIO([]string{"user", "reset-password", "-data", dir, "-username", "admin", "-generate"}, strings.NewReader(""), &out); err != nil {
		t.Fatalf("reset-password: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password printed:\n%s", out.String())
	}
	if _, err := svc.Login(ctx, "admin", m[1]); err != nil {
		t.Fatalf("the reset admin cannot log in with the new password: %v", err)
	}
	if _, err := svc.Login(ctx, "admin", "first-Admin-pass"); err == nil {
		t.Fatal("the old password still works")
	}
	var resets []audit.Entry
	st.AuditLog(ctx, sales.AuditFilter{}, func(e audit.Entry) error {
		if e.Action == "user.reset_password" {
			resets = append(resets, e)
		}
		return nil
	})
	if len(resets) != 1 || !strings.HasPrefix(resets[0].Actor, "shell:") {
		t.Fatalf("the reset's audit entries: %+v", resets)
	}
	if err := runIO([]string{"user", "reset-password", "-data", dir, "-username", "nobody", "-generate"}, strings.NewReader(""), &out); err == nil {
		t.Fatal("reset-password of an unknown user succeeded")
	}
}

// TestSecretsAreSealedWithTheMasterKeyFileAndRotate: an install started
// with a master key cannot be administered without it; rotating to a new
// key leaves the old one useless.
func TestSecretsAreSealedWithTheMasterKeyFileAndRotate(t *testing.T) {
	dir := t.TempDir()
	keyFile := func(name string, b byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k1, k2 := keyFile("k1", 1), keyFile("k2", 2)
	var out bytes.Buffer
	run := func(args ...string) error { return runIO(args, strings.NewReader(""), &out) }
	if err := run("init", "-data", dir, "-master-key-file", k1, "-generate"); err != nil {
		t.Fatal(err)
	}
	if err := run("user", "reset-password", "-data", dir, "-username", "admin", "-generate"); err == nil {
		t.Fatal("the store was used without its master key")
	}
	if err := run("secrets", "rotate", "-data", dir, "-master-key-file", k1, "-new-key-file", k2); err != nil {
		t.Fatal(err)
	}
	if err := run("user", "reset-password", "-data", dir, "-master-key-file", k1, "-username", "admin", "-generate"); err == nil {
		t.Fatal("the old master key still opens the store")
	}
	if err := run("user", "reset-password", "-data", dir, "-master-key-file", k2, "-username", "admin", "-generate"); err != nil {
		t.Fatalf("the new master key: %v", err)
	}
}

// TestAPlatformKeyFileSealedWithTheMasterKeyOpensOnlyWithIt: the key file
// the cloud signs its platform reports with can be kept sealed.
func TestAPlatformKeyFileSealedWithTheMasterKeyOpensOnlyWithIt(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k1 := write("k1", []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))))
	k2 := write("k2", []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))))
	pem := []byte("-----BEGIN PRIVATE KEY-----\nplatform key\n-----END PRIVATE KEY-----\n")
	clear := write("key.pem", pem)
	sealed := filepath.Join(dir, "key.pem.sealed")
	var out bytes.Buffer
	if err := runIO([]string{"secrets", "seal-file", "-from", clear, "-out", sealed, "-master-key-file", k1}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(sealed)
	if bytes.Contains(b, []byte("platform key")) {
		t.Fatal("the sealed file holds the key in clear")
	}
	if got, err := server.OpenFile(b, k1); err != nil || !bytes.Equal(got, pem) {
		t.Fatalf("open with the master key: %q %v", got, err)
	}
	if _, err := server.OpenFile(b, k2); err == nil {
		t.Fatal("another master key opened the file")
	}
	t.Setenv(server.MasterKeyEnv, "")
	if _, err := server.OpenFile(b, ""); err == nil {
		t.Fatal("the file opened without a master key")
	}
}
