//go:build !linux

package sqlstore

import (
	"errors"
	"time"
)

var errLinuxOnly = errors.New("a thread's priority and times are read on Linux only")

func threadID() int { return 0 }

// raiseThreadPriority is Linux's alone: elsewhere the writer runs at the
// process's priority.
func raiseThreadPriority(int) (restore func(), err error) { return nil, errLinuxOnly }

func threadTimes(int) (run, wait time.Duration, err error) { return 0, 0, errLinuxOnly }
