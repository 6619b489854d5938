package escpos

import (
	"image"
)

// QRLevel is a QR Code error correction level, as the n of
// GS ( k <Function 169>.
type QRLevel byte

// QR Code error correction levels (share of the symbol that may be damaged).
const (
	QRLevelL QRLevel = 48 // about 7 %
	QRLevelM QRLevel = 49 // about 15 %
	QRLevelQ QRLevel = 50 // about 25 %
	QRLevelH QRLevel = 51 // about 30 %
)

// qrByteCapacity[v-1][level-48] is how many 8-bit bytes a version v QR Code
// holds at each error correction level (ISO/IEC 18004, byte mode). Byte mode
// is the least dense mode, so it bounds the symbol the printer will draw for
// any data.
var qrByteCapacity = [40][4]int{
	{17, 14, 11, 7}, {32, 26, 20, 14}, {53, 42, 32, 24}, {78, 62, 46, 34},
	{106, 84, 60, 44}, {134, 106, 74, 58}, {154, 122, 86, 64}, {192, 152, 108, 84},
	{230, 180, 130, 98}, {271, 213, 151, 119}, {321, 251, 177, 137}, {367, 287, 203, 155},
	{425, 331, 241, 177}, {458, 362, 258, 194}, {520, 412, 292, 220}, {586, 450, 322, 250},
	{644, 504, 364, 280}, {718, 560, 394, 310}, {792, 624, 442, 338}, {858, 666, 482, 382},
	{929, 711, 509, 403}, {1003, 779, 565, 439}, {1091, 857, 611, 461}, {1171, 911, 661, 511},
	{1273, 997, 715, 535}, {1367, 1059, 751, 593}, {1465, 1125, 805, 625}, {1528, 1190, 868, 658},
	{1628, 1264, 908, 698}, {1732, 1370, 982, 742}, {1840, 1452, 1030, 790}, {1952, 1538, 1112, 842},
	{2068, 1628, 1168, 898}, {2188, 1722, 1228, 958}, {2303, 1809, 1283, 983}, {2431, 1911, 1351, 1051},
	{2563, 1989, 1423, 1093}, {2699, 2099, 1499, 1139}, {2809, 2213, 1579, 1219}, {2953, 2331, 1663, 1273},
}

// qrModules returns the modules per side (17 + 4·version) of the smallest
// QR Code that holds n bytes at level, or 0 if none does.
func qrModules(n int, level QRLevel) int {
	if level < QRLevelL || level > QRLevelH {
		return 0
	}
	for v, c := range qrByteCapacity {
		if n <= c[level-QRLevelL] {
			return 17 + 4*(v+1)
		}
	}
	return 0
}

// QR appends the GS ( k sequence that prints data as a QR Code (cn = 49):
//
//	<Function 165> fn 65: select model 2        1D 28 6B 04 00 31 41 32 00
//	<Function 167> fn 67: module size n dots    1D 28 6B 03 00 31 43 n
//	<Function 169> fn 69: error correction      1D 28 6B 03 00 31 45 level
//	<Function 180> fn 80: store data            1D 28 6B pL pH 31 50 30 d1..dk, pL+pH·256 = k+3
//	<Function 181> fn 81: print the symbol      1D 28 6B 03 00 31 51 30
//
// moduleSize is 1..16 dots; data (sent as its raw bytes) must be non-empty
// and fit a version 40 symbol at level, which the printer would otherwise
// silently not print.
func (j *Job) QR(data string, moduleSize int, level QRLevel) error {
	const cmd = "QR (GS ( k)"
	switch {
	case moduleSize < 1 || moduleSize > 16:
		return j.argErr(cmd, "module size %d outside 1..16", moduleSize)
	case level < QRLevelL || level > QRLevelH:
		return j.argErr(cmd, "error correction level %d outside 48..51", level)
	case len(data) == 0:
		return j.argErr(cmd, "no data")
	case qrModules(len(data), level) == 0:
		return j.argErr(cmd, "%d bytes exceed a version 40 symbol at level %c", len(data), "LMQH"[level-QRLevelL])
	}
	if j.err != nil {
		return j.err
	}
	k := len(data) + 3
	j.buf = append(j.buf,
		gs, '(', 'k', 4, 0, 49, 65, 50, 0, // Function 165: model 2
		gs, '(', 'k', 3, 0, 49, 67, byte(moduleSize), // Function 167: module size
		gs, '(', 'k', 3, 0, 49, 69, byte(level), // Function 169: error correction level
		gs, '(', 'k', byte(k), byte(k>>8), 49, 80, 48, // Function 180: store
	)
	j.buf = append(j.buf, data...)
	j.buf = append(j.buf, gs, '(', 'k', 3, 0, 49, 81, 48) // Function 181: print
	return nil
}

// HRIPosition is where the printer prints a bar code's human readable
// interpretation, as the n of GS H n.
type HRIPosition byte

// HRI positions of GS H n.
const (
	HRINone  HRIPosition = 0
	HRIAbove HRIPosition = 1
	HRIBelow HRIPosition = 2
	HRIBoth  HRIPosition = 3
)

// Barcode holds the bar code settings sent before each bar code.
type Barcode struct {
	Height      int         // bar height in dots, 1..255 (GS h n)
	ModuleWidth int         // narrowest bar in dots, 2..6 (GS w n)
	HRI         HRIPosition // human readable text position (GS H n)
}

// code128Modules returns the width in modules of data as Code128 encodes
// it: start, one 11-module symbol per character (per digit pair in code set
// C), check symbol, and the 13-module stop pattern. Quiet zones excluded.
func code128Modules(data string) int {
	symbols := len(data)
	if code128SetC(data) {
		symbols /= 2
	}
	return 11*(symbols+2) + 13
}

// code128SetC reports whether data is an even number of digits, which code
// set C packs two to a symbol.
func code128SetC(data string) bool {
	if len(data) == 0 || len(data)%2 != 0 {
		return false
	}
	for i := 0; i < len(data); i++ {
		if data[i] < '0' || data[i] > '9' {
			return false
		}
	}
	return true
}

// Code128 appends GS h n (Set bar code height), GS w n (Set bar code width),
// GS H n (Select print position of HRI characters) and GS k m n d1..dn
// (Print bar code) with m = 73, CODE128.
//
// With m = 73 the data must begin with a code set selection character, "{A",
// "{B" or "{C", and a literal "{" is sent as "{{". Code128 picks the set:
//   - "{C" when data is an even number of digits; the bytes that follow are
//     then the pair values 0..99 (so "1234" is sent as 7B 43 0C 22), which
//     halves the bar code's width, so a 20-digit ticket number fits 58 mm paper;
//   - "{B" otherwise, followed by the ASCII bytes of data, which must be
//     printable ASCII (0x20..0x7E).
//
// n, the byte count after the m byte including the two selection bytes, must
// not exceed 255.
func (j *Job) Code128(data string, b Barcode) error {
	const cmd = "Code128 (GS k 73)"
	switch {
	case b.Height < 1 || b.Height > 255:
		return j.argErr(cmd, "height %d dots outside 1..255", b.Height)
	case b.ModuleWidth < 2 || b.ModuleWidth > 6:
		return j.argErr(cmd, "module width %d dots outside 2..6", b.ModuleWidth)
	case b.HRI > HRIBoth:
		return j.argErr(cmd, "HRI position %d outside 0..3", b.HRI)
	case len(data) == 0:
		return j.argErr(cmd, "no data")
	}
	var body []byte
	if code128SetC(data) {
		body = make([]byte, 0, 2+len(data)/2)
		body = append(body, '{', 'C')
		for i := 0; i < len(data); i += 2 {
			body = append(body, (data[i]-'0')*10+data[i+1]-'0')
		}
	} else {
		body = make([]byte, 0, 2+len(data)+4)
		body = append(body, '{', 'B')
		for i := 0; i < len(data); i++ {
			c := data[i]
			if c < 0x20 || c > 0x7E {
				return j.argErr(cmd, "byte %#02x at %d of %q is not printable ASCII (code set B)", c, i, data)
			}
			body = append(body, c)
			if c == '{' {
				body = append(body, '{')
			}
		}
	}
	if len(body) > 255 {
		return j.argErr(cmd, "%q needs %d data bytes, more than 255", data, len(body))
	}
	if j.err != nil {
		return j.err
	}
	j.buf = append(j.buf,
		gs, 'h', byte(b.Height),
		gs, 'w', byte(b.ModuleWidth),
		gs, 'H', byte(b.HRI),
		gs, 'k', 73, byte(len(body)))
	j.buf = append(j.buf, body...)
	return nil
}

// maxRasterHeight is the largest yL + yH·256 the Epson reference allows for
// GS v 0.
const maxRasterHeight = 2303

// Raster appends GS v 0 m xL xH yL yH d1..dk (Print raster bit image) with
// m = 0 (normal size). img is reduced to one bit per pixel: a pixel prints
// black when its luminance, composited over white paper, is below half. Each
// row is padded with white bits to a whole byte (xL + xH·256 = ⌈width/8⌉
// bytes, the leftmost pixel in the most significant bit); yL + yH·256 is the
// height in dots, at most 2303.
func (j *Job) Raster(img image.Image) error {
	const cmd = "Raster (GS v 0)"
	if img == nil {
		return j.argErr(cmd, "no image")
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	switch {
	case w < 1 || h < 1:
		return j.argErr(cmd, "empty image %dx%d", w, h)
	case h > maxRasterHeight:
		return j.argErr(cmd, "height %d dots above %d", h, maxRasterHeight)
	case w > 0xFFFF*8:
		return j.argErr(cmd, "width %d dots too large", w)
	}
	if j.err != nil {
		return j.err
	}
	xb := (w + 7) / 8
	j.buf = append(j.buf, gs, 'v', '0', 0, byte(xb), byte(xb>>8), byte(h), byte(h>>8))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for bx := 0; bx < xb; bx++ {
			var b byte
			for bit := 0; bit < 8; bit++ {
				x := r.Min.X + bx*8 + bit
				if x < r.Max.X && dark(img, x, y) {
					b |= 0x80 >> bit
				}
			}
			j.buf = append(j.buf, b)
		}
	}
	return nil
}

// dark reports whether the pixel at (x, y), laid over white paper, is darker
// than mid-grey. The weights are color.GrayModel's (ITU-R BT.601).
func dark(img image.Image, x, y int) bool {
	r, g, b, a := img.At(x, y).RGBA() // premultiplied, 16 bits
	white := 0xFFFF - a
	r, g, b = r+white, g+white, b+white
	lum := (19595*r + 38470*g + 7471*b + 1<<15) >> 16
	return lum < 0x8000
}
