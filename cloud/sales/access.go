package sales

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/admitbox/admit/cloud/auth"
)

// LoginResult is what a successful login returns.
type LoginResult struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
	// PasswordExpired says the password is older than the policy allows:
	// the client should have the user change it now.
	PasswordExpired bool `json:"password_expired,omitempty"`
}

var errBadLogin = &Error{Kind: KindUnauthenticated, Code: "bad_credentials", Message: "wrong username or password"}

// Login checks a password. Repeated failures lock the account for a while;
// a locked account refuses even the right password, with the same delay
// cost, so the lockout cannot be probed cheaply.
func (s *Service) Login(ctx context.Context, username, password string) (LoginResult, error) {
	u, err := s.store.GetUserByName(ctx, username)
	if IsKind(err, KindNotFound) {
		// Spend the same work as a real check so timing does not reveal users.
		_, _ = auth.CheckPassword(s.dummyHash(), password)
		return LoginResult{}, errBadLogin
	}
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	now := s.now()
	if u.LastFailedAt != nil && s.cfg.Lockout.Locked(u.FailedLogins, *u.LastFailedAt, now) {
		return LoginResult{}, &Error{Kind: KindLocked, Code: "account_locked",
			Message: "too many failed logins; try again later or ask an administrator"}
	}
	ok, err := auth.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: check password: %w", err)
	}
	if !ok || u.Disabled {
		// A lockout that has run out starts a fresh count: one typo after
		// it must not lock the account again.
		expired := u.FailedLogins >= s.cfg.Lockout.MaxFailures
		err := s.store.Update(ctx, func(tx Tx) error {
			if expired {
				if err := tx.RecordLogin(ctx, u.ID, false, now); err != nil {
					return err
				}
			}
			return tx.RecordLogin(ctx, u.ID, true, now)
		})
		if err != nil {
			return LoginResult{}, fmt.Errorf("login: record failure: %w", err)
		}
		return LoginResult{}, errBadLogin
	}
	if u.FailedLogins > 0 {
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.RecordLogin(ctx, u.ID, false, now) }); err != nil {
			return LoginResult{}, fmt.Errorf("login: reset failures: %w", err)
		}
	}
	if slices.Contains(s.cfg.SingleLoginRoles, u.Role) {
		// One login at a time: this one ends the others (their tokens
		// carry the old generation), audited.
		err := s.update(ctx, Principal{UserID: u.ID, Username: u.Username, Role: u.Role, TenantID: u.TenantID}, func(tx Tx, rec func(change)) error {
			cur, err := tx.GetUser(ctx, u.ID)
			if err != nil {
				return err
			}
			cur.Generation++
			if err := tx.UpdateUser(ctx, cur); err != nil {
				return err
			}
			rec(change{action: "user.login_single", object: "user:" + itoa(u.ID), tenantID: u.TenantID,
				reason: "a new login ended the user's other logins (single_login_roles)"})
			u = cur
			return nil
		})
		if err != nil {
			return LoginResult{}, fmt.Errorf("login: end other logins: %w", err)
		}
		s.forgetPrincipals()
	}
	tok, exp := s.tokens.Issue(u.ID, u.Generation, s.cfg.TokenTTL)
	l := LoginSession{TokenHash: tokenHash(tok), UserID: u.ID, TenantID: u.TenantID, Generation: u.Generation,
		CreatedAt: now, ExpiresAt: exp, LastSeenAt: now}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.InsertLoginSession(ctx, l) }); err != nil {
		return LoginResult{}, fmt.Errorf("login: record the session: %w", err)
	}
	return LoginResult{Token: tok, ExpiresAt: exp, User: u, PasswordExpired: s.cfg.PasswordPolicy.Expired(u.PasswordChangedAt, now)}, nil
}

// setPassword gives u a new password the policy allows: long and mixed
// enough, not one of its last ones. It ends u's logins.
func (s *Service) setPassword(u *User, password string) error {
	if err := s.cfg.PasswordPolicy.Check(password); err != nil {
		return invalid("invalid_user", "the password cannot be used", FieldError{Field: "password", Message: err.Error()})
	}
	reused, err := s.cfg.PasswordPolicy.Reused(password, u.PasswordHash, u.PasswordHistory)
	if err != nil {
		return fmt.Errorf("check the password history: %w", err)
	}
	if reused {
		return invalid("password_reused", "the password cannot be used", FieldError{Field: "password", Message: auth.ErrPasswordReused.Error()})
	}
	hash, err := auth.HashPassword(s.cfg.Passwords, password)
	if err != nil {
		return fmt.Errorf("hash the password: %w", err)
	}
	now := s.now().UTC()
	u.PasswordHistory = s.cfg.PasswordPolicy.Remember(u.PasswordHash, u.PasswordHistory)
	u.PasswordHash, u.PasswordChangedAt = hash, &now
	u.Generation++
	return nil
}

func (s *Service) dummyHash() string {
	h, _ := auth.HashPassword(s.cfg.Passwords, "not-a-real-password")
	return h
}

// principalTTL bounds how long a disabled user or a changed password may
// go unnoticed by another cloud process; this process forgets at once.
const principalTTL = 5 * time.Second

type cachedPrincipal struct {
	p     Principal
	until time.Time
}

// Authenticate turns a bearer token into a principal. The user behind a
// token is re-read at most every principalTTL: a sale is three requests,
// and reading the user for each was a tenth of the work.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	now := s.now()
	s.authMu.Lock()
	cp, ok := s.auth[token]
	s.authMu.Unlock()
	if ok && now.Before(cp.until) {
		return cp.p, nil
	}
	p, err := s.authenticate(ctx, token)
	if err != nil {
		return p, err
	}
	s.authMu.Lock()
	if len(s.auth) >= 10_000 {
		clear(s.auth)
	}
	s.auth[token] = cachedPrincipal{p: p, until: now.Add(principalTTL)}
	s.authMu.Unlock()
	return p, nil
}

func (s *Service) forgetPrincipals() {
	s.authMu.Lock()
	clear(s.auth)
	s.authMu.Unlock()
}

func (s *Service) authenticate(ctx context.Context, token string) (Principal, error) {
	c, err := s.tokens.Parse(token)
	if err != nil {
		msg := "invalid token"
		if errors.Is(err, auth.ErrTokenExpired) {
			msg = "token expired; log in again"
		}
		return Principal{}, &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Message: msg}
	}
	u, err := s.store.GetUser(ctx, c.UserID)
	if err != nil || u.Disabled || u.Generation != c.Generation {
		return Principal{}, &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Message: "token no longer valid; log in again"}
	}
	p := principalOf(u)
	if u.OutletID != 0 {
		open, err := s.store.OutletOpen(ctx, u.OutletID)
		if err != nil {
			return Principal{}, err
		}
		p.OutletClosed = !open
	}
	if err := s.checkSession(ctx, token, p); err != nil {
		return Principal{}, err
	}
	return p, nil
}

func principalOf(u User) Principal {
	return Principal{UserID: u.ID, Username: u.Username, TenantID: u.TenantID, Role: u.Role, VenueIDs: u.VenueIDs, OutletID: u.OutletID}
}

// NewUser is the input to CreateUser.
type NewUser struct {
	TenantID    int64   `json:"tenant_id"` // platform admins only
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	Password    string  `json:"password"`
	Role        string  `json:"role"`
	VenueIDs    []int64 `json:"venue_ids"`
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)

// CreateUser adds a user to the caller's tenant.
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser) (User, error) {
	return s.createUser(ctx, p, in, nil)
}

// createUser creates the user once guard, run in the same transaction
// first, allows it.
func (s *Service) createUser(ctx context.Context, p Principal, in NewUser, guard func(tx Tx) error) (User, error) {
	if err := authorize(p, auth.ManageUsers); err != nil {
		return User{}, err
	}
	tenantID, err := tenantOf(p, in.TenantID)
	if err != nil {
		return User{}, err
	}
	var fields []FieldError
	if !usernameRE.MatchString(in.Username) {
		fields = append(fields, FieldError{Field: "username", Message: "3-40 characters: lower-case letters, digits, . _ -"})
	}
	role, err := auth.ParseRole(in.Role)
	if err != nil {
		fields = append(fields, FieldError{Field: "role", Message: err.Error()})
	} else if role == auth.RolePlatformAdmin && p.Role != auth.RolePlatformAdmin {
		fields = append(fields, FieldError{Field: "role", Message: "only a platform admin can create a platform admin"})
	}
	if err := s.cfg.PasswordPolicy.Check(in.Password); err != nil {
		fields = append(fields, FieldError{Field: "password", Message: err.Error()})
	}
	display, fe := cleanText("display_name", in.DisplayName, 0, 80)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return User{}, invalid("invalid_user", "the user cannot be created", fields...)
	}
	for _, v := range in.VenueIDs {
		if _, err := s.venue(ctx, p, tenantID, v); err != nil {
			return User{}, invalid("invalid_user", "unknown venue", FieldError{Field: "venue_ids", Message: "a venue was not found"})
		}
	}
	hash, err := auth.HashPassword(s.cfg.Passwords, in.Password)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if role == auth.RolePlatformAdmin {
		tenantID = 0
	}
	now := s.now().UTC()
	u := User{TenantID: tenantID, Username: in.Username, DisplayName: display, Role: role,
		VenueIDs: slices.Clone(in.VenueIDs), PasswordHash: hash, Generation: 1, CreatedAt: now, PasswordChangedAt: &now}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		if guard != nil {
			if err := guard(tx); err != nil {
				return err
			}
		}
		if err := tx.InsertUser(ctx, &u); err != nil {
			return err
		}
		rec(change{action: "user.create", object: "user:" + itoa(u.ID), tenantID: tenantID, after: u})
		return nil
	})
	return u, err
}

// CreatePlatformAdmin bootstraps the first user of an empty system.
func (s *Service) CreatePlatformAdmin(ctx context.Context, username, password string) (User, error) {
	system := Principal{Role: auth.RolePlatformAdmin}
	return s.CreateUser(ctx, system, NewUser{TenantID: -1, Username: username, Password: password, Role: string(auth.RolePlatformAdmin), DisplayName: "Platform admin"})
}

// InitPlatformAdmin creates the installation's first platform admin, from
// the server's shell (admit-cloud init); it refuses once one exists.
func (s *Service) InitPlatformAdmin(ctx context.Context, username, password string) (User, error) {
	system := Principal{Role: auth.RolePlatformAdmin}
	return s.createUser(ctx, system, NewUser{TenantID: -1, Username: username, Password: password, Role: string(auth.RolePlatformAdmin), DisplayName: "Platform admin"},
		func(tx Tx) error {
			users, err := tx.ListUsers(ctx, 0)
			if err != nil {
				return err
			}
			for _, u := range users {
				if u.Role == auth.RolePlatformAdmin {
					return Conflict("admin_exists", "a platform admin exists ("+u.Username+"): recover it with admit-cloud user reset-password")
				}
			}
			return nil
		})
}

// ResetPassword gives a user a new password from the server's shell
// (admit-cloud user reset-password), whoever they are: it unlocks and
// enables them, ends their logins, and is audited under actor, the shell
// user who ran it.
func (s *Service) ResetPassword(ctx context.Context, actor, username, password string) (User, error) {
	var out User
	err := s.update(ctx, Principal{Role: auth.RolePlatformAdmin}, func(tx Tx, rec func(change)) error {
		u, err := tx.GetUserByName(ctx, username)
		if err != nil {
			return err
		}
		before := u
		if err := s.setPassword(&u, password); err != nil {
			return err
		}
		u.FailedLogins, u.LastFailedAt, u.Disabled = 0, nil, false
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		rec(change{action: "user.reset_password", object: "user:" + itoa(u.ID), tenantID: u.TenantID, before: before, after: u,
			actor: "shell:" + actor, reason: "password reset from the server's shell"})
		out = u
		return nil
	})
	s.forgetPrincipals()
	return out, err
}

// ListUsers lists the tenant's users.
func (s *Service) ListUsers(ctx context.Context, p Principal, tenantID int64) ([]User, error) {
	if err := authorize(p, auth.ManageUsers); err != nil {
		return nil, err
	}
	t, err := tenantOf(p, tenantID)
	if err != nil {
		return nil, err
	}
	return s.store.ListUsers(ctx, t)
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	DisplayName *string  `json:"display_name"`
	Password    *string  `json:"password"`
	VenueIDs    *[]int64 `json:"venue_ids"`
	Disabled    *bool    `json:"disabled"`
	Unlock      bool     `json:"unlock"`
}

// UpdateUser changes a user of the caller's tenant. Changing the password or
// disabling the user ends its existing logins.
func (s *Service) UpdateUser(ctx context.Context, p Principal, id int64, in UserPatch) (User, error) {
	if err := authorize(p, auth.ManageUsers); err != nil && p.UserID != id {
		return User{}, err
	}
	self := p.UserID == id && !auth.Can(p.Role, auth.ManageUsers)
	if self && (in.VenueIDs != nil || in.Disabled != nil || in.Unlock) {
		return User{}, forbidden("you may only change your own name and password")
	}
	var out User
	err := s.update(ctx, p, func(tx Tx, rec func(change)) error {
		u, err := tx.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if p.Role != auth.RolePlatformAdmin && u.TenantID != p.TenantID {
			return notFound("user")
		}
		before := u
		if in.DisplayName != nil {
			d, fe := cleanText("display_name", *in.DisplayName, 0, 80)
			if fe != nil {
				return invalid("invalid_user", "the user cannot be changed", *fe)
			}
			u.DisplayName = d
		}
		if in.Password != nil {
			if err := s.setPassword(&u, *in.Password); err != nil {
				return err
			}
		}
		if in.VenueIDs != nil {
			for _, v := range *in.VenueIDs {
				if _, err := tx.GetVenue(ctx, u.TenantID, v); err != nil {
					return invalid("invalid_user", "unknown venue", FieldError{Field: "venue_ids", Message: "a venue was not found"})
				}
			}
			u.VenueIDs = slices.Clone(*in.VenueIDs)
		}
		if in.Disabled != nil && *in.Disabled != u.Disabled {
			u.Disabled = *in.Disabled
			u.Generation++
		}
		if in.Unlock {
			u.FailedLogins, u.LastFailedAt = 0, nil
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		rec(change{action: "user.update", object: "user:" + itoa(u.ID), tenantID: u.TenantID, before: before, after: u})
		out = u
		return nil
	})
	s.forgetPrincipals()
	return out, err
}

// ForgetLogins makes every login re-read its user (and outlet) on its
// next request: a disabled outlet stops selling at once on this process,
// within principalTTL on others.
func (s *Service) ForgetLogins() { s.forgetPrincipals() }
