package sqlstore

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// threadID is the calling thread's id (the caller has locked its
// goroutine to the thread).
func threadID() int { return syscall.Gettid() }

// raiseThreadPriority sets the calling thread's nice value (the caller has
// locked its goroutine to the thread): on Linux a thread is a process to
// setpriority. restore gives the thread back the nice value it had.
func raiseThreadPriority(nice int) (restore func(), err error) {
	tid := syscall.Gettid()
	// The system call answers 20 - nice (1 to 40), never a negative number.
	prev, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return nil, fmt.Errorf("read the writer thread's nice: %w", err)
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
		return nil, fmt.Errorf("set the writer thread's nice to %d: %w", nice, err)
	}
	return func() { _ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 20-prev) }, nil
}

// threadTimes reads a thread of this process's time on a core and time
// waiting for one from its schedstat (both in nanoseconds).
func threadTimes(tid int) (run, wait time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		return 0, 0, fmt.Errorf("the writer thread's schedstat: %w", err)
	}
	var r, w int64
	if _, err := fmt.Sscan(string(b), &r, &w); err != nil {
		return 0, 0, fmt.Errorf("the writer thread's schedstat %q: %w", b, err)
	}
	return time.Duration(r), time.Duration(w), nil
}
