// Command outpost-plugin-sentinel is the Outpost plugin for Microsoft
// Sentinel: it reads a workspace's incidents through Azure Resource Manager
// (Microsoft.SecurityInsights, api-version 2024-03-01), turns each into a
// security event with the entities of its alerts as observables and IOCs,
// and mirrors case changes back to the incident. Its fake lives in package
// fake beside it.
//
// # Basics
//
// The files:
//
//	connector.go  Describe, Test, the config schema, the client cache and
//	              ARM's errors to the sdk errors
//	poll.go       Poll (on lastModifiedTimeUtc), LostFound (the same field
//	              over a window) and Fallback (createdTimeUtc over a window)
//	mapping.go    an incident and its entities to an sdk.Event, severity
//	              and tactic tables
//	mirror.go     status, owner, close and comments, effectively once
//
// Tokens come from Azure AD by client credentials (sdk/oauth, scope
// https://management.azure.com/.default), are cached until shortly before
// they expire and fetched again once on a 401, mid-pagination included.
//
// The cursor is an sdk/cursor TimeID: the newest lastModifiedTimeUtc handed
// over plus the names of the incidents at exactly that time, so incidents
// that share a timestamp across a page or run boundary are neither lost nor
// doubled. An incident changed later is listed again with a newer time and
// handed over again; the host updates the event it stored. An idle run
// moves the cursor to Sentinel's own clock (the Date of its answer) minus a
// settle delay.
//
// # Caveats
//
// Incidents and their pages are listed by the nextLink Sentinel returns. An
// incident modified while a poll pages through the list moves to the end of
// Sentinel's order; if Sentinel's skip token counts positions, the incident
// after it may be passed over by that poll. LostFound re-reads the window
// and finds it.
//
// Entities cost one POST per incident (fetch_entities, on by default); a
// failed look-up leaves that incident without observables and logs a
// warning, a throttled one ends the run so the page is read again.
package main
