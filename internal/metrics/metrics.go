// Package metrics exposes the bot's Prometheus metrics. A Metrics keeps its
// own registry (nothing is registered globally), implements the observers
// of internal/handlers and internal/socket, and serves the registry with
// Handler, for /metrics.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "stickerbot"

// Histogram buckets, in seconds.
var (
	// Acks must reach Slack within 3s; most take well under a millisecond.
	ackBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3}
	// Searches run in memory, then read a page from PostgreSQL: a few
	// milliseconds at most.
	searchBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	// Jobs include Web API calls and their retries, up to the 20s job timeout.
	jobBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30}
)

// Label values known in advance: the series they make are exported, at
// zero, from the first scrape, so alerts and dashboards on them (a rate
// of busy replies, of reconnects, of Web API errors) have data before the
// first event. Other values still count as they come (up to
// maxLabelValues a label).
var (
	// EnvelopeTypes are Socket Mode's envelope types (internal/envelope's
	// kinds), of envelopes, acks, jobs and busy replies.
	EnvelopeTypes = []string{"slash_commands", "interactive", "events_api"}
	// JobOutcomes are the outcomes of a handled payload.
	JobOutcomes = []string{"ok", "error", "timeout", "canceled"}
	// ReconnectReasons are why internal/socket opens a connection.
	ReconnectReasons = []string{
		"refresh_requested", "warning", "disconnect", "closed", "dropped", "dead", "read_error",
		"link_disabled", "too_many_websockets", "open_error", "rate_limited", "dial_error",
		"hello_timeout", "closed_before_hello",
	}
	// WebAPIMethods are the Web API methods (and response_url) whose
	// failures internal/handlers counts; internal/deploy's tests keep the
	// list in step with the code.
	WebAPIMethods = []string{
		"chat.postMessage", "chat.postEphemeral", "views.open", "views.update", "files.info", "files.uploadV2",
		"users.info", "response_url",
	}
	// WebAPIErrorKinds are the kinds of Web API failure.
	WebAPIErrorKinds = []string{"api", "rate_limited", "http", "timeout", "canceled", "network", "other"}
)

// maxLabelValues bounds the distinct values of each free-form label (an
// envelope type, a reconnect reason, a Web API method); later newcomers are
// counted as "other", so a misbehaving peer cannot grow the series without
// bound.
const maxLabelValues = 32

// StickerCountTimeout bounds each call of the function given to
// RegisterStickerCount, once per scrape.
const StickerCountTimeout = 2 * time.Second

// Metrics holds the bot's metrics and the registry that serves them. Its
// methods are safe for concurrent use and fast enough to call on hot paths.
type Metrics struct {
	reg *prometheus.Registry

	envelopes   *prometheus.CounterVec
	ackLatency  *prometheus.HistogramVec
	reconnects  *prometheus.CounterVec
	connections prometheus.Gauge

	jobs     *prometheus.HistogramVec
	searches prometheus.Histogram
	results  *prometheus.CounterVec
	sends    *prometheus.CounterVec
	busy     *prometheus.CounterVec

	apiErrors *prometheus.CounterVec

	types, reasons, methods, kinds *labelSet
}

// New returns Metrics registered in a fresh registry, with the Go runtime
// and process collectors, and stickerbot_build_info naming version (the
// bot's, as stamped at build time) and the Go version it was built with.
// Every series of a known label value (EnvelopeTypes, ReconnectReasons,
// WebAPIMethods, …) exists from the start, at zero.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "socket", Name: "envelopes_received_total",
			Help: "Socket Mode envelopes received, by envelope type.",
		}, []string{"type"}),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "socket", Name: "ack_latency_seconds",
			Help:    "Time from reading an envelope to the end of writing its ack, by envelope type.",
			Buckets: ackBuckets,
		}, []string{"type"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "socket", Name: "reconnects_total",
			Help: "Socket Mode connections opened to replace another or after a failed attempt, by why.",
		}, []string{"reason"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "socket", Name: "connections_open",
			Help: "Socket Mode connections currently open.",
		}),
		jobs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "job_duration_seconds",
			Help:    "Time handling a queued payload, Web API calls included, by payload type and outcome (ok, error, timeout, canceled).",
			Buckets: jobBuckets,
		}, []string{"type", "outcome"}),
		searches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "search_duration_seconds",
			Help:    "Time running a sticker search: the in-process index, then reading the stickers shown from the database.",
			Buckets: searchBuckets,
		}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "searches_total",
			Help: "Searches people typed, by result: hit (at least one sticker matched) or miss.",
		}, []string{"result"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sends_total",
			Help: "Stickers posted, by path: post (chat.postMessage) or response_url (where the bot is not a member).",
		}, []string{"path"}),
		busy: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "busy_total",
			Help: "Payloads turned away because the work queue was full, by payload type.",
		}, []string{"type"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "slack", Name: "api_errors_total",
			Help: "Failed Slack Web API calls, by method and kind of error (api, rate_limited, http, timeout, canceled, network, other).",
		}, []string{"method", "error"}),
		types:   newLabelSet(maxLabelValues),
		reasons: newLabelSet(maxLabelValues),
		methods: newLabelSet(maxLabelValues),
		kinds:   newLabelSet(maxLabelValues),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; its labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": version, "go_version": runtime.Version()},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(
		m.envelopes, m.ackLatency, m.reconnects, m.connections,
		m.jobs, m.searches, m.results, m.sends, m.busy, m.apiErrors, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, typ := range EnvelopeTypes {
		m.envelopes.WithLabelValues(m.types.value(typ))
		m.ackLatency.WithLabelValues(typ)
		m.busy.WithLabelValues(typ)
		for _, o := range JobOutcomes {
			m.jobs.WithLabelValues(typ, o)
		}
	}
	for _, r := range ReconnectReasons {
		m.reconnects.WithLabelValues(m.reasons.value(r))
	}
	for _, method := range WebAPIMethods {
		for _, kind := range WebAPIErrorKinds {
			m.apiErrors.WithLabelValues(m.methods.value(method), m.kinds.value(kind))
		}
	}
	for _, r := range []string{"hit", "miss"} {
		m.results.WithLabelValues(r)
	}
	for _, p := range []string{"post", "response_url"} {
		m.sends.WithLabelValues(p)
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition formats, for
// /metrics. It also counts its own scrapes.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg,
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}))
}

// RegisterStickerCount adds the gauge stickerbot_stickers, the size of the
// sticker library, read at each scrape by calling count with a context
// bounded by StickerCountTimeout. When count fails the gauge is left out of
// that scrape and stickerbot_sticker_count_errors_total goes up. Call it at
// most once.
func (m *Metrics) RegisterStickerCount(count func(context.Context) (int64, error)) error {
	if count == nil {
		return errors.New("metrics: RegisterStickerCount needs a count function")
	}
	return m.reg.Register(&stickerCollector{
		count: count,
		desc:  prometheus.NewDesc(namespace+"_stickers", "Stickers in the library.", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "sticker_count_errors_total",
			Help: "Scrapes in which counting the stickers failed or timed out.",
		}),
	})
}

// stickerCollector reads the library's size when scraped.
type stickerCollector struct {
	count  func(context.Context) (int64, error)
	desc   *prometheus.Desc
	errors prometheus.Counter
}

func (c *stickerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	c.errors.Describe(ch)
}

func (c *stickerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), StickerCountTimeout)
	defer cancel()
	if n, err := c.count(ctx); err != nil {
		c.errors.Inc()
	} else {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
	}
	c.errors.Collect(ch)
}

// internal/socket.Observer

// EnvelopeReceived counts a Socket Mode envelope by type.
func (m *Metrics) EnvelopeReceived(typ string) {
	m.envelopes.WithLabelValues(m.types.value(typ)).Inc()
}

// Acked records how long an envelope took to ack.
func (m *Metrics) Acked(typ string, latency time.Duration) {
	m.ackLatency.WithLabelValues(m.types.value(typ)).Observe(latency.Seconds())
}

// Reconnect counts a new connection and why the previous one ended.
func (m *Metrics) Reconnect(reason string) {
	m.reconnects.WithLabelValues(m.reasons.value(reason)).Inc()
}

// ConnectionsOpen sets the number of open Socket Mode connections.
func (m *Metrics) ConnectionsOpen(n int) { m.connections.Set(float64(n)) }

// internal/handlers.Observer

// JobDone records a handled payload's duration and outcome.
func (m *Metrics) JobDone(kind string, d time.Duration, err error) {
	m.jobs.WithLabelValues(m.types.value(kind), outcome(err)).Observe(d.Seconds())
}

// Searched records a search's duration.
func (m *Metrics) Searched(d time.Duration) { m.searches.Observe(d.Seconds()) }

// SearchResult counts a search someone typed: hit when a sticker
// matched.
func (m *Metrics) SearchResult(hit bool) {
	if hit {
		m.results.WithLabelValues("hit").Inc()
	} else {
		m.results.WithLabelValues("miss").Inc()
	}
}

// Sent counts a sticker posted through method: chat.postMessage (path
// "post") or response_url.
func (m *Metrics) Sent(method string) {
	switch method {
	case "chat.postMessage":
		m.sends.WithLabelValues("post").Inc()
	case "response_url":
		m.sends.WithLabelValues("response_url").Inc()
	default:
		m.sends.WithLabelValues("other").Inc()
	}
}

// Busy counts a payload turned away because the queue was full.
func (m *Metrics) Busy(kind string) { m.busy.WithLabelValues(m.types.value(kind)).Inc() }

// Web API

// WebAPIError counts a failed Web API call: method is the Web API method
// ("chat.postMessage"), kind the kind of failure (api, rate_limited, http,
// timeout, canceled, network, other), as the caller, which knows the Slack
// client's errors, classifies it. An empty kind is not counted.
func (m *Metrics) WebAPIError(method, kind string) {
	if kind == "" {
		return
	}
	m.apiErrors.WithLabelValues(m.methods.value(method), m.kinds.value(kind)).Inc()
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

// labelSet maps free-form strings to label values: "none" for the empty
// string, "other" for anything not shaped like an identifier or arriving
// after max distinct values were seen.
type labelSet struct {
	mu   sync.RWMutex
	seen map[string]struct{}
	max  int
}

var labelShape = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func newLabelSet(limit int) *labelSet {
	return &labelSet{seen: make(map[string]struct{}), max: limit}
}

func (s *labelSet) value(v string) string {
	if v == "" {
		return "none"
	}
	s.mu.RLock()
	_, ok := s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	if !labelShape.MatchString(v) {
		return "other"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return "other"
	}
	s.seen[v] = struct{}{}
	return v
}
