package seatmap

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// firstUseOrder returns m with its sections in the order of their first
// seats, which is the order a CSV file can carry.
func firstUseOrder(m Map) Map {
	seen := map[string]bool{}
	byCode := map[string]Section{}
	for _, s := range m.Sections {
		byCode[s.Code] = s
	}
	out := Map{Seats: m.Seats}
	for _, s := range m.Seats {
		if !seen[s.Section] {
			seen[s.Section] = true
			out.Sections = append(out.Sections, byCode[s.Section])
		}
	}
	return out
}

// checkParsed is what both fuzz targets require of whatever a parser
// returns: either an *ImportError and no map, or a map that validates
// clean and survives a round trip through both formats.
func checkParsed(t *testing.T, m Map, err error) {
	t.Helper()
	if err != nil {
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("error is not an *ImportError: %v", err)
		}
		if len(ie.Problems) == 0 {
			t.Fatal("ImportError without problems")
		}
		if !reflect.DeepEqual(m, Map{}) {
			t.Fatalf("a bad file returned a map: %+v", m)
		}
		_ = ie.Error()
		return
	}
	if ps := m.Validate(); len(ps) != 0 {
		t.Fatalf("parsed map does not validate: %v", ps)
	}
	var j bytes.Buffer
	if err := WriteJSON(&j, m); err != nil {
		t.Fatal(err)
	}
	back, err := ParseJSON(bytes.NewReader(j.Bytes()))
	if err != nil {
		t.Fatalf("ParseJSON(WriteJSON(m)): %v\n%s", err, j.String())
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("JSON round trip changed the map\n got %+v\nwant %+v", back, m)
	}
	var c bytes.Buffer
	if err := WriteCSV(&c, m); err != nil {
		t.Fatal(err)
	}
	back, err = ParseCSV(bytes.NewReader(c.Bytes()))
	if err != nil {
		t.Fatalf("ParseCSV(WriteCSV(m)): %v\n%s", err, c.String())
	}
	if want := firstUseOrder(m); !reflect.DeepEqual(back, want) {
		t.Fatalf("CSV round trip changed the map\n got %+v\nwant %+v", back, want)
	}
}

func FuzzParseCSV(f *testing.F) {
	var buf bytes.Buffer
	WriteCSV(&buf, mixedMap())
	f.Add(buf.String())
	f.Add(csvHeader + "A,Stalls,A,1,1,A-1,,\nA,,A,1,2,A-2,vip,ok\n")
	f.Add(csvHeader + "A,Stalls,A,1,1,A-1,,\nA,,B,2,1,A-1,sofa,\n")
	f.Add("\xef\xbb\xbfLabel,Row,Row_No,Col,Section,Section_Name,Type,State\r\nA-1,A,1,1,一层,一层看台,VIP,\r\n,,,,,,,\r\n")
	f.Add(csvHeader + "\"A\n\",\"x\"\"y\",A,+1,0001,\" A\",,\n")
	f.Add("section,row\n1,2\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseCSV(bytes.NewReader([]byte(in)))
		checkParsed(t, m, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	var buf bytes.Buffer
	WriteJSON(&buf, mixedMap())
	f.Add(buf.String())
	f.Add(`{"sections": [{"code": "A", "name": "S"}], "seats": [{"section": "A", "row": "A", "row_no": 1, "col": 1, "label": "A-1", "type": "VIP"}]}`)
	f.Add(`{"sections": null, "seats": [null, 1, {"x": 1}]}`)
	f.Add("{\"sections\": [],\n\"seats\": [\n{\"section\" \"A\"}]}")
	f.Add(`{"seats": [{"section": "A", "row": "\u0000", "row_no": 1e3, "col": -1, "label": "\ud800"}], "seats": []}`)
	f.Add(`[]`)
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseJSON(bytes.NewReader([]byte(in)))
		checkParsed(t, m, err)
	})
}
