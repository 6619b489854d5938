// Package refundrule is an event's rule for refunds the public asks for
// at the shop: graded fees by how long before the session the request
// comes (the current rules for shows of 5,000 people and more ask
// organisers to accept refunds with a fee that grows as the show nears),
// and none at all inside the last grade. The package is pure: the clock
// is passed in.
package refundrule

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Grade is one step: a request at least BeforeHours before the session
// starts pays FeePercent of each ticket's price.
type Grade struct {
	BeforeHours int `json:"before_hours"`
	FeePercent  int `json:"fee_percent"`
}

// Rule is an event's grades, earliest first. A Rule with no grades takes
// no refunds at the shop.
type Rule struct {
	Grades []Grade `json:"grades"`
}

// MaxGrades bounds a rule.
const MaxGrades = 8

// Default is the schedule offered when an organiser turns refunds on:
// 5 % a week or more ahead, 10 % from three days, 20 % from one day, and
// none in the last 24 hours.
func Default() Rule {
	return Rule{Grades: []Grade{{BeforeHours: 168, FeePercent: 5}, {BeforeHours: 72, FeePercent: 10}, {BeforeHours: 24, FeePercent: 20}}}
}

// ErrClosed is a request the rule takes no refund for: too close to the
// session, or an event without refunds.
var ErrClosed = errors.New("refundrule: refunds are closed")

// Validate checks the grades: at most MaxGrades, hours strictly falling
// from one grade to the next and within a year, fees from 0 to 100 % and
// never falling as the session nears.
func (r Rule) Validate() error {
	if len(r.Grades) > MaxGrades {
		return fmt.Errorf("at most %d grades, not %d", MaxGrades, len(r.Grades))
	}
	for i, g := range r.Grades {
		switch {
		case g.BeforeHours < 0 || g.BeforeHours > 24*366:
			return fmt.Errorf("grade %d: %d hours before the session is outside 0..%d", i+1, g.BeforeHours, 24*366)
		case g.FeePercent < 0 || g.FeePercent > 100:
			return fmt.Errorf("grade %d: a fee of %d %% is outside 0..100", i+1, g.FeePercent)
		case i > 0 && g.BeforeHours >= r.Grades[i-1].BeforeHours:
			return fmt.Errorf("grade %d: %d hours is not less than the grade before (%d)", i+1, g.BeforeHours, r.Grades[i-1].BeforeHours)
		case i > 0 && g.FeePercent < r.Grades[i-1].FeePercent:
			return fmt.Errorf("grade %d: a fee of %d %% is less than the grade before (%d %%)", i+1, g.FeePercent, r.Grades[i-1].FeePercent)
		}
	}
	return nil
}

// Open says whether the rule takes refunds at all.
func (r Rule) Open() bool { return len(r.Grades) > 0 }

// Quote is what a refund asked for now would cost and give back.
type Quote struct {
	FeePercent  int       `json:"fee_percent"`
	AmountCents int64     `json:"amount_cents"` // the tickets' prices
	FeeCents    int64     `json:"fee_cents"`
	RefundCents int64     `json:"refund_cents"`
	Until       time.Time `json:"until"` // this grade applies until then; the next (or none) after
}

// Quote prices a refund of tickets at prices for a session starting at
// startsAt, asked for at now. Each ticket's fee is rounded to the nearest
// cent (halves up).
func (r Rule) Quote(prices []int64, startsAt, now time.Time) (Quote, error) {
	left := startsAt.Sub(now)
	i := slices.IndexFunc(r.Grades, func(g Grade) bool { return left >= time.Duration(g.BeforeHours)*time.Hour })
	if i < 0 {
		return Quote{}, ErrClosed
	}
	g := r.Grades[i]
	q := Quote{FeePercent: g.FeePercent, Until: startsAt.Add(-time.Duration(g.BeforeHours) * time.Hour)}
	for _, p := range prices {
		fee := (p*int64(g.FeePercent) + 50) / 100
		q.AmountCents += p
		q.FeeCents += fee
	}
	q.RefundCents = q.AmountCents - q.FeeCents
	return q, nil
}
