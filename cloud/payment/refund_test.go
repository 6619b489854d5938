package payment

import (
	"context"
	"errors"
	"testing"
)

func TestARefundGivesBackOncePerKeyAndNeverMoreThanTheCharge(t *testing.T) {
	ctx := context.Background()
	s := NewSimulator()
	if _, err := s.Charge(ctx, Request{AmountCents: 10000, Token: TokenApprove, IdempotencyKey: "c1"}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retry after a crash gives nothing more
		if err := s.Refund(ctx, "c1", "r1", 6000); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Refund(ctx, "c1", "r1", 5000); !errors.Is(err, ErrIdempotencyConflict) {
		t.Fatalf("one refund key, another amount: %v", err)
	}
	if err := s.Refund(ctx, "c1", "r2", 4001); !errors.Is(err, ErrOverRefund) {
		t.Fatalf("more than is left: %v", err)
	}
	if err := s.Refund(ctx, "c1", "r2", 4000); err != nil || s.Refunded("c1") != 10000 {
		t.Fatalf("the rest: %v, %d given back", err, s.Refunded("c1"))
	}
	if err := s.Refund(ctx, "nope", "r3", 1); !errors.Is(err, ErrNotAuthorised) {
		t.Fatalf("an unknown charge: %v", err)
	}
	// An authorisation gives back only what was captured.
	if _, err := s.Authorise(ctx, Request{AmountCents: 9000, Token: TokenApprove, IdempotencyKey: "a1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, "a1", "r4", 1); !errors.Is(err, ErrNotAuthorised) {
		t.Fatalf("a held authorisation refunded: %v", err)
	}
	if _, err := s.Capture(ctx, "a1", 5000); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, "a1", "r5", 5001); !errors.Is(err, ErrOverRefund) {
		t.Fatalf("more than captured: %v", err)
	}
}
