// Package lottery is the presale draw (event plan §6.1.3(2)–(3)): for each
// pool (a session's price level) with a number of tickets, which of the
// applications win, in a way anyone can check afterwards.
//
// The draw is provable. Before the presale closes the organiser publishes
// Commit(seed), the hash of a secret seed. After closing, the application
// list is locked and published with its hash (ListHash). The draw is a
// deterministic function of the seed and the locked list; after it, the
// seed is published, and anyone re-runs Draw from the published files and
// gets the same winners (Verify, `admit lottery verify`). Knowing the list
// does not tell the outcome without the seed, and the seed was fixed
// before the list was.
//
// The randomness is ChaCha8 (C2SP chacha8rand, math/rand/v2), keyed per
// pool by HMAC-SHA256(seed, "pool" ‖ pool ‖ list hash); integers are
// drawn by rejection sampling and the order by Fisher–Yates, as written
// here (not math/rand's helpers, whose algorithms may change), so the
// draw is the same on every machine and Go version.
//
// The package is pure.
package lottery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Application is one person's application in one pool: no seat, a number
// of tickets. IDs are unique within a pool.
type Application struct {
	Pool     string `json:"pool"`
	ID       string `json:"id"`
	Quantity int    `json:"quantity"`
}

// Pool is what a pool has to give.
type Pool struct {
	Key     string `json:"pool"`
	Tickets int    `json:"tickets"`
}

// Winner is a winning application, with its place in the draw (1 is
// first): seats are matched in this order, best first.
type Winner struct {
	ID       string `json:"id"`
	Quantity int    `json:"quantity"`
	Rank     int    `json:"rank"`
}

// PoolResult is one pool's outcome.
type PoolResult struct {
	Pool         string   `json:"pool"`
	Tickets      int      `json:"tickets"`
	Applications int      `json:"applications"`
	Requested    int      `json:"requested"` // tickets asked for, in all
	Winners      []Winner `json:"winners"`
	Awarded      int      `json:"awarded"` // tickets won
}

// Result is a whole draw, as published.
type Result struct {
	Commitment string       `json:"commitment"` // Commit(seed), published before closing
	ListHash   string       `json:"list_hash"`  // of the locked applications
	Seed       string       `json:"seed"`       // hex, published after the draw
	Pools      []PoolResult `json:"pools"`
}

// MinSeed is the least seed length: 32 bytes from a real random source.
const MinSeed = 32

// Errors of a draw's inputs.
var (
	ErrShortSeed = fmt.Errorf("lottery: the seed must be at least %d bytes", MinSeed)
	ErrInput     = errors.New("lottery: bad input")
)

// Commit is the published commitment to a seed.
func Commit(seed []byte) string {
	h := sha256.New()
	h.Write([]byte("admit/lottery/seed/v1\x00"))
	h.Write(seed)
	return hex.EncodeToString(h.Sum(nil))
}

// ListHash is the hash of the applications in their canonical order (by
// pool, then id), one line "pool\tid\tquantity\n" each.
func ListHash(apps []Application) string {
	sorted := canonical(apps)
	h := sha256.New()
	h.Write([]byte("admit/lottery/list/v1\x00"))
	var line []byte
	for _, a := range sorted {
		line = append(line[:0], a.Pool...)
		line = append(line, '\t')
		line = append(line, a.ID...)
		line = append(line, '\t')
		line = strconv.AppendInt(line, int64(a.Quantity), 10)
		line = append(line, '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func canonical(apps []Application) []Application {
	out := slices.Clone(apps)
	slices.SortFunc(out, func(a, b Application) int {
		if c := strings.Compare(a.Pool, b.Pool); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// check refuses what a draw cannot take: unknown or repeated pools,
// repeated applications, quantities below 1, text that would make the
// list's lines ambiguous.
func check(pools []Pool, apps []Application) error {
	known := map[string]bool{}
	for _, p := range pools {
		if p.Key == "" || strings.ContainsAny(p.Key, "\t\n\r") || known[p.Key] {
			return fmt.Errorf("%w: pool %q is empty, has a tab or line break, or is listed twice", ErrInput, p.Key)
		}
		if p.Tickets < 0 {
			return fmt.Errorf("%w: pool %q has %d tickets", ErrInput, p.Key, p.Tickets)
		}
		known[p.Key] = true
	}
	seen := map[[2]string]bool{}
	for _, a := range apps {
		switch {
		case !known[a.Pool]:
			return fmt.Errorf("%w: application %q is for pool %q, which is not drawn", ErrInput, a.ID, a.Pool)
		case a.ID == "" || strings.ContainsAny(a.ID, "\t\n\r"):
			return fmt.Errorf("%w: an application id %q is empty or has a tab or line break", ErrInput, a.ID)
		case a.Quantity < 1:
			return fmt.Errorf("%w: application %q asks for %d tickets", ErrInput, a.ID, a.Quantity)
		case seen[[2]string{a.Pool, a.ID}]:
			return fmt.Errorf("%w: application %q is listed twice in pool %q", ErrInput, a.ID, a.Pool)
		}
		seen[[2]string{a.Pool, a.ID}] = true
	}
	return nil
}

// Draw draws every pool. In each, the applications (in canonical order)
// are shuffled by the pool's stream; walking that order, an application
// wins when its quantity still fits in the tickets left (one that does not
// fit loses and the walk goes on), until none are left.
func Draw(seed []byte, pools []Pool, apps []Application) (Result, error) {
	if len(seed) < MinSeed {
		return Result{}, ErrShortSeed
	}
	if err := check(pools, apps); err != nil {
		return Result{}, err
	}
	sorted := canonical(apps)
	list := ListHash(sorted)
	res := Result{Commitment: Commit(seed), ListHash: list, Seed: hex.EncodeToString(seed)}
	byPool := map[string][]Application{}
	for _, a := range sorted {
		byPool[a.Pool] = append(byPool[a.Pool], a)
	}
	ps := slices.Clone(pools)
	slices.SortFunc(ps, func(a, b Pool) int { return strings.Compare(a.Key, b.Key) })
	for _, p := range ps {
		in := byPool[p.Key]
		r := PoolResult{Pool: p.Key, Tickets: p.Tickets, Applications: len(in), Winners: []Winner{}}
		for _, a := range in {
			r.Requested += a.Quantity
		}
		order := make([]int32, len(in))
		for i := range order {
			order[i] = int32(i)
		}
		s := stream(seed, p.Key, list)
		for i := len(order) - 1; i > 0; i-- { // Fisher–Yates
			j := s.below(uint64(i + 1))
			order[i], order[j] = order[j], order[i]
		}
		left := p.Tickets
		for rank, idx := range order {
			if left == 0 {
				break
			}
			a := in[idx]
			if a.Quantity <= left {
				left -= a.Quantity
				r.Winners = append(r.Winners, Winner{ID: a.ID, Quantity: a.Quantity, Rank: rank + 1})
			}
		}
		r.Awarded = p.Tickets - left
		res.Pools = append(res.Pools, r)
	}
	return res, nil
}

type rng struct{ c *rand.ChaCha8 }

// stream is the pool's random stream.
func stream(seed []byte, pool, list string) rng {
	m := hmac.New(sha256.New, seed)
	m.Write([]byte("pool\x00"))
	m.Write([]byte(pool))
	m.Write([]byte{0})
	m.Write([]byte(list))
	var key [32]byte
	copy(key[:], m.Sum(nil))
	return rng{rand.NewChaCha8(key)}
}

// below is a uniform integer in [0, n), n > 0: Lemire's multiply-shift
// with rejection of the biased low products.
func (r rng) below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.c.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(r.c.Uint64(), n)
		}
	}
	return hi
}

// Verify re-runs a published draw: the seed must match the commitment
// published before closing, the applications the published list hash, and
// the winners those the draw gives. It names the first difference.
func Verify(published Result, pools []Pool, apps []Application) error {
	seed, err := hex.DecodeString(published.Seed)
	if err != nil {
		return fmt.Errorf("%w: the seed is not hex", ErrInput)
	}
	if Commit(seed) != published.Commitment {
		return errors.New("lottery: the seed does not match the commitment published before the draw")
	}
	if err := check(pools, apps); err != nil {
		return err
	}
	if h := ListHash(apps); h != published.ListHash {
		return fmt.Errorf("lottery: the applications hash to %s, not the published %s: the list is not the locked one", h, published.ListHash)
	}
	again, err := Draw(seed, pools, apps)
	if err != nil {
		return err
	}
	if len(again.Pools) != len(published.Pools) {
		return fmt.Errorf("lottery: %d pools published, the draw has %d", len(published.Pools), len(again.Pools))
	}
	for i, p := range again.Pools {
		q := published.Pools[i]
		if p.Pool != q.Pool || p.Tickets != q.Tickets {
			return fmt.Errorf("lottery: pool %d is %q with %d tickets, published as %q with %d", i+1, p.Pool, p.Tickets, q.Pool, q.Tickets)
		}
		if len(p.Winners) != len(q.Winners) {
			return fmt.Errorf("lottery: pool %q has %d winners, published %d", p.Pool, len(p.Winners), len(q.Winners))
		}
		for j, w := range p.Winners {
			if w != q.Winners[j] {
				return fmt.Errorf("lottery: pool %q, winner %d is %s (rank %d), published %s (rank %d)", p.Pool, j+1, w.ID, w.Rank, q.Winners[j].ID, q.Winners[j].Rank)
			}
		}
	}
	return nil
}
