//go:build !usb

package transport

import (
	"context"
	"fmt"

	"github.com/admitbox/admit/drivers/profile"
)

// openUSB refuses: USB bulk access needs gousb (cgo and libusb), and only a
// build with the usb tag includes it (in a file that replaces this one).
func openUSB(_ context.Context, p profile.Profile, port string) (Port, error) {
	u := p.Transport.USB
	return nil, fmt.Errorf("transport: profile %s: usb %04x:%04x at %s: %w", name(p), u.VendorID, u.ProductID, port, ErrUSBNotBuilt)
}
