// Package outlet is the outlets of the sales channels (event plan
// §6.1.3(10), §6.1.6): booths and agency shops that the organiser enables
// or disables, the staff who work at each, and what each sold. A sale
// records its seller's outlet (sales); the staff of a disabled outlet sell
// nothing.
package outlet

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// Outlet is a booth or an agency's shop.
type Outlet struct {
	ID        int64         `json:"id"`
	TenantID  int64         `json:"tenant_id"`
	Channel   sales.Channel `json:"channel"`
	Code      string        `json:"code"`
	Name      string        `json:"name"`
	Enabled   bool          `json:"enabled"`
	CreatedAt time.Time     `json:"created_at"`
}

// Sales is one outlet's sales over a period.
type Sales struct {
	OutletID   int64  `json:"outlet_id"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	Orders     int    `json:"orders"`
	Tickets    int    `json:"tickets"`
	TotalCents int64  `json:"total_cents"`
}

// Store keeps outlets; each change with its audit entry.
type Store interface {
	InsertOutlet(ctx context.Context, o Outlet, e audit.Entry) (Outlet, error) // ErrDuplicate
	SetEnabled(ctx context.Context, tenantID, id int64, enabled bool, e audit.Entry) (Outlet, error)
	// Outlets lists a tenant's outlets (0: every tenant's).
	Outlets(ctx context.Context, tenantID int64) ([]Outlet, error)
	// SetStaff makes a user of the tenant work at an outlet (0: none).
	SetStaff(ctx context.Context, tenantID, userID, outletID int64, e audit.Entry) error
	// Report sums the paid orders of each outlet in [from, to).
	Report(ctx context.Context, tenantID int64, from, to time.Time) ([]Sales, error)
}

var (
	ErrNotFound  = errors.New("outlet: not found")
	ErrDuplicate = errors.New("outlet: code taken")
)

// Service runs outlets.
type Service struct {
	st  Store
	now func() time.Time
	// Forget makes logins re-read their outlet at once (sales).
	Forget func()
}

// New returns a Service.
func New(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}

func manage(p sales.Principal) error {
	if p.TenantID == 0 || !auth.Can(p.Role, auth.ManageUsers) {
		return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "only the organiser's admin runs outlets"}
	}
	return nil
}

// Create adds an outlet (enabled).
func (s *Service) Create(ctx context.Context, p sales.Principal, o Outlet) (Outlet, error) {
	if err := manage(p); err != nil {
		return Outlet{}, err
	}
	o.Code, o.Name = strings.TrimSpace(o.Code), strings.TrimSpace(o.Name)
	var fields []sales.FieldError
	if o.Channel != sales.ChannelPOS && o.Channel != sales.ChannelAgency {
		fields = append(fields, sales.FieldError{Field: "channel", Message: "pos (a booth) or agency (an agency's shop)"})
	}
	if o.Code == "" || len(o.Code) > 32 {
		fields = append(fields, sales.FieldError{Field: "code", Message: "1-32 characters"})
	}
	if n := len([]rune(o.Name)); n == 0 || n > 80 {
		fields = append(fields, sales.FieldError{Field: "name", Message: "1-80 characters"})
	}
	if len(fields) > 0 {
		return Outlet{}, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_outlet", Message: "the outlet cannot be saved", Fields: fields}
	}
	o.ID, o.TenantID, o.Enabled, o.CreatedAt = 0, p.TenantID, true, s.now().UTC()
	out, err := s.st.InsertOutlet(ctx, o, audit.Entry{At: o.CreatedAt, TenantID: p.TenantID, Actor: p.Actor(), Action: "outlet.create", After: audit.Value(o)})
	if errors.Is(err, ErrDuplicate) {
		return Outlet{}, sales.Conflict("code_taken", "another outlet has that code")
	}
	return out, err
}

// SetEnabled enables or disables an outlet: its staff sell again, or not.
func (s *Service) SetEnabled(ctx context.Context, p sales.Principal, id int64, enabled bool, reason string) (Outlet, error) {
	if err := manage(p); err != nil {
		return Outlet{}, err
	}
	o, err := s.st.SetEnabled(ctx, p.TenantID, id, enabled, audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(),
		Action: "outlet.enable", Reason: reason, After: audit.Value(map[string]bool{"enabled": enabled})})
	if errors.Is(err, ErrNotFound) {
		return Outlet{}, sales.NotFound("outlet")
	}
	if err == nil && s.Forget != nil {
		s.Forget()
	}
	return o, err
}

// List lists the tenant's outlets.
func (s *Service) List(ctx context.Context, p sales.Principal) ([]Outlet, error) {
	if !auth.Can(p.Role, auth.ReadSales) || p.TenantID == 0 {
		return nil, &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "you may not see outlets"}
	}
	return s.st.Outlets(ctx, p.TenantID)
}

// Assign makes a user work at an outlet (0: at none).
func (s *Service) Assign(ctx context.Context, p sales.Principal, outletID, userID int64) error {
	if err := manage(p); err != nil {
		return err
	}
	err := s.st.SetStaff(ctx, p.TenantID, userID, outletID, audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(),
		Action: "outlet.staff", Object: "user:" + strconv.FormatInt(userID, 10), After: audit.Value(map[string]int64{"outlet_id": outletID})})
	if errors.Is(err, ErrNotFound) {
		return sales.NotFound("outlet or user")
	}
	if err == nil && s.Forget != nil {
		s.Forget()
	}
	return err
}

// Report is what each outlet sold in [from, to).
func (s *Service) Report(ctx context.Context, p sales.Principal, from, to time.Time) ([]Sales, error) {
	if !auth.Can(p.Role, auth.ReadSales) || p.TenantID == 0 {
		return nil, &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "you may not see outlets' sales"}
	}
	if to.IsZero() {
		to = s.now()
	}
	if !from.Before(to) {
		return nil, sales.Invalid("bad_query", "from must be before to")
	}
	return s.st.Report(ctx, p.TenantID, from, to)
}

// Partners are the booths (outlets of the box office channel) as
// settlement sees them (tenantID 0: every tenant's): each remits what it
// took, with no commission unless the organiser agrees one.
func (s *Service) Partners(ctx context.Context, tenantID int64) ([]settlement.Partner, error) {
	os, err := s.st.Outlets(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []settlement.Partner
	for _, o := range os {
		out = append(out, settlement.Partner{TenantID: o.TenantID, Party: "outlet:" + strconv.FormatInt(o.ID, 10), Name: o.Name})
	}
	return out, nil
}
