// Package fake is a fake of the CrowdStrike Falcon API's OAuth2 token
// endpoint and Alerts API, as the Outpost CrowdStrike plugin uses them. It
// is built on sdk/fakevendor and served by cmd/vendorsim under
// /crowdstrike/.
//
// # Basics
//
// The endpoints, relative to the API root (the plugin's base_url,
// https://api.crowdstrike.com or a tenant's cloud such as
// https://api.us-2.crowdstrike.com):
//
//	POST  /oauth2/token                 form client_id, client_secret[, member_cid] → 201 {access_token, expires_in: 1799, token_type: "bearer"}
//	GET   /alerts/queries/alerts/v2     filter (FQL), sort, limit (≤ 10000), offset → {meta.pagination{offset,limit,total}, resources: [composite ids]}
//	POST  /alerts/entities/alerts/v2    {"composite_ids": [...]} (≤ 1000) → {resources: [alerts]}
//	POST  /alerts/combined/alerts/v1    {"filter","sort","limit" (≤ 1000),"after"} → {meta.pagination{total,limit,after}, resources: [alerts]}
//	PATCH /alerts/entities/alerts/v3    {"composite_ids", "action_parameters": [{"name","value"}]}
//
// Every call but the token call carries Authorization: Bearer <token>; a
// missing, unknown or expired token is 401 "access denied, invalid bearer
// token". The token call refuses wrong client credentials with 403, as the
// real one does. An API client without the Alerts: Read scope gets 403
// "access denied, authorization failed" from the reads, without Alerts:
// Write from the PATCH. Every body, errors included, is
// {"meta":{"query_time","powered_by","trace_id"},"resources":[...],"errors":[{"code","message"}]}.
//
// Every answer carries X-RateLimit-Limit and X-RateLimit-Remaining; when
// the store throttles (fakevendor.Options.RateLimitEvery,
// Store.ForceThrottle) the answer is 429 with X-RateLimit-Remaining: 0 and
// X-RateLimit-RetryAfter, the epoch second the limit lifts. The Date header
// is the fake's clock, so that the epoch means the same to a client.
//
// # Alerts
//
// Each store alert is one endpoint (product epp) or identity (idp) alert.
// Its created_timestamp and timestamp are the alert's own time and its
// updated_timestamp the last change, each with a sub-millisecond part, as
// Falcon writes nanoseconds. A late alert becomes visible only some delay
// after its timestamps: a cursor on updated_timestamp passes it by.
//
// FQL: terms joined by + (and), values in single quotes or bare, operators
// : (equal) :> :>= :< :<= :! (not); a term's values may be a list
// ['a','b']. Filterable: updated_timestamp, created_timestamp, timestamp,
// severity, status, product, type, composite_id, assigned_to_name. sort is
// field|asc or field|desc (field.asc also works); the default is timestamp
// descending. offset + limit may not pass 10,000 (Fake.MaxOffset).
//
// PATCH actions: update_status (new, in_progress, reopened, closed),
// append_comment, assign_to_name, assign_to_user_id, unassign, add_tag,
// remove_tag. Each accepted PATCH is recorded in the store's mirror log and
// moves the alerts' updated_timestamp. An alert's comments are listed in
// its "comments" field as {"value","created_timestamp","falcon_user_id"}.
//
// # Caveats
//
// The shape of "comments" is the fake's own: the public references name
// append_comment but show no alert carrying comments. Only the FQL above is
// understood; anything else is a 400.
package fake
