// Package api is Outpost's REST API (/v1) on gin, as API.md describes it.
//
// # Basics
//
// New builds the http.Handler. Handlers are small structs that depend on
// the narrow interfaces declared beside them (service.go), which
// *service.Service implements; a handler decodes and checks its input,
// calls the service with the request's context and the acting token, and
// returns an error rather than writing one. One error middleware renders
// every error as {"code","message"} with the status table of API.md, so
// no handler chooses a status for a failure, and a 500 never carries the
// error's text.
//
// # Requests
//
// Every /v1 route but GET /v1/openapi.json needs "Authorization: ApiToken
// <token>"; each token has its own token bucket. Bodies are decoded
// strictly: one JSON value of at most 1 MiB, no unknown fields, no wrong
// types. Lists take skip and take (at most 500); without take the answer is
// only {"total": N}. Query parameters a route does not know are refused,
// so that a misspelt filter never silently matches everything.
//
// Lists that filter on a time field (security events on detection_time,
// cases on created_at) read "to" as that bound when it is an RFC 3339
// time, and as the pinning id otherwise. List filters of cases (status,
// severity) take comma-separated values or the parameter repeated. Path
// values are routed on the escaped path, so an IOC indicator with a slash
// is reached as %2F.
//
// # Responses
//
// Timestamps are RFC 3339 in UTC with a Z suffix, to the second; a time
// that is not set (never tested, never run) is left out of the object.
// The OpenAPI document at /v1/openapi.json is built from the same route
// table that registers the routes. A created event or case answers 201
// with a Location header; an event, created or read, carries a Link
// header (rel="case") to the case it opened. A report page is served as
// text/html with a Content-Security-Policy that allows its inline styles
// and nothing else.
package api
