package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
)

func hexBytes(b ...byte) []byte { return b }

func TestEachCommandAppendsTheBytesOfTheReference(t *testing.T) {
	tests := []struct {
		name  string
		build func(j *Job)
		want  []byte
	}{
		{"Init is ESC @", func(j *Job) { j.Init() }, hexBytes(0x1B, 0x40)},
		{"CodePage 16 is ESC t 16 (WPC1252)", func(j *Job) { j.CodePage(16) }, hexBytes(0x1B, 0x74, 0x10)},
		{"CodePage 0 is ESC t 0 (PC437)", func(j *Job) { j.CodePage(0) }, hexBytes(0x1B, 0x74, 0x00)},
		{"ChineseMode on is FS &", func(j *Job) { j.ChineseMode(true) }, hexBytes(0x1C, 0x26)},
		{"ChineseMode off is FS .", func(j *Job) { j.ChineseMode(false) }, hexBytes(0x1C, 0x2E)},
		{"Size 1×1 is GS ! 0", func(j *Job) { j.Size(1, 1) }, hexBytes(0x1D, 0x21, 0x00)},
		{"Size 2×2 is GS ! 0x11", func(j *Job) { j.Size(2, 2) }, hexBytes(0x1D, 0x21, 0x11)},
		{"Size 8 wide 3 high puts width in the high nibble", func(j *Job) { j.Size(8, 3) }, hexBytes(0x1D, 0x21, 0x72)},
		{"Bold on is ESC E 1", func(j *Job) { j.Bold(true) }, hexBytes(0x1B, 0x45, 0x01)},
		{"Bold off is ESC E 0", func(j *Job) { j.Bold(false) }, hexBytes(0x1B, 0x45, 0x00)},
		{"Underline off is ESC - 0", func(j *Job) { j.Underline(UnderlineOff) }, hexBytes(0x1B, 0x2D, 0x00)},
		{"Underline thin is ESC - 1", func(j *Job) { j.Underline(UnderlineThin) }, hexBytes(0x1B, 0x2D, 0x01)},
		{"Underline thick is ESC - 2", func(j *Job) { j.Underline(UnderlineThick) }, hexBytes(0x1B, 0x2D, 0x02)},
		{"Align left is ESC a 0", func(j *Job) { j.Align(AlignLeft) }, hexBytes(0x1B, 0x61, 0x00)},
		{"Align center is ESC a 1", func(j *Job) { j.Align(AlignCenter) }, hexBytes(0x1B, 0x61, 0x01)},
		{"Align right is ESC a 2", func(j *Job) { j.Align(AlignRight) }, hexBytes(0x1B, 0x61, 0x02)},
		{"LineFeed is LF", func(j *Job) { j.LineFeed() }, hexBytes(0x0A)},
		{"Feed 3 is ESC d 3", func(j *Job) { j.Feed(3) }, hexBytes(0x1B, 0x64, 0x03)},
		{"Feed 255 is ESC d 255", func(j *Job) { j.Feed(255) }, hexBytes(0x1B, 0x64, 0xFF)},
		{"ASCII text is sent as is in any mode", func(j *Job) { j.Text("Hall 3") }, []byte("Hall 3")},
		{"TextLine ends with LF", func(j *Job) { j.TextLine("A1") }, hexBytes('A', '1', 0x0A)},
		{"Chinese text is GB18030: 影厅 is D3 B0 CC FC",
			func(j *Job) { j.ChineseMode(true); j.Text("影厅") },
			hexBytes(0x1C, 0x26, 0xD3, 0xB0, 0xCC, 0xFC)},
		{"Chinese mode mixes ASCII and GB18030: 3号厅",
			func(j *Job) { j.ChineseMode(true); j.Text("3号厅") },
			hexBytes(0x1C, 0x26, '3', 0xBA, 0xC5, 0xCC, 0xFC)},
		{"the euro sign is A2 E3 in GB18030",
			func(j *Job) { j.ChineseMode(true); j.Text("€") },
			hexBytes(0x1C, 0x26, 0xA2, 0xE3)},
		{"a character outside the two-byte range takes four GB18030 bytes",
			func(j *Job) { j.ChineseMode(true); j.Text("\U0001F600") },
			hexBytes(0x1C, 0x26, 0x94, 0x39, 0xFC, 0x36)},
		{"PC437 text encodes é as 82",
			func(j *Job) { j.ChineseMode(false); j.Text("Café") },
			hexBytes(0x1C, 0x2E, 'C', 'a', 'f', 0x82)},
		{"WPC1252 text encodes é as E9 and € as 80",
			func(j *Job) { j.ChineseMode(false); j.CodePage(16); j.Text("é€") },
			hexBytes(0x1C, 0x2E, 0x1B, 0x74, 0x10, 0xE9, 0x80)},
		{"QR sends model 2, module size, level, store and print",
			func(j *Job) { j.QR("AB", 6, QRLevelM) },
			hexBytes(
				0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06,
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31,
				0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, 'A', 'B',
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30)},
		{"QR level H and module size 16 are sent as 51 and 16",
			func(j *Job) { j.QR("x", 16, QRLevelH) },
			hexBytes(
				0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x10,
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x33,
				0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x50, 0x30, 'x',
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30)},
		{"Code128 of text uses code set B and doubles a literal brace",
			func(j *Job) { j.Code128("A{1", Barcode{Height: 80, ModuleWidth: 2, HRI: HRIBelow}) },
			hexBytes(0x1D, 0x68, 80, 0x1D, 0x77, 2, 0x1D, 0x48, 2,
				0x1D, 0x6B, 73, 6, '{', 'B', 'A', '{', '{', '1')},
		{"Code128 of an even run of digits uses code set C with pair values",
			func(j *Job) { j.Code128("1234", Barcode{Height: 162, ModuleWidth: 3, HRI: HRINone}) },
			hexBytes(0x1D, 0x68, 162, 0x1D, 0x77, 3, 0x1D, 0x48, 0,
				0x1D, 0x6B, 73, 4, '{', 'C', 12, 34)},
		{"Code128 of an odd run of digits uses code set B",
			func(j *Job) { j.Code128("123", Barcode{Height: 1, ModuleWidth: 6, HRI: HRIBoth}) },
			hexBytes(0x1D, 0x68, 1, 0x1D, 0x77, 6, 0x1D, 0x48, 3,
				0x1D, 0x6B, 73, 5, '{', 'B', '1', '2', '3')},
		{"Cut partial is GS V 66 0 (feed to cut position, then cut)", func(j *Job) { j.Cut(CutPartial) }, hexBytes(0x1D, 0x56, 0x42, 0x00)},
		{"Cut full is GS V 65 0", func(j *Job) { j.Cut(CutFull) }, hexBytes(0x1D, 0x56, 0x41, 0x00)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j Job
			tt.build(&j)
			if err := j.Err(); err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if got := j.Bytes(); !bytes.Equal(got, tt.want) {
				t.Errorf("bytes\n got % X\nwant % X", got, tt.want)
			}
		})
	}
}

func TestStatusRequestIsDLEEOTn(t *testing.T) {
	for _, n := range []byte{StatusPrinter, StatusOffline, StatusError, StatusPaper} {
		if got, want := StatusRequest(n), []byte{0x10, 0x04, n}; !bytes.Equal(got, want) {
			t.Errorf("StatusRequest(%d) = % X, want % X", n, got, want)
		}
	}
}

func TestStatusRequestPanicsOnAnUnknownRequest(t *testing.T) {
	for _, n := range []byte{0, 5, 255} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("StatusRequest(%d) did not panic", n)
				}
			}()
			StatusRequest(n)
		}()
	}
}

func TestArgumentsOutsideTheReferenceRangeFailTheJob(t *testing.T) {
	tall := image.NewGray(image.Rect(0, 0, 8, maxRasterHeight+1))
	tests := []struct {
		name  string
		build func(j *Job) error
	}{
		{"Feed below 0", func(j *Job) error { return j.Feed(-1) }},
		{"Feed above 255", func(j *Job) error { return j.Feed(256) }},
		{"Size width 0", func(j *Job) error { return j.Size(0, 1) }},
		{"Size height 9", func(j *Job) error { return j.Size(1, 9) }},
		{"Underline 3", func(j *Job) error { return j.Underline(3) }},
		{"Align 3", func(j *Job) error { return j.Align(3) }},
		{"CodePage 1 (Katakana, no encoder)", func(j *Job) error { return j.CodePage(1) }},
		{"CodePage 255", func(j *Job) error { return j.CodePage(255) }},
		{"Cut mode 0 (function A)", func(j *Job) error { return j.Cut(0) }},
		{"QR module size 0", func(j *Job) error { return j.QR("x", 0, QRLevelM) }},
		{"QR module size 17", func(j *Job) error { return j.QR("x", 17, QRLevelM) }},
		{"QR level 47", func(j *Job) error { return j.QR("x", 3, 47) }},
		{"QR level 52", func(j *Job) error { return j.QR("x", 3, 52) }},
		{"QR without data", func(j *Job) error { return j.QR("", 3, QRLevelM) }},
		{"QR beyond version 40 at level H", func(j *Job) error { return j.QR(strings.Repeat("x", 1274), 3, QRLevelH) }},
		{"Code128 height 0", func(j *Job) error { return j.Code128("1", Barcode{Height: 0, ModuleWidth: 2}) }},
		{"Code128 height 256", func(j *Job) error { return j.Code128("1", Barcode{Height: 256, ModuleWidth: 2}) }},
		{"Code128 module width 1", func(j *Job) error { return j.Code128("1", Barcode{Height: 80, ModuleWidth: 1}) }},
		{"Code128 module width 7", func(j *Job) error { return j.Code128("1", Barcode{Height: 80, ModuleWidth: 7}) }},
		{"Code128 HRI 4", func(j *Job) error { return j.Code128("1", Barcode{Height: 80, ModuleWidth: 2, HRI: 4}) }},
		{"Code128 without data", func(j *Job) error { return j.Code128("", Barcode{Height: 80, ModuleWidth: 2}) }},
		{"Code128 of a non-ASCII character", func(j *Job) error { return j.Code128("No.é", Barcode{Height: 80, ModuleWidth: 2}) }},
		{"Code128 of a control character", func(j *Job) error { return j.Code128("A\tB", Barcode{Height: 80, ModuleWidth: 2}) }},
		{"Code128 longer than 255 bytes", func(j *Job) error { return j.Code128(strings.Repeat("A", 254), Barcode{Height: 80, ModuleWidth: 2}) }},
		{"Raster of no image", func(j *Job) error { return j.Raster(nil) }},
		{"Raster of an empty image", func(j *Job) error { return j.Raster(image.NewGray(image.Rect(0, 0, 0, 4))) }},
		{"Raster taller than 2303 dots", func(j *Job) error { return j.Raster(tall) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j Job
			j.Init()
			err := tt.build(&j)
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error = %v, want ErrInvalidArgument", err)
			}
			if j.Err() != err {
				t.Errorf("Err() = %v, want the returned error", j.Err())
			}
			if j.Bytes() != nil {
				t.Errorf("Bytes() = % X after an error, want nil", j.Bytes())
			}
		})
	}
}

func TestTheFirstErrorStopsTheJob(t *testing.T) {
	var j Job
	first := j.Size(9, 9)
	if first == nil {
		t.Fatal("Size(9, 9) succeeded")
	}
	if err := j.Init(); err != first {
		t.Errorf("Init after an error = %v, want the first error %v", err, first)
	}
	if err := j.Feed(-5); err != first {
		t.Errorf("a second bad call = %v, want the first error %v", err, first)
	}
	if j.Len() != 0 {
		t.Errorf("Len() = %d after the job failed, want 0", j.Len())
	}
	var w bytes.Buffer
	if n, err := j.WriteTo(&w); err != first || n != 0 || w.Len() != 0 {
		t.Errorf("WriteTo = %d, %v and wrote %d bytes; want 0, first error, nothing", n, err, w.Len())
	}
}

func TestWriteToSendsTheJob(t *testing.T) {
	var j Job
	j.Init()
	j.TextLine("OK")
	var w bytes.Buffer
	n, err := j.WriteTo(&w)
	if err != nil || n != 5 {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	if want := []byte{0x1B, 0x40, 'O', 'K', 0x0A}; !bytes.Equal(w.Bytes(), want) {
		t.Errorf("wrote % X, want % X", w.Bytes(), want)
	}
}

func TestTextRefusesWhatWouldNotPrintAsWritten(t *testing.T) {
	tests := []struct {
		name  string
		build func(j *Job) error
	}{
		{"a Chinese character in the PC437 code page", func(j *Job) error { j.ChineseMode(false); return j.Text("影厅 Hall") }},
		{"the euro sign in PC437", func(j *Job) error { j.ChineseMode(false); return j.Text("5 €") }},
		{"Cyrillic in WPC1252", func(j *Job) error { j.ChineseMode(false); j.CodePage(16); return j.Text("Зал") }},
		{"ESC inside text, which would be a command", func(j *Job) error { return j.Text("A\x1b@") }},
		{"a line feed inside text", func(j *Job) error { return j.Text("A\nB") }},
		{"DEL", func(j *Job) error { return j.Text("\x7f") }},
		{"invalid UTF-8", func(j *Job) error { j.ChineseMode(true); return j.Text("\xff\xfe") }},
		{"the replacement character", func(j *Job) error { j.ChineseMode(true); return j.Text("a\uFFFDb") }},
		{"non-ASCII text before the character mode is stated", func(j *Job) error { return j.Text("é") }},
		{"non-ASCII text after Init reset the character mode", func(j *Job) error {
			j.ChineseMode(true)
			j.Init()
			return j.Text("影")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j Job
			err := tt.build(&j)
			if !errors.Is(err, ErrUnencodable) {
				t.Fatalf("error = %v, want ErrUnencodable", err)
			}
			if j.Bytes() != nil {
				t.Errorf("Bytes() = % X, want nil", j.Bytes())
			}
		})
	}
}

func TestQRStoreLengthCountsDataPlusThree(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		pL, pH byte
	}{
		{"a 145-character payload gives pL 148 pH 0", 145, 148, 0},
		{"a 253-character payload gives pL 0 pH 1", 253, 0, 1},
		{"a 300-character payload gives pL 47 pH 1", 300, 47, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := strings.Repeat("Q", tt.n)
			var j Job
			if err := j.QR(payload, 6, QRLevelM); err != nil {
				t.Fatal(err)
			}
			store := append([]byte{0x1D, 0x28, 0x6B, tt.pL, tt.pH, 0x31, 0x50, 0x30}, payload...)
			if !bytes.Contains(j.Bytes(), store) {
				t.Errorf("job does not contain the store command % X…", store[:8])
			}
		})
	}
}

func TestRasterPacksRowsMostSignificantBitFirstAndPadsToBytes(t *testing.T) {
	// 9×2: row 0 has its first and last (9th) pixels black; row 1 has its
	// second pixel black, a grey below the threshold, a grey above it and a
	// transparent pixel, which lies on white paper.
	img := image.NewNRGBA(image.Rect(10, 20, 19, 22)) // offset bounds on purpose
	for x := 10; x < 19; x++ {
		img.Set(x, 20, color.White)
		img.Set(x, 21, color.White)
	}
	img.Set(10, 20, color.Black)
	img.Set(18, 20, color.Black)
	img.Set(11, 21, color.Black)
	img.Set(12, 21, color.Gray{Y: 0x7F}) // dark enough to print
	img.Set(13, 21, color.Gray{Y: 0x80}) // too light
	img.Set(14, 21, color.NRGBA{0, 0, 0, 0})

	var j Job
	if err := j.Raster(img); err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x1D, 0x76, 0x30, 0x00, // GS v 0, m = 0
		0x02, 0x00, // xL xH: 2 bytes per row (9 dots padded to 16)
		0x02, 0x00, // yL yH: 2 rows
		0x80, 0x80, // row 0: pixel 0, pixel 8
		0x60, 0x00, // row 1: pixels 1 and 2
	}
	if got := j.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("bytes\n got % X\nwant % X", got, want)
	}
}

func TestColumnsCountsChineseCharactersTwice(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		chinese bool
		want    int
	}{
		{"ASCII counts one a character", "Hall 3", true, 6},
		{"Chinese counts two a character", "影厅 Hall", true, 9},
		{"other non-ASCII is full width in Chinese mode", "é€", true, 4},
		{"every character is one column in a code page", "Café", false, 4},
		{"the empty string is zero", "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Columns(tt.s, tt.chinese); got != tt.want {
				t.Errorf("Columns(%q, %v) = %d, want %d", tt.s, tt.chinese, got, tt.want)
			}
		})
	}
}

func TestWrapBreaksAtSpacesAndBetweenChineseCharacters(t *testing.T) {
	tests := []struct {
		name     string
		s        string
		cols     int
		maxLines int
		chinese  bool
		want     []string
	}{
		{"short text is one line", "Grand Hall", 16, 2, true, []string{"Grand Hall"}},
		{"English breaks at the last space that fits", "The Magic Flute tonight", 16, 3, false, []string{"The Magic Flute", "tonight"}},
		{"a word longer than a line is cut", "Supercalifragilistic", 8, 3, false, []string{"Supercal", "ifragili", "stic"}},
		{"Chinese breaks between characters and truncates the third line", "国家大剧院歌剧厅", 5, 3, true, []string{"国家", "大剧", "院..."}},
		{"text beyond the last line is truncated with dots", "one two three four five six", 9, 2, false, []string{"one two", "three..."}},
		{"white space runs collapse", " a \n\t b ", 16, 2, false, []string{"a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrap(tt.s, tt.cols, tt.maxLines, tt.chinese)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrap(%q, %d) = %q, want %q", tt.s, tt.cols, got, tt.want)
			}
			for _, l := range got {
				if Columns(l, tt.chinese) > tt.cols {
					t.Errorf("line %q is %d columns, more than %d", l, Columns(l, tt.chinese), tt.cols)
				}
			}
		})
	}
}
