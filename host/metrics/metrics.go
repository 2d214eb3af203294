package metrics

import (
	"fmt"
	"net/http"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
)

const namespace = "outpost"

// Plugins is the part of *plugin.Manager the metrics read at scrape time.
type Plugins interface {
	List() []plugin.Info
}

// Scheduler is the part of *scheduler.Scheduler the metrics read at scrape
// time.
type Scheduler interface {
	Stats() scheduler.Stats
}

var (
	_ Plugins   = (*plugin.Manager)(nil)
	_ Scheduler = (*scheduler.Scheduler)(nil)
)

// Options configures Metrics. Every field is optional: a nil Plugins or
// Scheduler leaves its series out.
type Options struct {
	Plugins   Plugins
	Scheduler Scheduler
	// Version, when set, is exported as outpost_build_info{version}.
	Version string
	// Logger receives the errors of a scrape that could not be gathered
	// whole; nil discards them.
	Logger hclog.Logger
}

// Metrics holds the host's registry and its collectors. Its methods are
// safe for concurrent use.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	runs         *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	events       *prometheus.CounterVec
}

// httpBuckets reach from a cached read to a slow backup download.
var httpBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// runBuckets reach up to the scheduler's default run timeout (5m): a run
// that hits it lands in the last finite bucket or +Inf.
var runBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// New returns Metrics with a registry of its own.
func New(opts Options) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "REST API requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "REST API request latency by route pattern and method.",
			Buckets: httpBuckets,
		}, []string{"route", "method"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "query_runs_total",
			Help: "Finished query runs by plugin type, query kind and result (ok or error).",
		}, []string{"type", "kind", "result"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "query_run_duration_seconds",
			Help:    "Query run duration by plugin type and query kind.",
			Buckets: runBuckets,
		}, []string{"type", "kind"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_total",
			Help: "Committed events by plugin type, query kind and outcome (stored, duplicate or updated).",
		}, []string{"type", "kind", "outcome"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.runs, m.runDuration, m.events,
		&stateCollector{plugins: opts.Plugins, sched: opts.Scheduler},
	)
	if opts.Version != "" {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "build_info",
			Help:        "Always 1; the version of the running host is its label.",
			ConstLabels: prometheus.Labels{"version": opts.Version},
		}, func() float64 { return 1 }))
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A collector that fails must not blank the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      promLogger{log.Named("metrics")},
	})
	return m
}

// Handler serves the registry in the Prometheus text format (or another
// format a scraper asks for by Accept header).
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry is the registry behind Handler, for tests and for a caller that
// adds collectors of its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// promLogger adapts hclog to promhttp.Logger.
type promLogger struct{ log hclog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Warn("gathering metrics", "error", fmt.Sprint(v...))
}
