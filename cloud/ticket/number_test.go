package ticket

import (
	"strings"
	"testing"
	"time"
)

func TestFormatNumberMatchesTheDocumentedExample(t *testing.T) {
	got := FormatNumber("11010001", date(2025, time.March, 14), 42)
	if want := "1101000125031400000429"; got != want {
		t.Fatalf("FormatNumber = %q, want %q", got, want)
	}
}

func TestParseNumberRoundTripsFormatNumber(t *testing.T) {
	tests := []struct {
		name   string
		venue  string
		date   time.Time
		serial uint32
	}{
		{"first day and first serial", "00000000", date(2000, time.January, 1), 1},
		{"last day and last serial", "99999999", date(2099, time.December, 31), MaxSerial},
		{"a leap day", "31010203", date(2024, time.February, 29), 1234567},
		{"a typical ticket", "11010001", date(2025, time.March, 14), 42},
		{"a non-midnight non-UTC time uses the UTC date", "11010001", time.Date(2025, time.March, 14, 23, 0, 0, 0, time.FixedZone("W", -3600*5)), 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := FormatNumber(tt.venue, tt.date, tt.serial)
			if len(n) != NumberLen {
				t.Fatalf("FormatNumber = %q, want %d digits", n, NumberLen)
			}
			v, d, s, err := ParseNumber(n)
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v", n, err)
			}
			if v != tt.venue || !d.Equal(dateOnly(tt.date)) || d.Location() != time.UTC || s != tt.serial {
				t.Fatalf("ParseNumber(%q) = %q, %v, %d; want %q, %v, %d", n, v, d, s, tt.venue, dateOnly(tt.date), tt.serial)
			}
		})
	}
}

func TestFormatNumberReturnsEmptyForInvalidInput(t *testing.T) {
	tests := []struct {
		name   string
		venue  string
		date   time.Time
		serial uint32
	}{
		{"a short venue code", "1101000", date(2025, 1, 1), 1},
		{"a non-digit venue code", "1101000A", date(2025, 1, 1), 1},
		{"serial zero", "11010001", date(2025, 1, 1), 0},
		{"a serial over seven digits", "11010001", date(2025, 1, 1), MaxSerial + 1},
		{"a date before 2000", "11010001", date(1999, 12, 31), 1},
		{"a date after 2099", "11010001", date(2100, 1, 1), 1},
		{"the zero time", "11010001", time.Time{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatNumber(tt.venue, tt.date, tt.serial); got != "" {
				t.Fatalf("FormatNumber = %q, want \"\"", got)
			}
		})
	}
}

// withCheckDigit appends the correct Luhn digit to 21 digits.
func withCheckDigit(s21 string) string {
	return s21 + string(luhnCheckDigit([]byte(s21)))
}

func TestParseNumberRejects(t *testing.T) {
	valid := "1101000125031400000429"
	tests := []struct {
		name string
		in   string
	}{
		{"the empty string", ""},
		{"a number one digit short", valid[:21]},
		{"a number one digit long", valid + "0"},
		{"a letter", "11010001250314000004A9"},
		{"a space", "1101000125031400000 29"},
		{"a sign", "+101000125031400000429"},
		{"a wrong check digit", valid[:21] + "0"},
		{"two swapped adjacent digits", "1101000125031400000249"},
		{"month 00", withCheckDigit("110100012500140000042")},
		{"month 13", withCheckDigit("110100012513140000042")},
		{"day 00", withCheckDigit("110100012503000000042")},
		{"February 30", withCheckDigit("110100012502300000042")},
		{"February 29 in a non-leap year", withCheckDigit("110100012502290000042")},
		{"April 31", withCheckDigit("110100012504310000042")},
		{"serial zero", withCheckDigit("110100012503140000000")},
		{"non-ASCII digits", "١١٠١٠٠٠١٢٥٠٣١٤٠٠٠٠٠٤٢٩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, d, s, err := ParseNumber(tt.in)
			wantErr(t, err, ErrInvalidNumber)
			if v != "" || !d.IsZero() || s != 0 {
				t.Fatalf("ParseNumber returned non-zero values with an error: %q %v %d", v, d, s)
			}
		})
	}
}

func TestEverySingleDigitErrorIsCaughtByTheCheckDigit(t *testing.T) {
	valid := "1101000125031400000429"
	for i := 0; i < len(valid); i++ {
		for c := byte('0'); c <= '9'; c++ {
			if c == valid[i] {
				continue
			}
			s := valid[:i] + string(c) + valid[i+1:]
			if _, _, _, err := ParseNumber(s); err == nil {
				t.Errorf("ParseNumber(%q) accepted a single-digit change at %d", s, i)
			}
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{
		"1101000125031400000429",
		"0000000000010100000018",
		"1101000125031400000420",
		"110100012502300000042",
		strings.Repeat("9", 22),
		"",
		"abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, d, serial, err := ParseNumber(s)
		if err != nil {
			return
		}
		if got := FormatNumber(v, d, serial); got != s {
			t.Fatalf("FormatNumber(ParseNumber(%q)) = %q", s, got)
		}
	})
}
