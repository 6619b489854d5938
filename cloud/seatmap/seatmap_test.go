package seatmap

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestInService(t *testing.T) {
	tests := []struct {
		state PhysicalState
		want  bool
	}{
		{StateOK, true},
		{StateObstructed, true},
		{StateDamaged, false},
		{StateRemoved, false},
		{"", false},
		{"broken", false},
	}
	for _, tt := range tests {
		if got := tt.state.InService(); got != tt.want {
			t.Errorf("PhysicalState(%q).InService() = %v, want %v", tt.state, got, tt.want)
		}
	}
}

func TestGridOf12By20GivesTwoHundredFortyUniqueValidSeats(t *testing.T) {
	m := Grid("S1", "Stalls", 12, 20)
	if len(m.Seats) != 240 {
		t.Fatalf("got %d seats, want 240", len(m.Seats))
	}
	if ps := m.Validate(); len(ps) != 0 {
		t.Fatalf("Grid map does not validate: %v", ps)
	}
	labels := map[string]bool{}
	for _, s := range m.Seats {
		labels[s.Label] = true
	}
	if len(labels) != 240 {
		t.Errorf("got %d unique labels, want 240", len(labels))
	}
	first, last := m.Seats[0], m.Seats[239]
	if first != (Seat{"S1", "A", 1, 1, "A-1", TypeStandard, StateOK}) {
		t.Errorf("first seat = %+v", first)
	}
	if last != (Seat{"S1", "L", 12, 20, "L-20", TypeStandard, StateOK}) {
		t.Errorf("last seat = %+v", last)
	}
}

func TestGridNumberedLabelsRowsWithNumbers(t *testing.T) {
	m := GridNumbered("B", "Balcony", 3, 2)
	if got := m.Seats[5].Label; got != "3-2" {
		t.Errorf("last label = %q, want 3-2", got)
	}
	if ps := m.Validate(); len(ps) != 0 {
		t.Errorf("GridNumbered map does not validate: %v", ps)
	}
}

func TestGridOfImpossibleSizeHasNoSeats(t *testing.T) {
	for _, size := range [][2]int{{0, 5}, {5, -1}, {10_001, 1}, {1000, 1000}} {
		if m := Grid("A", "A", size[0], size[1]); len(m.Seats) != 0 {
			t.Errorf("Grid(%d, %d) has %d seats, want none", size[0], size[1], len(m.Seats))
		}
	}
}

func TestRowLettersCountLikeSpreadsheetColumns(t *testing.T) {
	tests := map[int]string{0: "", 1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA"}
	for n, want := range tests {
		if got := RowLetters(n); got != want {
			t.Errorf("RowLetters(%d) = %q, want %q", n, got, want)
		}
	}
}

// mixedMap is a valid map exercising every type, state and awkward text.
func mixedMap() Map {
	return Map{
		Sections: []Section{
			{Code: "L1", Name: "一层看台"},
			{Code: "VIP", Name: `Box "Royal", east`},
			{Code: "S,2", Name: "Balcón 2"},
		},
		Seats: []Seat{
			{"L1", "A", 1, 1, "一层-A-1", TypeStandard, StateOK},
			{"L1", "A", 1, 2, "一层-A-2", TypeAccessible, StateObstructed},
			{"VIP", "1", 1, 1, `"R"-1`, TypeBox, StateDamaged},
			{"S,2", "12", 12, 7, "=12-7", TypeCouple, StateRemoved},
			{"L1", "B", 2, 1, "一层-B-1", TypeVIP, StateOK},
			{"VIP", "1", 1, 2, "R 2", TypeStandard, StateOK},
		},
	}
}

func TestExportRoundTrips(t *testing.T) {
	maps := map[string]Map{
		"grid":                  Grid("S1", "Stalls", 12, 20),
		"chinese section names": Grid("一层", "一层看台", 3, 4),
		"every type and state":  mixedMap(),
	}
	formats := []struct {
		name  string
		write func(*bytes.Buffer, Map) error
		parse func(*bytes.Buffer) (Map, error)
	}{
		{"JSON", func(b *bytes.Buffer, m Map) error { return WriteJSON(b, m) }, func(b *bytes.Buffer) (Map, error) { return ParseJSON(b) }},
		{"CSV", func(b *bytes.Buffer, m Map) error { return WriteCSV(b, m) }, func(b *bytes.Buffer) (Map, error) { return ParseCSV(b) }},
	}
	for name, m := range maps {
		if ps := m.Validate(); len(ps) != 0 {
			t.Fatalf("%s: test map does not validate: %v", name, ps)
		}
		for _, f := range formats {
			t.Run(f.name+" "+name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := f.write(&buf, m); err != nil {
					t.Fatal(err)
				}
				text := buf.String()
				got, err := f.parse(&buf)
				if err != nil {
					t.Fatalf("parse: %v\n%s", err, text)
				}
				if !reflect.DeepEqual(got, m) {
					t.Errorf("round trip changed the map\n got %+v\nwant %+v\n%s", got, m, text)
				}
			})
		}
	}
}

func TestCSVListsSectionsInOrderOfTheirFirstSeat(t *testing.T) {
	m := Map{
		Sections: []Section{{"B", "Balcony"}, {"A", "Stalls"}},
		Seats:    []Seat{{"A", "A", 1, 1, "A1", TypeStandard, StateOK}, {"B", "A", 1, 1, "B1", TypeStandard, StateOK}},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := ParseCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []Section{{"A", "Stalls"}, {"B", "Balcony"}}
	if !reflect.DeepEqual(got.Sections, want) || !reflect.DeepEqual(got.Seats, m.Seats) {
		t.Errorf("got %+v", got)
	}
}

func TestValidateReportsEachRuleWithTheSeatIndex(t *testing.T) {
	valid := func() Map { return mixedMap() }
	tests := []struct {
		name   string
		change func(*Map)
		field  string
		msg    string
	}{
		{"a map without seats", func(m *Map) { m.Seats = nil; m.Sections = nil }, "", "no seats"},
		{"an empty section code", func(m *Map) { m.Sections[1].Code = ""; m.Seats[2].Section = ""; m.Seats[5].Section = "" }, "sections[1].code", "required"},
		{"a duplicate section code", func(m *Map) { m.Sections[2].Code = "L1" }, "sections[2].code", "already defined (sections[0])"},
		{"a long section code", func(m *Map) { m.Sections[0].Code = strings.Repeat("x", 17) }, "sections[0].code", "longer than 16"},
		{"an empty section name", func(m *Map) { m.Sections[0].Name = "" }, "sections[0].name", "required"},
		{"a section without seats", func(m *Map) { m.Sections = append(m.Sections, Section{"X", "Empty"}) }, "sections[3].code", "no seats"},
		{"an undefined section", func(m *Map) { m.Seats[3].Section = "Q" }, "seats[3].section", `"Q" is not defined`},
		{"an empty label", func(m *Map) { m.Seats[0].Label = "" }, "seats[0].label", "required"},
		{"a long label", func(m *Map) { m.Seats[0].Label = strings.Repeat("座", 33) }, "seats[0].label", "longer than 32"},
		{"a duplicate label", func(m *Map) { m.Seats[4].Label = "R 2" }, "seats[5].label", "already used (seats[4])"},
		{"a duplicate position", func(m *Map) { m.Seats[4].RowNo, m.Seats[4].Col = 1, 2 }, "seats[4].col", "already taken (seats[1])"},
		{"a row_no of 0", func(m *Map) { m.Seats[2].RowNo = 0 }, "seats[2].row_no", "between 1 and 10000"},
		{"a col over 10000", func(m *Map) { m.Seats[2].Col = 10_001 }, "seats[2].col", "between 1 and 10000"},
		{"an empty row", func(m *Map) { m.Seats[1].Row = "" }, "seats[1].row", "required"},
		{"an empty type", func(m *Map) { m.Seats[1].Type = "" }, "seats[1].type", "unknown seat type"},
		{"an unknown state", func(m *Map) { m.Seats[1].State = "wobbly" }, "seats[1].state", `unknown state "wobbly"`},
		{"invalid UTF-8", func(m *Map) { m.Seats[1].Row = "A\xff" }, "seats[1].row", "not valid UTF-8"},
		{"a control character", func(m *Map) { m.Sections[0].Name = "一层\n看台" }, "sections[0].name", "control character"},
		{"a trailing space", func(m *Map) { m.Seats[0].Label = "A-1 " }, "seats[0].label", "trailing spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is a problem", func(t *testing.T) {
			m := valid()
			tt.change(&m)
			ps := m.Validate()
			if !hasProblem(ps, 0, tt.field, tt.msg) {
				t.Errorf("want a problem with field %q and %q, got %v", tt.field, tt.msg, ps)
			}
		})
	}
}

func TestValidateReportsEveryProblemUpToTheCap(t *testing.T) {
	m := Grid("A", "A", 10, 100)
	for i := range m.Seats {
		m.Seats[i].Type = "bogus"
	}
	ps := m.Validate()
	if len(ps) != MaxProblems+1 {
		t.Fatalf("got %d problems, want %d", len(ps), MaxProblems+1)
	}
	if last := ps[len(ps)-1]; !strings.Contains(last.Message, "too many problems") {
		t.Errorf("last problem = %v, want a note that the list is cut short", last)
	}
}

func TestValidateCountsSeatsAgainstMaxSeats(t *testing.T) {
	m := Map{Sections: []Section{{"A", "A"}}}
	for i := range MaxSeats + 1 {
		m.Seats = append(m.Seats, Seat{"A", "R", i/1000 + 1, i%1000 + 1, fmt.Sprint(i), TypeStandard, StateOK})
	}
	if ps := m.Validate(); !hasProblem(ps, 0, "", "at most 100000") {
		t.Errorf("got %v", ps)
	}
}

func hasProblem(ps []Problem, line int, field, msg string) bool {
	for _, p := range ps {
		if p.Line == line && p.Field == field && strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

type wantProblem struct {
	line  int
	field string
	msg   string
}

func checkImportError(t *testing.T, m Map, err error, want []wantProblem) {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("got error %v, want *ImportError", err)
	}
	if !reflect.DeepEqual(m, Map{}) {
		t.Errorf("a bad file returned a map: %+v", m)
	}
	for _, w := range want {
		if !hasProblem(ie.Problems, w.line, w.field, w.msg) {
			t.Errorf("missing problem line %d field %q %q; got:\n%s", w.line, w.field, w.msg, formatProblems(ie.Problems))
		}
	}
	if len(ie.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ie.Problems), len(want), formatProblems(ie.Problems))
	}
}

func formatProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\t%s\n", p)
	}
	return b.String()
}

const csvHeader = "section,section_name,row,row_no,col,label,type,state\n"

func TestParseCSVReportsProblemsOnTheirLines(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want []wantProblem
	}{
		{"a duplicate label on line 5 and an unknown type on line 7", csvHeader +
			"A,Stalls,A,1,1,A-1,,\n" +
			"A,,A,1,2,A-2,vip,ok\n" +
			"A,,A,1,3,A-3,,\n" +
			"A,,B,2,1,A-1,,\n" +
			"A,,B,2,2,B-2,,\n" +
			"A,,B,2,3,B-3,sofa,\n",
			[]wantProblem{{5, "label", `"A-1" is already used (line 2)`}, {7, "type", `unknown seat type "sofa"`}}},
		{"an unknown column", "section,section_name,row,row_no,col,label,type,state,price\n",
			[]wantProblem{{1, "price", "unknown column"}}},
		{"a missing column", "section,section_name,row,row_no,col,label,type\n",
			[]wantProblem{{1, "state", "missing"}}},
		{"a repeated column", "section,section_name,row,row_no,col,label,type,state,label\n",
			[]wantProblem{{1, "label", "twice"}}},
		{"an empty file", "", []wantProblem{{0, "", "empty"}}},
		{"semicolons between columns", "section;section_name;row;row_no;col;label;type;state\n",
			[]wantProblem{{1, "", "separated by commas"}}},
		{"a header without seats", csvHeader, []wantProblem{{0, "", "no seats"}}},
		{"a line with too few fields", csvHeader + "A,Stalls,A,1,1,A-1,,\nA,,A,1,2\n",
			[]wantProblem{{3, "", "expected 8 fields, found 5"}}},
		{"a row_no that is not a number", csvHeader + "A,Stalls,A,one,1,A-1,,\n",
			[]wantProblem{{2, "row_no", `whole number, not "one"`}}},
		{"a missing col", csvHeader + "A,Stalls,A,1,,A-1,,\n",
			[]wantProblem{{2, "col", "col is required"}}},
		{"a section without a name on its first line", csvHeader + "A,,A,1,1,A-1,,\nA,Stalls,A,1,2,A-2,,\n",
			[]wantProblem{{2, "section_name", "required"}}},
		{"a contradicting section name", csvHeader + "A,Stalls,A,1,1,A-1,,\nA,Circle,A,1,2,A-2,,\n",
			[]wantProblem{{3, "section_name", `named "Circle" here but "Stalls" on line 2`}}},
		{"a bad quote", csvHeader + "A,Stalls,A,1,1,A-1,,\nA,Sta\"lls,A,1,2,A-2,,\n",
			[]wantProblem{{3, "", "invalid CSV"}}},
		{"a duplicate position", csvHeader + "A,Stalls,A,1,1,A-1,,\nA,,A,1,1,A-2,,\n",
			[]wantProblem{{3, "col", "already taken (line 2)"}}},
		{"an unknown state after a multi-line quoted field", csvHeader + "A,\"Stalls\nfront\",A,1,1,A-1,,\nA,,A,1,2,A-2,,gone\n",
			[]wantProblem{{2, "section_name", "control character"}, {4, "state", `unknown state "gone"`}}},
		{"an empty section code", csvHeader + ",Stalls,A,1,1,A-1,,\n",
			[]wantProblem{{2, "section", "required"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is reported", func(t *testing.T) {
			m, err := ParseCSV(strings.NewReader(tt.csv))
			checkImportError(t, m, err, tt.want)
		})
	}
}

func TestParseCSVAcceptsSpreadsheetQuirks(t *testing.T) {
	in := "\xef\xbb\xbfLabel,Row,Row_No,Col,Section,Section_Name,Type,State\r\n" +
		"A-1,A,1,1,一层,一层看台,VIP,\r\n" +
		",,,,,,,\r\n" +
		"A-2,A, 1 ,2,一层,,,Obstructed\r\n"
	m, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Map{
		Sections: []Section{{"一层", "一层看台"}},
		Seats: []Seat{
			{"一层", "A", 1, 1, "A-1", TypeVIP, StateOK},
			{"一层", "A", 1, 2, "A-2", TypeStandard, StateObstructed},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
}

func TestParseJSONReportsProblemsOnTheLineTheObjectStarts(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []wantProblem
	}{
		{"a seat with an unknown type on line 6", `{
  "sections": [{"code": "A", "name": "Stalls"}],
  "seats": [
    {"section": "A", "row": "A", "row_no": 1, "col": 1, "label": "A-1"},
    {"section": "A", "row": "A", "row_no": 1, "col": 2, "label": "A-2"},
    {"section": "A", "row": "A", "row_no": 1, "col": 3, "label": "A-3", "type": "sofa"}
  ]
}`, []wantProblem{{6, "type", `unknown seat type "sofa"`}}},
		{"a multi-line seat with a duplicate label starting on line 7", `{"sections": [
  {"code": "A", "name": "一层看台"}
], "seats": [
  {"section": "A", "row": "A", "row_no": 1, "col": 1,
   "label": "A-1"}
  ,
  {
    "section": "A", "row": "A", "row_no": 1, "col": 2,
    "label": "A-1"
  }
]}`, []wantProblem{{7, "label", "already used (line 4)"}}},
		{"an unknown field in a seat", `{"sections": [{"code": "A", "name": "S"}], "seats": [
{"section": "A", "row": "A", "row_no": 1, "col": 1, "label": "A-1", "price": 5}]}`,
			[]wantProblem{{2, "price", "unknown field"}}},
		{"a string where a number belongs", `{"sections": [{"code": "A", "name": "S"}], "seats": [
{"section": "A", "row": "A", "row_no": "1", "col": 1, "label": "A-1"}]}`,
			[]wantProblem{{2, "row_no", "row_no must be a whole number, not string"}}},
		{"an unknown top-level field", "{\n\"sections\": [{\"code\": \"A\", \"name\": \"S\"}],\n\"hall\": 1,\n\"seats\": [{\"section\": \"A\", \"row\": \"A\", \"row_no\": 1, \"col\": 1, \"label\": \"A-1\"}]}",
			[]wantProblem{{3, "hall", "unknown field"}}},
		{"a syntax error on line 3", "{\"sections\": [],\n\"seats\": [\n{\"section\" \"A\"}]}",
			[]wantProblem{{3, "", "invalid JSON"}}},
		{"a truncated file", "{\"sections\": [],\n\"seats\": [\n", []wantProblem{{3, "", "ends too early"}}},
		{"an empty file", " \n", []wantProblem{{0, "", "empty"}}},
		{"an array instead of an object", "[]", []wantProblem{{1, "", "expected a JSON object"}}},
		{"seats that are not an array", "{\n\"seats\": {}}", []wantProblem{{2, "seats", "must be an array"}}},
		{"a null seat", "{\"sections\": [{\"code\": \"A\", \"name\": \"S\"}], \"seats\": [\n{\"section\": \"A\", \"row\": \"A\", \"row_no\": 1, \"col\": 1, \"label\": \"A-1\"},\nnull]}",
			[]wantProblem{{3, "", "must be a JSON object"}}},
		{"trailing data", "{\"sections\": [{\"code\": \"A\", \"name\": \"S\"}], \"seats\": [{\"section\": \"A\", \"row\": \"A\", \"row_no\": 1, \"col\": 1, \"label\": \"A-1\"}]}\n{}",
			[]wantProblem{{2, "", "after the end"}}},
		{"invalid UTF-8 on line 2", "{\"sections\": [\n{\"code\": \"A\", \"name\": \"\xff\"}]}", []wantProblem{{2, "", "not UTF-8"}}},
		{"a duplicate section on line 3", "{\"sections\": [\n{\"code\": \"A\", \"name\": \"S\"},\n{\"code\": \"A\", \"name\": \"T\"}],\n\"seats\": [{\"section\": \"A\", \"row\": \"A\", \"row_no\": 1, \"col\": 1, \"label\": \"A-1\"}]}",
			[]wantProblem{{3, "code", "already defined (line 2)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is reported", func(t *testing.T) {
			m, err := ParseJSON(strings.NewReader(tt.json))
			checkImportError(t, m, err, tt.want)
		})
	}
}

func TestParseJSONDefaultsEmptyTypeAndState(t *testing.T) {
	in := `{"sections": [{"code": "A", "name": "S"}], "seats": [{"section": "A", "row": "A", "row_no": 1, "col": 1, "label": "A-1", "type": "VIP"}]}`
	m, err := ParseJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Seats[0]; s.Type != TypeVIP || s.State != StateOK {
		t.Errorf("got type %q state %q, want vip ok", s.Type, s.State)
	}
}

func TestParsersRefuseFilesOver16MiB(t *testing.T) {
	big := strings.Repeat(" ", MaxInputBytes+1)
	for name, parse := range map[string]func(string) (Map, error){
		"JSON": func(s string) (Map, error) { return ParseJSON(strings.NewReader(s)) },
		"CSV":  func(s string) (Map, error) { return ParseCSV(strings.NewReader(s)) },
	} {
		m, err := parse(big)
		checkImportError(t, m, err, []wantProblem{{0, "", "larger than 16 MiB"}})
		_ = name
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParsersPassOnReadErrorsAsTheyAre(t *testing.T) {
	_, err := ParseCSV(failingReader{})
	var ie *ImportError
	if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("got %v, want the read error", err)
	}
}

func TestImportErrorSummarisesTheFirstProblems(t *testing.T) {
	e := &ImportError{Problems: []Problem{
		{Line: 5, Field: "label", Message: "dup"},
		{Line: 7, Field: "type", Message: "bad"},
		{Line: 0, Message: "whole"},
		{Line: 9, Message: "more"},
		{Line: 10, Message: "even more"},
	}}
	want := "seatmap: 5 problems: line 5: label: dup; line 7: type: bad; whole; and 2 more"
	if got := e.Error(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseCSVWithManyBadLinesStopsAtTheCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range 500 {
		fmt.Fprintf(&b, "A,S,A,1,%d,A-%d,sofa,\n", i+1, i+1)
	}
	_, err := ParseCSV(strings.NewReader(b.String()))
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != MaxProblems+1 {
		t.Fatalf("got %v", err)
	}
	if ie.Problems[0].Line != 2 || ie.Problems[MaxProblems-1].Line != MaxProblems+1 {
		t.Errorf("problems are not the first lines: %v ... %v", ie.Problems[0], ie.Problems[MaxProblems-1])
	}
}

func BenchmarkParseCSV5000Seats(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Grid("S1", "一层看台", 50, 100)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCSV(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseCSVStopsAfterMaxSeats(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large file")
	}
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range MaxSeats + 1 {
		fmt.Fprintf(&b, "A,S,R,%d,%d,%d,,\n", i/1000+1, i%1000+1, i)
	}
	m, err := ParseCSV(strings.NewReader(b.String()))
	checkImportError(t, m, err, []wantProblem{{MaxSeats + 2, "", "too many seats"}})
}
