// Package sim is an ESC/POS receipt printer simulator for tests and for
// running a kiosk without hardware. It attaches to the master side of a
// pseudo-terminal (the driver opens the slave path as a serial port, exactly
// as it opens /dev/ttyUSB0) or listens on a loopback TCP port (a network
// printer's port 9100).
//
// The simulator records each job's bytes, split at the cuts (GS V), answers
// DLE EOT real-time status requests at once, and can be told to run out of
// paper (now, or after so many more bytes: in the middle of a job), to have
// its cover opened, or to stop answering. Like a real printer it keeps
// answering status while it cannot print, and drops the print data it
// receives meanwhile.
//
// It follows the stream only as far as a printer must to find real-time
// commands and cuts: it does not know command lengths, so print data (an
// image, say) that happens to contain 10 04 n or 1D 56 m would be taken for
// a status request or a cut. The jobs escpos.TicketJob builds without a logo
// contain neither.
//
// This package is test equipment: it may import the pty and x/sys libraries,
// and nothing under drivers may import it outside tests.
package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// Byte values of the commands the simulator acts on.
const (
	dle = 0x10
	eot = 0x04
	gs  = 0x1D
)

// Printer is a simulated ESC/POS printer. Its methods are safe for concurrent
// use; the setters take effect for the next byte the printer reads.
type Printer struct {
	mu        sync.Mutex
	jobs      [][]byte // cut jobs
	torn      [][]byte // jobs cut short by paper end, torn off when paper was loaded
	cur       []byte   // the job being printed
	paperOut  bool
	paperLeft int // print bytes until paper end; < 0 means the roll does not run out
	coverOpen bool
	silent    bool
	onJob     func(job []byte)
	handOff   [][]byte      // cut jobs not yet given to onJob, oldest first
	handWake  chan struct{} // told when handOff grows; nil until OnJob
	handDone  chan struct{} // closed when the hand-off goroutine ends

	master, slave *os.File // pseudo-terminal mode
	ln            net.Listener
	conns         map[net.Conn]bool // TCP mode: open connections

	wg        sync.WaitGroup
	closed    bool // set by Close once the port is no longer read
	closeOnce sync.Once
	closeErr  error
}

func newPrinter() *Printer {
	return &Printer{paperLeft: -1, conns: make(map[net.Conn]bool)}
}

// ListenTCP starts a network printer listening on 127.0.0.1 on a free port
// (see Addr). It takes any number of connections in turn or at once, all
// printing on the one roll.
func ListenTCP() (*Printer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sim: listen: %w", err)
	}
	p := newPrinter()
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.accept()
	}()
	return p, nil
}

// SlavePath is the pseudo-terminal a driver opens as its serial port, or ""
// for a network printer.
func (p *Printer) SlavePath() string {
	if p.slave == nil {
		return ""
	}
	return p.slave.Name()
}

// Addr is the "host:port" a network printer listens on, or "" for a
// pseudo-terminal printer.
func (p *Printer) Addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// Jobs returns a copy of every job printed and cut so far, each with its cut
// command, in order.
func (p *Printer) Jobs() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return clone(p.jobs)
}

// Torn returns a copy of the jobs that ran out of paper before their cut,
// as far as they printed. A job is moved here when paper is loaded, which is
// when the operator tears the stub off.
func (p *Printer) Torn() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return clone(p.torn)
}

// SetPaperOut makes the roll end after afterBytes more bytes of print data
// (commands included), or at once when afterBytes ≤ 0. A command is printed
// whole, so the roll may end a few bytes late, never early.
func (p *Printer) SetPaperOut(afterBytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if afterBytes <= 0 {
		p.paperOut = true
		p.paperLeft = -1
		return
	}
	p.paperLeft = afterBytes
}

// LoadPaper puts in a new roll: the printer prints again, and a job that the
// old roll ended in the middle of is torn off (see Torn).
func (p *Printer) LoadPaper() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paperOut = false
	p.paperLeft = -1
	if len(p.cur) > 0 {
		p.torn = append(p.torn, p.cur)
		p.cur = nil
	}
}

// SetCoverOpen opens or closes the cover. While it is open the printer is
// offline and drops print data; closing it resumes printing where the data
// resumes.
func (p *Printer) SetCoverOpen(open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.coverOpen = open
}

// OnJob has fn called with each job as it is cut, in order, from a
// goroutine of its own: a slow fn (the demo renders each job to a PNG)
// never holds up the port, so the printer answers the status requests
// after a cut at once, as a real one answers real-time commands while its
// head is still busy. Close waits for the jobs cut before it to be handed
// over.
func (p *Printer) OnJob(fn func(job []byte)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onJob = fn
	if p.handWake == nil {
		p.handWake, p.handDone = make(chan struct{}, 1), make(chan struct{})
		go p.handOver()
	}
}

// handOver gives the cut jobs to onJob until the printer is closed and
// none is left.
func (p *Printer) handOver() {
	defer close(p.handDone)
	for {
		p.mu.Lock()
		jobs, fn, closed := p.handOff, p.onJob, p.closed
		p.handOff = nil
		p.mu.Unlock()
		for _, j := range jobs {
			fn(j)
		}
		if len(jobs) > 0 {
			continue
		}
		if closed {
			return
		}
		<-p.handWake
	}
}

// SetSilent makes the printer stop (or resume) answering status requests,
// as when its transmit line is broken. It still prints.
func (p *Printer) SetSilent(silent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = silent
}

// Close stops the printer: the pseudo-terminal is closed (a driver on the
// slave then reads an error) or the listener and its connections are.
func (p *Printer) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		if p.master != nil {
			errs = append(errs, p.master.Close())
		}
		if p.ln != nil {
			errs = append(errs, p.ln.Close())
			p.mu.Lock()
			for c := range p.conns {
				c.Close()
			}
			p.mu.Unlock()
		}
		p.wg.Wait()
		if p.slave != nil {
			errs = append(errs, p.slave.Close())
		}
		p.mu.Lock()
		p.closed = true
		wake, done := p.handWake, p.handDone
		p.mu.Unlock()
		if wake != nil {
			p.wakeHandOver()
			<-done
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

func (p *Printer) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
			c.Close()
		}()
	}
}

// serve reads the host's bytes from rw until it fails and writes the
// answers back.
func (p *Printer) serve(rw io.ReadWriter) {
	var in stream
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			reply, done := in.feed(p, buf[:n])
			if len(reply) > 0 {
				if _, err := rw.Write(reply); err != nil {
					return
				}
			}
			if len(done) > 0 {
				p.mu.Lock()
				handing := p.handWake != nil
				if handing {
					p.handOff = append(p.handOff, done...)
				}
				p.mu.Unlock()
				if handing {
					p.wakeHandOver()
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// wakeHandOver tells the hand-off goroutine there is something to do,
// without waiting: one pending wake-up is enough for any number of jobs.
func (p *Printer) wakeHandOver() {
	select {
	case p.handWake <- struct{}{}:
	default:
	}
}

// stream is one connection's place in the command stream: the bytes that
// may yet turn out to be a real-time command or a cut.
type stream struct {
	pend []byte
}

// What the bytes at the start of a stream are.
const (
	needMore = iota
	data     // the first byte is print data
	status   // DLE EOT n, three bytes
	cut      // GS V m [n]
)

func classify(b []byte) (kind, size int) {
	switch b[0] {
	case dle:
		switch {
		case len(b) < 2:
			return needMore, 0
		case b[1] != eot:
			return data, 1
		case len(b) < 3:
			return needMore, 0
		case b[2] >= 1 && b[2] <= 4:
			return status, 3
		}
	case gs:
		switch {
		case len(b) < 2:
			return needMore, 0
		case b[1] != 'V':
			return data, 1
		case len(b) < 3:
			return needMore, 0
		}
		switch b[2] {
		case 0, 1, 48, 49: // function A: GS V m
			return cut, 3
		case 65, 66, 97, 98, 103, 104: // functions B, C, D: GS V m n
			if len(b) < 4 {
				return needMore, 0
			}
			return cut, 4
		}
	}
	return data, 1
}

// feed processes b and returns the status bytes to send back and the jobs
// it cut.
func (s *stream) feed(p *Printer, b []byte) (reply []byte, done [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.pend = append(s.pend, b...)
	for len(s.pend) > 0 {
		kind, size := classify(s.pend)
		switch kind {
		case needMore:
			return reply, done
		case status:
			if !p.silent {
				reply = append(reply, p.statusByte(s.pend[2]))
			}
		case data:
			p.print(s.pend[:size])
		case cut:
			if p.print(s.pend[:size]) {
				p.jobs = append(p.jobs, p.cur)
				done = append(done, bytes.Clone(p.cur))
				p.cur = nil
			}
		}
		s.pend = s.pend[size:]
	}
	s.pend = nil // drop the consumed backing array
	return reply, done
}

// print puts b on paper, or drops it when the printer cannot print, and
// reports which.
func (p *Printer) print(b []byte) bool {
	if p.paperOut || p.coverOpen {
		return false
	}
	p.cur = append(p.cur, b...)
	if p.paperLeft >= 0 {
		p.paperLeft -= len(b)
		if p.paperLeft <= 0 {
			p.paperOut = true
			p.paperLeft = -1
		}
	}
	return true
}

// statusByte answers DLE EOT n with the bits of the Epson command reference:
// bits 1 and 4 always set, 0 and 7 clear.
func (p *Printer) statusByte(n byte) byte {
	b := byte(0x12)
	switch n {
	case 1: // printer status: bit 3 offline
		if p.paperOut || p.coverOpen {
			b |= 1 << 3
		}
	case 2: // offline cause: bit 2 cover open, bit 5 stopped at paper end
		if p.coverOpen {
			b |= 1 << 2
		}
		if p.paperOut {
			b |= 1 << 5
		}
	case 3: // error cause: no errors simulated
	case 4: // roll paper sensor: bits 5 and 6 paper end (one-sensor models set both)
		if p.paperOut {
			b |= 1<<5 | 1<<6
		}
	}
	return b
}

func clone(jobs [][]byte) [][]byte {
	out := make([][]byte, len(jobs))
	for i, j := range jobs {
		out[i] = append([]byte(nil), j...)
	}
	return out
}
