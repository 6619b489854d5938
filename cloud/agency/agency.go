// Package agency is selling through third-party agencies' systems (event
// plan §6.1.6, §6.1.10(2)–(5)): an agency has API keys (stored hashed,
// created, rotated and revoked by the organiser), its own quotas (a
// session quota naming its party), its own money (it collects from the
// buyer: an order is paid on its word and settled with it later, net of
// its commission and per-ticket service fee), a per-key request rate, and
// an idempotency key on every order so a retried order is never doubled.
// Every rule of the sale itself is the sales service's.
package agency

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/identity"
)

// Agency is a third party selling a tenant's tickets through its own
// system.
type Agency struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"tenant_id"`
	Code     string `json:"code"` // the organiser's name for it, unique per tenant
	Name     string `json:"name"`
	Enabled  bool   `json:"enabled"`
	// CommissionBP is the agency's commission in basis points of each
	// ticket's price (250: 2.5 %); ServiceFeeCents is the network service
	// fee it is paid per ticket. Settlement deducts both.
	CommissionBP    int   `json:"commission_bp"`
	ServiceFeeCents int64 `json:"service_fee_cents"`
	// RatePerSecond caps each of its keys' requests (burst: twice that).
	RatePerSecond int       `json:"rate_per_second"`
	CreatedAt     time.Time `json:"created_at"`
}

// Party is the agency as the sales service names who sold: its quotas
// and its orders carry it.
func (a Agency) Party() string { return PartyOf(a.ID) }

// PartyOf names agency id as a sales party.
func PartyOf(id int64) string { return "agency:" + strconv.FormatInt(id, 10) }

// DefaultRate is an agency's request rate per key unless set.
const DefaultRate = 20

// Validate checks an agency's own fields.
func (a Agency) Validate() []Problem {
	var ps []Problem
	if a.Code == "" || len(a.Code) > 32 || strings.IndexFunc(a.Code, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		ps = append(ps, Problem{"code", "1-32 lowercase letters, digits, - or _"})
	}
	if n := len([]rune(strings.TrimSpace(a.Name))); n == 0 || n > 80 {
		ps = append(ps, Problem{"name", "1-80 characters"})
	}
	if a.CommissionBP < 0 || a.CommissionBP > 10000 {
		ps = append(ps, Problem{"commission_bp", "0-10000 (basis points of the price)"})
	}
	if a.ServiceFeeCents < 0 || a.ServiceFeeCents > 1_000_000 {
		ps = append(ps, Problem{"service_fee_cents", "0-1000000"})
	}
	if a.RatePerSecond < 1 || a.RatePerSecond > 10_000 {
		ps = append(ps, Problem{"rate_per_second", "1-10000"})
	}
	return ps
}

// Problem names one wrong field.
type Problem struct{ Field, Message string }

// Key is one of an agency's API keys, as the organiser sees it: never
// the secret, which is shown once, at creation.
type Key struct {
	ID        int64     `json:"id"`
	AgencyID  int64     `json:"agency_id"`
	TenantID  int64     `json:"tenant_id"`
	Prefix    string    `json:"prefix"` // the key's public part, to tell keys apart
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	// EndsAt is when the key stops working: at once when revoked, after
	// a grace when rotated; nil while it is current.
	EndsAt *time.Time `json:"ends_at,omitempty"`
}

// Active reports whether the key works at now.
func (k Key) Active(now time.Time) bool { return k.EndsAt == nil || now.Before(*k.EndsAt) }

// keyTag starts every key: a leaked one is easy to recognise.
const keyTag = "agk_"

var prefixEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewSecret makes a key: its public prefix and the whole secret token
// ("agk_<prefix>_<secret>"), and the hash the store keeps.
func NewSecret() (prefix, token, hash string) {
	var p [5]byte
	var s [24]byte
	_, _ = rand.Read(p[:])
	_, _ = rand.Read(s[:])
	prefix = prefixEnc.EncodeToString(p[:])
	token = keyTag + prefix + "_" + base64.RawURLEncoding.EncodeToString(s[:])
	return prefix, token, HashToken(token)
}

// HashToken is what the store keeps of a token: the secret has 192
// random bits, so one SHA-256 is enough (no password stretching).
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ErrBadToken is a token that is not a key's shape.
var ErrBadToken = errors.New("agency: malformed API key")

// ParseToken returns a token's prefix, for the store's lookup.
func ParseToken(token string) (string, error) {
	rest, ok := strings.CutPrefix(token, keyTag)
	if !ok || len(token) != len(keyTag)+8+1+32 {
		return "", ErrBadToken
	}
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != 8 || len(secret) != 32 {
		return "", ErrBadToken
	}
	if _, err := prefixEnc.DecodeString(prefix); err != nil {
		return "", ErrBadToken
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil {
		return "", ErrBadToken
	}
	return prefix, nil
}

// TokenMatches compares a token with a stored hash in constant time.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}

// ValidIdempotencyKey reports whether k may name a request: 1-64
// printable ASCII characters without spaces (a UUID fits).
func ValidIdempotencyKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// OrderRequest is an agency's order: given seats, or a count of a price
// level's best seats; for a real-name event one holder per ticket, in
// the seats' order.
type OrderRequest struct {
	SessionID    int64    `json:"session_id"`
	SeatIDs      []int64  `json:"seat_ids,omitempty"`
	Count        int      `json:"count,omitempty"`
	TierID       int64    `json:"tier_id,omitempty"`
	AllowSplit   bool     `json:"allow_split,omitempty"`
	CustomerName string   `json:"customer_name,omitempty"`
	Reference    string   `json:"reference,omitempty"` // the agency's own order number
	Holders      []Holder `json:"holders,omitempty"`
}

// Holder is a ticket's holder by identity document.
type Holder struct {
	DocType   identity.Type `json:"doc_type"`
	DocNumber string        `json:"doc_number"`
	Name      string        `json:"name"`
}

// SameRequest reports whether an order made under an idempotency key
// answers req: a retry must ask for the same thing, or the key was
// reused for something else.
func SameRequest(req OrderRequest, sessionID int64, seatIDs []int64, reference string) bool {
	if req.SessionID != sessionID || req.Reference != reference {
		return false
	}
	if len(req.SeatIDs) > 0 {
		return slices.Equal(slices.Sorted(slices.Values(req.SeatIDs)), slices.Sorted(slices.Values(seatIDs)))
	}
	return req.Count == len(seatIDs)
}
