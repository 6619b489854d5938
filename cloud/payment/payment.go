// Package payment is the cloud's boundary with the card payment provider:
// the Request and Result the sales service exchanges with an acquirer, the
// Provider interface it calls, and Simulator, an in-memory acquirer that
// approves, declines or times out on demand for tests and demos.
//
// Cash is handled by the sales service without a provider.
package payment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Request asks the provider to charge a card.
type Request struct {
	OrderID        int64
	AmountCents    int64
	Currency       string
	Token          string // card token from the provider's client-side tokenisation
	IdempotencyKey string // retries with the same key never charge twice
}

// Result is the provider's answer to a charge that reached a decision.
type Result struct {
	Approved      bool
	Reference     string // provider's reference for an approved charge
	DeclineReason string // why a charge was declined
}

// Provider charges card payments. A nil error with Approved false is a
// decline; an error means the outcome is unknown (or the request was
// invalid) and the caller may retry with the same IdempotencyKey.
type Provider interface {
	Charge(ctx context.Context, r Request) (Result, error)
	// Void reverses an approved charge by its idempotency key.
	Void(ctx context.Context, idempotencyKey string) error
}

var (
	// ErrTimeout is returned (wrapped) when the provider does not answer in
	// time, or the caller's context ends first; the charge's outcome is then
	// unknown and it may be retried with the same IdempotencyKey.
	ErrTimeout = errors.New("payment: provider timed out")
	// ErrInvalidRequest is returned (wrapped) for a request that cannot be charged.
	ErrInvalidRequest = errors.New("payment: invalid request")
	// ErrIdempotencyConflict is returned when an IdempotencyKey is reused
	// for a different request.
	ErrIdempotencyConflict = errors.New("payment: idempotency key reused with a different request")
)

// Validate checks that r can be sent to a provider.
func (r Request) Validate() error {
	switch {
	case r.AmountCents <= 0:
		return fmt.Errorf("%w: amount must be positive, got %d", ErrInvalidRequest, r.AmountCents)
	case r.IdempotencyKey == "":
		return fmt.Errorf("%w: empty idempotency key", ErrInvalidRequest)
	}
	return nil
}

// Simulator card tokens.
const (
	TokenApprove      = "tok_approve"      // approved (as is any unlisted token)
	TokenDecline      = "tok_decline"      // declined: "card declined"
	TokenInsufficient = "tok_insufficient" // declined: "insufficient funds"
	TokenTimeout      = "tok_timeout"      // no answer: ErrTimeout after Timeout or when ctx is done
	// TokenSlow is approved, but the answer takes SlowDelay: a caller that
	// gives up first has still been charged, as with a real acquirer, and
	// hears of it when it retries with the same IdempotencyKey.
	TokenSlow = "tok_slow"
)

// DefaultSlowDelay is how long a TokenSlow charge takes.
const DefaultSlowDelay = 2 * time.Second

// DefaultTimeout is how long the Simulator hangs on TokenTimeout.
const DefaultTimeout = 5 * time.Second

// Simulator is an in-memory card acquirer whose behaviour is chosen by the
// card token (see the Token constants). It is idempotent per
// IdempotencyKey and safe for concurrent use.
type Simulator struct {
	// Timeout is how long a TokenTimeout charge hangs before failing with
	// ErrTimeout; zero means DefaultTimeout. Set it before first use.
	Timeout time.Duration
	// SlowDelay is how long a TokenSlow charge takes; zero means
	// DefaultSlowDelay. Set it before first use.
	SlowDelay time.Duration

	mu       sync.Mutex
	calls    map[string]*call
	approved int
	voided   int
	held     int // authorisations neither captured nor voided
	captured int
	refunds  map[string]refund // by refund key
	refunded map[string]int64  // by charge key: cents given back
}

// refund is money given back on a charge, once per refund key.
type refund struct {
	charge string
	amount int64
}

// call is one charge per idempotency key; later requests with the same
// key wait for it and share its outcome.
type call struct {
	req  Request
	done chan struct{}
	res  Result
	err  error
	// An authorisation (auth) is held until captured or voided (state).
	auth     bool
	state    string // "", "captured", "voided"
	captured int64
}

var _ Provider = (*Simulator)(nil)

// NewSimulator returns a Simulator with the default timeout.
func NewSimulator() *Simulator {
	return &Simulator{Timeout: DefaultTimeout, calls: make(map[string]*call)}
}

// Charge simulates charging r. Whenever ctx ends before an answer
// (including a ctx already done on entry) the error wraps both ErrTimeout
// and ctx.Err(). A repeat of an IdempotencyKey returns the
// first request's Result without charging again (waiting for it if it is
// still in flight); a charge that failed with an error is forgotten, so
// it may be retried.
func (s *Simulator) Charge(ctx context.Context, r Request) (Result, error) {
	return s.start(ctx, r, false)
}

// Authorise holds r's amount on the card without taking it (a presale's
// application): Capture takes it, Void releases it. Idempotent per key,
// as Charge; the cards behave as in Charge.
func (s *Simulator) Authorise(ctx context.Context, r Request) (Result, error) {
	return s.start(ctx, r, true)
}

func (s *Simulator) start(ctx context.Context, r Request, auth bool) (Result, error) {
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	s.mu.Lock()
	if s.calls == nil {
		s.calls = make(map[string]*call)
	}
	if c, ok := s.calls[r.IdempotencyKey]; ok {
		s.mu.Unlock()
		if c.req != r || c.auth != auth {
			return Result{}, ErrIdempotencyConflict
		}
		select {
		case <-c.done:
			return c.res, c.err
		case <-ctx.Done():
			return Result{}, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
	}
	c := &call{req: r, done: make(chan struct{}), auth: auth}
	s.calls[r.IdempotencyKey] = c
	s.mu.Unlock()

	if r.Token == TokenSlow {
		// The acquirer goes on whether or not the caller waits.
		go s.complete(context.WithoutCancel(ctx), c, r)
		select {
		case <-c.done:
			return c.res, c.err
		case <-ctx.Done():
			return Result{}, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
	}
	s.complete(ctx, c, r)
	return c.res, c.err
}

// complete decides a charge and records its outcome.
func (s *Simulator) complete(ctx context.Context, c *call, r Request) {
	res, err := s.decide(ctx, r)
	s.mu.Lock()
	c.res, c.err = res, err
	switch {
	case c.err != nil:
		delete(s.calls, r.IdempotencyKey)
	case c.res.Approved && c.auth:
		s.held++
	case c.res.Approved:
		s.approved++
	}
	s.mu.Unlock()
	close(c.done)
}

func (s *Simulator) decide(ctx context.Context, r Request) (Result, error) {
	switch r.Token {
	case TokenDecline:
		return Result{DeclineReason: "card declined"}, nil
	case TokenInsufficient:
		return Result{DeclineReason: "insufficient funds"}, nil
	case TokenSlow:
		d := s.SlowDelay
		if d <= 0 {
			d = DefaultSlowDelay
		}
		time.Sleep(d) // the acquirer's own pace: it answers no sooner
	case TokenTimeout:
		d := s.Timeout
		if d <= 0 {
			d = DefaultTimeout
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return Result{}, fmt.Errorf("%w after %v", ErrTimeout, d)
		case <-ctx.Done():
			return Result{}, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Result{}, fmt.Errorf("payment: simulator reference: %w", err)
	}
	return Result{Approved: true, Reference: "sim_" + hex.EncodeToString(b[:])}, nil
}

// Void reverses the approved charge made under idempotencyKey, or
// releases the authorisation made under it. Voiding an unknown or already
// voided key is not an error: the caller may retry it blindly; a captured
// authorisation cannot be voided (ErrCaptured). A voided charge's key is
// not charged again: a repeat is answered with the first answer.
func (s *Simulator) Void(ctx context.Context, idempotencyKey string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[idempotencyKey]
	if !ok {
		return nil
	}
	select {
	case <-c.done:
	default:
		return fmt.Errorf("payment: charge %s still in flight", idempotencyKey)
	}
	if c.auth {
		// An authorisation's record stays: voided once, counted once, and
		// never captured after.
		switch {
		case c.state == "captured":
			return fmt.Errorf("%w: %s", ErrCaptured, idempotencyKey)
		case c.state == "" && c.res.Approved:
			c.state = "voided"
			s.held--
			s.voided++
		}
		return nil
	}
	// As an acquirer does, the key stays spent: a charge sent again under
	// it is answered as the first was (approved, with its reference),
	// and charges nothing. The caller must remember what it voided.
	if c.err == nil && c.res.Approved && c.state == "" {
		c.state = "voided"
		s.approved--
		s.voided++
	}
	return nil
}

// ErrOverRefund is a refund above what the charge has left to give back.
var ErrOverRefund = errors.New("payment: refund above what was charged")

// Refund gives amountCents back on the approved charge (or captured
// authorisation) made under chargeKey, once per refundKey: a repeat with
// the same key and amount gives nothing more, so the caller may retry
// blindly after a crash. The refunds of a charge never exceed it.
func (s *Simulator) Refund(ctx context.Context, chargeKey, refundKey string, amountCents int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.refunds[refundKey]; ok {
		if r.charge != chargeKey || r.amount != amountCents {
			return fmt.Errorf("%w: refund %s was %d on %s", ErrIdempotencyConflict, refundKey, r.amount, r.charge)
		}
		return nil
	}
	c, ok := s.calls[chargeKey]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotAuthorised, chargeKey)
	}
	select {
	case <-c.done:
	default:
		return fmt.Errorf("payment: charge %s still in flight", chargeKey)
	}
	charged := c.req.AmountCents
	if c.auth {
		charged = c.captured
	}
	switch {
	case c.err != nil || !c.res.Approved || (c.auth && c.state != "captured") || (!c.auth && c.state == "voided"):
		return fmt.Errorf("%w: %s took no money", ErrNotAuthorised, chargeKey)
	case amountCents <= 0 || s.refunded[chargeKey]+amountCents > charged:
		return fmt.Errorf("%w: %d more of %d, %d given back already", ErrOverRefund, amountCents, charged, s.refunded[chargeKey])
	}
	if s.refunds == nil {
		s.refunds, s.refunded = map[string]refund{}, map[string]int64{}
	}
	s.refunds[refundKey] = refund{charge: chargeKey, amount: amountCents}
	s.refunded[chargeKey] += amountCents
	return nil
}

// Refunded reports the cents given back on a charge.
func (s *Simulator) Refunded(chargeKey string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refunded[chargeKey]
}

// Errors of Capture and Void.
var (
	ErrNotAuthorised = errors.New("payment: no approved authorisation under this key")
	ErrVoided        = errors.New("payment: the authorisation was voided")
	ErrCaptured      = errors.New("payment: the authorisation was captured; refund it instead")
	ErrOverCapture   = errors.New("payment: capture above the authorised amount")
)

// Capture takes amountCents (at most the authorised amount) of the
// authorisation made under key. Capturing again returns the first
// capture's result and takes nothing more.
func (s *Simulator) Capture(ctx context.Context, key string, amountCents int64) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[key]
	if !ok || !c.auth {
		return Result{}, fmt.Errorf("%w: %s", ErrNotAuthorised, key)
	}
	select {
	case <-c.done:
	default:
		return Result{}, fmt.Errorf("payment: authorisation %s still in flight", key)
	}
	switch {
	case !c.res.Approved:
		return Result{}, fmt.Errorf("%w: %s was declined", ErrNotAuthorised, key)
	case c.state == "voided":
		return Result{}, fmt.Errorf("%w: %s", ErrVoided, key)
	case c.state == "captured":
		if amountCents != c.captured {
			return Result{}, fmt.Errorf("%w: %s was captured for %d", ErrIdempotencyConflict, key, c.captured)
		}
		return c.res, nil
	case amountCents <= 0 || amountCents > c.req.AmountCents:
		return Result{}, fmt.Errorf("%w: %d of %d", ErrOverCapture, amountCents, c.req.AmountCents)
	}
	c.state, c.captured = "captured", amountCents
	s.held--
	s.captured++
	return c.res, nil
}

// Held reports authorisations neither captured nor voided; Captured, the
// captured ones.
func (s *Simulator) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Captured reports how many authorisations were captured.
func (s *Simulator) Captured() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.captured
}

// Charges reports how many charges are approved and not voided.
func (s *Simulator) Charges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.approved
}

// Voids reports how many approved charges were voided.
func (s *Simulator) Voids() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.voided
}
