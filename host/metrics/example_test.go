package metrics_test

import (
	"net/http"

	"github.com/outpost-soc/outpost/host/ingest"
	"github.com/outpost-soc/outpost/host/metrics"
	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
)

// The wiring of cmd/outpost: the ingest hooks close over met, which is set
// before the scheduler starts any run.
func Example() {
	plugins := plugin.New(plugin.Options{Dir: "./bin/plugins"})
	defer plugins.Close()

	var met *metrics.Metrics
	runner := ingest.New(ingest.Options{
		OnRun: func(in *store.Integration, run store.Run) { met.ObserveRun(in.Type, run.Kind, run) },
		OnCommit: func(in *store.Integration, kind scheduler.Kind, res store.CommitResult) {
			met.ObserveCommit(in.Type, string(kind), res)
		},
	})
	sched := scheduler.New(scheduler.Options{Runner: runner})
	met = metrics.New(metrics.Options{Plugins: plugins, Scheduler: sched, Version: "v0.1.0"})

	var metricsHandler http.Handler = met.Handler() // api.Options.Metrics
	_ = metricsHandler
	_ = met.GinMiddleware() // first middleware of the API's engine
}
