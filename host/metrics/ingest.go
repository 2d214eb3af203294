package metrics

import (
	"github.com/outpost-soc/outpost/host/store"
)

// ObserveRun counts one finished query run and its duration; it is meant
// for ingest.Options.OnRun. pluginType is the integration's type (its
// plugin's name) and kind the query kind: never pass an id here.
func (m *Metrics) ObserveRun(pluginType, kind string, run store.Run) {
	result := "ok"
	if run.Error != "" {
		result = "error"
	}
	m.runs.WithLabelValues(pluginType, kind, result).Inc()
	m.runDuration.WithLabelValues(pluginType, kind).Observe(max(run.FinishedAt.Sub(run.StartedAt).Seconds(), 0))
}

// ObserveCommit counts the events of one commit by outcome; it is meant for
// ingest.Options.OnCommit. Events are counted per commit, not per run, so
// that a long run shows its progress while it lasts.
func (m *Metrics) ObserveCommit(pluginType, kind string, res store.CommitResult) {
	for _, o := range []struct {
		outcome string
		n       int
	}{{"stored", res.Stored}, {"duplicate", res.Duplicates}, {"updated", res.Updated}} {
		// Touched at zero too, so each outcome's series exists from the
		// first commit and rate() sees its start.
		c := m.events.WithLabelValues(pluginType, kind, o.outcome)
		if o.n > 0 {
			c.Add(float64(o.n))
		}
	}
}
