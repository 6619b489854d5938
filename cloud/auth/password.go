package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are the argon2id cost parameters.
type PasswordParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // parallelism
}

// DefaultPasswordParams returns the OWASP-recommended argon2id parameters:
// 19 MiB of memory, 2 passes, 1 thread.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}
}

const (
	saltLen = 16
	keyLen  = 32

	// Bounds on parameters accepted from a stored hash, so a corrupted or
	// hostile row cannot make a login burn a gigabyte or a minute of CPU.
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	maxThreads   = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128

	// MinPasswordLen is the minimum password length in characters.
	MinPasswordLen = 10
	// MaxPasswordBytes is the maximum password length in bytes.
	MaxPasswordBytes = 256
)

// ErrMalformedHash is returned (wrapped) by CheckPassword for a stored hash
// that is not a well-formed argon2id PHC string with sane parameters.
var ErrMalformedHash = errors.New("auth: malformed password hash")

var b64 = base64.RawStdEncoding.Strict()

func (p PasswordParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d out of range 1..%d", p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("threads %d out of range 1..%d", p.Threads, maxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB out of range %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxMemoryKiB)
	}
	return nil
}

// HashPassword hashes password with argon2id under p and a fresh 16-byte
// random salt, returning a PHC string:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>
func HashPassword(p PasswordParams, password string) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("auth: bad password params: %v", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string encoded,
// using the parameters recorded in it and a constant-time comparison. A
// malformed string, or one with absurd parameters, is an error wrapping
// ErrMalformedHash.
func CheckPassword(encoded, password string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func decodeHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	bad := func(why string) (PasswordParams, []byte, []byte, error) {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if strings.ContainsAny(encoded, "\r\n") { // the base64 decoder would skip them
		return bad("contains a line break")
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=..$m=..,t=..,p=..$salt$hash")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return bad("want m=..,t=..,p=..")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(kv[i], name)
		if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
			return bad("want m=..,t=..,p=..")
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return bad("parameter out of range")
		}
		vals[i] = v
	}
	if vals[2] > maxThreads {
		return bad("parameter out of range")
	}
	p = PasswordParams{MemoryKiB: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := p.validate(); err != nil {
		return bad(err.Error())
	}
	salt, err = b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("bad salt")
	}
	key, err = b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("bad hash")
	}
	return p, salt, key, nil
}

// ValidatePassword checks a new password against the policy: at least
// MinPasswordLen characters and at most MaxPasswordBytes bytes.
func ValidatePassword(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("auth: password longer than %d bytes", MaxPasswordBytes)
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Errorf("auth: password shorter than %d characters", MinPasswordLen)
	}
	return nil
}
