package inventory

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Store reads what an inventory is built from.
type Store interface {
	// Sessions are a venue's sessions not over before since.
	Sessions(ctx context.Context, venueID int64, since time.Time) ([]Session, error)
	Seats(ctx context.Context, sessionID int64) ([]Seat, error)
	// Tickets are a session's tickets issued by asOf, with their
	// revocation, prints and passages.
	Tickets(ctx context.Context, sessionID int64, asOf time.Time) ([]Ticket, error)
	// ToProduce lists a venue's valid commemorative tickets not yet made.
	ToProduce(ctx context.Context, venueID int64) ([]PrintLine, error)

	// ChannelSales counts a session's tickets valid at asOf by the
	// channel of their order.
	ChannelSales(ctx context.Context, sessionID int64, asOf time.Time) (map[string]int, error)
	HasExport(ctx context.Context, venueID int64, period string, asOf time.Time) (bool, error)
	// InsertExport keeps an export and its file (ErrExists when its venue,
	// period and moment were taken before).
	InsertExport(ctx context.Context, e Export, body []byte) (Export, error)
	// Exports lists a venue's exports, newest first, without their files.
	Exports(ctx context.Context, venueID int64, limit int) ([]Export, error)
	// ExportFile is one of a venue's exports with its file as kept (ErrNotFound).
	ExportFile(ctx context.Context, venueID, id int64) (Export, []byte, error)
}

// Sales is the sales service as the inventory uses it (access, quotas).
type Sales interface {
	GetVenue(ctx context.Context, p sales.Principal, id int64) (sales.Venue, error)
	ListVenues(ctx context.Context, p sales.Principal) ([]sales.Venue, error)
	GetSession(ctx context.Context, p sales.Principal, id int64) (sales.Session, error)
	OrderCommemorative(ctx context.Context, p sales.Principal, numbers []string) (int, error)
	RecordProduction(ctx context.Context, p sales.Principal, rs []sales.Produced) error
}

// Service builds inventories.
type Service struct {
	st    Store
	sales Sales
	now   func() time.Time
}

// New returns a Service.
func New(st Store, s Sales, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, sales: s, now: now}
}

// Kept is how far back an inventory lists sessions that are over.
const Kept = 31 * 24 * time.Hour

// Inventory is a venue's sessions as of a moment.
type Inventory struct {
	VenueID  int64         `json:"venue_id"`
	AsOf     time.Time     `json:"as_of"`
	Sessions []SessionView `json:"sessions"`
	rows     []Row
}

// SessionView is one session's counts and its public share.
type SessionView struct {
	Counts
	Share Share `json:"public_share"`
}

// Share is the current rule's public sale ratio (at least 85 %): seats
// kept from the public (reserved, held back, contract customers') over
// the seats for sale at all.
type Share struct {
	ForSale    int     `json:"for_sale"`
	NonPublic  int     `json:"non_public"`
	NonPublicP float64 `json:"non_public_percent"`
	Warning    string  `json:"warning,omitempty"`
}

// MaxNonPublic is the current rule's cap on the non-public share.
const MaxNonPublic = 15.0

// Build builds a venue's inventory as of asOf (zero: now), or as of the
// end of the last whole period ("daily", "weekly") in the venue's zone.
func (s *Service) Build(ctx context.Context, p sales.Principal, venueID int64, asOf time.Time, period string) (Inventory, error) {
	if !auth.Can(p.Role, auth.ReadSales) {
		return Inventory{}, &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "you may not read the inventory"}
	}
	v, err := s.sales.GetVenue(ctx, p, venueID)
	if err != nil {
		return Inventory{}, err
	}
	now := s.now()
	if period != "" {
		if !asOf.IsZero() {
			return Inventory{}, sales.Invalid("bad_query", "give as_of or period, not both")
		}
		loc, err := time.LoadLocation(v.Timezone)
		if err != nil {
			return Inventory{}, fmt.Errorf("inventory: venue time zone: %w", err)
		}
		var ok bool
		if asOf, ok = Period(period, now, loc); !ok {
			return Inventory{}, sales.Invalid("bad_query", "period is daily or weekly")
		}
	}
	if asOf.IsZero() || asOf.After(now) {
		if !asOf.IsZero() {
			return Inventory{}, sales.Invalid("bad_query", "as_of is in the future")
		}
		asOf = now
	}
	asOf = asOf.UTC().Truncate(time.Millisecond)
	sessions, err := s.st.Sessions(ctx, venueID, asOf.Add(-Kept))
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{VenueID: venueID, AsOf: asOf, Sessions: []SessionView{}}
	for _, ss := range sessions {
		seats, err := s.st.Seats(ctx, ss.ID)
		if err != nil {
			return Inventory{}, err
		}
		ts, err := s.st.Tickets(ctx, ss.ID, asOf)
		if err != nil {
			return Inventory{}, err
		}
		rows := Build(ss, seats, ts, asOf)
		inv.rows = append(inv.rows, rows...)
		full, err := s.sales.GetSession(ctx, p, ss.ID)
		if err != nil {
			return Inventory{}, err
		}
		inv.Sessions = append(inv.Sessions, SessionView{Counts: Count(ss.ID, rows), Share: share(full, seats)})
	}
	return inv, nil
}

// CSV is the inventory's export.
func (inv Inventory) CSV() []byte { return CSV(inv.AsOf, inv.rows) }

func share(ss sales.Session, seats []Seat) Share {
	var sh Share
	contract := 0
	for _, q := range ss.Quotas {
		if q.Channel == sales.ChannelContract && q.Party == "" {
			contract += q.Limit
		}
	}
	for _, st := range seats {
		if st.Category == "non_sale" || (st.State != "ok" && st.State != "obstructed") {
			continue
		}
		sh.ForSale++
		if st.Category == "reserved" || st.Category == "held_back" {
			sh.NonPublic++
		}
	}
	sh.NonPublic += contract
	if sh.ForSale > 0 {
		sh.NonPublicP = float64(sh.NonPublic*1000/sh.ForSale) / 10
	}
	if sh.NonPublicP > MaxNonPublic {
		sh.Warning = "more than 15 % of the seats are kept from public sale (the rule: at least 85 % public)"
	}
	return sh
}

// PrintData is a venue's commemorative tickets still to be made, for the
// printing house.
func (s *Service) PrintData(ctx context.Context, p sales.Principal, venueID int64) ([]byte, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return nil, &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "managers send print data"}
	}
	if _, err := s.sales.GetVenue(ctx, p, venueID); err != nil {
		return nil, err
	}
	ls, err := s.st.ToProduce(ctx, venueID)
	if err != nil {
		return nil, err
	}
	return PrintCSV(ls), nil
}

// ProductionError lists a result file's bad lines.
type ProductionError struct{ Lines []LineProblem }

func (e *ProductionError) Error() string { return "inventory: bad production file" }

// ImportProduction records the printing house's result file, all lines
// or none; it answers how many tickets were made.
func (s *Service) ImportProduction(ctx context.Context, p sales.Principal, venueID int64, file io.Reader) (int, error) {
	if _, err := s.sales.GetVenue(ctx, p, venueID); err != nil {
		return 0, err
	}
	rs, probs := ParseProduction(file)
	if len(probs) > 0 {
		return 0, &ProductionError{Lines: probs}
	}
	return len(rs), s.sales.RecordProduction(ctx, p, rs)
}
