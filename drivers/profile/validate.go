package profile

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Symbologies a scanner profile may list.
var Symbologies = []string{
	"qr", "datamatrix", "pdf417", "aztec",
	"code128", "code39", "code93", "codabar", "itf", "ean13", "ean8", "upca", "upce",
}

// Validate checks every range and rule of the format on a typed profile and
// returns the first problem as *Error (nil when the profile is usable). Parse calls
// it; a driver or tool that builds a Profile in code may too.
func (p Profile) Validate() error {
	if e := p.validate(); e != nil {
		e.File = p.File
		return e
	}
	return nil
}

func (p Profile) validate() *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if p.Schema != 1 {
		return bad("schema", "unsupported schema %d; want 1", p.Schema)
	}
	if !isKind(p.Kind) {
		return bad("kind", "%q; want one of %s", p.Kind, strings.Join(Kinds, ", "))
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{{"model", p.Model, 64}, {"vendor", p.Vendor, 64}, {"source", p.Source, 512}} {
		if problem := checkText(f.value, f.max); problem != "" {
			return bad(f.field, "%s", problem)
		}
	}

	if e := p.validateTransport(); e != nil {
		return e
	}

	blocks := []struct {
		kind    string
		present bool
	}{
		{KindPrinter, p.Printer != nil},
		{KindScanner, p.Scanner != nil},
		{KindRFID, p.RFID != nil},
		{KindTurnstile, p.Turnstile != nil},
		{KindRelay, p.Relay != nil},
		{KindIDCard, p.IDCard != nil},
	}
	for _, b := range blocks {
		switch {
		case b.kind == p.Kind && !b.present:
			return bad(b.kind, "missing; a %s profile needs a %q block", p.Kind, b.kind)
		case b.kind != p.Kind && b.present:
			return bad(b.kind, "not allowed in a %s profile", p.Kind)
		}
	}

	// Kinds that read from the device need a way back on USB.
	if u := p.Transport.USB; u != nil && u.EndpointIn == 0 {
		needsIn := p.Kind != KindRelay && p.Kind != KindPrinter || p.Printer != nil && p.Printer.Status.DLEEOT
		if needsIn {
			return bad("transport.usb.endpoint_in", "missing; a %s profile reads from the device", p.Kind)
		}
	}

	switch p.Kind {
	case KindPrinter:
		return validatePrinter(p.Printer)
	case KindScanner:
		return validateScanner(p.Scanner)
	case KindRFID:
		return validateRFID(p.RFID)
	case KindTurnstile:
		return validateTurnstile(p.Turnstile)
	case KindRelay:
		return validateRelay(p.Relay)
	case KindIDCard:
		return validateIDCard(p.IDCard)
	}
	return nil
}

func validateIDCard(r *IDCard) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "idcard." + field, Problem: fmt.Sprintf(format, args...)}
	}
	if r.Protocol != "sam" {
		return bad("protocol", "%q is not sam", r.Protocol)
	}
	if !inRange(r.Poll, 50, 5000) {
		return bad("poll_ms", "%v out of range 50..5000 ms", r.Poll)
	}
	if !inRange(r.Answer, 100, 10000) {
		return bad("answer_ms", "%v out of range 100..10000 ms", r.Answer)
	}
	return nil
}

func checkText(s string, max int) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "missing"
	case len(s) > max:
		return fmt.Sprintf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return "not UTF-8"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("contains the control or non-printing character %U", r)
		}
	}
	return ""
}

func (p Profile) validateTransport() *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "transport." + field, Problem: fmt.Sprintf(format, args...)}
	}
	t := p.Transport
	n := 0
	for _, set := range []bool{t.Serial != nil, t.USB != nil, t.TCP != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return &Error{Field: "transport", Problem: fmt.Sprintf("want exactly one of serial, usb, tcp; found %d", n)}
	}
	switch {
	case t.Serial != nil:
		s := t.Serial
		if s.Device != "" && (len(s.Device) > 256 || strings.ContainsFunc(s.Device, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })) {
			return bad("serial.device", "want a device path without spaces, at most 256 bytes")
		}
		if s.Baud < 1200 || s.Baud > 921600 {
			return bad("serial.baud", "%d out of range 1200..921600", s.Baud)
		}
		if s.DataBits != 7 && s.DataBits != 8 {
			return bad("serial.data_bits", "%d; want 7 or 8", s.DataBits)
		}
		if !slices.Contains([]string{"none", "even", "odd"}, s.Parity) {
			return bad("serial.parity", "%q; want none, even or odd", s.Parity)
		}
		if s.StopBits != 1 && s.StopBits != 2 {
			return bad("serial.stop_bits", "%d; want 1 or 2", s.StopBits)
		}
		if !slices.Contains([]string{"none", "rtscts", "xonxoff"}, s.Flow) {
			return bad("serial.flow", "%q; want none, rtscts or xonxoff", s.Flow)
		}
	case t.USB != nil:
		u := t.USB
		if u.VendorID == 0 {
			return bad("usb.vendor_id", "0x0000 is not a vendor")
		}
		if u.Interface < 0 || u.Interface > 255 {
			return bad("usb.interface", "%d out of range 0..255", u.Interface)
		}
		if u.EndpointOut < 0x01 || u.EndpointOut > 0x0f {
			return bad("usb.endpoint_out", "0x%02x; want an OUT endpoint 0x01..0x0f", u.EndpointOut)
		}
		if u.EndpointIn != 0 && (u.EndpointIn < 0x81 || u.EndpointIn > 0x8f) {
			return bad("usb.endpoint_in", "0x%02x; want an IN endpoint 0x81..0x8f", u.EndpointIn)
		}
	case t.TCP != nil:
		host, port, err := net.SplitHostPort(t.TCP.Address)
		if err != nil {
			return bad("tcp.address", "want host:port")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("tcp.address", "port %q: want 1..65535", port)
		}
		if len(host) > 253 || strings.ContainsAny(host, " \t\r\n/") {
			return bad("tcp.address", "bad host %q", host)
		}
	}
	return nil
}

func inRange(d time.Duration, lo, hi int) bool {
	return d >= ms(lo) && d <= ms(hi) && d%time.Millisecond == 0
}

func validatePrinter(pr *Printer) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "printer." + field, Problem: fmt.Sprintf(format, args...)}
	}
	if pr.Dialect != "escpos" {
		return bad("dialect", "%q; want escpos", pr.Dialect)
	}
	switch pr.PaperMM {
	case 58:
		if pr.DotsPerLine != 384 {
			return bad("dots_per_line", "%d; 58 mm paper has 384 dots", pr.DotsPerLine)
		}
	case 80:
		// 512 is Epson's 180 dpi head (TM-T88 series), 576 the common 203 dpi head.
		if pr.DotsPerLine != 512 && pr.DotsPerLine != 576 {
			return bad("dots_per_line", "%d; 80 mm paper has 512 (180 dpi) or 576 (203 dpi) dots", pr.DotsPerLine)
		}
	default:
		return bad("paper_mm", "%d; want 58 or 80", pr.PaperMM)
	}
	if maxChars := pr.DotsPerLine / 8; pr.CharsPerLine < 16 || pr.CharsPerLine > maxChars {
		return bad("chars_per_line", "%d out of range 16..%d for %d dots", pr.CharsPerLine, maxChars, pr.DotsPerLine)
	}
	if pr.CodePage < 0 || pr.CodePage > 255 {
		return bad("code_page", "%d out of range 0..255", pr.CodePage)
	}
	if pr.Chinese != "" && pr.Chinese != "gb18030" {
		return bad("chinese", "%q; want gb18030 or empty", pr.Chinese)
	}
	if pr.Status.DLEEOT {
		if !inRange(pr.Status.Timeout, 1, 10000) {
			return bad("status.timeout_ms", "%v out of range 1..10000 ms", pr.Status.Timeout)
		}
	} else if pr.Status.Timeout != 0 {
		return bad("status.timeout_ms", "set, but dle_eot is false: nothing to wait for")
	}
	if !slices.Contains([]string{"partial", "full", "none"}, pr.Cut) {
		return bad("cut", "%q; want partial, full or none", pr.Cut)
	}
	if pr.QR.Model != 2 {
		return bad("qr.model", "%d; want 2", pr.QR.Model)
	}
	if pr.QR.MaxModule < 1 || pr.QR.MaxModule > 16 {
		return bad("qr.max_module", "%d out of range 1..16", pr.QR.MaxModule)
	}
	return nil
}

func validateScanner(s *Scanner) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "scanner." + field, Problem: fmt.Sprintf(format, args...)}
	}
	f := s.Framing
	if len(f.Prefix) > 16 {
		return bad("framing.prefix", "longer than 16 bytes")
	}
	switch {
	case len(f.Terminator) == 0:
		return bad("framing.terminator", "missing; a read must end somewhere")
	case len(f.Terminator) > 4:
		return bad("framing.terminator", "longer than 4 bytes")
	case len(f.Prefix) > 0 && bytes.Equal(f.Prefix, f.Terminator):
		return bad("framing.terminator", "same bytes as the prefix")
	}
	if f.MaxLen < 1 || f.MaxLen > 4096 {
		return bad("framing.max_len", "%d out of range 1..4096", f.MaxLen)
	}
	if len(s.Symbologies) == 0 {
		return bad("symbologies", "missing; list what the scanner is set to read, e.g. [\"qr\"]")
	}
	for i, sym := range s.Symbologies {
		if !slices.Contains(Symbologies, sym) {
			return bad(fmt.Sprintf("symbologies[%d]", i), "%q; want one of %s", sym, strings.Join(Symbologies, ", "))
		}
		if slices.Index(s.Symbologies, sym) != i {
			return bad(fmt.Sprintf("symbologies[%d]", i), "%q listed twice", sym)
		}
	}
	return nil
}

func validateRFID(r *RFID) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "rfid.frame." + field, Problem: fmt.Sprintf(format, args...)}
	}
	f := r.Frame
	if f.Start == f.End {
		return bad("end", "same byte as start (0x%02x)", f.Start)
	}
	switch f.Length {
	case "byte":
		if f.LengthCovers != "frame" && f.LengthCovers != "data" {
			return bad("length_covers", "%q; want frame or data: what the length byte counts", f.LengthCovers)
		}
	case "none":
		if f.LengthCovers != "" {
			return bad("length_covers", "set, but length is none")
		}
	default:
		return bad("length", "%q; want byte or none", f.Length)
	}
	if f.TypeBytes < 0 || f.TypeBytes > 4 {
		return bad("type_bytes", "%d out of range 0..4", f.TypeBytes)
	}
	switch f.Checksum {
	case "none":
		if f.ChecksumOver != "" {
			return bad("checksum_over", "set, but checksum is none")
		}
	case "xor", "sum8":
		switch f.ChecksumOver {
		case "data":
		case "len+data":
			if f.Length == "none" {
				return bad("checksum_over", "len+data, but the frame has no length byte")
			}
		default:
			return bad("checksum_over", "%q; want len+data or data", f.ChecksumOver)
		}
	default:
		return bad("checksum", "%q; want xor, sum8 or none", f.Checksum)
	}
	if len(f.UIDBytes) == 0 {
		return bad("uid_bytes", "missing; want some of 4, 7, 10")
	}
	for i, n := range f.UIDBytes {
		if n != 4 && n != 7 && n != 10 {
			return bad(fmt.Sprintf("uid_bytes[%d]", i), "%d; want 4, 7 or 10 (ISO 14443 single, double, triple size)", n)
		}
		if slices.Index(f.UIDBytes, n) != i {
			return bad(fmt.Sprintf("uid_bytes[%d]", i), "%d listed twice", n)
		}
	}
	return nil
}

func validateTurnstile(t *Turnstile) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "turnstile." + field, Problem: fmt.Sprintf(format, args...)}
	}
	for _, c := range []struct {
		field string
		b     []byte
	}{
		{"commands.open_in", t.Commands.OpenIn},
		{"commands.open_out", t.Commands.OpenOut},
		{"responses.passage_in", t.Responses.PassageIn},
		{"responses.passage_out", t.Responses.PassageOut},
		{"responses.alarm", t.Responses.Alarm},
	} {
		if len(c.b) == 0 {
			return bad(c.field, "missing")
		}
	}
	if bytes.Equal(t.Commands.OpenIn, t.Commands.OpenOut) {
		return bad("commands.open_out", "same bytes as open_in")
	}
	// A passage report must say which way; the others must not be mistaken for it.
	responses := []struct {
		field string
		b     []byte
	}{
		{"responses.passage_in", t.Responses.PassageIn},
		{"responses.passage_out", t.Responses.PassageOut},
		{"responses.alarm", t.Responses.Alarm},
		{"responses.ok", t.Responses.OK},
	}
	for i, a := range responses {
		for _, b := range responses[:i] {
			if len(a.b) > 0 && bytes.Equal(a.b, b.b) {
				return bad(a.field, "same bytes as %s", b.field)
			}
		}
	}
	if !inRange(t.Pulse, 1, 10000) {
		return bad("pulse_ms", "%v out of range 1..10000 ms", t.Pulse)
	}
	if !inRange(t.PassageTimeout, 1000, 120000) {
		return bad("passage_timeout_ms", "%v out of range 1000..120000 ms", t.PassageTimeout)
	}
	if t.PassageTimeout <= t.Pulse {
		return bad("passage_timeout_ms", "%v is not longer than pulse_ms (%v)", t.PassageTimeout, t.Pulse)
	}
	return nil
}

func validateRelay(r *Relay) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Field: "relay." + field, Problem: fmt.Sprintf(format, args...)}
	}
	if r.Channels < 1 || r.Channels > 32 {
		return bad("channels", "%d out of range 1..32", r.Channels)
	}
	if r.On.IsZero() {
		return bad("commands.on", "missing")
	}
	if r.Off.IsZero() {
		return bad("commands.off", "missing")
	}
	for ch := 1; ch <= r.Channels; ch++ {
		if bytes.Equal(r.On.Render(ch), r.Off.Render(ch)) {
			return bad("commands.off", "same bytes as on for channel %d", ch)
		}
	}
	if !inRange(r.Pulse, 10, 60000) {
		return bad("pulse_ms", "%v out of range 10..60000 ms", r.Pulse)
	}
	return nil
}
