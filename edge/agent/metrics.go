package agent

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The agent's /metrics (Prometheus) reads its Status at each scrape:
// the broker connection, the feed and its lag, the outbox's depth, the
// cache, gate decisions, and each device's and the printer's state.

type statusCollector struct{ a *Agent }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("admit_edge_"+name, help, labels, nil)
}

var (
	connectedDesc = desc("connected", "1 while the agent's broker session is up.")
	feedSeqDesc   = desc("feed_seq", "The last venue feed event the agent applied.")
	feedLagDesc   = desc("feed_lag", "Feed events known to exist that the agent has not applied.")
	outboxDesc    = desc("outbox_depth", "Facts (prints, admissions, failures) waiting to be uploaded.")
	cacheDesc     = desc("cache_tickets", "Tickets in the agent's offline cache.")
	cacheBytes    = desc("cache_bytes", "Size of the agent's cache file.")
	droppedDesc   = desc("dropped_messages_total", "Broker messages the agent refused (malformed, replayed, foreign).")
	decisionsDesc = desc("gate_decisions_total", "Gate decisions by result.", "result")
	deviceDesc    = desc("device_online", "1 while a configured device answers, by slot.", "slot")
	printerDesc   = desc("printer_online", "1 while the printer answers and has no problem.")
	printedDesc   = desc("printed_total", "Tickets printed, and print jobs that failed.", "outcome")
)

func (c statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{connectedDesc, feedSeqDesc, feedLagDesc, outboxDesc, cacheDesc, cacheBytes, droppedDesc,
		decisionsDesc, deviceDesc, printerDesc, printedDesc} {
		ch <- d
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c statusCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.a.Status()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(connectedDesc, boolGauge(st.Connected))
	gauge(feedSeqDesc, float64(st.FeedSeq))
	gauge(feedLagDesc, float64(st.FeedLag))
	gauge(outboxDesc, float64(st.OutboxDepth))
	gauge(cacheDesc, float64(st.CacheTickets))
	gauge(cacheBytes, float64(st.CacheBytes))
	counter(droppedDesc, float64(st.Dropped))
	if st.Role == "gate" {
		counter(decisionsDesc, float64(st.Admitted), "admitted")
		counter(decisionsDesc, float64(st.Rejected), "rejected")
		counter(decisionsDesc, float64(st.NoPassage), "no_passage")
		counter(decisionsDesc, float64(st.DeviceFaults), "device_fault")
	}
	for slot, d := range st.Devices {
		gauge(deviceDesc, boolGauge(d.Online), slot)
	}
	if p := st.Printer; p != nil {
		gauge(printerDesc, boolGauge(p.Online && p.Problem == ""))
		counter(printedDesc, float64(p.Printed), "printed")
		counter(printedDesc, float64(p.Failed), "failed")
	}
}

// metricsHandler serves the agent's metrics from a registry of its own.
func (a *Agent) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(statusCollector{a})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
