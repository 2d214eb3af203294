// Package fake is a fake of the Splunk Enterprise Security REST API on the
// splunkd management port, as the Outpost Splunk plugin uses it. It is
// built on sdk/fakevendor and served by cmd/vendorsim under /splunk/.
//
// # Basics
//
// The endpoints, relative to the management root (the plugin's url field,
// https://host:8089 on a real deployment):
//
//	POST   /services/auth/login                     form username, password → {"sessionKey"}
//	GET    /services/server/info                    the server's version; the feed's "updated" is its clock
//	GET    /services/authentication/current-context the caller: username, roles, capabilities
//	POST   /services/search/jobs                    form search, earliest_time, latest_time, exec_mode → 201 {"sid"}
//	GET    /services/search/jobs/{sid}              the job: dispatchState, resultCount, earliestTime, latestTime
//	GET    /services/search/jobs/{sid}/results      count (0 = all), offset → {"results":[...]}
//	DELETE /services/search/jobs/{sid}              cancels the job
//	GET|POST /services/search/jobs/export           the same search, streamed as JSON lines
//	POST   /services/notable_update                 form ruleUIDs, status, urgency, newOwner, comment, disposition
//
// Every request but the login carries Authorization: Bearer <token> (a
// Splunk authentication token), Splunk <sessionKey> (from the login) or
// Basic user:password; anything else is 401 "call not properly
// authenticated". Errors are splunkd's message documents: with
// output_mode=json {"messages":[{"type":"ERROR","text":"..."}]}, otherwise
// <response><messages><msg type="ERROR">...</msg></messages></response>.
// notable_update, an Enterprise Security handler, always answers JSON
// {"success", "message", "details", "failure_count"} and needs the caller's
// edit_notable_events capability (403 without it).
//
// # Notables
//
// Each store alert is one notable event in index "notable": its _indextime
// is the alert's own time (seconds) and its _time up to 30 s earlier (the
// correlation search's event time). A late alert keeps its _indextime but
// becomes searchable only later, as an indexer that lags does: a cursor on
// _indextime passes it by, and a re-read of the window finds it. The
// notable's status, owner, urgency, disposition and comments are the
// current review state, as the `notable` macro shows them; each accepted
// notable_update adds a row to the incident_review_lookup.
//
// # Searches
//
// The fake runs a small subset of SPL, enough for the plugin's searches:
//
//	search index=notable _index_earliest=<epoch> _index_latest=<epoch> field=value ...
//	| inputlookup incident_review_lookup [where <expr>]
//	| where <expr>      comparisons (= == != < <= > >=) joined by AND, OR, NOT, ( )
//	| sort [N] [+|-][num(|str(]field[)] ...
//	| head N
//	| fields [+|-] f1, f2 ... / | table f1 f2 ...
//
// earliest_time and latest_time (epoch seconds, ISO 8601, "now" or -Ns/m/h/d)
// bound _time, earliest inclusive and latest exclusive; _index_earliest and
// _index_latest bound _indextime the same way. Without a sort, results come
// newest first, as Splunk returns events. Any other command is a 400
// "Unknown search command", and a search string that starts with neither
// "search" nor "|" is refused the same way.
//
// # Caveats
//
// When the store throttles (fakevendor.Options.RateLimitEvery,
// Store.ForceThrottle) splunkd answers 503 with its search-quota message
// and no wait header: Splunk names no wait. Results are served as JSON
// only. Jobs finish at once whatever exec_mode says, and are kept for ten
// minutes or until 500 newer jobs exist.
package fake
