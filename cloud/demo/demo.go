// Package demo fills an empty cloud with a demo tenant a newcomer can click
// through: a cinema with a 12×20 hall, a stadium with a 5,000-seat stand,
// sessions today and tomorrow, and one login per role.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

// Login is one demo account.
type Login struct {
	Role     auth.Role
	Username string
	Password string
}

// World is what Seed created.
type World struct {
	Logins   []Login
	Tenant   sales.Tenant
	Cinema   sales.Venue
	Stadium  sales.Venue
	Sessions []sales.Session
	Soon     sales.Session // the cinema's showing in Hall 2 that starts within the hour
}

// Password is the demo accounts' password: a demo is not a deployment.
const Password = "admit-demo-2026"

// Seed creates the demo world. It fails on a store that already has it.
func Seed(ctx context.Context, svc *sales.Service, now time.Time) (World, error) {
	var w World
	admin, err := svc.CreatePlatformAdmin(ctx, "platform", Password)
	if err != nil {
		return w, fmt.Errorf("demo: platform admin: %w", err)
	}
	w.Logins = append(w.Logins, Login{auth.RolePlatformAdmin, admin.Username, Password})
	pa := sales.Principal{UserID: admin.ID, Username: admin.Username, Role: auth.RolePlatformAdmin}
	if w.Tenant, err = svc.CreateTenant(ctx, pa, sales.NewTenant{Code: "demo", Name: "Demo Entertainment 演示娱乐"}); err != nil {
		return w, fmt.Errorf("demo: tenant: %w", err)
	}
	ta, err := svc.CreateUser(ctx, pa, sales.NewUser{TenantID: w.Tenant.ID, Username: "admin", DisplayName: "Tenant admin", Password: Password, Role: string(auth.RoleTenantAdmin)})
	if err != nil {
		return w, fmt.Errorf("demo: tenant admin: %w", err)
	}
	w.Logins = append(w.Logins, Login{auth.RoleTenantAdmin, ta.Username, Password})
	tp := sales.Principal{UserID: ta.ID, Username: ta.Username, TenantID: w.Tenant.ID, Role: auth.RoleTenantAdmin}

	if w.Cinema, err = svc.CreateVenue(ctx, tp, sales.NewVenue{Code: "31010101", Name: "Admit Cinema 幸福影城", Address: "1 Nanjing Road, Shanghai", Timezone: "Asia/Shanghai"}); err != nil {
		return w, fmt.Errorf("demo: cinema: %w", err)
	}
	if w.Stadium, err = svc.CreateVenue(ctx, tp, sales.NewVenue{Code: "31010202", Name: "Admit Stadium 体育场", Address: "2 Tianyaoqiao Road, Shanghai", Timezone: "Asia/Shanghai"}); err != nil {
		return w, fmt.Errorf("demo: stadium: %w", err)
	}
	hallMap := seatmap.Grid("M", "Stalls 池座", 12, 20)
	for i := range hallMap.Seats {
		st := &hallMap.Seats[i]
		switch {
		case st.RowNo == 12 && st.Col >= 9 && st.Col <= 12:
			st.Type = seatmap.TypeCouple
		case st.RowNo == 1 && st.Col <= 2:
			st.Type = seatmap.TypeAccessible
		case st.RowNo >= 6 && st.RowNo <= 8 && st.Col >= 7 && st.Col <= 14:
			st.Type = seatmap.TypeVIP
		}
	}
	hall, err := svc.CreateHall(ctx, tp, w.Cinema.ID, sales.NewHall{Code: "H1", Name: "Hall 1 一号厅", Map: &hallMap})
	if err != nil {
		return w, fmt.Errorf("demo: hall: %w", err)
	}
	smallMap := seatmap.Grid("S", "Stalls 池座", 8, 12)
	small, err := svc.CreateHall(ctx, tp, w.Cinema.ID, sales.NewHall{Code: "H2", Name: "Hall 2 二号厅", Map: &smallMap})
	if err != nil {
		return w, fmt.Errorf("demo: hall 2: %w", err)
	}
	standMap := seatmap.Grid("N", "North stand 北看台", 50, 100)
	stand, err := svc.CreateHall(ctx, tp, w.Stadium.ID, sales.NewHall{Code: "N", Name: "North stand 北看台", Map: &standMap})
	if err != nil {
		return w, fmt.Errorf("demo: stand: %w", err)
	}
	for _, u := range []struct {
		role   auth.Role
		name   string
		venues []int64
	}{
		{auth.RoleVenueManager, "manager", []int64{w.Cinema.ID, w.Stadium.ID}},
		{auth.RoleClerk, "clerk", []int64{w.Cinema.ID, w.Stadium.ID}},
		{auth.RoleGateStaff, "gate", []int64{w.Cinema.ID, w.Stadium.ID}},
		{auth.RoleAuditor, "auditor", nil},
	} {
		if _, err := svc.CreateUser(ctx, tp, sales.NewUser{Username: u.name, DisplayName: string(u.role), Password: Password, Role: string(u.role), VenueIDs: u.venues}); err != nil {
			return w, fmt.Errorf("demo: user %s: %w", u.name, err)
		}
		w.Logins = append(w.Logins, Login{u.role, u.name, Password})
	}
	film, err := svc.CreateEvent(ctx, tp, sales.NewEvent{Name: "流浪地球 The Wandering Earth", Kind: "film", Code: "001X02212023"})
	if err != nil {
		return w, fmt.Errorf("demo: film: %w", err)
	}
	match, err := svc.CreateEvent(ctx, tp, sales.NewEvent{Name: "Shanghai vs Beijing 沪京德比", Kind: "match"})
	if err != nil {
		return w, fmt.Errorf("demo: match: %w", err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return w, fmt.Errorf("demo: time zone: %w", err)
	}
	day := now.In(loc)
	today := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	for d := 0; d < 2; d++ {
		date := today.AddDate(0, 0, d)
		for _, hh := range []int{14, 19} {
			start := date.Add(time.Duration(hh)*time.Hour + 30*time.Minute)
			ss, err := svc.CreateSession(ctx, tp, sales.NewSession{HallID: hall.ID, EventID: film.ID, StartsAt: start, EndsAt: start.Add(2*time.Hour + 15*time.Minute),
				MinPriceCents: 2000, MaxPerOrder: 8})
			if err != nil {
				return w, fmt.Errorf("demo: film session: %w", err)
			}
			if _, err := svc.SetPrices(ctx, tp, ss.ID, []sales.PriceTier{
				{Name: "VIP", SeatType: seatmap.TypeVIP, PriceCents: 8800},
				{Name: "Couple 情侣座", SeatType: seatmap.TypeCouple, PriceCents: 7800},
				{Name: "Standard 普通", PriceCents: 4800},
			}); err != nil {
				return w, fmt.Errorf("demo: film prices: %w", err)
			}
			w.Sessions = append(w.Sessions, ss)
		}
		start := date.Add(19*time.Hour + 35*time.Minute)
		ss, err := svc.CreateSession(ctx, tp, sales.NewSession{HallID: stand.ID, EventID: match.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
			MinPriceCents: 5000, MaxPerOrder: 6, Reentry: sales.ReentryAfterExit})
		if err != nil {
			return w, fmt.Errorf("demo: match session: %w", err)
		}
		if _, err := svc.SetPrices(ctx, tp, ss.ID, []sales.PriceTier{{Name: "North stand 北看台", Section: "N", PriceCents: 18000}}); err != nil {
			return w, fmt.Errorf("demo: match prices: %w", err)
		}
		w.Sessions = append(w.Sessions, ss)
	}
	// A showing starting within the hour, so the demo gate admits now.
	soon := now.Truncate(5 * time.Minute).Add(35 * time.Minute)
	ss, err := svc.CreateSession(ctx, tp, sales.NewSession{HallID: small.ID, EventID: film.ID, StartsAt: soon, EndsAt: soon.Add(2*time.Hour + 15*time.Minute),
		MinPriceCents: 2000, MaxPerOrder: 8})
	if err != nil {
		return w, fmt.Errorf("demo: the showing starting soon: %w", err)
	}
	if _, err := svc.SetPrices(ctx, tp, ss.ID, []sales.PriceTier{{Name: "Standard 普通", PriceCents: 4500}}); err != nil {
		return w, fmt.Errorf("demo: prices of the showing starting soon: %w", err)
	}
	w.Sessions = append(w.Sessions, ss)
	w.Soon = ss
	return w, nil
}
