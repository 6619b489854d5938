package sim

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/profile"
)

// openSlave opens a simulator's slave as a plain file: the simulator put
// the line in raw mode.
func openSlave(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readN(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTheScannerSendsFramedCodes(t *testing.T) {
	s, err := OpenScannerPTY(profile.Scanner{Framing: profile.Framing{Prefix: []byte{0x02}, Terminator: []byte("\r\n"), MaxLen: 3}})
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer s.Close()
	f := openSlave(t, s.SlavePath())
	if err := s.Send("AB"); err != nil {
		t.Fatal(err)
	}
	if err := s.SendOversized(); err != nil {
		t.Fatal(err)
	}
	if err := s.SendNoise([]byte{0xFF}); err != nil {
		t.Fatal(err)
	}
	want := []byte("\x02AB\r\n\x02AAAA\r\n\xFF")
	if got := readN(t, f, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("read % X, want % X", got, want)
	}
}

func TestTheRFIDReaderSendsGoodAndBadFrames(t *testing.T) {
	cfg := frame.RFIDConfig{Start: 0x02, End: 0x03, Length: true, Checksum: "xor", ChecksumOverLen: true, UIDSizes: []int{4}}
	r, err := OpenRFIDPTY(cfg)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer r.Close()
	f := openSlave(t, r.SlavePath())
	if err := r.Tap([]byte{0xDE, 0xAD, 0xBE, 0xEF}); err != nil {
		t.Fatal(err)
	}
	if err := r.SendBadFrame(); err != nil {
		t.Fatal(err)
	}
	// The bad frame is card 10 11 12 13 with its BCC (04^10^11^12^13 = 04) xor 5A.
	want := []byte{0x02, 0x04, 0xDE, 0xAD, 0xBE, 0xEF, 0x26, 0x03, 0x02, 0x04, 0x10, 0x11, 0x12, 0x13, 0x5E, 0x03}
	if got := readN(t, f, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("read % X, want % X", got, want)
	}
}

func TestTheTurnstileAnswersOpenCommandsWithPassages(t *testing.T) {
	p := profile.Turnstile{
		Commands:  profile.TurnstileCommands{OpenIn: []byte("OI\r"), OpenOut: []byte("OO\r")},
		Responses: profile.TurnstileResponses{PassageIn: []byte("PI\r"), PassageOut: []byte("PO\r"), Alarm: []byte("AL\r")},
	}
	ts, err := OpenTurnstilePTY(p)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ts.Close()
	f := openSlave(t, ts.SlavePath())
	// Split over writes, behind noise.
	for _, w := range []string{"xO", "O\rO", "I\r"} {
		if _, err := f.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	if got := readN(t, f, 6); string(got) != "PO\rPI\r" {
		t.Fatalf("read %q, want PO then PI", got)
	}
	if n := ts.Opens(); n != 2 {
		t.Errorf("Opens = %d, want 2", n)
	}
	// Refusing to turn is tested through the driver, which waits it out.
	if err := ts.Alarm(); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, f, 3); string(got) != "AL\r" {
		t.Fatalf("read %q, want the alarm", got)
	}
}
