package escpos

import (
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// printedLine is one line of text as the printer would lay it out.
type printedLine struct {
	text string
	cols int // font A columns, multiplied by the GS ! width
}

// stream is what walk found in a job's bytes.
type stream struct {
	cmds     []string // command names, in order ("ESC @", "GS ( k 80", ...)
	lines    []printedLine
	qrData   [][]byte // payloads of GS ( k <Function 180>
	qrModule []byte   // n of each GS ( k <Function 167>
	barcodes [][]byte // d1..dn of each GS k 73
	barWidth []byte   // n of each GS w
}

// walk interprets an ESC/POS byte stream the way a printer would, for the
// commands this package emits. It fails the test on any byte it does not
// understand, so it also checks that every command has the length it should.
func walk(t *testing.T, b []byte) stream {
	t.Helper()
	var (
		s        stream
		chinese  bool
		codePage byte
		width    = 1
		line     []rune
		cols     int
	)
	endLine := func() {
		if len(line) > 0 {
			s.lines = append(s.lines, printedLine{string(line), cols})
		}
		line, cols = nil, 0
	}
	need := func(i, n int, what string) {
		t.Helper()
		if i+n > len(b) {
			t.Fatalf("%s at byte %d: stream ends after %d of %d bytes", what, i, len(b)-i, n)
		}
	}
	gb := simplifiedchinese.GB18030.NewDecoder()
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == lf:
			endLine()
			i++
		case c == esc:
			need(i, 2, "ESC")
			switch b[i+1] {
			case '@':
				s.cmds = append(s.cmds, "ESC @")
				chinese, codePage, width = false, 0, 1
				i += 2
			case 't', 'E', '-', 'a', 'd':
				need(i, 3, "ESC "+string(b[i+1]))
				s.cmds = append(s.cmds, "ESC "+string(b[i+1]))
				switch b[i+1] {
				case 't':
					codePage = b[i+2]
				case 'd':
					endLine()
				}
				i += 3
			default:
				t.Fatalf("unknown ESC %#02x at byte %d", b[i+1], i)
			}
		case c == fs:
			need(i, 2, "FS")
			switch b[i+1] {
			case '&':
				chinese = true
			case '.':
				chinese = false
			default:
				t.Fatalf("unknown FS %#02x at byte %d", b[i+1], i)
			}
			s.cmds = append(s.cmds, "FS "+string(b[i+1]))
			i += 2
		case c == gs:
			need(i, 2, "GS")
			switch b[i+1] {
			case '!':
				need(i, 3, "GS !")
				width = int(b[i+2]>>4) + 1
				s.cmds = append(s.cmds, "GS !")
				i += 3
			case 'h', 'w', 'H':
				need(i, 3, "GS "+string(b[i+1]))
				if b[i+1] == 'w' {
					s.barWidth = append(s.barWidth, b[i+2])
				}
				s.cmds = append(s.cmds, "GS "+string(b[i+1]))
				i += 3
			case '(':
				need(i, 5, "GS (")
				if b[i+2] != 'k' {
					t.Fatalf("unknown GS ( %#02x at byte %d", b[i+2], i)
				}
				p := int(b[i+3]) + int(b[i+4])<<8
				need(i, 5+p, "GS ( k")
				params := b[i+5 : i+5+p]
				if len(params) < 3 || params[0] != 49 {
					t.Fatalf("GS ( k at byte %d: parameters % x are not a QR Code function", i, params)
				}
				switch fn := params[1]; fn {
				case 80:
					s.qrData = append(s.qrData, params[3:])
				case 67:
					s.qrModule = append(s.qrModule, params[2])
				}
				s.cmds = append(s.cmds, "GS ( k "+string('0'+rune(params[1]/10))+string('0'+rune(params[1]%10)))
				i += 5 + p
			case 'k':
				need(i, 4, "GS k")
				if b[i+2] != 73 {
					t.Fatalf("GS k m=%d at byte %d, want 73 (CODE128)", b[i+2], i)
				}
				n := int(b[i+3])
				need(i, 4+n, "GS k 73")
				s.barcodes = append(s.barcodes, b[i+4:i+4+n])
				s.cmds = append(s.cmds, "GS k 73")
				i += 4 + n
			case 'v':
				need(i, 8, "GS v 0")
				if b[i+2] != '0' {
					t.Fatalf("unknown GS v %#02x at byte %d", b[i+2], i)
				}
				x := int(b[i+4]) + int(b[i+5])<<8
				y := int(b[i+6]) + int(b[i+7])<<8
				need(i, 8+x*y, "GS v 0 data")
				s.cmds = append(s.cmds, "GS v 0")
				i += 8 + x*y
			case 'V':
				need(i, 4, "GS V")
				s.cmds = append(s.cmds, "GS V")
				i += 4
			default:
				t.Fatalf("unknown GS %#02x at byte %d", b[i+1], i)
			}
		case c < 0x20 || c == 0x7F:
			t.Fatalf("stray control byte %#02x at byte %d", c, i)
		case c < 0x80:
			line = append(line, rune(c))
			cols += width
			i++
		case chinese:
			n := 2
			if i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
				n = 4
			}
			need(i, n, "GB18030 character")
			r, err := gb.Bytes(b[i : i+n])
			if err != nil || utf8.RuneCount(r) != 1 {
				t.Fatalf("byte %d: % x is not one GB18030 character", i, b[i:i+n])
			}
			line = append(line, []rune(string(r))...)
			cols += 2 * width
			i += n
		default:
			line = append(line, codePages[codePage].DecodeByte(c))
			cols += width
			i++
		}
	}
	endLine()
	return s
}
