package api

import (
	"strings"
	"testing"
	"time"
)

// TestCaseIsolation has a customer token try every case, report, event and
// IOC route on another customer's ids: each answers as if the id did not
// exist (404), naming the other customer is 403, and nothing is written.
func TestCaseIsolation(t *testing.T) {
	e := newEnv(t)
	a, b := e.customer("Alpha"), e.customer("Bravo")
	ia, ib := lastSegment(e.integration(a)), lastSegment(e.integration(b))
	tokA := e.token("alpha-soc", "customer", a)
	at := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)
	evA, caseA := ingest(t, e, ia, "a-1", 50, at)
	evB, caseB := ingest(t, e, ib, "b-1", 50, at)
	// 198.51.100.1 was named by both customers' events, .2 by Bravo's
	// only; bravo.example was recorded for Bravo by an admin.
	ingest(t, e, ib, "b-2", 50, at)
	e.do("POST", "/v1/iocs", e.admin, map[string]any{"customer_id": b, "indicator": "bravo.example", "type": "DOMAIN"}).want(201)
	repB := e.do("POST", "/v1/cases/"+caseB+"/reports", e.admin, nil).want(201).str("report_id")
	manualB := e.do("POST", "/v1/cases", e.admin, map[string]any{"customer_id": b, "title": "Bravo secret"}).want(201).str("case_id")

	// Its own cases are open to it, changes included.
	e.do("GET", "/v1/cases/"+caseA, tokA, nil).want(200)
	e.do("PATCH", "/v1/cases/"+caseA, tokA, map[string]any{"status": "OPEN"}).want(200)
	e.do("POST", "/v1/cases/"+caseA+"/notes", tokA, map[string]any{"text": "mine"}).want(201)
	repA := e.do("POST", "/v1/cases/"+caseA+"/reports", tokA, nil).want(201).str("report_id")
	e.do("GET", "/v1/reports/"+repA+"/html", tokA, nil).want(200)
	if m := e.do("GET", "/v1/cases?take=50", tokA, nil).want(200).json(); m["total"] != 1.0 {
		t.Fatalf("customer token lists %v", m)
	}

	before := e.snapshot()
	ev := func(extra map[string]any) map[string]any {
		m := map[string]any{"title": "x", "severity": map[string]any{"value": 10}}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/v1/cases/" + caseB, nil, 404},
		{"GET", "/v1/cases/" + manualB, nil, 404},
		{"PATCH", "/v1/cases/" + caseB, map[string]any{"title": "x"}, 404},
		{"PATCH", "/v1/cases/" + caseB, map[string]any{"status": "OPEN"}, 404},
		{"POST", "/v1/cases/" + caseB + "/assign", map[string]any{"assigned_to": "x"}, 404},
		{"POST", "/v1/cases/" + caseB + "/close", nil, 404},
		{"POST", "/v1/cases/" + caseB + "/notes", map[string]any{"text": "x"}, 404},
		{"GET", "/v1/cases/" + caseB + "/notes", nil, 404},
		{"POST", "/v1/cases/" + caseB + "/comments", map[string]any{"text": "x"}, 404},
		{"GET", "/v1/cases/" + caseB + "/comments", nil, 404},
		{"GET", "/v1/cases/" + caseB + "/mirror", nil, 404},
		{"POST", "/v1/cases/" + caseB + "/reports", nil, 404},
		{"GET", "/v1/cases/" + caseB + "/reports", nil, 404},
		{"GET", "/v1/reports/" + repB + "/html", nil, 404},
		{"GET", "/v1/security-events/" + evB, nil, 404},
		// Another customer's ids inside a body.
		{"POST", "/v1/cases", map[string]any{"title": "x", "security_event_id": evB}, 404},
		{"POST", "/v1/cases", map[string]any{"title": "x", "parent_id": caseB}, 404},
		{"PATCH", "/v1/cases/" + caseA, map[string]any{"parent_id": caseB}, 404},
		{"POST", "/v1/security-events", ev(map[string]any{"integration_id": ib}), 404},
		// Naming another customer.
		{"POST", "/v1/cases", map[string]any{"customer_id": b, "title": "x"}, 403},
		{"POST", "/v1/security-events", ev(map[string]any{"customer_id": b}), 403},
		{"POST", "/v1/cases/search", map[string]any{"customer_id": b}, 403},
		{"GET", "/v1/cases?customer_id=" + b, nil, 403},
		// IOCs of the other customer's only are unknown; recording
		// IOCs is for admins.
		{"GET", "/v1/iocs/198.51.100.2", nil, 404},
		{"GET", "/v1/iocs/bravo.example", nil, 404},
		{"GET", "/v1/iocs?take=10&to=198.51.100.2", nil, 400},
		{"POST", "/v1/iocs", map[string]any{"indicator": "x.example", "type": "DOMAIN"}, 403},
		{"POST", "/v1/iocs", map[string]any{"customer_id": a, "indicator": "x.example", "type": "DOMAIN"}, 403},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			e := e.with(t)
			code := CodeNotFound
			switch tc.status {
			case 403:
				code = CodePermissionDenied
			case 400:
				code = CodeInvalidArgument
			}
			r := e.do(tc.method, tc.path, tokA, tc.body).want(tc.status, code)
			if strings.Contains(string(r.Body), "Bravo") || strings.Contains(string(r.Body), b) && tc.status == 404 {
				t.Fatalf("answer leaks the other customer: %s", r.Body)
			}
		})
	}
	e.wantUnchanged(before)
	// Searches never return the other customer's cases, whatever the filter.
	for _, body := range []map[string]any{{"take": 50}, {"take": 50, "text": "Bravo"}, {"take": 50, "status": []string{"NEW", "OPEN"}}} {
		for _, id := range caseIDs(t, e.do("POST", "/v1/cases/search", tokA, body).want(200).json()) {
			if id != caseA {
				t.Fatalf("search %v returned %s", body, id)
			}
		}
	}
	// A foreign case and a missing one answer alike.
	foreign := e.do("GET", "/v1/cases/"+caseB, tokA, nil).str("message")
	missing := e.do("GET", "/v1/cases/01HZZZZZZZZZZZZZZZZZZZZZZZ", tokA, nil).str("message")
	if strings.Replace(foreign, caseB, "01HZZZZZZZZZZZZZZZZZZZZZZZ", 1) != missing {
		t.Fatalf("foreign %q and missing %q answers differ", foreign, missing)
	}
	// Its IOCs are those its events named, shared or not.
	for _, q := range []string{"", "include_expired=true&", "type=IP_ADDRESS&"} {
		m := e.do("GET", "/v1/iocs?"+q+"take=50", tokA, nil).want(200).json()
		items := m["items"].([]any)
		if m["total"] != 1.0 || len(items) != 1 || items[0].(map[string]any)["indicator"] != "198.51.100.1" {
			t.Fatalf("customer IOCs ?%s: %v", q, m)
		}
	}
	if m := e.do("GET", "/v1/iocs", tokA, nil).want(200).json(); m["total"] != 1.0 {
		t.Fatalf("customer IOC total: %v", m)
	}
	e.do("GET", "/v1/iocs/198.51.100.1", tokA, nil).want(200)
	e.do("GET", "/v1/iocs/198.51.100.2", e.admin, nil).want(200)
	tokB := e.token("bravo-soc", "customer", b)
	if m := e.do("GET", "/v1/iocs?take=50", tokB, nil).want(200).json(); m["total"] != 3.0 {
		t.Fatalf("Bravo's IOCs: %v", m)
	}
	// A foreign IOC and a missing one answer alike.
	foreign = e.do("GET", "/v1/iocs/198.51.100.2", tokA, nil).str("message")
	missing = e.do("GET", "/v1/iocs/198.51.100.9", tokA, nil).str("message")
	if strings.Replace(foreign, "198.51.100.2", "198.51.100.9", 1) != missing {
		t.Fatalf("foreign %q and missing %q IOC answers differ", foreign, missing)
	}
	_ = evA
}
