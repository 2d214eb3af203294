package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// lastSegment is the id at the end of a path.
func lastSegment(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// ingest commits one event of an integration, as a query run does, at
// the given time, and returns the ids of the event and of the case it
// opened.
func ingest(t testing.TB, e *env, integrationID, originalID string, severity int, at time.Time, obs ...sdk.Observable) (string, string) {
	t.Helper()
	res, err := e.db.Commit(context.Background(), store.CommitRequest{
		IntegrationID: integrationID, Kind: "new", Now: at,
		Events: []sdk.Event{{
			OriginalID: originalID, Title: "alert " + originalID, Description: "seen on host-" + originalID,
			DetectionTime: at.Add(-time.Minute), Severity: severity, MitreTags: []string{"T1078"},
			Classification: sdk.Classification{Type: "identity", Vendor: "Hello"},
			Observables:    obs,
			IOCs:           []sdk.IOC{{Indicator: "198.51.100." + originalID[len(originalID)-1:], Type: sdk.IOCIPAddress}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.EventIDs) != 1 || len(res.CaseIDs) != 1 {
		t.Fatalf("commit %+v", res)
	}
	return res.EventIDs[0], res.CaseIDs[0]
}

func fullEvent(customerID string) map[string]any {
	return map[string]any{
		"customer_id": customerID, "origin": "siem", "original_id": "siem-1",
		"title": "Brute force", "description": "Many failed logins",
		"classification":     map[string]any{"type": "credential-access", "subtype": "brute-force", "vendor": "Acme SIEM"},
		"security_event_url": "https://siem.example/alerts/1",
		"detection_time":     "2024-05-01T10:00:00+02:00", "creation_time": "2024-05-01T08:01:00Z",
		"mitre_tags": []string{"T1110"}, "actions": []string{"alerted"}, "detection_engines": []string{"rules"},
		"severity": map[string]any{"value": 75},
		"observables": []any{
			map[string]any{"type": "user", "name": "alice", "email": "alice@example.com"},
			map[string]any{"type": "host", "hostname": "ws-1", "ip": "10.0.0.5"},
			map[string]any{"type": "ip", "address": "203.0.113.9"},
			map[string]any{"type": "domain", "name": "evil.example"},
			map[string]any{"type": "file", "name": "x.exe", "sha256": strings.Repeat("ab", 32), "size": 10},
			map[string]any{"type": "email", "address": "boss@evil.example", "display_name": "Boss"},
			map[string]any{"type": "network_traffic", "src_ip": "10.0.0.5", "dst_ip": "203.0.113.9", "dst_port": 22, "protocol": "tcp"},
		},
		"iocs": []any{
			map[string]any{"indicator": "203.0.113.9", "type": "IP_ADDRESS"},
			map[string]any{"indicator": "evil.example", "type": "domain", "expires_at": "2099-01-01T00:00:00Z"},
		},
	}
}

func TestCreateSecurityEvent(t *testing.T) {
	e := newEnv(t)
	a := e.customer("Alpha")
	r := e.do("POST", "/v1/security-events", e.admin, fullEvent(a)).want(201)
	ev := r.json()
	id := ev["id"].(string)
	if r.Header.Get("Location") != "/v1/security-events/"+id {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	link := r.Header.Get("Link")
	if !strings.HasPrefix(link, "</v1/cases/") || !strings.HasSuffix(link, `>; rel="case"`) {
		t.Fatalf("Link %q", link)
	}
	caseID := strings.TrimSuffix(strings.TrimPrefix(link, "</v1/cases/"), `>; rel="case"`)
	for k, want := range map[string]any{
		"customer_id": a, "origin": "siem", "original_id": "siem-1", "title": "Brute force", "integration_id": "",
		"detection_time": "2024-05-01T08:00:00Z", "creation_time": "2024-05-01T08:01:00Z",
		"security_event_url": "https://siem.example/alerts/1",
	} {
		if ev[k] != want {
			t.Errorf("%s = %v, want %v", k, ev[k], want)
		}
	}
	if sev := ev["severity"].(map[string]any); sev["value"] != 75.0 || sev["level"] != "HIGH" {
		t.Errorf("severity %v", sev)
	}
	for _, k := range []string{"update_time", "ingested_updated_time"} {
		if _, ok := ev[k]; ok {
			t.Errorf("unset %s is in the object", k)
		}
	}
	if _, ok := ev["ingested_time"]; !ok {
		t.Error("no ingested_time")
	}
	if obs := ev["observables"].([]any); len(obs) != 7 || obs[6].(map[string]any)["dst_port"] != 22.0 {
		t.Errorf("observables %v", obs)
	}
	iocs := ev["iocs"].([]any)
	if len(iocs) != 2 || iocs[1].(map[string]any)["type"] != "DOMAIN" || iocs[1].(map[string]any)["expires_at"] != "2099-01-01T00:00:00Z" {
		t.Errorf("iocs %v", iocs)
	}
	// GET shows the same event, and its case was opened from it.
	got := e.do("GET", "/v1/security-events/"+id, e.admin, nil).want(200)
	if got.Header.Get("Link") != link || got.json()["title"] != "Brute force" {
		t.Fatalf("get %s", got.Body)
	}
	cs := e.do("GET", "/v1/cases/"+caseID, e.admin, nil).want(200).json()
	if cs["status"] != "NEW" || cs["security_event_id"] != id || cs["title"] != "Brute force" || cs["origin"] != "siem" ||
		cs["severity"].(map[string]any)["level"] != "HIGH" || cs["security_event"].(map[string]any)["original_id"] != "siem-1" {
		t.Fatalf("case %v", cs)
	}

	// A repeat on (customer, origin, original_id) updates the event.
	again := fullEvent(a)
	again["title"] = "Brute force (updated)"
	again["severity"] = map[string]any{"level": "critical"}
	upd := e.do("POST", "/v1/security-events", e.admin, again).want(200).json()
	if upd["id"] != id || upd["title"] != "Brute force (updated)" || upd["ingested_updated_time"] == nil ||
		upd["severity"].(map[string]any)["value"] != 95.0 {
		t.Fatalf("repeat %v", upd)
	}
	if m := e.do("GET", "/v1/security-events", e.admin, nil).json(); m["total"] != 1.0 {
		t.Fatalf("a repeat made a second event: %v", m)
	}
	// Another origin, or no original id, is another event.
	other := fullEvent(a)
	other["origin"] = "edr"
	if e.do("POST", "/v1/security-events", e.admin, other).want(201).json()["id"] == id {
		t.Fatal("another origin updated the event")
	}
	bare := map[string]any{"customer_id": a, "title": "by hand", "severity": map[string]any{"level": "LOW"}}
	b1 := e.do("POST", "/v1/security-events", e.admin, bare).want(201).json()
	b2 := e.do("POST", "/v1/security-events", e.admin, bare).want(201).json()
	if b1["id"] == b2["id"] || b1["origin"] != "api" || b1["severity"].(map[string]any)["value"] != 20.0 || b1["detection_time"] == nil {
		t.Fatalf("events without original_id %v %v", b1, b2)
	}
	if obs, iocs := b1["observables"].([]any), b1["iocs"].([]any); len(obs) != 0 || len(iocs) != 0 {
		t.Fatalf("arrays %v %v", obs, iocs)
	}
	// The list filters see API events like ingested ones.
	if m := e.do("GET", "/v1/security-events?origin=siem&severity=CRITICAL&take=5", e.admin, nil).want(200).json(); m["total"] != 1.0 {
		t.Fatalf("filtered list %v", m)
	}

	// With an integration, the origin defaults to its type.
	in := lastSegment(e.integration(a))
	withInteg := map[string]any{"customer_id": a, "integration_id": in, "title": "x", "severity": map[string]any{"value": 5}}
	if m := e.do("POST", "/v1/security-events", e.admin, withInteg).want(201).json(); m["origin"] != "hello" || m["integration_id"] != in {
		t.Fatalf("integration event %v", m)
	}
}

func TestCreateSecurityEventRefused(t *testing.T) {
	e := newEnv(t)
	a, b := e.customer("Alpha"), e.customer("Bravo")
	inB := lastSegment(e.integration(b))
	with := func(k string, v any) map[string]any {
		m := fullEvent(a)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	obs := func(o map[string]any) map[string]any { return with("observables", []any{o}) }
	before := e.snapshot()
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"not json", "{", 400, "malformed"},
		{"empty", "", 400, "empty"},
		{"array", "[]", 400, "object"},
		{"unknown field", with("id", "x"), 400, `"id"`},
		{"title type", with("title", 5), 400, "title"},
		{"no title", with("title", nil), 400, "title"},
		{"blank title", with("title", "  "), 400, "title"},
		{"no severity", with("severity", nil), 400, "severity"},
		{"empty severity", with("severity", map[string]any{}), 400, "severity"},
		{"severity 101", with("severity", map[string]any{"value": 101}), 400, "severity.value"},
		{"severity fraction", with("severity", map[string]any{"value": 50.5}), 400, "severity.value"},
		{"severity level", with("severity", map[string]any{"level": "SEVERE"}), 400, "severity.level"},
		{"severity disagree", with("severity", map[string]any{"value": 10, "level": "HIGH"}), 400, "severity.level"},
		{"severity extra", with("severity", map[string]any{"value": 10, "score": 3}), 400, "score"},
		{"time", with("detection_time", "yesterday"), 400, "detection_time"},
		{"time year", with("update_time", "1900-01-01T00:00:00Z"), 400, "update_time"},
		{"url", with("security_event_url", "javascript:alert(1)"), 400, "security_event_url"},
		{"classification extra", with("classification", map[string]any{"kind": "x"}), 400, "kind"},
		{"observable type", obs(map[string]any{"type": "process", "name": "x"}), 400, "observables[0].type"},
		{"observable no type", obs(map[string]any{"name": "x"}), 400, "observables[0].type"},
		{"observable field", obs(map[string]any{"type": "ip", "address": "10.0.0.1", "port": 1}), 400, "port"},
		{"observable field of another type", obs(map[string]any{"type": "user", "hostname": "h"}), 400, "hostname"},
		{"observable ip", obs(map[string]any{"type": "ip", "address": "10.0.0.256"}), 400, "observables[0].address"},
		{"observable empty", obs(map[string]any{"type": "user"}), 400, "observables[0]"},
		{"observable wrong type", obs(map[string]any{"type": "network_traffic", "dst_port": "22"}), 400, "dst_port"},
		{"observable null", with("observables", []any{nil}), 400, "observables[0]"},
		{"observable not object", with("observables", []any{"10.0.0.1"}), 400, "observables[0]"},
		{"ioc type", with("iocs", []any{map[string]any{"indicator": "x", "type": "URL"}}), 400, "iocs[0].type"},
		{"ioc indicator", with("iocs", []any{map[string]any{"indicator": "not-an-ip", "type": "IP_ADDRESS"}}), 400, "iocs[0].indicator"},
		{"ioc expiry", with("iocs", []any{map[string]any{"indicator": "a.example", "expires_at": "soon"}}), 400, "iocs[0].expires_at"},
		{"too many tags", with("mitre_tags", make([]string, 101)), 400, "mitre_tags"},
		{"no customer", with("customer_id", nil), 400, "customer_id"},
		{"unknown customer", with("customer_id", "01HZZZZZZZZZZZZZZZZZZZZZZZ"), 404, "customer"},
		{"another customer's integration", with("integration_id", inB), 404, "integration"},
		{"query", nil, 400, "unknown query parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			path := "/v1/security-events"
			body := tc.body
			if tc.name == "query" {
				path, body = path+"?dry_run=1", fullEvent(a)
			}
			code := CodeInvalidArgument
			if tc.status == 404 {
				code = CodeNotFound
			}
			e.do("POST", path, e.admin, body).want(tc.status, code).wantMessage(tc.field)
		})
	}
	e.wantUnchanged(before)
}

func TestCreateSecurityEventCustomerToken(t *testing.T) {
	e := newEnv(t)
	a, b := e.customer("Alpha"), e.customer("Bravo")
	inA, inB := lastSegment(e.integration(a)), lastSegment(e.integration(b))
	tokA := e.token("alpha-soc", "customer", a)
	own := map[string]any{"title": "mine", "severity": map[string]any{"value": 50}, "integration_id": inA}
	if m := e.do("POST", "/v1/security-events", tokA, own).want(201).json(); m["customer_id"] != a {
		t.Fatalf("customer token's event %v", m)
	}
	own["customer_id"] = a
	e.do("POST", "/v1/security-events", tokA, own).want(201)
	before := e.snapshot()
	e.do("POST", "/v1/security-events", tokA, map[string]any{"customer_id": b, "title": "x", "severity": map[string]any{"value": 1}}).
		want(403, CodePermissionDenied)
	e.do("POST", "/v1/security-events", tokA, map[string]any{"integration_id": inB, "title": "x", "severity": map[string]any{"value": 1}}).
		want(404, CodeNotFound)
	e.wantUnchanged(before)
}
