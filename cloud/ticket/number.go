package ticket

import (
	"errors"
	"fmt"
	"time"
)

// NumberLen is the length of a ticket number in ASCII digits.
const NumberLen = 22

// MaxSerial is the largest per-venue, per-business-date serial (7 digits).
const MaxSerial = 9_999_999

// ErrInvalidNumber is wrapped by every error ParseNumber returns.
var ErrInvalidNumber = errors.New("ticket: invalid ticket number")

// epoch is day 0 of the payload's business-date encoding.
var epoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// The supported business dates: the ticket number writes the year as two
// digits, read as 20YY, so only 2000-01-01..2099-12-31 is unambiguous. This
// lies inside the uint16 day range of the QR payload (which ends in 2179).
var (
	minBusinessDate = epoch
	maxBusinessDate = time.Date(2099, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// dateOnly returns midnight UTC of the UTC calendar date of t.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func validBusinessDate(t time.Time) bool {
	d := dateOnly(t)
	return !d.Before(minBusinessDate) && !d.After(maxBusinessDate)
}

func validVenueCode(s string) bool {
	return len(s) == 8 && allDigits(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// luhnCheckDigit returns the Luhn (ISO/IEC 7812-1) check digit for the ASCII
// digits in digits: starting from the rightmost digit, every second digit
// (the rightmost included) is doubled, 9 is subtracted from doubles above 9,
// all are summed, and the check digit is (10 - sum mod 10) mod 10.
func luhnCheckDigit(digits []byte) byte {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func appendPadded(b []byte, v, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, 0)
	}
	for i := len(b) - 1; i >= len(b)-width; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// FormatNumber returns the 22-digit ticket number (see the package
// documentation). Inputs must be valid: an 8-digit venue code, a business
// date (UTC calendar date) in 2000-01-01..2099-12-31 and a serial in
// 1..MaxSerial. For invalid inputs it returns "" rather than a number that
// could collide with a real one.
func FormatNumber(venueCode string, businessDate time.Time, serial uint32) string {
	if !validVenueCode(venueCode) || !validBusinessDate(businessDate) || serial < 1 || serial > MaxSerial {
		return ""
	}
	y, m, d := businessDate.UTC().Date()
	b := make([]byte, 0, NumberLen)
	b = append(b, venueCode...)
	b = appendPadded(b, y-2000, 2)
	b = appendPadded(b, int(m), 2)
	b = appendPadded(b, d, 2)
	b = appendPadded(b, int(serial), 7)
	b = append(b, luhnCheckDigit(b))
	return string(b)
}

// ParseNumber splits a ticket number into its parts. It rejects a wrong
// length, non-digit characters, a bad check digit, impossible dates (the year
// is read as 20YY) and serial 0. The business date is returned as midnight
// UTC. Errors wrap ErrInvalidNumber.
func ParseNumber(s string) (venueCode string, businessDate time.Time, serial uint32, err error) {
	if len(s) != NumberLen {
		return "", time.Time{}, 0, fmt.Errorf("%w: length %d, want %d digits", ErrInvalidNumber, len(s), NumberLen)
	}
	if !allDigits(s) {
		return "", time.Time{}, 0, fmt.Errorf("%w: %q contains a non-digit character", ErrInvalidNumber, s)
	}
	if want := luhnCheckDigit([]byte(s[:NumberLen-1])); s[NumberLen-1] != want {
		return "", time.Time{}, 0, fmt.Errorf("%w: %q has check digit %c, want %c", ErrInvalidNumber, s, s[NumberLen-1], want)
	}
	atoi := func(t string) int {
		n := 0
		for i := 0; i < len(t); i++ {
			n = n*10 + int(t[i]-'0')
		}
		return n
	}
	y, m, d := 2000+atoi(s[8:10]), atoi(s[10:12]), atoi(s[12:14])
	date := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || date.Day() != d || int(date.Month()) != m {
		return "", time.Time{}, 0, fmt.Errorf("%w: %q has impossible business date %s", ErrInvalidNumber, s, s[8:14])
	}
	serial = uint32(atoi(s[14:21]))
	if serial == 0 {
		return "", time.Time{}, 0, fmt.Errorf("%w: %q has serial 0", ErrInvalidNumber, s)
	}
	return s[:8], date, serial, nil
}
