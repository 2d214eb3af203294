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
	// alt is a second success status with the same answer (200 for a
	// repeated create that updated), described by altDesc.
	alt     int
	altDesc string
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
	caseQuery = []paramDoc{
		{"status", "Only cases of these statuses: comma separated, or the parameter repeated.", map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": caseStatusEnum}}},
		{"severity", "Only cases of these severity levels: comma separated, or the parameter repeated.", map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": levelEnum}}},
		{"customer_id", "Only this customer's cases (a customer token may name only its own).", map[string]any{"type": "string"}},
		{"assigned_to", "Only cases assigned to this name.", map[string]any{"type": "string"}},
		{"text", "Case-insensitive substring of the title or description.", map[string]any{"type": "string"}},
		{"from", "created_at at or after this time (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		{"to", "created_at before this time (RFC 3339). A value that is not a time is the id of a case and pins a growing list, as `to` does on other lists.", map[string]any{"type": "string"}},
		pageQuery[0], pageQuery[1],
	}
	iocQuery = []paramDoc{
		{"type", "Only IOCs of this type.", map[string]any{"type": "string", "enum": iocTypeEnum}},
		{"include_expired", "Also list IOCs past their expires_at (default false).", map[string]any{"type": "boolean"}},
		pageQuery[0], pageQuery[1],
		{"to", "An indicator: the list is pinned to it and the IOCs first seen before it.", map[string]any{"type": "string"}},
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
	cs := &caseHandler{svc: svc}
	rp := &reportHandler{svc: svc}
	io := &iocHandler{svc: svc}
	const (
		cust = "/v1/customers/{customer_id}"
		ints = cust + "/integrations"
		one  = ints + "/{integration_id}"
		kase = "/v1/cases/{case_id}"
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
			summary: "Delete a customer", desc: "409 FAILED_PRECONDITION while it has integrations, security events or cases: nothing is left without its customer.",
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
			summary: "Get a security event", desc: "With its observables and IOCs. The Link header (rel=\"case\") points to the case it opened.",
			status: 200, resp: "SecurityEvent"}},
		{post, "/v1/security-events", handle(ev.create), false, opDoc{id: "createSecurityEvent", tag: "security-events",
			summary: "Create a security event, or update it",
			desc:    "A new event opens a NEW case, as an ingested one does (201; the Link header, rel=\"case\", points to the case). An event with an original_id is unique on (customer_id, origin, original_id): a repeat replaces the stored event's fields, keeping its id, case and ingested_time and setting ingested_updated_time (200). A customer token creates events only for its own customer (customer_id may be left out); naming another is 403. An unknown customer_id or integration_id is 404.",
			body:    "CreateSecurityEvent", status: 201, resp: "SecurityEvent", alt: 200, altDesc: "A repeat (same customer_id, origin and original_id) updated the stored event.",
			errors: []int{403, 404}}},

		{get, "/v1/cases", handle(cs.list), false, opDoc{id: "listCases", tag: "cases",
			summary: "Search cases, newest first", desc: "The filters of POST /v1/cases/search as query parameters. A customer token sees only its own customer's cases; naming another customer is 403.",
			query: caseQuery, status: 200, resp: "Case", list: true, errors: []int{403}}},
		{post, "/v1/cases", handle(cs.create), false, opDoc{id: "createCase", tag: "cases",
			summary: "Open a case by hand",
			desc:    "It starts NEW. With security_event_id (an event of the same customer) the case refers to that event, and title, description, severity, mitre, origin and first_classification default to the event's. A customer token opens cases only for its own customer (customer_id may be left out); naming another is 403. An unknown customer_id, security_event_id or parent_id is 404.",
			body:    "CreateCase", status: 201, resp: "Case", errors: []int{403, 404}}},
		{post, "/v1/cases/search", handle(cs.search), false, opDoc{id: "searchCases", tag: "cases",
			summary: "Search cases, newest first",
			desc:    "All filters are optional and must all hold. A customer token searches only its own customer's cases; naming another customer is 403.",
			body:    "CaseSearch", optionalBody: true, status: 200, resp: "Case", list: true, errors: []int{403}}},
		{get, kase, handle(cs.get), false, opDoc{id: "getCase", tag: "cases", summary: "Get a case", status: 200, resp: "Case"}},
		{patch, kase, handle(cs.update), false, opDoc{id: "updateCase", tag: "cases", summary: "Change a case",
			desc: "Fields left out (or null) stay as they are; a list sent replaces the stored one. status may not be set to CLOSED (use .../close) or UNKNOWN (400). A CLOSED case changes only by a reopen, {\"status\": \"OPEN\"} (with or without other fields), which clears closed_at, closed_by and final_classification (the history keeps them); anything else on a CLOSED case is 409 FAILED_PRECONDITION. A status change is mirrored when the case's integration mirrors. A request that changes nothing writes nothing.",
			body: "UpdateCase", status: 200, resp: "Case", errors: []int{409}}},
		{post, kase + "/assign", handle(cs.assign), false, opDoc{id: "assignCase", tag: "cases", summary: "Assign a case",
			desc: "\"\" unassigns. Mirrored when the case's integration mirrors. A CLOSED case is 409 FAILED_PRECONDITION.",
			body: "Assign", status: 200, resp: "Case", errors: []int{409}}},
		{post, kase + "/close", handle(cs.close), false, opDoc{id: "closeCase", tag: "cases", summary: "Close a case",
			desc: "Sets status CLOSED, close_notes, final_classification (any letter case; default UNDETERMINED), closed_at (now) and closed_by (the token's name). Mirrored when the case's integration mirrors. Closing a CLOSED case is 409 FAILED_PRECONDITION.",
			body: "Close", optionalBody: true, status: 200, resp: "Case", errors: []int{409}}},
		{post, kase + "/notes", handle(cs.addNote), false, opDoc{id: "addNote", tag: "cases", summary: "Add a note",
			desc: "Closed cases take notes too. The author is the token's name. Notes are never mirrored.",
			body: "Text", status: 201, resp: "Note"}},
		{get, kase + "/notes", handle(cs.listNotes), false, opDoc{id: "listNotes", tag: "cases", summary: "A case's notes, newest first",
			query: pageQuery, status: 200, resp: "Note", list: true}},
		{post, kase + "/comments", handle(cs.addComment), false, opDoc{id: "addComment", tag: "cases", summary: "Add a comment",
			desc: "Closed cases take comments too. The author is the token's name. When the case's integration mirrors, the comment is queued for the vendor (see .../mirror).",
			body: "Text", status: 201, resp: "Comment"}},
		{get, kase + "/comments", handle(cs.listComments), false, opDoc{id: "listComments", tag: "cases", summary: "A case's comments, newest first",
			query: pageQuery, status: 200, resp: "Comment", list: true}},
		{get, kase + "/mirror", handle(cs.mirror), false, opDoc{id: "listMirror", tag: "cases", summary: "A case's mirror deliveries, newest first",
			desc:  "Each status change, assignment, close and comment queued for the vendor while the case's integration mirrors, and its delivery state: PENDING (next try at next_at), DELIVERED or FAILED (given up).",
			query: pageQuery, status: 200, resp: "MirrorItem", list: true}},
		{post, kase + "/reports", handle(rp.create), false, opDoc{id: "createReport", tag: "reports", summary: "Make a report of a case",
			desc: "Renders the case as it is now (its fields, event, observables, IOCs, and a timeline of its changes, notes and comments) into one self-contained HTML page, kept at /v1/reports/{report_id}/html.",
			body: "Empty", optionalBody: true, status: 201, resp: "Report"}},
		{get, kase + "/reports", handle(rp.list), false, opDoc{id: "listReports", tag: "reports", summary: "A case's reports, newest first",
			query: pageQuery, status: 200, resp: "Report", list: true}},
		{get, "/v1/reports/{report_id}/html", handle(rp.html), false, opDoc{id: "getReportHTML", tag: "reports", summary: "A report's page",
			desc:   "One HTML page with inline styles and no external assets; served with a Content-Security-Policy that allows nothing else.",
			status: 200, raw: "text/html"}},

		{get, "/v1/iocs", handle(io.list), false, opDoc{id: "listIOCs", tag: "iocs",
			summary: "List IOCs, newest first (by first sight)",
			desc:    "An admin token lists every IOC. A customer token lists only its own customer's: the indicators its events named (ingested or created through the API) and those an admin recorded for it; created_at is the first sight by anyone. IOCs past their expires_at are left out unless include_expired=true.",
			query:   iocQuery, status: 200, resp: "IOC", list: true}},
		{post, "/v1/iocs", handle(io.create), false, opDoc{id: "createIOC", tag: "iocs", admin: true,
			summary: "Record an IOC", desc: "A new indicator is 201; a known one has its type and expires_at replaced (200). With customer_id it is also listed among that customer's IOCs. The indicator must match its type (an IP_ADDRESS parses, a HASH is an MD5, SHA-1, SHA-256 or SHA-512 in hex, ...).",
			body: "CreateIOC", status: 201, resp: "IOC", alt: 200, altDesc: "The indicator was known: its type and expires_at were replaced."}},
		{get, "/v1/iocs/{indicator}", handle(io.get), false, opDoc{id: "getIOC", tag: "iocs",
			summary: "Get an IOC", desc: "Expired ones too. A customer token gets only its own customer's IOCs (see listIOCs): any other indicator is 404, known or not. Escape the indicator for a path segment (a / as %2F).", status: 200, resp: "IOC"}},
	}
}
