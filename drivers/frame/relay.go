package frame

import (
	"fmt"
	"strings"
)

// RelayCommand builds the command that switches one channel of a serial or
// USB relay board, from the model's template. The template is hex bytes
// (either case, optionally separated by spaces) and these placeholders,
// each standing for one byte:
//
//   - {ch}: the channel number, 1..255
//   - {state}: 01 to switch on, 00 to switch off
//   - {sum}: the sum of all bytes before it, mod 256
//
// For the LCUS-1 board the template is "A0{ch}{state}{sum}": channel 1 on
// is A0 01 01 A2, channel 1 off is A0 01 00 A1.
//
// A template must hold {state}, or on and off would send the same bytes.
// A template without {ch} addresses a single relay, channel 1.
func RelayCommand(template string, channel int, on bool) ([]byte, error) {
	if channel < 1 || channel > 255 {
		return nil, fmt.Errorf("%w: channel %d is outside 1..255", ErrChannel, channel)
	}
	state := byte(0x00)
	if on {
		state = 0x01
	}
	var out []byte
	var sum byte
	hasCh, hasState := false, false
	rest := template
	for rest != "" {
		var b byte
		switch {
		case rest[0] == ' ':
			rest = rest[1:]
			continue
		case rest[0] == '{':
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return nil, fmt.Errorf("%w: relay template %q: unclosed %q", ErrConfig, template, rest)
			}
			switch name := rest[:end+1]; name {
			case "{ch}":
				b, hasCh = byte(channel), true
			case "{state}":
				b, hasState = state, true
			case "{sum}":
				b = sum
			default:
				return nil, fmt.Errorf("%w: relay template %q: unknown placeholder %s", ErrConfig, template, name)
			}
			rest = rest[end+1:]
		default:
			hi, okHi := unhex(rest[0])
			if len(rest) < 2 || !okHi {
				return nil, fmt.Errorf("%w: relay template %q: %q is not a hex byte", ErrConfig, template, rest[:min(2, len(rest))])
			}
			lo, okLo := unhex(rest[1])
			if !okLo {
				return nil, fmt.Errorf("%w: relay template %q: %q is not a hex byte", ErrConfig, template, rest[:2])
			}
			b = hi<<4 | lo
			rest = rest[2:]
		}
		out = append(out, b)
		sum += b
	}
	switch {
	case len(out) == 0:
		return nil, fmt.Errorf("%w: relay template %q holds no bytes", ErrConfig, template)
	case !hasState:
		return nil, fmt.Errorf("%w: relay template %q has no {state}", ErrConfig, template)
	case !hasCh && channel != 1:
		return nil, fmt.Errorf("%w: relay template %q has no {ch}, so only channel 1 exists, not %d", ErrChannel, template, channel)
	}
	return out, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
