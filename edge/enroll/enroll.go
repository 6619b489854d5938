// Package enroll turns a one-time enrollment code into a device
// credential and keeps it on the device (0600).
package enroll

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	admitsync "github.com/admitbox/admit/sync"
)

// File is the credential's name in the data dir.
const File = "credential.json"

// Enroll exchanges code at the cloud's API for a credential.
func Enroll(ctx context.Context, apiURL, code string, client *http.Client) (admitsync.Credential, error) {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	body, _ := json.Marshal(map[string]string{"code": code})
	req, err := http.NewRequestWithContext(ctx, "POST", apiURL+"/api/v1/enroll", bytes.NewReader(body))
	if err != nil {
		return admitsync.Credential{}, fmt.Errorf("enroll: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return admitsync.Credential{}, fmt.Errorf("enroll: reach the cloud at %s: %w", apiURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return admitsync.Credential{}, fmt.Errorf("enroll: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return admitsync.Credential{}, fmt.Errorf("enroll: the cloud refused the code: %s", e.Error.Message)
		}
		return admitsync.Credential{}, fmt.Errorf("enroll: HTTP %d", resp.StatusCode)
	}
	var c admitsync.Credential
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("enroll: malformed credential: %w", err)
	}
	if err := Check(c); err != nil {
		return c, err
	}
	if c.APIURL == "" {
		c.APIURL = apiURL
	}
	return c, nil
}

// Check validates a credential.
func Check(c admitsync.Credential) error {
	switch {
	case admitsync.CheckID("device id", c.DeviceID) != nil:
		return admitsync.CheckID("device id", c.DeviceID)
	case len(c.Secret) < 16:
		return errors.New("enroll: credential has no secret")
	case len(c.SyncPublicKey) != ed25519.PublicKeySize:
		return errors.New("enroll: credential has no cloud sync key")
	case c.Role != "pos" && c.Role != "kiosk" && c.Role != "gate":
		return fmt.Errorf("enroll: unknown role %q", c.Role)
	case c.BrokerURL == "":
		return errors.New("enroll: credential names no broker")
	}
	return nil
}

// Save writes the credential into dir, readable by the owner only.
func Save(dir string, c admitsync.Credential) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save credential: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, File+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save credential: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, File))
}

// Load reads the credential from dir.
func Load(dir string) (admitsync.Credential, error) {
	var c admitsync.Credential
	p := filepath.Join(dir, File)
	fi, err := os.Stat(p)
	if err != nil {
		return c, fmt.Errorf("no credential in %s: enroll first (admit-edge enroll): %w", dir, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return c, fmt.Errorf("credential %s is readable by others (mode %v): chmod 600 it", p, fi.Mode().Perm())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("credential %s: %w", p, err)
	}
	return c, Check(c)
}
