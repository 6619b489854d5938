package sales

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	wire "github.com/admitbox/admit/sync"
)

// The venue feed: every change a device of a venue needs (tickets issued,
// revoked, sessions, keys, admissions at other gates, devices revoked) gets
// the venue's next sequence number in the same transaction as the change
// (Tx.AppendFeed), so a device that applies the feed in order never misses
// or reorders a change, and a change that rolls back never reaches it.

// OpensBeforeMin is how long before a session starts its gates open.
const OpensBeforeMin = 60

// MaxFeedBatch bounds one FeedSince answer.
const MaxFeedBatch = 1000

// feedTx notes which venues' feeds a transaction extended, so listeners
// hear of them once it commits.
type feedTx struct {
	Tx
	venues *[]int64
}

func (f *feedTx) AppendFeed(ctx context.Context, venueID int64, kind string, data json.RawMessage, at time.Time) (uint64, error) {
	seq, err := f.Tx.AppendFeed(ctx, venueID, kind, data, at)
	if err == nil && !slices.Contains(*f.venues, venueID) {
		*f.venues = append(*f.venues, venueID)
	}
	return seq, err
}

// SubscribeFeed registers fn to hear, after each commit, the venues whose
// feed grew. fn runs on the committing goroutine: it must not block (a
// publisher should only wake itself up and read FeedSince).
func (s *Service) SubscribeFeed(fn func(venueID int64)) {
	s.feedMu.Lock()
	s.feedListeners = append(s.feedListeners, fn)
	s.feedMu.Unlock()
}

func (s *Service) announceFeed(venues []int64) {
	s.feedMu.Lock()
	ls := slices.Clone(s.feedListeners)
	s.feedMu.Unlock()
	for _, fn := range ls {
		for _, v := range venues {
			fn(v)
		}
	}
}

// appendFeed encodes v as the venue's next feed event, in tx.
func (s *Service) appendFeed(ctx context.Context, tx Tx, venueID int64, kind string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode feed %s: %w", kind, err)
	}
	if _, err := tx.AppendFeed(ctx, venueID, kind, b, s.now().UTC()); err != nil {
		return fmt.Errorf("append feed %s: %w", kind, err)
	}
	return nil
}

func ticketData(t Ticket, pickupCode string) wire.TicketData {
	return wire.TicketData{Number: t.Number, QR: t.QR, SessionID: t.SessionID, SeatID: t.SeatID, SeatLabel: t.SeatLabel,
		OrderID: t.OrderID, PickupCode: pickupCode, PriceCents: t.PriceCents, Card: t.Card, Holder: t.Holder, Pass: t.Bundle,
		Printed: t.OnPaper()}
}

func sessionData(ss Session, venue, event, hall string, realName bool) wire.SessionData {
	return wire.SessionData{ID: ss.ID, Venue: venue, Event: event, Hall: hall, StartsAt: ss.StartsAt, EndsAt: ss.EndsAt,
		BusinessDate: ss.BusinessDate, Status: string(ss.Status), Reentry: string(ss.Reentry), OpensBeforeMin: OpensBeforeMin, Zones: ss.Zones,
		RealName: realName}
}

func keyData(k SigningKey) wire.KeyData {
	return wire.KeyData{ID: k.ID, Public: k.Public, Status: string(k.Status)}
}

func revocationData(r Revocation) wire.RevocationData {
	return wire.RevocationData{Number: r.Number, Reason: r.Reason}
}

func admissionData(a Admission) wire.AdmissionData {
	return wire.AdmissionData{Number: a.TicketNumber, DeviceID: a.DeviceID, Direction: a.Direction, At: a.At}
}

// feedSession announces a session as it now is to its venue.
func (s *Service) feedSession(ctx context.Context, tx Tx, ss Session) error {
	ev, err := tx.GetEvent(ctx, ss.TenantID, ss.EventID)
	if err != nil {
		return err
	}
	h, err := tx.GetHall(ctx, ss.TenantID, ss.HallID)
	if err != nil {
		return err
	}
	v, err := tx.GetVenue(ctx, ss.TenantID, ss.VenueID)
	if err != nil {
		return err
	}
	if ev.RealName {
		// The gates check holders from now on: they need the key first.
		// Sending it again with each such session costs a few bytes.
		if err := s.appendFeed(ctx, tx, ss.VenueID, wire.EventHolderKey, wire.HolderKeyData{Key: s.HolderKey(ss.TenantID)}); err != nil {
			return err
		}
	}
	return s.appendFeed(ctx, tx, ss.VenueID, wire.EventSession, sessionData(ss, v.Name, ev.Name, h.Name, ev.RealName))
}

// feedKeys announces the keys to every venue of the tenant.
func (s *Service) feedKeys(ctx context.Context, tx Tx, tenantID int64, keys []SigningKey) error {
	if len(keys) == 0 {
		return nil
	}
	vs, err := tx.ListVenues(ctx, tenantID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		for _, k := range keys {
			if err := s.appendFeed(ctx, tx, v.ID, wire.EventKey, keyData(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// VenueHead is a venue's newest feed seq.
type VenueHead struct {
	VenueID int64  `json:"venue_id"`
	Code    string `json:"code"`
	Seq     uint64 `json:"seq"`
}

// FeedHeads lists the newest feed seq of every venue that has a feed, for
// the cloud's publisher.
func (s *Service) FeedHeads(ctx context.Context) ([]VenueHead, error) {
	return s.store.FeedHeads(ctx)
}

// FeedHead is the venue's newest feed seq (0 before its first change).
func (s *Service) FeedHead(ctx context.Context, venueID int64) (uint64, error) {
	return s.store.FeedHead(ctx, venueID)
}

// FeedSince returns the venue's events after seq after, in order, at most
// limit (and at most MaxFeedBatch) of them. It is for the cloud's own
// publisher: devices reach it through MQTT, scoped by their credential.
func (s *Service) FeedSince(ctx context.Context, venueID int64, after uint64, limit int) ([]wire.FeedEvent, error) {
	if limit <= 0 || limit > MaxFeedBatch {
		limit = MaxFeedBatch
	}
	return s.store.FeedSince(ctx, venueID, after, limit)
}

// Snapshot is what a device starting cold (or too far behind) needs of its
// venue, as feed events with Seq 0, and the head it continues from. See
// SnapshotTo; this one holds every event in memory.
func (s *Service) Snapshot(ctx context.Context, venueID int64) (uint64, []wire.FeedEvent, error) {
	var out []wire.FeedEvent
	head, err := s.SnapshotTo(ctx, venueID, func(e wire.FeedEvent) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return head, out, nil
}

// SnapshotTo streams a venue snapshot to fn: the tenant's keys that still
// verify (active, retired), the venue's sessions that have not ended, the
// valid tickets of those sessions, their revocations, and the admissions
// recorded for them (so anti-passback survives a snapshot), in that order.
// It returns the feed head the snapshot corresponds to.
//
// Head and data are read in one read transaction (Store.View), so they
// describe the same committed state: every event up to head is reflected
// in the data, none after it is. A device that installs the snapshot and
// then applies the feed from head+1 therefore neither misses a change nor
// applies one twice. (Reading head first and the data afterwards, outside
// one snapshot, would also be safe since applying a feed event to data
// that already contains it is idempotent for every event kind, but the
// single snapshot makes that argument unnecessary.)
//
// Each kind is one streaming query, so 100,000 tickets cost one pass over
// the rows, not one query per session or ticket. fn runs while the read
// transaction is open: it should hand events on, not block for long.
func (s *Service) SnapshotTo(ctx context.Context, venueID int64, fn func(wire.FeedEvent) error) (uint64, error) {
	now := s.now().UTC()
	var head uint64
	err := s.store.View(ctx, func(r Reader) error {
		v, err := r.GetVenue(ctx, -1, venueID)
		if err != nil {
			return err
		}
		if head, err = r.FeedHead(ctx, venueID); err != nil {
			return err
		}
		emit := func(kind string, x any) error {
			b, err := json.Marshal(x)
			if err != nil {
				return fmt.Errorf("encode snapshot %s: %w", kind, err)
			}
			return fn(wire.FeedEvent{Kind: kind, At: now, Data: b})
		}
		keys, err := r.SigningKeys(ctx, v.TenantID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.Status != KeyRevoked {
				if err := emit(wire.EventKey, keyData(k)); err != nil {
					return err
				}
			}
		}
		var live []int64
		holderKey := false
		if err := r.WalkSessions(ctx, venueID, now, func(ss Session, event, hall string) error {
			live = append(live, ss.ID)
			ev, err := s.cachedEvent(ctx, ss.TenantID, ss.EventID)
			if err != nil {
				return err
			}
			if ev.RealName && !holderKey {
				// Only a venue with a real-name session needs it.
				holderKey = true
				if err := emit(wire.EventHolderKey, wire.HolderKeyData{Key: s.HolderKey(v.TenantID)}); err != nil {
					return err
				}
			}
			return emit(wire.EventSession, sessionData(ss, v.Name, event, hall, ev.RealName))
		}); err != nil {
			return err
		}
		for _, id := range live {
			seats, err := r.SessionSeats(ctx, id)
			if err != nil {
				return err
			}
			if err := emit(wire.EventSeatMap, seatMapData(id, seats, now)); err != nil {
				return err
			}
		}
		if err := r.WalkValidTickets(ctx, venueID, now, func(t Ticket, pickup string) error {
			return emit(wire.EventTicket, ticketData(t, pickup))
		}); err != nil {
			return err
		}
		if err := r.WalkRevocations(ctx, venueID, now, func(x Revocation) error {
			return emit(wire.EventRevocation, revocationData(x))
		}); err != nil {
			return err
		}
		return r.WalkAdmissions(ctx, venueID, now, func(a Admission) error {
			return emit(wire.EventAdmission, admissionData(a))
		})
	})
	return head, err
}

// loadSyncKey reads the cloud's sync signing key, creating it once.
func (s *Service) loadSyncKey(ctx context.Context) (ed25519.PrivateKey, error) {
	v, err := s.randomSetting(ctx, "sync_key_seed")
	if err != nil {
		return nil, err
	}
	seed, err := hex.DecodeString(v)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("sync key: setting sync_key_seed is not a %d-byte hex seed", ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// SyncKey is the key the cloud signs device messages with (sync.SealCloud);
// devices receive its public half at enrollment.
func (s *Service) SyncKey() ed25519.PrivateKey { return s.syncKey }

// SyncPublicKey is the public half of SyncKey.
func (s *Service) SyncPublicKey() ed25519.PublicKey {
	return s.syncKey.Public().(ed25519.PublicKey)
}
