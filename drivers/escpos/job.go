package escpos

import (
	"errors"
	"fmt"
	"io"
)

// Control codes that start ESC/POS commands.
const (
	lf  = 0x0A
	dle = 0x10
	eot = 0x04
	esc = 0x1B
	fs  = 0x1C
	gs  = 0x1D
)

// ErrInvalidArgument is wrapped by every error a Job method returns for an
// argument outside the range the command reference allows.
var ErrInvalidArgument = errors.New("invalid argument")

// ErrUnencodable is wrapped by the error Text returns for a character the
// selected character set cannot print (or a control character, which would
// otherwise be sent to the printer as a command).
var ErrUnencodable = errors.New("character cannot be printed")

// Job accumulates the bytes of one print job. The zero value is ready to use.
//
// Like bufio.Writer, a Job remembers the first error: every method returns
// it, later calls do nothing and return it again, and Err reports it. A
// caller may therefore build a whole job and check Err (or the error WriteTo
// returns) once at the end. A Job that has failed yields no bytes, so a
// half-built job never reaches the printer.
type Job struct {
	buf []byte
	err error

	// charset is what Text encodes with. It follows the ChineseMode and
	// CodePage calls made on this job, not the printer's real state, which
	// is why Text refuses non-ASCII text until ChineseMode has been called
	// (see Text).
	chinese  bool
	modeSet  bool
	codePage byte
}

// Bytes returns the job's bytes, or nil if the job has failed. The slice
// aliases the job's buffer until the next method call.
func (j *Job) Bytes() []byte {
	if j.err != nil {
		return nil
	}
	return j.buf
}

// Err returns the first error the job met, or nil.
func (j *Job) Err() error { return j.err }

// Len returns the number of bytes built so far.
func (j *Job) Len() int { return len(j.buf) }

// WriteTo writes the job to w (a printer port), implementing io.WriterTo. It
// writes nothing and returns the job's error if the job has failed.
func (j *Job) WriteTo(w io.Writer) (int64, error) {
	if j.err != nil {
		return 0, j.err
	}
	n, err := w.Write(j.buf)
	return int64(n), err
}

// fail records err as the job's error unless one is already recorded.
func (j *Job) fail(err error) error {
	if j.err == nil {
		j.err = err
	}
	return j.err
}

// argErr records an ErrInvalidArgument for the named command.
func (j *Job) argErr(cmd, format string, args ...any) error {
	return j.fail(fmt.Errorf("escpos: %s: %s: %w", cmd, fmt.Sprintf(format, args...), ErrInvalidArgument))
}

func (j *Job) put(b ...byte) error {
	if j.err != nil {
		return j.err
	}
	j.buf = append(j.buf, b...)
	return nil
}

// Init appends ESC @ (Initialize printer): it clears the print buffer and
// returns every mode (size, emphasis, alignment, code table) to its power-on
// default.
//
// Power-on defaults differ between models: a Chinese-market printer starts in
// Chinese (FS &) mode, an export model does not. So after Init the job no
// longer assumes a character mode and the code table is back to 0 (PC437);
// call ChineseMode before printing non-ASCII text.
func (j *Job) Init() error {
	if err := j.put(esc, '@'); err != nil {
		return err
	}
	j.modeSet = false
	j.chinese = false
	j.codePage = 0
	return nil
}

// LineFeed appends LF (Print and line feed).
func (j *Job) LineFeed() error { return j.put(lf) }

// Feed appends ESC d n (Print and feed n lines), 0 ≤ n ≤ 255.
func (j *Job) Feed(n int) error {
	if n < 0 || n > 255 {
		return j.argErr("Feed (ESC d)", "lines %d outside 0..255", n)
	}
	return j.put(esc, 'd', byte(n))
}

// Bold appends ESC E n (Turn emphasized mode on/off), n = 1 or 0.
func (j *Job) Bold(on bool) error {
	return j.put(esc, 'E', boolByte(on))
}

// UnderlineMode is the n of ESC - n.
type UnderlineMode byte

// Underline modes of ESC - n.
const (
	UnderlineOff   UnderlineMode = 0 // no underline
	UnderlineThin  UnderlineMode = 1 // one dot thick
	UnderlineThick UnderlineMode = 2 // two dots thick
)

// Underline appends ESC - n (Turn underline mode on/off), 0 ≤ n ≤ 2.
func (j *Job) Underline(m UnderlineMode) error {
	if m > UnderlineThick {
		return j.argErr("Underline (ESC -)", "mode %d outside 0..2", m)
	}
	return j.put(esc, '-', byte(m))
}

// Alignment is the n of ESC a n.
type Alignment byte

// Alignments of ESC a n.
const (
	AlignLeft   Alignment = 0
	AlignCenter Alignment = 1
	AlignRight  Alignment = 2
)

// Align appends ESC a n (Select justification), 0 ≤ n ≤ 2. The printer
// applies it only at the beginning of a line; it also positions raster
// images, QR codes and bar codes.
func (j *Job) Align(a Alignment) error {
	if a > AlignRight {
		return j.argErr("Align (ESC a)", "justification %d outside 0..2", a)
	}
	return j.put(esc, 'a', byte(a))
}

// Size appends GS ! n (Select character size): width and height are
// magnifications 1..8, packed as n = (width-1)<<4 | (height-1).
func (j *Job) Size(width, height int) error {
	if width < 1 || width > 8 || height < 1 || height > 8 {
		return j.argErr("Size (GS !)", "magnification %d×%d outside 1..8", width, height)
	}
	return j.put(gs, '!', byte(width-1)<<4|byte(height-1))
}

// CutMode selects the cut GS V performs.
type CutMode byte

// Cut modes, as the m of GS V m n (function B).
const (
	CutFull    CutMode = 65 // feed to the cutting position, then cut through
	CutPartial CutMode = 66 // feed to the cutting position, then cut leaving one point uncut
)

// Cut appends GS V m n (Select cut mode and cut paper), function B:
// m = 65 (full) or 66 (partial), n = 0.
//
// Function B is used rather than function A (GS V 0 / GS V 1) because the
// cutter sits several millimetres above the print head: function A cuts where
// the paper is, slicing through the last lines (the bar code) unless the host
// first feeds a model-specific distance, whereas function B makes the printer
// feed to its own cutting position first. n = 0 adds no extra feed. Some
// partial-cut-only models treat 65 as 66; none of them cut the print.
func (j *Job) Cut(m CutMode) error {
	if m != CutFull && m != CutPartial {
		return j.argErr("Cut (GS V)", "mode %d is neither 65 (full) nor 66 (partial)", m)
	}
	return j.put(gs, 'V', byte(m), 0)
}

func boolByte(on bool) byte {
	if on {
		return 1
	}
	return 0
}
