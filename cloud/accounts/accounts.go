// Package accounts is the public's side of a shop (event plan §6.1.1): an
// account is a phone number proved by a text-message code, with a
// password; it carries its owner's verified identity and up to
// MaxHolders related people (关联订票人) who may hold its tickets.
//
// An identity document is checked (cloud/identity) before anything else
// and then verified by the identity provider (the police platform of
// §6.1.1(2); a simulator here), which answers match, no match, or later:
// documents it cannot check online wait in a manual-review queue for the
// organiser's staff. A person is verified once per shop: whoever names
// the same document again gets the earlier verdict without asking again.
// Only a keyed hash of the number and its masked form are kept; names and
// phones are sealed at rest.
//
// This file holds the types and rules, free of I/O.
package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Verdict is the identity provider's answer.
type Verdict string

const (
	Match   Verdict = "match"
	NoMatch Verdict = "no_match"
	Later   Verdict = "later" // it cannot check this document online: a person will
)

// State is where an identity's verification is.
type State string

const (
	Verified State = "verified"
	Rejected State = "rejected"
	Review   State = "review" // waiting for the organiser's staff
)

// StateOf is the state a verdict puts an identity in.
func StateOf(v Verdict) State {
	switch v {
	case Match:
		return Verified
	case NoMatch:
		return Rejected
	}
	return Review
}

// Identity is a person as the shop knows them: one per document.
type Identity struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	IDKey     string     `json:"-"`
	GateTag   string     `json:"-"` // the document under the tenant's holder key (sales.Ticket.Holder)
	DocType   string     `json:"doc_type"`
	DocMasked string     `json:"doc_masked"`
	Name      string     `json:"name"` // sealed when stored
	State     State      `json:"state"`
	Reason    string     `json:"reason,omitempty"`
	CheckedBy string     `json:"checked_by,omitempty"` // "provider" or the reviewer
	CreatedAt time.Time  `json:"created_at"`
	CheckedAt *time.Time `json:"checked_at,omitempty"`
}

// Account is a member of the public with a shop.
type Account struct {
	ID         int64      `json:"id"`
	TenantID   int64      `json:"tenant_id"`
	Phone      string     `json:"phone"` // sealed when stored; masked when shown
	PhoneKey   string     `json:"-"`     // keyed hash: finds the account by phone
	Password   string     `json:"-"`     // argon2id
	IdentityID int64      `json:"-"`
	Failures   int        `json:"-"`
	LastFail   *time.Time `json:"-"`
	Generation int64      `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	// Filled when shown: the owner's identity and the related people.
	Identity *Identity `json:"identity,omitempty"`
	Holders  []Holder  `json:"holders"`
}

// Holder is a related person of an account.
type Holder struct {
	ID       int64    `json:"id"` // the link's id
	Identity Identity `json:"identity"`
}

// Code is a text-message code sent to a phone.
type Code struct {
	PhoneKey string
	Hash     string // HMAC of the code
	SentAt   time.Time
	Expires  time.Time
	Attempts int
}

// Limits.
const (
	MaxHolders   = 5
	CodeTTL      = 5 * time.Minute
	CodeEvery    = time.Minute // at most one code a minute per phone
	CodeAttempts = 5           // wrong codes before a new one is needed
	TokenTTL     = 7 * 24 * time.Hour
)

// Errors of the rules.
var (
	ErrNotFound  = errors.New("accounts: not found")
	ErrDuplicate = errors.New("accounts: already there")
	ErrChanged   = errors.New("accounts: changed meanwhile")
)

// NormalisePhone keeps a phone's digits (and a leading +): 6 to 20 of them.
func NormalisePhone(p string) (string, bool) {
	p = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(p))
	digits := strings.TrimPrefix(p, "+")
	if len(digits) < 6 || len(digits) > 20 {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return p, true
}

// NewCode makes a six-digit code.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("accounts: code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// Keyed hashes: a phone's (to find its account) and a code's (to check it
// without keeping it).
func keyed(key []byte, domain, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

// PhoneKey is the keyed hash of a normalised phone.
func PhoneKey(key []byte, phone string) string { return keyed(key, "phone", phone) }

// CodeHash is the keyed hash of a code for a phone.
func CodeHash(key []byte, phoneKey, code string) string { return keyed(key, "code:"+phoneKey, code) }

// CheckCode says whether code is the one sent, still valid at now.
func CheckCode(key []byte, c Code, code string, now time.Time) error {
	switch {
	case c.Attempts >= CodeAttempts:
		return errors.New("too many wrong codes: ask for a new one")
	case !now.Before(c.Expires):
		return errors.New("the code has expired: ask for a new one")
	case !hmac.Equal([]byte(CodeHash(key, c.PhoneKey, strings.TrimSpace(code))), []byte(c.Hash)):
		return errors.New("the code is wrong")
	}
	return nil
}

// MaskPhone keeps a phone's first three and last four digits.
func MaskPhone(p string) string {
	if len(p) <= 7 {
		return "****"
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}
