package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func str(desc string) obj {
	o := obj{"type": "string"}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

func enum(desc string, vals ...string) obj {
	o := str(desc)
	o["enum"] = vals
	return o
}

func integer(desc string) obj {
	o := obj{"type": "integer"}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

func boolean(desc string) obj {
	o := obj{"type": "boolean"}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

// timeField is a timestamp; unset ones are left out of the object.
func timeField(desc string) obj {
	o := obj{"type": "string", "format": "date-time", "example": "2024-01-01T12:00:00Z"}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

func array(items obj) obj { return obj{"type": "array", "items": items} }

func seconds(desc string) obj {
	o := integer(desc)
	o["minimum"] = 1
	o["maximum"] = 366 * 24 * 3600
	return o
}

// The enums of API.md.
var (
	caseStatusEnum = []string{"UNKNOWN", "NEW", "UNDER_INVESTIGATION", "OPEN", "PENDING", "REPLIED", "PROCESSING", "CLOSED", "ERRORED"}
	levelEnum      = []string{"NOT_VALID", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	iocTypeEnum    = []string{"UNSPECIFIED", "DOMAIN", "IP_ADDRESS", "EMAIL", "HASH"}
	classEnum      = []string{"TRUE_POSITIVE", "BENIGN_POSITIVE", "FALSE_POSITIVE", "UNDETERMINED"}
)

func words(desc string) obj { return array(str(desc)) }

// observableSchemas returns the typed observable, one object per RedCarbon
// observable type told apart by "type", and the schemas of those objects.
func observableSchemas() (obj, obj) {
	one := func(t string, required []string, props obj) obj {
		props["type"] = enum("", t)
		return object(append([]string{"type"}, required...), props)
	}
	types := []struct {
		name, t string
		s       obj
	}{
		{"ObservableUser", "user", one("user", nil, obj{"name": str(""), "email": str(""), "domain": str(""), "user_id": str("")})},
		{"ObservableHost", "host", one("host", nil, obj{"hostname": str(""), "ip": str("An IPv4 or IPv6 address."), "os": str(""), "mac": str("")})},
		{"ObservableIP", "ip", one("ip", []string{"address"}, obj{"address": str("An IPv4 or IPv6 address.")})},
		{"ObservableDomain", "domain", one("domain", []string{"name"}, obj{"name": str("A DNS name.")})},
		{"ObservableFile", "file", one("file", nil, obj{"name": str(""), "path": str(""), "md5": str("32 hex digits."),
			"sha1": str("40 hex digits."), "sha256": str("64 hex digits."), "size": obj{"type": "integer", "minimum": 0}})},
		{"ObservableEmail", "email", one("email", []string{"address"}, obj{"address": str(""), "display_name": str("")})},
		{"ObservableNetworkTraffic", "network_traffic", one("network_traffic", nil, obj{"src_ip": str(""), "src_port": obj{"type": "integer", "minimum": 0, "maximum": 65535},
			"dst_ip": str(""), "dst_port": obj{"type": "integer", "minimum": 0, "maximum": 65535}, "protocol": str("")})},
	}
	var refs []obj
	mapping, named := obj{}, obj{}
	for _, t := range types {
		named[t.name] = t.s
		refs = append(refs, ref(t.name))
		mapping[t.t] = "#/components/schemas/" + t.name
	}
	return obj{"oneOf": refs, "discriminator": obj{"propertyName": "type", "mapping": mapping},
		"description": "Typed by `type`, with the fields of the RedCarbon observable of that type (User, Host, IP, Domain, File, EmailAddress, NetworkTraffic) and no others. Fields left empty are left out."}, named
}

// caseSchemas are the schemas of cases, notes, comments, reports, the
// mirror and IOCs.
func caseSchemas() obj {
	annotation := object([]string{"name", "url"}, obj{
		"name": str(""),
		"url":  object([]string{"url", "label"}, obj{"url": str("An absolute http or https URL, or \"\"."), "label": str("")}),
	})
	annotations := object([]string{"annotations"}, obj{
		"annotations": obj{"type": "object", "additionalProperties": ref("Annotation"), "description": "Named links by key (at most 50)."},
	})
	annotationInput := object(nil, obj{
		"name": str(""),
		"url":  object(nil, obj{"url": str("An absolute http or https URL, or \"\"."), "label": str("")}),
	})
	annotationsInput := object(nil, obj{
		"annotations": obj{"type": "object", "additionalProperties": annotationInput, "description": "Named links by key (at most 50); replaces the stored ones."},
	})
	caseFields := obj{
		"title":                str("1 to 1000 characters."),
		"description":          str("Up to 64 KiB."),
		"category":             str(""),
		"severity":             ref("SeverityInput"),
		"tier":                 obj{"type": "integer", "minimum": 0, "maximum": 10},
		"spent_time_min":       obj{"type": "integer", "minimum": 0},
		"tags":                 words("At most 100, each up to 200 characters; duplicates are dropped."),
		"subscribers":          words(""),
		"mitre":                words(""),
		"parent_id":            str("A case of the same customer; \"\" for none."),
		"annotations":          annotationsInput,
		"assigned_to":          str("\"\" for nobody."),
		"first_classification": str(""),
	}
	create := obj{"customer_id": str("Required with an admin token; a customer token may leave it out."),
		"security_event_id": str("An event of the same customer.")}
	for k, v := range caseFields {
		create[k] = v
	}
	update := obj{"status": enum("Not CLOSED (use .../close) nor UNKNOWN. From CLOSED only OPEN (reopen).", caseStatusEnum...)}
	for k, v := range caseFields {
		if k != "assigned_to" && k != "first_classification" {
			update[k] = v
		}
	}
	note := object([]string{"id", "author", "text", "created_at"}, obj{
		"id": str("Pass as `to` to pin the list."), "author": str("The name of the token that wrote it."),
		"text": str(""), "created_at": timeField(""),
	})
	return obj{
		"SeverityInput": object(nil, obj{
			"value": obj{"type": "integer", "minimum": 0, "maximum": 100, "description": "The level follows from it."},
			"level": enum("Any letter case. Alone, it sets the value to 0, 20, 50, 80 or 95; with value, it must be the value's level.", levelEnum...),
		}),
		"Annotation":  annotation,
		"Annotations": annotations,
		"Case": object([]string{"case_id", "customer_id", "tier", "assigned_to", "created_at", "updated_at", "status", "parent_id",
			"close_notes", "description", "title", "closed_by", "severity", "security_event_id", "first_classification", "spent_time_min",
			"tags", "origin", "final_classification", "subscribers", "mitre", "category", "security_event", "annotations"}, obj{
			"case_id": str(""), "customer_id": str(""), "tier": integer("0 for none."), "assigned_to": str("\"\" when nobody."),
			"created_at": timeField(""), "updated_at": timeField(""), "closed_at": timeField("Left out unless CLOSED."),
			"status":    enum("", caseStatusEnum...),
			"parent_id": str(""), "close_notes": str(""), "description": str(""), "title": str(""),
			"closed_by":            str("The name of the token that closed it."),
			"severity":             ref("Severity"),
			"security_event_id":    str("The event that opened the case, \"\" for a case opened by hand without one."),
			"first_classification": str("The event's classification type."),
			"spent_time_min":       integer(""),
			"tags":                 words(""),
			"origin":               str("The event's origin; \"api\" for a case opened by hand without an event."),
			"final_classification": obj{"type": "string", "enum": append(append([]string{}, classEnum...), ""), "description": "Set by a close; \"\" until then."},
			"subscribers":          words(""),
			"mitre":                words(""),
			"category":             str(""),
			"security_event":       object([]string{"security_event_id", "original_id"}, obj{"security_event_id": str(""), "original_id": str("")}),
			"annotations":          ref("Annotations"),
		}),
		"CreateCase": object([]string{"title"}, create),
		"UpdateCase": object(nil, update),
		"Assign":     object([]string{"assigned_to"}, obj{"assigned_to": str("\"\" unassigns.")}),
		"Close": object(nil, obj{
			"close_notes":          str("Up to 64 KiB."),
			"final_classification": enum("Any letter case; default UNDETERMINED.", classEnum...),
		}),
		"CaseSearch": object(nil, obj{
			"skip":        obj{"type": "integer", "minimum": 0},
			"take":        obj{"type": "integer", "minimum": 0, "maximum": MaxTake, "description": "Without it the answer is only {\"total\": N}."},
			"status":      array(enum("", caseStatusEnum...)),
			"severity":    array(enum("", levelEnum...)),
			"customer_id": str("A customer token may name only its own."),
			"assigned_to": str(""),
			"text":        str("Case-insensitive substring of the title or description."),
			"from":        timeField("created_at at or after this time."),
			"to":          str("created_at before this time (RFC 3339); a value that is not a time is the id of a case and pins a growing list."),
		}),
		"Text":    object([]string{"text"}, obj{"text": str("Up to 64 KiB; not blank.")}),
		"Note":    note,
		"Comment": note,
		"Report": object([]string{"report_id", "case_id", "created_at"}, obj{
			"report_id": str("Its page is /v1/reports/{report_id}/html."), "case_id": str(""), "created_at": timeField(""),
		}),
		"MirrorItem": object([]string{"id", "case_id", "integration_id", "change", "state", "attempts", "error", "created_at", "updated_at"}, obj{
			"id": str("Also the change id, the idempotency key the plugin sees."), "case_id": str(""), "integration_id": str(""),
			"change": object([]string{"kind", "author"}, obj{
				"kind":   enum("", "status", "assign", "close", "comment"),
				"status": str(""), "assigned_to": str(""), "close_notes": str(""),
				"final_classification": enum("", classEnum...), "comment": str(""), "author": str(""),
			}),
			"state":    enum("", "PENDING", "DELIVERED", "FAILED"),
			"attempts": integer(""), "error": str("The last attempt's error."),
			"next_at":    timeField("When a PENDING delivery is tried next; left out otherwise."),
			"created_at": timeField(""), "updated_at": timeField(""),
		}),
		"IOCInput": object([]string{"indicator"}, obj{
			"indicator":  str("Must match its type."),
			"type":       enum("Any letter case; default UNSPECIFIED.", iocTypeEnum...),
			"expires_at": timeField("Left out: never expires."),
		}),
		"CreateIOC": object([]string{"indicator", "type"}, obj{
			"customer_id": str("Optional: also list the indicator among this customer's IOCs, which its customer tokens see. An unknown customer is 400."),
			"indicator":   str("Must match its type: an IP_ADDRESS parses, a DOMAIN is a DNS name, an EMAIL has the shape of one, a HASH is an MD5, SHA-1, SHA-256 or SHA-512 in hex."),
			"type":        enum("Any letter case.", iocTypeEnum...),
			"expires_at":  timeField("Left out: never expires."),
		}),
		"CreateSecurityEvent": object([]string{"title", "severity"}, obj{
			"customer_id":        str("Required with an admin token; a customer token may leave it out."),
			"integration_id":     str("One of the customer's integrations, optional."),
			"origin":             str("Default: the integration's type, else \"api\"."),
			"original_id":        str("The source's id: with it the event is unique on (customer_id, origin, original_id)."),
			"title":              str("1 to 1000 characters."),
			"description":        str("Up to 64 KiB."),
			"security_event_url": str("An absolute http or https URL."),
			"classification":     object(nil, obj{"type": str(""), "subtype": str(""), "vendor": str("")}),
			"detection_time":     timeField("Default: now."),
			"creation_time":      timeField(""),
			"update_time":        timeField(""),
			"mitre_tags":         words(""),
			"actions":            words(""),
			"detection_engines":  words(""),
			"severity":           ref("SeverityInput"),
			"observables":        array(ref("Observable")),
			"iocs":               array(ref("IOCInput")),
		}),
	}
}

func schemas() obj {
	schedule := func(required bool) obj {
		props := obj{
			"new_interval_s":        seconds("Interval of the new query (default 60)."),
			"lost_found_interval_s": seconds("Interval of the lost-found query (default 900)."),
			"lost_found_lookback_s": seconds("Window the lost-found query re-reads (default 3600)."),
			"fallback_interval_s":   seconds("Interval of the fallback query (default 21600)."),
			"fallback_lookback_s":   seconds("Window of the fallback query (default 86400)."),
			"initial_lookback_s":    seconds("How far back the very first poll, from an empty cursor, starts (default 86400)."),
		}
		var req []string
		if required {
			for k := range props {
				req = append(req, k)
			}
		}
		return object(req, props)
	}
	config := obj{"type": "object", "additionalProperties": true,
		"description": "Fields of the plugin's config_schema. Secret fields read as \"********\"."}
	observable, observableTypes := observableSchemas()
	out := obj{
		"Error": object([]string{"code", "message"}, obj{
			"code": enum("", CodeInvalidArgument, CodeUnauthenticated, CodePermissionDenied, CodeNotFound,
				CodeFailedPrecondition, CodeAlreadyExists, CodeUnavailable, CodeInternal),
			"message": str("What went wrong, for a person; names the offending field."),
		}),
		"Health": object([]string{"status"}, obj{"status": enum("", "ok")}),
		"Empty":  object(nil, obj{}),
		"ConfigField": object([]string{"name", "type", "required", "secret", "default", "help", "enum"}, obj{
			"name":     str(""),
			"type":     enum("", "string", "int", "bool", "url", "enum", "secret"),
			"required": boolean(""),
			"secret":   boolean("Sealed at rest and never shown back."),
			"default":  obj{"description": "A value of the field's type, or null.", "nullable": true},
			"help":     str(""),
			"enum":     array(str("")),
		}),
		"Plugin": object([]string{"name", "version", "vendor", "category", "capabilities", "config_schema", "sha256", "path", "state"}, obj{
			"name":          str("The binary's suffix (outpost-plugin-<name>): the integration type."),
			"version":       str(""),
			"vendor":        str(""),
			"category":      enum("", "security", "communication", "monitoring", "cloud", "authentication"),
			"capabilities":  array(enum("", "poll", "lost_found", "fallback", "mirror")),
			"config_schema": object([]string{"fields"}, obj{"fields": array(ref("ConfigField"))}),
			"sha256":        str(""),
			"path":          str(""),
			"state":         enum("", "READY", "FAILED"),
			"error":         str("Why the plugin is FAILED; left out when READY."),
		}),
		"Customer": object([]string{"customer_id", "name", "created_at"}, obj{
			"customer_id": str(""), "name": str(""), "created_at": timeField(""),
		}),
		"CreateCustomer": object([]string{"name"}, obj{"name": str("1 to 200 characters.")}),
		"UpdateCustomer": object(nil, obj{"name": str("1 to 200 characters.")}),
		"Schedule":       schedule(true),
		"ScheduleInput":  schedule(false),
		"Integration": object([]string{"integration_id", "customer_id", "type", "name", "category", "config", "schedule",
			"mirroring", "status", "health", "health_message", "connection", "last_error", "created_at", "updated_at"}, obj{
			"integration_id": str(""),
			"customer_id":    str(""),
			"type":           str("The plugin's name."),
			"name":           str(""),
			"category":       str("The plugin's category."),
			"config":         config,
			"schedule":       obj{"allOf": []obj{ref("Schedule")}, "nullable": true, "description": "null for a plugin that runs no queries."},
			"mirroring":      boolean(""),
			"status":         enum("", "NOT_ACTIVE", "ACTIVE", "INGESTING", "PAUSED"),
			"health":         enum("", "UNTESTED", "HEALTHY", "UNHEALTHY"),
			"health_message": str(""),
			"last_tested_at": timeField("Left out until a test ran."),
			"connection": enum("ERROR if UNHEALTHY; CONNECTED if ACTIVE or INGESTING and HEALTHY; PENDING if NOT_ACTIVE and never enabled (or enabled and not yet re-tested); DISCONNECTED if PAUSED, or NOT_ACTIVE after having been enabled.",
				"ERROR", "CONNECTED", "PENDING", "DISCONNECTED"),
			"last_run_at":     timeField("Left out until a query ran."),
			"last_success_at": timeField("Left out until a query succeeded."),
			"last_error":      str(""),
			"created_at":      timeField(""),
			"updated_at":      timeField(""),
		}),
		"CreateIntegration": object([]string{"type", "name"}, obj{
			"type":      str("The name of a READY plugin."),
			"name":      str("1 to 200 characters."),
			"config":    config,
			"schedule":  ref("ScheduleInput"),
			"mirroring": boolean("Write case changes back to the vendor (plugins with mirror)."),
		}),
		"UpdateIntegration": object(nil, obj{
			"type":      str("May be sent unchanged; the type cannot change."),
			"name":      str(""),
			"config":    obj{"type": "object", "additionalProperties": true, "description": "Merged onto the stored config: null removes a field, \"********\" keeps a stored secret."},
			"schedule":  ref("ScheduleInput"),
			"mirroring": boolean(""),
		}),
		"TestResult": object([]string{"ok", "message", "details", "checked_at"}, obj{
			"ok":         boolean(""),
			"message":    str(""),
			"details":    obj{"type": "object", "additionalProperties": str(""), "description": "What was verified, e.g. {\"permission:alerts.read\": \"ok\"}."},
			"checked_at": timeField(""),
		}),
		"Sync":         object([]string{"kind"}, obj{"kind": enum("", "new", "lost_found", "fallback")}),
		"SyncAccepted": object([]string{"integration_id", "kind"}, obj{"integration_id": str(""), "kind": enum("", "new", "lost_found", "fallback")}),
		"LogEntry": object([]string{"id", "time", "level", "kind", "actor", "message"}, obj{
			"id": str("Pass as `to` to pin the list."), "time": timeField(""),
			"level": enum("", "info", "warning", "error"), "kind": enum("", "action", "health", "query"),
			"actor": str("The acting token's name, or system."), "message": str(""),
		}),
		"Run": object([]string{"run_id", "kind", "started_at", "fetched", "stored", "duplicates", "updated", "error"}, obj{
			"run_id": str(""), "kind": enum("", "new", "lost_found", "fallback"),
			"started_at": timeField(""), "finished_at": timeField(""),
			"fetched": integer(""), "stored": integer(""), "duplicates": integer(""), "updated": integer(""), "error": str(""),
		}),
		"Bucket": object([]string{"start", "new", "lost_found", "fallback", "events", "errors"}, obj{
			"start": timeField(""), "new": integer("Queries of kind new."), "lost_found": integer("Queries of kind lost_found."),
			"fallback": integer("Queries of kind fallback."), "events": integer("Events stored."), "errors": integer("Queries that failed."),
		}),
		"Stats": object([]string{"buckets"}, obj{"buckets": array(ref("Bucket"))}),
		"Token": object([]string{"token_id", "name", "role", "customer_id", "created_at"}, obj{
			"token_id": str(""), "name": str(""), "role": enum("", "admin", "customer"),
			"customer_id": str("Empty for an admin token."), "created_at": timeField(""),
		}),
		"CreatedToken": obj{"allOf": []obj{ref("Token"), object([]string{"token"}, obj{"token": str("Shown this once.")})}},
		"CreateToken": object([]string{"name", "role"}, obj{
			"name": str(""), "role": enum("", "admin", "customer"), "customer_id": str("Required for a customer token, refused for an admin one."),
		}),
		"Severity": object([]string{"value", "level"}, obj{
			"value": obj{"type": "integer", "minimum": 0, "maximum": 100},
			"level": enum("0 NOT_VALID, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL.", "NOT_VALID", "LOW", "MEDIUM", "HIGH", "CRITICAL"),
		}),
		"Observable": observable,
		"IOC": object([]string{"indicator", "type", "created_at"}, obj{
			"indicator": str(""), "type": enum("", "UNSPECIFIED", "DOMAIN", "IP_ADDRESS", "EMAIL", "HASH"),
			"created_at": timeField(""), "expires_at": timeField("Left out when it never expires."),
		}),
		"SecurityEvent": object([]string{"id", "original_id", "customer_id", "integration_id", "origin", "classification",
			"description", "mitre_tags", "title", "actions", "detection_engines", "severity", "observables", "iocs"}, obj{
			"id": str(""), "original_id": str(""), "customer_id": str(""), "integration_id": str(""),
			"origin": str("The integration type for ingested events."),
			"classification": object([]string{"type", "subtype", "vendor"}, obj{
				"type": str(""), "subtype": str(""), "vendor": str(""),
			}),
			"security_event_url":    str("Left out when unset."),
			"description":           str(""),
			"detection_time":        timeField(""),
			"creation_time":         timeField(""),
			"update_time":           timeField(""),
			"ingested_time":         timeField(""),
			"ingested_updated_time": timeField("Set when a newer vendor version updated the event."),
			"mitre_tags":            array(str("")),
			"title":                 str(""),
			"actions":               array(str("")),
			"detection_engines":     array(str("")),
			"severity":              ref("Severity"),
			"observables":           array(ref("Observable")),
			"iocs":                  array(ref("IOC")),
		}),
	}
	for k, v := range caseSchemas() {
		out[k] = v
	}
	for k, v := range observableTypes {
		out[k] = v
	}
	return out
}

const apiDescription = `Outpost's REST API.

Authentication: every /v1 route but GET /v1/openapi.json needs ` + "`Authorization: ApiToken <token>`" + `. A customer token sees and changes only its own customer's data: anything else is 403, or 404 where existence must not leak (a foreign id answers 404).

Rate limit: a token bucket per token (default 10 per second, burst 10). Over it: 429 UNAVAILABLE with Retry-After in whole seconds (at least 1).

Errors: {"code","message"}; 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND (an unknown path or id), 405 for a method a path lacks, 409 FAILED_PRECONDITION or ALREADY_EXISTS, 429/502/503/504 UNAVAILABLE, 500 INTERNAL.

Request bodies: one JSON value of at most 1 MiB; unknown fields and wrong types are 400. Unknown query parameters are 400.

Lists: skip and take (at most 500; negative is 400). Without take the answer is only {"total": N}; with it {"total": N, "items": [...]}. Items are newest first, ties broken by id (plugins by name); pass ` + "`to`" + ` (an item's id) to page a growing list.

Time: every timestamp is RFC 3339 in UTC with a Z suffix, to the second (2024-01-01T12:00:00Z). A timestamp that is not set (never tested, never run, never expires) is left out of its object, never null.`

var statusText = map[int]string{
	400: "Bad input (INVALID_ARGUMENT).",
	401: "Missing or unknown token (UNAUTHENTICATED).",
	403: "The token may not do this (PERMISSION_DENIED).",
	404: "No such path or id, or one the token may not see (NOT_FOUND).",
	409: "FAILED_PRECONDITION or ALREADY_EXISTS.",
	429: "Rate limited (UNAVAILABLE); see Retry-After.",
	500: "INTERNAL.",
	503: "A plugin or the host is not available (UNAVAILABLE).",
	504: "A call did not complete in time (UNAVAILABLE).",
}

func jsonContent(schema obj) obj {
	return obj{"application/json": obj{"schema": schema}}
}

func listSchema(item string) obj {
	return obj{"type": "object", "required": []string{"total"}, "properties": obj{
		"total": integer("Items in the whole list."),
		"items": obj{"type": "array", "items": ref(item), "description": "Present only when take was given."},
	}}
}

func operation(r routeDef) obj {
	d := r.doc
	op := obj{"operationId": d.id, "summary": d.summary, "tags": []string{d.tag}}
	desc := d.desc
	if d.admin {
		desc = strings.TrimSpace("Admin token only. " + desc)
	}
	if desc != "" {
		op["description"] = desc
	}
	var params []obj
	for _, m := range paramRE.FindAllStringSubmatch(r.path, -1) {
		params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": str("")})
	}
	for _, q := range d.query {
		params = append(params, obj{"name": q.name, "in": "query", "required": false, "description": q.desc, "schema": q.schema})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if d.body != "" {
		op["requestBody"] = obj{"required": !d.optionalBody, "content": jsonContent(ref(d.body))}
	}
	ok := obj{"description": http.StatusText(d.status)}
	switch {
	case d.raw != "":
		ok["content"] = obj{d.raw: obj{"schema": obj{"type": "string"}}}
	case d.list:
		ok["content"] = jsonContent(listSchema(d.resp))
	case d.resp != "":
		ok["content"] = jsonContent(ref(d.resp))
	}
	responses := obj{strconv.Itoa(d.status): ok}
	if d.alt != 0 {
		alt := obj{"description": d.altDesc}
		for k, v := range ok {
			if k != "description" {
				alt[k] = v
			}
		}
		responses[strconv.Itoa(d.alt)] = alt
	}
	codes := append([]int{}, d.errors...)
	if !r.open {
		op["security"] = []obj{{"ApiToken": []string{}}}
		codes = append(codes, 401, 429, 500)
		if d.body != "" || len(d.query) > 0 || r.path == "/v1/backup" {
			codes = append(codes, 400)
		}
		if d.admin {
			codes = append(codes, 403)
		}
		if strings.Contains(r.path, "{") {
			codes = append(codes, 404)
		}
	} else {
		op["security"] = []obj{}
	}
	for _, c := range codes {
		responses[strconv.Itoa(c)] = obj{"description": statusText[c], "content": jsonContent(ref("Error"))}
	}
	op["responses"] = responses
	return op
}

// openAPI writes the OpenAPI 3 document of routes.
func openAPI(routes []routeDef) []byte {
	paths := obj{}
	for _, r := range routes {
		item, _ := paths[r.path].(obj)
		if item == nil {
			item = obj{}
			paths[r.path] = item
		}
		item[strings.ToLower(r.method)] = operation(r)
	}
	doc := obj{
		"openapi": "3.0.3",
		"info":    obj{"title": "Outpost", "version": "1.0.0", "description": apiDescription},
		"servers": []obj{{"url": "/"}},
		"tags": []obj{
			{"name": "plugins"}, {"name": "customers"}, {"name": "integrations"},
			{"name": "tokens"}, {"name": "security-events"}, {"name": "cases"}, {"name": "reports"},
			{"name": "iocs"}, {"name": "operations"},
		},
		"paths": paths,
		"components": obj{
			"securitySchemes": obj{"ApiToken": obj{"type": "apiKey", "in": "header", "name": "Authorization",
				"description": "The header's value is `ApiToken <token>`."}},
			"schemas": schemas(),
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		// Only maps, slices and strings above: this cannot fail.
		panic("api: encoding the OpenAPI document: " + err.Error())
	}
	return b
}
