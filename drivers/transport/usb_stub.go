//go:build !usb

package transport

import (
	"context"
	"fmt"

	"github.com/admitbox/admit/drivers/profile"
)

// openUSB refuses: USB bulk access needs gousb (cgo and libusb), and only a
// build with the usb tag includes it (in a file that replaces this one). It
// checks the port first, so a config mistake shows up in this build too
// rather than only once the binary is rebuilt with the tag.
func openUSB(_ context.Context, p profile.Profile, port string) (Port, error) {
	if _, _, err := usbPlace(p, port); err != nil {
		return nil, err
	}
	u := p.Transport.USB
	return nil, fmt.Errorf("transport: profile %s: usb %04x:%04x at %s: %w", name(p), u.VendorID, u.ProductID, port, ErrUSBNotBuilt)
}
