// Package ops is the System page's model: how the platform is running
// (who is logged in, which devices are online by role, how fast tickets
// sell, how far reporting and the device feeds lag) and the safe ranges an
// administrator sets for those figures, whose breaches are raised as
// anomalies (event plan §6.1.12(4)–(5)).
//
// Evaluate and Validate are pure; Service gathers the figures through the
// sales service and keeps each tenant's ranges as an audited setting.
package ops

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// The figures a range can be set on.
const (
	UsersOnline      = "users_online"
	POSOnline        = "pos_online"
	KiosksOnline     = "kiosks_online"
	GatesOnline      = "gates_online"
	DevicesOffline   = "devices_offline"
	TicketsPerMinute = "tickets_per_minute" // over the last five minutes
	ReportingLag     = "reporting_lag_s"    // the oldest report waiting for the national data platform
	FeedLag          = "feed_lag"           // the largest number of feed events a device is behind
)

// Metrics lists every figure, in the order the page shows them.
func Metrics() []string {
	return []string{UsersOnline, POSOnline, KiosksOnline, GatesOnline, DevicesOffline, TicketsPerMinute, ReportingLag, FeedLag}
}

// Range is a figure's safe range: below Min or above Max is an anomaly.
// Either bound may be absent.
type Range struct {
	Metric string   `json:"metric"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
}

// Breach is a figure outside its range.
type Breach struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Bound  string  `json:"bound"` // "min" or "max"
	Limit  float64 `json:"limit"`
	Detail string  `json:"detail"`
}

// FieldError names what is wrong with one range.
type FieldError struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	return fmt.Sprintf("range %d: %s: %s", e.Index+1, e.Field, e.Message)
}

// MaxRanges bounds how many ranges a tenant keeps.
const MaxRanges = 32

// Validate checks ranges as an administrator sent them: known figures,
// each at most once, finite non-negative bounds with min ≤ max, at least
// one bound each.
func Validate(rs []Range) []FieldError {
	var errs []FieldError
	if len(rs) > MaxRanges {
		return []FieldError{{Index: MaxRanges, Field: "ranges", Message: "at most " + strconv.Itoa(MaxRanges) + " ranges"}}
	}
	seen := map[string]bool{}
	for i, r := range rs {
		switch {
		case !slices.Contains(Metrics(), r.Metric):
			errs = append(errs, FieldError{i, "metric", fmt.Sprintf("unknown figure %q", r.Metric)})
			continue
		case seen[r.Metric]:
			errs = append(errs, FieldError{i, "metric", r.Metric + " has a range already"})
			continue
		}
		seen[r.Metric] = true
		if r.Min == nil && r.Max == nil {
			errs = append(errs, FieldError{i, "min", "give a minimum, a maximum or both"})
		}
		for _, b := range []struct {
			name string
			v    *float64
		}{{"min", r.Min}, {"max", r.Max}} {
			if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0) || *b.v < 0) {
				errs = append(errs, FieldError{i, b.name, "must be a number ≥ 0"})
			}
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			errs = append(errs, FieldError{i, "max", "is below the minimum"})
		}
	}
	return errs
}

// Evaluate returns the figures outside their ranges, in the ranges' order.
// A figure the snapshot lacks is not judged.
func Evaluate(values map[string]float64, rs []Range) []Breach {
	var out []Breach
	for _, r := range rs {
		v, ok := values[r.Metric]
		if !ok {
			continue
		}
		if r.Min != nil && v < *r.Min {
			out = append(out, Breach{Metric: r.Metric, Value: v, Bound: "min", Limit: *r.Min,
				Detail: fmt.Sprintf("%s is %s, below the minimum %s", r.Metric, num(v), num(*r.Min))})
		}
		if r.Max != nil && v > *r.Max {
			out = append(out, Breach{Metric: r.Metric, Value: v, Bound: "max", Limit: *r.Max,
				Detail: fmt.Sprintf("%s is %s, above the maximum %s", r.Metric, num(v), num(*r.Max))})
		}
	}
	return out
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// RoleCount is how many devices of a role are online.
type RoleCount struct {
	Online int `json:"online"`
	Total  int `json:"total"`
}

// Snapshot is what the System page shows.
type Snapshot struct {
	At          time.Time            `json:"at"`
	Users       []User               `json:"users"` // logged in and active
	Devices     map[string]RoleCount `json:"devices"`
	Values      map[string]float64   `json:"values"` // every figure in Metrics
	Ranges      []Range              `json:"ranges"`
	Breaches    []Breach             `json:"breaches"`
	SalesByMin  []int                `json:"sales_by_minute"` // tickets in each of the last 15 minutes, oldest first
	VenuesShown int                  `json:"venues"`
}

// User is a logged-in person as the page lists them.
type User struct {
	Username string    `json:"username"`
	Role     string    `json:"role"`
	TenantID int64     `json:"tenant_id"`
	Since    time.Time `json:"since"`
	LastSeen time.Time `json:"last_seen"`
}
