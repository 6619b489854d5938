package printer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/printer"
	"github.com/admitbox/admit/drivers/profile"
	"github.com/admitbox/admit/drivers/sim"
	"github.com/admitbox/admit/drivers/transport"
)

const profiles = "../../firmware-profiles/printer/"

func load(t *testing.T, name string) profile.Profile {
	t.Helper()
	p, err := profile.Load(profiles + name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// statusTimeout is what the serial tests give a printer to answer.
const statusTimeout = 500 * time.Millisecond

// serialProfile is the shipped 58 mm serial printer. With status, it answers
// DLE EOT as most POS-58 class printers do; the shipped profile does not
// claim that, because its source does not document it.
func serialProfile(t *testing.T, status bool) profile.Profile {
	t.Helper()
	p := load(t, "generic-gb18030-58mm.json")
	if status {
		pr := *p.Printer
		pr.Status = profile.PrinterStatus{DLEEOT: true, Timeout: statusTimeout}
		p.Printer = &pr
	}
	return p
}

// onPTY starts a simulated printer on a pseudo-terminal and opens its slave
// through the transport, as the agent opens /dev/ttyUSB0.
func onPTY(t *testing.T, p profile.Profile) (*printer.Printer, *sim.Printer) {
	t.Helper()
	s, err := sim.OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	port, err := transport.Open(context.Background(), p, s.SlavePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	return &printer.Printer{Port: port, Profile: p}, s
}

func onTCP(t *testing.T) (*printer.Printer, *sim.Printer) {
	t.Helper()
	s, err := sim.ListenTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p := load(t, "network-escpos-80mm.json")
	port, err := transport.Open(context.Background(), p, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	return &printer.Printer{Port: port, Profile: p}, s
}

func ticket(t *testing.T, paper escpos.Paper) []byte {
	t.Helper()
	job, err := escpos.TicketJob(escpos.TicketLayout{
		Venue:        "星光影城",
		Hall:         "3号厅",
		Event:        "流浪地球 The Wandering Earth",
		SessionTime:  time.Date(2026, 3, 14, 19, 30, 0, 0, time.FixedZone("CST", 8*3600)),
		Seat:         "7排12座",
		PriceCents:   4500,
		Currency:     "CNY",
		TicketNumber: "A0012345",
		QR:           "ADMIT1.A0012345.k7Qx2mZp9tW3vL8sN4rB6yH1cF5dJ0gE",
	}, paper, escpos.Options{ChineseMode: true})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator finds status requests and cuts by their bytes alone.
	if i := bytes.Index(job, []byte{0x10, 0x04}); i >= 0 {
		t.Fatalf("ticket holds DLE EOT at byte %d", i)
	}
	if i := bytes.Index(job, []byte{0x1D, 'V'}); i != len(job)-4 {
		t.Fatalf("ticket's first GS V is at byte %d of %d, want only the final cut", i, len(job))
	}
	return job
}

func wantJobs(t *testing.T, s *sim.Printer, want ...[]byte) {
	t.Helper()
	got := s.Jobs()
	if len(got) != len(want) {
		t.Fatalf("simulator printed %d jobs, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("job %d: simulator recorded %d bytes, want the %d sent", i, len(got[i]), len(want[i]))
		}
	}
}

func wantProblem(t *testing.T, err error, problem string, sent bool) *printer.PrintError {
	t.Helper()
	var pe *printer.PrintError
	if !errors.As(err, &pe) {
		t.Fatalf("Print = %v, want a *PrintError %q", err, problem)
	}
	if pe.Problem != problem || pe.Sent != sent {
		t.Errorf("PrintError{Problem: %q, Sent: %v}, want {%q, %v} (%v)", pe.Problem, pe.Sent, problem, sent, err)
	}
	return pe
}

func TestATicketPrintsAndThePrinterReceivedExactlyItsBytes(t *testing.T) {
	p, s := onPTY(t, serialProfile(t, true))
	job := ticket(t, escpos.Paper58)
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	wantJobs(t, s, job)
}

func TestAPrinterOutOfPaperRefusesTheJobAndPrintsNothing(t *testing.T) {
	p, s := onPTY(t, serialProfile(t, true))
	s.SetPaperOut(0)
	pe := wantProblem(t, p.Print(context.Background(), ticket(t, escpos.Paper58)), "out of paper", false)
	if !pe.Status.PaperEnd || pe.Status.Online {
		t.Errorf("status %+v, want paper end and not online", pe.Status)
	}
	s.LoadPaper()
	wantJobs(t, s)
	if torn := s.Torn(); len(torn) != 0 {
		t.Errorf("the printer printed %d partial jobs", len(torn))
	}
}

func TestPaperRunningOutMidJobFailsItAndARetryPrintsItOnce(t *testing.T) {
	p, s := onPTY(t, serialProfile(t, true))
	job := ticket(t, escpos.Paper58)
	half := len(job) / 2
	s.SetPaperOut(half)

	wantProblem(t, p.Print(context.Background(), job), "out of paper", true)
	wantJobs(t, s)

	s.LoadPaper()
	torn := s.Torn()
	if len(torn) != 1 || !bytes.Equal(torn[0], job[:half]) {
		t.Fatalf("torn stubs %d, want one of the job's first %d bytes", len(torn), half)
	}
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatalf("retry after loading paper: %v", err)
	}
	wantJobs(t, s, job)
}

func TestAnOpenCoverRefusesTheJobUntilItIsClosed(t *testing.T) {
	p, s := onPTY(t, serialProfile(t, true))
	job := ticket(t, escpos.Paper58)
	s.SetCoverOpen(true)
	pe := wantProblem(t, p.Print(context.Background(), job), "cover open", false)
	if !pe.Status.CoverOpen {
		t.Errorf("status %+v, want cover open", pe.Status)
	}
	wantJobs(t, s)
	s.SetCoverOpen(false)
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	wantJobs(t, s, job)
}

func TestASilentPrinterTimesOutWithinTheProfilesTimeout(t *testing.T) {
	p, s := onPTY(t, serialProfile(t, true))
	s.SetSilent(true)
	start := time.Now()
	pe := wantProblem(t, p.Print(context.Background(), ticket(t, escpos.Paper58)), "printer not answering", false)
	elapsed := time.Since(start)
	// The serial transport honours deadlines to within a 100 ms tick.
	if elapsed < statusTimeout || elapsed > statusTimeout+400*time.Millisecond {
		t.Errorf("gave up after %v, want the profile's %v", elapsed, statusTimeout)
	}
	if pe.Err == nil {
		t.Error("PrintError carries no cause")
	}
	wantJobs(t, s)

	// Once it answers again the same port prints.
	s.SetSilent(false)
	job := ticket(t, escpos.Paper58)
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	wantJobs(t, s, job)
}

func TestAContextDeadlineShorterThanTheStatusTimeoutWins(t *testing.T) {
	p, s := onPTY(t, serialProfile(t, true))
	s.SetSilent(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := p.Print(ctx, ticket(t, escpos.Paper58))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Print = %v, want the context's deadline", err)
	}
	if elapsed := time.Since(start); elapsed >= statusTimeout {
		t.Errorf("returned after %v, not at the context's deadline", elapsed)
	}
}

func TestAPrinterWithoutStatusHasPrintedOnceTheJobIsWritten(t *testing.T) {
	prof := serialProfile(t, false) // the shipped profile as it is
	p, s := onPTY(t, prof)
	s.SetPaperOut(0) // it cannot tell, and the driver cannot know
	job := ticket(t, escpos.Paper58)
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatalf("Print = %v, want nil: without status a written job counts as printed", err)
	}
	barrier(t, p.Port)
	wantJobs(t, s)
	s.LoadPaper()
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	// The simulator answers DLE EOT even though the profile does not rely
	// on it: the answer comes after it has taken in the job.
	barrier(t, p.Port)
	wantJobs(t, s, job)
}

// barrier returns once the simulator has handled everything written so far.
func barrier(t *testing.T, port transport.Port) {
	t.Helper()
	if _, err := port.Write(escpos.StatusRequest(escpos.StatusPrinter)); err != nil {
		t.Fatal(err)
	}
	port.SetReadDeadline(time.Now().Add(2 * time.Second))
	defer port.SetReadDeadline(time.Time{})
	if _, err := io.ReadFull(port, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
}

func TestANetworkPrinterPrintsATicket(t *testing.T) {
	p, s := onTCP(t)
	job := ticket(t, escpos.Paper80)
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	wantJobs(t, s, job)
}

func TestANetworkPrinterRunningOutMidJobFailsIt(t *testing.T) {
	p, s := onTCP(t)
	job := ticket(t, escpos.Paper80)
	s.SetPaperOut(100)
	wantProblem(t, p.Print(context.Background(), job), "out of paper", true)
	s.LoadPaper()
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	wantJobs(t, s, job)
}
