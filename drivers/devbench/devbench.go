// Package devbench measures the device side of a venue (`admit bench
// devices`): building an ESC/POS ticket job, rendering a ticket to PNG, and
// a gate agent's scan-to-open path through real pseudo-terminals, the
// shipped firmware profiles, the gate decision on a bbolt cache and the
// simulated scanner and turnstile.
//
// It is a measuring tool, so unlike the drivers it may import the
// simulators and the edge packages together.
package devbench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/admitbox/admit/cloud/ticket"
	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/render"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/edge/enroll"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/simrig"
	"github.com/admitbox/admit/sync"
)

// Options configure Run.
type Options struct {
	// Scans is how many different valid tickets are scanned and timed
	// from scan to open.
	Scans int
	// Jobs is how many ticket jobs are built; min(Jobs, maxRenders)
	// tickets are rendered.
	Jobs int
}

const (
	maxRenders = 100
	// scanFailsafe bounds the wait for one scan to come out of the
	// turnstile, so that a broken path fails the bench instead of hanging
	// it; nothing waits for it to pass.
	scanFailsafe = 10 * time.Second

	venueCode  = "11010001"
	systemCode = "ADMIT01"
	sessionID  = 1
	deviceID   = "bench-gate"
	batchSize  = 1000
)

// Run runs the three measurements and writes a report whose last line is
//
//	devices: ticket_job_us=N gate_scan_to_open_p99_ms=N render_ms=N
//
// gate_scan_to_open_p99_ms is measured from just before the scanner
// simulator writes a code on its pseudo-terminal until the turnstile
// simulator has read the open command on its own: the whole way through a
// running gate agent (scanner driver, lane, gate check on the bbolt cache,
// turnstile driver) over real pseudo-terminals.
func Run(ctx context.Context, o Options, w io.Writer) error {
	if o.Scans < 1 || o.Jobs < 1 {
		return fmt.Errorf("devbench: scans (%d) and jobs (%d) must be at least 1", o.Scans, o.Jobs)
	}
	key, pub, err := ticket.GenerateKey(1)
	if err != nil {
		return err
	}
	today := time.Now().UTC()
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	sample, err := sign(key, today, 1)
	if err != nil {
		return err
	}

	jobUS, size, err := benchTicketJob(chineseTicket(sample.QR, sample.Number), o.Jobs)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ticket job: 80mm Chinese ticket, %d bytes, mean %.1f µs over %d jobs\n", size, jobUS, o.Jobs)

	renderMS, err := benchRender(w, sample, min(o.Jobs, maxRenders))
	if err != nil {
		return err
	}

	p99, err := benchGate(ctx, w, o, key, pub, today)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "devices: ticket_job_us=%.0f gate_scan_to_open_p99_ms=%s render_ms=%.1f\n", jobUS, msText(p99), renderMS)
	return nil
}

// msText formats d in milliseconds: one decimal below 100 ms.
func msText(d time.Duration) string {
	ms := float64(d.Microseconds()) / 1000
	if ms < 100 {
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

type signed struct{ QR, Number string }

func sign(key ticket.SigningKey, date time.Time, serial int) (signed, error) {
	p := ticket.Payload{SystemCode: systemCode, VenueCode: venueCode, BusinessDate: date,
		Serial: uint32(serial), SessionID: sessionID, SeatID: int64(100000 + serial)}
	qr, err := ticket.Sign(p, key)
	if err != nil {
		return signed{}, err
	}
	return signed{QR: qr, Number: p.Number()}, nil
}

func chineseTicket(qr, number string) escpos.TicketLayout {
	return escpos.TicketLayout{
		Venue:        "国家大剧院",
		Hall:         "歌剧厅",
		Event:        "歌剧《图兰朵》 Turandot",
		SessionTime:  time.Date(2026, 3, 14, 11, 30, 0, 0, time.UTC),
		TimeZone:     time.FixedZone("CST", 8*60*60),
		Seat:         "2楼 7排 12座",
		PriceCents:   28000,
		Currency:     "CNY",
		TicketNumber: number,
		QR:           qr,
	}
}

func englishTicket(qr, number string) escpos.TicketLayout {
	t := chineseTicket(qr, number)
	t.Venue, t.Hall, t.Event, t.Seat = "National Centre for the Performing Arts", "Opera House", "Turandot", "Level 2, Row 7, Seat 12"
	return t
}

// benchTicketJob returns the mean µs of escpos.TicketJob for t on 80 mm
// paper in Chinese mode, and the job's size.
func benchTicketJob(t escpos.TicketLayout, n int) (float64, int, error) {
	size := 0
	t0 := time.Now()
	for range n {
		b, err := escpos.TicketJob(t, escpos.Paper80, escpos.Options{ChineseMode: true})
		if err != nil {
			return 0, 0, fmt.Errorf("devbench: ticket job: %w", err)
		}
		size = len(b)
	}
	el := time.Since(t0)
	return float64(el.Nanoseconds()) / 1e3 / float64(n), size, nil
}

// benchRender returns the mean ms of render.PNG for the 80 mm Chinese
// ticket, or the English-only one when no CJK font can be loaded. One
// untimed render first loads the fonts.
func benchRender(w io.Writer, s signed, n int) (float64, error) {
	opts := render.Options{Dots: escpos.Paper80.DotsPerLine}
	job, err := escpos.TicketJob(chineseTicket(s.QR, s.Number), escpos.Paper80, escpos.Options{ChineseMode: true})
	if err != nil {
		return 0, err
	}
	kind := "Chinese"
	err = render.PNG(io.Discard, job, opts)
	if errors.Is(err, render.ErrNoCJKFont) {
		fmt.Fprintf(w, "render: no CJK font (%v); rendering the English-only ticket\n", err)
		kind = "English-only"
		if job, err = escpos.TicketJob(englishTicket(s.QR, s.Number), escpos.Paper80, escpos.Options{}); err != nil {
			return 0, err
		}
		err = render.PNG(io.Discard, job, opts)
	}
	if err != nil {
		return 0, fmt.Errorf("devbench: render: %w", err)
	}
	t0 := time.Now()
	for range n {
		if err := render.PNG(io.Discard, job, opts); err != nil {
			return 0, fmt.Errorf("devbench: render: %w", err)
		}
	}
	mean := float64(time.Since(t0).Microseconds()) / 1000 / float64(n)
	fmt.Fprintf(w, "render: 80mm %s ticket to PNG, mean %.1f ms over %d renders (after one untimed render)\n", kind, mean, n)
	return mean, nil
}

// event wraps data as a feed event of kind.
func event(kind string, at time.Time, data any) (sync.FeedEvent, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return sync.FeedEvent{}, err
	}
	return sync.FeedEvent{Kind: kind, At: at, Data: raw}, nil
}

// feed numbers events and applies them to c as live batches.
type feed struct {
	c   *cache.Cache
	seq uint64
}

func (f *feed) apply(evs []sync.FeedEvent) error {
	for i := range evs {
		f.seq++
		evs[i].Seq = f.seq
	}
	if _, err := f.c.Apply(sync.FeedBatch{Venue: venueCode, Events: evs, Head: f.seq}); err != nil {
		return fmt.Errorf("devbench: fill cache: %w", err)
	}
	return nil
}

// buildCache fills a new cache at path with the venue's key, a session
// open now and n signed tickets for today, and returns it with the tickets.
func buildCache(path string, key ticket.SigningKey, pub []byte, today time.Time, n int) (*cache.Cache, []signed, error) {
	c, err := cache.Open(path, cache.Options{DeviceID: deviceID, VenueCode: venueCode})
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	f := &feed{c: c}
	kev, err := event(sync.EventKey, now, sync.KeyData{ID: uint32(key.ID), Public: pub, Status: "active"})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	sev, err := event(sync.EventSession, now, sync.SessionData{ID: sessionID, Event: "Turandot", Hall: "Opera House",
		StartsAt: now.Add(time.Hour), EndsAt: now.Add(4 * time.Hour), BusinessDate: today.Format(time.DateOnly),
		Status: "scheduled", Reentry: gate.ReentryNone, OpensBeforeMin: 120})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if err := f.apply([]sync.FeedEvent{kev, sev}); err != nil {
		c.Close()
		return nil, nil, err
	}
	tickets := make([]signed, 0, n)
	for start := 1; start <= n; start += batchSize {
		evs := make([]sync.FeedEvent, 0, batchSize)
		for serial := start; serial < start+batchSize && serial <= n; serial++ {
			s, err := sign(key, today, serial)
			if err != nil {
				c.Close()
				return nil, nil, err
			}
			ev, err := event(sync.EventTicket, now, sync.TicketData{Number: s.Number, QR: s.QR, SessionID: sessionID,
				SeatID: int64(100000 + serial), SeatLabel: fmt.Sprintf("R%d-%d", serial/40+1, serial%40+1),
				OrderID: int64(serial), PickupCode: fmt.Sprintf("P%07d", serial), PriceCents: 28000})
			if err != nil {
				c.Close()
				return nil, nil, err
			}
			evs = append(evs, ev)
			tickets = append(tickets, s)
		}
		if err := f.apply(evs); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	return c, tickets, nil
}

// benchGate runs a gate agent (from its own data dir, with a cache of
// o.Scans+1 signed tickets) on a simulated GM65 scanner and tripod
// turnstile, scans o.Scans different valid tickets (after one untimed
// warm-up scan that also waits out the scanner port's opening) and returns
// the p99 of scan to open command.
func benchGate(ctx context.Context, w io.Writer, o Options, key ticket.SigningKey, pub []byte, today time.Time) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "admit-devbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	c, tickets, err := buildCache(filepath.Join(dir, "cache.db"), key, pub, today, o.Scans+1)
	if err != nil {
		return 0, err
	}
	if err := c.Close(); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "gate cache: %d signed tickets in %s (built in %s)\n", len(tickets), dir, time.Since(t0).Round(time.Millisecond))
	if err := saveCredential(dir); err != nil {
		return 0, err
	}
	rig, err := simrig.Start("gate", simrig.Options{})
	if err != nil {
		return 0, err
	}
	defer rig.Close()
	opened := make(chan time.Time, 1)
	rig.Turnstile.OnOpen(func(bool) {
		select {
		case opened <- time.Now():
		default:
		}
	})
	if err := rig.WriteConfig(dir); err != nil {
		return 0, err
	}
	a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0", HeartbeatEvery: time.Hour})
	if err != nil {
		return 0, err
	}
	defer a.Close()

	scanToOpen := make([]time.Duration, 0, o.Scans)
	scanToAdmitted := make([]time.Duration, 0, o.Scans)
	for i, tk := range tickets {
		sent := time.Now()
		if err := rig.Scanner.Send(tk.QR); err != nil {
			return 0, err
		}
		var at time.Time
		select {
		case at = <-opened:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(scanFailsafe):
			return 0, fmt.Errorf("devbench: scan %d: the turnstile got no open command in %s (status %+v)", i, scanFailsafe, a.Status())
		}
		wctx, cancel := context.WithTimeout(ctx, scanFailsafe)
		var last agent.ScanResult
		err := a.WaitUntil(wctx, func(s agent.Status) bool {
			if s.LastScan != nil && s.LastScan.Number == tk.Number {
				last = *s.LastScan
				return true
			}
			return false
		})
		cancel()
		if err != nil {
			return 0, fmt.Errorf("devbench: scan %d: %w", i, err)
		}
		if last.Outcome != "admitted" {
			return 0, fmt.Errorf("devbench: scan %d: the gate said %s: %s", i, last.Outcome, last.Message)
		}
		if i == 0 {
			continue // warm-up: includes the scanner port's opening
		}
		scanToOpen = append(scanToOpen, at.Sub(sent))
		scanToAdmitted = append(scanToAdmitted, time.Since(sent))
	}
	p50, p99 := percentile(scanToOpen, 50), percentile(scanToOpen, 99)
	fmt.Fprintf(w, "gate: %d scans through the agent: %s sim -> pty -> scanner driver -> lane (gate check) -> turnstile driver -> pty -> %s sim (GOOS %s)\n",
		len(scanToOpen), simrig.GateScanner, simrig.GateTripod, runtime.GOOS)
	fmt.Fprintf(w, "gate: scan written to open command read by the turnstile: p50 %s p99 %s\n", msText(p50)+"ms", msText(p99)+"ms")
	fmt.Fprintf(w, "gate: scan to admission committed (passage answered, bbolt fsync, status seen): p50 %s p99 %s\n",
		msText(percentile(scanToAdmitted, 50))+"ms", msText(percentile(scanToAdmitted, 99))+"ms")
	return p99, nil
}

// saveCredential gives the bench gate a device identity. Its broker is a
// closed loopback port: the gate works from its cache, as offline.
func saveCredential(dir string) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	syncPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	return enroll.Save(dir, sync.Credential{DeviceID: deviceID, Secret: secret, VenueCode: venueCode, Timezone: "UTC", Role: "gate",
		SyncPublicKey: syncPub, BrokerURL: "tcp://127.0.0.1:1", APIURL: "http://127.0.0.1:1"})
}

// percentile is the nearest-rank p-th percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)]
}
