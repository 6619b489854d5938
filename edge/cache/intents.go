package cache

import (
	"encoding/json"
	"fmt"
	"time"
)

// Intent is a passage a lane is about to let through: written durably
// before the barrier opens and removed in the transaction that records
// the admission (or when nobody passed). One left behind after a crash is
// a passage whose outcome the lane never learnt: the lane resolves it when
// it starts again.
type Intent struct {
	Number    string    `json:"number"`
	SessionID int64     `json:"session_id"`
	Direction string    `json:"direction"`
	Offline   bool      `json:"offline,omitempty"` // decided without the ticket in the cache
	At        time.Time `json:"at"`
	// Counter is the barrier's passage counter just before it opened, when
	// it has one (HasCounter): a higher count afterwards is the passage.
	Counter    uint64 `json:"counter,omitempty"`
	HasCounter bool   `json:"has_counter,omitempty"`
}

// PutIntent records an intent (replacing one for the same ticket).
func (t *Tx) PutIntent(in Intent) error {
	if err := checkNumber(in.Number); err != nil {
		return err
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bIntents).Put([]byte(in.Number), b)
}

// DeleteIntent forgets the ticket's intent, if any.
func (t *Tx) DeleteIntent(number string) error {
	return t.tx.Bucket(bIntents).Delete([]byte(number))
}

// Intents lists the intents left, by ticket number.
func (t *Tx) Intents() ([]Intent, error) {
	var out []Intent
	err := t.tx.Bucket(bIntents).ForEach(func(k, v []byte) error {
		var in Intent
		if err := json.Unmarshal(v, &in); err != nil {
			return fmt.Errorf("cache: intent %s: %w", k, err)
		}
		out = append(out, in)
		return nil
	})
	return out, err
}
