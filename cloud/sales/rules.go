package sales

import (
	"crypto/rand"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/admitbox/admit/cloud/avail"
	"github.com/admitbox/admit/cloud/seatmap"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// BusinessDate is the trading day a showing belongs to: in the venue's time
// zone, a showing before the business day's start (e.g. 06:00) counts for
// the previous day, as cinemas report late-night shows.
func BusinessDate(start time.Time, loc *time.Location, dayStartMinutes int) string {
	// Compare wall-clock times, not a fixed offset: on a daylight-saving
	// day the cut-off is still 06:00 on the venue's clocks.
	t := start.In(loc)
	y, m, d := t.Date()
	if t.Hour()*60+t.Minute() < dayStartMinutes {
		y, m, d = time.Date(y, m, d-1, 12, 0, 0, 0, loc).Date()
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// pickupAlphabet has no characters a person confuses when typing or reading
// aloud: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
const pickupAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// PickupCodeLen gives 25^8 ≈ 1.5e11 codes: collisions are retried by the store.
const PickupCodeLen = 8

// NewPickupCode returns a random human-typable pickup code.
func NewPickupCode() string { return randomCode(PickupCodeLen) }

// randomCode returns n uniformly random characters of the pickup alphabet.
func randomCode(n int) string {
	b := make([]byte, n)
	r := make([]byte, n)
	_, _ = rand.Read(r)
	for i := range b {
		// 250 = 10*25: reject bytes above to stay uniform.
		for r[i] >= 250 {
			var one [1]byte
			_, _ = rand.Read(one[:])
			r[i] = one[0]
		}
		b[i] = pickupAlphabet[int(r[i])%len(pickupAlphabet)]
	}
	return string(b)
}

// NormalizePickupCode upper-cases and strips spaces and dashes a person may
// type; it reports false when the result cannot be a pickup code.
func NormalizePickupCode(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) != PickupCodeLen {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(pickupAlphabet, rune(s[i])) {
			return "", false
		}
	}
	return s, true
}

// OrderQR is the text of an order's QR code: a kiosk scans it instead of
// typing the pickup code. It identifies, it does not authorise.
func OrderQR(venueCode, pickupCode string) string {
	return "AO1:" + venueCode + ":" + pickupCode
}

// ParseOrderQR is the inverse of OrderQR.
func ParseOrderQR(s string) (venueCode, pickupCode string, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "AO1" || !ValidVenueCode(parts[1]) {
		return "", "", false
	}
	code, ok := NormalizePickupCode(parts[2])
	if !ok {
		return "", "", false
	}
	return parts[1], code, true
}

// ValidVenueCode: the regulator's venue codes are 8 digits.
func ValidVenueCode(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cleanText validates a short human-entered string.
func cleanText(field, s string, min, max int) (string, *FieldError) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return "", &FieldError{Field: field, Message: "must be valid UTF-8"}
	case n < min:
		if min == 1 {
			return "", &FieldError{Field: field, Message: "is required"}
		}
		return "", &FieldError{Field: field, Message: "must be at least " + strconv.Itoa(min) + " characters"}
	case n > max:
		return "", &FieldError{Field: field, Message: "must be at most " + strconv.Itoa(max) + " characters"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", &FieldError{Field: field, Message: "must not contain control characters"}
		}
	}
	return s, nil
}

// TierFor returns the first tier matching the seat's section and type.
func TierFor(tiers []PriceTier, section string, typ seatmap.SeatType) (PriceTier, bool) {
	for _, t := range tiers {
		if (t.Section == "" || t.Section == section) && (t.SeatType == "" || t.SeatType == typ) {
			return t, true
		}
	}
	return PriceTier{}, false
}

// Sellable reports whether a seat can be put on hold now by this customer.
func (s SessionSeat) Sellable(now time.Time, customer string) bool {
	if !s.State.InService() {
		return false
	}
	switch s.Category {
	case CategorySellable:
	case CategoryReserved:
		expired := s.ReservedUntil != nil && !now.Before(*s.ReservedUntil)
		if !expired && (customer == "" || customer != s.ReservedFor) {
			return false
		}
	default:
		return false
	}
	switch s.Status {
	case SeatAvailable:
		return true
	case SeatHeld:
		return s.HoldExpires != nil && !now.Before(*s.HoldExpires)
	}
	return false
}

// WhyNot explains in plain words why a seat cannot be held.
func (s SessionSeat) WhyNot(now time.Time, customer string) string {
	switch {
	case !s.State.InService():
		return "seat is out of service (" + string(s.State) + ")"
	case s.Category == CategoryHeldBack:
		return "seat is held back by the venue"
	case s.Category == CategoryNonSale:
		return "seat is not for sale"
	case s.Category == CategoryReserved && (s.ReservedUntil == nil || now.Before(*s.ReservedUntil)) && (customer == "" || customer != s.ReservedFor):
		return "seat is reserved for another customer"
	case s.Status == SeatSold:
		return "seat is already sold"
	case s.Status == SeatHeld && !s.Sellable(now, customer):
		return "seat is held by another buyer"
	}
	return "seat is not available"
}

// BestAvailable picks n seats from the candidates (all sellable): the block
// of n adjacent seats in one row nearest the best seat of its section (two
// thirds back, in the middle); failing that, when split is allowed, the n
// seats nearest their sections' best seats. It returns nil when it cannot.
// It is the rule of the live maps' picker (avail.Map.Pick), for a list of
// seats a caller already has.
func BestAvailable(cands []SessionSeat, n int, split bool) []SessionSeat {
	if n <= 0 || len(cands) < n {
		return nil
	}
	layout := make([]avail.Seat, len(cands))
	codes := make([]byte, len(cands))
	byID := make(map[int64]SessionSeat, len(cands))
	for i, st := range cands {
		layout[i] = avail.Seat{ID: st.SeatID, Section: st.Section, Row: st.RowNo, Col: st.Col, Tier: 1}
		codes[i] = avail.Open
		byID[st.SeatID] = st
	}
	ids, _ := avail.New(0, 0, 0, layout, codes, 0).Pick(n, 0, split)
	if ids == nil {
		return nil
	}
	out := make([]SessionSeat, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}
