// Package fake is a fake of the Cloudflare API for the cloudflare plugin:
// the token check, the zone, and the GraphQL Analytics API's
// firewallEventsAdaptive dataset, written from Cloudflare's API and GraphQL
// Analytics references. It is built on sdk/fakevendor and is served by
// cmd/vendorsim under /cloudflare/.
//
// # Basics
//
// The API, relative to the API root (the plugin's api_url):
//
//	GET  /client/v4/user/tokens/verify               {"result":{"id","status":"active"},"success":true,...}
//	GET  /client/v4/accounts/{account}/tokens/verify the same, for account-owned tokens
//	GET  /client/v4/zones/{zone}                     the zone: name, account
//	POST /client/v4/graphql                          {"query","variables"} → {"data","errors"}
//
// Every request carries Authorization: Bearer <api_token>. A header of
// another form is Cloudflare's 400 (code 6003, "Invalid format for
// Authorization header"); an unknown token is a 401 (REST: code 1000
// "Invalid API Token"; GraphQL: "Unauthorized"). NoAnalyticsToken verifies
// and reads the zone but is refused the analytics: its GraphQL queries
// answer 200 with the error "zones [<zone>] are not authorized".
//
// The GraphQL endpoint parses real query documents (variables, aliases,
// arguments, nested selections) and serves viewer.zones(filter: {zoneTag})
// with the nodes zoneTag, settings { firewallEventsAdaptive { enabled
// maxDuration maxNumberOfFields maxPageSize notOlderThan availableFields } }
// and firewallEventsAdaptive(filter, limit, orderBy) with the row fields of
// eventFields. Filters take field keys with the operators of the reference
// (gt lt geq leq neq in notin like notlike, equality without a suffix) and
// AND / OR lists, so that a client can page on (datetime, rayName). Node
// limits are those of the reference's settings example: a query may span
// 259200 s, reach back 2678400 s, return 10000 rows and select 30 fields;
// past them, and for parse errors and unknown fields, the answer is a 200
// whose errors carry Cloudflare's messages ("cannot request data older
// than 2678400s", "limit must be positive number and not greater than
// 10000", ...). datetime has whole seconds, so many events share one.
//
// A throttled request (Store().Throttle) with a wait of a minute or more
// is answered as the GraphQL budget answers, 200 with "rate limiter budget
// depleted, try again after N minutes"; a shorter wait is the API's 429
// with Retry-After in seconds.
//
// # Caveats
//
// Cloudflare's current error reference gives HTTP statuses (400, 403, 429)
// for the GraphQL errors that VENDORS.md and older references show as 200:
// the fake answers 200, and the plugin reads the errors of either. The
// dataset is read only: the fake records no write-backs.
package fake
