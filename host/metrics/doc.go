// Package metrics is the host's Prometheus instrumentation: one registry of
// its own (never the global default, so tests and a second host in one
// process do not collide), the handler behind GET /metrics, a gin
// middleware for the REST API, and the observers that host/ingest calls
// after each commit and run.
//
// # Series
//
// Every name is snake_case with the outpost_ prefix; the Go runtime (go_*)
// and process (process_*) collectors come with them.
//
//	outpost_http_requests_total{route,method,code}        counter
//	outpost_http_request_duration_seconds{route,method}   histogram
//	outpost_plugins{state}                                gauge, at scrape
//	outpost_plugin_restarts_total{plugin}                 counter, at scrape
//	outpost_query_runs_total{type,kind,result}            counter (result ok|error)
//	outpost_query_run_duration_seconds{type,kind}         histogram
//	outpost_events_total{type,kind,outcome}               counter (outcome stored|duplicate|updated)
//	outpost_scheduler_integrations                        gauge, at scrape
//	outpost_scheduler_in_flight                           gauge, at scrape
//	outpost_scheduler_queued                              gauge, at scrape
//	outpost_scheduler_held                                gauge, at scrape
//	outpost_scheduler_lag_seconds                         gauge, at scrape (max lag)
//	outpost_build_info{version}                           gauge 1, when Options.Version is set
//
// # Caveats
//
// Labels stay low-cardinality on purpose: a route is gin's pattern
// (/v1/customers/:customer_id/...), never the path; an unknown method is
// "other"; a plugin is named by its type. No series carries an integration,
// customer, token or event id: those are unbounded, and a tenant's ids do
// not belong on a shared monitoring system.
//
// Plugin and scheduler series are read from their owners when scraped, not
// pushed, so they cannot drift from what the API shows. A plugin's restart
// count is per version; an upgrade starts it again at zero, which
// Prometheus reads as a counter reset.
package metrics
