package auth

import "time"

// Lockout decides whether an account is locked after repeated failed
// logins. The caller stores the failure count and the time of the last
// failure, and resets the count on a successful login.
type Lockout struct {
	MaxFailures int           // failures that lock the account; <= 0 disables lockout
	Window      time.Duration // how long after the last failure the lock lasts
}

// DefaultLockout locks an account for 15 minutes after 5 failures.
func DefaultLockout() Lockout {
	return Lockout{MaxFailures: 5, Window: 15 * time.Minute}
}

// Locked reports whether the account is locked at now: failures has
// reached MaxFailures and now is before lastFailure+Window.
func (l Lockout) Locked(failures int, lastFailure, now time.Time) bool {
	if l.MaxFailures <= 0 || failures < l.MaxFailures {
		return false
	}
	return now.Before(lastFailure.Add(l.Window))
}
