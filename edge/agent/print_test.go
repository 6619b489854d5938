package agent

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/edge/kiosk"
)

// A print of a ticket the device does not hold yet, while online, is tried
// again when the feed brings something, and succeeds once the ticket is
// there: a ticket sold at the POS a moment ago prints at once.
func TestAPrintWaitsOnlineForTheFeedToBringTheTicket(t *testing.T) {
	feed := make(chan struct{})
	changed := func() <-chan struct{} { return feed }
	var cached atomic.Bool
	tries := 0
	missed := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- untilFound(context.Background(), time.Minute, func() bool { return true }, changed, func() error {
			tries++
			if !cached.Load() {
				close(missed)
				return kiosk.ErrNotFound
			}
			return nil
		})
	}()
	<-missed // pressed before the ticket came
	cached.Store(true)
	close(feed) // the feed batch with the ticket is applied
	if err := <-done; err != nil {
		t.Fatalf("untilFound = %v, want the print done once the ticket came", err)
	}
	if tries != 2 {
		t.Errorf("%d tries, want 2 (before and after the feed batch)", tries)
	}
}

// Offline nothing is coming: not found is the answer at once. Other
// answers (printed, refused, a printer problem) are never tried again.
func TestAPrintDoesNotWaitOfflineOrOnOtherAnswers(t *testing.T) {
	never := func() <-chan struct{} { return nil }
	tries := 0
	err := untilFound(context.Background(), time.Hour, func() bool { return false }, never, func() error { tries++; return kiosk.ErrNotFound })
	if !errors.Is(err, kiosk.ErrNotFound) || tries != 1 {
		t.Errorf("offline: %v after %d tries, want not found after 1", err, tries)
	}
	tries = 0
	err = untilFound(context.Background(), time.Hour, func() bool { return true }, never, func() error { tries++; return kiosk.ErrAlreadyPrinted })
	if !errors.Is(err, kiosk.ErrAlreadyPrinted) || tries != 1 {
		t.Errorf("already printed: %v after %d tries, want it after 1", err, tries)
	}
}

// A number the feed never brings is not found once the wait is over (or
// the request ends), whatever else the feed brings meanwhile.
func TestAPrintOfAnUnknownTicketEndsNotFound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tries := 0
	changed := func() <-chan struct{} {
		if tries == 3 {
			cancel() // the screen gave up
		}
		ch := make(chan struct{})
		if tries < 3 {
			close(ch) // other tickets arrive
		}
		return ch
	}
	err := untilFound(ctx, time.Hour, func() bool { return true }, changed, func() error { tries++; return kiosk.ErrNotFound })
	if !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("untilFound = %v, want not found", err)
	}
	if tries != 4 {
		t.Errorf("%d tries, want 4 (one and one per feed change)", tries)
	}
	start := time.Now()
	err = untilFound(context.Background(), 20*time.Millisecond, func() bool { return true }, func() <-chan struct{} { return nil }, func() error { return kiosk.ErrNotFound })
	if !errors.Is(err, kiosk.ErrNotFound) || time.Since(start) > 10*time.Second {
		t.Errorf("untilFound = %v after %v, want not found once the wait is over", err, time.Since(start))
	}
}
