//go:build usb

package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/admitbox/admit/drivers/profile"
	"github.com/google/gousb"
)

// errLibusbInit is wrapped by the error openUSB returns when libusb itself
// cannot start, as in a container without /dev/bus/usb: no device could be
// opened, whatever the profile and port.
var errLibusbInit = errors.New("libusb cannot initialise")

// openUSB opens the device at the place port names (see parseUSBPath) and
// claims the profile's interface. The place, not only the vendor and product
// id, picks the device, so two identical printers on one agent each get
// their own slot; the id is then checked so a config that names the wrong
// socket fails at once instead of printing on another device.
//
// Opening is local and does not wait on the device, so ctx (already checked
// by Open) is not consulted further.
func openUSB(_ context.Context, p profile.Profile, port string) (_ Port, err error) {
	bus, path, err := usbPlace(p, port)
	if err != nil {
		return nil, err
	}
	u := p.Transport.USB
	what := fmt.Sprintf("usb %04x:%04x at %s", u.VendorID, u.ProductID, port)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("transport: profile %s: %s: "+format, append([]any{name(p), what}, args...)...)
	}

	uctx, err := newUSBContext()
	if err != nil {
		return nil, fail("%w", err)
	}
	// Each step below is undone, innermost first, if a later one fails:
	// gousb refuses to close a context with an open device, a device with
	// a claimed config, or a config with a claimed interface.
	var (
		dev  *gousb.Device
		cfg  *gousb.Config
		intf *gousb.Interface
	)
	release := func() error {
		var errs []error
		if intf != nil {
			intf.Close()
		}
		if cfg != nil {
			errs = append(errs, cfg.Close())
		}
		if dev != nil {
			errs = append(errs, dev.Close())
		}
		errs = append(errs, uctx.Close())
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			if rerr := release(); rerr != nil {
				err = fmt.Errorf("%w (and releasing it: %v)", err, rerr)
			}
		}
	}()

	dev, err = openUSBAt(uctx, bus, path, gousb.ID(u.VendorID), gousb.ID(u.ProductID))
	if err != nil {
		return nil, fail("%w", err)
	}
	// A USB printer is normally bound to the kernel's usblp driver, which
	// holds the interface; auto-detach lets libusb take it for the life of
	// the claim and hands it back to the kernel on release.
	if err := dev.SetAutoDetach(true); err != nil {
		return nil, fail("enable kernel driver auto-detach: %w", err)
	}
	cfgNum, err := dev.ActiveConfigNum()
	if err != nil {
		return nil, fail("read the active configuration: %w", err)
	}
	if cfgNum == 0 {
		// Unconfigured (the kernel had no driver to pick one): the first
		// configuration is the one every printer-class device has.
		cfgNum = 1
	}
	if cfg, err = dev.Config(cfgNum); err != nil {
		return nil, fail("configuration %d: %w", cfgNum, err)
	}
	if intf, err = cfg.Interface(u.Interface, 0); err != nil {
		return nil, fail("claim interface %d: %w", u.Interface, err)
	}
	// gousb takes endpoint numbers and adds the direction bit itself; the
	// profile holds endpoint addresses (0x01..0x0f out, 0x81..0x8f in).
	out, err := intf.OutEndpoint(int(u.EndpointOut &^ 0x80))
	if err != nil {
		return nil, fail("OUT endpoint 0x%02x: %w", u.EndpointOut, err)
	}
	up := newUSBPort(what, out, release)
	if u.EndpointIn != 0 {
		in, err := intf.InEndpoint(int(u.EndpointIn &^ 0x80))
		if err != nil {
			return nil, fail("IN endpoint 0x%02x: %w", u.EndpointIn, err)
		}
		up.in, up.inPacket = in, in.Desc.MaxPacketSize
	}
	return up, nil
}

// newUSBContext starts libusb. gousb.NewContext panics when libusb_init
// fails (it has no error return); that is an ordinary condition of the host,
// not a bug, so it is turned back into an error here. Nothing is left
// running when it panics: the event goroutine starts only after init.
func newUSBContext() (c *gousb.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("%w: %w", errLibusbInit, e)
			} else {
				err = fmt.Errorf("%w: %v", errLibusbInit, r)
			}
		}
	}()
	return gousb.NewContext(), nil
}

// openUSBAt opens the device at bus and path (its ports from the root hub)
// whose id is vid:pid. Only that device is opened: opening a handle can fail
// for devices this process has no right to, and those are none of its
// business.
func openUSBAt(c *gousb.Context, bus int, path []int, vid, pid gousb.ID) (*gousb.Device, error) {
	var there *gousb.DeviceDesc
	devs, err := c.OpenDevices(func(d *gousb.DeviceDesc) bool {
		if d.Bus != bus || !slices.Equal(d.Path, path) {
			return false
		}
		there = d
		return d.Vendor == vid && d.Product == pid
	})
	// The place is unique, so at most one device is open; close any other
	// rather than leak it should libusb ever report one twice.
	for _, d := range devs[min(1, len(devs)):] {
		d.Close()
	}
	switch {
	case len(devs) > 0:
		// err, if any, is about another device that could not be listed.
		return devs[0], nil
	case there == nil && err != nil:
		return nil, fmt.Errorf("no device found there (listing the bus: %w)", err)
	case there == nil:
		return nil, errors.New("no device there")
	case there.Vendor != vid || there.Product != pid:
		return nil, fmt.Errorf("the device there is %s:%s, not the profile's", there.Vendor, there.Product)
	case err != nil:
		// It was there and matched but would not open: typically
		// permissions (a udev rule is missing) or another process has it.
		return nil, fmt.Errorf("open: %w", err)
	}
	return nil, errors.New("open failed")
}

// bulkOut and bulkIn are the gousb endpoint methods usbPort uses; tests
// give it stand-ins, as there is no device to run them against.
type bulkOut interface {
	WriteContext(ctx context.Context, b []byte) (int, error)
}

type bulkIn interface {
	ReadContext(ctx context.Context, b []byte) (int, error)
}

// errNoInEndpoint is wrapped by Read on a device whose profile has no IN
// endpoint: such a device never answers, so a read could only block.
var errNoInEndpoint = errors.New("the profile has no IN endpoint")

// usbPort is a claimed USB interface. Each Read or Write is one bulk
// transfer, cancelled through a context: by the read deadline, by a new read
// deadline (then the read starts again under it), or by Close.
type usbPort struct {
	name     string // "usb 04b8:0202 at 1-1.4", for errors
	out      bulkOut
	in       bulkIn // nil when the profile has no IN endpoint
	inPacket int    // the IN endpoint's largest packet
	release  func() error

	life     context.Context // cancelled by Close, aborting transfers
	kill     context.CancelFunc
	inFlight sync.WaitGroup // transfers Close waits for before releasing

	// readMu serialises Reads: one IN transfer at a time keeps bytes in
	// order, and guards pending.
	readMu  sync.Mutex
	pending []byte // bytes a transfer brought beyond what Read was asked for

	mu       sync.Mutex
	closed   bool
	deadline time.Time
	moved    chan struct{} // closed (and replaced) when the deadline changes
}

func newUSBPort(name string, out bulkOut, release func() error) *usbPort {
	life, kill := context.WithCancel(context.Background())
	return &usbPort{name: name, out: out, release: release, life: life, kill: kill, moved: make(chan struct{})}
}

// begin registers a transfer, or reports the port closed. Close sets closed
// under mu before it waits, so no transfer is added once it waits.
func (u *usbPort) begin(op string) (deadline time.Time, moved <-chan struct{}, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return time.Time{}, nil, u.pathError(op, os.ErrClosed)
	}
	u.inFlight.Add(1)
	return u.deadline, u.moved, nil
}

func (u *usbPort) pathError(op string, err error) error {
	return &os.PathError{Op: op, Path: u.name, Err: err}
}

// Write sends b as one bulk OUT transfer. A port has no write deadline, so
// a device that stops taking data blocks Write until Close.
func (u *usbPort) Write(b []byte) (int, error) {
	if len(b) == 0 {
		// An empty transfer is a zero-length packet, which means
		// something to a device; writing nothing must not send one.
		return 0, nil
	}
	if _, _, err := u.begin("write"); err != nil {
		return 0, err
	}
	defer u.inFlight.Done()
	n, err := u.out.WriteContext(u.life, b)
	if err != nil {
		if u.life.Err() != nil {
			return n, u.pathError("write", os.ErrClosed)
		}
		return n, fmt.Errorf("transport: write %s: %w", u.name, err)
	}
	return n, nil
}

// Read returns the bytes of one bulk IN transfer, or of what an earlier
// transfer brought beyond what its Read took.
func (u *usbPort) Read(b []byte) (int, error) {
	if u.in == nil {
		return 0, fmt.Errorf("transport: read %s: %w", u.name, errNoInEndpoint)
	}
	if len(b) == 0 {
		return 0, nil
	}
	u.readMu.Lock()
	defer u.readMu.Unlock()
	for {
		deadline, moved, err := u.begin("read")
		if err != nil {
			return 0, err
		}
		if len(u.pending) > 0 {
			u.inFlight.Done()
			n := copy(b, u.pending)
			u.pending = u.pending[n:]
			return n, nil
		}
		n, again, err := u.readOnce(b, deadline, moved)
		u.inFlight.Done()
		if !again {
			return n, err
		}
	}
}

// readOnce runs one IN transfer under deadline. again is true when it
// ended without data because the deadline moved, or because the device sent
// a zero-length packet, so Read tries once more.
func (u *usbPort) readOnce(b []byte, deadline time.Time, moved <-chan struct{}) (n int, again bool, err error) {
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return 0, false, u.pathError("read", os.ErrDeadlineExceeded)
	}
	var (
		ctx    context.Context
		cancel context.CancelFunc
	)
	if deadline.IsZero() {
		ctx, cancel = context.WithCancel(u.life)
	} else {
		ctx, cancel = context.WithDeadline(u.life, deadline)
	}
	defer cancel()
	go func() {
		select {
		case <-moved:
			cancel()
		case <-ctx.Done():
		}
	}()

	// libusb fails a transfer with an overflow (and the packet is lost) when
	// the device sends a packet bigger than the room left, so transfer whole
	// packets and keep what b has no room for.
	buf := b
	if u.inPacket > 0 && len(b)%u.inPacket != 0 {
		buf = make([]byte, (len(b)/u.inPacket+1)*u.inPacket)
	}
	got, err := u.in.ReadContext(ctx, buf)
	if got > 0 {
		// Bytes that arrived count, even when the transfer was then
		// cancelled or failed: the next Read reports a lasting fault.
		n = copy(b, buf[:got])
		if n < got {
			u.pending = append(u.pending[:0], buf[n:got]...)
		}
		return n, false, nil
	}
	switch {
	case err == nil:
		return 0, true, nil // a zero-length packet: keep waiting for a byte
	case ctx.Err() == nil:
		return 0, false, fmt.Errorf("transport: read %s: %w", u.name, err)
	case u.life.Err() != nil:
		return 0, false, u.pathError("read", os.ErrClosed)
	}
	select {
	case <-moved:
		return 0, true, nil
	default:
		return 0, false, u.pathError("read", os.ErrDeadlineExceeded)
	}
}

// SetReadDeadline sets the deadline for Reads, including one in progress,
// whose transfer is cancelled and started again under the new deadline.
func (u *usbPort) SetReadDeadline(t time.Time) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return u.pathError("set deadline", os.ErrClosed)
	}
	u.deadline = t
	close(u.moved)
	u.moved = make(chan struct{})
	return nil
}

// Close aborts transfers in flight, waits for them to end (libusb must not
// be left writing into freed transfers), then releases the interface, the
// configuration, the device and libusb, in that order.
func (u *usbPort) Close() error {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return u.pathError("close", os.ErrClosed)
	}
	u.closed = true
	u.mu.Unlock()
	u.kill()
	u.inFlight.Wait()
	if err := u.release(); err != nil {
		return fmt.Errorf("transport: close %s: %w", u.name, err)
	}
	return nil
}
