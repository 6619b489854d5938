package escpos

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStatusDecodesEachDocumentedBit(t *testing.T) {
	tests := []struct {
		name    string
		n, b    byte
		want    Status // Detail and conditions are checked separately
		detail  string
		problem string
	}{
		{"n=1 with only the fixed bits is online", StatusPrinter, 0x12, Status{Online: true}, "", ""},
		{"n=1 bit 2 is the drawer connector, not a problem", StatusPrinter, 0x16, Status{Online: true}, "drawer kick connector pin 3 high", ""},
		{"n=1 bit 3 is offline", StatusPrinter, 0x1A, Status{}, "offline", "printer offline"},
		{"n=1 bit 5 is waiting for online recovery", StatusPrinter, 0x32, Status{Online: true}, "waiting for online recovery", ""},
		{"n=1 bit 6 is the paper feed button", StatusPrinter, 0x52, Status{Online: true}, "paper feed button pressed", "feeding paper"},
		{"n=2 with only the fixed bits has no offline cause", StatusOffline, 0x12, Status{Online: true}, "", ""},
		{"n=2 bit 2 is cover open", StatusOffline, 0x16, Status{CoverOpen: true}, "cover open", "cover open"},
		{"n=2 bit 3 is paper fed by the button", StatusOffline, 0x1A, Status{}, "paper being fed by the feed button", "feeding paper"},
		{"n=2 bit 5 is printing stopped at paper end", StatusOffline, 0x32, Status{PaperEnd: true}, "printing stopped at paper end", "out of paper"},
		{"n=2 bit 6 is an error", StatusOffline, 0x52, Status{Error: true}, "error occurred", "printer error"},
		{"n=3 with only the fixed bits has no error", StatusError, 0x12, Status{Online: true}, "", ""},
		{"n=3 bit 2 is model-specific and ignored", StatusError, 0x16, Status{Online: true}, "", ""},
		{"n=3 bit 3 is an autocutter error", StatusError, 0x1A, Status{Error: true}, "autocutter error", "paper jammed in the cutter"},
		{"n=3 bit 5 is an unrecoverable error", StatusError, 0x32, Status{Error: true}, "unrecoverable error", "printer fault, call staff"},
		{"n=3 bit 6 is an auto-recoverable error", StatusError, 0x52, Status{Error: true}, "auto-recoverable error (e.g. print head overheated)", "printer cooling down"},
		{"n=4 with only the fixed bits has paper", StatusPaper, 0x12, Status{Online: true}, "", ""},
		{"n=4 bits 2 and 3 are paper near end", StatusPaper, 0x1E, Status{Online: true, PaperNearEnd: true}, "roll paper near end", "paper running low"},
		{"n=4 bit 2 alone is paper near end (two-sensor models)", StatusPaper, 0x16, Status{Online: true, PaperNearEnd: true}, "roll paper near end", "paper running low"},
		{"n=4 bits 5 and 6 are paper end", StatusPaper, 0x72, Status{PaperEnd: true}, "roll paper end", "out of paper"},
		{"n=4 near end and end together report out of paper", StatusPaper, 0x7E, Status{PaperEnd: true, PaperNearEnd: true}, "roll paper near end; roll paper end", "out of paper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus(tt.n, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Detail != tt.detail {
				t.Errorf("Detail = %q, want %q", got.Detail, tt.detail)
			}
			if p := got.Problem(); p != tt.problem {
				t.Errorf("Problem() = %q, want %q", p, tt.problem)
			}
			got.Detail, got.conds = "", 0
			if got != tt.want {
				t.Errorf("ParseStatus(%d, %#02x) = %+v, want %+v", tt.n, tt.b, got, tt.want)
			}
		})
	}
}

func TestParseStatusRejectsBytesWithWrongFixedBits(t *testing.T) {
	tests := []struct {
		name string
		b    byte
	}{
		{"zero", 0x00},
		{"all ones", 0xFF},
		{"bit 1 clear", 0x10},
		{"bit 4 clear", 0x02},
		{"bit 0 set", 0x13},
		{"bit 7 set", 0x92},
		{"an ASCII letter", 'A'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for n := StatusPrinter; n <= StatusPaper; n++ {
				if _, err := ParseStatus(n, tt.b); !errors.Is(err, ErrMalformedStatus) {
					t.Errorf("ParseStatus(%d, %#02x) error = %v, want ErrMalformedStatus", n, tt.b, err)
				}
			}
		})
	}
}

func TestParseStatusRejectsAnUnknownRequest(t *testing.T) {
	for _, n := range []byte{0, 5, 49} {
		if _, err := ParseStatus(n, 0x12); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseStatus(%d, 0x12) error = %v, want ErrInvalidArgument", n, err)
		}
	}
}

func TestMergedStatusReportsTheMostUrgentProblem(t *testing.T) {
	parse := func(n, b byte) Status {
		t.Helper()
		s, err := ParseStatus(n, b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A printer out of paper with its cover open: offline (n=1), cover open
	// and paper-end stop (n=2), no error (n=3), roll empty (n=4).
	s := parse(StatusPrinter, 0x1A).
		Merge(parse(StatusOffline, 0x36)).
		Merge(parse(StatusError, 0x12)).
		Merge(parse(StatusPaper, 0x7E))
	if s.Online || !s.CoverOpen || !s.PaperEnd || !s.PaperNearEnd || s.Error {
		t.Errorf("merged status %+v", s)
	}
	if got := s.Problem(); got != "cover open" {
		t.Errorf("Problem() = %q, want cover open first", got)
	}
	for _, part := range []string{"offline", "cover open", "printing stopped at paper end", "roll paper end"} {
		if !strings.Contains(s.Detail, part) {
			t.Errorf("Detail %q lacks %q", s.Detail, part)
		}
	}
	healthy := parse(StatusPrinter, 0x12).Merge(parse(StatusPaper, 0x12))
	if !healthy.Online || healthy.Problem() != "" {
		t.Errorf("healthy printer merged to %+v, problem %q", healthy, healthy.Problem())
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, seed := range [][2]byte{{1, 0x12}, {2, 0x36}, {3, 0x7A}, {4, 0x7E}, {0, 0}, {9, 0xFF}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, n, b byte) {
		s, err := ParseStatus(n, b)
		if err != nil {
			if s != (Status{}) {
				t.Errorf("ParseStatus(%d, %#02x) = %+v with error %v", n, b, s, err)
			}
			return
		}
		if n < 1 || n > 4 || b&0x93 != 0x12 {
			t.Fatalf("ParseStatus(%d, %#02x) accepted a malformed response", n, b)
		}
		if !s.Online && s.Problem() == "" {
			t.Errorf("ParseStatus(%d, %#02x) = offline without a problem: %+v", n, b, s)
		}
		if (s.CoverOpen || s.PaperEnd || s.Error) && s.Online {
			t.Errorf("ParseStatus(%d, %#02x) = online despite %+v", n, b, s)
		}
		if s.Merge(s) != s {
			t.Errorf("merging %+v with itself changed it", s)
		}
	})
}
