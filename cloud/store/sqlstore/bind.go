package sqlstore

import (
	"strconv"
	"strings"
)

// The queries are written with SQLite's placeholders: ? (the next
// argument) and ?N (the Nth). Engines that number them ($N) get each
// query rewritten once.

// bind returns q as the engine takes it.
func (d *Dialect) bind(q string) string {
	if !d.Numbered {
		return q
	}
	if b, ok := d.bound.Load(q); ok {
		return b.(string)
	}
	b := numbered(q)
	d.bound.Store(q, b)
	return b
}

// numbered rewrites ? and ?N outside quoted text to $N.
func numbered(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	next := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteByte('$')
				b.WriteString(q[i+1 : j])
				i = j - 1
				continue
			}
			next++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(next))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// args converts what the engine cannot take as it is: booleans are
// stored as integers (0, 1) in every engine.
func (d *Dialect) args(args []any) []any {
	if !d.Numbered {
		return args
	}
	var out []any
	for i, a := range args {
		if v, ok := a.(bool); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = 0
			if v {
				out[i] = 1
			}
		}
	}
	if out == nil {
		return args
	}
	return out
}
