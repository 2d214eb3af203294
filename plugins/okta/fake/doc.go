// Package fake is a fake of Okta's System Log API, written from Okta's API
// reference (developer.okta.com, "System Log API"), for the okta plugin's
// tests, the conformance kit, cmd/vendorsim and the benchmarks. It is built
// on sdk/fakevendor and is served by vendorsim under /okta/.
//
// # Basics
//
// The API, relative to the org's root (the plugin's org_url):
//
//	GET /api/v1/logs    one page of LogEvent objects: a bare JSON array
//
// Every request carries Authorization: SSWS <api_token>. A missing or wrong
// token is 401 {"errorCode":"E0000011","errorSummary":"Invalid token
// provided"}; the token of NoLogsToken is known but may not read the System
// Log, and gets 403 E0000006. Every answer carries Okta's rate-limit headers
// X-Rate-Limit-Limit, -Remaining and -Reset (epoch seconds) and a Date from
// the store's clock; a throttled request (Store().Throttle) is 429 E0000047
// with Remaining 0 and Reset at the end of the wait.
//
// Query parameters, as Okta documents them: since and until (RFC 3339),
// filter (a SCIM filter: eq ne co sw ew gt ge lt le pr, and, or, not,
// parentheses), q (keywords, all of which must occur), limit (0-1000,
// default 100), sortOrder (ASCENDING, the default, or DESCENDING) and after
// (the opaque token of a next link; since and after are mutually
// exclusive).
//
// Two kinds of request, as Okta has them:
//
//   - A polling request (no until, ascending) filters and orders events by
//     their persistence time, which for a late alert is its VisibleAt: late
//     events come back out of order by published, after the events that
//     were persisted before them. Its Link header always has rel="next",
//     even on an empty page.
//   - A bounded request (until given, or descending) filters on published,
//     in [since, until), ordered by published; its last page has no next
//     link.
//
// Events whose published time is older than the 90-day retention are never
// returned, and a since more than 180 days back is a 400 E0000053, as the
// reference shows. Links are absolute and point back at the fake.
//
// # Caveats
//
// The after token is "<unix ms>_<seq>" of the last event of the page, in the
// order of the request's kind; it is not signed and the fake trusts it. The
// fake never writes back: Okta's System Log is read only.
package fake
