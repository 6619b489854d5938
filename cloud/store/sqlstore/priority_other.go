//go:build !linux

package sqlstore

import "errors"

// raiseThreadPriority is Linux's alone: elsewhere the writer runs at the
// process's priority.
func raiseThreadPriority(int) error {
	return errors.New("a thread's priority is set on Linux only")
}
