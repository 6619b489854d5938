package escpos

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"
	"unicode/utf8"
)

// Paper describes a roll width as the printer sees it in font A (12×24 dots
// per character, 24×24 per Chinese character).
type Paper struct {
	Name         string
	DotsPerLine  int // printable dots across the roll
	CharsPerLine int // font A single-byte characters per line
}

// Paper widths of the kiosk printers (203 dpi heads).
var (
	Paper58 = Paper{Name: "58mm", DotsPerLine: 384, CharsPerLine: 32}
	Paper80 = Paper{Name: "80mm", DotsPerLine: 576, CharsPerLine: 48}
)

// Label is a field caption in Chinese and English.
type Label struct{ Zh, En string }

// text is "Zh En" when Chinese can be printed, "En" otherwise.
func (l Label) text(chinese bool) string {
	if chinese && l.Zh != "" {
		if l.En == "" {
			return l.Zh
		}
		return l.Zh + " " + l.En
	}
	return l.En
}

// Labels are the captions of a ticket's fields.
type Labels struct {
	Hall, Session, Seat, Price, Number Label
}

// DefaultLabels are used when a TicketLayout leaves Labels zero.
var DefaultLabels = Labels{
	Hall:    Label{"影厅", "Hall"},
	Session: Label{"场次", "Session"},
	Seat:    Label{"座位", "Seat"},
	Price:   Label{"票价", "Price"},
	Number:  Label{"票号", "No."},
}

// TicketLayout is what a printed ticket shows.
type TicketLayout struct {
	Venue string // printed centred at double size
	Hall  string // optional
	Event string // printed in bold

	SessionTime time.Time
	// TimeZone is the venue's zone, in which SessionTime is printed; nil
	// prints SessionTime in its own location.
	TimeZone *time.Location

	Seat       string // optional (general admission)
	PriceCents int64  // in hundredths of the currency unit
	Currency   string // ISO 4217 code, e.g. "CNY"

	TicketNumber string // also printed as a CODE128 bar code
	QR           string // the signed payload, printed as a QR code

	Logo   image.Image // optional; scaled down to the paper if wider
	Labels Labels      // zero means DefaultLabels
}

// Options are the printer settings a firmware profile supplies.
type Options struct {
	// ChineseMode selects FS & and GB18030 text; otherwise text is encoded
	// in CodePage (an ESC t table) and the labels print in English only.
	ChineseMode bool
	CodePage    byte
}

// Layout constants of TicketJob.
const (
	ticketQRLevel     = QRLevelM // survives scuffed thermal paper, keeps the symbol small
	ticketQRMinModule = 3        // dots; below this (0.375 mm) gate scanners misread
	qrQuietModules    = 4        // white modules each side that ISO/IEC 18004 requires
	barcodeHeight     = 80       // dots, 10 mm
	barcodeQuiet      = 10       // modules each side
	maxVenueLines     = 2
	maxEventLines     = 3
	maxValueLines     = 3
)

// TicketJob lays out one ticket for paper p and returns the bytes to send:
// ESC @, character mode, optional logo, the venue centred at double size,
// the event in bold, one line per field (bilingual captions in Chinese mode),
// the QR payload centred, the ticket number as a CODE128 bar code, and a
// partial cut. Every text line fits p.CharsPerLine columns (Chinese
// characters count two); longer text is wrapped, and truncated with "..."
// past a few lines.
func TicketJob(t TicketLayout, p Paper, opts Options) ([]byte, error) {
	if err := checkTicket(t, p); err != nil {
		return nil, err
	}
	chinese := opts.ChineseMode
	for _, f := range []*string{&t.Venue, &t.Event, &t.Hall, &t.Seat} {
		*f = Printable(*f, chinese, opts.CodePage)
	}
	cols := p.CharsPerLine
	labels := t.Labels
	if labels == (Labels{}) {
		labels = DefaultLabels
	}

	qrSize, err := ticketQRModuleSize(len(t.QR), p)
	if err != nil {
		return nil, err
	}
	barWidth, err := ticketBarWidth(t.TicketNumber, p)
	if err != nil {
		return nil, err
	}

	j := &Job{buf: make([]byte, 0, 1024+len(t.QR))}
	j.Init()
	if chinese {
		j.ChineseMode(true)
	} else {
		j.ChineseMode(false)
		j.CodePage(opts.CodePage)
	}

	if t.Logo != nil {
		j.Align(AlignCenter)
		j.Raster(fitWidth(t.Logo, p.DotsPerLine))
	}

	j.Align(AlignCenter)
	j.Size(2, 2)
	for _, l := range wrap(t.Venue, cols/2, maxVenueLines, chinese) {
		j.TextLine(l)
	}
	j.Size(1, 1)
	j.Bold(true)
	for _, l := range wrap(t.Event, cols, maxEventLines, chinese) {
		j.TextLine(l)
	}
	j.Bold(false)

	j.Align(AlignLeft)
	rule := strings.Repeat("-", cols)
	j.TextLine(rule)
	loc := t.TimeZone
	if loc == nil {
		loc = t.SessionTime.Location()
	}
	field(j, labels.Session.text(chinese), t.SessionTime.In(loc).Format("2006-01-02 15:04 MST"), cols, chinese)
	if t.Hall != "" {
		field(j, labels.Hall.text(chinese), t.Hall, cols, chinese)
	}
	if t.Seat != "" {
		field(j, labels.Seat.text(chinese), t.Seat, cols, chinese)
	}
	field(j, labels.Price.text(chinese), fmt.Sprintf("%d.%02d %s", t.PriceCents/100, t.PriceCents%100, t.Currency), cols, chinese)
	field(j, labels.Number.text(chinese), t.TicketNumber, cols, chinese)
	j.TextLine(rule)

	j.Align(AlignCenter)
	j.QR(t.QR, qrSize, ticketQRLevel)
	j.LineFeed()
	j.Code128(t.TicketNumber, Barcode{Height: barcodeHeight, ModuleWidth: barWidth, HRI: HRIBelow})
	j.Align(AlignLeft)
	j.Cut(CutPartial)

	if err := j.Err(); err != nil {
		return nil, fmt.Errorf("escpos: ticket %s on %s paper: %w", t.TicketNumber, p.Name, err)
	}
	return j.Bytes(), nil
}

func checkTicket(t TicketLayout, p Paper) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("escpos: ticket %q: %s: %w", t.TicketNumber, fmt.Sprintf(format, args...), ErrInvalidArgument)
	}
	switch {
	case p.CharsPerLine < 16 || p.DotsPerLine < 8*p.CharsPerLine:
		return bad("paper %q (%d dots, %d characters) is too narrow for a ticket", p.Name, p.DotsPerLine, p.CharsPerLine)
	case strings.TrimSpace(t.Venue) == "":
		return bad("no venue")
	case strings.TrimSpace(t.Event) == "":
		return bad("no event")
	case t.SessionTime.IsZero():
		return bad("no session time")
	case t.TicketNumber == "":
		return bad("no ticket number")
	case t.QR == "":
		return bad("no QR payload")
	case t.PriceCents < 0:
		return bad("negative price %d", t.PriceCents)
	case !isCurrency(t.Currency):
		return bad("currency %q is not an ISO 4217 code", t.Currency)
	}
	return nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// ticketQRModuleSize picks the QR module size for n payload bytes: 8 dots on
// 80 mm paper, 6 on 58 mm, smaller if the symbol with its quiet zone would
// not fit across the paper.
func ticketQRModuleSize(n int, p Paper) (int, error) {
	modules := qrModules(n, ticketQRLevel)
	if modules == 0 {
		return 0, fmt.Errorf("escpos: ticket QR payload of %d bytes exceeds a QR code: %w", n, ErrInvalidArgument)
	}
	size := 6
	if p.DotsPerLine >= Paper80.DotsPerLine {
		size = 8
	}
	for size > ticketQRMinModule && (modules+2*qrQuietModules)*size > p.DotsPerLine {
		size--
	}
	if (modules+2*qrQuietModules)*size > p.DotsPerLine {
		return 0, fmt.Errorf("escpos: ticket QR payload of %d bytes (%d modules) does not fit %s paper: %w", n, modules, p.Name, ErrInvalidArgument)
	}
	return size, nil
}

// ticketBarWidth picks the widest CODE128 module (3 dots, else 2) with
// which the ticket number and its quiet zones fit across the paper.
func ticketBarWidth(number string, p Paper) (int, error) {
	modules := code128Modules(number) + 2*barcodeQuiet
	for w := 3; w >= 2; w-- {
		if modules*w <= p.DotsPerLine {
			return w, nil
		}
	}
	return 0, fmt.Errorf("escpos: ticket number %q (%d modules) is too long for a bar code on %s paper: %w", number, modules, p.Name, ErrInvalidArgument)
}

// field prints "caption   value" on one line, the value flush right, or,
// when that does not fit, the caption on its own line and the value wrapped
// below it, indented two columns.
func field(j *Job, caption, value string, cols int, chinese bool) {
	value = strings.Join(strings.Fields(value), " ")
	cw, vw := Columns(caption, chinese), Columns(value, chinese)
	if cw+1+vw <= cols {
		j.TextLine(caption + strings.Repeat(" ", cols-cw-vw) + value)
		return
	}
	for _, l := range wrap(caption, cols, 1, chinese) {
		j.TextLine(l)
	}
	for _, l := range wrap(value, cols-2, maxValueLines, chinese) {
		j.TextLine("  " + l)
	}
}

// wrap breaks s into at most maxLines lines of at most cols columns,
// preferring to break at spaces (Chinese text, which has none, breaks
// between characters). If s needs more lines, the last one ends in "...".
// Runs of white space, including line breaks, become single spaces.
func wrap(s string, cols, maxLines int, chinese bool) []string {
	s = strings.Join(strings.Fields(s), " ")
	var lines []string
	for s != "" {
		if len(lines) == maxLines-1 {
			lines = append(lines, truncate(s, cols, chinese))
			break
		}
		n, w, space := 0, 0, -1 // bytes taken, their columns, last space within them
		for i, r := range s {
			rw := runeColumns(r, chinese)
			if w+rw > cols {
				break
			}
			if r == ' ' {
				space = i
			}
			n, w = i+utf8.RuneLen(r), w+rw
		}
		if n == len(s) {
			lines = append(lines, s)
			break
		}
		if n == 0 { // cols too small for even one character
			n = len(s)
		}
		cut, next := n, n
		if s[n] == ' ' {
			next = n + 1
		} else if space > 0 {
			cut, next = space, space+1
		}
		lines = append(lines, s[:cut])
		s = s[next:]
	}
	return lines
}

// truncate shortens s to cols columns, ending in "..." if anything was cut.
func truncate(s string, cols int, chinese bool) string {
	if Columns(s, chinese) <= cols {
		return s
	}
	const ellipsis = "..."
	w, n := 0, 0
	for i, r := range s {
		rw := runeColumns(r, chinese)
		if w+rw > cols-len(ellipsis) {
			break
		}
		n, w = i+utf8.RuneLen(r), w+rw
	}
	return strings.TrimRight(s[:n], " ") + ellipsis
}

// fitWidth scales img down (nearest neighbour, keeping its aspect ratio) to
// at most dots pixels wide; narrower images are returned as they are.
func fitWidth(img image.Image, dots int) image.Image {
	b := img.Bounds()
	if b.Dx() <= dots {
		return img
	}
	h := max(1, b.Dy()*dots/b.Dx())
	out := image.NewGray(image.Rect(0, 0, dots, h))
	for y := range h {
		sy := b.Min.Y + y*b.Dy()/h
		for x := range dots {
			sx := b.Min.X + x*b.Dx()/dots
			if dark(img, sx, sy) {
				out.SetGray(x, y, color.Gray{Y: 0})
			} else {
				out.SetGray(x, y, color.Gray{Y: 0xFF})
			}
		}
	}
	return out
}
