package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Interface names a §9 interface: the last path element of its URL.
type Interface string

// The platform's interfaces (§9.2): downloads the system asks for, and
// reports it sends.
const (
	FilmDownload   Interface = "films"   // §9.2.1 影片信息下载
	CinemaDownload Interface = "cinemas" // §9.2.2 影院信息加载
	// ReceivedDownload is what the platform holds of a cinema's business
	// day: the raw records it stored, for the three-way reconciliation of
	// §4.5 and §10.4 (国家专资比对).
	ReceivedDownload Interface = "received"
	BusinessStatus   Interface = "business-status" // §9.2.3 影院营业状态上报
	HallSeats        Interface = "hall-seats"      // §9.2.4 影厅座位信息上报
	ScreeningPlan    Interface = "plans"           // §9.2.4 放映计划上报
	RawTicket        Interface = "tickets"         // §9.2.5 原始数据上报
	DailyStats       Interface = "daily-stats"     // §9.2.6 统计票房上报
	SaleMakeup       Interface = "sale-makeup"     // §9.2.7 售票补登上报
	RefundMakeup     Interface = "refund-makeup"   // §9.2.8 退票补登上报

	// The regulator's queries (§9.3), which the platform sends the system.
	QueryCinema  Interface = "query-cinema"  // §9.3.1 影院基础信息查询
	QueryHalls   Interface = "query-halls"   // §9.3.2 影厅座位基础信息查询
	QueryPlans   Interface = "query-plans"   // §9.3.3 放映计划数据查询
	QueryStats   Interface = "query-stats"   // §9.3.4 统计票房查询
	QueryTickets Interface = "query-tickets" // §9.3.5 原始数据查询: answered at once, re-reported asynchronously
	QueryLog     Interface = "query-log"     // §9.3.6 日志查询

	// MakeupReview is the platform's call to a system with its review of
	// a 补登 application (§9.2.7–9.2.8: 推送审核结果).
	MakeupReview Interface = "makeup-review"
)

// Queries are the interfaces the platform calls on a system.
var Queries = []Interface{QueryCinema, QueryHalls, QueryPlans, QueryStats, QueryTickets, QueryLog}

// Callbacks are the interfaces the platform calls on a system to tell it
// something rather than to ask.
var Callbacks = []Interface{MakeupReview}

// PlatformSystem is the system code the platform signs its own messages with.
const PlatformSystem = "NATIONAL-PLATFORM"

// Reports are the interfaces that carry a system's data to the platform.
var Reports = []Interface{BusinessStatus, HallSeats, ScreeningPlan, RawTicket, DailyStats, SaleMakeup, RefundMakeup}

// Path is the URL path of an interface on the platform.
func (i Interface) Path() string { return "/api/v1/" + string(i) }

// SystemPath is the URL path of a query on a ticketing system.
func (i Interface) SystemPath() string { return "/platform/v1/" + string(i) }

// Known reports whether i is one of the platform's interfaces.
func (i Interface) Known() bool {
	switch i {
	case FilmDownload, CinemaDownload, ReceivedDownload, BusinessStatus, HallSeats, ScreeningPlan, RawTicket, DailyStats, SaleMakeup, RefundMakeup,
		QueryCinema, QueryHalls, QueryPlans, QueryStats, QueryTickets, QueryLog, MakeupReview:
		return true
	}
	return false
}

// Envelope is one signed message.
type Envelope struct {
	System    string          `json:"system_code"`
	Interface Interface       `json:"interface"`
	Serial    string          `json:"serial"`
	SentAt    time.Time       `json:"sent_at"`
	Body      json.RawMessage `json:"body"`
	Alg       string          `json:"sign_alg"`
	Signature []byte          `json:"signature"` // base64 in JSON
}

// MaxMessage bounds a message a side accepts: a hall's seats are the
// largest body (a few thousand seats).
const MaxMessage = 4 << 20

// Limits of the envelope's fields.
const (
	maxSystem = 32
	maxSerial = 64
)

// signed is what the signature covers: every field but the signature, in
// a fixed layout, the body as the exact bytes sent.
func (e *Envelope) signed() []byte {
	var b bytes.Buffer
	b.WriteString("admit-platform-v1\n")
	b.WriteString(e.System)
	b.WriteByte('\n')
	b.WriteString(string(e.Interface))
	b.WriteByte('\n')
	b.WriteString(e.Serial)
	b.WriteByte('\n')
	b.WriteString(e.SentAt.UTC().Format(time.RFC3339Nano))
	b.WriteByte('\n')
	b.WriteString(e.Alg)
	b.WriteByte('\n')
	b.Write(e.Body)
	return b.Bytes()
}

// Seal builds a signed envelope around body.
func Seal(s Signer, system string, i Interface, serial string, at time.Time, body any) (Envelope, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return Envelope{}, fmt.Errorf("wire: encode %s body: %w", i, err)
	}
	e := Envelope{System: system, Interface: i, Serial: serial, SentAt: at.UTC(), Body: raw, Alg: s.Alg()}
	if err := e.check(); err != nil {
		return Envelope{}, err
	}
	if e.Signature, err = s.Sign(e.signed()); err != nil {
		return Envelope{}, fmt.Errorf("wire: sign %s %s: %w", i, serial, err)
	}
	return e, nil
}

// Errors of an envelope; a body's own problems are FieldErrors.
var (
	ErrMalformed = errors.New("wire: not a message")
	ErrSignature = errors.New("wire: signature does not verify")
)

// Open reads a message and checks its form (not yet its signature: the
// receiver first finds the sender's key by the system code).
func Open(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) > MaxMessage {
		return e, fmt.Errorf("%w: over %d bytes", ErrMalformed, MaxMessage)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d.More() {
		return Envelope{}, fmt.Errorf("%w: data after the message", ErrMalformed)
	}
	if err := e.check(); err != nil {
		return Envelope{}, err
	}
	if len(e.Signature) == 0 {
		return Envelope{}, fmt.Errorf("%w: unsigned", ErrMalformed)
	}
	return e, nil
}

func (e *Envelope) check() error {
	switch {
	case !printable(e.System, maxSystem):
		return fmt.Errorf("%w: system_code must be 1 to %d printable characters", ErrMalformed, maxSystem)
	case !e.Interface.Known():
		return fmt.Errorf("%w: unknown interface %q", ErrMalformed, e.Interface)
	case !printable(e.Serial, maxSerial):
		return fmt.Errorf("%w: serial must be 1 to %d printable characters", ErrMalformed, maxSerial)
	case e.SentAt.IsZero():
		return fmt.Errorf("%w: sent_at is missing", ErrMalformed)
	case e.Alg != AlgRSA && e.Alg != AlgSM2:
		return fmt.Errorf("%w: sign_alg must be %s or %s", ErrMalformed, AlgRSA, AlgSM2)
	case len(e.Body) == 0 || !json.Valid(e.Body):
		return fmt.Errorf("%w: body is not JSON", ErrMalformed)
	}
	return nil
}

// Verify checks the signature with the sender's keys.
func (e *Envelope) Verify(v Verifier) error {
	if err := v.Verify(e.Alg, e.signed(), e.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// Decode reads the body into v, refusing unknown fields and trailing data.
func (e *Envelope) Decode(v any) error {
	d := json.NewDecoder(bytes.NewReader(e.Body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return &FieldError{Field: "body", Message: err.Error()}
	}
	if d.More() {
		return &FieldError{Field: "body", Message: "data after the body"}
	}
	return nil
}

func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0
}
