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

// Rule is a token bucket: Rate requests a second, bursts of Burst. With
// QueueMS, a request beyond the bucket waits up to that long for its turn
// (paced at Rate, as Sentinel's queueing mode does) and is refused only
// when its turn is further off: a client that keeps too many requests
// going gets them answered at its rate, slowly, instead of a stream of
// instant refusals that costs the server as much as serving. A refusal
// under such a rule is itself answered after QueueMS (Hold), so a client
// with more requests going than its queue holds still sends few.
type Rule struct {
	Rate    float64 `json:"rate"`
	Burst   int     `json:"burst"`
	QueueMS int     `json:"queue_ms"`
}

// Decision is the limiter's answer to one request.
type Decision struct {
	OK bool
	// Pace is how long an admitted request waits for its turn before it
	// runs (0 within the burst).
	Pace time.Duration
	// RetryAfter is when a refused request may be tried again.
	RetryAfter time.Duration
	// Hold is how long to wait before answering a refusal (the refusing
	// rule's queue).
	Hold time.Duration
}

// Config sets the limits; a class without a rule is not limited.
type Config struct {
	PerClient map[Class]Rule `json:"per_client"` // per client address
	PerTenant map[Class]Rule `json:"per_tenant"`
	// PerUser limits each logged-in user (an integration's service user
	// is its API key), across the addresses it calls from.
	PerUser map[Class]Rule `json:"per_user"`
	// MaxReads caps reads in flight (0: none): beyond it a read is refused
	// at once, so reads queue nowhere and sales keep the CPU.
	MaxReads int `json:"max_reads"`
}

// Enabled reports whether any limit is set.
func (c Config) Enabled() bool {
	return len(c.PerClient) > 0 || len(c.PerTenant) > 0 || len(c.PerUser) > 0 || c.MaxReads > 0
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
// and, when tenant is not empty, from its tenant: at once, after a wait
// its rules' queues allow (Pace), or not (RetryAfter).
func (l *Limiter) Allow(class Class, client, tenant string) Decision {
	return l.AllowCaller(class, client, tenant, "")
}

// AllowCaller is Allow that also takes from the user's bucket (when user
// is not empty).
func (l *Limiter) AllowCaller(class Class, client, tenant, user string) Decision {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var taken []*rate.Reservation
	var pace time.Duration
	for _, k := range []struct {
		scope, id string
		rules     map[Class]Rule
	}{{"client", client, l.cfg.PerClient}, {"tenant", tenant, l.cfg.PerTenant}, {"user", user, l.cfg.PerUser}} {
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
		if d := res.DelayFrom(now); !res.OK() || d > time.Duration(r.QueueMS)*time.Millisecond {
			res.CancelAt(now)
			for _, t := range taken { // give back what the other scope took
				t.CancelAt(now)
			}
			if !res.OK() {
				d = time.Second
			}
			return Decision{RetryAfter: d, Hold: time.Duration(r.QueueMS) * time.Millisecond}
		}
		pace = max(pace, res.DelayFrom(now))
		taken = append(taken, res)
	}
	return Decision{OK: true, Pace: pace}
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
