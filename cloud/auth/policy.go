package auth

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// PasswordPolicy is what a new password must be (event-ticketing-system
// plan §6.1.1(4): strength, rotation; 等保: no reuse). The zero policy
// asks only for MinPasswordLen characters.
type PasswordPolicy struct {
	// MinLength is the least number of characters (at least MinPasswordLen).
	MinLength int `json:"min_length"`
	// Classes is how many of lower-case letters, upper-case letters,
	// digits and other characters a password must mix (0-4).
	Classes int `json:"classes"`
	// History refuses the current password and the History-1 before it.
	History int `json:"history"`
	// MaxAgeDays is how long a password lasts; after it a login says the
	// password has expired (0: never).
	MaxAgeDays int `json:"max_age_days"`
}

// ErrPasswordReused is a new password that is one of the last ones.
var ErrPasswordReused = errors.New("auth: that password was used recently; choose another")

// Check checks a new password's length and mix.
func (p PasswordPolicy) Check(pw string) error {
	if err := ValidatePassword(pw); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(pw); n < p.MinLength {
		return fmt.Errorf("auth: password shorter than %d characters", p.MinLength)
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	have := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			have++
		}
	}
	if have < min(p.Classes, 4) {
		return fmt.Errorf("auth: a password must mix %d of lower-case, upper-case, digits and other characters", p.Classes)
	}
	return nil
}

// Reused reports whether pw is the password of current or of one of the
// previous hashes the policy still remembers.
func (p PasswordPolicy) Reused(pw, current string, previous []string) (bool, error) {
	if p.History <= 0 {
		return false, nil
	}
	hashes := append([]string{current}, previous[:min(len(previous), p.History-1)]...)
	for _, h := range hashes {
		if h == "" {
			continue
		}
		ok, err := CheckPassword(h, pw)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// Remember is the previous hashes to keep once current is replaced.
func (p PasswordPolicy) Remember(current string, previous []string) []string {
	if p.History <= 1 || current == "" {
		return nil
	}
	out := append([]string{current}, previous...)
	return out[:min(len(out), p.History-1)]
}

// Expired reports whether a password set at changed has run out by now.
func (p PasswordPolicy) Expired(changed *time.Time, now time.Time) bool {
	return p.MaxAgeDays > 0 && changed != nil && now.Sub(*changed) > time.Duration(p.MaxAgeDays)*24*time.Hour
}
