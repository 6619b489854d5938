package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/profile"
	"github.com/creack/pty"
)

func load(t *testing.T, name string) profile.Profile {
	t.Helper()
	p, err := profile.Load("../../firmware-profiles/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openPTY opens a serial profile on the slave of a new pseudo-terminal and
// returns the port and the master.
func openPTY(t *testing.T) (Port, *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	port, err := Open(context.Background(), load(t, "printer/generic-gb18030-58mm.json"), slave.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	return port, master
}

func TestASerialPortCarriesBytesBothWaysUnchanged(t *testing.T) {
	port, master := openPTY(t)
	// Bytes a cooked terminal would translate or act on: CR, LF, XON, XOFF,
	// ^C, DEL, and high bytes.
	out := []byte{0x10, 0x04, 0x01, '\r', '\n', 0x11, 0x13, 0x03, 0x7F, 0xD3, 0xB0}
	if _, err := port.Write(out); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(out))
	if _, err := io.ReadFull(master, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(out) {
		t.Errorf("master read % X, want % X", got, out)
	}

	in := []byte{0x12, '\r', 0x72, 0x03, 0x0A}
	if _, err := master.Write(in); err != nil {
		t.Fatal(err)
	}
	port.SetReadDeadline(time.Now().Add(2 * time.Second))
	got = make([]byte, len(in))
	if _, err := io.ReadFull(port, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(in) {
		t.Errorf("port read % X, want % X", got, in)
	}
}

func TestASerialReadEndsAtItsDeadlineWithinATick(t *testing.T) {
	port, _ := openPTY(t)
	const wait = 150 * time.Millisecond
	start := time.Now()
	port.SetReadDeadline(start.Add(wait))
	n, err := port.Read(make([]byte, 1))
	elapsed := time.Since(start)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %d, %v; want 0, a deadline error", n, err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a net.Error timeout", err)
	}
	if elapsed < wait || elapsed > wait+serialTick+200*time.Millisecond {
		t.Errorf("Read returned after %v, want %v plus at most a tick", elapsed, wait)
	}
}

func TestClosingASerialPortEndsARead(t *testing.T) {
	port, _ := openPTY(t)
	done := make(chan error, 1)
	go func() {
		_, err := port.Read(make([]byte, 1))
		done <- err
	}()
	if err := port.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read after Close returned no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after Close")
	}
}

func TestATCPPortReachesTheListenerAndHonoursDeadlines(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	port, err := Open(context.Background(), load(t, "printer/network-escpos-80mm.json"), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	c := <-accepted
	if c == nil {
		t.Fatal("accept failed")
	}
	defer c.Close()
	if _, err := port.Write([]byte{0x10, 0x04, 0x04}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 3)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "\x10\x04\x04" {
		t.Errorf("listener read % X, %v", got, err)
	}
	port.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := port.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline: %v, want a deadline error", err)
	}
}

func TestTCPAddressDefaultsThePrinterPort(t *testing.T) {
	p := load(t, "printer/network-escpos-80mm.json")
	tests := []struct {
		name, profileAddr, port, want string
	}{
		{"a bare host from the config gets the profile's port", ":9100", "10.1.2.3", "10.1.2.3:9100"},
		{"a bare host gets the profile's own port when it is not 9100", ":9101", "10.1.2.3", "10.1.2.3:9101"},
		{"a host and port from the config are used as they are", ":9100", "10.1.2.3:9200", "10.1.2.3:9200"},
		{"an IPv6 host is bracketed", ":9100", "fe80::1", "[fe80::1]:9100"},
		{"no config port takes the profile's address", "printer.lan:9100", "", "printer.lan:9100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := p
			q.Transport.TCP = &profile.TCP{Address: tt.profileAddr}
			got, err := tcpAddress(q, tt.port)
			if err != nil || got != tt.want {
				t.Errorf("tcpAddress(%q, %q) = %q, %v; want %q", tt.profileAddr, tt.port, got, err, tt.want)
			}
		})
	}
}

func TestOpenRefusesWhatItCannotOpen(t *testing.T) {
	serial := load(t, "printer/generic-gb18030-58mm.json")
	rtscts := serial
	s := *serial.Transport.Serial
	s.Flow = "rtscts"
	rtscts.Transport.Serial = &s
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		profile profile.Profile
		port    string
		want    error
	}{
		{"a USB printer without a port", context.Background(), load(t, "printer/epson-tm-t88-80mm.json"), "", profile.ErrNoPort},
		{"a network printer without a host", context.Background(), load(t, "printer/network-escpos-80mm.json"), "", profile.ErrNoPort},
		{"a network printer with a malformed port", context.Background(), load(t, "printer/network-escpos-80mm.json"), "10.1.2.3:http", profile.ErrBadPort},
		{"a network printer with no host in the config", context.Background(), load(t, "printer/network-escpos-80mm.json"), ":9100", profile.ErrNoPort},
		{"a serial line with hardware flow control", context.Background(), rtscts, "/dev/null", ErrUnsupported},
		{"a device that does not exist", context.Background(), serial, "/dev/admit-no-such-tty", os.ErrNotExist},
		{"a cancelled context", cancelled, serial, "", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, err := Open(tt.ctx, tt.profile, tt.port)
			if err == nil {
				port.Close()
				t.Fatalf("Open succeeded, want %v", tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}
