package sqlstore

import (
	"fmt"
	"syscall"
)

// raiseThreadPriority sets the calling thread's nice value (the caller has
// locked its goroutine to the thread): on Linux a thread is a process to
// setpriority.
func raiseThreadPriority(nice int) error {
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice); err != nil {
		return fmt.Errorf("set the writer thread's nice to %d: %w", nice, err)
	}
	return nil
}
