// Package sales is the cloud's sales core: tenants, venues, halls, sessions,
// prices, holds, orders, tickets, refunds, users and the audit trail, and the
// rules that govern them. It is the single source of truth for sales (§3.2):
// every write goes through Store.Update, one transaction per change, with its
// audit entry and outbox events in that same transaction.
//
// It must not import HTTP, SQL or MQTT packages; adapters depend on it.
package sales

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/secrets"
)

// PaymentProvider charges cards. The simulator in cloud/payment implements it.
type PaymentProvider interface {
	Charge(ctx context.Context, r payment.Request) (payment.Result, error)
	// Void reverses an approved charge whose tickets could not be issued.
	Void(ctx context.Context, idempotencyKey string) error
	// Refund gives amountCents back on the charge made under chargeKey,
	// once per refundKey (a repeat gives nothing more).
	Refund(ctx context.Context, chargeKey, refundKey string, amountCents int64) error
}

// Config wires a Service. Zero values get sensible defaults.
type Config struct {
	SystemCode string // the regulator's code for this ticketing system, in every ticket
	Now        func() time.Time
	Payments   PaymentProvider
	Passwords  auth.PasswordParams
	// MasterKey (cloud/secrets.KeySize bytes) seals the secrets stored in
	// the store; nil stores them as they are (see secrets.go).
	MasterKey []byte
	// PasswordPolicy is what new passwords must be (length, mix, reuse,
	// expiry).
	PasswordPolicy auth.PasswordPolicy
	Lockout        auth.Lockout
	TokenTTL       time.Duration
	// IdleTimeout ends a login unused this long (0: 30 minutes; negative:
	// never), audited as session.idle_timeout.
	IdleTimeout time.Duration
	// SingleLoginRoles are the roles whose users hold one login at a time
	// (a clerk at one POS): a new login ends the user's others.
	SingleLoginRoles []auth.Role
	Logger           *slog.Logger
	// PaymentWindow is how long a confirmed order keeps its seats unpaid.
	PaymentWindow time.Duration
	// PaymentTimeout is how long a card charge may take before the client
	// is told to retry the same attempt (default 10s).
	PaymentTimeout time.Duration
}

// DefaultIdleTimeout is how long a login may go unused by default.
const DefaultIdleTimeout = 30 * time.Minute

// Service is the sales core. It is safe for concurrent use.
type Service struct {
	store  Store
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	tokens *auth.TokenSigner
	box    *secrets.Box // nil: secrets stored as they are

	live  liveMaps
	reads readCache

	dashMu    sync.Mutex
	dash      map[int64]Dashboard // by venue: the last one built, with its Version
	reporting ReportingSource     // nil: no reporting on the dashboards

	keysMu sync.Mutex
	keys   map[int64]*tenantKeys // signing key cache per tenant
	idKey  []byte                // the identity documents' hash key (holders.go)
	// holderSecret derives the tenants' holder keys (HolderKey); read at
	// start, because feed events that carry a key are written inside
	// transactions, where making the setting could not be.
	holderSecret []byte

	authMu sync.Mutex
	auth   map[string]cachedPrincipal // token -> principal, briefly

	serials serials

	syncKey ed25519.PrivateKey // signs what the cloud sends devices

	feedMu          sync.Mutex
	feedListeners   []func(venueID int64)
	revokeListeners []func(deviceID string)
}

// New opens the service over a migrated store. It creates the token secret
// on first use.
func New(ctx context.Context, st Store, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SystemCode == "" {
		cfg.SystemCode = "ADMIT"
	}
	if cfg.Passwords == (auth.PasswordParams{}) {
		cfg.Passwords = auth.DefaultPasswordParams()
	}
	if cfg.Lockout == (auth.Lockout{}) {
		cfg.Lockout = auth.DefaultLockout()
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.PaymentWindow == 0 {
		cfg.PaymentWindow = 5 * time.Minute
	}
	if cfg.PaymentTimeout == 0 {
		cfg.PaymentTimeout = 10 * time.Second
	}
	if cfg.Payments == nil {
		cfg.Payments = payment.NewSimulator()
	}
	s := &Service{store: st, cfg: cfg, now: cfg.Now, log: cfg.Logger,
		dash: map[int64]Dashboard{}, keys: map[int64]*tenantKeys{}, auth: map[string]cachedPrincipal{}}
	if err := s.openSecrets(ctx); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	secret, err := s.tokenSecret(ctx)
	if err != nil {
		return nil, err
	}
	if s.tokens, err = auth.NewTokenSigner(secret, cfg.Now); err != nil {
		return nil, fmt.Errorf("token signer: %w", err)
	}
	if s.syncKey, err = s.loadSyncKey(ctx); err != nil {
		return nil, err
	}
	if s.holderSecret, err = s.Secret(ctx, "gate_holders"); err != nil {
		return nil, err
	}
	if err := s.startLive(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Store exposes the store for tools (audit verify, demo seeding).
func (s *Service) Store() Store { return s.store }

func (s *Service) tokenSecret(ctx context.Context) ([]byte, error) {
	v, err := s.randomSetting(ctx, "token_secret")
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// randomSetting returns the setting, creating it on first use as 32
// random bytes in hex; concurrent first uses agree on one value.
func (s *Service) randomSetting(ctx context.Context, key string) (string, error) {
	v, ok, err := s.store.Setting(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	if !ok {
		seed := make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return "", fmt.Errorf("%s: %w", key, err)
		}
		v = s.SealText(fmt.Sprintf("%x", seed))
		err = s.store.Update(ctx, func(tx Tx) error {
			cur, ok, err := tx.Setting(ctx, key)
			if err != nil {
				return err
			}
			if ok { // another process won the race
				v = cur
				return nil
			}
			return tx.PutSetting(ctx, key, v)
		})
		if err != nil {
			return "", fmt.Errorf("store %s: %w", key, err)
		}
	}
	plain, err := s.OpenText(v)
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return plain, nil
}

// change is one audited change: the service fills it in while it works.
type change struct {
	action, object string
	tenantID       int64
	venueID        int64
	before, after  any
	reason         string
	approver       string
	actor          string // instead of the principal (a device)
}

// update runs fn in one transaction and appends the audit entries fn
// recorded, in that transaction.
//
// Venues whose feed the transaction extended are announced to the feed
// listeners once it has committed.
func (s *Service) update(ctx context.Context, p Principal, fn func(tx Tx, rec func(change)) error) error {
	var fed []int64
	err := s.store.Update(ctx, func(tx Tx) error {
		fed = fed[:0]
		ft := &feedTx{Tx: tx, venues: &fed}
		var changes []change
		if err := fn(ft, func(c change) { changes = append(changes, c) }); err != nil {
			return err
		}
		at := s.now().UTC()
		for _, c := range changes {
			e := audit.Entry{At: at, TenantID: c.tenantID, VenueID: c.venueID, Actor: p.Actor(),
				Action: c.action, Object: c.object, Reason: c.reason, Approver: c.approver}
			if c.actor != "" {
				e.Actor = c.actor
			}
			var err error
			if e.Before, err = marshalOrNil(c.before); err != nil {
				return err
			}
			if e.After, err = marshalOrNil(c.after); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, e); err != nil {
				return fmt.Errorf("append audit %s: %w", c.action, err)
			}
			if cc, ok := catalogChange(c); ok {
				cc.At = at
				if err := tx.AppendOutbox(ctx, outboxEvent(c.tenantID, c.venueID, "catalog.changed", cc)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && len(fed) > 0 {
		s.announceFeed(fed)
	}
	return err
}

func marshalOrNil(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit value: %w", err)
	}
	return b, nil
}

// authorize checks the role; scope (tenant, venue) is checked by lookups.
func authorize(p Principal, a auth.Action) error {
	if !auth.Can(p.Role, a) {
		return forbidden("your role (" + string(p.Role) + ") may not " + string(a))
	}
	if p.OutletClosed && (a == auth.Sell || a == auth.RequestRefund) {
		return &Error{Kind: KindForbidden, Code: "outlet_disabled", Message: "your outlet is disabled: it sells nothing until the organiser enables it"}
	}
	return nil
}

// tenantOf is the tenant a principal acts for; platform admins name one.
func tenantOf(p Principal, requested int64) (int64, error) {
	if p.Role == auth.RolePlatformAdmin {
		if requested == 0 {
			return 0, invalid("tenant_required", "platform admins must name a tenant", FieldError{Field: "tenant_id", Message: "is required"})
		}
		return requested, nil
	}
	return p.TenantID, nil
}

// venueScope returns the venue ids a principal is limited to, or nil for
// tenant-wide roles.
func venueScope(p Principal) []int64 {
	if p.Role.TenantWide() {
		return nil
	}
	if p.VenueIDs == nil {
		return []int64{}
	}
	return p.VenueIDs
}

// InstallationSecret returns a named random secret of this installation
// (e.g. the cloud's own broker credential), created on first use and then
// the same for every process sharing the store.
func (s *Service) InstallationSecret(ctx context.Context, name string) (string, error) {
	return s.randomSetting(ctx, "secret:"+name)
}
