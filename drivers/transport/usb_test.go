//go:build usb

package transport

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpeningAUSBDeviceThatIsNotAttachedFails needs libusb but no device:
// it asks for ids and places no real machine has.
func TestOpeningAUSBDeviceThatIsNotAttachedFails(t *testing.T) {
	p := load(t, "printer/epson-tm-t88-80mm.json")
	u := *p.Transport.USB
	u.VendorID, u.ProductID = 0xfffe, 0xfffd // unassigned by the USB-IF
	p.Transport.USB = &u
	// Twice, so a second libusb context after the first one's exit is
	// covered too.
	for _, port := range []string{"255-7.7.7", "1-1.4"} {
		got, err := Open(context.Background(), p, port)
		if errors.Is(err, errLibusbInit) {
			t.Skipf("libusb cannot start on this machine (no /dev/bus/usb?): %v", err)
		}
		if err == nil {
			got.Close()
			t.Fatalf("Open(%s) succeeded on a device that is not attached", port)
		}
		for _, want := range []string{"fffe:fffd", port, name(p)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Open(%s) = %v; want it to name %q", port, err, want)
			}
		}
	}
}

// fakeIn stands in for a gousb IN endpoint: each ReadContext takes one
// packet from packets, or ends with the context, as a cancelled transfer
// does.
type fakeIn struct {
	packets chan []byte
	active  atomic.Int32
}

func (f *fakeIn) ReadContext(ctx context.Context, b []byte) (int, error) {
	f.active.Add(1)
	defer f.active.Add(-1)
	select {
	case p := <-f.packets:
		if len(p) > len(b) {
			return 0, errors.New("overflow")
		}
		return copy(b, p), nil
	case <-ctx.Done():
		return 0, errors.New("transfer was cancelled")
	}
}

// fakeOut records what is written, or blocks until the context ends when
// stuck is set (a printer out of paper that stops taking data).
type fakeOut struct {
	stuck bool
	got   bytes.Buffer
}

func (f *fakeOut) WriteContext(ctx context.Context, b []byte) (int, error) {
	if f.stuck {
		<-ctx.Done()
		return 0, errors.New("transfer was cancelled")
	}
	return f.got.Write(b)
}

// fakePort returns a usbPort over fakes, and a count of releases that
// fails the test if a release comes while a transfer is still running.
func fakePort(t *testing.T, out *fakeOut, in *fakeIn, packet int) (*usbPort, *atomic.Int32) {
	t.Helper()
	var released atomic.Int32
	u := newUSBPort("usb fffe:fffd at 1-2", out, func() error {
		if in != nil && in.active.Load() != 0 {
			t.Error("released while a transfer was running")
		}
		released.Add(1)
		return nil
	})
	if in != nil {
		u.in, u.inPacket = in, packet
	}
	t.Cleanup(func() { u.Close() })
	return u, &released
}

func wantDeadline(t *testing.T, err error) {
	t.Helper()
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read error %v; want a net.Error timeout wrapping os.ErrDeadlineExceeded", err)
	}
}

func TestAUSBReadKeepsWhatAPacketBringsBeyondTheBuffer(t *testing.T) {
	in := &fakeIn{packets: make(chan []byte, 2)}
	u, _ := fakePort(t, &fakeOut{}, in, 64)
	in.packets <- []byte{} // a zero-length packet is not a read
	in.packets <- []byte{0x12, 0x34, 0x56}
	var got []byte
	for len(got) < 3 {
		b := make([]byte, 1)
		n, err := u.Read(b)
		if err != nil || n != 1 {
			t.Fatalf("Read = %d, %v", n, err)
		}
		got = append(got, b...)
	}
	if !bytes.Equal(got, []byte{0x12, 0x34, 0x56}) {
		t.Errorf("read % X, want 12 34 56", got)
	}
}

func TestAUSBReadHonoursItsDeadline(t *testing.T) {
	in := &fakeIn{packets: make(chan []byte)}
	u, _ := fakePort(t, &fakeOut{}, in, 64)

	u.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := u.Read(make([]byte, 1))
	wantDeadline(t, err)

	const wait = 100 * time.Millisecond
	start := time.Now()
	u.SetReadDeadline(start.Add(wait))
	_, err = u.Read(make([]byte, 1))
	wantDeadline(t, err)
	if elapsed := time.Since(start); elapsed < wait || elapsed > wait+2*time.Second {
		t.Errorf("Read ended after %v, want about %v", elapsed, wait)
	}
}

func TestANewDeadlineReachesAUSBReadInProgress(t *testing.T) {
	in := &fakeIn{packets: make(chan []byte)}
	u, _ := fakePort(t, &fakeOut{}, in, 64)
	done := make(chan error, 1)
	go func() {
		_, err := u.Read(make([]byte, 1)) // no deadline yet
		done <- err
	}()
	for in.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	u.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	select {
	case err := <-done:
		wantDeadline(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not notice its new deadline")
	}
}

func TestClosingAUSBPortEndsTransfersThenReleasesOnce(t *testing.T) {
	in := &fakeIn{packets: make(chan []byte)}
	out := &fakeOut{stuck: true}
	u, released := fakePort(t, out, in, 64)
	reads, writes := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := u.Read(make([]byte, 8))
		reads <- err
	}()
	go func() {
		_, err := u.Write([]byte{0x1b, 0x40})
		writes <- err
	}()
	for in.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := u.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for what, ch := range map[string]chan error{"Read": reads, "Write": writes} {
		select {
		case err := <-ch:
			if !errors.Is(err, os.ErrClosed) {
				t.Errorf("%s after Close = %v, want os.ErrClosed", what, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not end at Close", what)
		}
	}
	if err := u.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if _, err := u.Write([]byte{1}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want os.ErrClosed", err)
	}
	if n := released.Load(); n != 1 {
		t.Errorf("released %d times, want once", n)
	}
}

func TestAUSBPortWithoutAnINEndpointWritesButRefusesToRead(t *testing.T) {
	out := &fakeOut{}
	u, _ := fakePort(t, out, nil, 0)
	if n, err := u.Write([]byte("\x1b@hi")); err != nil || n != 4 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if out.got.String() != "\x1b@hi" {
		t.Errorf("device got %q", out.got.String())
	}
	if _, err := u.Read(make([]byte, 1)); !errors.Is(err, errNoInEndpoint) {
		t.Errorf("Read = %v, want errNoInEndpoint", err)
	}
}
