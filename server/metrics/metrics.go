// Package metrics holds sessionguard's Prometheus metrics: sign-ins by
// outcome, status checks by outcome, rate-limited requests, session-store
// latency, active sessions and delivered alerts. The HTTP layer counts; the
// server serves them at /metrics in the Prometheus text format.
package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry with sessionguard's collectors. Build one with
// New; a nil *Metrics counts nothing, so callers need no checks. It is safe
// for concurrent use.
type Metrics struct {
	Registry    *prometheus.Registry
	signIns     *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	// The status outcomes and the store latencies, counted on the hot
	// path, are striped (striped.go).
	hot *stripes
}

// New registers the collectors, plus Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessionguard_signins_total", Help: "Sign-in attempts by outcome (success, failure, rate_limited, disabled, bad_request, error).",
		}, []string{"outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessionguard_rate_limited_total", Help: "Requests refused with 429, by endpoint.",
		}, []string{"endpoint"}),
		hot: newStripes(),
	}
	m.Registry.MustRegister(m.signIns, m.rateLimited, newStripedCollector(m.hot),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every label the code uses shows from the start, at zero (the striped
	// families show all theirs).
	for _, o := range []string{"success", "failure", "rate_limited", "disabled", "bad_request", "error"} {
		m.signIns.WithLabelValues(o)
	}
	return m
}

// SignIn counts a sign-in attempt.
func (m *Metrics) SignIn(outcome string) {
	if m != nil {
		m.signIns.WithLabelValues(outcome).Inc()
	}
}

// StatusCheck counts a status check answer.
func (m *Metrics) StatusCheck(o Outcome) {
	if m != nil {
		m.hot.statusCheck(o)
	}
}

// RateLimited counts a 429.
func (m *Metrics) RateLimited(endpoint string) {
	if m != nil {
		m.rateLimited.WithLabelValues(endpoint).Inc()
	}
}

// Since observes the store latency of op since start.
func (m *Metrics) Since(op Op, start time.Time) {
	if m != nil {
		m.hot.observe(op, time.Since(start))
	}
}

// ActiveSessions adds a gauge of the live sessions, counted by count at
// most once per interval (a scrape between two counts reports the last).
func (m *Metrics) ActiveSessions(count func(context.Context) (int64, error), interval time.Duration) {
	var mu sync.Mutex
	var last float64
	var at time.Time
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sessionguard_active_sessions", Help: "Sessions live in the store (counted at most every " + interval.String() + ").",
	}, func() float64 {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) < interval {
			return last
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if n, err := count(ctx); err == nil {
			last, at = float64(n), time.Now()
		}
		return last
	}))
}

// Counter registers a counter read from fn at scrape time (for counts kept
// elsewhere, such as delivered alerts).
func (m *Metrics) Counter(name, help string, fn func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Gauge registers a gauge read from fn at scrape time.
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
