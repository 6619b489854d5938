package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/syncer"
)

// metrics is what the cloud exposes at /metrics for Prometheus, in its
// own registry (no global state): requests by route template, outcome
// and latency; group commits; and, read from the store at each scrape,
// venue feed heads, devices online by venue and role, and the reporting
// queue. Labels are bounded: route templates, status codes, error codes,
// venue codes and device roles, never an id.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	failures *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	jobs     prometheus.Histogram
	failed   prometheus.Counter
	commit   prometheus.Histogram
	sales    *prometheus.CounterVec
	logins   *prometheus.CounterVec
}

// saleRoutes name the business steps whose outcomes are counted apart from
// the HTTP figures: holds (seats_unavailable is a hold conflict), orders,
// payments (declined), refunds.
// All are POSTs; keyed by route template so that counting costs a map
// lookup and no allocation on the sales path.
var saleRoutes = map[string]string{
	"/api/v1/holds":               "hold",
	"/api/v1/orders":              "order",
	"/api/v1/orders/:id/payments": "payment",
	"/api/v1/refunds":             "refund_request",
	"/api/v1/refunds/:id/approve": "refund_approve",
}

const loginRoute = "/api/v1/auth/login"

func newMetrics(st Store, reports report.Store, now func() time.Time, log *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "admit_http_requests_total",
			Help: "API requests answered, by method, route template and status."}, []string{"method", "route", "status"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "admit_http_errors_total",
			Help: "API requests answered with an error, by route template and error code (seat_taken, hold_lost, account_locked, internal, ...)."}, []string{"route", "error"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "admit_http_request_duration_seconds",
			Help: "API request latency by method and route template.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10)}, []string{"method", "route"}),
		jobs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "admit_store_commit_transactions",
			Help: "Transactions per group commit.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64}}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "admit_store_transactions_failed_total",
			Help: "Transactions that failed or were rolled back (a lost seat race among them)."}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "admit_store_commit_duration_seconds",
			Help: "Group commit latency, begin to durable commit.", Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 10)}),
		sales: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "admit_sales_steps_total",
			Help: "Holds, orders, payments and refunds by outcome (ok, or the error code: seats_unavailable is a hold conflict, payment_declined a declined card)."}, []string{"step", "outcome"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "admit_logins_total",
			Help: "Logins by outcome: ok, bad_credentials, account_locked (refused during a lockout), rate_limited."}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.failures, m.latency, m.jobs, m.failed, m.commit, m.sales, m.logins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{st: st, reports: reports, now: now, log: log})
	if _, _, err := st.WriterTimes(); err == nil {
		writer := func(name, help string, pick func(run, wait time.Duration) time.Duration) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
				run, wait, err := st.WriterTimes()
				if err != nil {
					return 0 // the store is closing
				}
				return pick(run, wait).Seconds()
			})
		}
		m.reg.MustRegister(
			writer("admit_store_writer_cpu_seconds_total", "Time the store's one writer thread ran on a core.",
				func(run, _ time.Duration) time.Duration { return run }),
			writer("admit_store_writer_wait_seconds_total", "Time the store's one writer thread was ready to run but waited for a core (every sale waits for it).",
				func(_, wait time.Duration) time.Duration { return wait }))
	}
	st.ObserveCommits(func(jobs, failed int, d time.Duration) {
		m.jobs.Observe(float64(jobs))
		m.failed.Add(float64(failed))
		m.commit.Observe(d.Seconds())
	})
	return m
}

// ObserveRequest implements api.RequestObserver.
func (m *metrics) ObserveRequest(method, route string, status int, errCode string, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	if errCode != "" {
		m.failures.WithLabelValues(route, errCode).Inc()
	}
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
	if method != "POST" {
		return
	}
	outcome := errCode
	if outcome == "" {
		outcome = "ok"
	}
	if step, ok := saleRoutes[route]; ok {
		m.sales.WithLabelValues(step, outcome).Inc()
	} else if route == loginRoute {
		m.logins.WithLabelValues(outcome).Inc()
	}
}

// observeSync counts the MQTT messages the cloud's syncer received and sent.
func (m *metrics) observeSync(st *syncer.Stats) {
	counter := func(name, help string, v *atomic.Int64, labels prometheus.Labels) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 { return float64(v.Load()) })
	}
	m.reg.MustRegister(
		counter("admit_mqtt_messages_total", "MQTT messages the cloud received from devices (in) and sent to them (out).", &st.MessagesIn, prometheus.Labels{"direction": "in"}),
		counter("admit_mqtt_messages_total", "MQTT messages the cloud received from devices (in) and sent to them (out).", &st.MessagesOut, prometheus.Labels{"direction": "out"}),
		counter("admit_sync_feed_events_sent_total", "Venue feed events sent to devices.", &st.Published, nil),
		counter("admit_sync_facts_received_total", "Device facts (prints, admissions, heartbeats) received.", &st.FactsIngested, nil),
		counter("admit_sync_dropped_total", "Device messages refused (malformed, replayed, unknown device).", &st.Dropped, nil),
		counter("admit_sync_snapshots_total", "Full snapshots sent to devices too far behind for a catch-up.", &st.Snapshots, nil),
	)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// storeCollector reads gauges from the store when Prometheus scrapes.
type storeCollector struct {
	st      Store
	reports report.Store
	now     func() time.Time
	log     *slog.Logger
}

var (
	feedHeadDesc = prometheus.NewDesc("admit_feed_head", "A venue's device feed head (the newest event's sequence number).", []string{"venue"}, nil)
	devicesDesc  = prometheus.NewDesc("admit_devices_online", "Enrolled devices seen lately, by venue and role.", []string{"venue", "role"}, nil)
	enrolledDesc = prometheus.NewDesc("admit_devices", "Registered devices, by venue, role and status (pending, active, revoked).", []string{"venue", "role", "status"}, nil)
	queueDesc    = prometheus.NewDesc("admit_report_queue", "National data platform reports by state.", []string{"state"}, nil)
	oldestDesc   = prometheus.NewDesc("admit_report_oldest_pending_seconds", "Age of the oldest report not yet delivered (0: none).", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{feedHeadDesc, devicesDesc, enrolledDesc, queueDesc, oldestDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	heads, err := c.st.FeedHeads(ctx)
	if err != nil {
		c.log.Warn("metrics: feed heads", "err", err)
	}
	for _, h := range heads {
		ch <- prometheus.MustNewConstMetric(feedHeadDesc, prometheus.GaugeValue, float64(h.Seq), h.Code)
	}
	devices, err := c.st.ListDevices(ctx, -1, nil)
	if err != nil {
		c.log.Warn("metrics: devices", "err", err)
	}
	type key struct{ venue, role, status string }
	online, registered := map[key]int{}, map[key]int{}
	for _, d := range devices {
		registered[key{d.VenueCode, d.Role, d.Status}]++
		if d.Status == "active" {
			k := key{d.VenueCode, d.Role, ""}
			online[k] += 0
			if d.LastSeen != nil && now.Sub(*d.LastSeen) < sales.DeviceOfflineAfter {
				online[k]++
			}
		}
	}
	for k, n := range registered {
		ch <- prometheus.MustNewConstMetric(enrolledDesc, prometheus.GaugeValue, float64(n), k.venue, k.role, k.status)
	}
	for k, n := range online {
		ch <- prometheus.MustNewConstMetric(devicesDesc, prometheus.GaugeValue, float64(n), k.venue, k.role)
	}
	q, err := c.reports.Queue(ctx, report.All)
	if err != nil {
		c.log.Warn("metrics: report queue", "err", err)
		return
	}
	for state, n := range map[string]int{"pending": q.Pending, "failing": q.Failing, "refused": q.Refused, "delivered": q.Delivered} {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), state)
	}
	age := 0.0
	if q.OldestPending != nil {
		age = max(0, now.Sub(*q.OldestPending).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
