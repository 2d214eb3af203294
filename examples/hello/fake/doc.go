// Package fake is the fake of the "hello vendor" alert API, the vendor of
// the example plugin examples/hello. It is built on sdk/fakevendor, like
// every fake, and is served by cmd/vendorsim under /hello/.
//
// # Basics
//
// The API, relative to the vendor's root (the plugin's url field):
//
//	GET   /api/v1/me                      the caller: the cheap health check
//	GET   /api/v1/alerts                  one page of alerts (see below)
//	GET   /api/v1/alerts/{id}             one alert
//	PATCH /api/v1/alerts/{id}             {"status","owner","resolution"}: any subset
//	GET   /api/v1/alerts/{id}/comments    {"comments":[{"id","text","created_at"}]}
//	POST  /api/v1/alerts/{id}/comments    {"text"} → 201 with the comment
//
// Every request carries Authorization: Bearer <api_key>; a missing or wrong
// key is 401. Errors are {"error":{"code","message"}}. When the store says
// so (fakevendor.Options.RateLimitEvery, Store.ForceThrottle) a request is
// answered 429 with Retry-After in whole seconds.
//
// GET /api/v1/alerts takes since (RFC 3339, inclusive), until (RFC 3339,
// exclusive; default the vendor's now, or since if that is later), limit
// (1-500, default 100) and cursor (the next_cursor of the previous page; it
// carries the window, so since and until are then ignored). It answers
//
//	{"alerts":[...], "next_cursor":"...", "until":"<window end>"}
//
// with alerts ordered by (created_at, id), ids compared as strings; many
// alerts may share one created_at (millisecond precision). next_cursor is
// empty on the last page. until echoes the end of the window the page
// belongs to, so that a client whose page came back empty can still move
// its position to the vendor's clock rather than its own. A since older
// than the 30-day retention is a 400.
//
// Status is open, in_progress or closed; resolution is true_positive,
// benign_positive, false_positive or undetermined. Accepted PATCH and POST
// requests are recorded in the store's mirror log, body as received.
//
// # Caveats
//
// A page token is base64 JSON and not signed: the fake trusts what it gets
// back, and answers 400 invalid_cursor to anything it cannot read.
package fake
