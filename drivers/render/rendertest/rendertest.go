// Package rendertest reads back what a rendered ticket shows, for tests:
// it decodes a QR code from the pixels, as a scanner at a gate would.
//
// It may import the barcode reader (gozxing) and the standard library (not
// render, whose own tests use it); only tests import it.
package rendertest

import (
	"bytes"
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Crop copies r out of img onto white paper with margin white dots around
// it, the quiet zone a scanner expects.
func Crop(img image.Image, r image.Rectangle, margin int) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, r.Dx()+2*margin, r.Dy()+2*margin))
	for i := range out.Pix {
		out.Pix[i] = 0xFF
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			out.Set(x-r.Min.X+margin, y-r.Min.Y+margin, img.At(x, y))
		}
	}
	return out
}

// DecodeQR decodes the QR symbol that fills r of img and returns its bytes.
func DecodeQR(img image.Image, r image.Rectangle) ([]byte, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(Crop(img, r, max(r.Dx()/8, 8)))
	if err != nil {
		return nil, err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return nil, fmt.Errorf("rendertest: QR region %v does not decode: %w", r, err)
	}
	if segs, ok := res.GetResultMetadata()[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte); ok {
		return bytes.Join(segs, nil), nil
	}
	return []byte(res.GetText()), nil // numeric or alphanumeric mode
}
