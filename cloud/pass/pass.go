// Package pass is passes (通票, event plan §6.1.2(5)): a product that
// admits to several sessions, possibly in several venues, with no seat
// or with one seat kept across its sessions (they share a hall, so the
// seat is the hall's seat and follows its seat map), priced uniformly or
// by seat level. Selling one is the sales service's bundle: every
// session's seat, order and ticket in one transaction, or none; its one
// code admits once per session at each session's gates; a refund takes
// it back whole.
package pass

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Product is a pass on sale.
type Product struct {
	ID         int64   `json:"id"`
	TenantID   int64   `json:"tenant_id"`
	Name       string  `json:"name"`
	SessionIDs []int64 `json:"session_ids"`
	// Seated: the buyer picks a seat of the shared hall and keeps it in
	// every session; otherwise each session gives its best seat of the
	// level asked for.
	Seated bool `json:"seated"`
	// PriceCents is the pass's price whatever the seat; or TierPrices
	// prices it by the seat's level (price tier name).
	PriceCents int64            `json:"price_cents,omitempty"`
	TierPrices map[string]int64 `json:"tier_prices,omitempty"`
	// Stock caps the passes sold (0: only the seats do).
	Stock     int       `json:"stock"`
	CreatedAt time.Time `json:"created_at"`
}

// Kind names passes among the sales service's bundles.
const Kind = "pass"

// Store keeps products.
type Store interface {
	InsertProduct(ctx context.Context, p Product, e audit.Entry) (Product, error)
	// Product is ErrNotFound outside the tenant.
	Product(ctx context.Context, tenantID, id int64) (Product, error)
	Products(ctx context.Context, tenantID int64) ([]Product, error)
}

// ErrNotFound is a product the store does not have.
var ErrNotFound = errors.New("pass: no such product")

// Sales is the sales service as passes use it.
type Sales interface {
	GetSession(ctx context.Context, p sales.Principal, id int64) (sales.Session, error)
	Prices(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.PriceTier, error)
	SessionSeats(ctx context.Context, p sales.Principal, sessionID int64) ([]sales.SessionSeat, error)
	SellBundle(ctx context.Context, p sales.Principal, in sales.BundleRequest) (sales.Bundle, error)
	GetBundle(ctx context.Context, p sales.Principal, id int64) (sales.Bundle, error)
}

// Service runs passes.
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

func invalid(msg string, fields ...sales.FieldError) error {
	return &sales.Error{Kind: sales.KindInvalid, Code: "invalid_pass", Message: msg, Fields: fields}
}

// Create adds a pass product over sessions of the caller's tenant.
func (s *Service) Create(ctx context.Context, p sales.Principal, in Product) (Product, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return Product{}, &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "only managers make passes"}
	}
	in.Name = strings.TrimSpace(in.Name)
	var fields []sales.FieldError
	if n := len([]rune(in.Name)); n == 0 || n > 80 {
		fields = append(fields, sales.FieldError{Field: "name", Message: "1-80 characters"})
	}
	if len(in.SessionIDs) < 2 || len(in.SessionIDs) > sales.MaxBundleSessions {
		fields = append(fields, sales.FieldError{Field: "session_ids", Message: fmt.Sprintf("a pass covers 2 to %d sessions", sales.MaxBundleSessions)})
	}
	if len(slices.Compact(slices.Sorted(slices.Values(in.SessionIDs)))) != len(in.SessionIDs) {
		fields = append(fields, sales.FieldError{Field: "session_ids", Message: "a session is listed twice"})
	}
	if (in.PriceCents > 0) == (len(in.TierPrices) > 0) || in.PriceCents < 0 {
		fields = append(fields, sales.FieldError{Field: "price_cents", Message: "give one price, or prices by seat level (tier_prices), not both"})
	}
	for name, c := range in.TierPrices {
		if c <= 0 || name == "" {
			fields = append(fields, sales.FieldError{Field: "tier_prices", Message: "each level's price must be positive"})
			break
		}
	}
	if in.Stock < 0 {
		fields = append(fields, sales.FieldError{Field: "stock", Message: "must not be negative"})
	}
	if len(fields) > 0 {
		return Product{}, invalid("the pass cannot be made", fields...)
	}
	var hall int64
	for _, id := range in.SessionIDs {
		ss, err := s.sales.GetSession(ctx, p, id)
		if err != nil {
			return Product{}, err
		}
		if in.Seated && hall != 0 && ss.HallID != hall {
			return Product{}, invalid("a seated pass keeps one seat: its sessions must share a hall", sales.FieldError{Field: "session_ids", Message: "in different halls"})
		}
		hall = ss.HallID
	}
	in.ID, in.TenantID, in.CreatedAt = 0, p.TenantID, s.now().UTC()
	after, _ := json.Marshal(in)
	return s.st.InsertProduct(ctx, in, audit.Entry{At: in.CreatedAt, TenantID: p.TenantID, Actor: p.Actor(), Action: "pass.create", After: after})
}

// List lists the tenant's pass products.
func (s *Service) List(ctx context.Context, p sales.Principal) ([]Product, error) {
	if !auth.Can(p.Role, auth.ReadCatalog) {
		return nil, &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "you may not read the catalogue"}
	}
	return s.st.Products(ctx, p.TenantID)
}

// SellRequest buys one pass at the box office.
type SellRequest struct {
	// SeatID, for a seated pass, is the seat kept in every session.
	SeatID int64 `json:"seat_id,omitempty"`
	// Tier, for a pass priced by level without a seat, is the level.
	Tier         string               `json:"tier,omitempty"`
	CustomerName string               `json:"customer_name,omitempty"`
	Payment      sales.PaymentRequest `json:"payment"`
	// Holder is the pass's holder, for a pass of a real-name event: their
	// document is on every session's ticket (seat_id is not used).
	Holder *sales.HolderRequest `json:"holder,omitempty"`
}

// Sell sells one pass: every session's seat in one transaction.
func (s *Service) Sell(ctx context.Context, p sales.Principal, productID int64, in SellRequest) (sales.Bundle, error) {
	pr, err := s.st.Product(ctx, p.TenantID, productID)
	if errors.Is(err, ErrNotFound) {
		return sales.Bundle{}, sales.NotFound("pass")
	}
	if err != nil {
		return sales.Bundle{}, err
	}
	for _, sid := range pr.SessionIDs {
		// Staff who do not see every venue of the pass cannot sell it.
		if _, err := s.sales.GetSession(ctx, p, sid); sales.IsKind(err, sales.KindNotFound) {
			return sales.Bundle{}, sales.NotFound("pass")
		} else if err != nil {
			return sales.Bundle{}, err
		}
	}
	if pr.Seated != (in.SeatID != 0) {
		if pr.Seated {
			return sales.Bundle{}, invalid("a seated pass needs its seat", sales.FieldError{Field: "seat_id", Message: "choose a seat"})
		}
		return sales.Bundle{}, invalid("this pass has no seat", sales.FieldError{Field: "seat_id", Message: "not for this pass"})
	}
	level := in.Tier
	if pr.Seated {
		if level, err = s.seatLevel(ctx, p, pr.SessionIDs[0], in.SeatID); err != nil {
			return sales.Bundle{}, err
		}
	}
	price := pr.PriceCents
	if len(pr.TierPrices) > 0 {
		var ok bool
		if price, ok = pr.TierPrices[level]; !ok {
			return sales.Bundle{}, invalid("this pass is not sold at that level", sales.FieldError{Field: "tier", Message: "one of the pass's levels"})
		}
	}
	items := make([]sales.BundleItem, len(pr.SessionIDs))
	share := price / int64(len(items))
	for i, sid := range pr.SessionIDs {
		items[i] = sales.BundleItem{SessionID: sid, PriceCents: share}
		if i == 0 {
			items[i].PriceCents += price - share*int64(len(items)) // the remainder: the parts add up to the price
		}
		if pr.Seated {
			items[i].SeatIDs = []int64{in.SeatID}
			continue
		}
		items[i].Count = 1
		if level != "" {
			tiers, err := s.sales.Prices(ctx, p, sid)
			if err != nil {
				return sales.Bundle{}, err
			}
			j := slices.IndexFunc(tiers, func(t sales.PriceTier) bool { return t.Name == level })
			if j < 0 {
				return sales.Bundle{}, sales.Conflict("level_missing", fmt.Sprintf("session %d has no level %q", sid, level))
			}
			items[i].TierID = tiers[j].ID
		}
	}
	return s.sales.SellBundle(ctx, p, sales.BundleRequest{Kind: Kind, Ref: pr.ID, Items: items, CustomerName: in.CustomerName, Payment: in.Payment, Limit: pr.Stock,
		Holder: in.Holder})
}

// seatLevel is the name of a seat's price tier in a session.
func (s *Service) seatLevel(ctx context.Context, p sales.Principal, sessionID, seatID int64) (string, error) {
	seats, err := s.sales.SessionSeats(ctx, p, sessionID)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(seats, func(st sales.SessionSeat) bool { return st.SeatID == seatID })
	if i < 0 {
		return "", invalid("no such seat in the pass's hall", sales.FieldError{Field: "seat_id", Message: "not a seat of the hall"})
	}
	tiers, err := s.sales.Prices(ctx, p, sessionID)
	if err != nil {
		return "", err
	}
	for _, t := range tiers {
		if t.ID == seats[i].TierID {
			return t.Name, nil
		}
	}
	return "", sales.Conflict("seats_unavailable", "the seat has no price")
}

// Get shows a sold pass with its orders.
func (s *Service) Get(ctx context.Context, p sales.Principal, id int64) (sales.Bundle, error) {
	b, err := s.sales.GetBundle(ctx, p, id)
	if err == nil && b.Kind != Kind {
		return sales.Bundle{}, sales.NotFound("pass")
	}
	return b, err
}
