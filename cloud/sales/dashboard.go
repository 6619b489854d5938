package sales

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/auth"
)

// Dashboard is a venue's operations picture (plan §6.1.12, §6.1.14; §8.3.1
// of the regulator's requirement): what is sold and left per session, the
// sales rate, the channel split, attendance per session and gate, and the
// anomalies someone should look at.
type Dashboard struct {
	VenueID        int64            `json:"venue_id"`
	At             time.Time        `json:"at"`
	Version        string           `json:"version"` // changes whenever anything shown may have changed, and every minute
	Totals         DashboardTotals  `json:"totals"`
	Sessions       []SessionStats   `json:"sessions"`
	SalesPerMinute []MinuteCount    `json:"sales_per_minute"` // the last 60 minutes, oldest first
	Channels       map[string]int   `json:"channels"`         // valid tickets by sales channel
	Gates          []GateAttendance `json:"gates"`
	Devices        []DeviceLive     `json:"devices"`
	Anomalies      Anomalies        `json:"anomalies"`
}

// DashboardTotals add up the sessions.
type DashboardTotals struct {
	Capacity  int `json:"capacity"`
	Sold      int `json:"sold"`
	Remaining int `json:"remaining"`
	Admitted  int `json:"admitted"`
	Printed   int `json:"printed"`
}

// SessionStats is one session's line.
type SessionStats struct {
	ID        int64     `json:"id"`
	Event     string    `json:"event"`
	Hall      string    `json:"hall"`
	StartsAt  time.Time `json:"starts_at"`
	Status    string    `json:"status"`
	Capacity  int       `json:"capacity"`  // seats for sale: not out of service or non-sale
	Sold      int       `json:"sold"`      // valid tickets
	Held      int       `json:"held"`      // seats in a live hold
	Remaining int       `json:"remaining"` // available now
	Admitted  int       `json:"admitted"`  // tickets that entered
	Printed   int       `json:"printed"`   // tickets printed at a kiosk or POS
	// PassAdmitted are the admitted tickets that are a pass's.
	PassAdmitted int `json:"pass_admitted"`
	// Attendance is admitted / sold (0 with nothing sold).
	Attendance float64 `json:"attendance"`
}

// MinuteCount is the tickets issued in one minute.
type MinuteCount struct {
	Minute  time.Time `json:"minute"`
	Tickets int       `json:"tickets"`
}

// GateAttendance is the entries one gate admitted for one session.
type GateAttendance struct {
	SessionID int64  `json:"session_id"`
	DeviceID  string `json:"device_id"`
	Device    string `json:"device"` // its name
	Admitted  int    `json:"admitted"`
}

// DeviceLive is a device as the dashboard shows it.
type DeviceLive struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Online    bool       `json:"online"` // seen within DeviceOfflineAfter
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	FeedLag   int        `json:"feed_lag"`
	Outbox    int        `json:"outbox_depth"`
	Printer   string     `json:"printer,omitempty"` // "ok" or the printer's problem
	LastError string     `json:"last_error,omitempty"`
}

// Anomalies are what needs a person.
type Anomalies struct {
	DuplicateAdmissions int `json:"duplicate_admissions"`
	PrintFailures       int `json:"print_failures"` // in the last 24 hours
	DevicesOffline      int `json:"devices_offline"`
	MaxFeedLag          int `json:"max_feed_lag"`
	// The reporting to the national data platform: how long the oldest
	// report has waited (over 60 s is late by the rule), reports whose
	// communication failed, reports refused, and business days the
	// platform holds less than 98 % of.
	ReportingLag   float64   `json:"reporting_lag_s"`
	ReportsFailing int       `json:"reports_failing"`
	ReportsRefused int       `json:"reports_refused"`
	IncompleteDays int       `json:"incomplete_days"`
	Recent         []Anomaly `json:"recent"` // newest first, at most 20
}

// ReportingHealth is what the reporting to the national data platform
// adds to a venue's dashboard (cloud/report).
type ReportingHealth struct {
	OldestPending  *time.Time
	Failing        int // waiting after a failed communication (3 sends, no answer)
	Refused        int
	IncompleteDays []string // business dates below the platform's 98 %
	At             time.Time
}

// ReportingLagLimit is the rule: a report reaches the platform within a minute.
const ReportingLagLimit = time.Minute

// key is what of the health a dashboard version follows.
func (h ReportingHealth) key(now time.Time) string {
	late := h.OldestPending != nil && now.Sub(*h.OldestPending) > ReportingLagLimit
	return strconv.FormatBool(late) + "." + strconv.Itoa(h.Failing) + "." + strconv.Itoa(h.Refused) + "." + strconv.Itoa(len(h.IncompleteDays))
}

// ReportingSource tells a venue's reporting health (report.Service).
type ReportingSource interface {
	VenueHealth(ctx context.Context, venueID int64) (ReportingHealth, error)
}

// SetReportingSource puts the reporting's anomalies on the dashboards.
func (s *Service) SetReportingSource(r ReportingSource) { s.reporting = r }

// reportingHealth is the venue's, or nothing without a source.
func (s *Service) reportingHealth(ctx context.Context, venueID int64) (ReportingHealth, error) {
	if s.reporting == nil {
		return ReportingHealth{}, nil
	}
	return s.reporting.VenueHealth(ctx, venueID)
}

// addReporting adds the reporting's anomalies to a dashboard being built.
func addReporting(d *Dashboard, now time.Time, h ReportingHealth) {
	var add []Anomaly
	if h.OldestPending != nil {
		d.Anomalies.ReportingLag = now.Sub(*h.OldestPending).Seconds()
		if now.Sub(*h.OldestPending) > ReportingLagLimit {
			add = append(add, Anomaly{Kind: "reporting_lag", Detail: "the oldest report to the national data platform has waited " +
				now.Sub(*h.OldestPending).Round(time.Second).String() + " (the rule is 60 s)", At: *h.OldestPending})
		}
	}
	d.Anomalies.ReportsFailing = h.Failing
	if h.Failing > 0 {
		add = append(add, Anomaly{Kind: "report_failing", Detail: strconv.Itoa(h.Failing) +
			" reports to the national data platform failed a communication (3 sends without an answer) and wait to be sent again", At: now})
	}
	d.Anomalies.ReportsRefused = h.Refused
	if h.Refused > 0 {
		add = append(add, Anomaly{Kind: "report_refused", Detail: strconv.Itoa(h.Refused) + " reports refused by the national data platform", At: now})
	}
	d.Anomalies.IncompleteDays = len(h.IncompleteDays)
	for _, day := range h.IncompleteDays {
		add = append(add, Anomaly{Kind: "reporting_incomplete", Detail: "the national data platform holds less than 98 % of " + day + "'s tickets", At: h.At})
	}
	if len(add) > 0 {
		d.Anomalies.Recent = append(add, d.Anomalies.Recent...)
		if len(d.Anomalies.Recent) > 20 {
			d.Anomalies.Recent = d.Anomalies.Recent[:20]
		}
	}
}

// Anomaly is one of them.
type Anomaly struct {
	Kind   string    `json:"kind"` // duplicate_admission, print_failure, device_offline, feed_lag, reporting_lag, report_failing, report_refused, reporting_incomplete
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

// DashboardWindow says which sessions and which recent events a
// dashboard counts.
type DashboardWindow struct {
	SessionsEndingAfter time.Time // sessions still running or ahead
	RateSince           time.Time // tickets per minute from here
	FailuresSince       time.Time // print failures from here
}

// DashboardCounts is what the store counts for a dashboard.
type DashboardCounts struct {
	Version           string
	Sessions          []SessionCounts
	TicketsByMinute   map[int64]int // unix minute → tickets issued, since the given time
	Channels          map[string]int
	Gates             []GateAttendance // without device names
	Alerts            []Alert          // the newest, at most 20
	AlertCount        int
	PrintFailures     []PrintFailure // since the given time, newest first, at most 20
	PrintFailureCount int
}

// SessionCounts is a session's counts from the store.
type SessionCounts struct {
	Session
	Event, Hall                     string
	Capacity, Sold, Held, Available int
	Admitted, Printed, PassAdmitted int
}

// PrintFailure is a print failure a device reported.
type PrintFailure struct {
	DeviceID string
	Number   string
	Error    string
	At       time.Time
}

// DeviceOfflineAfter is how long a device may be silent before the
// dashboard counts it offline: four missed 15 s heartbeats.
const DeviceOfflineAfter = time.Minute

// Dashboard builds the venue's dashboard.
func (s *Service) Dashboard(ctx context.Context, p Principal, venueID int64) (Dashboard, error) {
	if err := authorize(p, auth.ReadCatalog); err != nil {
		return Dashboard{}, err
	}
	v, err := s.venue(ctx, p, scopeTenant(p), venueID)
	if err != nil {
		return Dashboard{}, err
	}
	// Every viewer of a venue gets the dashboard built for its version:
	// it is built once per change, not once per screen.
	ver, h, err := s.dashboardVersion(ctx, v.ID)
	if err != nil {
		return Dashboard{}, err
	}
	s.dashMu.Lock()
	d, ok := s.dash[v.ID]
	s.dashMu.Unlock()
	if ok && d.Version == ver {
		return d, nil
	}
	now := s.now().UTC()
	c, err := s.store.VenueDashboard(ctx, v.ID, DashboardWindow{SessionsEndingAfter: now.Add(-24 * time.Hour),
		RateSince: now.Truncate(time.Minute).Add(-59 * time.Minute), FailuresSince: now.Add(-24 * time.Hour)})
	if err != nil {
		return Dashboard{}, err
	}
	devices, err := s.store.ListDevices(ctx, v.TenantID, []int64{v.ID})
	if err != nil {
		return Dashboard{}, err
	}
	d = buildDashboard(v.ID, now, c, devices)
	addReporting(&d, now, h)
	d.Version = ver
	s.dashMu.Lock()
	s.dash[v.ID] = d
	s.dashMu.Unlock()
	return d, nil
}

// DashboardVersion is the dashboard's Version alone, cheap enough to ask
// every second: a live page reloads the dashboard when it changes.
func (s *Service) DashboardVersion(ctx context.Context, p Principal, venueID int64) (string, error) {
	if err := authorize(p, auth.ReadCatalog); err != nil {
		return "", err
	}
	v, err := s.venue(ctx, p, scopeTenant(p), venueID)
	if err != nil {
		return "", err
	}
	ver, _, err := s.dashboardVersion(ctx, v.ID)
	return ver, err
}

// dashboardVersion is the venue's dashboard version and the reporting
// health it includes (read once for both).
func (s *Service) dashboardVersion(ctx context.Context, venueID int64) (string, ReportingHealth, error) {
	ver, err := s.store.DashboardVersion(ctx, venueID)
	if err != nil {
		return "", ReportingHealth{}, err
	}
	h, err := s.reportingHealth(ctx, venueID)
	if err != nil {
		return "", ReportingHealth{}, err
	}
	// Devices go offline, holds expire and the sales-per-minute window
	// moves by the clock alone: the minute is in the version.
	now := s.now()
	return ver + "/" + strconv.FormatInt(now.Unix()/60, 10) + "/" + h.key(now), h, nil
}

func buildDashboard(venueID int64, now time.Time, c DashboardCounts, devices []Device) Dashboard {
	d := Dashboard{VenueID: venueID, At: now, Channels: c.Channels, Gates: c.Gates}
	if d.Channels == nil {
		d.Channels = map[string]int{}
	}
	for _, sc := range c.Sessions {
		st := SessionStats{ID: sc.ID, Event: sc.Event, Hall: sc.Hall, StartsAt: sc.StartsAt, Status: string(sc.Status),
			Capacity: sc.Capacity, Sold: sc.Sold, Held: sc.Held, Remaining: sc.Available, Admitted: sc.Admitted, Printed: sc.Printed, PassAdmitted: sc.PassAdmitted}
		if st.Sold > 0 {
			st.Attendance = float64(st.Admitted) / float64(st.Sold)
		}
		d.Sessions = append(d.Sessions, st)
		d.Totals.Capacity += st.Capacity
		d.Totals.Sold += st.Sold
		d.Totals.Remaining += st.Remaining
		d.Totals.Admitted += st.Admitted
		d.Totals.Printed += st.Printed
	}
	if d.Sessions == nil {
		d.Sessions = []SessionStats{}
	}
	first := now.Truncate(time.Minute).Add(-59 * time.Minute)
	for i := range 60 {
		m := first.Add(time.Duration(i) * time.Minute)
		d.SalesPerMinute = append(d.SalesPerMinute, MinuteCount{Minute: m, Tickets: c.TicketsByMinute[m.Unix()/60]})
	}
	names := map[string]string{}
	var recent []Anomaly
	for _, dv := range devices {
		names[dv.ID] = dv.Name
		if dv.Status != "active" {
			continue
		}
		live := DeviceLive{ID: dv.ID, Name: dv.Name, Role: dv.Role, LastSeen: dv.LastSeen,
			Online:  dv.LastSeen != nil && now.Sub(*dv.LastSeen) < DeviceOfflineAfter,
			Printer: dv.State["printer"], LastError: lastError(dv.State)}
		live.FeedLag, _ = strconv.Atoi(dv.State["feed_lag"])
		live.Outbox, _ = strconv.Atoi(dv.State["outbox_depth"])
		d.Devices = append(d.Devices, live)
		if !live.Online {
			d.Anomalies.DevicesOffline++
			at := now
			if dv.LastSeen != nil {
				at = *dv.LastSeen
			}
			recent = append(recent, Anomaly{Kind: "device_offline", Detail: dv.Name + " (" + dv.Role + ") is offline", At: at})
		}
		if live.FeedLag > d.Anomalies.MaxFeedLag {
			d.Anomalies.MaxFeedLag = live.FeedLag
		}
		if live.FeedLag > 0 && live.Online {
			recent = append(recent, Anomaly{Kind: "feed_lag", Detail: dv.Name + " is " + strconv.Itoa(live.FeedLag) + " changes behind", At: *dv.LastSeen})
		}
	}
	if d.Devices == nil {
		d.Devices = []DeviceLive{}
	}
	for i := range d.Gates {
		d.Gates[i].Device = names[d.Gates[i].DeviceID]
	}
	if d.Gates == nil {
		d.Gates = []GateAttendance{}
	}
	d.Anomalies.DuplicateAdmissions = c.AlertCount
	for _, a := range c.Alerts {
		recent = append(recent, Anomaly{Kind: a.Kind, Detail: a.Detail, At: a.At})
	}
	d.Anomalies.PrintFailures = c.PrintFailureCount
	for _, f := range c.PrintFailures {
		name := names[f.DeviceID]
		if name == "" {
			name = f.DeviceID
		}
		recent = append(recent, Anomaly{Kind: "print_failure", Detail: "ticket " + f.Number + " at " + name + ": " + f.Error, At: f.At})
	}
	sort.SliceStable(recent, func(i, j int) bool { return recent[i].At.After(recent[j].At) })
	if len(recent) > 20 {
		recent = recent[:20]
	}
	d.Anomalies.Recent = recent
	if d.Anomalies.Recent == nil {
		d.Anomalies.Recent = []Anomaly{}
	}
	return d
}

func lastError(state map[string]string) string {
	for _, k := range []string{"turnstile_error", "relay_error", "scanner_error", "rfid_error"} {
		if v := state[k]; v != "" {
			return v
		}
	}
	return ""
}
