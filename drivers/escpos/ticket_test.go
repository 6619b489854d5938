package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"
)

// testPayload is a signed-ticket-shaped QR payload of exactly n bytes.
func testPayload(n int) string {
	s := "ADM1.SYS042.V0815.20260314.20260314000123456789.S77.R07C12."
	for len(s) < n {
		s += "MEUCIQDx9sKp3Q7vZcN8rLw2YbT5uJf0aHgXe4oB1iVnR6mDkwIgS"
	}
	return s[:n]
}

var shanghai = time.FixedZone("CST", 8*60*60)

func chineseTicket() TicketLayout {
	return TicketLayout{
		Venue:        "国家大剧院",
		Hall:         "歌剧厅",
		Event:        "歌剧《图兰朵》 Turandot",
		SessionTime:  time.Date(2026, 3, 14, 11, 30, 0, 0, time.UTC),
		TimeZone:     shanghai,
		Seat:         "2楼 7排 12座",
		PriceCents:   28000,
		Currency:     "CNY",
		TicketNumber: "20260314000123456789",
		QR:           testPayload(145),
	}
}

func englishTicket() TicketLayout {
	return TicketLayout{
		Venue:        "National Centre for the Performing Arts",
		Hall:         "Opera House",
		Event:        "Turandot, opera in three acts by Giacomo Puccini (sung in Italian with Chinese and English surtitles)",
		SessionTime:  time.Date(2026, 3, 14, 19, 30, 0, 0, shanghai),
		Seat:         "Level 2, Row 7, Seat 12",
		PriceCents:   28050,
		Currency:     "EUR",
		TicketNumber: "20260314000123456789",
		QR:           testPayload(145),
	}
}

func TestTicketJobsPrintTheWholeTicketWithinThePaper(t *testing.T) {
	tests := []struct {
		name      string
		ticket    TicketLayout
		paper     Paper
		opts      Options
		qrModule  byte
		wantLines []string // lines that must be printed exactly
		wantCols  map[string]int
	}{
		{
			name: "a Chinese ticket on 58 mm paper", ticket: chineseTicket(), paper: Paper58,
			opts: Options{ChineseMode: true}, qrModule: 6,
			wantLines: []string{
				"国家大剧院",
				"歌剧《图兰朵》 Turandot",
				"场次 Session", // 12 + 1 + 20 columns do not fit 32
				"  2026-03-14 19:30 CST",
				"影厅 Hall                 歌剧厅",
				"座位 Seat           2楼 7排 12座",
				"票价 Price            280.00 CNY",
				"票号 No.    20260314000123456789",
			},
			wantCols: map[string]int{"国家大剧院": 20, "场次 Session": 12}, // double width, normal
		},
		{
			name: "a Chinese ticket on 80 mm paper", ticket: chineseTicket(), paper: Paper80,
			opts: Options{ChineseMode: true}, qrModule: 8,
			wantLines: []string{
				"国家大剧院",
				"场次 Session                2026-03-14 19:30 CST",
				"票号 No.                    20260314000123456789",
			},
		},
		{
			name: "an English ticket in code page 16 on 58 mm paper", ticket: englishTicket(), paper: Paper58,
			opts: Options{CodePage: 16}, qrModule: 6,
			wantLines: []string{
				"National Centre",
				"for the Perfo...", // 16 columns at double width
				"Turandot, opera in three acts by",
				"Giacomo Puccini (sung in Italian",
				"with Chinese and English surt...",
				"Session     2026-03-14 19:30 CST",
				"Hall                 Opera House",
				"Seat     Level 2, Row 7, Seat 12",
				"Price                 280.50 EUR",
				"No.         20260314000123456789",
			},
		},
		{
			name: "an English ticket in code page 0 on 80 mm paper", ticket: englishTicket(), paper: Paper80,
			opts: Options{CodePage: 0}, qrModule: 8,
			wantLines: []string{
				"National Centre for the",
				"Seat                     Level 2, Row 7, Seat 12",
				"Price                                 280.50 EUR",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := TicketJob(tt.ticket, tt.paper, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte{0x1B, 0x40}) {
				t.Errorf("job starts % X, want ESC @", b[:min(len(b), 2)])
			}
			if !bytes.HasSuffix(b, []byte{0x1D, 0x56, 0x42, 0x00}) {
				t.Errorf("job ends % X, want GS V 66 0 (partial cut)", b[max(0, len(b)-4):])
			}
			k := len(tt.ticket.QR) + 3
			store := append([]byte{0x1D, 0x28, 0x6B, byte(k), byte(k >> 8), 0x31, 0x50, 0x30}, tt.ticket.QR...)
			if !bytes.Contains(b, store) {
				t.Error("job does not store the exact QR payload")
			}

			s := walk(t, b)
			if len(s.qrData) != 1 || string(s.qrData[0]) != tt.ticket.QR {
				t.Errorf("QR data = %q, want the payload", s.qrData)
			}
			if len(s.qrModule) != 1 || s.qrModule[0] != tt.qrModule {
				t.Errorf("QR module size = %v, want %d", s.qrModule, tt.qrModule)
			}
			wantBar := []byte{'{', 'C', 20, 26, 3, 14, 0, 1, 23, 45, 67, 89}
			if len(s.barcodes) != 1 || !bytes.Equal(s.barcodes[0], wantBar) {
				t.Errorf("bar code data = % X, want % X", s.barcodes, wantBar)
			}
			if last := s.cmds[len(s.cmds)-1]; last != "GS V" {
				t.Errorf("last command %s, want GS V", last)
			}
			printed := map[string]printedLine{}
			for _, l := range s.lines {
				if l.cols > tt.paper.CharsPerLine {
					t.Errorf("line %q is %d columns, more than %d", l.text, l.cols, tt.paper.CharsPerLine)
				}
				printed[l.text] = l
			}
			for _, want := range tt.wantLines {
				if _, ok := printed[want]; !ok {
					t.Errorf("line %q not printed; printed:\n%s", want, dump(s.lines))
				}
			}
			for text, cols := range tt.wantCols {
				if printed[text].cols != cols {
					t.Errorf("line %q is %d columns, want %d", text, printed[text].cols, cols)
				}
			}
		})
	}
}

func dump(lines []printedLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  |" + l.text + "|\n")
	}
	return b.String()
}

func TestTicketQRShrinksModulesToFitThePaper(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		paper  Paper
		module byte
	}{
		{"a 600-byte payload (version 19) on 58 mm uses 3-dot modules", 600, Paper58, 3},
		{"a 600-byte payload (version 19) on 80 mm uses 5-dot modules", 600, Paper80, 5},
		{"a 145-byte payload (version 8) keeps 8-dot modules on 80 mm", 145, Paper80, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := chineseTicket()
			tk.QR = testPayload(tt.n)
			b, err := TicketJob(tk, tt.paper, Options{ChineseMode: true})
			if err != nil {
				t.Fatal(err)
			}
			if s := walk(t, b); s.qrModule[0] != tt.module {
				t.Errorf("module size %d, want %d", s.qrModule[0], tt.module)
			}
		})
	}
}

func TestTicketPrintsTheLogoScaledToThePaper(t *testing.T) {
	logo := image.NewGray(image.Rect(0, 0, 600, 100))
	for x := range 600 {
		logo.SetGray(x, 0, color.Gray{})
	}
	tk := chineseTicket()
	tk.Logo = logo
	b, err := TicketJob(tk, Paper80, Options{ChineseMode: true})
	if err != nil {
		t.Fatal(err)
	}
	// 576 dots = 72 bytes a row, 600×100 scaled to 576×96.
	header := []byte{0x1D, 0x76, 0x30, 0x00, 72, 0, 96, 0, 0xFF}
	if !bytes.Contains(b, header) {
		t.Errorf("job has no GS v 0 header % X", header)
	}
	s := walk(t, b)
	if s.cmds[2] != "ESC a" || s.cmds[3] != "GS v 0" {
		t.Errorf("commands start %v, want the centred logo after ESC @, FS &", s.cmds[:5])
	}
}

func TestTicketJobRefusesWhatItCannotPrint(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*TicketLayout)
		paper  Paper
		opts   Options
		target error
	}{
		{"no QR payload", func(tk *TicketLayout) { tk.QR = "" }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"no ticket number", func(tk *TicketLayout) { tk.TicketNumber = "" }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"no venue", func(tk *TicketLayout) { tk.Venue = "  " }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"no event", func(tk *TicketLayout) { tk.Event = "" }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"no session time", func(tk *TicketLayout) { tk.SessionTime = time.Time{} }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a negative price", func(tk *TicketLayout) { tk.PriceCents = -1 }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a lower-case currency", func(tk *TicketLayout) { tk.Currency = "cny" }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a paper too narrow for a ticket", func(tk *TicketLayout) {}, Paper{Name: "tiny", DotsPerLine: 96, CharsPerLine: 8}, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a payload whose QR code cannot fit 58 mm", func(tk *TicketLayout) { tk.QR = testPayload(1000) }, Paper58, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a payload beyond any QR code", func(tk *TicketLayout) { tk.QR = testPayload(2332) }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a 16-character ticket number as a bar code on 58 mm", func(tk *TicketLayout) { tk.TicketNumber = "A-20260314-00123" }, Paper58, Options{ChineseMode: true}, ErrInvalidArgument},
		{"a ticket number with a non-ASCII character", func(tk *TicketLayout) { tk.TicketNumber = "№123" }, Paper80, Options{ChineseMode: true}, ErrInvalidArgument},
		{"an unsupported code page", func(tk *TicketLayout) { *tk = englishTicket() }, Paper80, Options{CodePage: 1}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := chineseTicket()
			tt.edit(&tk)
			b, err := TicketJob(tk, tt.paper, tt.opts)
			if !errors.Is(err, tt.target) {
				t.Fatalf("error = %v, want %v", err, tt.target)
			}
			if b != nil {
				t.Errorf("returned %d bytes with the error", len(b))
			}
		})
	}
}

func TestA16CharacterTicketNumberFits80mmWithNarrowBars(t *testing.T) {
	tk := chineseTicket()
	tk.TicketNumber = "A-20260314-00123"
	b, err := TicketJob(tk, Paper80, Options{ChineseMode: true})
	if err != nil {
		t.Fatal(err)
	}
	s := walk(t, b)
	if s.barWidth[0] != 2 {
		t.Errorf("bar module width %d, want 2", s.barWidth[0])
	}
	if want := "{BA-20260314-00123"; string(s.barcodes[0]) != want {
		t.Errorf("bar code data %q, want %q", s.barcodes[0], want)
	}
}

func TestTicketLabelsCanBeReplaced(t *testing.T) {
	tk := englishTicket()
	tk.Labels = Labels{
		Hall: Label{En: "Room"}, Session: Label{En: "Date"}, Seat: Label{En: "Place"},
		Price: Label{En: "Paid"}, Number: Label{En: "Ticket"},
	}
	b, err := TicketJob(tk, Paper80, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range walk(t, b).lines {
		if strings.HasPrefix(l.text, "Room ") {
			found = true
		}
	}
	if !found {
		t.Error("the Room label was not printed")
	}
}

func BenchmarkTicketJob(b *testing.B) {
	tk := chineseTicket()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TicketJob(tk, Paper80, Options{ChineseMode: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// A name the printer cannot print in its mode is printed with '?' for
// what it cannot, and a control character as a space: the ticket prints.
func TestTicketJobPrintsWhatItCanOfANameItCannot(t *testing.T) {
	tk := chineseTicket()
	tk.Venue, tk.Event = "Arena 幸福", "Final\x1b@ Cup"
	b, err := TicketJob(tk, Paper80, Options{CodePage: 0})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Arena ??", "Final @ Cup"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the job does not print %q", want)
		}
	}
	if bytes.Contains(b, []byte("Final\x1b@")) {
		t.Error("an escape character in a name reached the printer")
	}
	if got := Printable("票 A\x07", true, 0); got != "票 A " {
		t.Errorf("in Chinese mode: %q", got)
	}
}
