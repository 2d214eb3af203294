package metrics

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func run(d time.Duration, err string) store.Run {
	return store.Run{ID: "run_01J", Kind: "new", StartedAt: t0, FinishedAt: t0.Add(d), Error: err}
}

func TestObserveRun(t *testing.T) {
	tests := []struct {
		name  string
		feed  func(m *Metrics)
		lines []string
	}{
		{
			name: "ok and error runs by type and kind",
			feed: func(m *Metrics) {
				m.ObserveRun("splunk", "new", run(2*time.Second, ""))
				m.ObserveRun("splunk", "new", run(500*time.Millisecond, ""))
				m.ObserveRun("splunk", "new", run(time.Second, "listing incidents: 503"))
				m.ObserveRun("okta", "lost_found", run(20*time.Second, ""))
			},
			lines: []string{
				`outpost_query_runs_total{kind="new",result="ok",type="splunk"} 2`,
				`outpost_query_runs_total{kind="new",result="error",type="splunk"} 1`,
				`outpost_query_runs_total{kind="lost_found",result="ok",type="okta"} 1`,
				`outpost_query_run_duration_seconds_count{kind="new",type="splunk"} 3`,
				`outpost_query_run_duration_seconds_sum{kind="new",type="splunk"} 3.5`,
				`outpost_query_run_duration_seconds_bucket{kind="new",type="splunk",le="0.5"} 1`,
				`outpost_query_run_duration_seconds_bucket{kind="new",type="splunk",le="1"} 2`,
				`outpost_query_run_duration_seconds_bucket{kind="new",type="splunk",le="2.5"} 3`,
				`outpost_query_run_duration_seconds_bucket{kind="lost_found",type="okta",le="10"} 0`,
				`outpost_query_run_duration_seconds_bucket{kind="lost_found",type="okta",le="30"} 1`,
				`outpost_query_run_duration_seconds_bucket{kind="lost_found",type="okta",le="+Inf"} 1`,
			},
		},
		{
			name: "a clock that went back counts as zero",
			feed: func(m *Metrics) { m.ObserveRun("splunk", "fallback", run(-time.Second, "")) },
			lines: []string{
				`outpost_query_runs_total{kind="fallback",result="ok",type="splunk"} 1`,
				`outpost_query_run_duration_seconds_sum{kind="fallback",type="splunk"} 0`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{})
			tt.feed(m)
			body := scrape(t, m.Handler())
			wantLines(t, body, tt.lines...)
			if strings.Contains(body, "run_01J") {
				t.Error("a run id became a label")
			}
		})
	}
}

func TestObserveCommit(t *testing.T) {
	tests := []struct {
		name    string
		commits []store.CommitResult
		want    string
	}{
		{
			name: "outcomes add up over commits",
			commits: []store.CommitResult{
				{Stored: 3, Duplicates: 1, EventIDs: []string{"ev_1", "ev_2", "ev_3"}},
				{Stored: 2, Updated: 4},
			},
			want: `
# HELP outpost_events_total Committed events by plugin type, query kind and outcome (stored, duplicate or updated).
# TYPE outpost_events_total counter
outpost_events_total{kind="new",outcome="duplicate",type="splunk"} 1
outpost_events_total{kind="new",outcome="stored",type="splunk"} 5
outpost_events_total{kind="new",outcome="updated",type="splunk"} 4
`,
		},
		{
			name:    "an empty commit still makes every outcome's series",
			commits: []store.CommitResult{{}},
			want: `
# HELP outpost_events_total Committed events by plugin type, query kind and outcome (stored, duplicate or updated).
# TYPE outpost_events_total counter
outpost_events_total{kind="new",outcome="duplicate",type="splunk"} 0
outpost_events_total{kind="new",outcome="stored",type="splunk"} 0
outpost_events_total{kind="new",outcome="updated",type="splunk"} 0
`,
		},
		{
			name:    "negative counts are ignored, not a panic",
			commits: []store.CommitResult{{Stored: -1, Duplicates: 2}},
			want: `
# HELP outpost_events_total Committed events by plugin type, query kind and outcome (stored, duplicate or updated).
# TYPE outpost_events_total counter
outpost_events_total{kind="new",outcome="duplicate",type="splunk"} 2
outpost_events_total{kind="new",outcome="stored",type="splunk"} 0
outpost_events_total{kind="new",outcome="updated",type="splunk"} 0
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{})
			for _, c := range tt.commits {
				m.ObserveCommit("splunk", "new", c)
			}
			if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(tt.want), "outpost_events_total"); err != nil {
				t.Fatal(err)
			}
			if body := scrape(t, m.Handler()); strings.Contains(body, "ev_1") {
				t.Error("an event id became a label")
			}
		})
	}
}

func TestScrapeTimeSeries(t *testing.T) {
	tests := []struct {
		name    string
		plugins []plugin.Info
		stats   scheduler.Stats
		lines   []string
	}{
		{
			name: "plugins by state and restarts, scheduler load",
			plugins: []plugin.Info{
				{Name: "okta", State: plugin.StateReady},
				{Name: "splunk", State: plugin.StateReady, Restarts: 2, PID: 4242},
				{Name: "sentinel", State: plugin.StateFailed, Error: "describe: exit status 1"},
			},
			stats: scheduler.Stats{Integrations: 7, InFlight: 3, Queued: 2, Held: 1, MaxLag: 1500 * time.Millisecond},
			lines: []string{
				`outpost_plugins{state="READY"} 2`,
				`outpost_plugins{state="FAILED"} 1`,
				`outpost_plugin_restarts_total{plugin="okta"} 0`,
				`outpost_plugin_restarts_total{plugin="splunk"} 2`,
				`outpost_plugin_restarts_total{plugin="sentinel"} 0`,
				`outpost_scheduler_integrations 7`,
				`outpost_scheduler_in_flight 3`,
				`outpost_scheduler_queued 2`,
				`outpost_scheduler_held 1`,
				`outpost_scheduler_lag_seconds 1.5`,
				`# TYPE outpost_plugin_restarts_total counter`,
				`# TYPE outpost_plugins gauge`,
			},
		},
		{
			name:  "no plugins: known states at zero",
			stats: scheduler.Stats{MaxLag: -time.Second},
			lines: []string{
				`outpost_plugins{state="READY"} 0`,
				`outpost_plugins{state="FAILED"} 0`,
				`outpost_scheduler_in_flight 0`,
				`outpost_scheduler_lag_seconds 0`,
			},
		},
		{
			name:    "a state the manager may add later is still counted",
			plugins: []plugin.Info{{Name: "x", State: "STARTING"}},
			lines:   []string{`outpost_plugins{state="STARTING"} 1`, `outpost_plugins{state="READY"} 0`},
		},
		{
			name:    "a repeated name is summed, not a broken scrape",
			plugins: []plugin.Info{{Name: "x", State: plugin.StateReady, Restarts: 1}, {Name: "x", State: plugin.StateFailed, Restarts: 2}},
			lines:   []string{`outpost_plugin_restarts_total{plugin="x"} 3`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{
				Plugins:   pluginsFunc(func() []plugin.Info { return tt.plugins }),
				Scheduler: statsFunc(func() scheduler.Stats { return tt.stats }),
			})
			wantLines(t, scrape(t, m.Handler()), tt.lines...)
		})
	}
}

// TestScrapeReadsLive checks that plugin and scheduler series are read at
// each scrape, not frozen at New.
func TestScrapeReadsLive(t *testing.T) {
	var inFlight atomic.Int64
	m := New(Options{Scheduler: statsFunc(func() scheduler.Stats { return scheduler.Stats{InFlight: int(inFlight.Load())} })})
	for _, n := range []int64{0, 5, 1} {
		inFlight.Store(n)
		wantLines(t, scrape(t, m.Handler()), "outpost_scheduler_in_flight "+strconv.FormatInt(n, 10))
	}
}

func TestOptionalParts(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		present []string
		absent  []string
	}{
		{
			name:    "nothing set",
			opts:    Options{},
			present: []string{"go_goroutines", "process_cpu_seconds_total"},
			absent:  []string{"outpost_plugins", "outpost_scheduler_", "outpost_build_info"},
		},
		{
			name:    "version set",
			opts:    Options{Version: "v0.3.1"},
			present: []string{`outpost_build_info{version="v0.3.1"} 1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := scrape(t, New(tt.opts).Handler())
			for _, s := range tt.present {
				if !strings.Contains(body, s) {
					t.Errorf("exposition lacks %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(body, s) {
					t.Errorf("exposition has %q", s)
				}
			}
		})
	}
}

// TestRealParts scrapes with the real plugin manager (an empty plugin
// directory) and the real scheduler (not started, one integration held).
func TestRealParts(t *testing.T) {
	mgr := plugin.New(plugin.Options{Dir: t.TempDir()})
	t.Cleanup(func() { mgr.Close() })
	if err := mgr.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	sched := scheduler.New(scheduler.Options{Runner: scheduler.RunnerFunc(func(context.Context, scheduler.Job) error { return nil })})
	sched.Set("int_01", scheduler.DefaultSchedule(), []scheduler.Kind{scheduler.KindNew})
	sched.Hold("int_01", time.Now().Add(time.Hour))

	m := New(Options{Plugins: mgr, Scheduler: sched})
	body := scrape(t, m.Handler())
	wantLines(t, body,
		`outpost_plugins{state="READY"} 0`,
		`outpost_plugins{state="FAILED"} 0`,
		`outpost_scheduler_integrations 1`,
		`outpost_scheduler_held 1`,
		`outpost_scheduler_in_flight 0`,
		`outpost_scheduler_queued 0`,
	)
	if strings.Contains(body, "int_01") {
		t.Error("an integration id became a label")
	}
}

// TestLint runs Prometheus' own naming lint over every outpost_ series.
func TestLint(t *testing.T) {
	m := New(Options{
		Plugins:   pluginsFunc(func() []plugin.Info { return []plugin.Info{{Name: "splunk", State: plugin.StateReady}} }),
		Scheduler: statsFunc(func() scheduler.Stats { return scheduler.Stats{} }),
		Version:   "dev",
	})
	m.ObserveRun("splunk", "new", run(time.Second, ""))
	m.ObserveCommit("splunk", "new", store.CommitResult{Stored: 1})
	engine(m).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/customers/cus_A", nil))
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "outpost_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}
