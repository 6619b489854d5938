package sim

import (
	"bytes"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/escpos"
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	statusReq = func(n byte) []byte { return []byte{0x10, 0x04, n} }
	cutB      = []byte{0x1D, 'V', 66, 0}
	cutA      = []byte{0x1D, 'V', 1}
)

func TestTheStreamIsSplitAtCutsWhateverTheReadBoundaries(t *testing.T) {
	job1 := cat([]byte("\x1b@hello\n"), cutB)
	job2 := cat([]byte("\x1d!\x11big\n\x10\x05"), cutA) // GS ! and DLE ENQ are data
	job3 := cat([]byte("x"), []byte{0x1D, 'V', 0})
	input := cat(statusReq(1), job1, statusReq(4), job2, job3, statusReq(2))
	for _, chunk := range []int{1, 2, 3, len(input)} {
		p := newPrinter()
		var s stream
		var reply []byte
		var cut [][]byte
		for b := input; len(b) > 0; {
			n := min(chunk, len(b))
			r, done := s.feed(p, b[:n])
			reply, cut = append(reply, r...), append(cut, done...)
			b = b[n:]
		}
		if len(cut) != 3 || !bytes.Equal(cut[1], job2) {
			t.Errorf("chunks of %d: feed reported %d cut jobs, want the 3 printed", chunk, len(cut))
		}
		if want := []byte{0x12, 0x12, 0x12}; !bytes.Equal(reply, want) {
			t.Errorf("chunks of %d: replies % X, want % X", chunk, reply, want)
		}
		jobs := p.Jobs()
		if len(jobs) != 3 || !bytes.Equal(jobs[0], job1) || !bytes.Equal(jobs[1], job2) || !bytes.Equal(jobs[2], job3) {
			t.Errorf("chunks of %d: jobs %q, want %q, %q, %q", chunk, jobs, job1, job2, job3)
		}
	}
}

func TestStatusBytesDecodeToWhatThePrinterIsDoing(t *testing.T) {
	tests := []struct {
		name        string
		set         func(p *Printer)
		wantProblem string
		wantOnline  bool
	}{
		{"a ready printer", func(p *Printer) {}, "", true},
		{"out of paper", func(p *Printer) { p.SetPaperOut(0) }, "out of paper", false},
		{"cover open", func(p *Printer) { p.SetCoverOpen(true) }, "cover open", false},
		{"paper loaded again", func(p *Printer) { p.SetPaperOut(0); p.LoadPaper() }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPrinter()
			tt.set(p)
			var s stream
			var st escpos.Status
			for n := byte(1); n <= 4; n++ {
				reply, _ := s.feed(p, statusReq(n))
				if len(reply) != 1 {
					t.Fatalf("DLE EOT %d: %d bytes back, want 1", n, len(reply))
				}
				got, err := escpos.ParseStatus(n, reply[0])
				if err != nil {
					t.Fatalf("DLE EOT %d: %v", n, err)
				}
				st = st.Merge(got)
			}
			if st.Problem() != tt.wantProblem || st.Online != tt.wantOnline {
				t.Errorf("status %+v: problem %q online %v, want %q %v", st, st.Problem(), st.Online, tt.wantProblem, tt.wantOnline)
			}
		})
	}
}

func TestPaperRunsOutAfterTheBytesItWasGiven(t *testing.T) {
	p := newPrinter()
	var s stream
	p.SetPaperOut(3)
	s.feed(p, []byte("abcdef"))
	s.feed(p, cutB)
	if jobs := p.Jobs(); len(jobs) != 0 {
		t.Fatalf("jobs %q, want none: the cut came after paper end", jobs)
	}
	if reply, _ := s.feed(p, statusReq(4)); !bytes.Equal(reply, []byte{0x72}) {
		t.Errorf("paper sensor % X, want 72 (paper end)", reply)
	}
	p.LoadPaper()
	if torn := p.Torn(); len(torn) != 1 || string(torn[0]) != "abc" {
		t.Errorf("torn %q, want [abc]", torn)
	}
	s.feed(p, cat([]byte("abcdef"), cutB))
	if jobs := p.Jobs(); len(jobs) != 1 || !bytes.Equal(jobs[0], cat([]byte("abcdef"), cutB)) {
		t.Errorf("jobs after loading paper %q", jobs)
	}
}

func TestASilentPrinterAnswersNothingButPrints(t *testing.T) {
	p := newPrinter()
	p.SetSilent(true)
	var s stream
	if reply, _ := s.feed(p, cat(statusReq(1), []byte("a"), cutB)); len(reply) != 0 {
		t.Errorf("silent printer answered % X", reply)
	}
	if len(p.Jobs()) != 1 {
		t.Error("silent printer did not print")
	}
}

func TestAPTYPrinterAnswersOnTheSlave(t *testing.T) {
	p, err := OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer p.Close()
	if p.Addr() != "" {
		t.Errorf("Addr = %q for a pty printer", p.Addr())
	}
	// Opened as a plain file: the simulator put the line in raw mode.
	f, err := os.OpenFile(p.SlavePath(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(cat([]byte("hi\r\n"), cutB, statusReq(4))); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(f, b); err != nil || b[0] != 0x12 {
		t.Fatalf("answer % X, %v; want 12", b, err)
	}
	if jobs := p.Jobs(); len(jobs) != 1 || !bytes.Equal(jobs[0], cat([]byte("hi\r\n"), cutB)) {
		t.Errorf("jobs %q", jobs)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestATCPPrinterAnswersEachConnection(t *testing.T) {
	p, err := ListenTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.SlavePath() != "" {
		t.Errorf("SlavePath = %q for a network printer", p.SlavePath())
	}
	for i := range 2 {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(cat([]byte("job"), cutB, statusReq(1))); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil || b[0] != 0x12 {
			t.Fatalf("connection %d: answer % X, %v", i, b, err)
		}
		c.Close()
	}
	if n := len(p.Jobs()); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
	// Close with a connection still open ends it.
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(statusReq(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// A slow job handler (the demo renders each job to a PNG) does not hold
// up the port: the status request after a cut is answered while the
// handler is still busy with that job, the handler gets every job in
// order, and Close returns only when it has.
func TestASlowJobHandlerDoesNotHoldUpTheStatusAnswer(t *testing.T) {
	p, err := ListenTCP()
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var got [][]byte // written by the handler, read after Close
	p.OnJob(func(job []byte) {
		<-release
		got = append(got, job)
	})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, job := range []string{"one", "two"} {
		if _, err := c.Write(cat([]byte(job), cutB, statusReq(1))); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil || b[0] != 0x12 {
			t.Fatalf("job %s: answer % X, %v while the handler is busy", job, b, err)
		}
	}
	close(release)
	c.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.HasPrefix(got[0], []byte("one")) || !bytes.HasPrefix(got[1], []byte("two")) {
		t.Errorf("handler got %q, want the jobs one and two in order", got)
	}
}
