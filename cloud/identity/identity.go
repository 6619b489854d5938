// Package identity is the real-name rules' identity documents (event plan
// §6.1.1 实名管理, §6.3.1.3 one ID one ticket): which documents a buyer or
// a holder may name, how each number is checked before anything else is
// asked of it (a resident ID's GB 11643 check digit, its date of birth),
// how it is shown masked, and the keyed hash that lets a store or a gate's
// cache compare two documents for equality without holding the number.
//
// The package is pure: no I/O, no clock but the one passed in.
package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Type is a kind of identity document.
type Type string

const (
	// ResidentID is the mainland resident identity card (居民身份证), and
	// the 18-character numbers that share its format and check digit:
	// residence permits for Hong Kong, Macau and Taiwan residents
	// (港澳台居民居住证, regions 81, 82, 83) and the foreigner's permanent
	// residence ID card of 2023 (外国人永久居留身份证, starting with 9).
	ResidentID Type = "resident_id"
	// HKMacauPermit is the mainland travel permit for Hong Kong and Macau
	// residents (港澳居民来往内地通行证): H or M and 8 digits (10 on the
	// older cards).
	HKMacauPermit Type = "hk_macau_permit"
	// TaiwanPermit is the mainland travel permit for Taiwan residents
	// (台湾居民来往大陆通行证): 8 digits (10 on the older cards).
	TaiwanPermit Type = "taiwan_permit"
	// Passport is any country's passport: 5 to 17 letters and digits.
	Passport Type = "passport"
)

// Types lists the document types, as a form offers them.
func Types() []Type { return []Type{ResidentID, HKMacauPermit, TaiwanPermit, Passport} }

// Document is a checked identity document: its type and its number,
// normalised (upper case, no spaces).
type Document struct {
	Type   Type   `json:"type"`
	Number string `json:"number"`
}

// Error says why a document number is refused.
type Error struct {
	Type   Type
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("identity: %s: %s", e.Type, e.Reason) }

// ErrUnknownType is a document type this package does not know.
var ErrUnknownType = errors.New("identity: unknown document type")

// Parse checks number as a document of type t and returns it normalised.
// now bounds a resident ID's date of birth (not in the future, not more
// than 150 years back).
func Parse(t Type, number string, now time.Time) (Document, error) {
	n := normalise(number)
	bad := func(reason string) (Document, error) { return Document{}, &Error{Type: t, Reason: reason} }
	switch t {
	case ResidentID:
		if len(n) != 18 {
			return bad("a resident ID has 18 characters")
		}
		if !digits(n[:17]) || !(isDigit(n[17]) || n[17] == 'X') {
			return bad("a resident ID is 17 digits and a check digit (0-9 or X)")
		}
		if want, _ := CheckDigit(n[:17]); n[17] != want {
			return bad("the check digit is wrong (a mistyped number)")
		}
		if n[0] != '9' { // the foreigner's card codes the nationality here, not a region
			if n[0] < '1' || n[0] > '8' {
				return bad("no such region")
			}
		}
		birth, err := time.Parse("20060102", n[6:14])
		if err != nil {
			return bad("the date of birth is not a date")
		}
		if birth.After(now) || birth.Before(now.AddDate(-150, 0, 0)) {
			return bad("the date of birth is not possible")
		}
	case HKMacauPermit:
		if len(n) != 9 && len(n) != 11 || (n[0] != 'H' && n[0] != 'M') || !digits(n[1:]) {
			return bad("a Hong Kong or Macau travel permit is H or M and 8 (or 10) digits")
		}
	case TaiwanPermit:
		if len(n) != 8 && len(n) != 10 || !digits(n) {
			return bad("a Taiwan travel permit is 8 (or 10) digits")
		}
	case Passport:
		if len(n) < 5 || len(n) > 17 || !alnum(n) {
			return bad("a passport number is 5 to 17 letters and digits")
		}
	default:
		return Document{}, fmt.Errorf("%w %q", ErrUnknownType, t)
	}
	return Document{Type: t, Number: n}, nil
}

// weights are GB 11643's: 2^(17-i) mod 11.
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// CheckDigit is the GB 11643 (ISO 7064 MOD 11-2) check character of the
// first 17 digits of a resident ID; false when they are not 17 digits.
func CheckDigit(first17 string) (byte, bool) {
	if len(first17) != 17 || !digits(first17) {
		return 0, false
	}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11], true
}

// BirthDate is a resident ID's date of birth.
func (d Document) BirthDate() (time.Time, bool) {
	if d.Type != ResidentID || len(d.Number) != 18 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102", d.Number[6:14])
	return t, err == nil
}

// Masked shows the first and last few characters only: 110***********123X,
// H*****678.
func (d Document) Masked() string {
	n := d.Number
	keep := 2
	if len(n) >= 15 {
		keep = 4
	}
	head := min(3, len(n)/3)
	if head+keep >= len(n) {
		return strings.Repeat("*", len(n))
	}
	return n[:head] + strings.Repeat("*", len(n)-head-keep) + n[len(n)-keep:]
}

// Key is a keyed hash of the document: equal documents have equal keys
// under one key, and a key tells nothing of the number without it. Stores
// index by it; a gate's cache holds it to match a card to a ticket.
func (d Document) Key(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("admit/identity/v1\x00"))
	m.Write([]byte(d.Type))
	m.Write([]byte{0})
	m.Write([]byte(d.Number))
	return hex.EncodeToString(m.Sum(nil))
}

func normalise(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r == ' ' || r == '-' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i] < 'A' || s[i] > 'Z') {
			return false
		}
	}
	return true
}
