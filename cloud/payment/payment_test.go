package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func req(key, token string) Request {
	return Request{OrderID: 1, AmountCents: 1250, Currency: "EUR", Token: token, IdempotencyKey: key}
}

func TestApprove(t *testing.T) {
	s := NewSimulator()
	for i, tok := range []string{TokenApprove, "tok_visa_4242", ""} {
		res, err := s.Charge(context.Background(), req(fmt.Sprint("k", i), tok))
		if err != nil || !res.Approved || res.DeclineReason != "" {
			t.Fatalf("token %q: %+v, %v", tok, res, err)
		}
		if !strings.HasPrefix(res.Reference, "sim_") || len(res.Reference) <= len("sim_") {
			t.Errorf("reference %q", res.Reference)
		}
	}
	if s.Charges() != 3 {
		t.Errorf("Charges() = %d, want 3", s.Charges())
	}
}

func TestReferencesDistinct(t *testing.T) {
	s := NewSimulator()
	a, _ := s.Charge(context.Background(), req("a", TokenApprove))
	b, _ := s.Charge(context.Background(), req("b", TokenApprove))
	if a.Reference == b.Reference {
		t.Fatalf("two charges share reference %q", a.Reference)
	}
}

func TestDeclines(t *testing.T) {
	s := NewSimulator()
	for tok, reason := range map[string]string{TokenDecline: "card declined", TokenInsufficient: "insufficient funds"} {
		res, err := s.Charge(context.Background(), req(tok, tok))
		if err != nil || res.Approved || res.DeclineReason != reason || res.Reference != "" {
			t.Errorf("token %q: %+v, %v; want decline %q", tok, res, err, reason)
		}
	}
	if s.Charges() != 0 {
		t.Errorf("declines counted as charges: %d", s.Charges())
	}
}

func TestTimeoutElapses(t *testing.T) {
	s := NewSimulator()
	if s.Timeout != DefaultTimeout || DefaultTimeout != 5*time.Second {
		t.Fatalf("default timeout %v", s.Timeout)
	}
	s.Timeout = time.Millisecond
	res, err := s.Charge(context.Background(), req("k", TokenTimeout))
	if !errors.Is(err, ErrTimeout) || res.Approved {
		t.Fatalf("%+v, %v; want ErrTimeout", res, err)
	}
}

func TestTimeoutContextDone(t *testing.T) {
	s := NewSimulator() // 5s timeout: the context must end it first
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := s.Charge(ctx, req("k", TokenTimeout))
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v; want ErrTimeout wrapping context.Canceled", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("Charge ignored the cancelled context")
	}
}

func TestCancelledContextBeforeCharge(t *testing.T) {
	s := NewSimulator()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Charge(ctx, req("k", TokenApprove)); !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v", err)
	}
	if s.Charges() != 0 {
		t.Fatal("charged on a cancelled context")
	}
}

func TestTimeoutCanBeRetried(t *testing.T) {
	s := NewSimulator()
	s.Timeout = time.Millisecond
	if _, err := s.Charge(context.Background(), req("k", TokenTimeout)); !errors.Is(err, ErrTimeout) {
		t.Fatal(err)
	}
	// Same key, same request: the failed attempt was not remembered.
	if _, err := s.Charge(context.Background(), req("k", TokenTimeout)); !errors.Is(err, ErrTimeout) {
		t.Fatal(err)
	}
	if s.Charges() != 0 {
		t.Fatal("timeouts counted as charges")
	}
}

func TestValidation(t *testing.T) {
	s := NewSimulator()
	for name, r := range map[string]Request{
		"zero amount":     {AmountCents: 0, IdempotencyKey: "k", Token: TokenApprove},
		"negative amount": {AmountCents: -5, IdempotencyKey: "k", Token: TokenApprove},
		"no key":          {AmountCents: 100, Token: TokenApprove},
	} {
		if _, err := s.Charge(context.Background(), r); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: err %v, want ErrInvalidRequest", name, err)
		}
	}
	if s.Charges() != 0 {
		t.Fatal("invalid request charged")
	}
}

func TestIdempotent(t *testing.T) {
	s := NewSimulator()
	for _, tok := range []string{TokenApprove, TokenDecline} {
		first, err := s.Charge(context.Background(), req("key-"+tok, tok))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			again, err := s.Charge(context.Background(), req("key-"+tok, tok))
			if err != nil || again != first {
				t.Fatalf("retry of %q: %+v, %v; want %+v", tok, again, err, first)
			}
		}
	}
	if s.Charges() != 1 {
		t.Fatalf("Charges() = %d, want 1", s.Charges())
	}
}

func TestIdempotencyConflict(t *testing.T) {
	s := NewSimulator()
	if _, err := s.Charge(context.Background(), req("k", TokenApprove)); err != nil {
		t.Fatal(err)
	}
	other := req("k", TokenApprove)
	other.AmountCents++
	if _, err := s.Charge(context.Background(), other); !errors.Is(err, ErrIdempotencyConflict) {
		t.Fatalf("err %v, want ErrIdempotencyConflict", err)
	}
	if s.Charges() != 1 {
		t.Fatalf("Charges() = %d", s.Charges())
	}
}

func TestConcurrent(t *testing.T) {
	s := NewSimulator()
	const keys, perKey = 20, 10
	results := make([][perKey]Result, keys)
	var wg sync.WaitGroup
	for k := range keys {
		for i := range perKey {
			wg.Go(func() {
				res, err := s.Charge(context.Background(), req(fmt.Sprint("order-", k), TokenApprove))
				if err != nil {
					t.Error(err)
				}
				results[k][i] = res
			})
		}
	}
	wg.Wait()
	if s.Charges() != keys {
		t.Fatalf("Charges() = %d, want %d", s.Charges(), keys)
	}
	refs := map[string]bool{}
	for k := range keys {
		for i := range perKey {
			if results[k][i] != results[k][0] || !results[k][i].Approved {
				t.Fatalf("key %d: results differ: %+v vs %+v", k, results[k][i], results[k][0])
			}
		}
		refs[results[k][0].Reference] = true
	}
	if len(refs) != keys {
		t.Fatalf("%d distinct references for %d keys", len(refs), keys)
	}
}

func TestZeroValueSimulator(t *testing.T) {
	var s Simulator
	if res, err := s.Charge(context.Background(), req("k", TokenApprove)); err != nil || !res.Approved {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestTimeoutContextDeadline(t *testing.T) {
	s := NewSimulator() // 5s timeout: the deadline must end it first
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Charge(ctx, req("k", TokenTimeout))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v; want ErrTimeout wrapping context.DeadlineExceeded", err)
	}
	if time.Since(start) > 4*time.Second {
		t.Fatal("Charge waited for its own timeout, not the context")
	}
}

func TestVoidReversesAnApprovedChargeOnce(t *testing.T) {
	s := NewSimulator()
	ctx := context.Background()
	r := Request{OrderID: 9, AmountCents: 4500, Currency: "CNY", Token: TokenApprove, IdempotencyKey: "order-9"}
	if res, err := s.Charge(ctx, r); err != nil || !res.Approved {
		t.Fatalf("charge: %+v %v", res, err)
	}
	if err := s.Void(ctx, "order-9"); err != nil {
		t.Fatal(err)
	}
	if err := s.Void(ctx, "order-9"); err != nil {
		t.Fatalf("voiding twice: %v", err)
	}
	if err := s.Void(ctx, "never-charged"); err != nil {
		t.Fatalf("voiding an unknown key: %v", err)
	}
	if s.Charges() != 0 || s.Voids() != 1 {
		t.Fatalf("charges %d voids %d, want 0 and 1", s.Charges(), s.Voids())
	}
	// As an acquirer does, the spent key answers as it first did and
	// charges nothing: only the caller knows the charge was given back.
	first := s.calls["order-9"].res
	again, err := s.Charge(ctx, r)
	if err != nil || again != first || s.Charges() != 0 || s.Voids() != 1 {
		t.Fatalf("the voided key charged again: %+v %v (first %+v), charges %d voids %d", again, err, first, s.Charges(), s.Voids())
	}
	if err := s.Refund(ctx, "order-9", "refund-1", 100); !errors.Is(err, ErrNotAuthorised) {
		t.Fatalf("refunding a voided charge: %v, want ErrNotAuthorised", err)
	}
}

func TestSlowChargeCompletesForACallerWhoGaveUpAndAnswersTheRetry(t *testing.T) {
	s := NewSimulator()
	s.SlowDelay = 100 * time.Millisecond
	r := Request{OrderID: 9, AmountCents: 500, Currency: "CNY", Token: TokenSlow, IdempotencyKey: "order-9-a"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	_, err := s.Charge(ctx, r)
	cancel()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("a caller who gave up got %v, want ErrTimeout", err)
	}
	res, err := s.Charge(context.Background(), r) // waits for the charge in flight
	if err != nil || !res.Approved || res.Reference == "" {
		t.Fatalf("the retry got %+v, %v; want the approval", res, err)
	}
	again, err := s.Charge(context.Background(), r)
	if err != nil || again.Reference != res.Reference || s.Charges() != 1 {
		t.Fatalf("a third call got %+v, %v with %d charges; want the same approval, one charge", again, err, s.Charges())
	}
	if _, err := s.Charge(context.Background(), Request{OrderID: 9, AmountCents: 500, Currency: "CNY", Token: TokenApprove, IdempotencyKey: "order-9-a"}); !errors.Is(err, ErrIdempotencyConflict) {
		t.Fatalf("another card under the same key: %v, want ErrIdempotencyConflict", err)
	}
}

// An authorisation holds the amount until it is captured (once, at most
// the amount) or voided (once, however often asked); a voided one cannot
// be captured and a captured one cannot be voided.
func TestAuthoriseCaptureVoid(t *testing.T) {
	s := NewSimulator()
	ctx := context.Background()
	auth := func(key, tok string) Result {
		t.Helper()
		r, err := s.Authorise(ctx, Request{OrderID: 1, AmountCents: 12000, Currency: "CNY", Token: tok, IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := auth("win", TokenApprove); !r.Approved {
		t.Fatalf("authorise: %+v", r)
	}
	auth("win", TokenApprove) // a retry: one authorisation
	auth("lose", TokenApprove)
	if r := auth("poor", TokenInsufficient); r.Approved {
		t.Fatal("a declined card authorised")
	}
	if s.Held() != 2 || s.Charges() != 0 {
		t.Fatalf("held %d, charged %d", s.Held(), s.Charges())
	}
	if _, err := s.Capture(ctx, "win", 12001); !errors.Is(err, ErrOverCapture) {
		t.Fatalf("capture above the amount: %v", err)
	}
	for range 2 {
		if r, err := s.Capture(ctx, "win", 12000); err != nil || !r.Approved {
			t.Fatalf("capture: %+v %v", r, err)
		}
	}
	for range 3 {
		if err := s.Void(ctx, "lose"); err != nil {
			t.Fatal(err)
		}
	}
	if s.Held() != 0 || s.Captured() != 1 || s.Voids() != 1 {
		t.Fatalf("held %d, captured %d, voided %d", s.Held(), s.Captured(), s.Voids())
	}
	if _, err := s.Capture(ctx, "lose", 12000); !errors.Is(err, ErrVoided) {
		t.Fatalf("capture after void: %v", err)
	}
	if err := s.Void(ctx, "win"); !errors.Is(err, ErrCaptured) {
		t.Fatalf("void after capture: %v", err)
	}
	for _, key := range []string{"poor", "nobody"} {
		if _, err := s.Capture(ctx, key, 100); !errors.Is(err, ErrNotAuthorised) {
			t.Fatalf("capture of %s: %v", key, err)
		}
	}
	if _, err := s.Charge(ctx, Request{OrderID: 1, AmountCents: 12000, Currency: "CNY", Token: TokenApprove, IdempotencyKey: "win"}); !errors.Is(err, ErrIdempotencyConflict) {
		t.Fatalf("a charge under an authorisation's key: %v", err)
	}
}
