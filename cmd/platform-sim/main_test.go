package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admitbox/admit/internal/platformsim"
)

// TestThePlatformRunsAsItsOwnProcess builds the command, starts it with a
// fault flag, registers a system over HTTPS with the CA it wrote, sees the
// fault answered, and stops it with SIGTERM.
func TestThePlatformRunsAsItsOwnProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "platform-sim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ca := filepath.Join(dir, "ca.pem")
	cmd := exec.Command(bin, "-admin-token", "tok", "-ca-out", ca, "-status", "503")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(lines) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		lines[k] = v
	}
	if lines["ADMIN_TOKEN"] != "tok" || lines["CA"] != ca || !strings.HasPrefix(lines["URL"], "https://127.0.0.1:") {
		t.Fatalf("the process printed %v", lines)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	b, _ := json.Marshal(platformsim.SystemRequest{Code: "ADMIT", Version: "1", Address: "https://x"})
	req, _ := http.NewRequest("POST", lines["URL"]+"/admin/systems", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("register over HTTPS trusting only the written CA: %v", err)
	}
	var is platformsim.Issued
	json.NewDecoder(resp.Body).Decode(&is)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(is.CertPEM, "BEGIN CERTIFICATE") {
		t.Fatalf("register: %d %+v", resp.StatusCode, is)
	}
	resp, err = c.Post(lines["URL"]+"/api/v1/tickets", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("-status 503 answered %d", resp.StatusCode)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
