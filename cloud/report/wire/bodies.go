package wire

import (
	"fmt"
	"regexp"
	"time"
)

// Codes and their forms.
var (
	cinemaCode = regexp.MustCompile(`^[0-9]{8}$`)            // 电影院编码: 8 digits
	filmCode   = regexp.MustCompile(`^[0-9A-Z]{12}$`)        // 影片编码: 12 characters
	shortCode  = regexp.MustCompile(`^[0-9A-Za-z_-]{1,32}$`) // hall, session, seat, section codes
	dateForm   = "2006-01-02"
	ticketCode = regexp.MustCompile(`^[0-9A-Za-z-]{1,40}$`) // 电影票编码
)

// ValidCinemaCode reports whether s is an 8-digit cinema code.
func ValidCinemaCode(s string) bool { return cinemaCode.MatchString(s) }

// ValidFilmCode reports whether s is a 12-character film code.
func ValidFilmCode(s string) bool { return filmCode.MatchString(s) }

// Cinema business states (营业状态).
const (
	StatusTrial  = "trial"  // 试营业
	StatusOpen   = "open"   // 正式营业
	StatusClosed = "closed" // 停业
)

// Operations of a screening plan entry and of a raw ticket record.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"

	OpSale         = "sale"          // 售票
	OpRefund       = "refund"        // 退票
	OpPresale      = "presale"       // 预售
	OpMakeupSale   = "makeup_sale"   // 补登售票
	OpMakeupRefund = "makeup_refund" // 补登退票
)

// FilmQuery asks for the films screening in a period (§9.2.1).
type FilmQuery struct {
	From string `json:"from"` // YYYY-MM-DD
	To   string `json:"to"`
}

// Film is a film as the platform registers it (§9.2.1).
type Film struct {
	Code        string `json:"code"` // 影片编码
	Name        string `json:"name"`
	Version     string `json:"version"` // 发行版本: 2D, 3D, IMAX …
	DurationMin int    `json:"duration_min"`
	ReleaseDate string `json:"release_date"`
	Distributor string `json:"distributor"`
	Producer    string `json:"producer"`
	Director    string `json:"director"`
	Cast        string `json:"cast"`
	Synopsis    string `json:"synopsis"`
}

// Films answers a FilmQuery: the films and their count.
type Films struct {
	Count int    `json:"count"`
	Films []Film `json:"films"`
}

// CinemaQuery asks for the cinemas registered to the system (§9.2.2);
// an empty code means all of them.
type CinemaQuery struct {
	Code string `json:"code,omitempty"`
}

// Cinema is a cinema as the platform registers it (§9.2.2).
type Cinema struct {
	Code            string `json:"code"`
	Name            string `json:"name"`
	Company         string `json:"company"`
	Contact         string `json:"contact"`
	Phone           string `json:"phone"`
	Fax             string `json:"fax"`
	Circuit         string `json:"circuit"` // 所属院线
	Status          string `json:"status"`
	Halls           int    `json:"halls"`
	Vendor          string `json:"vendor"`           // 影院所属软件商
	SoftwareVersion string `json:"software_version"` // 专资登记软件版本号
}

// Cinemas answers a CinemaQuery.
type Cinemas struct {
	Count   int      `json:"count"`
	Cinemas []Cinema `json:"cinemas"`
}

// StatusReport applies for or reports a cinema's business status (§9.2.3).
type StatusReport struct {
	Cinema    string `json:"cinema_code"`
	Status    string `json:"status"`
	Effective string `json:"effective_date"` // YYYY-MM-DD
}

// HallReport is a hall and its seats after a change (§9.2.4).
type HallReport struct {
	Cinema string     `json:"cinema_code"`
	Hall   string     `json:"hall_code"`
	Name   string     `json:"hall_name"`
	Seats  []HallSeat `json:"seats"`
}

// HallSeat is one seat of a HallReport.
type HallSeat struct {
	Code    string `json:"seat_code"`    // 座位编号
	Section string `json:"section_code"` // 座区编号
	Row     string `json:"row"`
	Col     string `json:"col"`
	Type    string `json:"type"` // 座位类型: standard, couple, wheelchair, …
}

// PlanReport is a business day's screening plan, or the entries of it that
// changed (§9.2.4).
type PlanReport struct {
	BusinessDate string      `json:"business_date"`
	Cinema       string      `json:"cinema_code"`
	Sessions     []PlanEntry `json:"sessions"`
}

// PlanEntry is one session of a PlanReport.
type PlanEntry struct {
	Hall          string    `json:"hall_code"`
	Film          string    `json:"film_code"`
	Session       string    `json:"session_code"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Seated        bool      `json:"seated"` // 对号入座
	StandardCents int64     `json:"standard_price_cents"`
	MinCents      int64     `json:"min_price_cents"`
	Operation     string    `json:"operation"` // create, update, delete
}

// TicketRecord is one raw ticket operation (§9.2.5): a sale, refund,
// presale or 补登, one message per operation.
type TicketRecord struct {
	Cinema          string    `json:"cinema_code"`
	CinemaStatus    string    `json:"cinema_status"`
	BusinessDate    string    `json:"business_date"`
	Hall            string    `json:"hall_code"`
	Film            string    `json:"film_code"`
	Session         string    `json:"session_code"`
	StartsAt        time.Time `json:"starts_at"`
	Operation       string    `json:"operation"`
	Ticket          string    `json:"ticket_code"` // 电影票编码
	Seat            string    `json:"seat_code"`
	PriceCents      int64     `json:"price_cents"`
	NetworkFeeCents int64     `json:"network_fee_cents"` // 网络代收费用
	Network         bool      `json:"network"`           // 网络代收标识
	OperatedAt      time.Time `json:"operated_at"`
}

// SessionStats are a session's figures for a business day (§9.2.6).
type SessionStats struct {
	BusinessDate         string    `json:"business_date"`
	Cinema               string    `json:"cinema_code"`
	CinemaStatus         string    `json:"cinema_status"`
	Hall                 string    `json:"hall_code"`
	Film                 string    `json:"film_code"`
	Session              string    `json:"session_code"`
	StartsAt             time.Time `json:"starts_at"`
	LocalSold            int       `json:"local_sold"`
	LocalRefunded        int       `json:"local_refunded"`
	LocalSoldCents       int64     `json:"local_sold_cents"`
	LocalRefundedCents   int64     `json:"local_refunded_cents"`
	NetworkSold          int       `json:"network_sold"`
	NetworkRefunded      int       `json:"network_refunded"`
	NetworkSoldCents     int64     `json:"network_sold_cents"`
	NetworkRefundedCents int64     `json:"network_refunded_cents"`
	MakeupCount          int       `json:"makeup_count"`
	MakeupCents          int64     `json:"makeup_cents"`
	NetworkFeeCents      int64     `json:"network_service_fee_cents"`
	CinemaFeeCents       int64     `json:"cinema_service_fee_cents"`
}

// MakeupApplication applies to report a late sale (§9.2.7) or refund
// (§9.2.8) older than 7 days; the platform reviews it and calls back.
type MakeupApplication struct {
	Cinema       string    `json:"cinema_code"`
	BusinessDate string    `json:"business_date"`
	Hall         string    `json:"hall_code"`
	Film         string    `json:"film_code"`
	Session      string    `json:"session_code"`
	StartsAt     time.Time `json:"starts_at"`
	Count        int       `json:"count"`
	AmountCents  int64     `json:"amount_cents"`
}

// ReceivedQuery asks what the platform holds of a cinema's business day.
type ReceivedQuery struct {
	Cinema       string `json:"cinema_code"`
	BusinessDate string `json:"business_date"`
}

func (q ReceivedQuery) Validate() error {
	if err := checkCinema(q.Cinema); err != nil {
		return err
	}
	return checkDate("business_date", q.BusinessDate)
}

// Holdings is what the platform holds of a cinema's business day.
type Holdings struct {
	Cinema       string           `json:"cinema_code"`
	BusinessDate string           `json:"business_date"`
	Records      []ReceivedRecord `json:"records"`
}

// ReceivedRecord is one raw ticket record the platform stored.
type ReceivedRecord struct {
	Serial     string `json:"serial"`
	Ticket     string `json:"ticket_code"`
	Operation  string `json:"operation"`
	PriceCents int64  `json:"price_cents"`
}

// ReviewResult is the platform's review of a 补登 application, pushed to
// the system that applied: approved, or rejected with the reason.
type ReviewResult struct {
	Application string    `json:"application_serial"` // the application's 流水号
	Cinema      string    `json:"cinema_code"`
	Approved    bool      `json:"approved"`
	Reason      string    `json:"reason,omitempty"`
	ReviewedAt  time.Time `json:"reviewed_at"`
}

func (r ReviewResult) Validate() error {
	if !printable(r.Application, maxSerial) {
		return &FieldError{"application_serial", "the application's serial number"}
	}
	if err := checkCinema(r.Cinema); err != nil {
		return err
	}
	if !r.Approved && r.Reason == "" {
		return &FieldError{"reason", "a rejection gives its reason"}
	}
	if r.ReviewedAt.IsZero() {
		return &FieldError{"reviewed_at", "missing"}
	}
	return nil
}

// RangeQuery asks a system about a cinema over business days (§9.3.3–9.3.6;
// the log query asks one day: From = To). §9.3.1 and §9.3.2 ask no dates.
type RangeQuery struct {
	Cinema string `json:"cinema_code"`
	Hall   string `json:"hall_code,omitempty"` // §9.3.2: one hall, or all
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
}

// CinemaInfo answers §9.3.1.
type CinemaInfo struct {
	Code            string     `json:"code"`
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	Halls           int        `json:"halls"`
	HallSeats       []HallSize `json:"hall_seats"`
	Vendor          string     `json:"vendor"`
	SoftwareVersion string     `json:"software_version"`
}

// HallSize is a hall's code and seat count.
type HallSize struct {
	Hall  string `json:"hall_code"`
	Seats int    `json:"seats"`
}

// PlanLogEntry is one change of a screening plan (§9.3.6).
type PlanLogEntry struct {
	Cinema        string    `json:"cinema_code"`
	BusinessDate  string    `json:"business_date"`
	Hall          string    `json:"hall_code"`
	Session       string    `json:"session_code"`
	StartsAt      time.Time `json:"starts_at"`
	Seated        bool      `json:"seated"`
	StandardCents int64     `json:"standard_price_cents"`
	Operation     string    `json:"operation"`
	At            time.Time `json:"at"`
}

// Validate checks each body's fields; the first problem is returned.
func (q FilmQuery) Validate() error { return checkRange(q.From, q.To, 0) }

// checkRange checks a range of dates from..to, at most maxDays long
// (0: any length).
func checkRange(f, t string, maxDays int) error {
	from, err1 := time.Parse(dateForm, f)
	to, err2 := time.Parse(dateForm, t)
	switch {
	case err1 != nil:
		return &FieldError{"from", "a date YYYY-MM-DD"}
	case err2 != nil:
		return &FieldError{"to", "a date YYYY-MM-DD"}
	case to.Before(from):
		return &FieldError{"to", "before from"}
	case maxDays > 0 && to.Sub(from) > time.Duration(maxDays)*24*time.Hour:
		return &FieldError{"to", "a range of at most a year"}
	}
	return nil
}

func (q CinemaQuery) Validate() error {
	if q.Code != "" && !ValidCinemaCode(q.Code) {
		return &FieldError{"code", "an 8-digit cinema code"}
	}
	return nil
}

func (r StatusReport) Validate() error {
	if err := checkCinema(r.Cinema); err != nil {
		return err
	}
	if err := checkStatus("status", r.Status); err != nil {
		return err
	}
	return checkDate("effective_date", r.Effective)
}

func (r HallReport) Validate() error {
	if err := checkCinema(r.Cinema); err != nil {
		return err
	}
	if err := checkCode("hall_code", r.Hall); err != nil {
		return err
	}
	if r.Name == "" || len(r.Name) > 80 {
		return &FieldError{"hall_name", "1 to 80 bytes"}
	}
	if len(r.Seats) == 0 || len(r.Seats) > 100_000 {
		return &FieldError{"seats", "1 to 100000 seats"}
	}
	seen := make(map[string]bool, len(r.Seats))
	for i, s := range r.Seats {
		f := func(name string) string { return fmt.Sprintf("seats[%d].%s", i, name) }
		if err := checkCode(f("seat_code"), s.Code); err != nil {
			return err
		}
		if seen[s.Code] {
			return &FieldError{f("seat_code"), "listed twice"}
		}
		seen[s.Code] = true
		if err := checkCode(f("section_code"), s.Section); err != nil {
			return err
		}
		if s.Row == "" || len(s.Row) > 16 || s.Col == "" || len(s.Col) > 16 {
			return &FieldError{f("row"), "row and col are 1 to 16 bytes"}
		}
		if s.Type == "" || len(s.Type) > 32 {
			return &FieldError{f("type"), "1 to 32 bytes"}
		}
	}
	return nil
}

func (r PlanReport) Validate() error {
	if err := checkDate("business_date", r.BusinessDate); err != nil {
		return err
	}
	if err := checkCinema(r.Cinema); err != nil {
		return err
	}
	if len(r.Sessions) == 0 || len(r.Sessions) > 10_000 {
		return &FieldError{"sessions", "1 to 10000 sessions"}
	}
	for i, s := range r.Sessions {
		f := func(name string) string { return fmt.Sprintf("sessions[%d].%s", i, name) }
		if err := checkCode(f("hall_code"), s.Hall); err != nil {
			return err
		}
		if !ValidFilmCode(s.Film) {
			return &FieldError{f("film_code"), "a 12-character film code"}
		}
		if err := checkCode(f("session_code"), s.Session); err != nil {
			return err
		}
		if s.StartsAt.IsZero() || !s.EndsAt.After(s.StartsAt) {
			return &FieldError{f("ends_at"), "a session ends after it starts"}
		}
		if s.MinCents < 0 || s.StandardCents < s.MinCents {
			return &FieldError{f("standard_price_cents"), "prices are not negative and the standard price is at least the lowest"}
		}
		switch s.Operation {
		case OpCreate, OpUpdate, OpDelete:
		default:
			return &FieldError{f("operation"), "create, update or delete"}
		}
	}
	return nil
}

func (r TicketRecord) Validate() error {
	if err := checkStatus("cinema_status", r.CinemaStatus); err != nil {
		return err
	}
	if err := checkShowing(r.Cinema, r.BusinessDate, r.Hall, r.Film, r.Session, r.StartsAt); err != nil {
		return err
	}
	switch r.Operation {
	case OpSale, OpRefund, OpPresale, OpMakeupSale, OpMakeupRefund:
	default:
		return &FieldError{"operation", "sale, refund, presale, makeup_sale or makeup_refund"}
	}
	if !ticketCode.MatchString(r.Ticket) {
		return &FieldError{"ticket_code", "1 to 40 letters, digits and -"}
	}
	if err := checkCode("seat_code", r.Seat); err != nil {
		return err
	}
	if r.PriceCents < 0 || r.NetworkFeeCents < 0 {
		return &FieldError{"price_cents", "not negative"}
	}
	if !r.Network && r.NetworkFeeCents != 0 {
		return &FieldError{"network_fee_cents", "only a network sale carries a network fee"}
	}
	if r.OperatedAt.IsZero() {
		return &FieldError{"operated_at", "missing"}
	}
	return nil
}

func (r SessionStats) Validate() error {
	if err := checkStatus("cinema_status", r.CinemaStatus); err != nil {
		return err
	}
	if err := checkShowing(r.Cinema, r.BusinessDate, r.Hall, r.Film, r.Session, r.StartsAt); err != nil {
		return err
	}
	for _, n := range []int64{int64(r.LocalSold), int64(r.LocalRefunded), r.LocalSoldCents, r.LocalRefundedCents, int64(r.NetworkSold),
		int64(r.NetworkRefunded), r.NetworkSoldCents, r.NetworkRefundedCents, int64(r.MakeupCount), r.MakeupCents, r.NetworkFeeCents, r.CinemaFeeCents} {
		if n < 0 {
			return &FieldError{"counts", "no count or amount is negative"}
		}
	}
	return nil
}

func (a MakeupApplication) Validate() error {
	if err := checkShowing(a.Cinema, a.BusinessDate, a.Hall, a.Film, a.Session, a.StartsAt); err != nil {
		return err
	}
	if a.Count <= 0 || a.AmountCents < 0 {
		return &FieldError{"count", "at least one ticket, amount not negative"}
	}
	return nil
}

// maxQueryDays bounds a query's range.
const maxQueryDays = 366

func (q RangeQuery) Validate() error {
	if err := checkCinema(q.Cinema); err != nil {
		return err
	}
	if q.Hall != "" {
		if err := checkCode("hall_code", q.Hall); err != nil {
			return err
		}
	}
	if q.From == "" && q.To == "" {
		return nil
	}
	return checkRange(q.From, q.To, maxQueryDays)
}

// needsDates: the range queries must give one.
func (q RangeQuery) needsDates() error {
	if q.From == "" || q.To == "" {
		return &FieldError{"from", "the range's first and last business day are required"}
	}
	return nil
}

// checkShowing checks the fields that name a showing: the cinema, its
// business day, the hall, the film, the session and when it starts.
func checkShowing(cinema, date, hall, film, session string, startsAt time.Time) error {
	if err := checkCinema(cinema); err != nil {
		return err
	}
	if err := checkDate("business_date", date); err != nil {
		return err
	}
	if err := checkCode("hall_code", hall); err != nil {
		return err
	}
	if !ValidFilmCode(film) {
		return &FieldError{"film_code", "a 12-character film code"}
	}
	if err := checkCode("session_code", session); err != nil {
		return err
	}
	if startsAt.IsZero() {
		return &FieldError{"starts_at", "missing"}
	}
	return nil
}

func checkCinema(code string) error {
	if !ValidCinemaCode(code) {
		return &FieldError{"cinema_code", "an 8-digit cinema code"}
	}
	return nil
}

func checkCode(field, v string) error {
	if !shortCode.MatchString(v) {
		return &FieldError{field, "1 to 32 letters, digits, - and _"}
	}
	return nil
}

func checkDate(field, v string) error {
	if _, err := time.Parse(dateForm, v); err != nil {
		return &FieldError{field, "a date YYYY-MM-DD"}
	}
	return nil
}

func checkStatus(field, v string) error {
	switch v {
	case StatusTrial, StatusOpen, StatusClosed:
		return nil
	}
	return &FieldError{field, "trial, open or closed"}
}

// Body is a message body that can check itself.
type Body interface{ Validate() error }

// NewBody is the empty body of an interface's message, to decode into.
func NewBody(i Interface) (Body, error) {
	switch i {
	case FilmDownload:
		return &FilmQuery{}, nil
	case CinemaDownload:
		return &CinemaQuery{}, nil
	case ReceivedDownload:
		return &ReceivedQuery{}, nil
	case BusinessStatus:
		return &StatusReport{}, nil
	case HallSeats:
		return &HallReport{}, nil
	case ScreeningPlan:
		return &PlanReport{}, nil
	case RawTicket:
		return &TicketRecord{}, nil
	case DailyStats:
		return &SessionStats{}, nil
	case SaleMakeup, RefundMakeup:
		return &MakeupApplication{}, nil
	case QueryCinema, QueryHalls:
		return &RangeQuery{}, nil
	case QueryPlans, QueryStats, QueryTickets, QueryLog:
		return &datedQuery{}, nil
	case MakeupReview:
		return &ReviewResult{}, nil
	}
	return nil, fmt.Errorf("wire: no body for interface %q", i)
}

// datedQuery is a RangeQuery that must name its days.
type datedQuery struct{ RangeQuery }

func (q datedQuery) Validate() error {
	if err := q.RangeQuery.Validate(); err != nil {
		return err
	}
	return q.needsDates()
}

// Query is the RangeQuery of a query's body (nil for other bodies).
func Query(b Body) *RangeQuery {
	switch x := b.(type) {
	case *RangeQuery:
		return x
	case *datedQuery:
		return &x.RangeQuery
	}
	return nil
}

// ReadBody decodes and validates an envelope's body.
func (e *Envelope) ReadBody() (Body, error) {
	b, err := NewBody(e.Interface)
	if err != nil {
		return nil, err
	}
	if err := e.Decode(b); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}
