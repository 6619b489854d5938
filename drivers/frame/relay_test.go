package frame

import (
	"bytes"
	"errors"
	"testing"
)

func TestRelayCommand(t *testing.T) {
	const lcus = "A0{ch}{state}{sum}"
	tests := []struct {
		name     string
		template string
		channel  int
		on       bool
		want     string
	}{
		{"LCUS-1 switches channel 1 on", lcus, 1, true, "A0 01 01 A2"},
		{"LCUS-1 switches channel 1 off", lcus, 1, false, "A0 01 00 A1"},
		{"LCUS-2 switches channel 2 on", lcus, 2, true, "A0 02 01 A3"},
		{"LCUS-2 switches channel 2 off", lcus, 2, false, "A0 02 00 A2"},
		{"the sum wraps at 256", lcus, 255, true, "A0 FF 01 A0"},
		{"lower-case hex and spaces are read", "a0 {ch} {state} {sum}", 1, true, "A0 01 01 A2"},
		{"a second sum covers the first", lcus + "{sum}", 1, true, "A0 01 01 A2 44"},
		{"a sum may sit before the end", "{sum}A0{state}{sum}0D", 1, true, "00 A0 01 A1 0D"},
		{"a single-relay board without {ch} has channel 1", "55 AA {state}", 1, false, "55 AA 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RelayCommand(tt.template, tt.channel, tt.on)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhexBytes(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("RelayCommand(%q, %d, %v) = % X, want % X", tt.template, tt.channel, tt.on, got, want)
			}
		})
	}
}

func TestRelayCommandRejects(t *testing.T) {
	tests := []struct {
		name     string
		template string
		channel  int
		want     error
	}{
		{"an empty template", "", 1, ErrConfig},
		{"a template of spaces", "   ", 1, ErrConfig},
		{"an odd number of hex digits", "A0{ch}{state}{sum}0", 1, ErrConfig},
		{"a character that is not hex", "G0{ch}{state}", 1, ErrConfig},
		{"a space inside a byte", "A 0{ch}{state}", 1, ErrConfig},
		{"a 0x prefix", "0xA0{ch}{state}", 1, ErrConfig},
		{"an unknown placeholder", "A0{chan}{state}", 1, ErrConfig},
		{"a placeholder in capitals", "A0{CH}{state}", 1, ErrConfig},
		{"an unclosed placeholder", "A0{ch", 1, ErrConfig},
		{"a template without {state}", "A0{ch}01{sum}", 1, ErrConfig},
		{"channel 0", "A0{ch}{state}{sum}", 0, ErrChannel},
		{"a negative channel", "A0{ch}{state}{sum}", -1, ErrChannel},
		{"a channel one byte cannot hold", "A0{ch}{state}{sum}", 256, ErrChannel},
		{"channel 2 on a template without {ch}", "55 AA {state}", 2, ErrChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RelayCommand(tt.template, tt.channel, true)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Fatalf("returned % X with the error", got)
			}
		})
	}
}
