// Package storefront is what the public shop shows before anyone logs in
// (event plan §6.1.7): a tenant's events on sale and, for each, its
// sessions with the seats left at each price level. Pages like these take
// the most requests of an on-sale (§6.4.2: 2,000 a second), so a tenant's
// catalogue is built at most once per TTL, as JSON, and every request
// until the next build is answered from it; the seats left are then at
// most a TTL old, which a shop's browsing pages may be (the seat map and
// the sale itself are live).
package storefront

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/sales"
)

// Source is the catalogue as the sales service keeps it.
type Source interface {
	ListTenants(ctx context.Context, p sales.Principal) ([]sales.Tenant, error)
	ListVenues(ctx context.Context, p sales.Principal) ([]sales.Venue, error)
	ListEvents(ctx context.Context, p sales.Principal) ([]sales.Event, error)
	ListSessions(ctx context.Context, p sales.Principal, f sales.SessionFilter) ([]sales.Session, error)
	Prices(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.PriceTier, error)
	SeatMap(ctx context.Context, p sales.Principal, sessionID int64) (*avail.Map, error)
	SessionSeats(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.SessionSeat, error)
}

// Home is a tenant's shop front: its events on sale.
type Home struct {
	Tenant string      `json:"tenant"`
	Name   string      `json:"name"`
	Events []EventCard `json:"events"`
	At     time.Time   `json:"at"`
}

// EventCard is an event on the home page.
type EventCard struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	RealName      bool      `json:"real_name"`
	Sessions      int       `json:"sessions"`
	First         time.Time `json:"first_starts_at"`
	MinPriceCents int64     `json:"min_price_cents"`
	Remaining     int       `json:"remaining"`
}

// EventPage is an event's page: its sessions on sale.
type EventPage struct {
	EventCard
	HolderLimit int           `json:"holder_limit,omitempty"`
	Dates       []SessionCard `json:"sessions_on_sale"`
	At          time.Time     `json:"at"`
}

// SessionCard is a session on an event's page.
type SessionCard struct {
	ID       int64       `json:"id"`
	Venue    string      `json:"venue"`
	StartsAt time.Time   `json:"starts_at"`
	Levels   []TierCount `json:"levels"`
	// OnSaleAt, while in the future, is when the shop starts selling it:
	// shown, but not bought, until then.
	OnSaleAt *time.Time `json:"on_sale_at,omitempty"`
}

// TierCount is a price level and its seats left.
type TierCount struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Remaining  int    `json:"remaining"`
}

// ErrNotFound: no such tenant, or no such event on sale.
var ErrNotFound = errors.New("storefront: not found")

// Service builds and caches the catalogues.
type Service struct {
	src Source
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	tenants map[string]*entry
	seats   map[int64]*seatsEntry // by session
}

// seatsEntry is a session's seat map page.
type seatsEntry struct {
	mu sync.Mutex
	at time.Time
	b  []byte
}

// SeatsPage is a session's seat map as the shop draws it: each seat where
// it sits, its price level, and whether it can be bought now.
type SeatsPage struct {
	SessionID int64       `json:"session_id"`
	Levels    []TierCount `json:"levels"`
	Seats     []SeatCell  `json:"seats"`
	At        time.Time   `json:"at"`
}

// SeatCell is one seat of a SeatsPage.
type SeatCell struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
	Row   int    `json:"row"`
	Col   int    `json:"col"`
	Level int64  `json:"level,omitempty"` // its price tier; 0: not for sale
	Free  bool   `json:"free"`            // can be held now
}

// entry is a tenant's catalogue; snap is replaced whole, never changed.
type entry struct {
	mu       sync.Mutex
	snap     *snapshot
	building bool // a request is rebuilding snap
}

type snapshot struct {
	at      time.Time
	missing bool // no such tenant: remembered too, or every unknown code would rebuild
	home    []byte
	events  map[int64][]byte
	// sessions on sale, with the principal that reads them
	sessions map[int64]sales.Principal
}

// New returns a Service whose pages are at most ttl old (0: one second).
func New(src Source, ttl time.Duration, now func() time.Time) *Service {
	if ttl <= 0 {
		ttl = time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &Service{src: src, ttl: ttl, now: now, tenants: map[string]*entry{}, seats: map[int64]*seatsEntry{}}
}

// SeatsJSON is the seat map of a session on sale at the tenant's shop, at
// most the TTL old.
func (s *Service) SeatsJSON(ctx context.Context, tenant string, sessionID int64) ([]byte, error) {
	snap, err := s.fresh(ctx, tenant)
	if err != nil {
		return nil, err
	}
	p, ok := snap.sessions[sessionID]
	if !ok {
		return nil, ErrNotFound
	}
	s.mu.Lock()
	e := s.seats[sessionID]
	if e == nil {
		if len(s.seats) > 10000 {
			clear(s.seats)
		}
		e = &seatsEntry{}
		s.seats[sessionID] = e
	}
	s.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.b != nil && s.now().Sub(e.at) < s.ttl {
		return e.b, nil
	}
	now := s.now()
	b, err := s.seatsPage(ctx, p, sessionID, now)
	if err != nil {
		return nil, err
	}
	e.b, e.at = b, now
	return b, nil
}

func (s *Service) seatsPage(ctx context.Context, p sales.Principal, sessionID int64, now time.Time) ([]byte, error) {
	tiers, err := s.src.Prices(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	seats, err := s.src.SessionSeats(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	page := SeatsPage{SessionID: sessionID, Levels: []TierCount{}, Seats: make([]SeatCell, 0, len(seats)), At: now.UTC()}
	open := map[int64]int{}
	for _, st := range seats {
		free := sales.SeatCode(st) == avail.Open
		if free {
			open[st.TierID]++
		}
		page.Seats = append(page.Seats, SeatCell{ID: st.SeatID, Label: st.Label, Row: st.RowNo, Col: st.Col, Level: st.TierID, Free: free})
	}
	for _, t := range tiers {
		page.Levels = append(page.Levels, TierCount{ID: t.ID, Name: t.Name, PriceCents: t.PriceCents, Remaining: open[t.ID]})
	}
	return json.Marshal(page)
}

// HomeJSON is a tenant's home page, as JSON.
func (s *Service) HomeJSON(ctx context.Context, tenant string) ([]byte, error) {
	snap, err := s.fresh(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return snap.home, nil
}

// EventJSON is an event's page, as JSON.
func (s *Service) EventJSON(ctx context.Context, tenant string, id int64) ([]byte, error) {
	snap, err := s.fresh(ctx, tenant)
	if err != nil {
		return nil, err
	}
	b, ok := snap.events[id]
	if !ok {
		return nil, ErrNotFound
	}
	return b, nil
}

// fresh returns the tenant's catalogue. The first request builds it while
// the others wait; once it is older than the TTL, the request that
// notices rebuilds it and the others are served the old one meanwhile,
// so a rebuild never holds up the shop.
func (s *Service) fresh(ctx context.Context, tenant string) (*snapshot, error) {
	s.mu.Lock()
	e := s.tenants[tenant]
	if e == nil {
		if len(s.tenants) > 10000 { // codes nobody has: do not keep them all
			clear(s.tenants)
		}
		e = &entry{}
		s.tenants[tenant] = e
	}
	s.mu.Unlock()
	e.mu.Lock()
	if e.snap == nil {
		defer e.mu.Unlock()
		snap, err := s.snapshot(ctx, tenant)
		if err != nil {
			return nil, err
		}
		e.snap = snap
		return snap.use()
	}
	if s.now().Sub(e.snap.at) < s.ttl || e.building {
		snap := e.snap
		e.mu.Unlock()
		return snap.use()
	}
	e.building = true
	e.mu.Unlock()
	snap, err := s.snapshot(ctx, tenant)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.building = false
	if err != nil {
		return nil, err
	}
	e.snap = snap
	return snap.use()
}

// snapshot builds a tenant's catalogue as of now.
func (s *Service) snapshot(ctx context.Context, tenant string) (*snapshot, error) {
	now := s.now()
	snap, err := s.build(ctx, tenant, now)
	if errors.Is(err, ErrNotFound) {
		return &snapshot{at: now, missing: true}, nil
	}
	return snap, err
}

// use is the snapshot for a request: none for a shop that does not exist.
func (snap *snapshot) use() (*snapshot, error) {
	if snap.missing {
		return nil, ErrNotFound
	}
	return snap, nil
}

// reader reads the catalogue: a platform admin to find the tenant, then
// the tenant's own scope.
func reader() sales.Principal {
	return sales.Principal{Username: "storefront", Role: auth.RolePlatformAdmin}
}

func (s *Service) build(ctx context.Context, code string, now time.Time) (*snapshot, error) {
	ts, err := s.src.ListTenants(ctx, reader())
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ts, func(t sales.Tenant) bool { return t.Code == code })
	if i < 0 {
		return nil, ErrNotFound
	}
	t := ts[i]
	p := sales.Principal{Username: "storefront", TenantID: t.ID, Role: auth.RoleTenantAdmin}
	venues, err := s.src.ListVenues(ctx, p)
	if err != nil {
		return nil, err
	}
	venueName := map[int64]string{}
	for _, v := range venues {
		venueName[v.ID] = v.Name
	}
	evs, err := s.src.ListEvents(ctx, p)
	if err != nil {
		return nil, err
	}
	sessions, err := s.src.ListSessions(ctx, p, sales.SessionFilter{})
	if err != nil {
		return nil, err
	}
	byEvent := map[int64][]SessionCard{}
	onSale := map[int64]sales.Principal{}
	for _, ss := range sessions {
		if ss.Status == sales.SessionCancelled || !now.Before(ss.StartsAt) {
			continue
		}
		card, err := s.session(ctx, p, ss, venueName[ss.VenueID])
		if err != nil {
			return nil, fmt.Errorf("storefront: session %d: %w", ss.ID, err)
		}
		if len(card.Levels) > 0 {
			byEvent[ss.EventID] = append(byEvent[ss.EventID], card)
			onSale[ss.ID] = p
		}
	}
	home := Home{Tenant: t.Code, Name: t.Name, Events: []EventCard{}, At: now.UTC()}
	events := map[int64][]byte{}
	for _, ev := range evs {
		cards := byEvent[ev.ID]
		if len(cards) == 0 {
			continue
		}
		slices.SortFunc(cards, func(a, b SessionCard) int { return a.StartsAt.Compare(b.StartsAt) })
		ec := EventCard{ID: ev.ID, Name: ev.Name, Kind: ev.Kind, RealName: ev.RealName, Sessions: len(cards), First: cards[0].StartsAt, MinPriceCents: -1}
		for _, c := range cards {
			for _, l := range c.Levels {
				ec.Remaining += l.Remaining
				if ec.MinPriceCents < 0 || l.PriceCents < ec.MinPriceCents {
					ec.MinPriceCents = l.PriceCents
				}
			}
		}
		home.Events = append(home.Events, ec)
		b, err := json.Marshal(EventPage{EventCard: ec, HolderLimit: ev.HolderLimit, Dates: cards, At: now.UTC()})
		if err != nil {
			return nil, err
		}
		events[ev.ID] = b
	}
	slices.SortFunc(home.Events, func(a, b EventCard) int { return a.First.Compare(b.First) })
	hb, err := json.Marshal(home)
	if err != nil {
		return nil, err
	}
	return &snapshot{at: now, home: hb, events: events, sessions: onSale}, nil
}

func (s *Service) session(ctx context.Context, p sales.Principal, ss sales.Session, venue string) (SessionCard, error) {
	tiers, err := s.src.Prices(ctx, p, ss.ID)
	if err != nil {
		return SessionCard{}, err
	}
	m, err := s.src.SeatMap(ctx, p, ss.ID)
	if err != nil {
		return SessionCard{}, err
	}
	open := m.OpenByTier()
	card := SessionCard{ID: ss.ID, Venue: venue, StartsAt: ss.StartsAt.UTC(), Levels: []TierCount{}}
	if ss.OnSaleAt != nil && s.now().Before(*ss.OnSaleAt) {
		at := ss.OnSaleAt.UTC()
		card.OnSaleAt = &at
	}
	for _, t := range tiers {
		card.Levels = append(card.Levels, TierCount{ID: t.ID, Name: t.Name, PriceCents: t.PriceCents, Remaining: open[t.ID]})
	}
	return card, nil
}
