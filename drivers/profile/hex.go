package profile

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// maxHexBytes bounds every byte string in a profile; device commands are short.
const maxHexBytes = 64

// parseHex decodes a byte string written as hex pairs, "0d0a" or "fe 80 01":
// spaces may separate bytes but never split one. It returns a problem, or "".
func parseHex(s string) ([]byte, string) {
	var out []byte
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		if i+1 >= len(s) || !isHexDigit(s[i]) || !isHexDigit(s[i+1]) {
			return nil, "not hex"
		}
		if len(out) == maxHexBytes {
			return nil, fmt.Sprintf("longer than %d bytes", maxHexBytes)
		}
		out = append(out, unhex(s[i])<<4|unhex(s[i+1]))
		i += 2
	}
	return out, ""
}

// formatHex writes b the way profiles spell it: lower-case pairs separated by spaces.
func formatHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}

// parseHexByte decodes exactly one byte, "02".
func parseHexByte(s string) (byte, string) {
	b, problem := parseHex(s)
	if problem != "" {
		return 0, problem
	}
	if len(b) != 1 {
		return 0, "want exactly one hex byte"
	}
	return b[0], ""
}

// parseHexID decodes a USB-style id, "0x04b8" (digits = 4) or "0x82" (digits = 2).
func parseHexID(s string, digits int) (uint64, string) {
	if len(s) != 2+digits || (s[:2] != "0x" && s[:2] != "0X") {
		return 0, fmt.Sprintf("want 0x and %d hex digits, as in %q", digits, "0x"+strings.Repeat("0", digits-1)+"1")
	}
	v, err := strconv.ParseUint(s[2:], 16, 16)
	if err != nil {
		return 0, "not hex"
	}
	return v, ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Template is a relay command with placeholders, as written in a profile:
// hex bytes, "{ch}" for the channel number (one byte, 1-based) and "{sum}" for
// the low byte of the sum of every byte before it. "{ch}" appears exactly once;
// "{sum}", if present, is last. The LCUS boards' "switch on" is "a0 {ch} 01 {sum}":
// channel 1 gives a0 01 01 a2.
type Template struct {
	parts []part
}

type partKind uint8

const (
	partByte partKind = iota
	partChannel
	partSum
)

type part struct {
	kind partKind
	b    byte
}

// ParseTemplate reads a relay command template; the error is the problem alone.
func ParseTemplate(s string) (Template, error) {
	t, problem := parseTemplate(s)
	if problem != "" {
		return Template{}, fmt.Errorf("relay template %q: %s", s, problem)
	}
	return t, nil
}

func parseTemplate(s string) (Template, string) {
	var t Template
	channels, sums := 0, 0
	for i := 0; i < len(s); {
		switch {
		case isSpace(s[i]):
			i++
			continue
		case s[i] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return Template{}, "unclosed {"
			}
			switch name := s[i+1 : i+end]; name {
			case "ch":
				channels++
				t.parts = append(t.parts, part{kind: partChannel})
			case "sum":
				sums++
				t.parts = append(t.parts, part{kind: partSum})
			default:
				return Template{}, fmt.Sprintf("unknown placeholder {%s}; want {ch} or {sum}", name)
			}
			i += end + 1
		case i+1 < len(s) && isHexDigit(s[i]) && isHexDigit(s[i+1]):
			t.parts = append(t.parts, part{kind: partByte, b: unhex(s[i])<<4 | unhex(s[i+1])})
			i += 2
		default:
			return Template{}, "not hex"
		}
		if len(t.parts) > maxHexBytes {
			return Template{}, fmt.Sprintf("longer than %d bytes", maxHexBytes)
		}
	}
	switch {
	case len(t.parts) == 0:
		return Template{}, "missing"
	case channels != 1:
		return Template{}, fmt.Sprintf("{ch} must appear exactly once, found %d", channels)
	case sums > 1:
		return Template{}, "{sum} may appear at most once"
	case sums == 1 && t.parts[len(t.parts)-1].kind != partSum:
		return Template{}, "{sum} must be the last token: it sums the bytes before it"
	}
	return t, ""
}

// IsZero reports whether the template is empty (never set).
func (t Template) IsZero() bool { return len(t.parts) == 0 }

// Render fills in the channel (its low byte) and the checksum.
func (t Template) Render(ch int) []byte {
	out := make([]byte, 0, len(t.parts))
	var sum byte
	for _, p := range t.parts {
		var b byte
		switch p.kind {
		case partByte:
			b = p.b
		case partChannel:
			b = byte(ch)
		case partSum:
			b = sum
		}
		out = append(out, b)
		sum += b
	}
	return out
}

// String writes the template the way a profile spells it.
func (t Template) String() string {
	var sb strings.Builder
	for i, p := range t.parts {
		if i > 0 {
			sb.WriteByte(' ')
		}
		switch p.kind {
		case partByte:
			fmt.Fprintf(&sb, "%02x", p.b)
		case partChannel:
			sb.WriteString("{ch}")
		case partSum:
			sb.WriteString("{sum}")
		}
	}
	return sb.String()
}

// canonicalAddress turns "host:port", "host" or ":port" into "host:port"; a bare
// host gets port 9100 when the device is a printer (the raw-print port) and is
// refused otherwise. It returns a problem, or "".
func canonicalAddress(addr, kind string) (string, string) {
	if addr == "" {
		return "", "missing"
	}
	if strings.ContainsAny(addr, " \t\r\n/") {
		return "", "want host:port"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if strings.Contains(addr, ":") {
			return "", "want host:port (bracket an IPv6 host: [::1]:9100)"
		}
		if kind != KindPrinter {
			return "", "want host:port; only printers default to port 9100"
		}
		host, port = addr, "9100"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "", fmt.Sprintf("port %q: want 1..65535", port)
	}
	if len(host) > 253 {
		return "", "host longer than 253 characters"
	}
	return net.JoinHostPort(host, port), ""
}
