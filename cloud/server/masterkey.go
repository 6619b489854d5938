package server

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/admitbox/admit/cloud/secrets"
)

// MasterKeyEnv names the environment variable that may hold the master key.
const MasterKeyEnv = "ADMIT_MASTER_KEY"

// LoadMasterKey reads the master key that seals the store's secrets:
// base64 of 32 bytes, from the file when one is named, else from
// ADMIT_MASTER_KEY; neither: no key (nil). The key never sits in the
// database.
func LoadMasterKey(file string) ([]byte, error) {
	v := os.Getenv(MasterKeyEnv)
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		v = string(b)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(key) != secrets.KeySize {
		return nil, fmt.Errorf("master key: %d bytes in base64 (openssl rand -base64 32)", secrets.KeySize)
	}
	return key, nil
}
