package hardware

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/printer"
	"github.com/admitbox/admit/drivers/transport"
	"github.com/admitbox/admit/edge/kiosk"
)

// PrinterState is what the kiosk's screen and heartbeat say of the
// printer.
type PrinterState struct {
	Online  bool   `json:"online"`            // the port is open and the last job or status check succeeded
	Problem string `json:"problem,omitempty"` // the last problem in plain words ("out of paper"); "" when none
	Printed int64  `json:"printed"`
	Failed  int64  `json:"failed"`
}

// Printer is the kiosk's ticket printer: it lays a cached ticket out for
// the profile's paper and code page, and prints it, reopening the port
// when a job found it gone. It is safe for concurrent use; jobs are
// printed one at a time.
type Printer struct {
	dev   *Device
	paper escpos.Paper
	opts  escpos.Options
	open  func(ctx context.Context) (transport.Port, error)

	mu    sync.Mutex
	port  transport.Port
	state PrinterState
}

// NewPrinter returns the printer of a resolved printer slot. The port is
// opened with the first job.
func NewPrinter(d *Device) (*Printer, error) {
	if d == nil || d.Profile.Printer == nil {
		return nil, errors.New("hardware: not a printer slot")
	}
	pr := d.Profile.Printer
	p := &Printer{dev: d,
		paper: escpos.Paper{Name: fmt.Sprintf("%dmm", pr.PaperMM), DotsPerLine: pr.DotsPerLine, CharsPerLine: pr.CharsPerLine},
		opts:  escpos.Options{ChineseMode: pr.Chinese == "gb18030", CodePage: byte(pr.CodePage)},
		open:  func(ctx context.Context) (transport.Port, error) { return transport.Open(ctx, d.Profile, d.Port) },
	}
	return p, nil
}

// Job lays t out as the printer prints it.
func (p *Printer) Job(t kiosk.Printable) ([]byte, error) {
	return escpos.TicketJob(Layout(t), p.paper, p.opts)
}

// Layout is what a printed ticket shows, from the cache.
func Layout(t kiosk.Printable) escpos.TicketLayout {
	venue := t.Session.Venue
	if venue == "" {
		venue = t.VenueCode
	}
	return escpos.TicketLayout{
		Venue: venue, Hall: t.Session.Hall, Event: t.Session.Event,
		SessionTime: t.Session.StartsAt, TimeZone: t.Location,
		Seat: t.Ticket.SeatLabel, PriceCents: t.Ticket.PriceCents, Currency: "CNY",
		TicketNumber: t.Ticket.Number, QR: t.Ticket.QR,
	}
}

// PrintTicket prints one ticket and returns nil only once the printer
// reported it printed (see drivers/printer). Its errors say what is wrong
// in plain words (kiosk.PrinterProblem).
func (p *Printer) PrintTicket(ctx context.Context, t kiosk.Printable) error {
	job, err := p.Job(t)
	if err != nil {
		return fmt.Errorf("hardware: lay out ticket %s: %w", t.Ticket.Number, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.port == nil {
		port, err := p.open(ctx)
		if err != nil {
			p.state.Online, p.state.Problem = false, printer.ProblemDisconnected
			p.state.Failed++
			return &printer.PrintError{Problem: printer.ProblemDisconnected, Err: err}
		}
		p.port = port
	}
	drv := &printer.Printer{Port: p.port, Profile: p.dev.Profile, Now: time.Now}
	err = drv.Print(ctx, job)
	var pe *printer.PrintError
	switch {
	case err == nil:
		p.state.Online, p.state.Problem = true, ""
		p.state.Printed++
		return nil
	case errors.As(err, &pe):
		p.state.Failed++
		p.state.Problem = pe.Problem
		// A printer that reported a problem is there; one that did not
		// answer or whose line failed may have been unplugged: reopen.
		p.state.Online = pe.Problem != printer.ProblemDisconnected && pe.Problem != printer.ProblemNotAnswering
		if !p.state.Online {
			p.port.Close()
			p.port = nil
		}
	}
	return err
}

// State reports what the printer last showed.
func (p *Printer) State() PrinterState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Close closes the port.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.port == nil {
		return nil
	}
	err := p.port.Close()
	p.port = nil
	return err
}
