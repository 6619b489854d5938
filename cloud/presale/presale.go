// Package presale is the presale of a hot session's price level by lottery
// (event plan §6.1.3(1)–(3)): people apply for a number of tickets with no
// seat, their card authorised when they apply; at closing the list is
// locked and exported for the notary; the draw (cloud/lottery) picks the
// winners from a seed committed to when the presale was created; winners
// are captured and losers voided by a job that survives a restart.
//
// This file holds the types and the rules, free of I/O; service.go runs
// them against a Store and a payment provider.
package presale

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/lottery"
)

// State is where a presale is in its life.
type State string

const (
	// Open takes applications between OpensAt and ClosesAt.
	Open State = "open"
	// Locked: closed, its application list fixed and hashed for the notary.
	Locked State = "locked"
	// Drawn: the winners are known and the seed is published; captures
	// and voids are under way.
	Drawn State = "drawn"
	// Settled: every winner captured (or failed) and every other
	// authorisation voided.
	Settled State = "settled"
)

// AppState is where an application is.
type AppState string

const (
	// Pending: recorded, its card authorisation not yet answered.
	Pending AppState = "pending"
	// Applied: authorised, in the draw.
	Applied AppState = "applied"
	// Lapsed: still pending when the presale locked; its authorisation,
	// if any, is voided.
	Lapsed AppState = "lapsed"
	// Won and Lost: the draw's outcome.
	Won  AppState = "won"
	Lost AppState = "lost"
	// Captured: a winner's money taken. CaptureFailed: the provider
	// refused the capture (the tickets are not issued).
	Captured      AppState = "captured"
	CaptureFailed AppState = "capture_failed"
	// Voided: a loser's or lapsed authorisation released.
	Voided AppState = "voided"
	// Issued: a captured winner's seats given and tickets issued
	// (OrderID). IssueFailed: the tickets cannot be issued (a holder's
	// document holds a ticket of the session already): for the organiser
	// to refund by hand.
	Issued      AppState = "issued"
	IssueFailed AppState = "issue_failed"
)

// Presale offers Tickets of one price level of a session by lottery.
type Presale struct {
	ID         int64     `json:"id"`
	TenantID   int64     `json:"tenant_id"`
	VenueID    int64     `json:"venue_id"`
	SessionID  int64     `json:"session_id"`
	TierID     int64     `json:"tier_id"`
	Name       string    `json:"name"`
	Tickets    int       `json:"tickets"`
	PerPerson  int       `json:"per_person"` // tickets one application asks at most
	PriceCents int64     `json:"price_cents"`
	Named      bool      `json:"named_holders"` // every ticket names its holder at application
	OpensAt    time.Time `json:"opens_at"`
	ClosesAt   time.Time `json:"closes_at"`
	// ChoiceUntil, if set, is when the winners' seat choice ends: until
	// then each winner picks their own seats (from a link texted once the
	// presale is settled); after it the system assigns the rest.
	ChoiceUntil *time.Time `json:"choice_until,omitempty"`
	// Channels are where applications are taken: ChannelPage (the public
	// presale page and API: anyone with an ID) and ChannelShop (the shop's
	// logged-in accounts, as their verified owner).
	Channels []string `json:"channels"`
	// Commitment is lottery.Commit(seed), published from creation.
	Commitment string `json:"commitment"`
	State      State  `json:"state"`
	ListHash   string `json:"list_hash,omitempty"` // of the locked list
	// Seed is the draw's secret: sealed in the store, shown only once
	// drawn.
	Seed      string              `json:"seed,omitempty"`
	Result    *lottery.PoolResult `json:"result,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
	// Notified: its applicants were told the draw's outcome.
	Notified bool `json:"notified"`
	// Counts are its applications by state (filled by the service).
	Counts map[AppState]int `json:"counts,omitempty"`
}

// Pool is the lottery pool the presale draws in.
func (p Presale) Pool() lottery.Pool {
	return lottery.Pool{Key: PoolKey(p.ID), Tickets: p.Tickets}
}

// PoolKey names a presale's pool in the published files.
func PoolKey(id int64) string { return "presale-" + strconv.FormatInt(id, 10) }

// Application is one person's application: a number of tickets, no seat.
type Application struct {
	ID        int64  `json:"id"`
	PresaleID int64  `json:"presale_id"`
	Ref       string `json:"ref"` // public id, the one in the published list
	// PersonKey is the keyed hash of the applicant's identity document:
	// one application per person per presale.
	PersonKey  string   `json:"-"`
	DocMasked  string   `json:"doc_masked"`
	Name       string   `json:"name"`  // sealed when stored
	Phone      string   `json:"phone"` // for the messages; sealed when stored
	Lang       string   `json:"lang"`  // of the messages: zh or en
	Quantity   int      `json:"quantity"`
	Holders    []Holder `json:"holders,omitempty"`
	PaymentKey string   `json:"-"` // the authorisation's idempotency key
	AuthRef    string   `json:"auth_ref,omitempty"`
	State      AppState `json:"state"`
	// InDraw: it was in the list locked for the draw.
	InDraw    bool      `json:"in_draw"`
	Rank      int       `json:"rank,omitempty"` // in the draw, for winners
	Reason    string    `json:"reason,omitempty"`
	OrderID   int64     `json:"order_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Holder names one ticket's holder on a named presale.
type Holder struct {
	DocType   string `json:"doc_type"`
	DocMasked string `json:"doc_masked"`
	IDKey     string `json:"-"`
	GateTag   string `json:"-"` // the document under the tenant's holder key, for the gates
}

// AmountCents is what the application authorises.
func (a Application) AmountCents(p Presale) int64 { return p.PriceCents * int64(a.Quantity) }

// Limits of a presale.
const (
	MaxPerPerson = 20
	MaxTickets   = 1_000_000
	MaxName      = 80
)

// Errors of the rules; the service turns them into API errors.
var (
	ErrNotFound  = errors.New("presale: no such presale")
	ErrClosed    = errors.New("presale: not taking applications")
	ErrDuplicate = errors.New("presale: this person has applied already")
	ErrState     = errors.New("presale: not in the state for that")
	ErrChanged   = errors.New("presale: changed by someone else meanwhile")
	ErrInvalid   = errors.New("presale: invalid")
)

// FieldError says which field of a request is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Validate checks a new presale's own fields.
func (p Presale) Validate(now time.Time) []FieldError {
	var fe []FieldError
	add := func(f, m string) { fe = append(fe, FieldError{f, m}) }
	if p.Name == "" || len(p.Name) > MaxName {
		add("name", fmt.Sprintf("1 to %d characters", MaxName))
	}
	if p.Tickets < 1 || p.Tickets > MaxTickets {
		add("tickets", fmt.Sprintf("1 to %d", MaxTickets))
	}
	if p.PerPerson < 1 || p.PerPerson > MaxPerPerson {
		add("per_person", fmt.Sprintf("1 to %d", MaxPerPerson))
	}
	if p.OpensAt.IsZero() || p.ClosesAt.IsZero() {
		add("closes_at", "opening and closing times are needed")
	} else if !p.ClosesAt.After(p.OpensAt) {
		add("closes_at", "must be after opens_at")
	} else if !p.ClosesAt.After(now) {
		add("closes_at", "must be in the future")
	}
	if len(p.Channels) == 0 || slices.ContainsFunc(p.Channels, func(c string) bool { return c != ChannelPage && c != ChannelShop }) {
		add("channels", "page, shop or both")
	}
	if p.ChoiceUntil != nil && !p.ChoiceUntil.After(p.ClosesAt.Add(MinChoice)) {
		add("choice_until", fmt.Sprintf("winners need at least %v after closing to choose their seats", MinChoice))
	}
	return fe
}

// Presale channels.
const (
	ChannelPage = "page"
	ChannelShop = "shop"
)

// Takes says whether the presale takes applications through channel c.
func (p Presale) Takes(c string) bool { return slices.Contains(p.Channels, c) }

// MinChoice is the shortest seat choice window after a presale closes
// (the draw and the captures come first).
const MinChoice = time.Hour

// Choosing says whether the winners may still pick their seats at now.
func (p Presale) Choosing(now time.Time) bool {
	return p.ChoiceUntil != nil && now.Before(*p.ChoiceUntil)
}

// CanApply says whether the presale takes an application at now.
func (p Presale) CanApply(now time.Time) error {
	switch {
	case p.State != Open:
		return fmt.Errorf("%w: the presale is %s", ErrClosed, p.State)
	case now.Before(p.OpensAt):
		return fmt.Errorf("%w: it opens at %s", ErrClosed, p.OpensAt.UTC().Format(time.RFC3339))
	case !now.Before(p.ClosesAt):
		return fmt.Errorf("%w: it closed at %s", ErrClosed, p.ClosesAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// CanLock says whether the presale may be locked at now: open and past
// its closing time.
func (p Presale) CanLock(now time.Time) error {
	switch {
	case p.State != Open:
		return fmt.Errorf("%w: the presale is %s", ErrState, p.State)
	case now.Before(p.ClosesAt):
		return fmt.Errorf("%w: it closes at %s", ErrState, p.ClosesAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// List is the draw's application list: the applications locked into it.
func List(p Presale, apps []Application) []lottery.Application {
	out := make([]lottery.Application, 0, len(apps))
	for _, a := range apps {
		if a.InDraw {
			out = append(out, lottery.Application{Pool: PoolKey(p.ID), ID: a.Ref, Quantity: a.Quantity})
		}
	}
	return out
}

// Outcome is each drawn application's new state and rank.
func Outcome(res lottery.PoolResult, apps []Application) map[string]Application {
	won := make(map[string]int, len(res.Winners))
	for _, w := range res.Winners {
		won[w.ID] = w.Rank
	}
	out := make(map[string]Application, len(apps))
	for _, a := range apps {
		if !a.InDraw || a.State != Applied {
			continue
		}
		if r, ok := won[a.Ref]; ok {
			a.State, a.Rank = Won, r
		} else {
			a.State = Lost
		}
		out[a.Ref] = a
	}
	return out
}
