package accounts

import (
	"context"
	"strings"
	"sync"

	"github.com/admitbox/admit/cloud/identity"
)

// VerifierSim is the identity provider's simulator. A resident ID is
// matched unless its name was set to fail (NoMatchFor) or contains
// "不符"; a permit or a passport cannot be checked online (Later). It
// counts its calls, so a test sees that a person is verified once.
type VerifierSim struct {
	mu      sync.Mutex
	noMatch map[string]bool // doc number -> refuse
	down    bool
	calls   int
}

// NewVerifierSim returns a simulator that matches resident IDs.
func NewVerifierSim() *VerifierSim { return &VerifierSim{noMatch: map[string]bool{}} }

// NoMatchFor makes the provider answer no match for a document number.
func (v *VerifierSim) NoMatchFor(number string) {
	v.mu.Lock()
	v.noMatch[strings.ToUpper(number)] = true
	v.mu.Unlock()
}

// Down makes the provider fail to answer (or answer again).
func (v *VerifierSim) Down(down bool) {
	v.mu.Lock()
	v.down = down
	v.mu.Unlock()
}

// ErrUnavailable is the simulator's answer while it is down.
var ErrUnavailable = &providerError{"identity provider unavailable"}

type providerError struct{ s string }

func (e *providerError) Error() string { return e.s }

// Verify answers for a document and a name.
func (v *VerifierSim) Verify(ctx context.Context, d identity.Document, name string) (Verdict, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	switch {
	case v.down:
		return "", ErrUnavailable
	case d.Type != identity.ResidentID:
		return Later, nil
	case v.noMatch[d.Number] || strings.Contains(name, "不符"):
		return NoMatch, nil
	}
	return Match, nil
}

// Calls counts the questions asked.
func (v *VerifierSim) Calls() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls
}
