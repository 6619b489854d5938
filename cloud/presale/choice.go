package presale

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Winners' seat choice (event plan §6.1.3(4)): a presale with a choice
// window texts each captured winner a link once it is settled; until the
// window ends the winner picks their own seats of the presale's level on
// the shop's page, all at once; after it the sweep assigns the rest as
// Assign does. The link carries a token keyed by an installation secret,
// so it opens one application's choice and nothing else.

// ChoiceToken is the token in a winner's link.
func (s *Service) ChoiceToken(ctx context.Context, id int64, ref string) (string, error) {
	k, err := s.sales.Secret(ctx, "presale_choice")
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("admit/presale-choice/v1\x00" + strconv.FormatInt(id, 10) + "\x00" + ref))
	return hex.EncodeToString(m.Sum(nil))[:32], nil
}

// Choice is what a winner's link shows: how many seats to pick, until
// when, the level's seats and which are free; once chosen, the order.
type Choice struct {
	PresaleID  int64        `json:"presale_id"`
	Presale    string       `json:"presale"`
	Ref        string       `json:"ref"`
	Quantity   int          `json:"quantity"`
	Until      time.Time    `json:"until"`
	Open       bool         `json:"open"` // the window is open and the seats not yet given
	PriceCents int64        `json:"price_cents"`
	Seats      []ChoiceSeat `json:"seats"`
	// Issued, once the winner has seats: their labels and the pickup code.
	Issued *IssuedSeats `json:"issued,omitempty"`
}

// ChoiceSeat is one seat of the presale's level.
type ChoiceSeat struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
	Row   int    `json:"row"`
	Col   int    `json:"col"`
	Free  bool   `json:"free"`
}

// IssuedSeats are a winner's tickets, as their link shows them.
type IssuedSeats struct {
	Seats      []string `json:"seats"`
	PickupCode string   `json:"pickup_code"`
}

// choosing finds the application a link opens; a wrong token is the same
// not-found as a wrong reference.
func (s *Service) choosing(ctx context.Context, id int64, ref, token string) (Presale, Application, error) {
	ps, _, err := s.st.GetPresale(ctx, id)
	if err != nil {
		return ps, Application{}, s.notFound(err)
	}
	want, err := s.ChoiceToken(ctx, id, ref)
	if err != nil {
		return ps, Application{}, err
	}
	if ps.ChoiceUntil == nil || !hmac.Equal([]byte(want), []byte(token)) {
		return ps, Application{}, s.notFound(ErrNotFound)
	}
	apps, err := s.st.Applications(ctx, id)
	if err != nil {
		return ps, Application{}, err
	}
	i := slices.IndexFunc(apps, func(a Application) bool { return a.Ref == ref })
	if i < 0 || (apps[i].State != Captured && apps[i].State != Issued) {
		return ps, Application{}, s.notFound(ErrNotFound)
	}
	return ps, apps[i], nil
}

// system is the principal the presale acts with for a winner.
func system(ps Presale, what string) sales.Principal {
	return sales.Principal{TenantID: ps.TenantID, Role: auth.RoleTenantAdmin, Username: "presale:" + strconv.FormatInt(ps.ID, 10) + ":" + what}
}

// ChoiceView is what a winner's link shows.
func (s *Service) ChoiceView(ctx context.Context, id int64, ref, token string) (Choice, error) {
	ps, a, err := s.choosing(ctx, id, ref, token)
	if err != nil {
		return Choice{}, err
	}
	c := Choice{PresaleID: ps.ID, Presale: ps.Name, Ref: a.Ref, Quantity: a.Quantity, Until: ps.ChoiceUntil.UTC(), PriceCents: ps.PriceCents,
		Open: ps.State == Settled && a.State == Captured && ps.Choosing(s.now()), Seats: []ChoiceSeat{}}
	p := system(ps, "choice")
	if a.State == Issued {
		o, err := s.sales.GetOrder(ctx, p, a.OrderID)
		if err != nil {
			return c, err
		}
		is := &IssuedSeats{PickupCode: o.PickupCode}
		for _, st := range o.Seats {
			is.Seats = append(is.Seats, st.Label)
		}
		c.Issued = is
		return c, nil
	}
	all, err := s.sales.SessionSeats(ctx, p, ps.SessionID)
	if err != nil {
		return c, err
	}
	now := s.now()
	for _, st := range all {
		if st.TierID == ps.TierID {
			c.Seats = append(c.Seats, ChoiceSeat{ID: st.SeatID, Label: st.Label, Row: st.RowNo, Col: st.Col,
				Free: st.Status == sales.SeatAvailable && st.Sellable(now, "")})
		}
	}
	return c, nil
}

// Choose gives a winner the seats they picked: exactly their quantity, of
// the presale's level, while the window is open; their tickets are issued
// paid by the capture. A seat taken meanwhile is a conflict that changes
// nothing: pick again.
func (s *Service) Choose(ctx context.Context, id int64, ref, token string, seatIDs []int64) (Choice, error) {
	ps, a, err := s.choosing(ctx, id, ref, token)
	if err != nil {
		return Choice{}, err
	}
	switch {
	case a.State == Issued:
		return Choice{}, conflict(fmt.Errorf("%w: this application's seats are given already", ErrState))
	case ps.State != Settled || !ps.Choosing(s.now()):
		return Choice{}, conflict(fmt.Errorf("%w: the seat choice is closed; the seats are assigned", ErrState))
	}
	ids := slices.Compact(slices.Sorted(slices.Values(seatIDs)))
	if len(ids) != a.Quantity || len(seatIDs) != a.Quantity {
		return Choice{}, invalid("invalid_seats", fmt.Sprintf("pick %d different seats", a.Quantity), []FieldError{{"seat_ids", "pick exactly " + strconv.Itoa(a.Quantity)}})
	}
	p := system(ps, "choice")
	all, err := s.sales.SessionSeats(ctx, p, ps.SessionID)
	if err != nil {
		return Choice{}, err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(st sales.SessionSeat) bool { return st.SeatID == id && st.TierID == ps.TierID }) {
			return Choice{}, invalid("invalid_seats", "a seat is not of the presale's level", []FieldError{{"seat_ids", strconv.FormatInt(id, 10)}})
		}
	}
	a, _, err = s.issue(ctx, p, ps, a, seatIDs)
	if errors.Is(err, errSeatsGone) {
		return Choice{}, &sales.Error{Kind: sales.KindConflict, Code: "seat_taken", Message: "a seat you picked was taken meanwhile: pick again"}
	}
	if err != nil {
		return Choice{}, err
	}
	if a.State != Issued {
		return Choice{}, &sales.Error{Kind: sales.KindConflict, Code: "issue_failed", Message: "the tickets cannot be issued: " + a.Reason}
	}
	return s.ChoiceView(ctx, id, ref, token)
}

// notifyChoice texts each captured winner of a settled presale the link
// to pick their seats; once per application (the notice key).
func (s *Service) notifyChoice(ctx context.Context, ps Presale) error {
	if s.Notify == nil || !ps.Choosing(s.now()) {
		return nil
	}
	apps, err := s.st.Applications(ctx, ps.ID)
	if err != nil {
		return err
	}
	var ns []Notice
	for _, a := range apps {
		if a.State != Captured {
			continue
		}
		phone, err := s.sales.OpenText(a.Phone)
		if err != nil || phone == "" {
			continue
		}
		tok, err := s.ChoiceToken(ctx, ps.ID, a.Ref)
		if err != nil {
			return err
		}
		link := fmt.Sprintf("%s#/presale/%d/choose/%s/%s", s.ShopURL, ps.ID, a.Ref, tok)
		ns = append(ns, Notice{TenantID: ps.TenantID, Phone: phone, Lang: a.Lang, Template: "presale.choose", Key: noticeKey(ps.ID, a.Ref, "choose"),
			Vars: map[string]string{"org": s.Org, "presale": ps.Name, "quantity": strconv.Itoa(a.Quantity),
				"until": ps.ChoiceUntil.In(shanghai).Format("2006-01-02 15:04"), "link": link}})
	}
	if len(ns) == 0 {
		return nil
	}
	return s.Notify(ctx, ns)
}

// shanghai is the time zone messages to the public give times in.
var shanghai = time.FixedZone("CST", 8*3600)

// AssignDue assigns the seats of settled presales whose choice window has
// ended to the winners who did not choose. The sweep runs it; a window
// that ended more than a week ago is not looked at again.
func (s *Service) AssignDue(ctx context.Context) error {
	ps, err := s.st.PresalesIn(ctx, Settled)
	if err != nil {
		return err
	}
	now := s.now()
	for _, p := range ps {
		if p.ChoiceUntil == nil || p.Choosing(now) || now.Sub(*p.ChoiceUntil) > 7*24*time.Hour {
			continue
		}
		c, err := s.Assign(ctx, system(p, "assign"), p.ID)
		if c.Issued+c.Failed > 0 {
			s.log.Info("presale seats assigned after the choice window", "presale", p.ID, "issued", c.Issued, "failed", c.Failed, "left", c.Left)
		}
		if err != nil {
			return fmt.Errorf("presale %d: %w", p.ID, err)
		}
	}
	return nil
}
