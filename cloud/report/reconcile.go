package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// Three-way reconciliation (cloud-ticketing-requirements §4.5, §10.4): per
// venue and business day, what the cloud holds (its tickets and the raw
// records it made of them), what the platform acknowledged (its download
// of what it stored), and what the venue's devices printed and admitted.
// What the platform lacks is sent again; the rest of the differences are
// shown. A day whose records the platform holds less than 98 % of is an
// alert, the platform's own rule.

// CompletenessFloor is the platform's rule: below it a day is an alert.
const CompletenessFloor = 98.0

// RecordState is a raw ticket record the cloud made, and where it is.
type RecordState struct {
	Serial    string
	Ticket    string
	Operation string
	State     State
}

// DayTicket is a ticket of a film session of the day as the cloud and the
// venue's devices know it.
type DayTicket struct {
	Number   string
	Refunded bool
	Printed  bool
	Admitted bool
}

// Reconciliation is one venue's business day, three ways.
type Reconciliation struct {
	VenueID      int64     `json:"venue_id"`
	TenantID     int64     `json:"tenant_id"`
	Cinema       string    `json:"cinema_code"`
	BusinessDate string    `json:"business_date"`
	At           time.Time `json:"at"`
	// The cloud: film tickets sold (refunded ones included) and refunded,
	// and the raw records it made of them (with 补登).
	Tickets  int `json:"tickets"`
	Refunded int `json:"refunded"`
	Records  int `json:"records"`
	InFlight int `json:"in_flight"` // records not yet acknowledged
	// The venue's devices.
	Printed  int `json:"printed"`
	Admitted int `json:"admitted"`
	// The platform.
	Platform int `json:"platform"`
	// Completeness is the share of the cloud's records the platform holds.
	Completeness float64 `json:"completeness_pct"`
	// The differences.
	Missing      []string `json:"missing"`       // delivered by the cloud's count, not at the platform: sent again
	Unknown      []string `json:"unknown"`       // at the platform, never made by the cloud
	Unreported   []string `json:"unreported"`    // tickets without their sale or refund record
	UsedRefunded []string `json:"used_refunded"` // refunded tickets a device printed or admitted
	Resent       int      `json:"resent"`
}

// Alert says whether the day is below the platform's rule.
func (r Reconciliation) Alert() bool { return r.Completeness < CompletenessFloor }

// Differences says whether anything disagrees.
func (r Reconciliation) Differences() bool {
	return len(r.Missing)+len(r.Unknown)+len(r.Unreported)+len(r.UsedRefunded) > 0
}

// Reconcile compares the three. It does no I/O.
func Reconcile(v VenueFacts, date string, records []RecordState, tickets []DayTicket, held wire.Holdings, at time.Time) Reconciliation {
	r := Reconciliation{VenueID: v.ID, TenantID: v.TenantID, Cinema: v.Code, BusinessDate: date, At: at, Records: len(records),
		Platform: len(held.Records), Missing: []string{}, Unknown: []string{}, Unreported: []string{}, UsedRefunded: []string{}}
	atPlatform := make(map[string]bool, len(held.Records))
	for _, h := range held.Records {
		atPlatform[h.Serial] = true
	}
	ours := make(map[string]bool, len(records))
	ops := map[string][]string{} // ticket → operations recorded
	holds := 0
	for _, x := range records {
		ours[x.Serial] = true
		ops[x.Ticket] = append(ops[x.Ticket], x.Operation)
		switch {
		case atPlatform[x.Serial]:
			holds++
		case x.State == StateDelivered:
			r.Missing = append(r.Missing, x.Serial)
		default:
			r.InFlight++
		}
	}
	for _, h := range held.Records {
		if !ours[h.Serial] {
			r.Unknown = append(r.Unknown, h.Serial)
		}
	}
	for _, t := range tickets {
		r.Tickets++
		sold := slices.ContainsFunc(ops[t.Number], func(op string) bool { return op == wire.OpSale || op == wire.OpPresale })
		refunded := slices.ContainsFunc(ops[t.Number], func(op string) bool { return op == wire.OpRefund || op == wire.OpMakeupRefund })
		if t.Refunded {
			r.Refunded++
		}
		if !sold || (t.Refunded && !refunded) {
			r.Unreported = append(r.Unreported, t.Number)
		}
		if t.Printed {
			r.Printed++
		}
		if t.Admitted {
			r.Admitted++
		}
		if t.Refunded && (t.Printed || t.Admitted) {
			r.UsedRefunded = append(r.UsedRefunded, t.Number)
		}
	}
	r.Completeness = 100
	if len(records) > 0 {
		r.Completeness = 100 * float64(holds) / float64(len(records))
	}
	for _, l := range [][]string{r.Missing, r.Unknown, r.Unreported, r.UsedRefunded} {
		sort.Strings(l)
	}
	return r
}

// ReconcileStore is what a reconciliation reads and keeps.
type ReconcileStore interface {
	// DayRecords lists the raw ticket records made of a venue's business day.
	DayRecords(ctx context.Context, venueID int64, date string) ([]RecordState, error)
	// DayTickets lists the tickets of a venue's film sessions of the day.
	DayTickets(ctx context.Context, venueID int64, date string) ([]DayTicket, error)
	// ResendDelivered queues delivered reports again (the platform lost
	// them) and says how many.
	ResendDelivered(ctx context.Context, serials []string, now time.Time) (int, error)
	// SaveReconciliation keeps the latest reconciliation of a venue's day.
	SaveReconciliation(ctx context.Context, r Reconciliation) error
	// Reconciliations lists the latest reconciliations within a scope,
	// newest business day first.
	Reconciliations(ctx context.Context, sc Scope, limit int) ([]Reconciliation, error)
	// VenueHealth is a venue's oldest waiting report, its refused reports
	// and its business days last reconciled below the floor, cheaply.
	VenueHealth(ctx context.Context, venueID int64, floor float64) (sales.ReportingHealth, error)
}

// VenueHealth is what a venue's dashboard shows of the reporting.
func (s *Service) VenueHealth(ctx context.Context, venueID int64) (sales.ReportingHealth, error) {
	h, err := s.store.VenueHealth(ctx, venueID, CompletenessFloor)
	h.At = s.now()
	return h, err
}

// Holdings downloads what the platform holds of a cinema's business day
// (report/platform.Client).
type Holdings interface {
	Received(ctx context.Context, cinema, date string) (wire.Holdings, error)
}

// reconcileDay reconciles one venue's business day, sends again what the
// platform lacks, and keeps the result. A day with nothing to report
// (no film ticket, no record) asks the platform nothing.
func reconcileDay(ctx context.Context, st Store, src Holdings, v VenueFacts, date string, now time.Time) (Reconciliation, bool, error) {
	recs, err := st.DayRecords(ctx, v.ID, date)
	if err != nil {
		return Reconciliation{}, false, err
	}
	tickets, err := st.DayTickets(ctx, v.ID, date)
	if err != nil {
		return Reconciliation{}, false, err
	}
	if len(recs) == 0 && len(tickets) == 0 {
		return Reconciliation{}, false, nil
	}
	held, err := src.Received(ctx, v.Code, date)
	if err != nil {
		return Reconciliation{}, false, err
	}
	r := Reconcile(v, date, recs, tickets, held, now)
	if len(r.Missing) > 0 {
		if r.Resent, err = st.ResendDelivered(ctx, r.Missing, now); err != nil {
			return r, true, err
		}
	}
	return r, true, st.SaveReconciliation(ctx, r)
}

// SetHoldings lets people reconcile against the platform's download.
func (s *Service) SetHoldings(h Holdings) { s.holdings = h }

// ReconcileRequest asks for one venue's business day.
type ReconcileRequest struct {
	VenueID      int64  `json:"venue_id"`
	BusinessDate string `json:"business_date"`
}

// Reconcile reconciles a venue's business day now and sends again what
// the platform lacks.
func (s *Service) Reconcile(ctx context.Context, p sales.Principal, req ReconcileRequest) (Reconciliation, error) {
	if !auth.Can(p.Role, auth.ManageReports) {
		return Reconciliation{}, sales.Forbidden("your role (" + string(p.Role) + ") may not " + string(auth.ManageReports))
	}
	if s.holdings == nil || s.facts == nil {
		return Reconciliation{}, sales.NotFound("national data platform")
	}
	if _, err := time.Parse("2006-01-02", req.BusinessDate); err != nil {
		return Reconciliation{}, sales.Invalid("business_date", "business_date is a date YYYY-MM-DD")
	}
	vs, err := s.facts.Venues(ctx)
	if err != nil {
		return Reconciliation{}, err
	}
	i := slices.IndexFunc(vs, func(v VenueFacts) bool {
		return v.ID == req.VenueID && (p.Role == auth.RolePlatformAdmin || (v.TenantID == p.TenantID && p.SeesVenue(v.ID)))
	})
	if i < 0 {
		return Reconciliation{}, sales.NotFound("venue")
	}
	r, ok, err := reconcileDay(ctx, s.store, s.holdings, vs[i], req.BusinessDate, s.now().UTC())
	if err != nil {
		return Reconciliation{}, fmt.Errorf("report: reconcile %s %s: %w", vs[i].Code, req.BusinessDate, err)
	}
	if !ok { // nothing sold, nothing reported: nothing differs
		r = Reconcile(vs[i], req.BusinessDate, nil, nil, wire.Holdings{}, s.now().UTC())
	}
	return r, nil
}

// reconcileLoop reconciles the ended days every Reconcile, apart from the
// planning and delivery, so a platform that does not answer holds up
// nothing else.
func (r *Reporter) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.Reconcile)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !r.leader.Load() {
			continue // the sender reconciles
		}
		if err := r.reconcileDays(ctx, r.cfg.Now()); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("reconcile with the platform", "err", err)
		}
	}
}

// reconcileDays reconciles every venue's ended business days within
// DaysBack, so a day the platform lacks records of is found, re-sent and
// raised without a person asking.
func (r *Reporter) reconcileDays(ctx context.Context, now time.Time) error {
	src, ok := r.send.(Holdings)
	if !ok {
		return nil
	}
	venues, err := r.facts.Venues(ctx)
	if err != nil {
		return err
	}
	for _, v := range venues {
		today := v.BusinessDate(now)
		for back := 1; back <= r.cfg.DaysBack; back++ {
			date := addDays(today, -back)
			rec, ok, err := reconcileDay(ctx, r.store, src, v, date, now)
			if err != nil {
				return err
			}
			if ok && (rec.Alert() || rec.Differences()) {
				r.cfg.Logger.Warn("the platform's copy of a business day differs", "venue", v.Code, "business_date", date,
					"completeness_pct", rec.Completeness, "missing", len(rec.Missing), "resent", rec.Resent, "unknown", len(rec.Unknown),
					"unreported", len(rec.Unreported), "used_refunded", len(rec.UsedRefunded))
			}
		}
	}
	return nil
}
