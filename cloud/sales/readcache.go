package sales

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Every sale reads its session, venue and channel settings several times
// over its three calls, and they almost never change. The read cache keeps
// them for readCacheTTL: this process forgets an entry the moment it
// changes it, another process's change shows here within the TTL.
const readCacheTTL = time.Second

type cachedValue[T any] struct {
	v  T
	at time.Time
}

type readCache struct {
	mu       sync.Mutex
	sessions map[int64]cachedValue[Session]
	venues   map[int64]cachedValue[Venue]
	channels map[int64]cachedValue[[]ChannelSettings] // by tenant
	events   map[int64]cachedValue[Event]
	holds    map[int64]Hold // made here, until they expire
}

func lookup[T any](c *readCache, m *map[int64]cachedValue[T], id int64) (T, bool) {
	c.mu.Lock()
	e, ok := (*m)[id]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > readCacheTTL {
		var zero T
		return zero, false
	}
	return e.v, true
}

func remember[T any](c *readCache, m *map[int64]cachedValue[T], id int64, v T) {
	c.mu.Lock()
	if *m == nil {
		*m = map[int64]cachedValue[T]{}
	}
	if len(*m) > 10_000 { // a crude bound: start again
		clear(*m)
	}
	(*m)[id] = cachedValue[T]{v: v, at: time.Now()}
	c.mu.Unlock()
}

// forgetSession drops a session this process is changing.
func (c *readCache) forgetSession(id int64) {
	c.mu.Lock()
	delete(c.sessions, id)
	c.mu.Unlock()
}

func (c *readCache) forgetChannels(tenantID int64) {
	c.mu.Lock()
	delete(c.channels, tenantID)
	c.mu.Unlock()
}

// cachedSession reads a session of the tenant (-1: any) through the cache.
func (s *Service) cachedSession(ctx context.Context, tenantID, id int64) (Session, error) {
	if ss, ok := lookup(&s.reads, &s.reads.sessions, id); ok {
		if tenantID != -1 && ss.TenantID != tenantID {
			return Session{}, notFound("session")
		}
		return ss, nil
	}
	ss, err := s.store.GetSession(ctx, tenantID, id)
	if err != nil {
		return Session{}, err
	}
	ss.Zones, ss.Quotas = slices.Clip(ss.Zones), slices.Clip(ss.Quotas)
	remember(&s.reads, &s.reads.sessions, id, ss)
	return ss, nil
}

// cachedEvent reads an event of the tenant through the cache (what a
// sale reads of it, real-name and the limit, is set when it is created).
func (s *Service) cachedEvent(ctx context.Context, tenantID, id int64) (Event, error) {
	if e, ok := lookup(&s.reads, &s.reads.events, id); ok && e.TenantID == tenantID {
		return e, nil
	}
	e, err := s.store.GetEvent(ctx, tenantID, id)
	if err != nil {
		return Event{}, err
	}
	remember(&s.reads, &s.reads.events, id, e)
	return e, nil
}

// cachedVenue reads a venue of the tenant through the cache.
func (s *Service) cachedVenue(ctx context.Context, tenantID, id int64) (Venue, error) {
	if v, ok := lookup(&s.reads, &s.reads.venues, id); ok && v.TenantID == tenantID {
		return v, nil
	}
	v, err := s.store.GetVenue(ctx, tenantID, id)
	if err != nil {
		return Venue{}, err
	}
	remember(&s.reads, &s.reads.venues, id, v)
	return v, nil
}

func (s *Service) cachedChannelSettings(ctx context.Context, tenantID int64) ([]ChannelSettings, error) {
	if cs, ok := lookup(&s.reads, &s.reads.channels, tenantID); ok {
		return cs, nil
	}
	cs, err := s.store.ChannelSettings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	remember(&s.reads, &s.reads.channels, tenantID, slices.Clip(cs))
	return cs, nil
}

// forgetVenue drops a venue from this process's cache after it changed
// (other processes see the change within the cache's second).
func (s *Service) forgetVenue(_, id int64) {
	s.reads.mu.Lock()
	delete(s.reads.venues, id)
	s.reads.mu.Unlock()
}

// A hold's seats, prices, channel and party never change once it is made,
// and nearly every sale's next call confirms the hold it just made. So the
// holds this process makes are kept until they expire or are confirmed,
// and confirming one does not read it back; its status may change
// meanwhile, and the confirming transaction checks that itself
// (ConfirmHold).

// rememberHold keeps a hold this process made, as the store would read it
// back: times to the millisecond, seats by id, no key.
func (c *readCache) rememberHold(h Hold) {
	h.ExpiresAt, h.CreatedAt, h.Key = h.ExpiresAt.Truncate(time.Millisecond), h.CreatedAt.Truncate(time.Millisecond), ""
	h.Seats = slices.Clone(h.Seats)
	slices.SortFunc(h.Seats, func(a, b HoldSeat) int { return cmp.Compare(a.SeatID, b.SeatID) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holds == nil || len(c.holds) > 10_000 { // a crude bound: start again
		c.holds = map[int64]Hold{}
	}
	c.holds[h.ID] = h
}

// forgetHold drops a hold once it is confirmed: a confirmation sent again
// reads it back from the store, where it is no longer active.
func (c *readCache) forgetHold(id int64) {
	c.mu.Lock()
	delete(c.holds, id)
	c.mu.Unlock()
}

// madeHold is a hold this process made and that has not expired by now.
func (c *readCache) madeHold(id int64, now time.Time) (Hold, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.holds[id]
	if !ok || !now.Before(h.ExpiresAt) {
		delete(c.holds, id)
		return Hold{}, false
	}
	h.Seats = slices.Clone(h.Seats)
	return h, true
}
