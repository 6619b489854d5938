package sales

import (
	"context"
	"encoding/json"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/seatmap"
	wire "github.com/admitbox/admit/sync"
)

// Store is what the sales service needs from a database engine. SQLite and
// PostgreSQL implement it; cloud/store/storetest holds the conformance suite
// both must pass. Reads outside Update see committed data; every write
// happens inside Update, in one transaction.
//
// Every query that takes a tenantID must return a NotFound error for a row
// of another tenant, exactly as for a missing row.
type Store interface {
	Reader
	// Update runs fn in one write transaction: all of fn's writes commit
	// together or not at all.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn over one consistent read snapshot: every read fn makes
	// sees the same committed state (a device snapshot and its head).
	// fn must not write.
	View(ctx context.Context, fn func(r Reader) error) error
	Close() error
}

// Reader is the query half of the contract.
type Reader interface {
	Setting(ctx context.Context, key string) (string, bool, error)
	// SettingKeys lists the settings whose key starts with prefix.
	SettingKeys(ctx context.Context, prefix string) ([]string, error)

	GetTenant(ctx context.Context, id int64) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	GetVenue(ctx context.Context, tenantID, id int64) (Venue, error)
	GetVenueByCode(ctx context.Context, code string) (Venue, error)
	ListVenues(ctx context.Context, tenantID int64) ([]Venue, error)
	GetHall(ctx context.Context, tenantID, id int64) (Hall, error)
	ListHalls(ctx context.Context, tenantID, venueID int64) ([]Hall, error)
	HallSeatMap(ctx context.Context, hallID int64) ([]seatmap.Section, []HallSeat, error)
	GetEvent(ctx context.Context, tenantID, id int64) (Event, error)
	ListEvents(ctx context.Context, tenantID int64) ([]Event, error)

	GetSession(ctx context.Context, tenantID, id int64) (Session, error)
	ListSessions(ctx context.Context, tenantID int64, f SessionFilter) ([]Session, error)
	// SessionVersion changes whenever any seat of the session changes state.
	SessionVersion(ctx context.Context, sessionID int64) (int64, error)
	// SeatLogHead is the newest position of the seat change log (0: none).
	// The log records, in commit order and numbered without gaps, every
	// committed change of a session seat's code (SeatCode) or price tier.
	SeatLogHead(ctx context.Context) (int64, error)
	// SeatLogSince returns up to limit changes after position after, in order.
	SeatLogSince(ctx context.Context, after int64, limit int) ([]avail.Change, error)
	PriceTiers(ctx context.Context, sessionID int64) ([]PriceTier, error)
	// SessionFigures counts a session's tickets sold and refunded, at the
	// box office and through the network channels.
	SessionFigures(ctx context.Context, sessionID int64) (SessionFigures, error)
	SessionSeats(ctx context.Context, sessionID int64) ([]SessionSeat, error)
	// SessionSeatsByID returns those of the given seats that are in the session.
	SessionSeatsByID(ctx context.Context, sessionID int64, seatIDs []int64) ([]SessionSeat, error)
	ChannelSettings(ctx context.Context, tenantID int64) ([]ChannelSettings, error)

	GetHold(ctx context.Context, tenantID, id int64) (Hold, error)
	GetOrder(ctx context.Context, tenantID, id int64) (Order, error)
	GetBundle(ctx context.Context, tenantID, id int64) (Bundle, error)
	FindOrders(ctx context.Context, tenantID int64, f OrderFilter) ([]Order, error)
	OrderTickets(ctx context.Context, orderID int64) ([]Ticket, error)
	GetTicketByNumber(ctx context.Context, tenantID int64, number string) (Ticket, error)
	GetRefund(ctx context.Context, tenantID, id int64) (RefundRequest, error)
	ListRefunds(ctx context.Context, tenantID int64, status RefundStatus) ([]RefundRequest, error)
	// RefundPending says whether an order has a refund request awaiting review.
	RefundPending(ctx context.Context, orderID int64) (bool, error)
	// RefundByKey is the refund request asked under an idempotency key.
	RefundByKey(ctx context.Context, tenantID int64, key string) (RefundRequest, bool, error)
	// AttemptVoided says whether a card attempt's charge was given back
	// (VoidAttempt): the attempt, sent again, must pay nothing, though
	// the provider answers its key as approved again.
	AttemptVoided(ctx context.Context, attempt string) (bool, error)
	// RefundsToPayBack lists approved refunds whose money has not gone back.
	RefundsToPayBack(ctx context.Context, limit int) ([]RefundRequest, error)
	Revocations(ctx context.Context, venueID int64) ([]Revocation, error)

	SigningKeys(ctx context.Context, tenantID int64) ([]SigningKey, error)

	GetUser(ctx context.Context, id int64) (User, error)
	// OutletOpen reports whether an outlet is enabled (false: unknown).
	OutletOpen(ctx context.Context, id int64) (bool, error)
	GetUserByName(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context, tenantID int64) ([]User, error)
	// GetLoginSession finds a login by its token's hash.
	GetLoginSession(ctx context.Context, tokenHash string) (LoginSession, error)
	// HolderTickets counts the valid tickets a document (by its key) holds
	// for the event.
	HolderTickets(ctx context.Context, eventID int64, idKey string) (int, error)
	// HolderInSession says whether a document (by its key) holds a valid
	// ticket of the session.
	HolderInSession(ctx context.Context, sessionID int64, idKey string) (bool, error)
	// LiveLoginSessions lists the logins that still admit their user (not
	// ended or expired, user enabled and at the login's generation), used
	// since since, of a tenant (-1: all), most recent first.
	LiveLoginSessions(ctx context.Context, tenantID int64, since, now time.Time) ([]LoginSession, error)

	// AuditLog calls fn for entries in storage order (the order they were
	// appended), filtered; fn's error stops the walk and is returned.
	AuditLog(ctx context.Context, f AuditFilter, fn func(audit.Entry) error) error
	AuditHead(ctx context.Context) (seq int64, hash string, err error)

	// VenueDashboard counts what a venue's dashboard shows (see
	// DashboardCounts and DashboardWindow).
	VenueDashboard(ctx context.Context, venueID int64, w DashboardWindow) (DashboardCounts, error)
	// DashboardVersion changes whenever the venue's dashboard may have.
	DashboardVersion(ctx context.Context, venueID int64) (string, error)

	// GetDevice finds a device of the tenant (-1: any tenant).
	GetDevice(ctx context.Context, tenantID int64, id string) (Device, error)
	// ListDevices lists the tenant's devices (-1: all), within venueIDs
	// when not nil.
	ListDevices(ctx context.Context, tenantID int64, venueIDs []int64) ([]Device, error)
	// DeviceByCodeHash finds the pending device whose unused enrollment
	// code has this hash, and when the code expires.
	DeviceByCodeHash(ctx context.Context, hash string) (Device, time.Time, error)
	// DeviceSecret returns a device with its secret (nil unless active).
	DeviceSecret(ctx context.Context, id string) (Device, []byte, error)
	// DeviceCursor is the highest contiguous fact seq stored for the device.
	DeviceCursor(ctx context.Context, deviceID string) (uint64, error)
	// DeviceFactIDSeen reports a fact of the device stored under this id.
	DeviceFactIDSeen(ctx context.Context, deviceID, factID string) (bool, error)
	// TicketAdmissions lists a ticket's recorded entries and exits for the
	// session, by time (then recording order).
	TicketAdmissions(ctx context.Context, sessionID int64, number string) ([]Admission, error)
	ListAlerts(ctx context.Context, tenantID int64, f AlertFilter) ([]Alert, error)

	// FeedHeads lists every venue's newest feed seq (venues with a feed).
	FeedHeads(ctx context.Context) ([]VenueHead, error)
	// FeedHead is the venue's newest feed seq (0: none yet).
	FeedHead(ctx context.Context, venueID int64) (uint64, error)
	// FeedSince returns up to limit events of the venue after seq after, in order.
	FeedSince(ctx context.Context, venueID int64, after uint64, limit int) ([]wire.FeedEvent, error)
	// The Walk methods stream what a device snapshot holds for the venue's
	// sessions that end after endingAfter, one query each; fn's error
	// stops the walk and is returned.
	WalkSessions(ctx context.Context, venueID int64, endingAfter time.Time, fn func(s Session, event, hall string) error) error
	WalkValidTickets(ctx context.Context, venueID int64, endingAfter time.Time, fn func(t Ticket, pickupCode string) error) error
	WalkRevocations(ctx context.Context, venueID int64, endingAfter time.Time, fn func(Revocation) error) error
	WalkAdmissions(ctx context.Context, venueID int64, endingAfter time.Time, fn func(Admission) error) error
}

// Tx is one write transaction. It can read its own writes.
type Tx interface {
	Reader

	PutSetting(ctx context.Context, key, value string) error
	// SetSigningKeyPrivate and SetDeviceSecret replace a stored secret as
	// it is (sealing secrets stored before a master key was configured).
	SetSigningKeyPrivate(ctx context.Context, keyID uint32, private []byte) error
	SetDeviceSecret(ctx context.Context, id string, secret []byte) error
	AppendAudit(ctx context.Context, e audit.Entry) error
	AppendOutbox(ctx context.Context, e OutboxEvent) error

	InsertTenant(ctx context.Context, t *Tenant) error
	InsertVenue(ctx context.Context, v *Venue) error
	SetVenueStatus(ctx context.Context, venueID int64, status string) error
	InsertHall(ctx context.Context, h *Hall) error
	// ReplaceHallSeatMap makes the map the hall's: seats match by label and
	// keep their ids; seats missing from m become removed. It returns the
	// ids of seats now out of service.
	ReplaceHallSeatMap(ctx context.Context, hallID int64, m seatmap.Map) (outOfService []int64, err error)
	// TakeSeatsOutOfService marks unsold seats of the hall's sessions that
	// have not ended (as of now) with the hall seat's physical state.
	SyncSessionSeatStates(ctx context.Context, hallID int64, now time.Time) (int, error)
	InsertEvent(ctx context.Context, e *Event) error
	// HallBusy reports a non-cancelled session in the hall overlapping [start, end).
	HallBusy(ctx context.Context, hallID int64, start, end time.Time) (bool, error)
	// InsertSession stores the session and copies the hall's seats into it.
	InsertSession(ctx context.Context, s *Session) error
	SetSessionStatus(ctx context.Context, sessionID int64, st SessionStatus) error
	// ReplacePriceTiers stores tiers (ids assigned) and sets each session
	// seat's tier (first match; none when no tier matches).
	ReplacePriceTiers(ctx context.Context, sessionID int64, tiers []PriceTier) ([]PriceTier, error)
	SetQuotas(ctx context.Context, sessionID int64, q []Quota) error
	// SetSeatCategory changes the category of seats that are available;
	// it returns the ids that were not (held or sold).
	SetSeatCategory(ctx context.Context, sessionID int64, seatIDs []int64, c Category, reservedFor string, until *time.Time) (refused []int64, err error)
	PutChannelSettings(ctx context.Context, tenantID int64, cs ChannelSettings) error
	// CountSold counts seats of the session sold or held (unexpired) through
	// a channel, within a tier when tierID is not 0.
	CountSold(ctx context.Context, sessionID int64, ch Channel, tierID int64, now time.Time) (int, error)
	// InsertBundle stores a bundle (its orders come after); SetBundleOrders
	// names them; CountBundles counts a product's valid bundles.
	InsertBundle(ctx context.Context, b *Bundle) error
	SetBundleOrders(ctx context.Context, id int64, orderIDs []int64) error
	SetBundleCode(ctx context.Context, id int64, code string) error
	CountBundles(ctx context.Context, tenantID int64, kind string, ref int64) (int, error)
	SetBundleStatus(ctx context.Context, id int64, st BundleStatus) error
	// SetTicketReturned notes a printed ticket handed back.
	SetTicketReturned(ctx context.Context, ticketID int64, at time.Time) error
	// SetSessionTimes moves a session (postponed).
	SetSessionTimes(ctx context.Context, sessionID int64, starts, ends time.Time) error
	// SetTicketProduction sets how a ticket is made (and when it was);
	// TicketProduction reads it.
	SetTicketProduction(ctx context.Context, ticketID int64, production string, producedAt *time.Time) error
	TicketProduction(ctx context.Context, ticketID int64) (string, error)
	// RepriceHold sets every seat of a hold to one price (a pass's share).
	RepriceHold(ctx context.Context, holdID, priceCents int64) error
	// BundleRefunds are a bundle's refund requests in a status.
	BundleRefunds(ctx context.Context, bundleID int64, st RefundStatus) ([]RefundRequest, error)
	// CountPartySold is CountSold for the seats one party sold or holds.
	CountPartySold(ctx context.Context, sessionID int64, party string, tierID int64, now time.Time) (int, error)

	InsertHold(ctx context.Context, h *Hold) error
	// HoldSeats puts the seats on hold for h, all or nothing: it returns
	// ok=false unless every seat is holdable now, and then the caller must
	// abandon the transaction (some seats may have moved).
	HoldSeats(ctx context.Context, h *Hold, seatIDs []int64, customer string, now time.Time) (ok bool, err error)
	// ReleaseHold returns the hold's still-held seats to sale.
	ReleaseHold(ctx context.Context, holdID int64, st HoldStatus) (int, error)
	// ExpireHolds releases every hold that expired before now.
	ExpireHolds(ctx context.Context, now time.Time) ([]Hold, error)
	// ExpireReservations makes seats whose reservation lapsed before now
	// plain sellable seats, and returns how many.
	ExpireReservations(ctx context.Context, now time.Time) (int, error)
	// PruneSeatLog forgets seat changes older than the newest keep.
	PruneSeatLog(ctx context.Context, keep int64) error
	InsertOrder(ctx context.Context, o *Order) error
	// ConfirmHold turns an active, unexpired hold confirmed and keeps its
	// seats held until the payment deadline. It returns false, and the
	// caller must abandon the transaction, if the hold is not active or
	// expired, or if fewer than seats of its seats are still held by it and
	// in service. seats 0 confirms the hold alone, for an order paid in the
	// same transaction: SellHoldSeats counts its seats then.
	ConfirmHold(ctx context.Context, holdID int64, seats int, until, now time.Time) (bool, error)
	// SellHoldSeats turns the hold's seats to sold for the order.
	SellHoldSeats(ctx context.Context, holdID, orderID int64, now time.Time) (int, error)
	NextTicketSerial(ctx context.Context, venueID int64, businessDate string, n int) (first uint32, err error)
	InsertTickets(ctx context.Context, ts []Ticket) error
	// SetTicketCard binds an RFID card UID to a valid ticket; a card bound
	// to another valid ticket of the venue is a Conflict.
	SetTicketCard(ctx context.Context, ticketID int64, card string) error
	// MarkOrderPaid moves a pending order to paid by the payment attempt
	// key; false if it was not pending.
	MarkOrderPaid(ctx context.Context, orderID int64, method, ref, key string, at time.Time) (bool, error)
	// VoidAttempt records, before the provider is asked, that a card
	// attempt's charge is given back; recording it twice is no error.
	VoidAttempt(ctx context.Context, attempt string, at time.Time) error
	SetOrderStatus(ctx context.Context, orderID int64, st OrderStatus) error
	// SealCustomers passes the name and phone of each order holding either
	// not yet beginning with sealedPrefix to seal, and stores what it
	// returns (sealed name, sealed phone, name index); it returns how many.
	SealCustomers(ctx context.Context, sealedPrefix string, seal func(name, phone string) (string, string, string)) (int, error)

	InsertRefund(ctx context.Context, r *RefundRequest) error
	DecideRefund(ctx context.Context, r RefundRequest) error
	// MarkRefundPaidBack records that a refund's money went back.
	MarkRefundPaidBack(ctx context.Context, id int64, at time.Time) error
	// RefundTickets marks the tickets refunded and returns their seats to sale.
	RefundTickets(ctx context.Context, ticketIDs []int64, now time.Time) error
	InsertRevocations(ctx context.Context, rs []Revocation) error

	InsertSigningKey(ctx context.Context, k *SigningKey) error
	SetKeyStatus(ctx context.Context, keyID uint32, st KeyStatus, at time.Time) error

	InsertUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u User) error
	RecordLogin(ctx context.Context, userID int64, failed bool, at time.Time) error
	InsertLoginSession(ctx context.Context, l LoginSession) error
	// InsertTicketHolders names tickets' holders; a document holding a
	// ticket of the session already is a Conflict (holder_taken).
	InsertTicketHolders(ctx context.Context, hs []TicketHolder) error
	// TouchLoginSession records that the login was used at at.
	TouchLoginSession(ctx context.Context, tokenHash string, at time.Time) error
	// EndLoginSession ends the login; false if it had already ended.
	EndLoginSession(ctx context.Context, tokenHash string, at time.Time, reason string) (bool, error)

	// AppendFeed gives the change the venue's next feed seq (1, 2, 3 …)
	// and stores it; rolled back with the transaction, so seqs stay
	// contiguous.
	AppendFeed(ctx context.Context, venueID int64, kind string, data json.RawMessage, at time.Time) (seq uint64, err error)

	// InsertDevice stores a pending device with the hash of its one-time
	// enrollment code; an id collision is a Conflict.
	InsertDevice(ctx context.Context, d Device, codeHash string, codeExpires time.Time) error
	// ActivateDevice turns a pending device whose code hash is still
	// codeHash active with the secret, and forgets the code; false if it
	// was not (the code was used meanwhile).
	ActivateDevice(ctx context.Context, id, codeHash string, secret []byte, at time.Time) (bool, error)
	// RevokeDevice marks the device revoked and forgets its secret and code.
	RevokeDevice(ctx context.Context, id string, at time.Time) error
	// TouchDevice records when the device was last heard from and, unless
	// state is nil, its reported state.
	TouchDevice(ctx context.Context, id string, seen time.Time, state map[string]string) error
	// InsertDeviceFact stores the fact unless the device already has one
	// at its seq (first write wins); it reports whether it stored it.
	InsertDeviceFact(ctx context.Context, f StoredFact) (bool, error)
	// AdvanceDeviceCursor moves the device's cursor to the highest
	// contiguous stored seq and returns it.
	AdvanceDeviceCursor(ctx context.Context, deviceID string) (uint64, error)
	InsertAdmission(ctx context.Context, a *Admission) error
	// MarkTicketPrinted and MarkTicketAdmitted note a ticket's first print
	// and first entry on the ticket, for the dashboard's counts.
	MarkTicketPrinted(ctx context.Context, venueID int64, number string, at time.Time) error
	MarkTicketAdmitted(ctx context.Context, venueID int64, number string, at time.Time) error
	InsertAlert(ctx context.Context, a *Alert) error
}

type SessionFilter struct {
	VenueID      int64
	BusinessDate string
	VenueIDs     []int64 // non-nil: only these venues
}

type OrderFilter struct {
	PickupCode   string
	TicketNumber string
	CustomerName string // a part of the name, when names are stored in clear
	// CustomerIndex finds the orders of exactly one name (its blind
	// index), when names are stored sealed.
	CustomerIndex string
	SessionID     int64
	// PrepaidKey finds the order a prepaid payment (a presale winner's
	// capture) paid, by its payment key.
	PrepaidKey string
	// CardKey finds the order a card attempt paid, by its attempt key.
	CardKey string
	// HolderKey finds the orders with a ticket naming a document (its
	// keyed hash): a booth's pickup after checking the ID.
	HolderKey string
	VenueIDs  []int64 // non-nil: only these venues
	Limit     int
}

type AuditFilter struct {
	TenantID int64 // 0: all (platform)
	VenueIDs []int64
	Action   string
	Object   string
	Since    time.Time
	Limit    int
	AfterSeq int64
}

// AlertFilter narrows Alerts.
type AlertFilter struct {
	VenueID  int64     `json:"venue_id"`
	Kind     string    `json:"kind"`
	Since    time.Time `json:"since"`
	Limit    int       `json:"limit"`
	VenueIDs []int64   `json:"-"` // non-nil: only these venues (set by the service)
}
