package render

import (
	"image"
	"image/color"

	"github.com/boombuler/barcode/qr"
)

// qrLevels maps the n of GS ( k <Function 169> to the encoder's level.
var qrLevels = map[byte]qr.ErrorCorrectionLevel{48: qr.L, 49: qr.M, 50: qr.Q, 51: qr.H}

// qr prints the stored QR Code (GS ( k <Function 181>): model 2, the stored
// bytes exactly, at the module size and error correction level set. Like a
// printer it picks numeric or alphanumeric mode when every byte allows it,
// else byte mode with the raw bytes (no ECI header).
func (p *printer) qr(off int) error {
	if !p.st.qrStored || len(p.st.qrData) == 0 {
		return errAt(off, ErrMalformed, "QR print (function 181) with no data stored (function 180)")
	}
	code, err := qr.Encode(string(p.st.qrData), qrLevels[p.st.qrLevel], qr.Auto)
	if err != nil {
		return errAt(off, ErrMalformed, "QR data of %d bytes does not fit a version 40 symbol at level %c: %v",
			len(p.st.qrData), "LMQH"[p.st.qrLevel-48], err)
	}
	dim := code.Bounds().Dx()
	size := dim * p.st.qrModule
	if size > p.paper.w {
		return errAt(off, ErrTooWide, "QR symbol of %d modules × %d dots = %d dots on %d-dot paper", dim, p.st.qrModule, size, p.paper.w)
	}
	if err := p.flush(off); err != nil {
		return err
	}
	if err := p.paper.reserve(off, size); err != nil {
		return err
	}
	dark := darkFunc(code)
	x0, y0 := p.alignX(p.st.align, size), p.paper.y
	for my := 0; my < dim; my++ {
		for mx := 0; mx < dim; mx++ {
			if !dark(mx, my) {
				continue
			}
			for dy := 0; dy < p.st.qrModule; dy++ {
				for dx := 0; dx < p.st.qrModule; dx++ {
					p.paper.set(x0+mx*p.st.qrModule+dx, y0+my*p.st.qrModule+dy)
				}
			}
		}
	}
	p.blocks = append(p.blocks, block{"qr", off, image.Rect(x0, y0, x0+size, y0+size)})
	p.paper.y += size
	return nil
}

// darkFunc reads the modules of an encoded symbol (origin at 0, 0).
func darkFunc(img image.Image) func(x, y int) bool {
	if g, ok := img.(interface{ Get(x, y int) bool }); ok {
		return g.Get
	}
	return func(x, y int) bool {
		return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 0x80
	}
}

// code128Patterns are the bar/space patterns of CODE128 symbol values
// 0..106, most significant bit first, 1 = bar: 11 modules each, 13 for the
// stop pattern (106).
var code128Patterns = [107]uint16{
	0x06CC, 0x066C, 0x0666, 0x0498, 0x048C, 0x044C, 0x04C8, 0x04C4,
	0x0464, 0x0648, 0x0644, 0x0624, 0x059C, 0x04DC, 0x04CE, 0x05CC,
	0x04EC, 0x04E6, 0x0672, 0x065C, 0x064E, 0x06E4, 0x0674, 0x076E,
	0x074C, 0x072C, 0x0726, 0x0764, 0x0734, 0x0732, 0x06D8, 0x06C6,
	0x0636, 0x0518, 0x0458, 0x0446, 0x0588, 0x0468, 0x0462, 0x0688,
	0x0628, 0x0622, 0x05B8, 0x058E, 0x046E, 0x05D8, 0x05C6, 0x0476,
	0x0776, 0x068E, 0x062E, 0x06E8, 0x06E2, 0x06EE, 0x0758, 0x0746,
	0x0716, 0x0768, 0x0762, 0x071A, 0x077A, 0x0642, 0x078A, 0x0530,
	0x050C, 0x04B0, 0x0486, 0x042C, 0x0426, 0x0590, 0x0584, 0x04D0,
	0x04C2, 0x0434, 0x0432, 0x0612, 0x0650, 0x07BA, 0x0614, 0x047A,
	0x053C, 0x04BC, 0x049E, 0x05E4, 0x04F4, 0x04F2, 0x07A4, 0x0794,
	0x0792, 0x06DE, 0x06F6, 0x07B6, 0x0578, 0x051E, 0x045E, 0x05E8,
	0x05E2, 0x07A8, 0x07A2, 0x05DE, 0x05EE, 0x075E, 0x07AE, 0x0684,
	0x0690, 0x069C, 0x18EB,
}

// CODE128 special symbol values.
const (
	c128FNC3   = 96
	c128FNC2   = 97
	c128Shift  = 98
	c128CodeC  = 99
	c128CodeB  = 100 // FNC4 in code set B
	c128CodeA  = 101 // FNC4 in code set A
	c128FNC1   = 102
	c128StartA = 103
	c128Stop   = 106
)

// code128Symbols turns the data of GS k 73 into symbol values (start,
// data, check; no stop) and the HRI text. The data begins with a code set
// selection "{A", "{B" or "{C"; later "{A/{B/{C" switch sets, "{S" shifts
// one character between A and B, "{1".."{4" are FNC1..FNC4 and "{{" is a
// literal "{". In code set C each byte is a digit pair value 0..99.
func code128Symbols(data []byte) (vals []int, hri []byte, bad string) {
	if len(data) < 2 || data[0] != '{' || data[1] < 'A' || data[1] > 'C' {
		return nil, nil, "data does not begin with {A, {B or {C"
	}
	set := data[1]
	vals = append(vals, c128StartA+int(set-'A'))
	shift := false
	for i := 2; i < len(data); i++ {
		b := data[i]
		cur := set
		if shift {
			cur = 'A' + 'B' - set
			shift = false
		}
		if b == '{' {
			if i+1 >= len(data) {
				return nil, nil, "data ends with a lone {"
			}
			i++
			e := data[i]
			switch {
			case e >= 'A' && e <= 'C':
				if e == set {
					return nil, nil, "{" + string(e) + " selects the code set already in use"
				}
				vals = append(vals, map[byte]int{'A': c128CodeA, 'B': c128CodeB, 'C': c128CodeC}[e])
				// From code set A, "to B" is 100 and "to C" 99; from B, "to
				// A" is 101; from C, "to A" is 101 and "to B" 100: the same
				// values in every case.
				set = e
				continue
			case e == 'S':
				if set == 'C' {
					return nil, nil, "{S in code set C"
				}
				vals = append(vals, c128Shift)
				shift = true
				continue
			case e == '1':
				vals = append(vals, c128FNC1)
				continue
			case e == '2' || e == '3':
				if cur == 'C' {
					return nil, nil, "{" + string(e) + " in code set C"
				}
				vals = append(vals, map[byte]int{'2': c128FNC2, '3': c128FNC3}[e])
				continue
			case e == '4':
				if cur == 'C' {
					return nil, nil, "{4 in code set C"
				}
				vals = append(vals, map[byte]int{'A': c128CodeA, 'B': c128CodeB}[cur])
				continue
			case e == '{':
				// a literal "{", handled below
			default:
				return nil, nil, "unknown escape {" + string(e)
			}
			b = e
		}
		switch cur {
		case 'A':
			if b > 0x5F {
				return nil, nil, "byte outside code set A"
			}
			if b < 0x20 {
				vals = append(vals, int(b)+64)
				hri = append(hri, ' ')
			} else {
				vals = append(vals, int(b)-32)
				hri = append(hri, b)
			}
		case 'B':
			if b < 0x20 || b > 0x7F {
				return nil, nil, "byte outside code set B"
			}
			vals = append(vals, int(b)-32)
			if b == 0x7F {
				b = ' '
			}
			hri = append(hri, b)
		case 'C':
			if b > 99 {
				return nil, nil, "byte above 99 in code set C"
			}
			vals = append(vals, int(b))
			hri = append(hri, '0'+b/10, '0'+b%10)
		}
	}
	if shift {
		return nil, nil, "data ends after {S"
	}
	sum := vals[0]
	for i, v := range vals[1:] {
		sum += (i + 1) * v
	}
	return append(vals, sum%103), hri, ""
}

// code128 prints GS k 73 data with the GS h / GS w / GS H settings.
func (p *printer) code128(off int, data []byte) error {
	vals, hri, bad := code128Symbols(data)
	if bad != "" {
		return errAt(off, ErrMalformed, "GS k 73: %s", bad)
	}
	mw := p.st.barWidth
	w := (11*len(vals) + 13) * mw
	if w > p.paper.w {
		return errAt(off, ErrTooWide, "CODE128 of %d symbols × %d-dot modules = %d dots on %d-dot paper", len(vals), mw, w, p.paper.w)
	}
	if err := p.flush(off); err != nil {
		return err
	}
	x0 := p.alignX(p.st.align, w)
	if p.st.hri == 1 || p.st.hri == 3 {
		if err := p.hriLine(off, hri, x0, w); err != nil {
			return err
		}
	}
	h := p.st.barHeight
	if err := p.paper.reserve(off, h); err != nil {
		return err
	}
	y0 := p.paper.y
	x := x0
	for _, v := range vals {
		x = p.bars(x, y0, h, mw, uint32(code128Patterns[v]), 11)
	}
	p.bars(x, y0, h, mw, uint32(code128Patterns[c128Stop]), 13)
	p.blocks = append(p.blocks, block{"code128", off, image.Rect(x0, y0, x0+w, y0+h)})
	p.paper.y += h
	if p.st.hri == 2 || p.st.hri == 3 {
		if err := p.hriLine(off, hri, x0, w); err != nil {
			return err
		}
	}
	return nil
}

// bars draws an n-module pattern at x and returns the x after it.
func (p *printer) bars(x, y, h, mw int, pattern uint32, n int) int {
	for m := n - 1; m >= 0; m-- {
		if pattern&(1<<m) != 0 {
			for dy := 0; dy < h; dy++ {
				for dx := 0; dx < mw; dx++ {
					p.paper.set(x+dx, y+dy)
				}
			}
		}
		x += mw
	}
	return x
}

// hriLine prints a bar code's human readable text in font A, centred on
// the bar code at x0..x0+w, as one 24-dot line.
func (p *printer) hriLine(off int, text []byte, x0, w int) error {
	if err := p.paper.reserve(off, cellHeight); err != nil {
		return err
	}
	tw := len(text) * cellWidth
	x := x0 + (w-tw)/2
	if x < 0 || x+tw > p.paper.w {
		x = p.alignX(alignCenter, tw)
	}
	for _, c := range text {
		g := ankFace().glyph(rune(c))
		for gy := 0; gy < cellHeight; gy++ {
			for gx := 0; gx < g.w; gx++ {
				if g.pix[gy*g.w+gx] {
					p.paper.set(x+gx, p.paper.y+gy)
				}
			}
		}
		x += cellWidth
	}
	p.paper.y += cellHeight
	return nil
}
