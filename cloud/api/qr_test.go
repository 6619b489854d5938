package api

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// The shop's ticket QR codes scan back to the ticket's payload.
func TestTicketQRCodesScan(t *testing.T) {
	const payload = "AT1.3100000126120500000011.ABCDEFabcdef-_0123456789"
	b, err := qrPNG(payload)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not scan: %v", err)
	}
	if res.GetText() != payload {
		t.Fatalf("scanned %q", res.GetText())
	}
}
