package frame

import (
	"encoding/hex"
	"io"
	"strings"
	"testing"
)

// chunkReader plays back a recorded byte stream exactly as the port
// delivered it: one chunk per Read, then io.EOF.
type chunkReader struct{ chunks [][]byte }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if n == len(c.chunks[0]) {
		c.chunks = c.chunks[1:]
	} else {
		c.chunks[0] = c.chunks[0][n:]
	}
	return n, nil
}

func chunks(parts ...string) io.Reader {
	c := &chunkReader{}
	for _, p := range parts {
		c.chunks = append(c.chunks, []byte(p))
	}
	return c
}

// unhexBytes decodes space-separated hex such as "02 04 DE AD".
func unhexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q in the test: %v", s, err)
	}
	return b
}

// hexChunks plays back hex byte groups, one group per Read.
func hexChunks(t testing.TB, groups ...string) io.Reader {
	t.Helper()
	c := &chunkReader{}
	for _, g := range groups {
		c.chunks = append(c.chunks, unhexBytes(t, g))
	}
	return c
}
