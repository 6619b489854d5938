package enroll

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admitsync "github.com/admitbox/admit/sync"
)

func credential(t *testing.T) admitsync.Credential {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return admitsync.Credential{DeviceID: "dev-abc", Secret: []byte("0123456789abcdef0123"), VenueCode: "11000001", Role: "gate",
		SyncPublicKey: pub, BrokerURL: "tcp://127.0.0.1:1"}
}

func TestACredentialIsKeptOwnerOnlyAndReadBack(t *testing.T) {
	dir := t.TempDir()
	c := credential(t)
	if err := Save(dir, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := Load(dir)
	if err != nil || got.DeviceID != c.DeviceID || string(got.Secret) != string(c.Secret) {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if err := os.Chmod(filepath.Join(dir, File), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable credential loaded: %v", err)
	}
}

func TestEnrollRefusesWhatTheCloudRefusesAndChecksTheAnswer(t *testing.T) {
	c := credential(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Code string }
		json.NewDecoder(r.Body).Decode(&in)
		switch in.Code {
		case "GOOD":
			json.NewEncoder(w).Encode(c)
		case "NOKEY":
			bad := c
			bad.SyncPublicKey = nil
			json.NewEncoder(w).Encode(bad)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"bad_enrollment_code","message":"the code is unknown, used or expired"}}`))
		}
	}))
	defer srv.Close()
	got, err := Enroll(context.Background(), srv.URL, "GOOD", nil)
	if err != nil || got.DeviceID != c.DeviceID || got.APIURL != srv.URL {
		t.Fatalf("Enroll = %+v, %v", got, err)
	}
	if _, err := Enroll(context.Background(), srv.URL, "USED", nil); err == nil || !strings.Contains(err.Error(), "used or expired") {
		t.Fatalf("a refused code: %v", err)
	}
	if _, err := Enroll(context.Background(), srv.URL, "NOKEY", nil); err == nil {
		t.Fatal("a credential without the cloud's key was accepted")
	}
}
