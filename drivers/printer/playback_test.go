package printer_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/admitbox/admit/drivers/printer"
)

// playback is a port that answers each DLE EOT n with answers[n] (preceded
// by noise, if set) and records every byte written, so a test can state the
// whole exchange.
type playback struct {
	answers [5][]byte
	sent    []byte
	pending []byte
}

func (p *playback) Write(b []byte) (int, error) {
	p.sent = append(p.sent, b...)
	if len(b) == 3 && b[0] == 0x10 && b[1] == 0x04 && b[2] >= 1 && b[2] <= 4 {
		p.pending = append(p.pending, p.answers[b[2]]...)
	}
	return len(b), nil
}

func (p *playback) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		return 0, os.ErrDeadlineExceeded // as if the deadline had passed
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *playback) SetReadDeadline(time.Time) error { return nil }
func (p *playback) Close() error                    { return nil }

func TestTheExchangeWithThePrinterIsStatusJobStatus(t *testing.T) {
	ready := [5][]byte{1: {0x12}, 2: {0x12}, 3: {0x12}, 4: {0x12}}
	job := []byte{0x1B, '@', 'A', 0x0A, 0x1D, 'V', 66, 0}
	query := []byte{0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4}
	tests := []struct {
		name     string
		answers  [5][]byte
		wantSent []byte
		problem  string
	}{
		{"a ready printer gets the job between two status queries", ready,
			bytes.Join([][]byte{query, job, query}, nil), ""},
		{"a byte that cannot be a status answer is skipped", [5][]byte{1: {0xFF, 0x12}, 2: {0x12}, 3: {0x12}, 4: {0x12}},
			bytes.Join([][]byte{query, job, query}, nil), ""},
		{"paper near end still prints", [5][]byte{1: {0x12}, 2: {0x12}, 3: {0x12}, 4: {0x1E}},
			bytes.Join([][]byte{query, job, query}, nil), ""},
		{"paper end (DLE EOT 4 bits 5 and 6) refuses the job", [5][]byte{1: {0x1A}, 2: {0x32}, 3: {0x12}, 4: {0x72}},
			query, "out of paper"},
		{"cover open (DLE EOT 2 bit 2) refuses the job", [5][]byte{1: {0x1A}, 2: {0x16}, 3: {0x12}, 4: {0x12}},
			query, "cover open"},
		{"an autocutter error (DLE EOT 3 bit 3) refuses the job", [5][]byte{1: {0x1A}, 2: {0x52}, 3: {0x1A}, 4: {0x12}},
			query, "paper jammed in the cutter"},
		{"offline alone (DLE EOT 1 bit 3) refuses the job", [5][]byte{1: {0x1A}, 2: {0x12}, 3: {0x12}, 4: {0x12}},
			query, "printer offline"},
		{"no answer to DLE EOT 1 stops at the first query", [5][]byte{2: {0x12}, 3: {0x12}, 4: {0x12}},
			query[:3], "printer not answering"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := &playback{answers: tt.answers}
			p := &printer.Printer{Port: port, Profile: load(t, "network-escpos-80mm.json")}
			err := p.Print(context.Background(), job)
			if !bytes.Equal(port.sent, tt.wantSent) {
				t.Errorf("sent % X\nwant % X", port.sent, tt.wantSent)
			}
			if tt.problem == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantProblem(t, err, tt.problem, false)
		})
	}
}

func TestWithoutStatusOnlyTheJobIsSent(t *testing.T) {
	port := &playback{}
	p := &printer.Printer{Port: port, Profile: serialProfile(t, false)}
	job := []byte{0x1B, '@', 'A', 0x0A}
	if err := p.Print(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(port.sent, job) {
		t.Errorf("sent % X, want only the job % X", port.sent, job)
	}
}

func TestPrintErrorReadsAsTheProblem(t *testing.T) {
	err := &printer.PrintError{Problem: "out of paper", Sent: true}
	if got, want := err.Error(), "printer: out of paper (after the job was sent)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
