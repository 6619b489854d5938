//go:build !linux

package sim

import "errors"

// OpenPTY starts a printer on a new pseudo-terminal; only on Linux, where
// the edge agent runs.
func OpenPTY() (*Printer, error) {
	return nil, errors.New("sim: pseudo-terminal printers need Linux")
}
