package api

import (
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"
)

// routeDef is one route and what the OpenAPI document says of it; the same
// table registers the routes and writes the document, so neither can name
// a route the other lacks.
type routeDef struct {
	method string
	// path is in OpenAPI form, /v1/customers/{customer_id}.
	path    string
	handler gin.HandlerFunc
	// open routes need no token and are not rate limited.
	open bool
	doc  opDoc
}

// opDoc documents one operation.
type opDoc struct {
	id      string
	summary string
	desc    string
	tag     string
	// admin routes refuse a customer token with 403.
	admin bool
	query []paramDoc
	// body names the request schema; optionalBody allows an empty body.
	body         string
	optionalBody bool
	status       int
	// resp names the response schema, "" for none; list makes the answer
	// a page of it.
	resp string
	list bool
	// raw is the content type of a response that is not JSON.
	raw string
	// errors are the statuses beyond those every authenticated route has.
	errors []int
}

type paramDoc struct {
	name, desc string
	schema     map[string]any
}

var paramRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// ginPath turns /a/{b} into /a/:b.
func ginPath(p string) string { return paramRE.ReplaceAllString(p, ":$1") }

var (
	pageQuery = []paramDoc{
		{"skip", "Items to skip (default 0).", map[string]any{"type": "integer", "minimum": 0}},
		{"take", "Items to return, at most 500. Without it the answer is only {\"total\": N}.", map[string]any{"type": "integer", "minimum": 0, "maximum": MaxTake}},
		{"to", "The id of an item: the list is pinned to that item and older ones, so that paging a growing list never repeats or skips.", map[string]any{"type": "string"}},
	}
	pluginQuery = pageQuery[:2]
	eventQuery  = []paramDoc{
		{"customer_id", "Only this customer's events (a customer token may name only its own).", map[string]any{"type": "string"}},
		{"integration_id", "Only this integration's events.", map[string]any{"type": "string"}},
		{"origin", "Only events of this origin (the integration type for ingested events).", map[string]any{"type": "string"}},
		{"severity", "Minimum severity level.", map[string]any{"type": "string", "enum": []string{"NOT_VALID", "LOW", "MEDIUM", "HIGH", "CRITICAL"}}},
		{"from", "detection_time at or after this time (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		{"to", "detection_time before this time (RFC 3339). A value that is not a time is the id of an event and pins a growing list, as `to` does on other lists.", map[string]any{"type": "string"}},
		pageQuery[0], pageQuery[1],
	}
	statsQuery = []paramDoc{
		{"from", "Start (RFC 3339), rounded down to a bucket edge; default 24 hours before `to`.", map[string]any{"type": "string", "format": "date-time"}},
		{"to", "End, exclusive (RFC 3339); default now.", map[string]any{"type": "string", "format": "date-time"}},
		{"bucket", "Bucket width (default 1h); at most 5000 buckets.", map[string]any{"type": "string", "enum": []string{"5m", "1h", "1d"}}},
	}
)

func routeTable(svc Service, ops *opsHandler) []routeDef {
	ops.backup = svc
	pl := &pluginHandler{svc: svc}
	cu := &customerHandler{svc: svc}
	in := &integrationHandler{svc: svc}
	tk := &tokenHandler{svc: svc}
	ev := &eventHandler{svc: svc}
	const (
		cust = "/v1/customers/{customer_id}"
		ints = cust + "/integrations"
		one  = ints + "/{integration_id}"
	)
	get, post, patch, del := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	return []routeDef{
		{get, "/healthz", handle(ops.healthz), true, opDoc{id: "healthz", tag: "operations", summary: "Readiness",
			desc:   "200 once the store is open, admin.token exists and the plugin directory was scanned; 503 before.",
			status: 200, resp: "Health", errors: []int{503}}},
		{get, "/metrics", handle(ops.serveMetrics), true, opDoc{id: "metrics", tag: "operations", summary: "Prometheus metrics",
			status: 200, raw: "text/plain"}},
		{get, "/v1/openapi.json", handle(ops.openAPI), true, opDoc{id: "openapi", tag: "operations", summary: "This document",
			status: 200, raw: "application/json"}},
		{get, "/v1/backup", handle(ops.serveBackup), false, opDoc{id: "backup", tag: "operations", admin: true,
			summary: "Download a consistent snapshot of the database file",
			desc:    "Streamed as an attachment. Secrets in it stay sealed: a restore needs the same secret key.",
			status:  200, raw: "application/octet-stream"}},

		{get, "/v1/plugins", handle(pl.list), false, opDoc{id: "listPlugins", tag: "plugins", summary: "List plugins, by name",
			query: pluginQuery, status: 200, resp: "Plugin", list: true}},
		{post, "/v1/plugins/rescan", handle(pl.rescan), false, opDoc{id: "rescanPlugins", tag: "plugins", admin: true,
			summary: "Re-read the plugin directory", desc: "Answers every plugin found, as GET /v1/plugins with take set.",
			body: "Empty", optionalBody: true, status: 200, resp: "Plugin", list: true}},

		{post, "/v1/customers", handle(cu.create), false, opDoc{id: "createCustomer", tag: "customers", admin: true,
			summary: "Create a customer", body: "CreateCustomer", status: 201, resp: "Customer", errors: []int{409}}},
		{get, "/v1/customers", handle(cu.list), false, opDoc{id: "listCustomers", tag: "customers",
			summary: "List customers, newest first", desc: "A customer token sees only its own customer.",
			query: pageQuery, status: 200, resp: "Customer", list: true}},
		{get, cust, handle(cu.get), false, opDoc{id: "getCustomer", tag: "customers", summary: "Get a customer",
			status: 200, resp: "Customer"}},
		{patch, cust, handle(cu.update), false, opDoc{id: "updateCustomer", tag: "customers", admin: true,
			summary: "Rename a customer", body: "UpdateCustomer", status: 200, resp: "Customer", errors: []int{409}}},
		{del, cust, handle(cu.delete), false, opDoc{id: "deleteCustomer", tag: "customers", admin: true,
			summary: "Delete a customer", desc: "409 FAILED_PRECONDITION while it has integrations.",
			status: 204, errors: []int{409}}},

		{post, ints, handle(in.create), false, opDoc{id: "createIntegration", tag: "integrations",
			summary: "Create an integration",
			desc:    "type must be a READY plugin; config is validated against its schema (400 naming the field). It starts NOT_ACTIVE and UNTESTED. A plugin without Poll accepts and ignores a schedule.",
			body:    "CreateIntegration", status: 201, resp: "Integration", errors: []int{409}}},
		{get, ints, handle(in.list), false, opDoc{id: "listIntegrations", tag: "integrations",
			summary: "List a customer's integrations, newest first", query: pageQuery, status: 200, resp: "Integration", list: true}},
		{get, one, handle(in.get), false, opDoc{id: "getIntegration", tag: "integrations", summary: "Get an integration",
			status: 200, resp: "Integration"}},
		{patch, one, handle(in.update), false, opDoc{id: "updateIntegration", tag: "integrations", summary: "Change an integration",
			desc: "config is merged: a field sent replaces the stored one, null removes it, \"********\" keeps a stored secret. A changed config resets health and re-runs the test at once.",
			body: "UpdateIntegration", status: 200, resp: "Integration", errors: []int{503}}},
		{del, one, handle(in.delete), false, opDoc{id: "deleteIntegration", tag: "integrations",
			summary: "Delete an integration", desc: "Its runs stop; its events and cases stay.", status: 204}},
		{post, one + "/test", handle(in.test), false, opDoc{id: "testIntegration", tag: "integrations",
			summary: "Run the plugin's health check",
			desc:    "Sets health from the verdict (ok false, or a credential or config error, is UNHEALTHY). A test that cannot complete (plugin down, vendor outage, 30 s deadline) is 503/504 and leaves health as it was.",
			body:    "Empty", optionalBody: true, status: 200, resp: "TestResult", errors: []int{503, 504}}},
		{post, one + "/enable", handle(action(in.svc.EnableIntegration)), false, opDoc{id: "enableIntegration", tag: "integrations",
			summary: "Enable: queries run on schedule", desc: "409 FAILED_PRECONDITION unless the last test passed.",
			body: "Empty", optionalBody: true, status: 200, resp: "Integration", errors: []int{409, 503}}},
		{post, one + "/disable", handle(action(in.svc.DisableIntegration)), false, opDoc{id: "disableIntegration", tag: "integrations",
			summary: "Disable: nothing runs", body: "Empty", optionalBody: true, status: 200, resp: "Integration"}},
		{post, one + "/pause", handle(action(in.svc.PauseIntegration)), false, opDoc{id: "pauseIntegration", tag: "integrations",
			summary: "Pause an enabled integration; its cursor is kept", desc: "409 FAILED_PRECONDITION unless enabled.",
			body: "Empty", optionalBody: true, status: 200, resp: "Integration", errors: []int{409}}},
		{post, one + "/resume", handle(action(in.svc.ResumeIntegration)), false, opDoc{id: "resumeIntegration", tag: "integrations",
			summary: "Resume a paused integration where it stopped", desc: "409 FAILED_PRECONDITION unless enabled.",
			body: "Empty", optionalBody: true, status: 200, resp: "Integration", errors: []int{409, 503}}},
		{post, one + "/sync", handle(in.sync), false, opDoc{id: "syncIntegration", tag: "integrations",
			summary: "Run one query now",
			desc:    "Runs now, or as soon as a vendor's rate-limit wait ends. 400 for a kind the plugin lacks; 409 unless the integration is enabled (ACTIVE).",
			body:    "Sync", status: 202, resp: "SyncAccepted", errors: []int{409, 503}}},
		{get, one + "/logs", handle(in.logs), false, opDoc{id: "listLogs", tag: "integrations",
			summary: "Activity log, newest first", query: pageQuery, status: 200, resp: "LogEntry", list: true}},
		{get, one + "/runs", handle(in.runs), false, opDoc{id: "listRuns", tag: "integrations",
			summary: "Query runs, newest first", query: pageQuery, status: 200, resp: "Run", list: true}},
		{get, one + "/stats", handle(in.stats), false, opDoc{id: "integrationStats", tag: "integrations",
			summary: "The API query chart", query: statsQuery, status: 200, resp: "Stats"}},

		{post, "/v1/tokens", handle(tk.create), false, opDoc{id: "createToken", tag: "tokens", admin: true,
			summary: "Create an API token", desc: "The token is shown in this answer only; its SHA-256 hash is stored.",
			body: "CreateToken", status: 201, resp: "CreatedToken", errors: []int{409}}},
		{get, "/v1/tokens", handle(tk.list), false, opDoc{id: "listTokens", tag: "tokens", admin: true,
			summary: "List API tokens, newest first", query: pageQuery, status: 200, resp: "Token", list: true}},
		{del, "/v1/tokens/{token_id}", handle(tk.delete), false, opDoc{id: "deleteToken", tag: "tokens", admin: true,
			summary: "Delete an API token", desc: "409 FAILED_PRECONDITION for the last admin token.", status: 204, errors: []int{409}}},

		{get, "/v1/security-events", handle(ev.list), false, opDoc{id: "listSecurityEvents", tag: "security-events",
			summary: "Search security events, newest first", desc: "A customer token sees only its own customer's events; naming another customer is 403.",
			query: eventQuery, status: 200, resp: "SecurityEvent", list: true}},
		{get, "/v1/security-events/{id}", handle(ev.get), false, opDoc{id: "getSecurityEvent", tag: "security-events",
			summary: "Get a security event", status: 200, resp: "SecurityEvent"}},
	}
}
