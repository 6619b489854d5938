package render

import (
	"errors"
	"github.com/admitbox/admit/drivers/render/rendertest"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/escpos"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

// testPayload is a signed-ticket-shaped QR payload of exactly n bytes.
func testPayload(n int) string {
	s := "ADM1.SYS042.V0815.20260314.20260314000123456789.S77.R07C12."
	for len(s) < n {
		s += "MEUCIQDx9sKp3Q7vZcN8rLw2YbT5uJf0aHgXe4oB1iVnR6mDkwIgS"
	}
	return s[:n]
}

func chineseTicket() escpos.TicketLayout {
	return escpos.TicketLayout{
		Venue:        "国家大剧院",
		Hall:         "歌剧厅",
		Event:        "歌剧《图兰朵》 Turandot",
		SessionTime:  time.Date(2026, 3, 14, 11, 30, 0, 0, time.UTC),
		TimeZone:     time.FixedZone("CST", 8*60*60),
		Seat:         "2楼 7排 12座",
		PriceCents:   28000,
		Currency:     "CNY",
		TicketNumber: "20260314000123456789",
		QR:           testPayload(145),
	}
}

func englishTicket() escpos.TicketLayout {
	t := chineseTicket()
	t.Venue, t.Hall, t.Event, t.Seat = "National Centre for the Performing Arts", "Opera House", "Turandot", "Level 2, Row 7, Seat 12"
	return t
}

// skipWithoutCJK skips the test when err is the missing-CJK-font error.
func skipWithoutCJK(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNoCJKFont) {
		t.Skipf("skipping: %v", err)
	}
}

func ticketJob(t testing.TB, tk escpos.TicketLayout, p escpos.Paper, chinese bool) []byte {
	t.Helper()
	job, err := escpos.TicketJob(tk, p, escpos.Options{ChineseMode: chinese})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func mustRender(t testing.TB, job []byte, opts Options) *printer {
	t.Helper()
	p, err := render(job, opts)
	skipWithoutCJK(t, err)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func blockOf(t testing.TB, p *printer, kind string) block {
	t.Helper()
	for _, b := range p.blocks {
		if b.kind == kind {
			return b
		}
	}
	t.Fatalf("no %s was printed; blocks %v", kind, p.blocks)
	return block{}
}

// decodeQR decodes the QR symbol in r of img and returns its bytes.
func decodeQR(t testing.TB, img image.Image, r image.Rectangle, module int) []byte {
	t.Helper()
	b, err := rendertest.DecodeQR(img, r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeCode128(t testing.TB, img image.Image, r image.Rectangle) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(rendertest.Crop(img, r, 40))
	if err != nil {
		t.Fatal(err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("CODE128 region %v does not decode: %v", r, err)
	}
	return res.GetText()
}

func dark(img *image.Paletted, x, y int) bool { return img.ColorIndexAt(x, y) == 1 }

// darkIn counts the printed dots in r.
func darkIn(img *image.Paletted, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if dark(img, x, y) {
				n++
			}
		}
	}
	return n
}

func TestAChineseTicketRendersOn58And80mmPaperWithItsQRAndBarCodeReadable(t *testing.T) {
	for _, tt := range []struct {
		paper  escpos.Paper
		module int
	}{{escpos.Paper58, 6}, {escpos.Paper80, 8}} {
		t.Run(tt.paper.Name, func(t *testing.T) {
			tk := chineseTicket()
			p := mustRender(t, ticketJob(t, tk, tt.paper, true), Options{Dots: tt.paper.DotsPerLine})
			img := p.image()
			if got := img.Bounds().Dx(); got != tt.paper.DotsPerLine {
				t.Fatalf("width %d dots, want %d", got, tt.paper.DotsPerLine)
			}
			q := blockOf(t, p, "qr")
			// Venue (48 dots at double height), event, rule and five
			// fields all lie above the QR code: every 24-dot text row
			// there has ink.
			for y := 0; y+lineHeight <= 48+7*lineHeight; y += lineHeight {
				if darkIn(img, image.Rect(0, y, img.Bounds().Dx(), y+lineHeight)) == 0 {
					t.Errorf("text row at y=%d is blank", y)
				}
			}
			if q.rect.Min.Y < 48+8*lineHeight {
				t.Errorf("QR code starts at y=%d, inside the text", q.rect.Min.Y)
			}
			if got := (q.rect.Min.X + q.rect.Max.X) / 2; got < tt.paper.DotsPerLine/2-1 || got > tt.paper.DotsPerLine/2 {
				t.Errorf("QR code %v is not centred", q.rect)
			}
			if got := decodeQR(t, img, q.rect, tt.module); string(got) != tk.QR {
				t.Errorf("QR decodes to %q, want %q", got, tk.QR)
			}
			if got := decodeCode128(t, img, blockOf(t, p, "code128").rect); got != tk.TicketNumber {
				t.Errorf("bar code decodes to %q, want %q", got, tk.TicketNumber)
			}
			cut := blockOf(t, p, "cut")
			if cut.rect.Max.Y+cutGap != img.Bounds().Dy() {
				t.Errorf("cut at %v, image %d dots long", cut.rect, img.Bounds().Dy())
			}
		})
	}
}

func TestAnASCIIOnlyJobRendersWithoutACJKFont(t *testing.T) {
	job := ticketJob(t, englishTicket(), escpos.Paper80, false)
	opts := Options{Dots: 576, FontPath: filepath.Join(t.TempDir(), "no-such-font.ttc")}
	img, err := Render(job, opts)
	if err != nil {
		t.Fatal(err)
	}
	if darkIn(img.(*image.Paletted), image.Rect(0, 0, 576, 48)) == 0 {
		t.Error("the venue line is blank")
	}

	// Chinese mode alone needs no font either: only a Chinese character does.
	if _, err := Render([]byte("\x1b@\x1c&Hello\n"), opts); err != nil {
		t.Errorf("Chinese mode with ASCII text: %v", err)
	}
	_, err = Render([]byte("\x1b@\x1c&AB\xc6\xb1\n"), opts) // 票 in GB18030 at offset 6
	var e *Error
	if !errors.As(err, &e) || e.Offset != 6 || !errors.Is(err, ErrNoCJKFont) || !strings.Contains(err.Error(), "fonts-noto-cjk") {
		t.Errorf("Chinese text without a font: err = %v, want ErrNoCJKFont at offset 6 naming fonts-noto-cjk", err)
	}
}

func TestTheCJKFontComesFromOptionsThenTheEnvironmentThenDebian(t *testing.T) {
	t.Setenv(CJKFontEnv, "")
	if got := cjkFontPath(Options{}); got != DefaultCJKFont {
		t.Errorf("default %q, want %q", got, DefaultCJKFont)
	}
	t.Setenv(CJKFontEnv, "/env.ttc")
	if got := cjkFontPath(Options{}); got != "/env.ttc" {
		t.Errorf("with %s: %q", CJKFontEnv, got)
	}
	if got := cjkFontPath(Options{FontPath: "/opt.ttc"}); got != "/opt.ttc" {
		t.Errorf("with FontPath: %q", got)
	}
}

func TestAQRCodeOfArbitraryBytesDecodesToExactlyThoseBytes(t *testing.T) {
	data := "\x00\x01\xfe\xffADMIT\x80{}\n" + testPayload(40)
	for _, level := range []escpos.QRLevel{escpos.QRLevelL, escpos.QRLevelH} {
		var j escpos.Job
		j.Init()
		j.Align(escpos.AlignRight)
		j.QR(data, 4, level)
		p := mustRender(t, j.Bytes(), Options{Dots: 384})
		q := blockOf(t, p, "qr")
		if q.rect.Max.X != 384 {
			t.Errorf("right-aligned QR at %v", q.rect)
		}
		if got := decodeQR(t, p.image(), q.rect, 4); string(got) != data {
			t.Errorf("level %c: QR decodes to %q, want %q", level, got, data)
		}
	}
}

func TestARasterImagePrintsItsBitsWhereTheAlignmentPutsThem(t *testing.T) {
	// A 20×10 pattern: a dot where (x*y+x) % 3 == 0.
	src := image.NewGray(image.Rect(0, 0, 20, 10))
	want := func(x, y int) bool { return (x*y+x)%3 == 0 }
	for y := 0; y < 10; y++ {
		for x := 0; x < 20; x++ {
			if want(x, y) {
				src.SetGray(x, y, color.Gray{0})
			} else {
				src.SetGray(x, y, color.Gray{0xFF})
			}
		}
	}
	for _, tt := range []struct {
		align escpos.Alignment
		x0    int
	}{{escpos.AlignLeft, 0}, {escpos.AlignCenter, (384 - 24) / 2}, {escpos.AlignRight, 384 - 24}} {
		var j escpos.Job
		j.Init()
		j.Feed(1)
		j.Align(tt.align)
		j.Raster(src)
		p := mustRender(t, j.Bytes(), Options{Dots: 384})
		img := p.image()
		if img.Bounds().Dy() != lineHeight+10 {
			t.Errorf("image %d dots long, want %d", img.Bounds().Dy(), lineHeight+10)
		}
		for y := 0; y < img.Bounds().Dy(); y++ {
			for x := 0; x < 384; x++ {
				sx, sy := x-tt.x0, y-lineHeight
				w := sx >= 0 && sx < 20 && sy >= 0 && sy < 10 && want(sx, sy)
				if dark(img, x, y) != w {
					t.Fatalf("align %d: dot (%d, %d) printed = %v, want %v", tt.align, x, y, !w, w)
				}
			}
		}
	}
}

func TestTextFollowsSizeBoldUnderlineAndAlignment(t *testing.T) {
	var j escpos.Job
	j.Init()
	j.Align(escpos.AlignRight)
	j.Size(2, 3)
	j.TextLine("I")
	j.Size(1, 1)
	j.Align(escpos.AlignCenter)
	j.Underline(escpos.UnderlineThick)
	j.TextLine("  ")
	j.Underline(escpos.UnderlineOff)
	j.Align(escpos.AlignLeft)
	j.Bold(true)
	j.TextLine("l")
	j.Feed(2)
	p := mustRender(t, j.Bytes(), Options{Dots: 384})
	img := p.image()
	if h := img.Bounds().Dy(); h != 72+24+24+48 {
		t.Fatalf("image %d dots long, want 72 (×3 line) + 24 + 24 + 48 (ESC d 2)", h)
	}
	if n := darkIn(img, image.Rect(0, 0, 384-24, 72)); n != 0 {
		t.Errorf("%d dots left of a right-aligned double-width character", n)
	}
	if darkIn(img, image.Rect(384-24, 0, 384, 72)) == 0 {
		t.Error("right-aligned character missing")
	}
	// Two underlined spaces, centred: rows 94 and 95, x 180..204.
	if got := darkIn(img, image.Rect(0, 72, 384, 96)); got != 2*24 {
		t.Errorf("underline has %d dots, want 48", got)
	}
	if !dark(img, 180, 95) || !dark(img, 203, 94) || dark(img, 179, 95) || dark(img, 204, 95) {
		t.Error("underline is not at x 180..203, rows 94..95")
	}
	normal := mustRender(t, []byte("l\n"), Options{Dots: 384}).image()
	if b, n := darkIn(img, image.Rect(0, 96, 24, 120)), darkIn(normal, image.Rect(0, 0, 24, 24)); b <= n {
		t.Errorf("bold l has %d dots, normal %d", b, n)
	}
}

func TestLongLinesWrapAtThePaperEdge(t *testing.T) {
	p := mustRender(t, []byte(strings.Repeat("W", 33)+"\n"), Options{Dots: 384})
	if h := p.image().Bounds().Dy(); h != 48 {
		t.Errorf("33 characters on 32-column paper print %d dots long, want 2 lines", h)
	}
}

func TestMalformedStreamsAreErrorsNamingTheOffset(t *testing.T) {
	qrPrint := "\x1d(k\x03\x001Q0"
	tests := []struct {
		name string
		job  string
		off  int
		kind error
	}{
		{"an unknown ESC command", "\x1b@AB\x1bJ\x10", 4, ErrUnknownCommand},
		{"an unknown control byte", "AB\rC\n", 2, ErrUnknownCommand},
		{"an unknown GS command", "\x1b@\x1dL\x00\x00", 2, ErrUnknownCommand},
		{"a bar code system other than CODE128", "\x1dk\x04AB\x00", 0, ErrUnknownCommand},
		{"an unsupported code table", "\x1b@\x1bt\x07", 2, ErrMalformed},
		{"a size beyond ×8", "xy\x1d!\x08", 2, ErrMalformed},
		{"a justification of 3", "\x1ba\x03", 0, ErrMalformed},
		{"an invalid GB18030 sequence", "\x1c&\xb0\x20", 2, ErrMalformed},
		{"a lone 0x80 in Chinese mode", "\x1c&\x80", 2, ErrMalformed},
		{"CODE128 without a code set", "\x1b@\x1dk\x49\x0212", 2, ErrMalformed},
		{"CODE128 set C byte above 99", "\x1dk\x49\x03{C\x64", 0, ErrMalformed},
		{"QR print with nothing stored", qrPrint, 0, ErrMalformed},
		{"QR model 1", "\x1d(k\x04\x001A1\x00", 0, ErrMalformed},
		{"QR module size 17", "\x1d(k\x03\x001C\x11", 0, ErrMalformed},
		{"a QR code wider than the paper", "\x1d(k\x03\x001C\x10\x1d(k\x40\x001P0" + testPayload(61) + qrPrint, 16 + 61, ErrTooWide},
		{"a raster image wider than the paper", "\x1dv0\x00\x31\x00\x01\x00" + strings.Repeat("\xff", 49), 0, ErrTooWide},
		{"a cut mode of 2", "\x1dV\x02", 0, ErrMalformed},
		{"paper beyond the length limit", strings.Repeat("\x1bd\xff", 14), 3 * 3, ErrTooLong},
		{"truncated ESC", "AB\x1b", 2, ErrTruncated},
		{"truncated ESC d", "\x1bd", 0, ErrTruncated},
		{"a truncated Chinese character", "\x1c&\xc6", 2, ErrTruncated},
		{"a truncated 4-byte Chinese character", "\x1c&\x81\x30\x81", 2, ErrTruncated},
		{"truncated QR data", "\x1d(k\x10\x001P0ABC", 0, ErrTruncated},
		{"truncated bar code data", "\x1dk\x49\x05{B12", 0, ErrTruncated},
		{"truncated raster data", "\n\x1dv0\x00\x02\x00\x02\x00\xff\xff\xff", 1, ErrTruncated},
		{"a truncated cut", "\x1dVA", 0, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render([]byte(tt.job), Options{Dots: 384, FontPath: "/nonexistent"})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Offset != tt.off || !errors.Is(err, tt.kind) {
				t.Errorf("err = %v, want %v at offset %d", err, tt.kind, tt.off)
			}
			if !strings.Contains(err.Error(), "byte offset ") {
				t.Errorf("%q does not name the offset", err)
			}
		})
	}
}

func TestOptionsOutOfRangeAreRefused(t *testing.T) {
	for _, o := range []Options{{}, {Dots: 8}, {Dots: 5000}, {Dots: 384, MaxLength: -1}} {
		if _, err := Render(nil, o); err == nil {
			t.Errorf("Render(%+v) did not fail", o)
		}
	}
	img, err := Render(nil, Options{Dots: 384})
	if err != nil || img.Bounds() != image.Rect(0, 0, 384, 1) {
		t.Errorf("empty job: %v, %v", img.Bounds(), err)
	}
}

func TestPNGWritesASampleTicket(t *testing.T) {
	job := ticketJob(t, chineseTicket(), escpos.Paper80, true)
	path := filepath.Join(t.TempDir(), "ticket-80mm.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	err = PNG(f, job, Options{Dots: 576})
	if errors.Is(err, ErrNoCJKFont) { // still save a sample, in English
		t.Logf("no CJK font, so the sample is the English ticket: %v", err)
		if _, err = f.Seek(0, 0); err == nil {
			err = PNG(f, ticketJob(t, englishTicket(), escpos.Paper80, false), Options{Dots: 576})
		}
	}
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 576 {
		t.Errorf("PNG is %d wide", img.Bounds().Dx())
	}
	t.Logf("sample ticket: %s (%d×%d)", path, img.Bounds().Dx(), img.Bounds().Dy())
}

func BenchmarkRenderTicket(b *testing.B) {
	job := ticketJob(b, chineseTicket(), escpos.Paper80, true)
	chinese := true
	if _, err := Render(job, Options{Dots: 576}); errors.Is(err, ErrNoCJKFont) {
		job, chinese = ticketJob(b, englishTicket(), escpos.Paper80, false), false
	}
	b.Logf("Chinese labels: %v", chinese)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(job, Options{Dots: 576}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/1e6/float64(b.N), "ms/op")
}

func TestRenderPageReportsEachTextLineAndSymbolWhereItPrinted(t *testing.T) {
	tk := chineseTicket()
	job := ticketJob(t, tk, escpos.Paper80, true)
	pg, err := RenderPage(job, Options{Dots: escpos.Paper80.DotsPerLine})
	skipWithoutCJK(t, err)
	if err != nil {
		t.Fatal(err)
	}
	find := func(sub string) Line {
		t.Helper()
		l, ok := pg.LineWith(sub)
		if !ok {
			t.Fatalf("no printed line holds %q; lines %q", sub, pg.Lines)
		}
		return l
	}
	for _, want := range []string{tk.Venue, "座位 Seat", tk.Seat, "票号 No.", tk.TicketNumber, "280.00 CNY"} {
		l := find(want)
		if darkIn(pg.Image, l.Rect) == 0 {
			t.Errorf("line %q at %v has no ink", l.Text, l.Rect)
		}
	}
	if v, seat := find(tk.Venue), find(tk.Seat); v.Rect.Min.Y >= seat.Rect.Min.Y {
		t.Errorf("venue at %v is not above the seat at %v", v.Rect, seat.Rect)
	}
	var kinds []string
	for _, s := range pg.Symbols {
		kinds = append(kinds, s.Kind)
	}
	if got := strings.Join(kinds, ","); got != "qr,code128,cut" {
		t.Errorf("symbols %s, want qr,code128,cut", got)
	}
	if qrs := pg.SymbolsOf("qr"); len(qrs) != 1 {
		t.Errorf("%d QR codes", len(qrs))
	} else if got := decodeQR(t, pg.Image, qrs[0].Rect, 8); string(got) != tk.QR {
		t.Errorf("QR decodes to %q", got)
	}
}
