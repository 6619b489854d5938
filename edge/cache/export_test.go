package cache

import bolt "go.etcd.io/bbolt"

// CountKeys counts a bucket's keys by walking it (tests only: checks the
// counters kept in meta).
func (c *Cache) CountKeys(bucket string) int {
	n := 0
	_ = c.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte(bucket)).Stats().KeyN
		return nil
	})
	return n
}

// PickupList returns the raw pickup index entry of a code.
func (c *Cache) PickupList(code string) string {
	var s string
	_ = c.db.View(func(tx *bolt.Tx) error {
		s = string(tx.Bucket(bPickups).Get([]byte(code)))
		return nil
	})
	return s
}

var EncodeTicket, DecodeTicket = encodeTicket, decodeTicket

// SkipFsync turns fsync off for fuzzing speed (tests only).
func (c *Cache) SkipFsync() { c.db.NoSync = true }
