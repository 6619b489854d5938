package sales

import (
	"encoding/json"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/refundrule"
	"github.com/admitbox/admit/cloud/seatmap"
)

// Principal is an authenticated user as the service sees it: every call is
// scoped by its tenant and venues, never by an id taken from a URL alone.
type Principal struct {
	UserID   int64     `json:"user_id"`
	Username string    `json:"username"`
	TenantID int64     `json:"tenant_id"` // 0 for a platform admin
	Role     auth.Role `json:"role"`
	VenueIDs []int64   `json:"venue_ids,omitempty"`
	// OutletID is the outlet (a booth) the user works at: its sales
	// record it; OutletClosed: the outlet is disabled, so they sell nothing.
	OutletID     int64 `json:"outlet_id,omitempty"`
	OutletClosed bool  `json:"-"`
}

// SeesVenue reports whether the principal may see the venue at all.
func (p Principal) SeesVenue(venueID int64) bool {
	if p.Role.TenantWide() {
		return true
	}
	for _, v := range p.VenueIDs {
		if v == venueID {
			return true
		}
	}
	return false
}

// Actor is how the principal appears in the audit log.
func (p Principal) Actor() string {
	if p.UserID == 0 {
		if p.Role == auth.RoleAgency {
			return p.Username // "agency:12": the agency's system, by its key
		}
		return "system"
	}
	return "user:" + itoa(p.UserID) + " " + p.Username
}

type Tenant struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type Venue struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"tenant_id"`
	Code     string `json:"code"` // 8 digits, the regulator's venue code
	Name     string `json:"name"`
	Address  string `json:"address"`
	Timezone string `json:"timezone"`
	// BusinessDayStartMinutes: a showing that starts before this time of day
	// belongs to the previous business date (late-night shows).
	BusinessDayStartMinutes int       `json:"business_day_start_minutes"`
	CreatedAt               time.Time `json:"created_at"`
	// BusinessStatus is the venue's status at the national data platform
	// (营业状态): trial, open (the default) or closed.
	BusinessStatus string `json:"business_status"`
}

type Hall struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	VenueID   int64     `json:"venue_id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Seats     int       `json:"seats"` // seats in service
	CreatedAt time.Time `json:"created_at"`
}

// HallSeat is a seat of a hall's map with its stable id.
type HallSeat struct {
	ID int64 `json:"id"`
	seatmap.Seat
}

type Event struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"` // film, match, concert, ...
	Code      string    `json:"code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// RealName: every ticket names its holder's identity document, one
	// ticket per document per session (see holders.go).
	RealName bool `json:"real_name,omitempty"`
	// HolderLimit caps the tickets one document holds across the event's
	// sessions (0: one per session, no cap across them).
	HolderLimit int `json:"holder_limit,omitempty"`
	// Refunds is the rule for refunds the public asks for at the shop
	// (graded fees); nil: the shop takes none (staff still can).
	Refunds *refundrule.Rule `json:"refunds,omitempty"`
	// RefundPolicy: RefundsClosed takes no refunds (at the box office or
	// the shop) unless the organiser cancels or postpones the session;
	// "" takes them at the box office with approval, before the show.
	RefundPolicy string `json:"refund_policy,omitempty"`
}

// RefundsClosed is the refund policy of the big events: none, unless the
// session is cancelled or postponed (§6.1.3(11)).
const RefundsClosed = "closed"

// Reentry is a session's re-entry policy, used by gates.
type Reentry string

const (
	ReentryNone      Reentry = "none"
	ReentryAfterExit Reentry = "after_exit"
)

type SessionStatus string

const (
	SessionScheduled SessionStatus = "scheduled"
	SessionCancelled SessionStatus = "cancelled"
)

type Session struct {
	ID            int64         `json:"id"`
	TenantID      int64         `json:"tenant_id"`
	VenueID       int64         `json:"venue_id"`
	HallID        int64         `json:"hall_id"`
	EventID       int64         `json:"event_id"`
	StartsAt      time.Time     `json:"starts_at"`
	EndsAt        time.Time     `json:"ends_at"`
	BusinessDate  string        `json:"business_date"` // YYYY-MM-DD
	Status        SessionStatus `json:"status"`
	MinPriceCents int64         `json:"min_price_cents"` // the regulator's minimum price (最低票价)
	MaxPerOrder   int           `json:"max_per_order"`
	Reentry       Reentry       `json:"reentry"`
	Zones         []string      `json:"zones"` // gate zones admitting it; empty: every gate
	Quotas        []Quota       `json:"quotas"`
	CreatedAt     time.Time     `json:"created_at"`
	// OnSaleAt, if set, is when the public shop (the web channel) starts
	// selling it; the box office and agencies may sell before.
	OnSaleAt *time.Time `json:"on_sale_at,omitempty"`
	// Postponed: the organiser moved it (PostponeSession); its tickets
	// stay valid at the new time and may be refunded until it starts.
	Postponed bool `json:"postponed,omitempty"`
}

// Channel is where a sale happens.
type Channel string

const (
	ChannelPOS    Channel = "pos"
	ChannelKiosk  Channel = "kiosk"
	ChannelWeb    Channel = "web"
	ChannelAgency Channel = "agency"
	// ChannelContract sells to contract customers (cloud/contract): its
	// quotas are the customers' two tracks, for all of them and for each.
	ChannelContract Channel = "contract"
)

var Channels = []Channel{ChannelPOS, ChannelKiosk, ChannelWeb, ChannelAgency, ChannelContract}

func (c Channel) Valid() bool {
	for _, k := range Channels {
		if c == k {
			return true
		}
	}
	return false
}

// ChannelSettings are a tenant's per-channel rules.
type ChannelSettings struct {
	Channel    Channel `json:"channel"`
	HoldTTLSec int     `json:"hold_ttl_seconds"`
}

// Quota caps what one channel may sell of a session, optionally within one tier.
type Quota struct {
	Channel Channel `json:"channel"`
	TierID  int64   `json:"tier_id,omitempty"` // 0: all tiers
	Limit   int     `json:"limit"`
	// Party, if set, caps one party selling on the channel (an agency,
	// "agency:12") rather than the whole channel.
	Party string `json:"party,omitempty"`
}

// PriceTier prices the seats of a section, or of a seat type, of a session.
// A seat takes the first tier matching both (empty matches all).
type PriceTier struct {
	ID         int64            `json:"id"`
	SessionID  int64            `json:"session_id"`
	Name       string           `json:"name"`
	Section    string           `json:"section,omitempty"`
	SeatType   seatmap.SeatType `json:"seat_type,omitempty"`
	PriceCents int64            `json:"price_cents"`
}

// Category says whether a session seat is for sale.
type Category string

const (
	CategorySellable Category = "sellable"
	CategoryReserved Category = "reserved"  // for a named customer until a date
	CategoryHeldBack Category = "held_back" // emergency stock (应急), convertible to sellable
	CategoryNonSale  Category = "non_sale"  // registered / occupied
)

func (c Category) Valid() bool {
	switch c {
	case CategorySellable, CategoryReserved, CategoryHeldBack, CategoryNonSale:
		return true
	}
	return false
}

// SeatStatus is the sales state of a session seat.
type SeatStatus string

const (
	SeatAvailable SeatStatus = "available"
	SeatHeld      SeatStatus = "held"
	SeatSold      SeatStatus = "sold"
)

// SessionSeat is a session's copy of a hall seat plus its sales state.
type SessionSeat struct {
	SeatID        int64                 `json:"seat_id"`
	Ord           int64                 `json:"-"` // the store's ordinal (the seat change log's name for the seat)
	Section       string                `json:"section"`
	Row           string                `json:"row"`
	RowNo         int                   `json:"row_no"`
	Col           int                   `json:"col"`
	Label         string                `json:"label"`
	Type          seatmap.SeatType      `json:"type"`
	State         seatmap.PhysicalState `json:"state"`
	Category      Category              `json:"category"`
	ReservedFor   string                `json:"reserved_for,omitempty"`
	ReservedUntil *time.Time            `json:"reserved_until,omitempty"`
	Status        SeatStatus            `json:"status"`
	HoldExpires   *time.Time            `json:"-"`
	TierID        int64                 `json:"tier_id,omitempty"`
}

type HoldStatus string

const (
	HoldActive    HoldStatus = "active"
	HoldReleased  HoldStatus = "released"
	HoldConfirmed HoldStatus = "confirmed"
	HoldExpired   HoldStatus = "expired"
)

type Hold struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	VenueID   int64      `json:"venue_id"`
	SessionID int64      `json:"session_id"`
	Channel   Channel    `json:"channel"`
	Status    HoldStatus `json:"status"`
	ExpiresAt time.Time  `json:"expires_at"`
	Seats     []HoldSeat `json:"seats"`
	// Party is who the seats are sold through, besides the channel (an
	// agency, "agency:12"), for its quotas and its settlement.
	Party     string    `json:"party,omitempty"`
	Key       string    `json:"-"` // HoldRequest.Key
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

type HoldSeat struct {
	SeatID     int64  `json:"seat_id"`
	Label      string `json:"label"`
	TierID     int64  `json:"tier_id"`
	PriceCents int64  `json:"price_cents"`
}

type OrderStatus string

const (
	OrderPending           OrderStatus = "pending_payment"
	OrderPaid              OrderStatus = "paid"
	OrderPartiallyRefunded OrderStatus = "partially_refunded"
	OrderRefunded          OrderStatus = "refunded"
	OrderCancelled         OrderStatus = "cancelled"
)

type Order struct {
	ID            int64       `json:"id"`
	TenantID      int64       `json:"tenant_id"`
	VenueID       int64       `json:"venue_id"`
	SessionID     int64       `json:"session_id"`
	HoldID        int64       `json:"hold_id"`
	Channel       Channel     `json:"channel"`
	Party         string      `json:"party,omitempty"`     // the hold's party
	OutletID      int64       `json:"outlet_id,omitempty"` // the seller's outlet
	Status        OrderStatus `json:"status"`
	TotalCents    int64       `json:"total_cents"`
	PickupCode    string      `json:"pickup_code"`
	OrderQR       string      `json:"order_qr"`
	CustomerName  string      `json:"customer_name,omitempty"`
	CustomerPhone string      `json:"customer_phone,omitempty"`
	// CustomerIndex is a blind index of the customer's name (with a master
	// key: the name and phone are then stored sealed).
	CustomerIndex string `json:"-"`
	// Holders name each seat's holder, for a real-name event.
	Holders       []OrderHolder `json:"holders,omitempty"`
	PaymentMethod string        `json:"payment_method,omitempty"`
	PaymentRef    string        `json:"payment_ref,omitempty"`
	PaymentKey    string        `json:"-"` // the payment attempt that paid it
	PayBy         time.Time     `json:"pay_by"`
	Seats         []HoldSeat    `json:"seats"`
	Tickets       []Ticket      `json:"tickets,omitempty"`
	CreatedBy     int64         `json:"created_by"`
	CreatedAt     time.Time     `json:"created_at"`
	PaidAt        *time.Time    `json:"paid_at,omitempty"`
}

type TicketStatus string

const (
	TicketValid    TicketStatus = "valid"
	TicketRefunded TicketStatus = "refunded"
)

type Ticket struct {
	ID           int64        `json:"id"`
	TenantID     int64        `json:"tenant_id"`
	VenueID      int64        `json:"venue_id"`
	SessionID    int64        `json:"session_id"`
	OrderID      int64        `json:"order_id"`
	SeatID       int64        `json:"seat_id"`
	SeatLabel    string       `json:"seat_label"`
	Number       string       `json:"number"`
	BusinessDate string       `json:"business_date"`
	Serial       uint32       `json:"-"`
	TierID       int64        `json:"tier_id"`
	PriceCents   int64        `json:"price_cents"`
	KeyID        uint32       `json:"key_id"`
	QR           string       `json:"qr"`
	Card         string       `json:"card,omitempty"` // RFID card UID bound to the ticket, hex
	Status       TicketStatus `json:"status"`
	IssuedAt     time.Time    `json:"issued_at"`
	// Holder is, on a real-name event, the holder's document hashed under
	// the tenant's holder key, as gates compare ID cards with it; never shown.
	Holder string `json:"-"`
	// Bundle is the pass (Bundle) this ticket is a session's part of.
	Bundle int64 `json:"bundle,omitempty"`
	// PrintedAt is its first print (a kiosk's, a POS's); Produced is a
	// commemorative ticket made by the printing house; ReturnedAt is when
	// staff took the paper ticket back, before its refund.
	PrintedAt  *time.Time `json:"printed_at,omitempty"`
	Produced   bool       `json:"produced,omitempty"`
	ReturnedAt *time.Time `json:"returned_at,omitempty"`
}

// OnPaper reports whether the ticket exists on paper, which must come
// back before its money does.
func (t Ticket) OnPaper() bool { return t.PrintedAt != nil || t.Produced }

type RefundStatus string

const (
	RefundPending  RefundStatus = "pending"
	RefundApproved RefundStatus = "approved"
	RefundRejected RefundStatus = "rejected"
)

type RefundRequest struct {
	ID          int64   `json:"id"`
	TenantID    int64   `json:"tenant_id"`
	VenueID     int64   `json:"venue_id"`
	OrderID     int64   `json:"order_id"`
	TicketIDs   []int64 `json:"ticket_ids"`
	AmountCents int64   `json:"amount_cents"`
	// FeeCents is kept by the organiser: the event's graded fee, for a
	// refund asked for at the shop; the customer gets AmountCents-FeeCents.
	FeeCents    int64        `json:"fee_cents,omitempty"`
	Reason      string       `json:"reason"`
	Status      RefundStatus `json:"status"`
	RequestedBy int64        `json:"requested_by"`
	DecidedBy   int64        `json:"decided_by,omitempty"`
	Decision    string       `json:"decision_note,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	DecidedAt   *time.Time   `json:"decided_at,omitempty"`
	// PaidBackAt is when the money went back: at approval for cash (handed
	// over at the counter), once the provider refunded the card otherwise.
	PaidBackAt *time.Time `json:"paid_back_at,omitempty"`
	// BundleID: the request is one order's part of a pass's refund; its
	// parts are decided together.
	BundleID int64 `json:"bundle_id,omitempty"`
	// Key is the idempotency key it was asked under (an agency's), unique
	// in its tenant; empty for most.
	Key string `json:"-"`
}

type KeyStatus string

const (
	KeyActive  KeyStatus = "active"
	KeyRetired KeyStatus = "retired" // no longer signs, still verifies
	KeyRevoked KeyStatus = "revoked" // verifies nothing
)

// SigningKey is a tenant's ticket signing key. Private is never serialised.
type SigningKey struct {
	ID        uint32     `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	Public    []byte     `json:"public_key"`
	Private   []byte     `json:"-"`
	Status    KeyStatus  `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

type User struct {
	ID           int64      `json:"id"`
	TenantID     int64      `json:"tenant_id"`
	Username     string     `json:"username"`
	DisplayName  string     `json:"display_name"`
	Role         auth.Role  `json:"role"`
	VenueIDs     []int64    `json:"venue_ids"`
	OutletID     int64      `json:"outlet_id,omitempty"`
	Disabled     bool       `json:"disabled"`
	PasswordHash string     `json:"-"`
	FailedLogins int        `json:"-"`
	LastFailedAt *time.Time `json:"-"`
	Generation   int64      `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	// PasswordHistory holds the hashes of the user's previous passwords,
	// newest first, as many as the policy keeps; PasswordChangedAt is when
	// the password was last set (nil: before the policy was recorded).
	PasswordHistory   []string   `json:"-"`
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
}

// OutboxEvent is a fact that must leave the cloud (venue feed, regulator
// report); it is written in the same transaction as the change it reports.
type OutboxEvent struct {
	TenantID int64
	VenueID  int64
	Kind     string
	Payload  json.RawMessage
}

// TicketFact is a ticket's sale or refund as the outbox carries it to the
// sales core's consumers (the regulator's reporter): enough to report it
// without reading the sales tables. Outbox kinds: "tickets.issued"
// (TicketsIssued) and "tickets.revoked" (TicketsRevoked).
type TicketFact struct {
	TicketID     int64     `json:"ticket_id"`
	Number       string    `json:"number"`
	SessionID    int64     `json:"session_id"`
	SeatID       int64     `json:"seat_id"`
	SeatLabel    string    `json:"seat_label"`
	PriceCents   int64     `json:"price_cents"`
	Channel      Channel   `json:"channel"`
	BusinessDate string    `json:"business_date"` // the session's
	At           time.Time `json:"at"`            // when it was sold, or refunded
}

// TicketsIssued is the outbox payload of a paid order.
type TicketsIssued struct {
	OrderID int64        `json:"order_id"`
	Tickets []TicketFact `json:"tickets"`
}

// TicketsRevoked is the outbox payload of an approved refund.
type TicketsRevoked struct {
	RefundID int64        `json:"refund_id"`
	OrderID  int64        `json:"order_id"`
	Tickets  []TicketFact `json:"tickets"`
}

func ticketFact(t Ticket, ch Channel, at time.Time) TicketFact {
	return TicketFact{TicketID: t.ID, Number: t.Number, SessionID: t.SessionID, SeatID: t.SeatID, SeatLabel: t.SeatLabel,
		PriceCents: t.PriceCents, Channel: ch, BusinessDate: t.BusinessDate, At: at.UTC()}
}

// Revocation tells edges a ticket is no longer valid.
type Revocation struct {
	TicketID  int64     `json:"ticket_id"`
	Number    string    `json:"number"`
	VenueID   int64     `json:"venue_id"`
	SessionID int64     `json:"session_id"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}
