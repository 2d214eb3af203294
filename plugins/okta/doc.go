// Command outpost-plugin-okta is the Outpost plugin for Okta: it reads the
// org's System Log (GET /api/v1/logs) and turns every log event the
// integration's filter returns into a security event. Okta's System Log is
// read only, so the plugin polls and never mirrors.
//
// # Basics
//
// The files:
//
//	connector.go  Describe, Test, the config schema and the client cache
//	poll.go       Poll (Okta polling requests), LostFound and Fallback
//	              (bounded requests over [from, to))
//	mapping.go    a LogEvent to an sdk.Event, severity table, console URL
//	errors.go     Okta's error bodies to the sdk errors
//
// Poll follows Okta's own advice for exporting the log: one polling request
// (no until, sortOrder=ASCENDING) from the cursor, then the rel="next"
// links to the end. Okta always sends a next link on a polling request, even
// on an empty page, so an empty page is the end of a run. The cursor is an
// sdk/cursor TimeID: the newest published time handed over and the uuids at
// that time, so events that share a timestamp across a page or run boundary
// are neither lost nor doubled. An idle run moves the cursor to Okta's own
// clock (its Date header) minus a settle delay.
//
// # Caveats
//
// A polling request filters on Okta's persistence time, not on published:
// an event Okta stored late comes back after the events stored before it,
// published earlier than the cursor. Poll hands such events over rather
// than dropping them as already seen; the host de-duplicates on uuid.
//
// Okta keeps 90 days of log: a cursor or window start older than that is
// clamped to the retention with a warning in the plugin's log, never sent
// (Okta answers 400 to a since more than 180 days back).
package main
