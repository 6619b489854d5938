package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Source is where the figures come from: the sales service, which scopes
// every answer to the caller.
type Source interface {
	OnlineUsers(ctx context.Context, p sales.Principal) ([]sales.LoginSession, error)
	ListVenues(ctx context.Context, p sales.Principal) ([]sales.Venue, error)
	Dashboard(ctx context.Context, p sales.Principal, venueID int64) (sales.Dashboard, error)
}

// Store keeps each tenant's ranges as a setting, changed with an audit
// entry in the same transaction.
type Store interface {
	Setting(ctx context.Context, key string) (string, bool, error)
	Update(ctx context.Context, fn func(tx sales.Tx) error) error
}

// Service serves the System page.
type Service struct {
	src Source
	st  Store
	now func() time.Time
}

// New returns a Service; now is time.Now when nil.
func New(src Source, st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{src: src, st: st, now: now}
}

// rangesKey is where a tenant's ranges are kept (tenant 0: the platform's).
func rangesKey(tenantID int64) string { return "ops.ranges." + strconv.FormatInt(tenantID, 10) }

// Ranges returns the caller's tenant's ranges.
func (s *Service) Ranges(ctx context.Context, p sales.Principal) ([]Range, error) {
	if !auth.Can(p.Role, auth.ReadAudit) {
		return nil, forbidden()
	}
	return s.ranges(ctx, p.TenantID)
}

func (s *Service) ranges(ctx context.Context, tenantID int64) ([]Range, error) {
	v, ok, err := s.st.Setting(ctx, rangesKey(tenantID))
	if err != nil || !ok {
		return []Range{}, err
	}
	var rs []Range
	if err := json.Unmarshal([]byte(v), &rs); err != nil {
		return nil, fmt.Errorf("ops: stored ranges of tenant %d: %w", tenantID, err)
	}
	return rs, nil
}

// SetRanges replaces the caller's tenant's ranges (platform and tenant
// admins), audited with the ranges before and after.
func (s *Service) SetRanges(ctx context.Context, p sales.Principal, rs []Range) ([]Range, error) {
	if !auth.Can(p.Role, auth.ManageVenues) {
		return nil, forbidden()
	}
	if rs == nil {
		rs = []Range{}
	}
	if errs := Validate(rs); len(errs) > 0 {
		e := &sales.Error{Kind: sales.KindInvalid, Code: "invalid_ranges", Message: "the ranges cannot be used"}
		for _, fe := range errs {
			e.Fields = append(e.Fields, sales.FieldError{Field: "ranges[" + strconv.Itoa(fe.Index) + "]." + fe.Field, Message: fe.Message})
		}
		return nil, e
	}
	after, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	err = s.st.Update(ctx, func(tx sales.Tx) error {
		before, _, err := tx.Setting(ctx, rangesKey(p.TenantID))
		if err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, rangesKey(p.TenantID), string(after)); err != nil {
			return err
		}
		e := audit.Entry{At: s.now().UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "ops.ranges.set",
			Object: "tenant:" + strconv.FormatInt(p.TenantID, 10), After: after}
		if before != "" {
			e.Before = json.RawMessage(before)
		}
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("ops: set ranges: %w", err)
	}
	return rs, nil
}

// Snapshot gathers the figures the caller may see (their tenant, their
// venues for a venue manager, everything for a platform admin) and judges
// them against the tenant's ranges.
func (s *Service) Snapshot(ctx context.Context, p sales.Principal) (Snapshot, error) {
	if !auth.Can(p.Role, auth.ReadAudit) {
		return Snapshot{}, forbidden()
	}
	now := s.now().UTC()
	snap := Snapshot{At: now, Users: []User{}, Devices: map[string]RoleCount{}, Values: map[string]float64{}, SalesByMin: make([]int, 15)}
	logins, err := s.src.OnlineUsers(ctx, p)
	if err != nil {
		return Snapshot{}, err
	}
	for _, l := range logins {
		snap.Users = append(snap.Users, User{Username: l.Username, Role: string(l.Role), TenantID: l.TenantID, Since: l.CreatedAt, LastSeen: l.LastSeenAt})
	}
	venues, err := s.src.ListVenues(ctx, p)
	if err != nil {
		return Snapshot{}, err
	}
	var offline, feedLag int
	var reportLag float64
	for _, v := range venues {
		d, err := s.src.Dashboard(ctx, p, v.ID)
		if err != nil {
			return Snapshot{}, fmt.Errorf("ops: venue %d: %w", v.ID, err)
		}
		snap.VenuesShown++
		for _, dev := range d.Devices {
			rc := snap.Devices[dev.Role]
			rc.Total++
			if dev.Online {
				rc.Online++
			} else {
				offline++
			}
			snap.Devices[dev.Role] = rc
			feedLag = max(feedLag, dev.FeedLag)
		}
		reportLag = max(reportLag, d.Anomalies.ReportingLag)
		for _, m := range d.SalesPerMinute {
			if ago := int(now.Truncate(time.Minute).Sub(m.Minute.UTC().Truncate(time.Minute)) / time.Minute); ago >= 0 && ago < len(snap.SalesByMin) {
				snap.SalesByMin[len(snap.SalesByMin)-1-ago] += m.Tickets
			}
		}
	}
	var last5 int
	for _, n := range snap.SalesByMin[len(snap.SalesByMin)-5:] {
		last5 += n
	}
	snap.Values = map[string]float64{
		UsersOnline:      float64(len(snap.Users)),
		POSOnline:        float64(snap.Devices["pos"].Online),
		KiosksOnline:     float64(snap.Devices["kiosk"].Online),
		GatesOnline:      float64(snap.Devices["gate"].Online),
		DevicesOffline:   float64(offline),
		TicketsPerMinute: float64(last5) / 5,
		ReportingLag:     reportLag,
		FeedLag:          float64(feedLag),
	}
	if snap.Ranges, err = s.ranges(ctx, p.TenantID); err != nil {
		return Snapshot{}, err
	}
	snap.Breaches = Evaluate(snap.Values, snap.Ranges)
	if snap.Breaches == nil {
		snap.Breaches = []Breach{}
	}
	return snap, nil
}

func forbidden() error {
	return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "your role may not see or set the system figures"}
}
