package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// commitEvent stores one ingested event of an integration.
func commitEvent(t *testing.T, e *env, in, customerID, originalID string, severity int, at time.Time) string {
	t.Helper()
	res, err := e.db.Commit(context.Background(), store.CommitRequest{
		IntegrationID: in, CustomerID: customerID, Origin: "hello", Kind: "new", Now: at,
		Events: []sdk.Event{{
			OriginalID: originalID, Title: "alert " + originalID, DetectionTime: at, Severity: severity,
			Observables: []sdk.Observable{sdk.IPObservable("10.0.0.1")},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.EventIDs) != 1 {
		t.Fatalf("commit %+v", res)
	}
	return res.EventIDs[0]
}

func TestCustomerIsolation(t *testing.T) {
	e := newEnv(t)
	a, b := e.customer("Alpha"), e.customer("Bravo")
	ipA, ipB := e.integration(a), e.integration(b)
	idA, idB := ipA[strings.LastIndex(ipA, "/")+1:], ipB[strings.LastIndex(ipB, "/")+1:]
	tokA := e.token("alpha-soc", "customer", a)
	evA := commitEvent(t, e, idA, a, "a-1", 80, time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC))
	evB := commitEvent(t, e, idB, b, "b-1", 80, time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC))

	// Its own data is open to it, changes included.
	m := e.do("GET", "/v1/customers?take=10", tokA, nil).want(200).json()
	if m["total"] != 1.0 || m["items"].([]any)[0].(map[string]any)["customer_id"] != a {
		t.Fatalf("customer token lists %v", m)
	}
	e.do("GET", "/v1/customers/"+a, tokA, nil).want(200)
	e.do("GET", ipA, tokA, nil).want(200)
	e.do("POST", ipA+"/test", tokA, nil).want(200)
	e.do("PATCH", ipA, tokA, map[string]any{"name": "mine"}).want(200)
	e.do("GET", "/v1/plugins", tokA, nil).want(200)
	e.do("GET", "/v1/security-events/"+evA, tokA, nil).want(200)
	ev := e.do("GET", "/v1/security-events?take=10", tokA, nil).want(200).json()
	if ev["total"] != 1.0 || ev["items"].([]any)[0].(map[string]any)["id"] != evA {
		t.Fatalf("customer token sees events %v", ev)
	}
	logs := e.do("GET", ipA+"/logs?take=1", tokA, nil).want(200).json()["items"].([]any)
	if logs[0].(map[string]any)["actor"] != "alpha-soc" {
		t.Fatalf("action logged as %v", logs[0])
	}

	// Another customer's ids answer 404, as if they did not exist; admin
	// actions answer 403. Nothing is written.
	crossed := ipB[:strings.LastIndex(ipB, "/")] // b's integrations, through a's path below
	before := e.snapshot()
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/v1/customers/" + b, nil, 404},
		{"PATCH", "/v1/customers/" + b, map[string]any{"name": "x"}, 404},
		{"DELETE", "/v1/customers/" + b, nil, 404},
		{"GET", "/v1/customers/" + b + "/integrations", nil, 404},
		{"POST", "/v1/customers/" + b + "/integrations", map[string]any{"type": "hello", "name": "x", "config": helloConfig()}, 404},
		{"GET", ipB, nil, 404},
		{"PATCH", ipB, map[string]any{"name": "x"}, 404},
		{"DELETE", ipB, nil, 404},
		{"GET", ipB + "/logs", nil, 404},
		{"GET", ipB + "/runs", nil, 404},
		{"GET", ipB + "/stats", nil, 404},
		{"POST", ipB + "/test", nil, 404},
		{"POST", ipB + "/enable", nil, 404},
		{"POST", ipB + "/disable", nil, 404},
		{"POST", ipB + "/pause", nil, 404},
		{"POST", ipB + "/resume", nil, 404},
		{"POST", ipB + "/sync", map[string]any{"kind": "new"}, 404},
		// b's integration id under a's customer path.
		{"GET", "/v1/customers/" + a + "/integrations/" + idB, nil, 404},
		{"DELETE", "/v1/customers/" + a + "/integrations/" + idB, nil, 404},
		{"GET", crossed + "/" + idA, nil, 404},
		{"GET", "/v1/security-events/" + evB, nil, 404},
		{"GET", "/v1/security-events?customer_id=" + b, nil, 403},
		{"POST", "/v1/customers", map[string]any{"name": "x"}, 403},
		{"PATCH", "/v1/customers/" + a, map[string]any{"name": "x"}, 403},
		{"DELETE", "/v1/customers/" + a, nil, 403},
		{"POST", "/v1/plugins/rescan", nil, 403},
		{"GET", "/v1/backup", nil, 403},
		{"GET", "/v1/tokens", nil, 403},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			e := e.with(t)
			code := CodeNotFound
			if tc.status == 403 {
				code = CodePermissionDenied
			}
			r := e.do(tc.method, tc.path, tokA, tc.body).want(tc.status, code)
			if strings.Contains(string(r.Body), "Bravo") {
				t.Fatalf("answer leaks the other customer: %s", r.Body)
			}
		})
	}
	e.wantUnchanged(before)
	if e.plugins.rescanned != 0 {
		t.Fatal("a refused rescan ran")
	}
	// A foreign id and a missing one answer alike.
	foreign := e.do("GET", "/v1/customers/"+b, tokA, nil).json()["message"]
	missing := e.do("GET", "/v1/customers/zzz", tokA, nil).json()["message"]
	if strings.Replace(foreign.(string), b, "zzz", 1) != missing {
		t.Fatalf("foreign %q and missing %q answers differ", foreign, missing)
	}
}

func TestSecurityEvents(t *testing.T) {
	e := newEnv(t)
	a := e.customer("Alpha")
	ip := e.integration(a)
	id := ip[strings.LastIndex(ip, "/")+1:]
	t0 := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	low := commitEvent(t, e, id, a, "e-low", 20, t0)
	high := commitEvent(t, e, id, a, "e-high", 85, t0.Add(time.Hour))

	get := e.do("GET", "/v1/security-events/"+high, e.admin, nil).want(200).json()
	for _, k := range []string{"id", "original_id", "customer_id", "integration_id", "origin", "classification", "description",
		"detection_time", "ingested_time", "mitre_tags", "title", "actions", "detection_engines", "severity", "observables", "iocs"} {
		if _, ok := get[k]; !ok {
			t.Errorf("event lacks %s: %v", k, get)
		}
	}
	if get["severity"].(map[string]any)["level"] != "HIGH" || get["origin"] != "hello" || get["detection_time"] != "2024-01-01T13:00:00Z" {
		t.Fatalf("event %v", get)
	}
	if obs := get["observables"].([]any); len(obs) != 1 || obs[0].(map[string]any)["type"] != "ip" {
		t.Fatalf("observables %v", obs)
	}
	if _, ok := get["raw"]; ok {
		t.Error("raw vendor payload in the answer")
	}

	ids := func(t *testing.T, q string) []string {
		t.Helper()
		m := e.with(t).do("GET", "/v1/security-events?take=10&"+q, e.admin, nil).want(200).json()
		var out []string
		for _, it := range m["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", []string{high, low}},
		{"severity=HIGH", []string{high}},
		{"severity=low", []string{high, low}},
		{"customer_id=" + a, []string{high, low}},
		{"integration_id=" + id, []string{high, low}},
		{"integration_id=other", nil},
		{"origin=hello", []string{high, low}},
		{"origin=okta", nil},
		{"from=2024-01-01T12:30:00Z", []string{high}},
		{"to=2024-01-01T12:30:00Z", []string{low}},
		{"to=" + low, []string{low}},
	} {
		t.Run(tc.q, func(t *testing.T) {
			if got := ids(t, tc.q); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if m := e.do("GET", "/v1/security-events", e.admin, nil).want(200).json(); m["total"] != 2.0 || m["items"] != nil {
		t.Fatalf("total only %v", m)
	}
	for _, q := range []string{"severity=SEVERE", "from=noon", "from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "take=501", "colour=red"} {
		e.do("GET", "/v1/security-events?"+q, e.admin, nil).want(400, CodeInvalidArgument)
	}
	e.do("GET", "/v1/security-events/nope", e.admin, nil).want(404, CodeNotFound)
}
