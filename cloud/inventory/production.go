package inventory

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

// PrintLine is one commemorative ticket for the printing house.
type PrintLine struct {
	Number     string
	SessionID  int64
	Event      string
	StartsAt   time.Time
	Seat       string
	PriceCents int64
}

// PrintCSV is the print data sent to the printing house.
func PrintCSV(ls []PrintLine) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"number", "session_id", "event", "starts_at", "seat", "price_cents"})
	for _, l := range ls {
		_ = w.Write([]string{l.Number, strconv.FormatInt(l.SessionID, 10), l.Event, l.StartsAt.UTC().Format(time.RFC3339), l.Seat, strconv.FormatInt(l.PriceCents, 10)})
	}
	w.Flush()
	return b.Bytes()
}

// LineProblem is a bad line of a file.
type LineProblem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// MaxProductionLines bounds a printing house's result file.
const MaxProductionLines = 100_000

// ParseProduction reads the printing house's result: CSV with the header
// number,rfid, a line per ticket made. Every bad line is reported; any
// bad line means no result.
func ParseProduction(r io.Reader) ([]sales.Produced, []LineProblem) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []sales.Produced
	var probs []LineProblem
	seen := map[string]int{}
	chips := map[string]int{}
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if n == 1 {
				probs = append(probs, LineProblem{1, "empty: the first line must be number,rfid"})
			}
			break
		}
		if err != nil {
			probs = append(probs, LineProblem{n, "not CSV: " + err.Error()})
			break
		}
		if n == 1 {
			if len(rec) != 2 || strings.TrimPrefix(rec[0], "\ufeff") != "number" || rec[1] != "rfid" {
				probs = append(probs, LineProblem{1, "the first line must be number,rfid"})
				break
			}
			continue
		}
		if n > MaxProductionLines+1 {
			probs = append(probs, LineProblem{n, fmt.Sprintf("more than %d lines", MaxProductionLines)})
			break
		}
		if len(rec) != 2 {
			probs = append(probs, LineProblem{n, "want 2 fields: number,rfid"})
			continue
		}
		num := strings.TrimSpace(rec[0])
		uid, ok := sales.NormalizeCardUID(rec[1])
		switch {
		case len(num) != 22 || strings.Trim(num, "0123456789") != "":
			probs = append(probs, LineProblem{n, "number: a 22-digit ticket number"})
		case !ok:
			probs = append(probs, LineProblem{n, "rfid: 4, 7 or 10 bytes of hex"})
		case seen[num] != 0:
			probs = append(probs, LineProblem{n, fmt.Sprintf("ticket listed again (line %d)", seen[num])})
		case chips[uid] != 0:
			probs = append(probs, LineProblem{n, fmt.Sprintf("chip listed again (line %d)", chips[uid])})
		default:
			seen[num], chips[uid] = n, n
			out = append(out, sales.Produced{Number: num, UID: uid})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}
