package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/edge/agent"
)

// TestEnrollRunAndStatus drives the binary's commands against a real cloud.
func TestEnrollRunAndStatus(t *testing.T) {
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{DataDir: t.TempDir(), Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	svc := srv.Svc
	root, err := svc.CreatePlatformAdmin(ctx, "root", "correct-horse-battery")
	if err != nil {
		t.Fatal(err)
	}
	pa := sales.Principal{UserID: root.ID, Username: root.Username, Role: auth.RolePlatformAdmin}
	tn, err := svc.CreateTenant(ctx, pa, sales.NewTenant{Code: "tenant", Name: "T"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.CreateVenue(ctx, pa, sales.NewVenue{TenantID: tn.ID, Code: "31000009", Name: "V"})
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := svc.RegisterDevice(ctx, pa, v.ID, sales.NewDevice{Role: "gate", Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, []string{"enroll", "-api", srv.URL, "-code", code, "-data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "enrolled as dev-") {
		t.Fatalf("enroll said %q", out.String())
	}
	if err := run(ctx, []string{"enroll", "-api", srv.URL, "-code", code, "-data", t.TempDir()}, &out); err == nil {
		t.Fatal("a used code enrolled a second device")
	}
	if err := run(ctx, []string{"status", "-data", dir}, &out); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("status of a stopped agent: %v", err)
	}

	// A device config that does not fit the gate stops run before it starts.
	bad := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(bad, []byte(`{"printer": {"profile": "printer/snbc-bt-t080-kiosk-80mm"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"run", "-data", dir, "-listen", "127.0.0.1:0", "-devices", bad}, &out)
	if err == nil || !strings.Contains(err.Error(), bad+": printer: a gate has no printer") {
		t.Fatalf("run with a printer on a gate: %v", err)
	}

	a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.WaitUntil(wctx, func(s agent.Status) bool { return s.Connected && s.FeedLag == 0 && s.FeedSeq > 0 }); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"status", "-data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"broker:      connected", "feed:        position", "lag 0", "outbox:      0 facts", "cache:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}
