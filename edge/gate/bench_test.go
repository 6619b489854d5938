package gate_test

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/edge/cache"
	ct "github.com/admitbox/admit/edge/cache/cachetest"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/sync"
)

const (
	benchTickets = 100_000
	benchBatch   = 1_000
	benchSession = 7
)

var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// buildBenchCache fills a new cache at path with benchTickets tickets of one
// session, signed with a fresh key and applied as feed batches of
// benchBatch. keep receives every ticket's QR text if not nil (the scanner
// side; the cache itself holds nothing in memory).
func buildBenchCache(tb testing.TB, path string, keep func(i int, qr string)) *cache.Cache {
	tb.Helper()
	key, pub, err := ticket.GenerateKey(3)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := cache.Open(path, cache.Options{DeviceID: "gate-1", VenueCode: venueCode})
	if err != nil {
		tb.Fatal(err)
	}
	v := &ct.Venue{Code: venueCode, Key: key, Pub: pub}
	ct.Apply(tb, c, v.Batch(
		ct.Event(sync.EventKey, sync.KeyData{ID: uint32(key.ID), Public: pub, Status: "active"}),
		ct.Event(sync.EventSession, sync.SessionData{ID: benchSession, Event: "Match", Hall: "Stadium",
			StartsAt: local(14, 19, 30).UTC(), EndsAt: local(14, 22, 30).UTC(), BusinessDate: "2025-03-14",
			Status: "scheduled", Reentry: gate.ReentryAfterExit, OpensBeforeMin: 120}),
	))
	workers := runtime.GOMAXPROCS(0)
	for start := 1; start <= benchTickets; start += benchBatch {
		evs := make([]sync.FeedEvent, benchBatch)
		var wg gosync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < benchBatch; i += workers {
					serial := start + i
					p := ticket.Payload{SystemCode: ct.SystemCode, VenueCode: venueCode, BusinessDate: today,
						Serial: uint32(serial), SessionID: benchSession, SeatID: int64(100000 + serial)}
					qr, err := ticket.Sign(p, key)
					if err != nil {
						panic(err)
					}
					evs[i] = ct.Event(sync.EventTicket, sync.TicketData{Number: p.Number(), QR: qr, SessionID: benchSession,
						SeatID: p.SeatID, SeatLabel: "B" + strconv.Itoa(serial%40) + "-" + strconv.Itoa(serial%30),
						OrderID: int64(serial/3 + 1), PickupCode: pickupCode(serial / 3), PriceCents: 28000, Tier: "B"})
					if keep != nil {
						keep(serial-1, qr)
					}
				}
			}()
		}
		wg.Wait()
		ct.Apply(tb, c, v.Batch(evs...))
	}
	return c
}

func pickupCode(n int) string {
	const a = kioskAlphabet
	b := make([]byte, 8)
	for i := range b {
		b[i] = a[n%len(a)]
		n /= len(a)
	}
	return string(b)
}

const kioskAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

var bench struct {
	once gosync.Once
	c    *cache.Cache
	qrs  []string
	next int
	err  error
}

// BenchmarkValidate measures one gate decision over a cache of 100,000
// tickets, including the durable (fsynced) write of the admission and its
// outbox fact. Tickets are scanned in turn, in then out (re-entry after
// exit), so every operation admits and writes.
func BenchmarkValidate(b *testing.B) {
	benchFixture(b)
	now := local(14, 19, 0)
	g := &gate.Gate{Cache: bench.c, DeviceID: "gate-1", VenueCode: venueCode, Zone: "north", Location: beijing,
		Now: func() time.Time { now = now.Add(time.Millisecond); return now }}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		i := bench.next
		bench.next++
		dir := gate.In
		if (i/benchTickets)%2 == 1 {
			dir = gate.Out
		}
		t0 := time.Now()
		d, err := g.Validate(bench.qrs[i%benchTickets], dir)
		durations = append(durations, time.Since(t0))
		if err != nil || !d.Admit {
			b.Fatalf("scan %d (%s): %+v, %v", i, dir, d, err)
		}
	}
	b.StopTimer()
	reportP99(b, durations)
	// Keep the outbox bounded as the cloud's acknowledgements would.
	if _, err := bench.c.Outbox().Prune(^uint64(0)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkValidateRefused measures a decision that reads everything a
// decision reads (keys, ticket, admission, revocation, session) but writes
// nothing: the scans come before the gates open.
func BenchmarkValidateRefused(b *testing.B) {
	benchFixture(b)
	g := &gate.Gate{Cache: bench.c, DeviceID: "gate-1", VenueCode: venueCode, Zone: "north", Location: beijing,
		Now: func() time.Time { return local(14, 12, 0) }}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		d, err := g.Validate(bench.qrs[(i*7919)%benchTickets], gate.In)
		durations = append(durations, time.Since(t0))
		if err != nil || d.Reason != gate.ReasonWrongSessionTime {
			b.Fatalf("scan %d: %+v, %v", i, d, err)
		}
	}
	b.StopTimer()
	reportP99(b, durations)
}

func reportP99(b *testing.B, durations []time.Duration) {
	slices.Sort(durations)
	p99 := durations[min(len(durations)-1, len(durations)*99/100)]
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-us")
}

func benchFixture(b *testing.B) {
	b.Helper()
	bench.once.Do(func() {
		dir, err := os.MkdirTemp("", "admit-gate-bench-")
		if err != nil {
			bench.err = err
			return
		}
		benchDir = dir
		bench.qrs = make([]string, benchTickets)
		t0 := time.Now()
		bench.c = buildBenchCache(b, filepath.Join(dir, "edge.db"), func(i int, qr string) { bench.qrs[i] = qr })
		b.Logf("built a cache of %d tickets in %v", benchTickets, time.Since(t0).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
}

// BenchmarkCacheFootprint builds a cache of 100,000 tickets, reads every
// ticket once (as a day of scanning would) and reports the file size, the
// Go heap in use and the process's resident memory. Run it alone
// (-bench CacheFootprint) for a clean RSS.
func BenchmarkCacheFootprint(b *testing.B) {
	for range b.N {
		path := filepath.Join(b.TempDir(), "edge.db")
		c := buildBenchCache(b, path, nil)
		err := c.View(func(tx *cache.Tx) error {
			for serial := 1; serial <= benchTickets; serial++ {
				n := ticket.FormatNumber(venueCode, today, uint32(serial))
				if _, ok, err := tx.Ticket(n); err != nil || !ok {
					b.Fatalf("ticket %s: %v %v", n, ok, err)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		st, err := c.Stats()
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(st.FileBytes)/(1<<20), "file-MB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
		if rss := vmRSS(); rss > 0 {
			b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
		}
		if st.Tickets != benchTickets {
			b.Fatalf("Stats.Tickets = %d", st.Tickets)
		}
		c.Close()
	}
}

// The benchmark's pickup codes must be real ones (kiosk lookups).
func TestPickupCodesOfTheBenchmarkAreValid(t *testing.T) {
	for _, n := range []int{0, 1, 33333, 99999} {
		c := pickupCode(n)
		if len(c) != 8 || strings.Trim(c, kioskAlphabet) != "" {
			t.Fatalf("pickupCode(%d) = %q", n, c)
		}
	}
}

// vmRSS reads the resident set size from /proc (Linux); 0 elsewhere.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
