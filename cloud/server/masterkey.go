package server

import (
	"encoding/base64"
	"errors"
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

// SealFile seals a key file's content with the master key itself (files
// live outside the store, so not with its data key).
func SealFile(plain []byte, masterKeyFile string) ([]byte, error) {
	key, err := LoadMasterKey(masterKeyFile)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errors.New("sealing a file needs the master key (-master-key-file or ADMIT_MASTER_KEY)")
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, err
	}
	return box.Seal(plain), nil
}

// OpenFile opens a file's content that SealFile sealed; other content
// comes back as it is.
func OpenFile(b []byte, masterKeyFile string) ([]byte, error) {
	if !secrets.Sealed(b) {
		return b, nil
	}
	key, err := LoadMasterKey(masterKeyFile)
	if err != nil {
		return nil, err
	}
	var box *secrets.Box
	if key != nil {
		if box, err = secrets.NewBox(key); err != nil {
			return nil, err
		}
	}
	return box.Open(b)
}
