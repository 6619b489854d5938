//go:build !usb

package transport

import (
	"context"
	"errors"
	"testing"
)

func TestOpenRefusesAUSBProfileWithoutTheUSBTag(t *testing.T) {
	port, err := Open(context.Background(), load(t, "printer/epson-tm-t88-80mm.json"), "1-1.4")
	if err == nil {
		port.Close()
		t.Fatal("Open succeeded in a build without the usb tag")
	}
	if !errors.Is(err, ErrUSBNotBuilt) {
		t.Errorf("Open = %v, want %v", err, ErrUSBNotBuilt)
	}
}
