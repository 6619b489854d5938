package render

import (
	"errors"
	"image"
	"runtime"
	"testing"

	"github.com/admitbox/admit/drivers/escpos"
)

// fuzzAllocBound is what one Render may allocate beyond its input: the
// paper at most twice over (it grows by doubling up to Dots×MaxLength) plus
// room for the QR encoder, glyphs and bookkeeping.
func fuzzAllocBound(opts Options, input int) uint64 {
	return uint64(2*opts.Dots*DefaultMaxLength) + 16<<20 + 64*uint64(input)
}

func FuzzRender(f *testing.F) {
	f.Add(ticketJob(f, englishTicket(), escpos.Paper58, false))
	f.Add(ticketJob(f, chineseTicket(), escpos.Paper80, true))
	f.Add([]byte("\x1b@\x1c&\xc6\xb1\x81\x30\x81\x30\n\x1bd\x03\x1dVA\x00"))
	f.Add([]byte("\x1d!\x77WIDE\n\x1b-\x02\x1bE\x01\x1ba\x02x\n"))
	f.Add([]byte("\x1dv0\x03\x02\x00\x02\x00\xf0\x0f\x55\xaa"))
	f.Add([]byte("\x1dh\x10\x1dw\x02\x1dH\x03\x1dk\x49\x08{A\x01{S~{C\x05"))
	f.Add([]byte("\x1d(k\x03\x001C\x04\x1d(k\x03\x001E3\x1d(k\x05\x001P0\x00\xff\x1d(k\x03\x001Q0"))
	// A missing CJK font is an error like any other; load it (if present)
	// before measuring, since the first load reads the whole font file.
	Render([]byte("\x1c&\xc6\xb1\n"), Options{Dots: 384})
	f.Fuzz(func(t *testing.T, job []byte) {
		opts := Options{Dots: 384}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, err := Render(job, opts)
		runtime.ReadMemStats(&after)
		if n, bound := after.TotalAlloc-before.TotalAlloc, fuzzAllocBound(opts, len(job)); n > bound {
			t.Errorf("Render allocated %d bytes, bound %d", n, bound)
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) && (e.Offset < 0 || e.Offset >= len(job)) {
				t.Errorf("error offset %d outside the %d-byte job: %v", e.Offset, len(job), err)
			}
			if img != nil {
				t.Error("an image with an error")
			}
			return
		}
		if b := img.Bounds(); b.Min != (image.Point{}) || b.Dx() != opts.Dots || b.Dy() < 1 || b.Dy() > DefaultMaxLength {
			t.Errorf("image bounds %v", b)
		}
	})
}
