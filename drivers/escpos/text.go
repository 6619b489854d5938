package escpos

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// codePages maps the n of ESC t n (Select character code table) to the
// single-byte character set it selects, for the tables the Epson reference
// numbers the same way on every model. A table not listed here cannot be
// selected, because Text could not encode for it.
var codePages = map[byte]*charmap.Charmap{
	0:  charmap.CodePage437, // Page 0: PC437 (USA, Standard Europe)
	2:  charmap.CodePage850, // Page 2: PC850 (Multilingual)
	3:  charmap.CodePage860, // Page 3: PC860 (Portuguese)
	4:  charmap.CodePage863, // Page 4: PC863 (Canadian-French)
	5:  charmap.CodePage865, // Page 5: PC865 (Nordic)
	16: charmap.Windows1252, // Page 16: WPC1252
	17: charmap.CodePage866, // Page 17: PC866 (Cyrillic #2)
	18: charmap.CodePage852, // Page 18: PC852 (Latin 2)
	19: charmap.CodePage858, // Page 19: PC858 (Euro)
}

// gb18030 is stateless (its Transform keeps nothing between calls), so one
// encoder serves every job.
var gb18030 *encoding.Encoder = simplifiedchinese.GB18030.NewEncoder()

// CodePage appends ESC t n (Select character code table) and makes Text
// encode with that table while Chinese mode is off. Supported tables: 0
// (PC437), 2 (PC850), 3 (PC860), 4 (PC863), 5 (PC865), 16 (WPC1252), 17
// (PC866), 18 (PC852), 19 (PC858).
func (j *Job) CodePage(n byte) error {
	if _, ok := codePages[n]; !ok {
		return j.argErr("CodePage (ESC t)", "character code table %d is not supported", n)
	}
	if err := j.put(esc, 't', n); err != nil {
		return err
	}
	j.codePage = n
	return nil
}

// ChineseMode appends FS & (Select Kanji character mode) when on, or FS .
// (Cancel Kanji character mode) when off. While it is on, Text encodes in
// GB18030, the code system of Chinese-market ESC/POS printers; while it is
// off, Text encodes in the table chosen by CodePage.
func (j *Job) ChineseMode(on bool) error {
	cmd := byte('.')
	if on {
		cmd = '&'
	}
	if err := j.put(fs, cmd); err != nil {
		return err
	}
	j.chinese = on
	j.modeSet = true
	return nil
}

// Text appends s encoded for the current character mode, without a line
// feed. It refuses, and records as the job's error, any string that would not
// print as written:
//   - invalid UTF-8 and U+FFFD (text already damaged upstream);
//   - control characters (they would reach the printer as commands);
//   - a character the selected code table lacks, when Chinese mode is off;
//   - any non-ASCII character while the character mode is unknown, that is
//     before ChineseMode has been called on a new job or after Init (a
//     printer in Chinese mode reads bytes 0x81..0xFE as GB18030 lead bytes,
//     one that is not reads them as code table characters).
//
// Nothing of s is appended when it is refused.
func (j *Job) Text(s string) error {
	if j.err != nil {
		return j.err
	}
	start := len(j.buf)
	var err error
	j.buf, err = j.appendText(j.buf, s)
	if err != nil {
		j.buf = j.buf[:start]
		return j.fail(err)
	}
	return nil
}

// TextLine appends Text(s) followed by LF (Print and line feed).
func (j *Job) TextLine(s string) error {
	if err := j.Text(s); err != nil {
		return err
	}
	return j.LineFeed()
}

func (j *Job) appendText(dst []byte, s string) ([]byte, error) {
	cm := codePages[j.codePage]
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return dst, fmt.Errorf("escpos: Text: byte %d of %q is not valid UTF-8 (or is U+FFFD): %w", i, s, ErrUnencodable)
		case r < 0x20 || r == 0x7F:
			return dst, fmt.Errorf("escpos: Text: control character %U at byte %d of %q: %w", r, i, s, ErrUnencodable)
		case r < utf8.RuneSelf:
			dst = append(dst, byte(r))
		case !j.modeSet:
			return dst, fmt.Errorf("escpos: Text: %q (%U) needs ChineseMode on or off to be stated first: %w", r, r, ErrUnencodable)
		case j.chinese:
			var src [utf8.UTFMax]byte
			var out [4]byte
			n, _, err := gb18030.Transform(out[:], src[:utf8.EncodeRune(src[:], r)], true)
			if err != nil || n == 0 {
				return dst, fmt.Errorf("escpos: Text: %q (%U) has no GB18030 code: %w", r, r, ErrUnencodable)
			}
			dst = append(dst, out[:n]...)
		default:
			b, ok := cm.EncodeRune(r)
			if !ok || b < 0x20 {
				return dst, fmt.Errorf("escpos: Text: %q (%U) is not in character code table %d: %w", r, r, j.codePage, ErrUnencodable)
			}
			dst = append(dst, b)
		}
	}
	return dst, nil
}

// Printable returns s with every character the printer cannot print in
// the given mode (Chinese, or the single-byte code page) replaced by '?',
// and control characters by spaces: a name in a script the printer lacks
// must not stop a ticket from printing.
func Printable(s string, chinese bool, codePage byte) string {
	j := &Job{modeSet: true, chinese: chinese, codePage: codePage}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7F:
			b.WriteByte(' ')
		default:
			if _, err := j.appendText(nil, string(r)); err != nil {
				b.WriteByte('?')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Columns returns how many character columns s occupies at normal size in
// font A: one for each single-byte character, two for each character printed
// from the Kanji (Chinese) font. With chinese true that is every non-ASCII
// character, since in Chinese mode every non-ASCII character is sent as a
// multi-byte GB18030 code and printed full width (24 dots against 12);
// with chinese false every character takes one column.
func Columns(s string, chinese bool) int {
	if !chinese {
		return utf8.RuneCountInString(s)
	}
	n := 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			n++
		} else {
			n += 2
		}
	}
	return n
}

// runeColumns is Columns for one rune.
func runeColumns(r rune, chinese bool) int {
	if chinese && r >= utf8.RuneSelf {
		return 2
	}
	return 1
}
