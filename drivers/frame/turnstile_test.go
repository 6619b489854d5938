package frame

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// asciiGate answers in short ASCII lines.
var asciiGate = TurnstileConfig{
	OpenIn: []byte("OI\r"), OpenOut: []byte("OO\r"), Status: []byte("ST\r"),
	PassageIn: []byte("PI\r"), PassageOut: []byte("PO\r"), Alarm: []byte("AL\r"), OK: []byte("OK\r"),
}

// binaryGate answers in AA-prefixed binary frames.
var binaryGate = TurnstileConfig{
	OpenIn: []byte{0xAA, 0x01, 0x01}, OpenOut: []byte{0xAA, 0x01, 0x02},
	PassageIn: []byte{0xAA, 0x10, 0x01}, PassageOut: []byte{0xAA, 0x10, 0x02},
	Alarm: []byte{0xAA, 0x20}, OK: []byte{0x06},
}

func TestTurnstileDecoder(t *testing.T) {
	tests := []struct {
		name  string
		cfg   TurnstileConfig
		in    io.Reader
		want  []TurnstileEvent
		end   error
		stats TurnstileStats
	}{
		{
			name:  "responses in one read are returned in order",
			cfg:   asciiGate,
			in:    strings.NewReader("OK\rPI\rPO\rAL\r"),
			want:  []TurnstileEvent{OK, PassageIn, PassageOut, Alarm},
			end:   io.EOF,
			stats: TurnstileStats{Events: 4},
		},
		{
			name:  "responses read one byte at a time are recognised",
			cfg:   binaryGate,
			in:    iotest.OneByteReader(hexChunks(t, "06 AA 10 01 AA 10 02 AA 20")),
			want:  []TurnstileEvent{OK, PassageIn, PassageOut, Alarm},
			end:   io.EOF,
			stats: TurnstileStats{Events: 4},
		},
		{
			name:  "a response split between reads is recognised",
			cfg:   binaryGate,
			in:    hexChunks(t, "AA", "10", "01 AA", "10 02"),
			want:  []TurnstileEvent{PassageIn, PassageOut},
			end:   io.EOF,
			stats: TurnstileStats{Events: 2},
		},
		{
			name:  "unknown bytes are skipped one at a time and counted",
			cfg:   binaryGate,
			in:    hexChunks(t, "00 FF 55", "AA 10 01", "07"),
			want:  []TurnstileEvent{PassageIn},
			end:   io.EOF,
			stats: TurnstileStats{Events: 1, Unknown: 4},
		},
		{
			name:  "a response right after a byte that starts one is found",
			cfg:   binaryGate,
			in:    hexChunks(t, "AA AA 10 02"),
			want:  []TurnstileEvent{PassageOut},
			end:   io.EOF,
			stats: TurnstileStats{Events: 1, Unknown: 1},
		},
		{
			name:  "a response inside a broken one is found after skipping its first byte",
			cfg:   binaryGate,
			in:    hexChunks(t, "AA 06 AA 10 30"),
			want:  []TurnstileEvent{OK},
			end:   io.EOF,
			stats: TurnstileStats{Events: 1, Unknown: 4},
		},
		{
			name:  "a start of a response that does not go on is skipped",
			cfg:   asciiGate,
			in:    strings.NewReader("PX\rOK\r"),
			want:  []TurnstileEvent{OK},
			end:   io.EOF,
			stats: TurnstileStats{Events: 1, Unknown: 3},
		},
		{
			name:  "a model without some responses decodes the ones it has",
			cfg:   TurnstileConfig{PassageIn: []byte{0x31}},
			in:    hexChunks(t, "31 32 31"),
			want:  []TurnstileEvent{PassageIn, PassageIn},
			end:   io.EOF,
			stats: TurnstileStats{Events: 2, Unknown: 1},
		},
		{
			name:  "end of stream inside a response is an unexpected EOF",
			cfg:   binaryGate,
			in:    hexChunks(t, "06 AA 10"),
			want:  []TurnstileEvent{OK},
			end:   io.ErrUnexpectedEOF,
			stats: TurnstileStats{Events: 1, Unknown: 2},
		},
		{
			name:  "a response behind a cut-off one at the end of stream is still returned",
			cfg:   TurnstileConfig{PassageIn: []byte("abc"), PassageOut: []byte("b")},
			in:    strings.NewReader("ab"),
			want:  []TurnstileEvent{PassageOut},
			end:   io.ErrUnexpectedEOF,
			stats: TurnstileStats{Events: 1, Unknown: 1},
		},
		{
			name:  "an empty stream ends cleanly",
			cfg:   asciiGate,
			in:    strings.NewReader(""),
			end:   io.EOF,
			stats: TurnstileStats{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewTurnstileDecoder(tt.in, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			events, end := readEvents(t, d)
			if !slices.Equal(events, tt.want) {
				t.Errorf("events = %v, want %v", events, tt.want)
			}
			if end != tt.end {
				t.Errorf("end = %v, want %v", end, tt.end)
			}
			if s := d.Stats(); s != tt.stats {
				t.Errorf("stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

// readEvents reads to the end and checks that the end stays io.EOF.
func readEvents(t *testing.T, d *TurnstileDecoder) ([]TurnstileEvent, error) {
	t.Helper()
	var events []TurnstileEvent
	for {
		ev, err := d.Next()
		if err != nil {
			if ev != Unknown {
				t.Errorf("Next returned %v with %v", ev, err)
			}
			if _, again := d.Next(); again != io.EOF {
				t.Errorf("Next after %v returned %v, want io.EOF", err, again)
			}
			return events, err
		}
		events = append(events, ev)
	}
}

// stallReader plays back its bytes, then fails any further read: a port
// on which nothing more arrives.
type stallReader struct {
	t    *testing.T
	data []byte
}

func (s *stallReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		s.t.Error("the decoder read again with a whole response already in hand")
		return 0, errors.New("stalled")
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

func TestTurnstileDecoderReturnsAResponseLeftBehindWithoutReading(t *testing.T) {
	// "a b" starts PassageIn; "d" ends that hope, "a" is skipped, "b" is
	// PassageOut and "d" is an Alarm already read.
	cfg := TurnstileConfig{PassageIn: []byte("abc"), PassageOut: []byte("b"), Alarm: []byte("d")}
	d, err := NewTurnstileDecoder(&stallReader{t: t, data: []byte("abd")}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []TurnstileEvent{PassageOut, Alarm} {
		if ev, err := d.Next(); ev != want || err != nil {
			t.Fatalf("Next = %v, %v; want %v", ev, err, want)
		}
	}
}

func TestTurnstileDecoderCarriesOnAfterAReadError(t *testing.T) {
	in := iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("PI\r")))
	d, err := NewTurnstileDecoder(in, asciiGate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("first Next: %v, want the timeout", err)
	}
	if ev, err := d.Next(); ev != PassageIn || err != nil {
		t.Fatalf("second Next = %v, %v; want passage-in", ev, err)
	}
}

func TestNewTurnstileDecoderRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  TurnstileConfig
	}{
		{"a configuration without responses", TurnstileConfig{OpenIn: []byte{0x01}}},
		{"two equal responses", TurnstileConfig{PassageIn: []byte("P\r"), PassageOut: []byte("P\r")}},
		{"a response that starts another", TurnstileConfig{OK: []byte{0xAA}, Alarm: []byte{0xAA, 0x20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTurnstileDecoder(strings.NewReader(""), tt.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestTurnstileEventNames(t *testing.T) {
	for ev, want := range map[TurnstileEvent]string{
		Unknown: "unknown", PassageIn: "passage-in", PassageOut: "passage-out",
		Alarm: "alarm", OK: "ok", TurnstileEvent(99): "unknown",
	} {
		if got := ev.String(); got != want {
			t.Errorf("TurnstileEvent(%d) = %q, want %q", int(ev), got, want)
		}
	}
	var zero TurnstileEvent
	if zero != Unknown {
		t.Error("the zero TurnstileEvent is not Unknown")
	}
}
