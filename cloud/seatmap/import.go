package seatmap

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// readInput reads at most MaxInputBytes from r and drops a UTF-8 byte
// order mark, as written by spreadsheet programs.
func readInput(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("seatmap: reading the file: %w", err)
	}
	if len(data) > MaxInputBytes {
		return nil, &ImportError{Problems: []Problem{{
			Message: fmt.Sprintf("the file is larger than %d MiB", MaxInputBytes>>20),
		}}}
	}
	return bytes.TrimPrefix(data, utf8BOM), nil
}

// lineIndex maps byte offsets of data to 1-based line numbers. It is fast
// when asked about increasing offsets.
type lineIndex struct {
	data []byte
	off  int // offset up to which lines have been counted
	line int // line number at off
}

func newLineIndex(data []byte) *lineIndex { return &lineIndex{data: data, line: 1} }

func (l *lineIndex) at(off int64) int {
	o := int(min(max(off, 0), int64(len(l.data))))
	if o < l.off {
		l.off, l.line = 0, 1
	}
	l.line += bytes.Count(l.data[l.off:o], []byte{'\n'})
	l.off = o
	return l.line
}

// finish validates a parsed map and merges the validation problems with
// those found while parsing. ok is false when parsing stopped early, in
// which case the partial map is not validated.
func finish(m Map, ok bool, ps *problems, loc locator) (Map, error) {
	list, full := ps.list, ps.full
	if ok && !full {
		// A problem the parser reported on a field is not repeated.
		type key struct {
			line  int
			field string
		}
		reported := make(map[key]bool, len(list))
		for _, p := range list {
			reported[key{p.Line, p.Field}] = true
		}
		vs := m.validate(loc)
		for _, p := range vs.list {
			if !reported[key{p.Line, p.Field}] {
				list = append(list, p)
			}
		}
		full = full || vs.full
	}
	if len(list) == 0 && !full {
		return m, nil
	}
	slices.SortStableFunc(list, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	if len(list) > MaxProblems {
		list, full = list[:MaxProblems], true
	}
	if full {
		list = append(list, truncatedNote())
	}
	return Map{}, &ImportError{Problems: list}
}

// ParseJSON reads a seat map written as a JSON object with "sections" and
// "seats" arrays, as WriteJSON writes it. Unknown fields are refused. An
// empty seat type means standard and an empty state means ok.
//
// If the content is not an acceptable seat map, ParseJSON returns an
// *ImportError whose problems give the line on which each offending
// section or seat object starts, and no map. Other errors come from r.
func ParseJSON(r io.Reader) (Map, error) {
	data, err := readInput(r)
	if err != nil {
		return Map{}, err
	}
	p := &jsonParser{data: data, lines: newLineIndex(data)}
	ok := p.parse()
	return finish(p.m, ok, &p.ps, lineLocator{sectionLines: p.sectionLines, seatLines: p.seatLines})
}

type jsonParser struct {
	data         []byte
	lines        *lineIndex
	dec          *json.Decoder
	ps           problems
	m            Map
	sectionLines []int
	seatLines    []int
}

func (p *jsonParser) parse() bool {
	if i := invalidUTF8(p.data); i >= 0 {
		p.ps.add(p.lines.at(int64(i)), "", "the file is not UTF-8 text; save it with UTF-8 encoding")
		return false
	}
	p.dec = json.NewDecoder(bytes.NewReader(p.data))
	off := p.next()
	tok, err := p.dec.Token()
	if err == io.EOF {
		p.ps.add(0, "", "the file is empty")
		return false
	}
	if err != nil {
		p.syntax(err)
		return false
	}
	if tok != json.Delim('{') {
		p.ps.add(p.lines.at(off), "", `expected a JSON object with "sections" and "seats"`)
		return false
	}
	seen := map[string]bool{}
	for p.dec.More() {
		off := p.next()
		tok, err := p.dec.Token()
		if err != nil {
			p.syntax(err)
			return false
		}
		key, _ := tok.(string)
		line := p.lines.at(off)
		switch {
		case (key == "sections" || key == "seats") && seen[key]:
			p.ps.add(line, key, "%q is given twice", key)
			if !p.skip() {
				return false
			}
		case key == "sections":
			seen[key] = true
			if !p.array(key, p.section) {
				return false
			}
		case key == "seats":
			seen[key] = true
			if !p.array(key, p.seat) {
				return false
			}
		default:
			p.ps.add(line, key, `unknown field %q (want "sections" and "seats")`, key)
			if !p.skip() {
				return false
			}
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing '}'
		p.syntax(err)
		return false
	}
	off = p.next()
	if _, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			p.syntax(err)
		} else {
			p.ps.add(p.lines.at(off), "", "unexpected data after the end of the seat map")
		}
		return false
	}
	return true
}

// next returns the offset at which the next token starts.
func (p *jsonParser) next() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) skip() bool {
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		p.syntax(err)
		return false
	}
	return true
}

// array reads a JSON array (or null), calling elem for each element.
func (p *jsonParser) array(field string, elem func(raw []byte, line int)) bool {
	off := p.next()
	tok, err := p.dec.Token()
	if err != nil {
		p.syntax(err)
		return false
	}
	if tok == nil {
		return true
	}
	if tok != json.Delim('[') {
		p.ps.add(p.lines.at(off), field, "%s must be an array", field)
		return false
	}
	for p.dec.More() {
		off := p.next()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			p.syntax(err)
			return false
		}
		elem(raw, p.lines.at(off))
		if p.ps.full {
			return false
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing ']'
		p.syntax(err)
		return false
	}
	return true
}

func (p *jsonParser) section(raw []byte, line int) {
	var s Section
	if !p.object(raw, line, "section", &s) {
		return
	}
	p.m.Sections = append(p.m.Sections, s)
	p.sectionLines = append(p.sectionLines, line)
}

func (p *jsonParser) seat(raw []byte, line int) {
	var s Seat
	if !p.object(raw, line, "seat", &s) {
		return
	}
	s.Type = normType(string(s.Type))
	s.State = normState(string(s.State))
	p.m.Seats = append(p.m.Seats, s)
	p.seatLines = append(p.seatLines, line)
}

// object decodes one JSON object strictly into v. Problems with single
// fields are reported and v is still used, so that its other fields are
// checked too.
func (p *jsonParser) object(raw []byte, line int, what string, v any) bool {
	if len(raw) == 0 || raw[0] != '{' {
		p.ps.add(line, "", "each %s must be a JSON object", what)
		return false
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a string"
		if te.Type != nil && te.Type.Kind() == reflect.Int {
			want = "a whole number"
		}
		p.ps.add(line, te.Field, "%s must be %s, not %s", te.Field, want, te.Value)
		return true
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	field := ""
	if q, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if f, err := strconv.Unquote(q); err == nil {
			field = f
			msg = fmt.Sprintf("unknown field %q in %s", f, what)
		}
	}
	p.ps.add(line, field, "%s", msg)
	return true
}

func (p *jsonParser) syntax(err error) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		p.ps.add(p.lines.at(se.Offset-1), "", "invalid JSON: %s", se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		p.ps.add(p.lines.at(int64(len(p.data))), "", "invalid JSON: the file ends too early")
	default:
		p.ps.add(0, "", "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// invalidUTF8 returns the offset of the first byte of data that is not
// valid UTF-8, or -1.
func invalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// columns lists the columns of a seat map CSV file in the order WriteCSV
// writes them; ParseCSV accepts them in any order.
var columns = []string{"section", "section_name", "row", "row_no", "col", "label", "type", "state"}

const (
	colSection = iota
	colSectionName
	colRow
	colRowNo
	colCol
	colLabel
	colType
	colState
	numCols
)

// ParseCSV reads a seat map from CSV: a header line naming exactly the
// columns section, section_name, row, row_no, col, label, type and state,
// in any order (case and surrounding spaces are ignored), then one seat
// per line. A section is defined by its first seat: section_name is
// required there and may be left empty on later lines of the section, but
// must not differ. An empty type means standard and an empty state means
// ok. Lines whose fields are all empty are skipped, and a UTF-8 byte order
// mark is ignored.
//
// If the content is not an acceptable seat map, ParseCSV returns an
// *ImportError whose problems give file line numbers (the header is line
// 1), and no map. Other errors come from r.
func ParseCSV(r io.Reader) (Map, error) {
	data, err := readInput(r)
	if err != nil {
		return Map{}, err
	}
	var ps problems
	m, loc, ok := parseCSV(data, &ps)
	return finish(m, ok, &ps, loc)
}

var csvSectionFields = map[string]string{"code": "section", "name": "section_name"}

func parseCSV(data []byte, ps *problems) (Map, lineLocator, bool) {
	loc := lineLocator{sectionField: csvSectionFields}
	var m Map
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		ps.add(0, "", "the file is empty; expected a header line: %s", strings.Join(columns, ","))
		return m, loc, false
	}
	if err != nil {
		csvSyntax(ps, err)
		return m, loc, false
	}
	headerLine, _ := cr.FieldPos(0)
	var idx [numCols]int // column of each field in a record
	for i := range idx {
		idx[i] = -1
	}
	if len(header) == 1 && strings.ContainsAny(header[0], ";\t") {
		ps.add(headerLine, "", "columns must be separated by commas, not semicolons or tabs")
		return m, loc, false
	}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		c := slices.Index(columns, name)
		switch {
		case c < 0:
			ps.add(headerLine, h, "unknown column %q (want %s)", h, strings.Join(columns, ","))
		case idx[c] >= 0:
			ps.add(headerLine, name, "column %q appears twice", name)
		default:
			idx[c] = i
		}
	}
	for c, i := range idx {
		if i < 0 {
			ps.add(headerLine, columns[c], "column %q is missing", columns[c])
		}
	}
	if len(ps.list) > 0 {
		return m, loc, false
	}

	sections := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			csvSyntax(ps, err)
			return m, loc, false
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			if !blank(rec) {
				ps.add(line, "", "expected %d fields, found %d", len(header), len(rec))
			}
			continue
		}
		if blank(rec) {
			continue
		}
		if len(m.Seats) >= MaxSeats {
			ps.add(line, "", "too many seats; at most %d are allowed", MaxSeats)
			return m, loc, false
		}
		field := func(c int) string { return rec[idx[c]] }
		s := Seat{
			Section: field(colSection),
			Row:     field(colRow),
			RowNo:   csvInt(ps, line, columns[colRowNo], field(colRowNo)),
			Col:     csvInt(ps, line, columns[colCol], field(colCol)),
			Label:   field(colLabel),
			Type:    normType(field(colType)),
			State:   normState(field(colState)),
		}
		name := field(colSectionName)
		if j, ok := sections[s.Section]; !ok {
			sections[s.Section] = len(m.Sections)
			m.Sections = append(m.Sections, Section{Code: s.Section, Name: name})
			loc.sectionLines = append(loc.sectionLines, line)
		} else if prev := m.Sections[j].Name; name != "" && prev != "" && name != prev {
			ps.add(line, "section_name", "section %q is named %q here but %q on line %d", s.Section, name, prev, loc.sectionLines[j])
		}
		m.Seats = append(m.Seats, s)
		loc.seatLines = append(loc.seatLines, line)
		if ps.full {
			return m, loc, false
		}
	}
	return m, loc, true
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func csvInt(ps *problems, line int, field, s string) int {
	t := strings.TrimSpace(s)
	if t == "" {
		ps.add(line, field, "%s is required", field)
		return 0
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		ps.add(line, field, "%s must be a whole number, not %q", field, s)
		return 0
	}
	return n
}

func csvSyntax(ps *problems, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		ps.add(pe.Line, "", "invalid CSV: %v", pe.Err)
		return
	}
	ps.add(0, "", "invalid CSV: %v", err)
}
