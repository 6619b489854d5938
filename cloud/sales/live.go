package sales

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/avail"
)

// Live seat maps. Each session a process has been asked about keeps its
// availability in memory (avail.Map), loaded once from a snapshot and then
// kept current from the store's seat change log: the store numbers every
// committed change of a seat's code, this process's own commits arrive as
// they commit (SeatChangeNotifier), and FollowSeatChanges picks up other
// processes' commits by reading the log. Reads never touch the database;
// writes never wait for readers.

// SeatChangeNotifier is a store that hands over each commit's seat changes,
// in log order, once they are durable and before the writers hear "done".
type SeatChangeNotifier interface {
	NotifySeatChanges(fn func([]avail.Change))
}

// SeatCode is a seat's availability code as the change log records it. It
// does not look at the clock: a lapsed hold or reservation shows until the
// sweeper releases it (ExpireHolds, ExpireReservations), which is a change
// like any other. The stores' change-log triggers follow the same rule.
func SeatCode(st SessionSeat) byte {
	switch {
	case !st.State.InService():
		return avail.OutOfOrder
	case st.Status == SeatSold:
		return avail.Sold
	case st.Status == SeatHeld:
		return avail.Held
	case st.Category == CategoryHeldBack:
		return avail.HeldBack
	case st.Category == CategoryNonSale:
		return avail.NonSale
	case st.Category == CategoryReserved:
		return avail.Reserved
	case st.TierID == 0:
		return avail.NoPrice
	}
	return avail.Open
}

// liveMaps is the process's live maps and how far into the change log
// they are.
type liveMaps struct {
	mu      sync.Mutex // serialises applying changes and registering maps
	maps    map[int64]*liveEntry
	loading map[int64]chan struct{} // closed when the session's map is in
	cursor  int64                   // every change up to here has been applied
}

type liveEntry struct {
	m        *avail.Map
	lastUsed time.Time
}

// liveFollowBatch is how many log rows one catch-up read takes.
const liveFollowBatch = 5000

// liveMap returns the session's live map, loading it on first use. The
// caller has checked that p may see the session.
func (s *Service) liveMap(ctx context.Context, ss Session) (*avail.Map, error) {
	lm := &s.live
	for {
		lm.mu.Lock()
		if e := lm.maps[ss.ID]; e != nil {
			e.lastUsed = time.Now()
			lm.mu.Unlock()
			return e.m, nil
		}
		wait, busy := lm.loading[ss.ID]
		if !busy {
			// This caller loads; the others asking meanwhile wait for it
			// rather than each reading the whole session.
			lm.loading[ss.ID] = make(chan struct{})
			lm.mu.Unlock()
			break
		}
		lm.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() {
		lm.mu.Lock()
		close(lm.loading[ss.ID])
		delete(lm.loading, ss.ID)
		lm.mu.Unlock()
	}()

	var seats []SessionSeat
	var head int64
	err := s.store.View(ctx, func(r Reader) error {
		var err error
		if head, err = r.SeatLogHead(ctx); err != nil {
			return err
		}
		seats, err = r.SessionSeats(ctx, ss.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load seat map of session %d: %w", ss.ID, err)
	}
	layout := make([]avail.Seat, len(seats))
	codes := make([]byte, len(seats))
	for i, st := range seats {
		layout[i] = avail.Seat{ID: st.SeatID, Ord: st.Ord, Section: st.Section, Row: st.RowNo, Col: st.Col, Tier: st.TierID}
		codes[i] = SeatCode(st)
	}
	m := avail.New(ss.ID, ss.TenantID, ss.VenueID, layout, codes, head)

	lm.mu.Lock()
	defer lm.mu.Unlock()
	if e := lm.maps[ss.ID]; e != nil { // loaded meanwhile
		return e.m, nil
	}
	// Changes committed after the snapshot and already applied to the
	// other maps: read them back for this one.
	for after := head; after < lm.cursor; {
		cs, err := s.store.SeatLogSince(ctx, after, liveFollowBatch)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			break
		}
		m.Apply(cs)
		after = cs[len(cs)-1].Seq
	}
	lm.maps[ss.ID] = &liveEntry{m: m, lastUsed: time.Now()}
	return m, nil
}

// seatChangesCommitted applies this process's commits as they happen.
// Commits of other processes may lie between the cursor and these
// changes: those are read from the log first, so every map sees every
// change in order.
func (s *Service) seatChangesCommitted(cs []avail.Change) {
	if len(cs) == 0 {
		return
	}
	lm := &s.live
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if cs[0].Seq > lm.cursor+1 {
		if err := s.followLocked(context.Background(), cs[0].Seq-1); err != nil {
			// The poller catches up later; applying out of order would not.
			s.log.Warn("seat change log: catching up before a commit", "err", err)
			return
		}
	}
	s.applyLocked(cs)
}

// applyLocked hands changes to every loaded map; lm.mu is held.
func (s *Service) applyLocked(cs []avail.Change) {
	lm := &s.live
	if last := cs[len(cs)-1].Seq; last <= lm.cursor {
		return
	}
	for _, e := range lm.maps {
		e.m.Apply(cs)
	}
	lm.cursor = cs[len(cs)-1].Seq
}

// followLocked reads the change log from the cursor up to until (0: the
// end) and applies it; lm.mu is held.
func (s *Service) followLocked(ctx context.Context, until int64) error {
	lm := &s.live
	for until == 0 || lm.cursor < until {
		cs, err := s.store.SeatLogSince(ctx, lm.cursor, liveFollowBatch)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return nil
		}
		s.applyLocked(cs)
	}
	return nil
}

// FollowSeatChanges keeps the live maps current with commits made by other
// processes sharing the store, reading the change log every interval, and
// forgets maps nobody asked for in ten minutes. It returns when ctx ends.
func (s *Service) FollowSeatChanges(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.CatchUpSeatMaps(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("seat change log", "err", err)
		}
		lm := &s.live
		lm.mu.Lock()
		idle := time.Now().Add(-10 * time.Minute)
		for id, e := range lm.maps {
			if e.lastUsed.Before(idle) {
				delete(lm.maps, id)
			}
		}
		lm.mu.Unlock()
	}
}

// CatchUpSeatMaps applies every change in the log that the live maps have
// not seen: other processes' commits.
func (s *Service) CatchUpSeatMaps(ctx context.Context) error {
	head, err := s.store.SeatLogHead(ctx)
	if err != nil {
		return err
	}
	lm := &s.live
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if head <= lm.cursor {
		return nil
	}
	return s.followLocked(ctx, head)
}

// startLive positions the live maps at the end of the log and subscribes
// to the store's commits.
func (s *Service) startLive(ctx context.Context) error {
	head, err := s.store.SeatLogHead(ctx)
	if err != nil {
		return fmt.Errorf("seat change log head: %w", err)
	}
	s.live.maps = map[int64]*liveEntry{}
	s.live.loading = map[int64]chan struct{}{}
	s.live.cursor = head
	if n, ok := s.store.(SeatChangeNotifier); ok {
		n.NotifySeatChanges(s.seatChangesCommitted)
	}
	return nil
}

// SeatMap returns the live availability of a session p may see, for
// reading and following.
func (s *Service) SeatMap(ctx context.Context, p Principal, sessionID int64) (*avail.Map, error) {
	if m := s.cachedMap(p, sessionID); m != nil {
		return m, nil
	}
	ss, err := s.session(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	return s.liveMap(ctx, ss)
}

// cachedMap finds a loaded map p may see without asking the store: the
// map knows its tenant and venue.
func (s *Service) cachedMap(p Principal, sessionID int64) *avail.Map {
	lm := &s.live
	lm.mu.Lock()
	e := lm.maps[sessionID]
	if e != nil {
		e.lastUsed = time.Now()
	}
	lm.mu.Unlock()
	if e == nil {
		return nil
	}
	if p.Role == auth.RolePlatformAdmin || (p.TenantID == e.m.Tenant && p.SeesVenue(e.m.Venue)) {
		return e.m
	}
	return nil // let the store answer: not found, as for any other session
}

// AvailabilityJSON returns the session's whole availability document.
func (s *Service) AvailabilityJSON(ctx context.Context, p Principal, sessionID int64) ([]byte, error) {
	m, err := s.SeatMap(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	b, _ := m.Full()
	return b, nil
}

// AvailabilitySince returns the changes since version since, or the whole
// document when they are no longer kept.
func (s *Service) AvailabilitySince(ctx context.Context, p Principal, sessionID, since int64) ([]byte, error) {
	m, err := s.SeatMap(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	if b, _, ok := m.Delta(since); ok {
		return b, nil
	}
	b, _ := m.Full()
	return b, nil
}
