// Package printer prints jobs on an ESC/POS receipt printer over a port the
// agent opened (see drivers/transport) and tells the kiosk, in words it can
// show, why a ticket did not print.
//
// A job counts as printed only when the printer said so: for a profile whose
// printer answers DLE EOT, Print asks for the status before sending the job
// (and refuses to send it to a printer that cannot print) and again after
// the job's cut, and succeeds only if the second answer reports nothing that
// stops printing. A printer without status support cannot say: for it a job
// is printed once all its bytes were written to the port, and a kiosk must
// not promise more than that.
//
// This package may import escpos, profile and transport (for the Port type).
// It must not open ports itself, nor import the agent or anything cloud-side.
package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/transport"
)

// Problems of a PrintError that are not the printer's own status (those are
// escpos.Status.Problem's words, such as "out of paper" and "cover open").
const (
	ProblemNotAnswering = "printer not answering"
	ProblemDisconnected = "printer disconnected"
)

// PrintError is why a job was refused or may not have printed.
type PrintError struct {
	// Problem is what a kiosk shows: "out of paper", "cover open",
	// "printer offline", "printer not answering", ...
	Problem string
	// Status is what the printer reported; zero when it did not answer.
	Status escpos.Status
	// Sent is true when the job's bytes were sent (the failure was found
	// after the cut): the printer may have printed part of the ticket, or
	// all of it if the roll ended right after the cut.
	Sent bool
	// Err is the underlying I/O error, if any.
	Err error
}

func (e *PrintError) Error() string {
	msg := "printer: " + e.Problem
	if e.Sent {
		msg += " (after the job was sent)"
	}
	if e.Status.Detail != "" {
		msg += ": " + e.Status.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *PrintError) Unwrap() error { return e.Err }

// Printer is an ESC/POS printer at the end of Port, of the model Profile
// describes.
type Printer struct {
	Port    transport.Port
	Profile profile.Profile
	// Now is the clock status deadlines are computed from; nil means
	// time.Now. Deadlines are wall-clock times (they go to
	// Port.SetReadDeadline), so it must follow the wall clock.
	Now func() time.Time
}

// statusRequests are the DLE EOT n asked before and after a job: together
// they cover offline, cover, paper and error conditions.
var statusRequests = []byte{escpos.StatusPrinter, escpos.StatusOffline, escpos.StatusError, escpos.StatusPaper}

// Print sends job (one or more complete ESC/POS jobs, ending with a cut) and
// returns nil once the printer reported it printed (see the package comment).
// Every failure is a *PrintError, except a cancelled ctx, whose error is
// returned wrapped; ctx also bounds the waits for status and for the write.
//
// Print is not safe for concurrent use on one Port.
func (p *Printer) Print(ctx context.Context, job []byte) error {
	pr := p.Profile.Printer
	if pr == nil {
		return fmt.Errorf("printer: profile %s is a %s profile, not a printer", p.Profile.File, p.Profile.Kind)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	defer p.watch(ctx)()

	if pr.Status.DLEEOT {
		st, err := p.status(ctx, pr.Status.Timeout)
		if err != nil {
			return err
		}
		if !st.Online {
			return &PrintError{Problem: problem(st), Status: st}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	if _, err := p.Port.Write(job); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("printer: write job: %w", ctx.Err())
		}
		return &PrintError{Problem: ProblemDisconnected, Sent: true, Err: fmt.Errorf("write job: %w", err)}
	}
	if !pr.Status.DLEEOT {
		return nil
	}
	st, err := p.status(ctx, pr.Status.Timeout)
	if err != nil {
		var pe *PrintError
		if errors.As(err, &pe) {
			pe.Sent = true
		}
		return err
	}
	if !st.Online {
		return &PrintError{Problem: problem(st), Status: st, Sent: true}
	}
	return nil
}

// Status asks the printer for its real-time status (DLE EOT 1 to 4) and
// merges the answers. It fails with a *PrintError when the profile's printer
// does not answer DLE EOT or when an answer does not come within the
// profile's status timeout.
func (p *Printer) Status(ctx context.Context) (escpos.Status, error) {
	pr := p.Profile.Printer
	if pr == nil || !pr.Status.DLEEOT {
		return escpos.Status{}, &PrintError{Problem: ProblemNotAnswering, Err: errors.New("the profile's printer does not answer DLE EOT")}
	}
	defer p.watch(ctx)()
	return p.status(ctx, pr.Status.Timeout)
}

// problem is what a kiosk shows for a printer that cannot print.
func problem(st escpos.Status) string {
	if p := st.Problem(); p != "" {
		return p
	}
	return "printer offline"
}

// past is a deadline that has passed.
var past = time.Unix(1, 0)

// watch makes a cancellation of ctx interrupt a blocked read or write on the
// port, by moving its deadlines into the past. The function it returns stops
// watching and, if ctx was cancelled, clears the deadlines again so the port
// is usable for the next job.
func (p *Printer) watch(ctx context.Context) func() {
	writeDeadline := func(t time.Time) {
		if w, ok := p.Port.(interface{ SetWriteDeadline(time.Time) error }); ok {
			w.SetWriteDeadline(t)
		}
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		p.Port.SetReadDeadline(past)
		writeDeadline(past)
	})
	return func() {
		if stop() {
			return
		}
		<-done
		p.Port.SetReadDeadline(time.Time{})
		writeDeadline(time.Time{})
	}
}

// status asks DLE EOT 1..4 in turn, waiting up to timeout for each answer.
func (p *Printer) status(ctx context.Context, timeout time.Duration) (escpos.Status, error) {
	var merged escpos.Status
	for _, n := range statusRequests {
		if _, err := p.Port.Write(escpos.StatusRequest(n)); err != nil {
			if ctx.Err() != nil {
				return escpos.Status{}, fmt.Errorf("printer: DLE EOT %d: %w", n, ctx.Err())
			}
			return escpos.Status{}, &PrintError{Problem: ProblemDisconnected, Err: fmt.Errorf("DLE EOT %d: %w", n, err)}
		}
		st, err := p.readStatus(ctx, n, timeout)
		if err != nil {
			return escpos.Status{}, err
		}
		merged = merged.Merge(st)
	}
	return merged, nil
}

// readStatus reads the answer to DLE EOT n. A byte whose fixed bits are wrong
// cannot be the answer (a printer sends nothing else unasked, but a line may
// carry noise) and is skipped.
func (p *Printer) readStatus(ctx context.Context, n byte, timeout time.Duration) (escpos.Status, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	deadline := now().Add(timeout)
	ctxFirst := false // the context's deadline comes before the printer's
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxFirst = d, true
	}
	if err := p.Port.SetReadDeadline(deadline); err != nil {
		return escpos.Status{}, &PrintError{Problem: ProblemDisconnected, Err: fmt.Errorf("set read deadline: %w", err)}
	}
	defer p.Port.SetReadDeadline(time.Time{})
	// Checked after setting the deadline: a cancellation from now on moves
	// the deadline into the past, one before this was seen here.
	if err := ctx.Err(); err != nil {
		return escpos.Status{}, fmt.Errorf("printer: DLE EOT %d: %w", n, err)
	}
	var b [1]byte
	for {
		_, err := io.ReadFull(p.Port, b[:])
		if err != nil {
			if ctx.Err() != nil {
				return escpos.Status{}, fmt.Errorf("printer: DLE EOT %d: %w", n, ctx.Err())
			}
			if errors.Is(err, os.ErrDeadlineExceeded) && ctxFirst {
				// The read's deadline was the context's: it can fire a
				// moment before the context's own timer says so.
				return escpos.Status{}, fmt.Errorf("printer: DLE EOT %d: %w", n, context.DeadlineExceeded)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return escpos.Status{}, &PrintError{Problem: ProblemNotAnswering, Err: fmt.Errorf("no answer to DLE EOT %d within %v: %w", n, timeout, err)}
			}
			return escpos.Status{}, &PrintError{Problem: ProblemDisconnected, Err: fmt.Errorf("read answer to DLE EOT %d: %w", n, err)}
		}
		st, err := escpos.ParseStatus(n, b[0])
		if err == nil {
			return st, nil
		}
	}
}

// PrinterProblem is Problem: the few plain words a kiosk shows.
func (e *PrintError) PrinterProblem() string { return e.Problem }
