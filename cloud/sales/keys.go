package sales

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/ticket"
)

// tenantKeys caches a tenant's signing keys; rotation here drops the
// cache at once, a rotation or revocation by another cloud process on the
// store shows here within keysTTL.
type tenantKeys struct {
	active ticket.SigningKey
	public ticket.PublicKeys
	at     time.Time
}

// keysTTL bounds how long this process signs with a key another process
// retired, or accepts one it revoked.
const keysTTL = time.Second

func (s *Service) tenantKeys(ctx context.Context, tenantID int64) (*tenantKeys, error) {
	s.keysMu.Lock()
	tk := s.keys[tenantID]
	s.keysMu.Unlock()
	if tk != nil && time.Since(tk.at) < keysTTL {
		return tk, nil
	}
	ks, err := s.store.SigningKeys(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	tk = &tenantKeys{public: ticket.PublicKeys{}, at: time.Now()}
	found := false
	for _, k := range ks {
		switch k.Status {
		case KeyActive:
			private, err := s.open(k.Private)
			if err != nil {
				return nil, fmt.Errorf("signing key %d: %w", k.ID, err)
			}
			tk.active = ticket.SigningKey{ID: ticket.KeyID(k.ID), Private: ed25519.PrivateKey(private)}
			found = true
			tk.public[ticket.KeyID(k.ID)] = ed25519.PublicKey(k.Public)
		case KeyRetired:
			tk.public[ticket.KeyID(k.ID)] = ed25519.PublicKey(k.Public)
		}
	}
	if !found {
		return nil, conflict("no_signing_key", "the tenant has no active ticket signing key")
	}
	s.keysMu.Lock()
	s.keys[tenantID] = tk
	s.keysMu.Unlock()
	return tk, nil
}

func (s *Service) activeKey(ctx context.Context, tenantID int64) (ticket.SigningKey, error) {
	tk, err := s.tenantKeys(ctx, tenantID)
	if err != nil {
		return ticket.SigningKey{}, err
	}
	return tk.active, nil
}

func (s *Service) dropKeys(tenantID int64) {
	s.keysMu.Lock()
	delete(s.keys, tenantID)
	s.keysMu.Unlock()
}

// addSigningKey creates a new active key; the store assigns its id.
func (s *Service) addSigningKey(ctx context.Context, tx Tx, rec func(change), tenantID int64) error {
	priv, pub, err := genKey()
	if err != nil {
		return err
	}
	k := SigningKey{TenantID: tenantID, Public: pub, Private: s.seal(priv), Status: KeyActive, CreatedAt: s.now().UTC()}
	if err := tx.InsertSigningKey(ctx, &k); err != nil {
		return err
	}
	rec(change{action: "key.create", object: "key:" + fmt.Sprint(k.ID), tenantID: tenantID, after: k})
	if err := tx.AppendOutbox(ctx, outboxEvent(tenantID, 0, "key.added", k)); err != nil {
		return err
	}
	return s.feedKeys(ctx, tx, tenantID, []SigningKey{k})
}

func genKey() (ed25519.PrivateKey, ed25519.PublicKey, error) {
	sk, pub, err := ticket.GenerateKey(0)
	if err != nil {
		return nil, nil, fmt.Errorf("generate signing key: %w", err)
	}
	return sk.Private, pub, nil
}

// SigningKeys lists the tenant's keys (public parts only).
func (s *Service) SigningKeys(ctx context.Context, p Principal, tenantID int64) ([]SigningKey, error) {
	t, err := tenantOf(p, tenantID)
	if err != nil {
		return nil, err
	}
	return s.store.SigningKeys(ctx, t)
}

// RotateKey retires the active key (it keeps verifying) and makes a new one
// that signs from now on.
func (s *Service) RotateKey(ctx context.Context, p Principal, tenantID int64, reason string) (SigningKey, error) {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return SigningKey{}, err
	}
	t, err := tenantOf(p, tenantID)
	if err != nil {
		return SigningKey{}, err
	}
	var out SigningKey
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		ks, err := tx.SigningKeys(ctx, t)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		for _, k := range ks {
			if k.Status == KeyActive {
				if err := tx.SetKeyStatus(ctx, k.ID, KeyRetired, now); err != nil {
					return err
				}
				k.Status, k.RetiredAt = KeyRetired, &now
				if err := s.feedKeys(ctx, tx, t, []SigningKey{k}); err != nil {
					return err
				}
				rec(change{action: "key.retire", object: "key:" + fmt.Sprint(k.ID), tenantID: t, reason: reason,
					before: map[string]any{"status": k.Status}, after: map[string]any{"status": KeyRetired}})
			}
		}
		if err := s.addSigningKey(ctx, tx, rec, t); err != nil {
			return err
		}
		ks, err = tx.SigningKeys(ctx, t)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.Status == KeyActive {
				out = k
			}
		}
		return nil
	})
	s.dropKeys(t)
	return out, err
}

// RevokeKey stops a retired key from verifying anything.
func (s *Service) RevokeKey(ctx context.Context, p Principal, tenantID int64, keyID uint32, reason string) error {
	if err := authorize(p, auth.ManageVenues); err != nil {
		return err
	}
	t, err := tenantOf(p, tenantID)
	if err != nil {
		return err
	}
	err = s.update(ctx, p, func(tx Tx, rec func(change)) error {
		ks, err := tx.SigningKeys(ctx, t)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.ID != keyID {
				continue
			}
			if k.Status != KeyRetired {
				return conflict("key_not_retired", "only a retired key can be revoked; rotate first")
			}
			now := s.now().UTC()
			rec(change{action: "key.revoke", object: "key:" + fmt.Sprint(k.ID), tenantID: t, reason: reason,
				before: map[string]any{"status": k.Status}, after: map[string]any{"status": KeyRevoked}})
			if err := tx.SetKeyStatus(ctx, k.ID, KeyRevoked, now); err != nil {
				return err
			}
			k.Status, k.RevokedAt = KeyRevoked, &now
			if err := s.feedKeys(ctx, tx, t, []SigningKey{k}); err != nil {
				return err
			}
			return tx.AppendOutbox(ctx, outboxEvent(t, 0, "key.revoked", map[string]any{"key_id": k.ID}))
		}
		return notFound("key")
	})
	s.dropKeys(t)
	return err
}

// TicketCheck is the result of verifying a ticket QR in the cloud.
type TicketCheck struct {
	Valid   bool           `json:"valid"`
	Reason  string         `json:"reason,omitempty"`
	Payload ticket.Payload `json:"payload"`
	KeyID   uint32         `json:"key_id"`
	Number  string         `json:"number,omitempty"`
	Status  TicketStatus   `json:"status,omitempty"`
}

// VerifyTicket checks a QR's signature against the caller's tenant keys and
// the ticket's current status.
func (s *Service) VerifyTicket(ctx context.Context, p Principal, qr string) (TicketCheck, error) {
	tk, err := s.tenantKeys(ctx, p.TenantID)
	if err != nil {
		return TicketCheck{}, err
	}
	pl, kid, err := ticket.Verify(qr, tk.public)
	if err != nil {
		return TicketCheck{Valid: false, Reason: err.Error()}, nil
	}
	out := TicketCheck{Valid: true, Payload: pl, KeyID: uint32(kid), Number: pl.Number()}
	t, err := s.GetTicket(ctx, p, pl.Number())
	if err != nil {
		if IsKind(err, KindNotFound) {
			out.Valid, out.Reason = false, "signature valid but no such ticket"
			return out, nil
		}
		return TicketCheck{}, err
	}
	out.Status = t.Status
	if t.Status != TicketValid {
		out.Valid, out.Reason = false, "ticket "+string(t.Status)
	}
	return out, nil
}

func outboxEvent(tenantID, venueID int64, kind string, v any) OutboxEvent {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types reach here; they always encode.
		panic(fmt.Sprintf("outbox %s: %v", kind, err))
	}
	return OutboxEvent{TenantID: tenantID, VenueID: venueID, Kind: kind, Payload: b}
}
