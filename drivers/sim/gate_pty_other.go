//go:build !linux

package sim

import "errors"

// openLine opens a pseudo-terminal for a gate device; only on Linux, where
// the edge agent runs.
func openLine() (*line, error) {
	return nil, errors.New("sim: pseudo-terminal gate devices need Linux")
}
