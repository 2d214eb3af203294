// Command outpost-plugin-crowdstrike connects Outpost to CrowdStrike
// Falcon: it reads alerts through the Alerts API with an OAuth2 API client
// and writes case changes back to them. Its fake lives in package fake
// beside it.
//
// # Basics
//
//	connector.go  Describe, Test, the config schema and the client cache
//	falcon.go     the API calls: token, alert queries, entities, combined, PATCH
//	poll.go       Poll and LostFound (queries + entities), Fallback (combined)
//	mirror.go     status, assignment, close and comments through PATCH v3
//	mapping.go    a Falcon alert to an sdk.Event
//
// Poll asks GET /alerts/queries/alerts/v2 for the composite ids of the
// alerts whose updated_timestamp is at or after the cursor, sorted
// ascending, then reads them with POST /alerts/entities/alerts/v2. The
// cursor is an sdk/cursor TimeID on updated_timestamp, kept to the
// millisecond, plus the composite ids seen at that millisecond: an alert
// changed in Falcon (status, assignment, a comment) comes back with a newer
// updated_timestamp and updates the stored event.
//
// # Caveats
//
// Pages are keyset, not offset: each page asks again from the cursor's
// millisecond, so alerts updated while a poll pages (which leave the result
// set and would shift every later offset by one) can never make it skip
// one. Offset is used only to step through alerts that share one
// millisecond, within the query API's cap of offset + limit ≤ 10,000.
//
// The upper bound of a poll is Falcon's clock (the Date of its first
// answer) minus a settle delay. An alert whose updated_timestamp reached
// that bound between the query and the entities call changed meanwhile: it
// is left for the next poll, where it is after the cursor.
//
// Falcon's token endpoint answers a wrong client id or secret with 403; the
// plugin reports it as unauthenticated, since it is the credential and not
// a scope that is wrong.
package main
