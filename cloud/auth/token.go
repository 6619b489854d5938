package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token errors returned by TokenSigner.Parse.
var (
	ErrTokenInvalid = errors.New("auth: invalid token")
	ErrTokenExpired = errors.New("auth: token expired")
)

// Claims is what a login token asserts. Times have one-second resolution.
type Claims struct {
	UserID     int64
	Generation int64 // bumped by the store on password change / logout-all so old tokens die
	IssuedAt   time.Time
	Expires    time.Time
	Nonce      uint64 // random: each login's token is its own
}

// MinTokenSecret is the minimum secret length for NewTokenSigner.
const MinTokenSecret = 32

const (
	tokenPrefix  = "adm2."
	claimsLen    = 40 // four big-endian int64: user, generation, issued, expires (Unix seconds); 8 random bytes
	maxTokenLen  = 128
	tokenMACSize = sha256.Size
)

var b64url = base64.RawURLEncoding.Strict()

// TokenSigner issues and verifies stateless login tokens:
//
//	"adm2." + base64url(claims) + "." + base64url(HMAC-SHA256)
//
// The claims end in 8 random bytes, so that every login's token is its
// own (two logins in one second are two sessions, one logged out alone).
// The MAC covers everything before the last dot. The base64 decoding is
// strict, so each token has exactly one valid spelling. It is safe for
// concurrent use.
type TokenSigner struct {
	secret []byte
	now    func() time.Time
}

// NewTokenSigner returns a signer keyed by secret (at least 32 bytes,
// copied) that reads the time from now (time.Now if nil).
func NewTokenSigner(secret []byte, now func() time.Time) (*TokenSigner, error) {
	if len(secret) < MinTokenSecret {
		return nil, fmt.Errorf("auth: token secret must be at least %d bytes", MinTokenSecret)
	}
	if now == nil {
		now = time.Now
	}
	return &TokenSigner{secret: append([]byte(nil), secret...), now: now}, nil
}

// Issue returns a token for userID at generation, valid for ttl from now
// (rounded down to the second), and its expiry time.
func (s *TokenSigner) Issue(userID, generation int64, ttl time.Duration) (token string, expires time.Time) {
	now := s.now()
	iat, exp := now.Unix(), now.Add(ttl).Unix()
	var nonce [8]byte
	rand.Read(nonce[:])
	c := Claims{UserID: userID, Generation: generation, IssuedAt: time.Unix(iat, 0), Expires: time.Unix(exp, 0), Nonce: binary.BigEndian.Uint64(nonce[:])}
	return s.sign(c), c.Expires
}

func (s *TokenSigner) sign(c Claims) string {
	var buf [claimsLen]byte
	binary.BigEndian.PutUint64(buf[0:], uint64(c.UserID))
	binary.BigEndian.PutUint64(buf[8:], uint64(c.Generation))
	binary.BigEndian.PutUint64(buf[16:], uint64(c.IssuedAt.Unix()))
	binary.BigEndian.PutUint64(buf[24:], uint64(c.Expires.Unix()))
	binary.BigEndian.PutUint64(buf[32:], c.Nonce)
	body := tokenPrefix + b64url.EncodeToString(buf[:])
	return body + "." + b64url.EncodeToString(s.mac(body))
}

func (s *TokenSigner) mac(body string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Parse verifies token and returns its claims. It returns ErrTokenInvalid
// for anything not issued by a signer with this secret (malformed, altered,
// other secret) and ErrTokenExpired for a genuine token at or past its
// expiry. The caller must still compare Claims.Generation with the user's
// current generation.
func (s *TokenSigner) Parse(token string) (Claims, error) {
	if len(token) > maxTokenLen || !strings.HasPrefix(token, tokenPrefix) {
		return Claims{}, ErrTokenInvalid
	}
	// The base64 decoder skips '\r' and '\n'; allow only the token alphabet
	// so that every valid token has exactly one spelling.
	for i := 0; i < len(token); i++ {
		if !tokenByte(token[i]) {
			return Claims{}, ErrTokenInvalid
		}
	}
	dot := strings.LastIndexByte(token, '.')
	if dot < len(tokenPrefix) {
		return Claims{}, ErrTokenInvalid
	}
	body, sig := token[:dot], token[dot+1:]
	got, err := b64url.DecodeString(sig)
	if err != nil || len(got) != tokenMACSize || !hmac.Equal(got, s.mac(body)) {
		return Claims{}, ErrTokenInvalid
	}
	raw, err := b64url.DecodeString(body[len(tokenPrefix):])
	if err != nil || len(raw) != claimsLen {
		return Claims{}, ErrTokenInvalid
	}
	c := Claims{
		UserID:     int64(binary.BigEndian.Uint64(raw[0:])),
		Generation: int64(binary.BigEndian.Uint64(raw[8:])),
		IssuedAt:   time.Unix(int64(binary.BigEndian.Uint64(raw[16:])), 0),
		Expires:    time.Unix(int64(binary.BigEndian.Uint64(raw[24:])), 0),
		Nonce:      binary.BigEndian.Uint64(raw[32:]),
	}
	if !s.now().Before(c.Expires) {
		return Claims{}, ErrTokenExpired
	}
	return c, nil
}

func tokenByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}
