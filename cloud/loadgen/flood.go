package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/server"
)

// FloodOptions tunes `admit bench flood`.
type FloodOptions struct {
	Buyers   int           // the selling client's concurrent buyers
	Flooders int           // the flooding client's concurrent readers
	Duration time.Duration // each phase
	// Limits is the flow control the cloud runs with; zero: a default
	// that allows each client 200 reads/s.
	Limits       limit.Config
	CloudCommand []string // `admit bench-cloud`; the bench adds -data, -limits
}

// RunFloodBench measures one client's sales (hold 2 → confirm → cash)
// alone, then while another client floods the seat map with reads as
// fast as it can, against a cloud in its own process with flow control:
// first with reads over the limit refused at once, then with them paced
// (the rule's queue_ms, Sentinel's queueing mode), the default. The
// clients are told apart as a trusted proxy would (X-Forwarded-For). Last
// line, for the paced run:
//
//	flood: sales_p99_ms=N unloaded_p99_ms=N ratio=N flood_reads_per_s=N refused_per_s=N errors=N refuse_at_once_ratio=N
func RunFloodBench(ctx context.Context, o FloodOptions, w io.Writer) error {
	if !o.Limits.Enabled() {
		o.Limits = limit.Config{PerClient: map[limit.Class]limit.Rule{limit.Read: {Rate: 200, Burst: 200, QueueMS: 500}}}
	}
	atOnce := limit.Config{PerClient: map[limit.Class]limit.Rule{}, PerTenant: o.Limits.PerTenant, MaxReads: o.Limits.MaxReads}
	for c, r := range o.Limits.PerClient {
		r.QueueMS = 0
		atOnce.PerClient[c] = r
	}
	dir, err := os.MkdirTemp("", "admit-flood-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := server.Start(ctx, server.Config{DataDir: dir, SweepEvery: time.Minute})
	if err != nil {
		return err
	}
	sessions, err := seedBench(ctx, srv.Svc, 3)
	if err := errors.Join(err, srv.Close()); err != nil {
		return err
	}
	var alone SalesResult
	var results []floodResult
	for i, lc := range []limit.Config{atOnce, o.Limits} {
		r, err := floodRun(ctx, o, dir, lc, sessions[0], sessions[1+i], i == 0, &alone, w)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	paced, first := results[1], results[0]
	errs := alone.Errors + first.loaded.Errors + paced.loaded.Errors
	fmt.Fprintf(w, "flood: sales_p99_ms=%.1f unloaded_p99_ms=%.1f ratio=%.2f flood_reads_per_s=%.0f refused_per_s=%.0f errors=%d refuse_at_once_ratio=%.2f\n",
		ms(paced.loaded.P99), ms(alone.P99), paced.ratio, paced.served, paced.refused, errs, first.ratio)
	if errs > 0 {
		return fmt.Errorf("bench flood: %d sales failed", errs)
	}
	return nil
}

type floodResult struct {
	loaded          SalesResult
	ratio           float64
	served, refused float64 // per second
}

// floodRun starts a cloud with the limits and measures sales under the
// flood (and, when measureAlone, alone first, into alone).
func floodRun(ctx context.Context, o FloodOptions, dir string, lc limit.Config, aloneSession, loadedSession int64, measureAlone bool, alone *SalesResult, w io.Writer) (floodResult, error) {
	b, _ := json.Marshal(map[string]any{"rate_limits": lc, "trusted_proxies": []string{"127.0.0.1"}})
	limits := filepath.Join(dir, "limits.json")
	if err := os.WriteFile(limits, b, 0o600); err != nil {
		return floodResult{}, err
	}
	cloud, err := startCloud(ctx, append(append([]string{}, o.CloudCommand...), "-data", dir, "-limits", limits), os.Stderr)
	if err != nil {
		return floodResult{}, err
	}
	defer cloud.Stop()
	c := &Client{Base: cloud.URL, HTTP: ForwardedFor(NewHTTPClient(2), "10.0.0.2")}
	if err := c.Login(ctx, "bench-clerk", benchPassword); err != nil {
		return floodResult{}, err
	}
	sell := func(sid int64) (SalesResult, error) {
		return Sales(ctx, SalesConfig{Buyers: o.Buyers, Duration: o.Duration, Sessions: []int64{sid}, Token: c.Token, Base: cloud.URL, ClientAddr: "10.0.0.2"})
	}
	if measureAlone {
		if *alone, err = sell(aloneSession); err != nil {
			return floodResult{}, err
		}
		fmt.Fprintf(w, "sales alone: orders_per_s=%.0f p99_ms=%.1f errors=%d\n", alone.OrdersPerSec, ms(alone.P99), alone.Errors)
	}

	// The flood: as many seat map reads as the flooders can send.
	flood := &Client{Base: cloud.URL, Token: c.Token, HTTP: ForwardedFor(NewHTTPClient(o.Flooders), "10.0.0.66")}
	var served, refused, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	path := fmt.Sprintf("/api/v1/sessions/%d/availability", aloneSession)
	for range o.Flooders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := flood.Do(ctx, "GET", path, nil, nil)
				var ae *APIError
				switch {
				case err == nil:
					served.Add(1)
				case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
					refused.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	loaded, err := sell(loadedSession)
	close(stop)
	wg.Wait()
	el := time.Since(start).Seconds()
	if err != nil {
		return floodResult{}, err
	}
	mode := "refused at once"
	for _, r := range lc.PerClient {
		if r.QueueMS > 0 {
			mode = fmt.Sprintf("paced, queue %d ms", r.QueueMS)
		}
	}
	r := floodResult{loaded: loaded, ratio: float64(loaded.P99) / float64(max(alone.P99, time.Millisecond)),
		served: float64(served.Load()) / el, refused: float64(refused.Load()) / el}
	fmt.Fprintf(w, "sales under a read flood (over the limit: %s): orders_per_s=%.0f p99_ms=%.1f ratio=%.2f errors=%d; flood: %.0f reads/s served, %.0f/s refused (429), %d failed\n",
		mode, loaded.OrdersPerSec, ms(loaded.P99), r.ratio, loaded.Errors, r.served, r.refused, failed.Load())
	return r, nil
}
