package frame

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

var crlf = LineConfig{Terminator: []byte("\r\n"), MaxLen: 16}

func TestLineReader(t *testing.T) {
	prefixed := LineConfig{Prefix: []byte("]Q1"), Terminator: []byte("\r"), MaxLen: 16}
	long := strings.Repeat("A", 100)
	tests := []struct {
		name  string
		cfg   LineConfig
		in    io.Reader
		want  []string
		end   error
		stats LineStats
	}{
		{
			name:  "clean lines are returned without their terminator",
			cfg:   crlf,
			in:    strings.NewReader("6BFOXN%TS3DH\r\nABC\r\n"),
			want:  []string{"6BFOXN%TS3DH", "ABC"},
			end:   io.EOF,
			stats: LineStats{Lines: 2},
		},
		{
			name:  "spaces inside and around a Base45 code are kept",
			cfg:   crlf,
			in:    strings.NewReader(" %69 VD92EX0 \r\n"),
			want:  []string{" %69 VD92EX0 "},
			end:   io.EOF,
			stats: LineStats{Lines: 1},
		},
		{
			name:  "bytes before the prefix are counted as noise",
			cfg:   prefixed,
			in:    strings.NewReader("xx]Q1CODE1\r\x00\xff]Q1CODE2\r"),
			want:  []string{"CODE1", "CODE2"},
			end:   io.EOF,
			stats: LineStats{Lines: 2, Noise: 4},
		},
		{
			name:  "a prefix is found right after a byte that starts it",
			cfg:   prefixed,
			in:    strings.NewReader("]]Q]Q1CODE\r"),
			want:  []string{"CODE"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Noise: 3},
		},
		{
			name:  "a whole line without the prefix is noise",
			cfg:   prefixed,
			in:    strings.NewReader("JUNK\r]Q1A\r"),
			want:  []string{"A"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Noise: 5},
		},
		{
			name:  "a CRLF terminator read one byte at a time works",
			cfg:   crlf,
			in:    iotest.OneByteReader(strings.NewReader("ABC\r\nDEF\r\n")),
			want:  []string{"ABC", "DEF"},
			end:   io.EOF,
			stats: LineStats{Lines: 2},
		},
		{
			name:  "a CRLF terminator split between two reads works",
			cfg:   crlf,
			in:    chunks("AB\r", "\nCD\r", "\n"),
			want:  []string{"AB", "CD"},
			end:   io.EOF,
			stats: LineStats{Lines: 2},
		},
		{
			name:  "a prefix split between reads works",
			cfg:   prefixed,
			in:    chunks("]", "Q", "1AB", "\r"),
			want:  []string{"AB"},
			end:   io.EOF,
			stats: LineStats{Lines: 1},
		},
		{
			name:  "a line of exactly MaxLen bytes is returned",
			cfg:   LineConfig{Terminator: []byte("\r\n"), MaxLen: 4},
			in:    strings.NewReader("ABCD\r\n"),
			want:  []string{"ABCD"},
			end:   io.EOF,
			stats: LineStats{Lines: 1},
		},
		{
			name:  "a line one byte over MaxLen is dropped and the next good line returned",
			cfg:   LineConfig{Terminator: []byte("\r\n"), MaxLen: 4},
			in:    strings.NewReader("ABCDE\r\nWXYZ\r\n"),
			want:  []string{"WXYZ"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Oversized: 1},
		},
		{
			name:  "a long line read one byte at a time is dropped whole, never truncated",
			cfg:   LineConfig{Terminator: []byte("\r\n"), MaxLen: 4},
			in:    iotest.OneByteReader(strings.NewReader(long + "\r" + long + "\r\nOK\r\n")),
			want:  []string{"OK"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Oversized: 1},
		},
		{
			name:  "an oversized line after a prefix is dropped up to its terminator",
			cfg:   LineConfig{Prefix: []byte("]Q1"), Terminator: []byte("\r"), MaxLen: 4},
			in:    strings.NewReader("]Q1ABCDE]Q1X\r]Q1WXYZ\r"),
			want:  []string{"WXYZ"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Oversized: 1},
		},
		{
			name:  "a line with a control byte is dropped as garbage",
			cfg:   crlf,
			in:    strings.NewReader("AB\x01C\r\nDEF\r\n"),
			want:  []string{"DEF"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Garbage: 1},
		},
		{
			name:  "lines with a tab, a DEL, UTF-8 or a lone CR are dropped as garbage",
			cfg:   crlf,
			in:    strings.NewReader("\tA\r\nA\x7f\r\nGRÜN\r\nA\rB\r\nOK\r\n"),
			want:  []string{"OK"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Garbage: 4},
		},
		{
			name:  "a blank line is noise",
			cfg:   crlf,
			in:    strings.NewReader("\r\nA\r\n"),
			want:  []string{"A"},
			end:   io.EOF,
			stats: LineStats{Lines: 1, Noise: 2},
		},
		{
			name:  "end of stream mid-line reports an unexpected EOF after the valid lines",
			cfg:   crlf,
			in:    strings.NewReader("A\r\nBC"),
			want:  []string{"A"},
			end:   io.ErrUnexpectedEOF,
			stats: LineStats{Lines: 1},
		},
		{
			name:  "end of stream inside the terminator is an unexpected EOF",
			cfg:   crlf,
			in:    strings.NewReader("A\r"),
			end:   io.ErrUnexpectedEOF,
			stats: LineStats{},
		},
		{
			name:  "end of stream inside an oversized line is an unexpected EOF",
			cfg:   LineConfig{Terminator: []byte("\r"), MaxLen: 2},
			in:    strings.NewReader("ABCDEF"),
			end:   io.ErrUnexpectedEOF,
			stats: LineStats{},
		},
		{
			name:  "end of stream right after a prefix is an unexpected EOF",
			cfg:   prefixed,
			in:    strings.NewReader("]Q1"),
			end:   io.ErrUnexpectedEOF,
			stats: LineStats{},
		},
		{
			name:  "end of stream inside a prefix is noise, not a cut-off line",
			cfg:   prefixed,
			in:    strings.NewReader("A\r]Q"),
			end:   io.EOF,
			stats: LineStats{Noise: 4},
		},
		{
			name:  "the last line arriving with the EOF is returned",
			cfg:   crlf,
			in:    iotest.DataErrReader(strings.NewReader("AB\r\nCD\r\n")),
			want:  []string{"AB", "CD"},
			end:   io.EOF,
			stats: LineStats{Lines: 2},
		},
		{
			name:  "an empty stream ends cleanly",
			cfg:   crlf,
			in:    strings.NewReader(""),
			end:   io.EOF,
			stats: LineStats{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, err := NewLineReader(tt.in, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, end := readLines(t, lr)
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			if end != tt.end {
				t.Errorf("end = %v, want %v", end, tt.end)
			}
			if s := lr.Stats(); s != tt.stats {
				t.Errorf("stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

// readLines reads to the end and checks that the end stays io.EOF.
func readLines(t *testing.T, lr *LineReader) ([]string, error) {
	t.Helper()
	var lines []string
	for {
		line, err := lr.Next()
		if err != nil {
			if again, _ := lr.Next(); again != "" {
				t.Errorf("Next after %v returned %q", err, again)
			}
			if _, again := lr.Next(); again != io.EOF {
				t.Errorf("Next after %v returned %v, want io.EOF", err, again)
			}
			return lines, err
		}
		lines = append(lines, line)
	}
}

func TestLineReaderCarriesOnAfterAReadError(t *testing.T) {
	// The second read times out, as a serial port with a read deadline
	// does; the line in progress must survive it.
	lr, err := NewLineReader(iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("AB\r\n"))), crlf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lr.Next(); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("first Next: %v, want the timeout", err)
	}
	if line, err := lr.Next(); line != "AB" || err != nil {
		t.Fatalf("second Next = %q, %v; want \"AB\"", line, err)
	}
	if _, err := lr.Next(); err != io.EOF {
		t.Fatalf("third Next: %v, want io.EOF", err)
	}
}

func TestNewLineReaderRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  LineConfig
	}{
		{"an empty terminator", LineConfig{MaxLen: 10}},
		{"a MaxLen of zero", LineConfig{Terminator: []byte("\r")}},
		{"a negative MaxLen", LineConfig{Terminator: []byte("\r"), MaxLen: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewLineReader(strings.NewReader(""), tt.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestLineReaderDoesNotShareTheConfigBytes(t *testing.T) {
	cfg := LineConfig{Prefix: []byte("]Q1"), Terminator: []byte("\r"), MaxLen: 8}
	lr, err := NewLineReader(strings.NewReader("]Q1A\r"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Prefix[0], cfg.Terminator[0] = 'x', 'x'
	if line, err := lr.Next(); line != "A" || err != nil {
		t.Fatalf("Next = %q, %v; want \"A\"", line, err)
	}
}

func BenchmarkLineReader(b *testing.B) {
	line := "NCFOXN%TSMAHN-HKTGX94G-ICVJ7Q7A$M$9Q2M:1VQ$1F3DOF8D7C*0I35 3S%SM3X2GE4\r\n"
	stream := []byte(strings.Repeat(line, 1000))
	cfg := LineConfig{Terminator: []byte("\r\n"), MaxLen: 512}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	r := &strings.Reader{}
	for b.Loop() {
		r.Reset(string(stream))
		lr, _ := NewLineReader(r, cfg)
		for {
			if _, err := lr.Next(); err != nil {
				break
			}
		}
	}
}
