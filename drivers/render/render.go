// Package render draws an ESC/POS job (as drivers/escpos builds it) the way
// a thermal printer prints it, so a ticket can be previewed or checked
// without a printer: black dots on white paper of a given width in dots,
// font A text (12×24 dots a single-byte character, 24×24 a Chinese one),
// QR codes, CODE128 bar codes, raster images and cuts.
//
// It knows exactly the commands drivers/escpos emits (ESC @, ESC t, FS &,
// FS ., GS !, ESC E, ESC -, ESC a, ESC d, LF, GS ( k QR functions 165, 167,
// 169, 180 and 181, GS h, GS w, GS H, GS k 73, GS v 0 and GS V). Any other
// byte sequence, a malformed argument or a stream cut short is an *Error
// that names the byte offset, rather than a guess.
//
// ASCII and code-table text is drawn with Go Mono, which is compiled in;
// Chinese text needs a CJK font file (see Options.FontPath). The package
// reads that file at most once per path and never downloads anything.
package render

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Options describe the paper and fonts a job is rendered with.
type Options struct {
	// Dots is the printable width in dots: 384 for 58 mm paper, 576 for
	// 80 mm (escpos.Paper.DotsPerLine). Required, 32..4096.
	Dots int

	// FontPath is the CJK font (.ttc, .otf or .ttf) for Chinese text. Empty
	// means the ADMIT_CJK_FONT environment variable, or if that is empty
	// DefaultCJKFont (Debian package fonts-noto-cjk). It is read only when
	// the job prints a Chinese character.
	FontPath string

	// MaxLength caps the paper length in dots; a job that would print
	// longer fails with ErrTooLong. Zero means DefaultMaxLength.
	MaxLength int
}

// DefaultMaxLength is the paper length limit, in dots, when
// Options.MaxLength is zero: 20,000 dots is about 2.5 m at 203 dpi.
const DefaultMaxLength = 20000

const (
	minDots = 32
	maxDots = 4096
)

// Errors wrapped by *Error.
var (
	ErrTruncated      = errors.New("stream ends inside a command or character")
	ErrUnknownCommand = errors.New("unknown command")
	ErrMalformed      = errors.New("malformed command")
	ErrTooLong        = errors.New("paper longer than the length limit")
	ErrTooWide        = errors.New("wider than the paper")
)

// Error is a job Render cannot print. Offset is the byte offset in the job
// of the command or character at fault. Err wraps one of ErrTruncated,
// ErrUnknownCommand, ErrMalformed, ErrTooLong, ErrTooWide or ErrNoCJKFont.
type Error struct {
	Offset int
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("render: byte offset %d: %v", e.Offset, e.Err) }

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

func errAt(off int, kind error, format string, args ...any) *Error {
	return &Error{Offset: off, Err: fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), kind)}
}

// PNG renders job (see Render) and writes it to w as a 1-bit PNG.
func PNG(w io.Writer, job []byte, opts Options) error {
	img, err := Render(job, opts)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

// Render prints job onto paper opts.Dots wide and returns the paper, from
// the first dot line to the last one the job fed, as an *image.Paletted
// with two colours (index 0 white, 1 black). An empty job yields a one-line
// blank image.
//
// The print model follows the Epson reference: characters collect in a line
// buffer (wrapping to a new line when the next one would not fit) and print
// on LF or ESC d, bottom-aligned, with the justification in effect when the
// line began; a line is 24 dots times the tallest character's height
// magnification; ESC d n then feeds n-1 further 24-dot lines (n lines when
// nothing was pending). QR codes, bar codes and raster images print any
// pending text first, then at the current justification, and leave the
// paper at the start of the next line. A cut is drawn as a dashed line.
func Render(job []byte, opts Options) (image.Image, error) {
	p, err := render(job, opts)
	if err != nil {
		return nil, err
	}
	return p.image(), nil
}

// Page is what a job printed: the paper, and each line of text and each
// symbol with where it lies on it, so that a test (or a screen reader) can
// tell what a person would read on the ticket without guessing at pixels.
type Page struct {
	Image   *image.Paletted // as Render returns it
	Lines   []Line          // text lines, top to bottom
	Symbols []Symbol        // QR codes, bar codes, images and cuts, top to bottom
}

// Line is one printed line of text: its characters, decoded from the job's
// code page or GB18030, and the dots it covers.
type Line struct {
	Text string
	Rect image.Rectangle
}

// Symbol is a QR code ("qr"), a bar code ("code128"), a raster image
// ("raster") or a cut ("cut") and the dots it covers.
type Symbol struct {
	Kind string
	Rect image.Rectangle
}

// RenderPage renders job as Render does and also reports what it printed
// where.
func RenderPage(job []byte, opts Options) (Page, error) {
	p, err := render(job, opts)
	if err != nil {
		return Page{}, err
	}
	pg := Page{Image: p.image(), Lines: p.lines}
	for _, b := range p.blocks {
		pg.Symbols = append(pg.Symbols, Symbol{Kind: b.kind, Rect: b.rect})
	}
	return pg, nil
}

// LineWith returns the first printed line holding sub.
func (pg Page) LineWith(sub string) (Line, bool) {
	for _, l := range pg.Lines {
		if strings.Contains(l.Text, sub) {
			return l, true
		}
	}
	return Line{}, false
}

// SymbolsOf returns the symbols of kind, top to bottom.
func (pg Page) SymbolsOf(kind string) []Symbol {
	var out []Symbol
	for _, s := range pg.Symbols {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// Justification values (the n of ESC a).
const (
	alignLeft = iota
	alignCenter
	alignRight
)

// codePages are the ESC t tables drivers/escpos can encode.
var codePages = map[byte]*charmap.Charmap{
	0:  charmap.CodePage437,
	2:  charmap.CodePage850,
	3:  charmap.CodePage860,
	4:  charmap.CodePage863,
	5:  charmap.CodePage865,
	16: charmap.Windows1252,
	17: charmap.CodePage866,
	18: charmap.CodePage852,
	19: charmap.CodePage858,
}

// state is the printer's mode, as ESC @ leaves it at power-on.
type state struct {
	wm, hm    int // GS ! magnifications
	bold      bool
	underline int // 0, 1 or 2 dots
	align     int
	chinese   bool
	codePage  byte

	qrModule int
	qrLevel  byte
	qrData   []byte
	qrStored bool

	barHeight, barWidth int
	hri                 byte
}

func initialState() state {
	return state{wm: 1, hm: 1, qrModule: 3, qrLevel: 48, barHeight: 162, barWidth: 3}
}

// cell is one character in the line buffer.
type cell struct {
	r         rune
	g         *glyph
	wm, hm    int
	bold      bool
	underline int
}

// block records where a symbol or image was printed (for tests).
type block struct {
	kind   string // "qr", "code128", "raster", "cut"
	offset int
	rect   image.Rectangle
}

type printer struct {
	opts   Options
	paper  paper
	st     state
	line   []cell
	lineW  int
	lineAl int
	blocks []block
	lines  []Line
	gb     *encoding.Decoder
	cjk    *typeface
}

func render(job []byte, opts Options) (*printer, error) {
	if opts.Dots < minDots || opts.Dots > maxDots {
		return nil, fmt.Errorf("render: Options.Dots %d outside %d..%d (384 for 58 mm paper, 576 for 80 mm)", opts.Dots, minDots, maxDots)
	}
	maxLen := opts.MaxLength
	if maxLen == 0 {
		maxLen = DefaultMaxLength
	}
	if maxLen < 1 {
		return nil, fmt.Errorf("render: Options.MaxLength %d is negative", opts.MaxLength)
	}
	p := &printer{opts: opts, paper: paper{w: opts.Dots, max: maxLen}, st: initialState()}
	if err := p.run(job); err != nil {
		return nil, err
	}
	if len(p.line) > 0 { // text without a final LF stays in the buffer, unprinted
		p.line = p.line[:0]
	}
	return p, nil
}

func (p *printer) run(job []byte) error {
	for i := 0; i < len(job); {
		b := job[i]
		need := func(n int, cmd string) error {
			if len(job)-i < n {
				return errAt(i, ErrTruncated, "%s needs %d bytes, %d left", cmd, n, len(job)-i)
			}
			return nil
		}
		switch {
		case b >= 0x20 && b < 0x7F:
			if err := p.addChar(i, rune(b), ankFace().glyph(rune(b))); err != nil {
				return err
			}
			i++
		case b >= 0x80 && !p.st.chinese:
			r := codePages[p.st.codePage].DecodeByte(b)
			if err := p.addChar(i, r, ankFace().glyph(r)); err != nil {
				return err
			}
			i++
		case b >= 0x80:
			n, err := p.chineseChar(job, i)
			if err != nil {
				return err
			}
			i += n
		case b == 0x0A: // LF
			if err := p.printLine(i); err != nil {
				return err
			}
			i++
		case b == 0x1B: // ESC
			if err := need(2, "ESC"); err != nil {
				return err
			}
			n, err := p.esc(job, i, need)
			if err != nil {
				return err
			}
			i += n
		case b == 0x1C: // FS
			if err := need(2, "FS"); err != nil {
				return err
			}
			switch job[i+1] {
			case '&':
				p.st.chinese = true
			case '.':
				p.st.chinese = false
			default:
				return errAt(i, ErrUnknownCommand, "FS %#02x", job[i+1])
			}
			i += 2
		case b == 0x1D: // GS
			if err := need(2, "GS"); err != nil {
				return err
			}
			n, err := p.gs(job, i, need)
			if err != nil {
				return err
			}
			i += n
		default:
			return errAt(i, ErrUnknownCommand, "control byte %#02x", b)
		}
	}
	return nil
}

// esc handles ESC x at job[i] and returns its length.
func (p *printer) esc(job []byte, i int, need func(int, string) error) (int, error) {
	c := job[i+1]
	if c == '@' {
		p.st = initialState()
		p.line, p.lineW = p.line[:0], 0 // ESC @ clears the print buffer
		return 2, nil
	}
	var name string
	switch c {
	case 't':
		name = "ESC t"
	case 'E':
		name = "ESC E"
	case '-':
		name = "ESC -"
	case 'a':
		name = "ESC a"
	case 'd':
		name = "ESC d"
	default:
		return 0, errAt(i, ErrUnknownCommand, "ESC %#02x", c)
	}
	if err := need(3, name); err != nil {
		return 0, err
	}
	n := job[i+2]
	switch c {
	case 't':
		if _, ok := codePages[n]; !ok {
			return 0, errAt(i, ErrMalformed, "ESC t %d: character code table not supported", n)
		}
		p.st.codePage = n
	case 'E':
		p.st.bold = n&1 == 1 // only the LSB counts
	case '-':
		v, ok := digit012(n, 2)
		if !ok {
			return 0, errAt(i, ErrMalformed, "ESC - %d: underline mode outside 0..2", n)
		}
		p.st.underline = v
	case 'a':
		v, ok := digit012(n, 2)
		if !ok {
			return 0, errAt(i, ErrMalformed, "ESC a %d: justification outside 0..2", n)
		}
		p.st.align = v
	case 'd':
		lines := int(n)
		if len(p.line) > 0 {
			if err := p.printLine(i); err != nil {
				return 0, err
			}
			lines = max(lines-1, 0)
		}
		if err := p.feed(i, lines*lineHeight); err != nil {
			return 0, err
		}
	}
	return 3, nil
}

// digit012 accepts n = 0..hi or '0'..'0'+hi, as ESC/POS does for mode bytes.
func digit012(n byte, hi byte) (int, bool) {
	switch {
	case n <= hi:
		return int(n), true
	case n >= '0' && n <= '0'+hi:
		return int(n - '0'), true
	}
	return 0, false
}

// gs handles GS x at job[i] and returns its length.
func (p *printer) gs(job []byte, i int, need func(int, string) error) (int, error) {
	c := job[i+1]
	switch c {
	case '!', 'h', 'w', 'H':
		if err := need(3, fmt.Sprintf("GS %c", c)); err != nil {
			return 0, err
		}
		n := job[i+2]
		switch c {
		case '!':
			if n&0x88 != 0 {
				return 0, errAt(i, ErrMalformed, "GS ! %#02x: magnification outside 1..8", n)
			}
			p.st.wm, p.st.hm = int(n>>4)+1, int(n&7)+1
		case 'h':
			if n == 0 {
				return 0, errAt(i, ErrMalformed, "GS h 0: bar code height outside 1..255")
			}
			p.st.barHeight = int(n)
		case 'w':
			if n < 1 || n > 6 {
				return 0, errAt(i, ErrMalformed, "GS w %d: bar code module width outside 1..6", n)
			}
			p.st.barWidth = int(n)
		case 'H':
			v, ok := digit012(n, 3)
			if !ok {
				return 0, errAt(i, ErrMalformed, "GS H %d: HRI position outside 0..3", n)
			}
			p.st.hri = byte(v)
		}
		return 3, nil
	case '(':
		return p.gsParenK(job, i, need)
	case 'k':
		if err := need(4, "GS k"); err != nil {
			return 0, err
		}
		if job[i+2] != 73 {
			return 0, errAt(i, ErrUnknownCommand, "GS k %d: only bar code system 73 (CODE128) is known", job[i+2])
		}
		n := int(job[i+3])
		if err := need(4+n, "GS k 73"); err != nil {
			return 0, err
		}
		if err := p.code128(i, job[i+4:i+4+n]); err != nil {
			return 0, err
		}
		return 4 + n, nil
	case 'v':
		return p.raster(job, i, need)
	case 'V':
		if err := need(3, "GS V"); err != nil {
			return 0, err
		}
		switch m := job[i+2]; m {
		case 0, 1, '0', '1': // function A
			return 3, p.cut(i, 0)
		case 65, 66: // function B: feed n, then cut
			if err := need(4, "GS V"); err != nil {
				return 0, err
			}
			return 4, p.cut(i, int(job[i+3]))
		default:
			return 0, errAt(i, ErrMalformed, "GS V %d: cut mode is not 0, 1, 48, 49, 65 or 66", m)
		}
	}
	return 0, errAt(i, ErrUnknownCommand, "GS %#02x", c)
}

// gsParenK handles GS ( k pL pH cn fn [parameters] with cn = 49 (QR Code).
func (p *printer) gsParenK(job []byte, i int, need func(int, string) error) (int, error) {
	if err := need(3, "GS ("); err != nil {
		return 0, err
	}
	if job[i+2] != 'k' {
		return 0, errAt(i, ErrUnknownCommand, "GS ( %#02x", job[i+2])
	}
	if err := need(5, "GS ( k"); err != nil {
		return 0, err
	}
	l := int(job[i+3]) | int(job[i+4])<<8
	if err := need(5+l, "GS ( k"); err != nil {
		return 0, err
	}
	body := job[i+5 : i+5+l]
	if l < 2 {
		return 0, errAt(i, ErrMalformed, "GS ( k with %d parameter bytes", l)
	}
	if body[0] != 49 {
		return 0, errAt(i, ErrUnknownCommand, "GS ( k symbol type cn=%d (only 49, QR Code, is known)", body[0])
	}
	fn := body[1]
	bad := func(format string, args ...any) (int, error) {
		return 0, errAt(i, ErrMalformed, "GS ( k QR function %d: %s", int(fn)+100, fmt.Sprintf(format, args...))
	}
	switch fn {
	case 65: // Function 165: select model
		if l != 4 || body[3] != 0 {
			return bad("want pL pH = 4 0 and n2 = 0")
		}
		if body[2] != 50 {
			return bad("model n1=%d, only 50 (model 2) is supported", body[2])
		}
	case 67: // Function 167: module size
		if l != 3 || body[2] < 1 || body[2] > 16 {
			return bad("want pL pH = 3 0 and module size 1..16")
		}
		p.st.qrModule = int(body[2])
	case 69: // Function 169: error correction level
		if l != 3 || body[2] < 48 || body[2] > 51 {
			return bad("want pL pH = 3 0 and level 48..51")
		}
		p.st.qrLevel = body[2]
	case 80: // Function 180: store data
		if l < 3 || body[2] != 48 {
			return bad("want m = 48")
		}
		p.st.qrData, p.st.qrStored = body[3:], true
	case 81: // Function 181: print
		if l != 3 || body[2] != 48 {
			return bad("want pL pH = 3 0 and m = 48")
		}
		if err := p.qr(i); err != nil {
			return 0, err
		}
	default:
		return 0, errAt(i, ErrUnknownCommand, "GS ( k QR function fn=%d", fn)
	}
	return 5 + l, nil
}

// chineseChar decodes the GB18030 character at job[i] (Chinese mode) and
// adds it to the line; it returns the bytes consumed.
func (p *printer) chineseChar(job []byte, i int) (int, error) {
	lead := job[i]
	if lead < 0x81 || lead > 0xFE {
		return 0, errAt(i, ErrMalformed, "byte %#02x cannot start a GB18030 character", lead)
	}
	if len(job)-i < 2 {
		return 0, errAt(i, ErrTruncated, "GB18030 character cut short")
	}
	n := 2
	b2 := job[i+1]
	switch {
	case b2 >= 0x30 && b2 <= 0x39:
		n = 4
		if len(job)-i < 4 {
			return 0, errAt(i, ErrTruncated, "4-byte GB18030 character cut short")
		}
		if b3, b4 := job[i+2], job[i+3]; b3 < 0x81 || b3 > 0xFE || b4 < 0x30 || b4 > 0x39 {
			return 0, errAt(i, ErrMalformed, "% x is not a GB18030 character", job[i:i+4])
		}
	case b2 >= 0x40 && b2 <= 0xFE && b2 != 0x7F:
	default:
		return 0, errAt(i, ErrMalformed, "% x is not a GB18030 character", job[i:i+2])
	}
	if p.gb == nil {
		p.gb = simplifiedchinese.GB18030.NewDecoder()
	}
	var out [8]byte
	nDst, _, err := p.gb.Transform(out[:], job[i:i+n], true)
	r, size := utf8.DecodeRune(out[:nDst])
	if err != nil || size != nDst || r == utf8.RuneError {
		return 0, errAt(i, ErrMalformed, "% x is not a GB18030 character", job[i:i+n])
	}
	if p.cjk == nil {
		t, err := cjkFace(cjkFontPath(p.opts))
		if err != nil {
			return 0, &Error{Offset: i, Err: fmt.Errorf("no font for the Chinese character %q: %w", r, err)}
		}
		p.cjk = t
	}
	g := p.cjk.glyph(r)
	if !p.cjk.has(r) && ankFace().has(r) {
		// A character the CJK font lacks but Go Mono has (rare): draw it
		// in the 24-dot cell all the same.
		g = widen(ankFace().glyph(r))
	}
	return n, p.addChar(i, r, g)
}

// widen centres a 12-dot glyph in a 24-dot cell.
func widen(g *glyph) *glyph {
	w := &glyph{w: cjkCellWidth, pix: make([]bool, cjkCellWidth*cellHeight)}
	off := (cjkCellWidth - g.w) / 2
	for y := 0; y < cellHeight; y++ {
		copy(w.pix[y*w.w+off:y*w.w+off+g.w], g.pix[y*g.w:(y+1)*g.w])
	}
	return w
}

// addChar puts g in the line buffer, printing the line first if g would
// not fit across the paper.
func (p *printer) addChar(off int, r rune, g *glyph) error {
	w := g.w * p.st.wm
	if len(p.line) > 0 && p.lineW+w > p.paper.w {
		if err := p.printLine(off); err != nil {
			return err
		}
	}
	if len(p.line) == 0 {
		p.lineAl = p.st.align
	}
	p.line = append(p.line, cell{r: r, g: g, wm: p.st.wm, hm: p.st.hm, bold: p.st.bold, underline: p.st.underline})
	p.lineW += w
	return nil
}

// printLine prints the line buffer and feeds one line; with nothing in
// the buffer it feeds one 24-dot line.
func (p *printer) printLine(off int) error {
	if len(p.line) == 0 {
		return p.feed(off, lineHeight)
	}
	h := 0
	for _, c := range p.line {
		h = max(h, cellHeight*c.hm)
	}
	if err := p.paper.reserve(off, h); err != nil {
		return err
	}
	x := p.alignX(p.lineAl, p.lineW)
	top := p.paper.y
	text := make([]rune, 0, len(p.line))
	for _, c := range p.line {
		text = append(text, c.r)
	}
	p.lines = append(p.lines, Line{Text: string(text), Rect: image.Rect(x, top, x+p.lineW, top+h)})
	for _, c := range p.line {
		cw, ch := c.g.w*c.wm, cellHeight*c.hm
		y0 := top + h - ch // bottom-aligned
		for gy := 0; gy < cellHeight; gy++ {
			for gx := 0; gx < c.g.w; gx++ {
				if !c.g.pix[gy*c.g.w+gx] {
					continue
				}
				for dy := 0; dy < c.hm; dy++ {
					for dx := 0; dx < c.wm; dx++ {
						px, py := x+gx*c.wm+dx, y0+gy*c.hm+dy
						p.paper.set(px, py)
						if c.bold {
							p.paper.set(px+1, py)
						}
					}
				}
			}
		}
		for u := 0; u < c.underline; u++ {
			for dx := 0; dx < cw; dx++ {
				p.paper.set(x+dx, top+h-1-u)
			}
		}
		x += cw
	}
	p.paper.y += h
	p.line, p.lineW = p.line[:0], 0
	return nil
}

// flush prints pending text before a symbol, image or cut.
func (p *printer) flush(off int) error {
	if len(p.line) == 0 {
		return nil
	}
	return p.printLine(off)
}

func (p *printer) feed(off, dots int) error {
	if err := p.paper.reserve(off, dots); err != nil {
		return err
	}
	p.paper.y += dots
	return nil
}

// alignX is the left edge of something w dots wide at justification a.
func (p *printer) alignX(a, w int) int {
	switch a {
	case alignCenter:
		return max(0, (p.paper.w-w)/2)
	case alignRight:
		return max(0, p.paper.w-w)
	}
	return 0
}

// raster handles GS v 0 m xL xH yL yH d1..dk.
func (p *printer) raster(job []byte, i int, need func(int, string) error) (int, error) {
	if err := need(3, "GS v"); err != nil {
		return 0, err
	}
	if job[i+2] != '0' {
		return 0, errAt(i, ErrUnknownCommand, "GS v %#02x", job[i+2])
	}
	if err := need(8, "GS v 0"); err != nil {
		return 0, err
	}
	m, ok := digit012(job[i+3], 3)
	if !ok {
		return 0, errAt(i, ErrMalformed, "GS v 0 mode %d outside 0..3", job[i+3])
	}
	sx, sy := 1+m&1, 1+m>>1 // 1: double width, 2: double height, 3: both
	xb := int(job[i+4]) | int(job[i+5])<<8
	h := int(job[i+6]) | int(job[i+7])<<8
	if xb == 0 || h == 0 {
		return 0, errAt(i, ErrMalformed, "GS v 0 image of %d bytes × %d dots", xb, h)
	}
	k := xb * h
	if err := need(8+k, "GS v 0"); err != nil {
		return 0, err
	}
	w := xb * 8 * sx
	if w > p.paper.w {
		return 0, errAt(i, ErrTooWide, "GS v 0 image %d dots wide on %d-dot paper", w, p.paper.w)
	}
	if err := p.flush(i); err != nil {
		return 0, err
	}
	if err := p.paper.reserve(i, h*sy); err != nil {
		return 0, err
	}
	x0, y0 := p.alignX(p.st.align, w), p.paper.y
	data := job[i+8 : i+8+k]
	for y := 0; y < h; y++ {
		for bx := 0; bx < xb; bx++ {
			b := data[y*xb+bx]
			for bit := 0; bit < 8 && b != 0; bit++ {
				if b&(0x80>>bit) == 0 {
					continue
				}
				for dy := 0; dy < sy; dy++ {
					for dx := 0; dx < sx; dx++ {
						p.paper.set(x0+(bx*8+bit)*sx+dx, y0+y*sy+dy)
					}
				}
			}
		}
	}
	p.blocks = append(p.blocks, block{"raster", i, image.Rect(x0, y0, x0+w, y0+h*sy)})
	p.paper.y += h * sy
	return 8 + k, nil
}

// Cut drawing: gap, dashed line, gap.
const (
	cutGap   = 12
	cutThick = 2
	cutDash  = 8
	cutSpace = 6
)

// cut prints pending text, feeds n dots and draws the cut.
func (p *printer) cut(off, n int) error {
	if err := p.flush(off); err != nil {
		return err
	}
	if err := p.feed(off, n+cutGap); err != nil {
		return err
	}
	if err := p.paper.reserve(off, cutThick+cutGap); err != nil {
		return err
	}
	y := p.paper.y
	for x := 0; x < p.paper.w; x++ {
		if x%(cutDash+cutSpace) < cutDash {
			for t := 0; t < cutThick; t++ {
				p.paper.set(x, y+t)
			}
		}
	}
	p.blocks = append(p.blocks, block{"cut", off, image.Rect(0, y, p.paper.w, y+cutThick)})
	p.paper.y += cutThick + cutGap
	return nil
}

// paper is the printout so far: w dots across, rows 0..len(pix)/w, with
// the print position at row y. A dot is 1 where printed.
type paper struct {
	w, max int
	y      int
	pix    []uint8
}

// reserve makes rows y..y+h exist, failing with ErrTooLong past max.
func (p *paper) reserve(off, h int) error {
	need := p.y + h
	if need > p.max {
		return errAt(off, ErrTooLong, "printing here would make the paper %d dots long, more than %d", need, p.max)
	}
	n := need * p.w
	if n <= len(p.pix) {
		return nil
	}
	if n > cap(p.pix) {
		c := min(max(n, 2*cap(p.pix), 64*p.w), p.max*p.w)
		pix := make([]uint8, len(p.pix), c)
		copy(pix, p.pix)
		p.pix = pix
	}
	p.pix = p.pix[:n] // beyond the old length the array is still zero
	return nil
}

// set burns the dot at (x, y), which reserve has made exist; dots off the
// sides of the paper are dropped.
func (p *paper) set(x, y int) {
	if x >= 0 && x < p.w {
		p.pix[y*p.w+x] = 1
	}
}

var palette = color.Palette{color.Gray{Y: 0xFF}, color.Gray{Y: 0}}

func (p *printer) image() *image.Paletted {
	h := max(p.paper.y, 1)
	if err := p.paper.reserve(0, h-p.paper.y); err != nil {
		h = p.paper.y
	}
	return &image.Paletted{Pix: p.paper.pix[:h*p.paper.w], Stride: p.paper.w, Rect: image.Rect(0, 0, p.paper.w, h), Palette: palette}
}
