// Package simrig puts simulated hardware in front of an edge agent, so a
// person (the demo) or a load generator (the device bench) can run a
// kiosk, a POS or a gate without devices: it starts the simulators of
// drivers/sim on pseudo-terminals or loopback TCP, gives the device config
// (hardware.Config) that points the agent at them, and renders every
// ticket the simulated printer cuts to a PNG a person can look at.
//
// It is test and demo equipment: it may import the simulators and the
// renderer; the agent must not import it.
package simrig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"

	firmwareprofiles "github.com/admitbox/admit/firmware-profiles"

	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/render"
	"github.com/admitbox/admit/drivers/sim"
	"github.com/admitbox/admit/edge/hardware"
)

// The shipped models the rigs simulate.
const (
	KioskPrinter = "printer/snbc-bt-t080-kiosk-80mm" // serial, on a pseudo-terminal
	POSPrinter   = "printer/network-escpos-80mm"     // TCP, on loopback
	GateScanner  = "scanner/grow-gm65-uart"
	GateTripod   = "turnstile/tripod-serial-feedback"
	GateIDCard   = "idcard/sam-serial-reader"
)

// Options configure a rig.
type Options struct {
	// PrintsDir, if set, receives one PNG per ticket the printer cuts.
	PrintsDir string
	// Event, if set, is told what the devices did, in a line a person
	// reads ("turnstile opened in: passage").
	Event func(line string)
}

// Rig is the simulated hardware of one device.
type Rig struct {
	Printer   *sim.Printer      // kiosk, pos
	Scanner   *sim.Scanner      // gate
	Turnstile *sim.Turnstile    // gate
	IDCard    *sim.IDCardReader // gate: holders' ID cards at real-name sessions
	// Config is the device config pointing at the simulators; write it
	// to the agent's data dir as hardware.ConfigFile.
	Config hardware.Config
	// Describe says, in a line, what was started where.
	Describe string

	printed atomic.Int64

	mu       sync.Mutex
	handled  int           // cut jobs rendered (or found not to render)
	progress chan struct{} // closed and replaced when handled grows
}

// Start starts the simulated hardware of a device of role.
func Start(role string, o Options) (*Rig, error) {
	set, errs := profile.LoadFS(firmwareprofiles.FS, "firmware-profiles")
	if len(errs) > 0 {
		return nil, fmt.Errorf("simrig: %w", errors.Join(errs...))
	}
	event := o.Event
	if event == nil {
		event = func(string) {}
	}
	r := &Rig{}
	var err error
	switch role {
	case "kiosk", "pos":
		key := KioskPrinter
		if role == "pos" {
			key = POSPrinter
			r.Printer, err = sim.ListenTCP()
		} else {
			r.Printer, err = sim.OpenPTY()
		}
		if err != nil {
			return nil, err
		}
		port := r.Printer.SlavePath() + r.Printer.Addr() // one of them is set
		r.Config = hardware.Config{Printer: &hardware.Slot{Profile: key, Port: port}}
		p := set[key]
		r.Describe = fmt.Sprintf("simulated %s %s at %s", p.Vendor, p.Model, port)
		dots := p.Printer.DotsPerLine
		r.Printer.OnJob(func(job []byte) { r.printedJob(o.PrintsDir, dots, job, event) })
	case "gate":
		if r.Scanner, err = sim.OpenScannerPTY(*set[GateScanner].Scanner); err != nil {
			return nil, err
		}
		if r.Turnstile, err = sim.OpenTurnstilePTY(*set[GateTripod].Turnstile); err != nil {
			r.Scanner.Close()
			return nil, err
		}
		if r.IDCard, err = sim.OpenIDCardPTY(); err != nil {
			r.Scanner.Close()
			r.Turnstile.Close()
			return nil, err
		}
		r.IDCard.OnRead(func(string) { event("ID card read") })
		r.Turnstile.OnOpen(func(passage bool) {
			if passage {
				event("turnstile opened: visitor passed")
			} else {
				event("turnstile opened: nobody passed")
			}
		})
		r.Config = hardware.Config{
			Scanner:   &hardware.Slot{Profile: GateScanner, Port: r.Scanner.SlavePath()},
			Turnstile: &hardware.Slot{Profile: GateTripod, Port: r.Turnstile.SlavePath()},
			IDCard:    &hardware.Slot{Profile: GateIDCard, Port: r.IDCard.SlavePath()},
		}
		r.Describe = fmt.Sprintf("simulated %s scanner at %s, %s at %s, ID card reader at %s", set[GateScanner].Model, r.Scanner.SlavePath(),
			set[GateTripod].Model, r.Turnstile.SlavePath(), r.IDCard.SlavePath())
	default:
		return nil, fmt.Errorf("simrig: no rig for role %q", role)
	}
	return r, nil
}

// ticketNumber finds the 22-digit ticket number a ticket job prints.
var ticketNumber = regexp.MustCompile(`[0-9]{22}`)

// WaitPrinted waits until the printer's first n cut jobs have been
// rendered (the simulator hands them over apart from the port, so a print
// the agent was told succeeded may still be on its way to a PNG).
func (r *Rig) WaitPrinted(ctx context.Context, n int) error {
	for {
		r.mu.Lock()
		if r.progress == nil {
			r.progress = make(chan struct{})
		}
		handled, progress := r.handled, r.progress
		r.mu.Unlock()
		if handled >= n {
			return nil
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return fmt.Errorf("simrig: %d of %d printed jobs rendered: %w", handled, n, ctx.Err())
		}
	}
}

// jobHandled counts a cut job done with and wakes WaitPrinted.
func (r *Rig) jobHandled() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handled++
	if r.progress != nil {
		close(r.progress)
		r.progress = nil
	}
}

// printedJob renders a cut job to PRINTS/<n>-<ticket>.png.
func (r *Rig) printedJob(dir string, dots int, job []byte, event func(string)) {
	defer r.jobHandled()
	n := r.printed.Add(1)
	if dir == "" {
		event(fmt.Sprintf("printer cut job %d (%d bytes)", n, len(job)))
		return
	}
	name := fmt.Sprintf("%03d", n)
	if m := ticketNumber.Find(job); m != nil {
		name += "-" + string(m)
	}
	path := filepath.Join(dir, name+".png")
	var buf bytes.Buffer
	if err := render.PNG(&buf, job, render.Options{Dots: dots}); err != nil {
		event(fmt.Sprintf("printer cut job %d but it does not render: %v", n, err))
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		event(fmt.Sprintf("printed ticket %d: %v", n, err))
		return
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		event(fmt.Sprintf("printed ticket %d: %v", n, err))
		return
	}
	event("printed " + path)
}

// WriteConfig writes the rig's device config into an agent's data dir.
// The simulators' ports are new each run, so the config is too.
func (r *Rig) WriteConfig(dir string) error {
	b, err := json.MarshalIndent(r.Config, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, hardware.ConfigFile), b, 0o600); err != nil {
		return fmt.Errorf("simrig: %w", err)
	}
	return nil
}

// Close stops the simulators.
func (r *Rig) Close() error {
	var errs []error
	if r.Printer != nil {
		errs = append(errs, r.Printer.Close())
	}
	if r.Scanner != nil {
		errs = append(errs, r.Scanner.Close())
	}
	if r.Turnstile != nil {
		errs = append(errs, r.Turnstile.Close())
	}
	if r.IDCard != nil {
		errs = append(errs, r.IDCard.Close())
	}
	return errors.Join(errs...)
}
