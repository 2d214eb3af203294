// Command outpost-plugin-cloudflare is the Outpost plugin for Cloudflare:
// it reads a zone's firewall events (WAF managed and custom rules, rate
// limiting, DDoS mitigation, bot and security-level challenges ...) from
// the GraphQL Analytics API's firewallEventsAdaptive dataset and turns each
// into a security event. Cloudflare's firewall events are read only, so
// the plugin polls and never mirrors.
//
// # Basics
//
// The files:
//
//	connector.go  Describe, Test, the config schema and the client cache
//	graphql.go    the GraphQL calls, the dataset's limits, Cloudflare's errors
//	poll.go       Poll, LostFound and Fallback over firewallEventsAdaptive
//	mapping.go    a firewall event to an sdk.Event, severity table, dashboard URL
//
// The dataset has no cursor: the plugin pages on (datetime, rayName),
// ordering by both and asking for the rows after the last one with
// {datetime_geq: t, OR: [{datetime_gt: t}, {rayName_gt: ray}]}, so the
// many events that share one second (datetime has whole seconds) are
// neither skipped nor read twice, however many there are. The cursor is an
// sdk/cursor TimeID: the newest datetime handed over and the ray ids at
// that second.
//
// # Caveats
//
// The dataset caps a query's time range, how far back it reaches and its
// page size, per plan; the plugin reads them from the zone's settings node
// and walks long ranges a window at a time, clamping a start older than the
// retention with a warning. Rate limits come three ways: HTTP 429 with
// Retry-After (the API's), and the GraphQL budget's "try again after N
// minutes", in a 200 or a 429: each becomes an *sdk.RetryAfterError with
// Cloudflare's wait, at most 10 minutes.
package main
