package sync

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is the envelope version this package speaks.
const Version = 1

// MaxMessageBytes bounds any message a receiver will decode.
const MaxMessageBytes = 4 << 20

// Message kinds.
const (
	KindFeed    = "feed"    // FeedBatch: live on the venue feed, or a catch-up on a downlink
	KindFacts   = "facts"   // FactBatch: device → cloud
	KindCatchup = "catchup" // CatchupRequest: device → cloud
	KindAck     = "ack"     // Ack: cloud → device
	KindCommand = "command" // Command: cloud → device
)

// Envelope is what travels in every MQTT payload.
type Envelope struct {
	V    int             `json:"v"`
	Kind string          `json:"k"`
	Body json.RawMessage `json:"b"`
	Sig  []byte          `json:"s"`
}

var (
	ErrMalformed    = errors.New("sync: malformed message")
	ErrBadSignature = errors.New("sync: bad signature")
	ErrTooLarge     = errors.New("sync: message too large")
	ErrVersion      = errors.New("sync: unsupported version")
)

func signedBytes(kind, topic string, body []byte) []byte {
	b := make([]byte, 0, 16+len(kind)+len(topic)+len(body))
	b = append(b, "admit-sync-v1\x00"...)
	b = append(b, kind...)
	b = append(b, 0)
	b = append(b, topic...)
	b = append(b, 0)
	return append(b, body...)
}

func encodeBody(kind string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sync: encode %s: %w", kind, err)
	}
	return body, nil
}

// MinSecretBytes is the shortest device secret accepted for signing or
// checking: an empty secret would let anyone forge a device.
const MinSecretBytes = 16

// ErrNoKey is returned for a missing or malformed key or secret.
var ErrNoKey = errors.New("sync: missing or malformed key")

// SealCloud encodes v as a message of kind for topic, signed by the cloud.
func SealCloud(key ed25519.PrivateKey, topic, kind string, v any) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, ErrNoKey
	}
	body, err := encodeBody(kind, v)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(key, signedBytes(kind, topic, body))
	return sized(json.Marshal(Envelope{V: Version, Kind: kind, Body: body, Sig: sig}))
}

// SealDevice encodes v as a message of kind for topic, signed by a device.
func SealDevice(secret []byte, topic, kind string, v any) ([]byte, error) {
	if len(secret) < MinSecretBytes {
		return nil, ErrNoKey
	}
	body, err := encodeBody(kind, v)
	if err != nil {
		return nil, err
	}
	return sized(json.Marshal(Envelope{V: Version, Kind: kind, Body: body, Sig: deviceMAC(secret, kind, topic, body)}))
}

// sized refuses to produce a message every receiver would drop.
func sized(b []byte, err error) ([]byte, error) {
	if err == nil && len(b) > MaxMessageBytes {
		return nil, fmt.Errorf("%w: %d bytes; send smaller batches", ErrTooLarge, len(b))
	}
	return b, err
}

func deviceMAC(secret []byte, kind, topic string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(signedBytes(kind, topic, body))
	return m.Sum(nil)
}

// Parse decodes an envelope without checking its signature.
func Parse(payload []byte) (Envelope, error) {
	var e Envelope
	if len(payload) > MaxMessageBytes {
		return e, ErrTooLarge
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.V != Version {
		return e, fmt.Errorf("%w %d", ErrVersion, e.V)
	}
	if e.Kind == "" || len(e.Body) == 0 || len(e.Sig) == 0 {
		return e, fmt.Errorf("%w: missing kind, body or signature", ErrMalformed)
	}
	return e, nil
}

// OpenCloud checks a cloud-signed message received on topic.
func OpenCloud(pub ed25519.PublicKey, topic string, payload []byte) (Envelope, error) {
	e, err := Parse(payload)
	if err != nil {
		return e, err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, signedBytes(e.Kind, topic, e.Body), e.Sig) {
		return e, ErrBadSignature
	}
	return e, nil
}

// OpenDevice checks a device-signed message received on topic.
func OpenDevice(secret []byte, topic string, payload []byte) (Envelope, error) {
	e, err := Parse(payload)
	if err != nil {
		return e, err
	}
	if len(secret) < MinSecretBytes {
		return e, ErrBadSignature
	}
	if !hmac.Equal(e.Sig, deviceMAC(secret, e.Kind, topic, e.Body)) {
		return e, ErrBadSignature
	}
	return e, nil
}

// Decode unmarshals the body into v, refusing unknown fields and trailing
// data. (Field names match case-insensitively, as encoding/json does; the
// signature covers the exact bytes, so this cannot smuggle anything.)
func (e Envelope) Decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(e.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s body: %v", ErrMalformed, e.Kind, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: %s body: trailing data", ErrMalformed, e.Kind)
	}
	return nil
}

// Feed event kinds.
const (
	EventTicket     = "ticket"     // TicketData: issued (or re-sent by a snapshot)
	EventRevocation = "revocation" // RevocationData: refunded, reissued
	EventSession    = "session"    // SessionData: created or changed
	EventKey        = "key"        // KeyData: a tenant signing key added, retired or revoked
	EventAdmission  = "admission"  // AdmissionData: accepted at some gate of the venue
	EventSeatMap    = "seatmap"    // SeatMapData: availability summary for POS display
	EventDevice     = "device"     // DeviceData: a device of the venue revoked
	EventHolderKey  = "holder_key" // HolderKeyData: the key of the tenant's holder hashes
	EventPrinted    = "printed"    // PrintedData: a ticket printed on paper somewhere (a device, an office)
)

// FeedEvent is one numbered change of a venue.
type FeedEvent struct {
	Seq  uint64          `json:"seq"`
	Kind string          `json:"kind"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// FeedBatch carries consecutive events of one venue. On the feed it is
// live; on a downlink it answers a catch-up. Snapshot batches replace the
// cache: the first has First set, the last has Final set, and after it
// the device continues from Head.
type FeedBatch struct {
	Venue    string      `json:"venue"`
	Events   []FeedEvent `json:"events"`
	Snapshot bool        `json:"snapshot,omitempty"`
	First    bool        `json:"first,omitempty"`
	Final    bool        `json:"final,omitempty"`
	Head     uint64      `json:"head"` // the venue's newest seq when sent
}

// TicketData is what a device needs of a ticket.
type TicketData struct {
	Number     string `json:"number"`
	QR         string `json:"qr"`
	SessionID  int64  `json:"session_id"`
	SeatID     int64  `json:"seat_id"`
	SeatLabel  string `json:"seat_label"`
	OrderID    int64  `json:"order_id"`
	PickupCode string `json:"pickup_code"`
	PriceCents int64  `json:"price_cents"`
	Tier       string `json:"tier,omitempty"`
	Card       string `json:"card,omitempty"` // RFID card UID (upper-case hex) admitting this ticket
	// Holder is, on a real-name session, the keyed hash of the holder's
	// identity document (identity.Document.Key under the tenant's holder
	// key, hex): the gate compares the card it reads with it, and never
	// holds the number.
	Holder string `json:"holder,omitempty"`
	// Pass is the pass this ticket is its session's part of: the pass's
	// one code admits through it, once per session.
	Pass int64 `json:"pass,omitempty"`
	// Printed says the ticket exists on paper (printed by some device or
	// office, or made by the printing house): a kiosk prints it again only
	// as an authorised reprint.
	Printed bool `json:"printed,omitempty"`
}

// PrintedData is a ticket printed on paper, told to the venue's devices
// so that none prints it a second time unasked.
type PrintedData struct {
	Number string `json:"number"`
}

// RevocationData withdraws a ticket.
type RevocationData struct {
	Number string `json:"number"`
	Reason string `json:"reason"`
}

// SessionData is a session as devices show and check it.
type SessionData struct {
	ID           int64     `json:"id"`
	Venue        string    `json:"venue,omitempty"` // the venue's name, printed on tickets
	Event        string    `json:"event"`
	Hall         string    `json:"hall"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	BusinessDate string    `json:"business_date"`
	Status       string    `json:"status"`
	Reentry      string    `json:"reentry"`
	// Gates open this long before the start; admission ends at EndsAt.
	OpensBeforeMin int      `json:"opens_before_min"`
	Zones          []string `json:"zones,omitempty"` // gate zones admitting this session; empty: all
	// RealName: each ticket names its holder's identity document (the
	// POS asks for one per seat).
	RealName bool `json:"real_name,omitempty"`
}

// KeyData is a tenant's ticket verification key.
type KeyData struct {
	ID     uint32 `json:"id"`
	Public []byte `json:"public"`
	Status string `json:"status"` // active, retired (both verify), revoked
}

// HolderKeyData is the key a venue's gates hash the identity cards they
// read with, to compare them with tickets' holders. It is the tenant's,
// not the cloud's key for its own records, so a gate holds nothing that
// opens another tenant's or the cloud's hashes.
type HolderKeyData struct {
	Key []byte `json:"key"`
}

// AdmissionData is an entry (or exit) accepted at a gate.
type AdmissionData struct {
	Number    string    `json:"number"`
	DeviceID  string    `json:"device_id"`
	Direction string    `json:"direction"` // in, out
	At        time.Time `json:"at"`
}

// SeatMapData is a session's availability summary for POS display: counts
// and one character per seat in seat order (see the cloud API's
// availability). It is sent when the session's sellable seats change by
// an administrator (prices, categories, seat map) and in snapshots, not
// after every sale: live availability comes from the cloud, which a POS
// needs online to sell anyway.
type SeatMapData struct {
	SessionID int64  `json:"session_id"`
	Total     int    `json:"total"`
	Available int    `json:"available"`
	Sold      int    `json:"sold"`
	Seats     string `json:"seats"`
}

// DeviceData tells the venue a device was revoked.
type DeviceData struct {
	DeviceID string `json:"device_id"`
	Status   string `json:"status"`
}

// Fact kinds.
const (
	FactAdmission    = "admission"     // AdmissionFact
	FactExit         = "exit"          // AdmissionFact
	FactPickup       = "pickup"        // PickupFact
	FactPrint        = "print"         // PrintFact
	FactPrintFailure = "print_failure" // PrintFact with Error
	FactHeartbeat    = "heartbeat"     // Heartbeat
)

// Fact is one thing a device observed.
type Fact struct {
	Device string          `json:"device"`
	Seq    uint64          `json:"seq"`
	ID     string          `json:"id"`
	Kind   string          `json:"kind"`
	At     time.Time       `json:"at"`
	Data   json.RawMessage `json:"data"`
}

// FactBatch is an upload of consecutive facts of one device.
type FactBatch struct {
	Facts []Fact `json:"facts"`
}

// AdmissionFact is an entry or exit at a gate.
type AdmissionFact struct {
	Number    string `json:"number"`
	SessionID int64  `json:"session_id"`
	Zone      string `json:"zone,omitempty"`
	Offline   bool   `json:"offline"` // admitted on its signature alone, not yet in the cache
	// Unconfirmed: the gate crashed between opening for this ticket and
	// seeing the passage, and has no counter to tell: counted as admitted
	// and flagged.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
}

// PickupFact is a kiosk handing out an order's tickets.
type PickupFact struct {
	PickupCode string   `json:"pickup_code"`
	Numbers    []string `json:"numbers"`
}

// PrintFact is one ticket printed, or failing to print.
type PrintFact struct {
	Number       string `json:"number"`
	Reprint      bool   `json:"reprint,omitempty"`
	AuthorisedBy string `json:"authorised_by,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Heartbeat reports a device's state.
type Heartbeat struct {
	FeedSeq      uint64            `json:"feed_seq"`
	FeedLag      uint64            `json:"feed_lag"`
	OutboxDepth  int               `json:"outbox_depth"`
	CacheTickets int               `json:"cache_tickets"`
	Status       map[string]string `json:"status,omitempty"`
}

// CatchupRequest asks for the venue's events after From.
type CatchupRequest struct {
	Device string `json:"device"`
	From   uint64 `json:"from"`
}

// Ack tells a device which of its facts are stored.
type Ack struct {
	Device string `json:"device"`
	UpTo   uint64 `json:"up_to"`
}

// Command is an instruction to one device.
type Command struct {
	Name string `json:"name"` // "revoked": stop and forget credentials
}

// Credential is what a device receives at enrollment and keeps, 0600, in
// its data dir: who it is, its secret, and whom to trust.
type Credential struct {
	DeviceID      string `json:"device_id"`
	Secret        []byte `json:"secret"`
	VenueCode     string `json:"venue_code"`
	Timezone      string `json:"timezone"` // the venue's IANA zone: business dates are its days
	Role          string `json:"role"`     // pos, kiosk, gate
	Zone          string `json:"zone,omitempty"`
	Profile       string `json:"profile,omitempty"`
	SyncPublicKey []byte `json:"sync_public_key"` // verifies everything the cloud sends
	BrokerURL     string `json:"broker_url"`
	BrokerCA      []byte `json:"broker_ca,omitempty"` // PEM the broker's TLS certificate must chain to (ssl://)
	APIURL        string `json:"api_url"`
}
