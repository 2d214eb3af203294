// Command outpost-plugin-splunk connects Outpost to Splunk Enterprise
// Security: it reads notable events through splunkd's REST API on the
// management port and writes case changes back with ES's notable_update
// endpoint. Its fake lives in package fake beside it.
//
// # Basics
//
//	connector.go  Describe, Test, the config schema and the client cache
//	splunkd.go    the REST calls: auth, server info, search jobs, export, errors
//	poll.go       Poll and LostFound (search jobs), Fallback (the export endpoint)
//	mirror.go     status, assignment, close and comments through notable_update
//	mapping.go    a notable to an sdk.Event
//
// Poll runs `search index=<index> _index_earliest=<t> _index_latest=<u> |
// sort 0 num(_indextime) str(event_id)` as a search job and pages through
// its results. The cursor is an sdk/cursor TimeID on _indextime (whole
// seconds) plus the event_ids seen at that second.
//
// # Caveats
//
// Why _indextime and not _time: a notable's _time is the time of the event
// the correlation search matched, which can lie minutes or hours before the
// notable was written, and events indexed late (a forwarder that was down,
// a lagging indexer) carry an old _time too. A cursor on _time passes such
// events by for good; _indextime is stamped when the event is written, so
// it only grows. What it cannot see is an event stamped with an _indextime
// the cursor already passed but searchable only later (an indexer that
// lags behind its own clock): the upper bound stays a settle delay behind
// splunkd's clock, and LostFound re-reads a window behind the cursor.
// Fallback reads the same index through the export endpoint by _time, so
// an event whose _indextime is wrong (indexer clock skew) is still found.
//
// splunkd names no wait when it refuses a search for lack of quota (a 503):
// the plugin returns the SDK's default wait of 60 s.
package main
