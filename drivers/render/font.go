package render

import (
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Font A cell sizes in dots: a single-byte character is 12×24, a Chinese
// (Kanji mode) character 24×24.
const (
	cellWidth     = 12
	cjkCellWidth  = 24
	cellHeight    = 24
	lineHeight    = 24 // dots per text line at height ×1, and per ESC d line
	glyphCacheCap = 8192
)

// DefaultCJKFont is where Debian's fonts-noto-cjk package installs the CJK
// font Render uses for Chinese text unless Options.FontPath or the
// ADMIT_CJK_FONT environment variable names another.
const DefaultCJKFont = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

// CJKFontEnv is the environment variable that names the CJK font file when
// Options.FontPath is empty.
const CJKFontEnv = "ADMIT_CJK_FONT"

// ErrNoCJKFont is wrapped by the error Render returns for a job that prints
// Chinese characters when no CJK font can be loaded.
var ErrNoCJKFont = errors.New("no CJK font: install the Debian package fonts-noto-cjk, or name a .ttc/.otf/.ttf font with Options.FontPath or " + CJKFontEnv)

// cjkFontPath is the CJK font file opts selects.
func cjkFontPath(opts Options) string {
	if opts.FontPath != "" {
		return opts.FontPath
	}
	if p := os.Getenv(CJKFontEnv); p != "" {
		return p
	}
	return DefaultCJKFont
}

// glyph is a character cell rasterised at normal size: w×cellHeight
// booleans, row by row, true where the printer burns a dot.
type glyph struct {
	w   int
	pix []bool
}

// typeface is a parsed font with the geometry that puts its glyphs in a
// font A cell. sfnt.Font is safe for concurrent use; faces are not, so each
// rasterisation takes its own under mu.
type typeface struct {
	font     *sfnt.Font
	size     float64 // pixels per em
	baseline int     // dots from the cell top
	cell     int     // cell width in dots

	mu    sync.Mutex
	face  font.Face
	cache map[rune]*glyph
}

func newTypeface(f *sfnt.Font, size float64, baseline, cell int) (*typeface, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	return &typeface{font: f, size: size, baseline: baseline, cell: cell, face: face, cache: make(map[rune]*glyph)}, nil
}

// has reports whether the font has a glyph for r.
func (t *typeface) has(r rune) bool {
	var b sfnt.Buffer
	i, err := t.font.GlyphIndex(&b, r)
	return err == nil && i != 0
}

// glyph returns r rasterised into a cell, or a hollow box when the font has
// no glyph for r.
func (t *typeface) glyph(r rune) *glyph {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g, ok := t.cache[r]; ok {
		return g
	}
	g := &glyph{w: t.cell, pix: make([]bool, t.cell*cellHeight)}
	if t.has(r) {
		dst := image.NewAlpha(image.Rect(0, 0, t.cell, cellHeight))
		d := font.Drawer{Dst: dst, Src: image.Opaque, Face: t.face}
		adv := d.MeasureString(string(r))
		// Centre the glyph's advance in the cell (Go Mono's advance is
		// exactly 12 dots; a wide glyph in a narrow cell is clipped).
		d.Dot = fixed.Point26_6{X: (fixed.I(t.cell) - adv) / 2, Y: fixed.I(t.baseline)}
		d.DrawString(string(r))
		for i, a := range dst.Pix {
			g.pix[i] = a >= 0x60 // thermal dots are on or off
		}
	} else if r != ' ' {
		box(g)
	}
	if len(t.cache) < glyphCacheCap {
		t.cache[r] = g
	}
	return g
}

// box draws the hollow rectangle printed for a character without a glyph.
func box(g *glyph) {
	x0, x1, y0, y1 := 2, g.w-3, 4, cellHeight-4
	for x := x0; x <= x1; x++ {
		g.pix[y0*g.w+x], g.pix[y1*g.w+x] = true, true
	}
	for y := y0; y <= y1; y++ {
		g.pix[y*g.w+x0], g.pix[y*g.w+x1] = true, true
	}
}

var (
	// ankFace draws font A's single-byte characters with Go Mono, which
	// ships inside golang.org/x/image, so ASCII jobs need no system font.
	// At 20 px its advance is exactly 12 dots and ascent+descent 23.
	ankFace = sync.OnceValue(func() *typeface {
		f, err := sfnt.Parse(gomono.TTF)
		if err != nil {
			panic("render: embedded Go Mono font: " + err.Error())
		}
		t, err := newTypeface(f, 20, 19, cellWidth)
		if err != nil {
			panic("render: embedded Go Mono font: " + err.Error())
		}
		return t
	})

	cjkMu    sync.Mutex
	cjkFaces = map[string]*typeface{} // by path; failures are not cached
)

// cjkFace loads (once per path) the CJK font at path.
func cjkFace(path string) (*typeface, error) {
	cjkMu.Lock()
	defer cjkMu.Unlock()
	if t, ok := cjkFaces[path]; ok {
		return t, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoCJKFont, err)
	}
	c, err := sfnt.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s: %v)", ErrNoCJKFont, path, err)
	}
	f, err := pickSC(c)
	if err != nil {
		return nil, fmt.Errorf("%w (%s: %v)", ErrNoCJKFont, path, err)
	}
	var b sfnt.Buffer
	if i, err := f.GlyphIndex(&b, '票'); err != nil || i == 0 {
		return nil, fmt.Errorf("%w (%s has no Chinese glyphs)", ErrNoCJKFont, path)
	}
	// An ideograph fills the 24×24 cell; CJK fonts put the em box's
	// bottom 0.12 em below the baseline.
	t, err := newTypeface(f, cellHeight, cellHeight-3, cjkCellWidth)
	if err != nil {
		return nil, fmt.Errorf("%w (%s: %v)", ErrNoCJKFont, path, err)
	}
	cjkFaces[path] = t
	return t, nil
}

// pickSC returns the collection's Simplified Chinese proportional face
// ("Noto Sans CJK SC" in Noto's .ttc), else its first font.
func pickSC(c *sfnt.Collection) (*sfnt.Font, error) {
	var b sfnt.Buffer
	for i := 0; i < c.NumFonts(); i++ {
		f, err := c.Font(i)
		if err != nil {
			return nil, err
		}
		name, _ := f.Name(&b, sfnt.NameIDFull)
		if strings.HasSuffix(name, " SC") && !strings.Contains(name, "Mono") {
			return f, nil
		}
	}
	return c.Font(0)
}
