// Package seatmap holds the seat map of a hall in Admit — a cinema
// auditorium, a stadium stand — with its types, its validation, and its
// import and export as JSON and CSV.
//
// It is pure domain code: no SQL, no HTTP. Imports read from an io.Reader
// and exports write to an io.Writer. An import either yields a map that
// passes [Map.Validate] or an [*ImportError] listing every problem found
// (up to [MaxProblems]) with the file line it is on, so that a user who
// uploads a bad file is told where to look.
package seatmap

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SeatType is the commercial kind of a seat.
type SeatType string

// Known seat types. An empty type in an imported file means TypeStandard.
const (
	TypeStandard   SeatType = "standard"
	TypeAccessible SeatType = "accessible"
	TypeCouple     SeatType = "couple"
	TypeVIP        SeatType = "vip"
	TypeBox        SeatType = "box"
)

// Known reports whether t is one of the defined seat types.
func (t SeatType) Known() bool {
	switch t {
	case TypeStandard, TypeAccessible, TypeCouple, TypeVIP, TypeBox:
		return true
	}
	return false
}

// PhysicalState is the physical condition of a seat.
type PhysicalState string

// Known physical states. An empty state in an imported file means StateOK.
const (
	StateOK         PhysicalState = "ok"
	StateDamaged    PhysicalState = "damaged"
	StateRemoved    PhysicalState = "removed"
	StateObstructed PhysicalState = "obstructed" // obstructed view, still sellable
)

// Known reports whether s is one of the defined physical states.
func (s PhysicalState) Known() bool {
	switch s {
	case StateOK, StateDamaged, StateRemoved, StateObstructed:
		return true
	}
	return false
}

// InService reports whether a seat in this state can be sold: ok and
// obstructed seats are in service, damaged and removed seats are not.
func (s PhysicalState) InService() bool {
	return s == StateOK || s == StateObstructed
}

// Section is a named part of a hall (座区), such as a stand or a balcony.
type Section struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Seat is one seat of a hall.
type Seat struct {
	Section string        `json:"section"` // section code
	Row     string        `json:"row"`     // row label as printed, e.g. "A" or "12"
	RowNo   int           `json:"row_no"`  // 1-based physical row index used for adjacency
	Col     int           `json:"col"`     // 1-based physical column, adjacency within a row
	Label   string        `json:"label"`   // unique label in the hall, e.g. "A-12" or "S1-03-07"
	Type    SeatType      `json:"type"`
	State   PhysicalState `json:"state"`
}

// Map is the seat map of one hall.
type Map struct {
	Sections []Section `json:"sections"`
	Seats    []Seat    `json:"seats"`
}

// Limits enforced by Validate and the parsers.
const (
	MaxSeats       = 100_000  // seats in one map
	MaxProblems    = 200      // problems reported before giving up
	MaxInputBytes  = 16 << 20 // size of an imported file
	MaxPosition    = 10_000   // largest row_no and col
	MaxCodeLen     = 16       // runes in a section code
	MaxNameLen     = 64       // runes in a section name
	MaxRowLen      = 16       // runes in a row label
	MaxLabelLen    = 32       // runes in a seat label
	maxShownErrors = 3
)

// Problem is one thing wrong with a seat map. Line is the 1-based line of
// the imported file the problem is on, or 0 when it concerns the whole
// file (or when the map did not come from a file). Field names the column
// or JSON field concerned, if any.
type Problem struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ImportError is returned by ParseJSON and ParseCSV when the content of a
// file is not an acceptable seat map. It lists every problem found, up to
// MaxProblems (a final Line 0 problem says when the list was cut short).
type ImportError struct {
	Problems []Problem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	switch n {
	case 0:
		return "seatmap: invalid seat map"
	case 1:
		b.WriteString("seatmap: 1 problem: ")
	default:
		fmt.Fprintf(&b, "seatmap: %d problems: ", n)
	}
	for i, p := range e.Problems {
		if i == maxShownErrors {
			fmt.Fprintf(&b, "; and %d more", n-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks m against the rules of a seat map and returns every
// problem found (nil if none), up to MaxProblems. As m did not come from
// a file, Line is 0 and Field locates the problem by index, as in
// "seats[3].label" or "sections[0].code".
func (m Map) Validate() []Problem {
	ps := m.validate(indexLocator{})
	return ps.result()
}

// locator translates a position in a Map into a Problem position.
type locator interface {
	section(j int, field string) (line int, name string)
	seat(i int, field string) (line int, name string)
	seatRef(i int) string    // where seat i is, for messages: "line 4", "seats[4]"
	sectionRef(j int) string // where section j is, for messages
}

type indexLocator struct{}

func (indexLocator) section(j int, field string) (int, string) {
	return 0, "sections[" + strconv.Itoa(j) + "]." + field
}
func (indexLocator) seat(i int, field string) (int, string) {
	return 0, "seats[" + strconv.Itoa(i) + "]." + field
}
func (indexLocator) seatRef(i int) string    { return "seats[" + strconv.Itoa(i) + "]" }
func (indexLocator) sectionRef(j int) string { return "sections[" + strconv.Itoa(j) + "]" }

// lineLocator places sections and seats on the file lines they came from.
type lineLocator struct {
	sectionLines []int
	seatLines    []int
	sectionField map[string]string // renames section fields (CSV columns)
}

func (l lineLocator) section(j int, field string) (int, string) {
	if f, ok := l.sectionField[field]; ok {
		field = f
	}
	return at(l.sectionLines, j), field
}
func (l lineLocator) seat(i int, field string) (int, string) { return at(l.seatLines, i), field }
func (l lineLocator) seatRef(i int) string                   { return "line " + strconv.Itoa(at(l.seatLines, i)) }
func (l lineLocator) sectionRef(j int) string                { return "line " + strconv.Itoa(at(l.sectionLines, j)) }

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// problems collects up to MaxProblems problems.
type problems struct {
	list []Problem
	full bool // more problems were found than listed
}

func (p *problems) add(line int, field, format string, args ...any) {
	if len(p.list) >= MaxProblems {
		p.full = true
		return
	}
	p.list = append(p.list, Problem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// result returns the problems, with a closing note if some were left out.
func (p *problems) result() []Problem {
	if p.full {
		return append(p.list, truncatedNote())
	}
	return p.list
}

func truncatedNote() Problem {
	return Problem{Message: fmt.Sprintf("too many problems; only the first %d are listed", MaxProblems)}
}

type position struct {
	section  string
	row, col int
}

func (m Map) validate(loc locator) *problems {
	ps := &problems{}
	if len(m.Seats) == 0 {
		ps.add(0, "", "the map has no seats")
	}
	if len(m.Seats) > MaxSeats {
		ps.add(0, "", "the map has %d seats; at most %d are allowed", len(m.Seats), MaxSeats)
	}

	sections := make(map[string]int, len(m.Sections))
	used := make([]bool, len(m.Sections))
	for j, s := range m.Sections {
		secAdd := func(field, format string, args ...any) {
			line, name := loc.section(j, field)
			ps.add(line, name, format, args...)
		}
		if msg := checkText(s.Code, MaxCodeLen); msg != "" {
			secAdd("code", "section code %s", msg)
		} else if prev, dup := sections[s.Code]; dup {
			secAdd("code", "section code %q is already defined (%s)", s.Code, loc.sectionRef(prev))
		}
		if _, dup := sections[s.Code]; !dup {
			sections[s.Code] = j
		}
		if msg := checkText(s.Name, MaxNameLen); msg != "" {
			secAdd("name", "section name %s", msg)
		}
		if ps.full {
			return ps
		}
	}

	labels := make(map[string]int, len(m.Seats))
	places := make(map[position]int, len(m.Seats))
	for i, s := range m.Seats {
		seatAdd := func(field, format string, args ...any) {
			line, name := loc.seat(i, field)
			ps.add(line, name, format, args...)
		}
		if j, ok := sections[s.Section]; ok {
			used[j] = true
		} else if s.Section == "" {
			seatAdd("section", "section is required")
		} else {
			seatAdd("section", "section %q is not defined", s.Section)
		}
		if msg := checkText(s.Row, MaxRowLen); msg != "" {
			seatAdd("row", "row %s", msg)
		}
		rowOK := checkPosition(s.RowNo)
		if !rowOK {
			seatAdd("row_no", "row_no must be between 1 and %d, not %d", MaxPosition, s.RowNo)
		}
		colOK := checkPosition(s.Col)
		if !colOK {
			seatAdd("col", "col must be between 1 and %d, not %d", MaxPosition, s.Col)
		}
		if msg := checkText(s.Label, MaxLabelLen); msg != "" {
			seatAdd("label", "label %s", msg)
		} else if prev, dup := labels[s.Label]; dup {
			seatAdd("label", "label %q is already used (%s)", s.Label, loc.seatRef(prev))
		} else {
			labels[s.Label] = i
		}
		if rowOK && colOK {
			p := position{s.Section, s.RowNo, s.Col}
			if prev, dup := places[p]; dup {
				seatAdd("col", "section %q row_no %d col %d is already taken (%s)", s.Section, s.RowNo, s.Col, loc.seatRef(prev))
			} else {
				places[p] = i
			}
		}
		if !s.Type.Known() {
			seatAdd("type", "unknown seat type %q (want standard, accessible, couple, vip or box)", s.Type)
		}
		if !s.State.Known() {
			seatAdd("state", "unknown state %q (want ok, damaged, removed or obstructed)", s.State)
		}
		if ps.full {
			return ps
		}
	}
	for j, u := range used {
		if !u && sections[m.Sections[j].Code] == j {
			line, name := loc.section(j, "code")
			ps.add(line, name, "section %q has no seats", m.Sections[j].Code)
		}
	}
	return ps
}

func checkPosition(n int) bool { return n >= 1 && n <= MaxPosition }

// checkText returns why s is not an acceptable name, or "".
func checkText(s string, maxRunes int) string {
	if s == "" {
		return "is required"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("%q contains a control character", s)
		}
		n++
	}
	if n > maxRunes {
		return fmt.Sprintf("%q is longer than %d characters", s, maxRunes)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q has leading or trailing spaces", s)
	}
	return ""
}

// normType applies the import defaults and case folding to a seat type.
// Unknown values are kept as written so that the problem quotes them.
func normType(s string) SeatType {
	t := SeatType(strings.ToLower(strings.TrimSpace(s)))
	if t == "" {
		return TypeStandard
	}
	if t.Known() {
		return t
	}
	return SeatType(s)
}

// normState applies the import defaults and case folding to a state.
func normState(s string) PhysicalState {
	t := PhysicalState(strings.ToLower(strings.TrimSpace(s)))
	if t == "" {
		return StateOK
	}
	if t.Known() {
		return t
	}
	return PhysicalState(s)
}

// Grid builds a rectangular map of one section with rows×cols standard
// seats: rows are labelled A, B, …, Z, AA, AB, … and seats are numbered
// 1..cols, with labels such as "A-1". If rows or cols is below 1, or the
// grid would exceed MaxPosition or MaxSeats, the map has the section and
// no seats (which Validate reports).
func Grid(sectionCode, sectionName string, rows, cols int) Map {
	return grid(sectionCode, sectionName, rows, cols, RowLetters)
}

// GridNumbered is Grid with rows labelled 1, 2, 3, … instead of letters,
// giving labels such as "12-7".
func GridNumbered(sectionCode, sectionName string, rows, cols int) Map {
	return grid(sectionCode, sectionName, rows, cols, strconv.Itoa)
}

func grid(code, name string, rows, cols int, rowLabel func(int) string) Map {
	m := Map{Sections: []Section{{Code: code, Name: name}}}
	if rows < 1 || cols < 1 || rows > MaxPosition || cols > MaxPosition || rows*cols > MaxSeats {
		return m
	}
	m.Seats = make([]Seat, 0, rows*cols)
	for r := 1; r <= rows; r++ {
		row := rowLabel(r)
		for c := 1; c <= cols; c++ {
			m.Seats = append(m.Seats, Seat{
				Section: code, Row: row, RowNo: r, Col: c,
				Label: row + "-" + strconv.Itoa(c),
				Type:  TypeStandard, State: StateOK,
			})
		}
	}
	return m
}

// RowLetters returns the letter label of 1-based row n: 1 is "A", 26 is
// "Z", 27 is "AA", 28 is "AB" and so on. It returns "" for n < 1.
func RowLetters(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append(b, byte('A'+n%26))
		n /= 26
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
