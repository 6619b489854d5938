//go:build linux

package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/cloud/store/sqlstore"
)

// The committer's thread runs at WriterNice where the process may raise
// a thread's priority, and no thread runs raised once the store is closed
// (Go tears the thread down a moment after Close returns); where it may
// not, the store says why and runs all the same.
func TestTheWriterRunsAtARaisedPriority(t *testing.T) {
	before := threadsAtNice(t, sqlstore.WriterNice)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "prio.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriterPriority(); err != nil {
		st.Close()
		if !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EPERM) {
			t.Fatalf("the writer's priority was refused for an unexpected reason: %v", err)
		}
		t.Skipf("this process may not raise a thread's priority (%v): the writer runs at the process's", err)
	}
	if n := threadsAtNice(t, sqlstore.WriterNice); n != before+1 {
		st.Close()
		t.Fatalf("%d threads at nice %d with the store open, %d before; want one more", n, sqlstore.WriterNice, before)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if n := threadsAtNice(t, sqlstore.WriterNice); n != before {
		t.Fatalf("%d threads at nice %d after the store closed, %d before: the writer's priority outlived it", n, sqlstore.WriterNice, before)
	}
}

// threadsAtNice counts this process's threads whose nice value is nice.
func threadsAtNice(t *testing.T, nice int) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		// pid (comm) state ppid … : nice is the 19th field, the 17th after the comm.
		rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(rest) < 17 {
			t.Fatalf("a stat line too short: %q", b)
		}
		if v, err := strconv.Atoi(rest[16]); err == nil && v == nice {
			n++
		}
	}
	return n
}
