package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/server"
)

// TestTheAPIServesHTTPSWithStrictTransportSecurity: with a certificate the
// cloud answers HTTPS only, every answer carries HSTS and nosniff, and a
// plain HTTP request is refused.
func TestTheAPIServesHTTPSWithStrictTransportSecurity(t *testing.T) {
	cert, key := selfSigned(t)
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{DataDir: t.TempDir(), TLSCert: cert, TLSKey: key,
		Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("the cloud's URL is %s", srv.URL)
	}
	pemBytes, _ := os.ReadFile(cert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	for _, path := range []string{"/health/live", "/api/v1/openapi.json", "/"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET %s: %d, headers %v", path, resp.StatusCode, resp.Header)
		}
	}
	plain := "http://" + strings.TrimPrefix(srv.URL, "https://")
	if resp, err := http.Get(plain + "/health/live"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("the cloud answered plain HTTP")
		}
	}
	if _, err := server.Start(ctx, server.Config{DataDir: t.TempDir(), TLSCert: cert}); err == nil {
		t.Fatal("a certificate without its key was accepted")
	}
}
