// Package agencyclient is an agency's client of the agency sales API,
// written from its OpenAPI document (/api/v1/agency/openapi.json) alone:
// it imports nothing of the server, so its tests prove the document is
// enough to sell. Its types carry the fields an agency uses; the server
// may send more.
package agencyclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client calls one cloud with one API key.
type Client struct {
	Base string // http://host:port
	Key  string // agk_…
	HTTP *http.Client
}

// Operation is a method and path this client calls, as the document
// names them.
type Operation struct{ Method, Path string }

// Operations lists every operation the client calls.
func Operations() []Operation {
	return []Operation{
		{"GET", "/api/v1/agency/sessions"},
		{"GET", "/api/v1/agency/sessions/{id}"},
		{"GET", "/api/v1/agency/sessions/{id}/availability"},
		{"POST", "/api/v1/agency/orders"},
		{"GET", "/api/v1/agency/orders/{id}"},
		{"POST", "/api/v1/agency/orders/{id}/refund"},
	}
}

// Tier is a price level of a session.
type Tier struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// Quota caps what may be sold of a session (tier 0: all tiers).
type Quota struct {
	TierID int64 `json:"tier_id"`
	Limit  int   `json:"limit"`
}

// Session is a session the agency may sell.
type Session struct {
	ID          int64     `json:"id"`
	EventID     int64     `json:"event_id"`
	VenueID     int64     `json:"venue_id"`
	StartsAt    time.Time `json:"starts_at"`
	Status      string    `json:"status"`
	MaxPerOrder int       `json:"max_per_order"`
	Tiers       []Tier    `json:"tiers"`
	Quotas      []Quota   `json:"quotas"`
}

// Holder names a ticket's holder for a real-name event.
type Holder struct {
	DocType   string `json:"doc_type"`
	DocNumber string `json:"doc_number"`
	Name      string `json:"name"`
}

// OrderRequest is an order: seat ids, or a count of a tier's best seats.
type OrderRequest struct {
	SessionID    int64    `json:"session_id"`
	SeatIDs      []int64  `json:"seat_ids,omitempty"`
	Count        int      `json:"count,omitempty"`
	TierID       int64    `json:"tier_id,omitempty"`
	CustomerName string   `json:"customer_name,omitempty"`
	Reference    string   `json:"reference,omitempty"`
	Holders      []Holder `json:"holders,omitempty"`
}

// Seat is a seat of an order.
type Seat struct {
	SeatID     int64  `json:"seat_id"`
	Label      string `json:"label"`
	PriceCents int64  `json:"price_cents"`
}

// Ticket is an issued ticket: its number and the QR payload to print or
// send to the buyer.
type Ticket struct {
	Number string `json:"number"`
	SeatID int64  `json:"seat_id"`
	QR     string `json:"qr"`
	Status string `json:"status"`
}

// Order is a paid order with its tickets.
type Order struct {
	ID            int64    `json:"id"`
	SessionID     int64    `json:"session_id"`
	Status        string   `json:"status"`
	TotalCents    int64    `json:"total_cents"`
	PickupCode    string   `json:"pickup_code"`
	PaymentMethod string   `json:"payment_method"`
	PaymentRef    string   `json:"payment_ref"`
	Seats         []Seat   `json:"seats"`
	Tickets       []Ticket `json:"tickets"`
}

// Error is an answer other than success.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // with 429
}

func (e *Error) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message) }

// Sessions lists the sessions the agency may sell.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	var out []Session
	_, err := c.do(ctx, "GET", "/api/v1/agency/sessions", "", nil, &out)
	return out, err
}

// Session shows one session.
func (c *Client) Session(ctx context.Context, id int64) (Session, error) {
	var out Session
	_, err := c.do(ctx, "GET", "/api/v1/agency/sessions/"+strconv.FormatInt(id, 10), "", nil, &out)
	return out, err
}

// Availability is a session's live seat map, as the document describes it.
func (c *Client) Availability(ctx context.Context, id int64) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := c.do(ctx, "GET", "/api/v1/agency/sessions/"+strconv.FormatInt(id, 10)+"/availability", "", nil, &out)
	return out, err
}

// Order sells under an idempotency key; replayed says the answer is the
// order a previous request with that key made.
func (c *Client) Order(ctx context.Context, idempotencyKey string, in OrderRequest) (Order, bool, error) {
	var out Order
	status, err := c.do(ctx, "POST", "/api/v1/agency/orders", idempotencyKey, in, &out)
	return out, status == http.StatusOK, err
}

// RefundRequest asks for a refund of tickets of an order (none: all).
type RefundRequest struct {
	TicketIDs []int64 `json:"ticket_ids,omitempty"`
	Reason    string  `json:"reason"`
}

// Refund is a refund request as the organiser keeps it.
type Refund struct {
	ID          int64  `json:"id"`
	OrderID     int64  `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Status      string `json:"status"`
}

// RequestRefund asks the organiser to refund tickets of an order.
func (c *Client) RequestRefund(ctx context.Context, idempotencyKey string, orderID int64, in RefundRequest) (Refund, bool, error) {
	var out Refund
	status, err := c.do(ctx, "POST", "/api/v1/agency/orders/"+strconv.FormatInt(orderID, 10)+"/refund", idempotencyKey, in, &out)
	return out, status == http.StatusOK, err
}

// GetOrder shows one of the agency's orders.
func (c *Client) GetOrder(ctx context.Context, id int64) (Order, error) {
	var out Order
	_, err := c.do(ctx, "GET", "/api/v1/agency/orders/"+strconv.FormatInt(id, 10), "", nil, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, method, path, idem string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.Base, "/")+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return resp.StatusCode, e
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("agencyclient: %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}
