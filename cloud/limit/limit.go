// Package limit is the cloud's flow control (event-ticketing-system-plan
// §6.1.10(5), §6.1.15(3); the operations article: protect ordering and
// payment first). Requests are classed; each class has token buckets per
// client address and per tenant (golang.org/x/time/rate), and reads have
// a cap on how many run at once, so a flood of reads is refused before it
// can slow a sale. Over a limit the caller answers 429 with Retry-After.
package limit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Class is what a request does, for flow control.
type Class string

const (
	Read   Class = "read"   // GET: seat maps, orders, dashboards
	Sale   Class = "sale"   // holds, orders, payments
	Write  Class = "write"  // every other change
	Login  Class = "login"  // password logins
	Enroll Class = "enroll" // device enrollment
)

// Rule is a token bucket: Rate requests a second, bursts of Burst.
type Rule struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// Config sets the limits; a class without a rule is not limited.
type Config struct {
	PerClient map[Class]Rule `json:"per_client"` // per client address
	PerTenant map[Class]Rule `json:"per_tenant"`
	// MaxReads caps reads in flight (0: none): beyond it a read is refused
	// at once, so reads queue nowhere and sales keep the CPU.
	MaxReads int `json:"max_reads"`
}

// Enabled reports whether any limit is set.
func (c Config) Enabled() bool {
	return len(c.PerClient) > 0 || len(c.PerTenant) > 0 || c.MaxReads > 0
}

// Limiter applies a Config.
type Limiter struct {
	cfg   Config
	now   func() time.Time
	mu    sync.Mutex
	keys  map[key]*entry
	swept time.Time
	reads chan struct{}
}

type key struct {
	scope string // "client" or "tenant"
	id    string
	class Class
}

type entry struct {
	lim  *rate.Limiter
	used time.Time
}

// idleAfter is how long an unused bucket is kept (it is full again by then).
const idleAfter = 10 * time.Minute

// New makes a limiter; now is the clock (nil: time.Now).
func New(cfg Config, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{cfg: cfg, now: now, keys: map[key]*entry{}}
	if cfg.MaxReads > 0 {
		l.reads = make(chan struct{}, cfg.MaxReads)
	}
	return l
}

// Allow takes a token for a request of class from client (its address)
// and, when tenant is not empty, from its tenant. It says how long to wait
// when refused.
func (l *Limiter) Allow(class Class, client, tenant string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var taken []*rate.Reservation
	for _, k := range []struct {
		scope, id string
		rules     map[Class]Rule
	}{{"client", client, l.cfg.PerClient}, {"tenant", tenant, l.cfg.PerTenant}} {
		r, limited := k.rules[class]
		if !limited || k.id == "" {
			continue
		}
		e := l.keys[key{k.scope, k.id, class}]
		if e == nil {
			e = &entry{lim: rate.NewLimiter(rate.Limit(r.Rate), max(r.Burst, 1))}
			l.keys[key{k.scope, k.id, class}] = e
		}
		e.used = now
		res := e.lim.ReserveN(now, 1)
		if d := res.DelayFrom(now); !res.OK() || d > 0 {
			res.CancelAt(now)
			for _, t := range taken { // give back what the other scope took
				t.CancelAt(now)
			}
			if !res.OK() {
				d = time.Second
			}
			return false, d
		}
		taken = append(taken, res)
	}
	return true, 0
}

// sweep drops buckets unused for a while (a flood of addresses cannot
// grow the map without bound); at most once a minute.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, e := range l.keys {
		if now.Sub(e.used) > idleAfter {
			delete(l.keys, k)
		}
	}
}

// StartRead takes a read slot; done gives it back. ok is false when
// MaxReads reads are in flight.
func (l *Limiter) StartRead() (done func(), ok bool) {
	if l.reads == nil {
		return func() {}, true
	}
	select {
	case l.reads <- struct{}{}:
		return func() { <-l.reads }, true
	default:
		return nil, false
	}
}

// RetryAfterSeconds is d as a Retry-After header value: whole seconds,
// at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
