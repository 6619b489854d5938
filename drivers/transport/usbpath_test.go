package transport

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/admitbox/admit/drivers/profile"
)

// formatUSBPath writes a place the way sysfs does, the inverse of
// parseUSBPath.
func formatUSBPath(bus int, path []int) string {
	ports := make([]string, len(path))
	for i, p := range path {
		ports[i] = strconv.Itoa(p)
	}
	return strconv.Itoa(bus) + "-" + strings.Join(ports, ".")
}

func TestParseUSBPath(t *testing.T) {
	good := []struct {
		in   string
		bus  int
		path []int
	}{
		{"1-2", 1, []int{2}},
		{"3-1.4.2", 3, []int{1, 4, 2}},
		{"255-255", 255, []int{255}},
		{"2-1.2.3.4.5.6.7", 2, []int{1, 2, 3, 4, 5, 6, 7}},
	}
	for _, tt := range good {
		bus, path, err := parseUSBPath(tt.in)
		if err != nil || bus != tt.bus || !slices.Equal(path, tt.path) {
			t.Errorf("parseUSBPath(%q) = %d, %v, %v; want %d, %v", tt.in, bus, path, err, tt.bus, tt.path)
		}
	}

	bad := []struct{ name, in string }{
		{"empty", ""},
		{"bus only", "1"},
		{"no port", "1-"},
		{"bus not a number", "a-1"},
		{"port 0", "1-0"},
		{"empty port in the path", "1-1..2"},
		{"path ends in a dot", "1-1."},
		{"path starts with a dot", "1-.1"},
		{"deeper than USB allows", "1-1.2.3.4.5.6.7.8"},
		{"bus over 255", "256-1"},
		{"port over 255", "1-256"},
		{"bus 0", "0-1"},
		{"leading zero", "1-02"},
		{"sign", "+1-2"},
		{"space", "1- 2"},
		{"two dashes", "1-2-3"},
		{"a device node, not a place", "/dev/usb/lp0"},
		{"a sysfs interface name", "1-1.4:1.0"},
		{"huge number", "1-99999999999999999999"},
	}
	for _, tt := range bad {
		if bus, path, err := parseUSBPath(tt.in); err == nil {
			t.Errorf("%s: parseUSBPath(%q) = %d, %v; want an error", tt.name, tt.in, bus, path)
		} else if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
			t.Errorf("%s: parseUSBPath(%q) error %q does not quote the port", tt.name, tt.in, err)
		}
	}
}

// TestOpenRefusesAMalformedUSBPort holds in builds with and without the usb
// tag: the port is checked before anything else about USB.
func TestOpenRefusesAMalformedUSBPort(t *testing.T) {
	p := load(t, "printer/epson-tm-t88-80mm.json")
	port, err := Open(context.Background(), p, "1-1.")
	if err == nil {
		port.Close()
		t.Fatal("Open succeeded on port 1-1.")
	}
	if !errors.Is(err, profile.ErrBadPort) || errors.Is(err, ErrUSBNotBuilt) {
		t.Errorf("Open = %v; want a bad port error, not a build error", err)
	}
	if !strings.Contains(err.Error(), "04b8:0202") || !strings.Contains(err.Error(), `"1-1."`) {
		t.Errorf("Open = %v; want it to name 04b8:0202 and the port", err)
	}
}

func FuzzParseUSBPath(f *testing.F) {
	for _, s := range []string{"1-2", "3-1.4.2", "", "1", "1-", "a-1", "1-0", "1-1..2", "1-1.", "255-1.2.3.4.5.6.7", "256-1", "01-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bus, path, err := parseUSBPath(s)
		if err != nil {
			return
		}
		if bus < 1 || bus > 255 || len(path) < 1 || len(path) > maxUSBDepth {
			t.Fatalf("parseUSBPath(%q) = %d, %v: out of range", s, bus, path)
		}
		for _, p := range path {
			if p < 1 || p > 255 {
				t.Fatalf("parseUSBPath(%q) = %d, %v: port out of range", s, bus, path)
			}
		}
		// Only the canonical spelling is accepted, so formatting back gives
		// the input itself, and that parses to the same place.
		back := formatUSBPath(bus, path)
		if back != s {
			t.Fatalf("parseUSBPath(%q) = %d, %v, which formats as %q", s, bus, path, back)
		}
		bus2, path2, err := parseUSBPath(back)
		if err != nil || bus2 != bus || !slices.Equal(path2, path) {
			t.Fatalf("reparsing %q = %d, %v, %v; want %d, %v", back, bus2, path2, err, bus, path)
		}
	})
}
