package seatmap

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// WriteJSON writes m as JSON that ParseJSON reads back: an object with
// "sections" and "seats" arrays, one section or seat per line, so that
// the lines of problems found in an edited file are easy to follow.
func WriteJSON(w io.Writer, m Map) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("{\n  \"sections\": [")
	if err := writeJSONList(bw, m.Sections); err != nil {
		return err
	}
	bw.WriteString(",\n  \"seats\": [")
	if err := writeJSONList(bw, m.Seats); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

func writeJSONList[T any](bw *bufio.Writer, list []T) error {
	for i, v := range list {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(list) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteByte(']')
	return nil
}

// WriteCSV writes m as CSV that ParseCSV reads back: a header line
// (section,section_name,row,row_no,col,label,type,state), then one line
// per seat in map order, each with its section's name.
//
// CSV has no place for a section without seats, nor for an order of
// sections other than that of their first seats, so a map read back from
// CSV lists its sections in the order of their first seats. (Validate
// refuses sections without seats.)
func WriteCSV(w io.Writer, m Map) error {
	names := make(map[string]string, len(m.Sections))
	for _, s := range m.Sections {
		if _, dup := names[s.Code]; !dup {
			names[s.Code] = s.Name
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	rec := make([]string, numCols)
	for _, s := range m.Seats {
		rec[colSection] = s.Section
		rec[colSectionName] = names[s.Section]
		rec[colRow] = s.Row
		rec[colRowNo] = strconv.Itoa(s.RowNo)
		rec[colCol] = strconv.Itoa(s.Col)
		rec[colLabel] = s.Label
		rec[colType] = string(s.Type)
		rec[colState] = string(s.State)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
