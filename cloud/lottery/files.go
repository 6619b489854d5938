package lottery

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The published files: applications as CSV "pool,id,quantity" and pools
// as CSV "pool,tickets", each with that header line; the result as JSON.

// MaxApplications bounds a list read from a file.
const MaxApplications = 10_000_000

// ReadApplications reads the applications file.
func ReadApplications(r io.Reader) ([]Application, error) {
	var out []Application
	err := readCSV(r, []string{"pool", "id", "quantity"}, func(line int, rec []string) error {
		q, err := strconv.Atoi(rec[2])
		if err != nil || q < 1 || q > 1000 {
			return fmt.Errorf("line %d: quantity %q is not a number from 1 to 1000", line, rec[2])
		}
		if len(out) == MaxApplications {
			return fmt.Errorf("line %d: more than %d applications", line, MaxApplications)
		}
		out = append(out, Application{Pool: rec[0], ID: rec[1], Quantity: q})
		return nil
	})
	return out, err
}

// ReadPools reads the pools file.
func ReadPools(r io.Reader) ([]Pool, error) {
	var out []Pool
	err := readCSV(r, []string{"pool", "tickets"}, func(line int, rec []string) error {
		n, err := strconv.Atoi(rec[1])
		if err != nil || n < 0 || n > 100_000_000 {
			return fmt.Errorf("line %d: tickets %q is not a number from 0", line, rec[1])
		}
		out = append(out, Pool{Key: rec[0], Tickets: n})
		return nil
	})
	return out, err
}

func readCSV(r io.Reader, header []string, row func(line int, rec []string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	first, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%w: line 1: %v", ErrInput, err)
	}
	if strings.Join(first, ",") != strings.Join(header, ",") {
		return fmt.Errorf("%w: line 1: the header must be %q", ErrInput, strings.Join(header, ","))
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInput, err)
		}
		for i, f := range rec {
			if f == "" || strings.ContainsAny(f, "\t\r\n") {
				return fmt.Errorf("%w: line %d: %s is empty or has a tab or line break", ErrInput, line, header[i])
			}
		}
		if err := row(line, rec); err != nil {
			return fmt.Errorf("%w: %v", ErrInput, err)
		}
	}
}

// WriteApplications writes the applications file, in canonical order.
func WriteApplications(w io.Writer, apps []Application) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"pool", "id", "quantity"})
	for _, a := range canonical(apps) {
		cw.Write([]string{a.Pool, a.ID, strconv.Itoa(a.Quantity)})
	}
	cw.Flush()
	return cw.Error()
}

// WritePools writes the pools file.
func WritePools(w io.Writer, pools []Pool) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"pool", "tickets"})
	for _, p := range pools {
		cw.Write([]string{p.Key, strconv.Itoa(p.Tickets)})
	}
	cw.Flush()
	return cw.Error()
}
