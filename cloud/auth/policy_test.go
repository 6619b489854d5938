package auth

import (
	"testing"
	"time"
)

func TestPolicyChecksLengthAndMix(t *testing.T) {
	p := PasswordPolicy{MinLength: 12, Classes: 3}
	for pw, ok := range map[string]bool{
		"short-Aa1":           false, // too short
		"alllowercaseletters": false, // one class
		"lowerUPPERonly":      false, // two classes
		"lower-UPPER-mixed":   true,  // lower, upper, other
		"票务系统的密码Abc12":        true,  // CJK counts as other
	} {
		if err := p.Check(pw); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", pw, err, ok)
		}
	}
	if err := (PasswordPolicy{}).Check("short"); err == nil {
		t.Error("the zero policy let a password under MinPasswordLen through")
	}
}

func TestPolicyRemembersTheLastPasswords(t *testing.T) {
	params := PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}
	p := PasswordPolicy{History: 3}
	var current string
	var previous []string
	set := func(pw string) {
		h, err := HashPassword(params, pw)
		if err != nil {
			t.Fatal(err)
		}
		previous = p.Remember(current, previous)
		current = h
	}
	for _, pw := range []string{"first-password", "second-password", "third-password"} {
		set(pw)
	}
	for pw, want := range map[string]bool{"third-password": true, "second-password": true, "first-password": true, "fourth-password": false} {
		if got, err := p.Reused(pw, current, previous); err != nil || got != want {
			t.Errorf("%s reused: %v %v, want %v", pw, got, err, want)
		}
	}
	set("fourth-password")
	if got, _ := p.Reused("first-password", current, previous); got {
		t.Error("the fourth password back is still remembered with a history of 3")
	}
	if len(previous) != 2 {
		t.Errorf("%d previous hashes kept for a history of 3", len(previous))
	}
}

func TestPolicyExpiry(t *testing.T) {
	set := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := PasswordPolicy{MaxAgeDays: 90}
	if p.Expired(&set, set.AddDate(0, 0, 89)) || !p.Expired(&set, set.AddDate(0, 0, 91)) {
		t.Fatal("a 90-day password expires at the wrong time")
	}
	if (PasswordPolicy{}).Expired(&set, set.AddDate(10, 0, 0)) {
		t.Fatal("passwords expire without a policy")
	}
}
