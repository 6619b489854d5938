package gate

import (
	"errors"
	"fmt"

	"github.com/admitbox/admit/edge/cache"
)

// A lane with a barrier records an intent before it opens (Intend), so
// that a crash between the passage and its record (Commit) cannot lose
// the entry: the intent survives in the cache and the lane resolves it
// when it starts again (Recover). Commit removes the intent in the
// transaction that records the admission; Abandon removes it when nobody
// passed.

// Counter is a barrier's passage count, read just before it opens.
type Counter struct {
	Value uint64
	Known bool // the barrier has a counter
}

// Intend records, durably, that the lane is about to let d through in
// direction dir.
func (g *Gate) Intend(d Decision, dir Direction, c Counter) error {
	if !d.Admit || d.Number == "" {
		return errors.New("gate: intent for a decision that did not admit")
	}
	if err := g.ready(dir); err != nil {
		return err
	}
	in := cache.Intent{Number: d.Number, SessionID: d.SessionID, Direction: string(dir), Offline: d.Offline, At: g.now().UTC(),
		Counter: c.Value, HasCounter: c.Known}
	if err := g.Cache.Update(func(tx *cache.Tx) error { return tx.PutIntent(in) }); err != nil {
		return fmt.Errorf("gate: record the intent for %s: %w", d.Number, err)
	}
	return nil
}

// Abandon forgets the intent for ticket number: nobody passed.
func (g *Gate) Abandon(number string) error {
	if err := g.Cache.Update(func(tx *cache.Tx) error { return tx.DeleteIntent(number) }); err != nil {
		return fmt.Errorf("gate: drop the intent for %s: %w", number, err)
	}
	return nil
}

// Resolution is what became of an intent left by a crash.
type Resolution string

const (
	// Passed: the barrier's counter moved past the intent's: admitted.
	Passed Resolution = "passed"
	// NotPassed: the counter did not move: nobody passed, the ticket stays valid.
	NotPassed Resolution = "not_passed"
	// Unconfirmed: no counter to tell: counted as admitted (the safer
	// side for the venue: a ticket is not used twice) and flagged to the
	// cloud as unconfirmed.
	Unconfirmed Resolution = "unconfirmed"
)

// Recovered is one intent resolved.
type Recovered struct {
	Intent     cache.Intent
	Resolution Resolution
	Decision   Decision // the recorded admission, unless NotPassed
}

// Recover resolves every intent a crash left: with the barrier's current
// passage count when it has one, else as an unconfirmed admission. It is
// called before the lane takes reads.
func (g *Gate) Recover(now Counter) ([]Recovered, error) {
	var intents []cache.Intent
	if err := g.Cache.View(func(tx *cache.Tx) error {
		var err error
		intents, err = tx.Intents()
		return err
	}); err != nil {
		return nil, fmt.Errorf("gate: read intents: %w", err)
	}
	var out []Recovered
	for _, in := range intents {
		r := Recovered{Intent: in, Resolution: Unconfirmed}
		if in.HasCounter && now.Known {
			r.Resolution = NotPassed
			if now.Value > in.Counter {
				r.Resolution = Passed
			}
		}
		if r.Resolution == NotPassed {
			if err := g.Abandon(in.Number); err != nil {
				return out, err
			}
			out = append(out, r)
			continue
		}
		d := Decision{Admit: true, Number: in.Number, SessionID: in.SessionID, Offline: in.Offline}
		// Recorded at the intent's time: the passage happened then, not now.
		var err error
		if r.Decision, err = g.commitAt(d, Direction(in.Direction), false, r.Resolution == Unconfirmed, in.At); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
