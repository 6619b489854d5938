package sales

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/admitbox/admit/cloud/auth"
)

// LoginSession is one login: the token it handed out (by hash only), when
// it was last used, and how it ended. Tokens stay stateless to check; the
// session is what lets a login end before its token expires (logout, idle
// timeout) and what says who is online.
type LoginSession struct {
	TokenHash  string     `json:"-"`
	ID         string     `json:"id"` // a short, non-secret handle for screens
	UserID     int64      `json:"user_id"`
	Username   string     `json:"username"`
	Role       auth.Role  `json:"role"`
	VenueIDs   []int64    `json:"venue_ids,omitempty"`
	TenantID   int64      `json:"tenant_id"`
	Generation int64      `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	EndReason  string     `json:"end_reason,omitempty"`
}

// Why a login ended.
const (
	EndLogout = "logout"
	EndIdle   = "idle_timeout"
)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// idleTimeout is how long a login may go unused (0: forever).
func (s *Service) idleTimeout() time.Duration {
	if s.cfg.IdleTimeout < 0 {
		return 0
	}
	return s.cfg.IdleTimeout
}

// touchEvery is how stale a session's last-seen time may get before a
// request writes it again: a small part of the idle timeout, so a busy
// clerk costs one write a minute, not one per request.
func (s *Service) touchEvery() time.Duration {
	d := s.idleTimeout() / 10
	if d <= 0 || d > time.Minute {
		d = time.Minute
	}
	return d
}

// checkSession is the stateful half of authentication: the token's login
// must not have ended or gone idle. It records that the login was used.
func (s *Service) checkSession(ctx context.Context, token string, p Principal) error {
	h := tokenHash(token)
	l, err := s.store.GetLoginSession(ctx, h)
	if err != nil && !IsKind(err, KindNotFound) {
		return fmt.Errorf("read the login: %w", err)
	}
	if err != nil || l.EndedAt != nil {
		return &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Message: "logged out; log in again"}
	}
	now := s.now()
	if idle := s.idleTimeout(); idle > 0 && now.Sub(l.LastSeenAt) >= idle {
		err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
			ended, err := tx.EndLoginSession(ctx, h, now, EndIdle)
			if err == nil && ended {
				rec(change{action: "session.idle_timeout", object: "user:" + itoa(p.UserID), tenantID: p.TenantID, actor: "system",
					reason: fmt.Sprintf("unused for %s (idle_timeout)", now.Sub(l.LastSeenAt).Round(time.Second))})
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("end an idle login: %w", err)
		}
		return &Error{Kind: KindUnauthenticated, Code: "session_idle", Message: "logged out after a time without use; log in again"}
	}
	if now.Sub(l.LastSeenAt) >= s.touchEvery() {
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchLoginSession(ctx, h, now) }); err != nil {
			return fmt.Errorf("record a login's use: %w", err)
		}
	}
	return nil
}

// Logout ends the login that token belongs to, at once, on every cloud
// process: the token is refused from then on.
func (s *Service) Logout(ctx context.Context, p Principal, token string) error {
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		ended, err := tx.EndLoginSession(ctx, tokenHash(token), s.now(), EndLogout)
		if err == nil && ended {
			rec(change{action: "session.logout", object: "user:" + itoa(p.UserID), tenantID: p.TenantID})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.authMu.Lock()
	delete(s.auth, token)
	s.authMu.Unlock()
	return nil
}

// OnlineWindow is how recently a login must have been used to count as
// online when no idle timeout is set.
const OnlineWindow = 15 * time.Minute

// OnlineUsers lists the logins in use: of the caller's tenant (and venues,
// for a venue manager), or of every tenant for a platform admin. Seen within the idle timeout (or
// OnlineWindow), not ended, not expired.
func (s *Service) OnlineUsers(ctx context.Context, p Principal) ([]LoginSession, error) {
	if err := authorize(p, auth.ReadAudit); err != nil {
		return nil, err
	}
	window := s.idleTimeout()
	if window <= 0 || window > OnlineWindow {
		window = OnlineWindow
	}
	tenant := p.TenantID
	if p.Role == auth.RolePlatformAdmin {
		tenant = -1
	}
	now := s.now()
	ls, err := s.store.LiveLoginSessions(ctx, tenant, now.Add(-window-s.touchEvery()), now)
	if err != nil {
		return nil, fmt.Errorf("online users: %w", err)
	}
	out := ls[:0]
	for _, l := range ls {
		if !p.Role.TenantWide() && !slices.ContainsFunc(l.VenueIDs, p.SeesVenue) {
			continue // a venue manager sees the people of the venues they run
		}
		l.ID = l.TokenHash[:12]
		out = append(out, l)
	}
	return out, nil
}
