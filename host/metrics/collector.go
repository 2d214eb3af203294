package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-soc/outpost/host/plugin"
)

var (
	pluginsDesc = prometheus.NewDesc(namespace+"_plugins",
		"Plugins in the plugin directory by state.", []string{"state"}, nil)
	restartsDesc = prometheus.NewDesc(namespace+"_plugin_restarts_total",
		"Restarts of a plugin's current version after a crash or hang.", []string{"plugin"}, nil)
	integrationsDesc = prometheus.NewDesc(namespace+"_scheduler_integrations",
		"Enabled integrations the scheduler runs.", nil, nil)
	inFlightDesc = prometheus.NewDesc(namespace+"_scheduler_in_flight",
		"Query runs in flight.", nil, nil)
	queuedDesc = prometheus.NewDesc(namespace+"_scheduler_queued",
		"Due query runs waiting for a slot.", nil, nil)
	heldDesc = prometheus.NewDesc(namespace+"_scheduler_held",
		"Integrations held by a vendor's rate limit right now.", nil, nil)
	lagDesc = prometheus.NewDesc(namespace+"_scheduler_lag_seconds",
		"How late runs start after they are due: the most of the last minutes' started runs and the longest-waiting queued run.", nil, nil)
)

// knownStates are always exported, at zero when no plugin is in them, so
// that an alert on FAILED > 0 has a series to read before the first failure.
var knownStates = []plugin.State{plugin.StateReady, plugin.StateFailed}

// stateCollector reads the plugin list and the scheduler's stats when
// scraped.
type stateCollector struct {
	plugins Plugins
	sched   Scheduler
}

var _ prometheus.Collector = (*stateCollector)(nil)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.plugins != nil {
		ch <- pluginsDesc
		ch <- restartsDesc
	}
	if c.sched != nil {
		ch <- integrationsDesc
		ch <- inFlightDesc
		ch <- queuedDesc
		ch <- heldDesc
		ch <- lagDesc
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	if c.plugins != nil {
		c.collectPlugins(ch)
	}
	if c.sched != nil {
		st := c.sched.Stats()
		ch <- prometheus.MustNewConstMetric(integrationsDesc, prometheus.GaugeValue, float64(st.Integrations))
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(st.InFlight))
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(st.Queued))
		ch <- prometheus.MustNewConstMetric(heldDesc, prometheus.GaugeValue, float64(st.Held))
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, max(st.MaxLag.Seconds(), 0))
	}
}

func (c *stateCollector) collectPlugins(ch chan<- prometheus.Metric) {
	states := map[plugin.State]int{}
	for _, s := range knownStates {
		states[s] = 0
	}
	// Summed by name: the registry refuses a scrape with two series of
	// the same labels, and a lister other than the manager might repeat one.
	restarts := map[string]int{}
	for _, in := range c.plugins.List() {
		states[in.State]++
		restarts[in.Name] += in.Restarts
	}
	for s, n := range states {
		ch <- prometheus.MustNewConstMetric(pluginsDesc, prometheus.GaugeValue, float64(n), string(s))
	}
	for name, n := range restarts {
		ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(n), name)
	}
}
