package transport

import (
	"errors"
	"fmt"
	"strings"

	"github.com/admitbox/admit/drivers/profile"
)

// maxUSBDepth is the most hub ports between a root hub and a device: USB
// allows five tiers of hubs below the root, and libusb's port-number list
// (which gousb's DeviceDesc.Path is) holds at most seven.
const maxUSBDepth = 7

// parseUSBPath parses a USB device's physical place as Linux names it in
// /sys/bus/usb/devices: the bus number, a dash, then the port on each hub
// from the root down, dot-separated ("1-2", "3-1.4.2"). Bus and port numbers
// are 1..255 (both are a byte in libusb and neither is ever 0 for a device
// behind a port) and written without leading zeros, so an accepted string is
// exactly the one sysfs shows and two spellings cannot name one place.
//
// It is in every build, not only the usb one, so the config is checked the
// same way whether or not the binary can open the device.
func parseUSBPath(s string) (bus int, path []int, err error) {
	busPart, ports, ok := strings.Cut(s, "-")
	if !ok {
		return 0, nil, fmt.Errorf("usb port %q: want BUS-PORT[.PORT...], such as 1-2 or 3-1.4", s)
	}
	if bus, err = parseUSBNumber(busPart); err != nil {
		return 0, nil, fmt.Errorf("usb port %q: bus: %w", s, err)
	}
	parts := strings.Split(ports, ".")
	if len(parts) > maxUSBDepth {
		return 0, nil, fmt.Errorf("usb port %q: %d hub ports deep; USB allows at most %d", s, len(parts), maxUSBDepth)
	}
	path = make([]int, len(parts))
	for i, part := range parts {
		if path[i], err = parseUSBNumber(part); err != nil {
			return 0, nil, fmt.Errorf("usb port %q: port %d of the path: %w", s, i+1, err)
		}
	}
	return bus, path, nil
}

// parseUSBNumber parses a decimal 1..255 with no sign, space or leading zero
// (strconv.Atoi would take "+1" and "007").
func parseUSBNumber(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing number")
	}
	if len(s) > 3 {
		return 0, fmt.Errorf("%q is not 1..255", s)
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
		n = n*10 + int(c-'0')
	}
	if s[0] == '0' || n > 255 {
		return 0, fmt.Errorf("%q is not 1..255", s)
	}
	return n, nil
}

// usbPlace parses the config's port for a USB profile. Both builds call it
// first, so a malformed port is reported the same way whether or not this
// binary could open the device; the error wraps profile.ErrBadPort, as Fits's
// does for a malformed TCP address.
func usbPlace(p profile.Profile, port string) (bus int, path []int, err error) {
	bus, path, err = parseUSBPath(port)
	if err != nil {
		u := p.Transport.USB
		return 0, nil, fmt.Errorf("transport: profile %s: usb %04x:%04x: %w: %w", name(p), u.VendorID, u.ProductID, err, profile.ErrBadPort)
	}
	return bus, path, nil
}
