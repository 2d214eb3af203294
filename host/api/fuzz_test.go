package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The fuzz targets send arbitrary bodies through the real router to a real
// store: whatever the input, the answer is a success or a documented
// client error, never a 500 or a panic (which the recover middleware
// would turn into one). Their seeds run in plain go test; go test
// -fuzz=FuzzXxx explores further.

// wantNoFault fails on a 5xx or an error answer that is not {code,message}.
func wantNoFault(t *testing.T, r *response, what string, body []byte) {
	t.Helper()
	if r.Code >= 500 {
		t.Fatalf("%s answered %d for %q: %s", what, r.Code, body, r.Body)
	}
	if r.Code >= 400 {
		var eb ErrorBody
		if err := json.Unmarshal(r.Body, &eb); err != nil || eb.Code == "" || eb.Message == "" {
			t.Fatalf("%s answered %d without an error body for %q: %s", what, r.Code, body, r.Body)
		}
	}
}

// seedBodies are inputs every target starts from: broken JSON of every
// shape, wrong types, huge numbers, deep nesting, bad UTF-8.
var seedBodies = []string{
	``, `{`, `}`, `null`, `[]`, `"x"`, `0`, `{}`, `{}{}`, `{"a":1}`, `{"title":null}`,
	`{"severity":{"value":1e400}}`, `{"severity":{"value":-9223372036854775809}}`,
	`{"title":"\ud800"}`, "{\"title\":\"\xff\xfe\"}", `{"title":"` + strings.Repeat("a", 2000) + `"}`,
	`{"tags":[` + strings.Repeat(`"t",`, 150) + `"t"]}`, strings.Repeat(`[`, 10000),
	`{"observables":[{"type":"ip","address":"::ffff:1.2.3.4"}]}`, `{"observables":[{"type":{"x":1}}]}`,
	`{"annotations":{"annotations":{"":{"name":"x"}}}}`, `{"annotations":{"annotations":null}}`,
}

func FuzzSecurityEventJSON(f *testing.F) {
	e := newEnv(f)
	cust := e.customer("Fuzz")
	valid, _ := json.Marshal(fullEvent(cust))
	f.Add(valid)
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"customer_id":"` + cust + `","title":"t","severity":{"level":"high"},"original_id":"x"}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":0,"level":"NOT_VALID"},"detection_time":"9999-12-31T23:59:59.999999999Z"}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":5},"detection_time":"1970-01-01T00:00:00Z","update_time":"2024-01-01T00:00:00-23:59"}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":5},"observables":[{"type":"file","size":9223372036854775807}]}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":5},"observables":[{"type":"network_traffic","src_port":-1}]}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":5},"iocs":[{"indicator":"` + strings.Repeat("x", 5000) + `"}]}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":5},"origin":"` + strings.Repeat("o", 300) + `"}`,
		`{"customer_id":"` + cust + `","title":"t","severity":{"value":5},"original_id":"a\u0000b"}`,
		`{"customer_id":"` + cust + `","integration_id":"01HZZZZZZZZZZZZZZZZZZZZZZZ","title":"t","severity":{"value":5}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		r := e.do("POST", "/v1/security-events", e.admin, body)
		wantNoFault(t, r, "POST /v1/security-events", body)
		if r.Code == 200 || r.Code == 201 {
			id := r.str("id")
			wantNoFault(t, e.do("GET", "/v1/security-events/"+id, e.admin, nil).want(200), "GET the event", body)
		}
	})
}

func FuzzCaseJSON(f *testing.F) {
	e := newEnv(f)
	cust := e.customer("Fuzz")
	in := lastSegment(e.integration(cust))
	_, caseID := ingest(f, e, in, "f-1", 50, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"customer_id":"` + cust + `","title":"t","tags":["a"],"annotations":{"annotations":{"k":{"name":"n","url":{"url":"https://x.example","label":"l"}}}}}`,
		`{"status":"OPEN"}`, `{"status":"closed"}`, `{"status":"NEW","title":"x","severity":{"level":"low"}}`,
		`{"parent_id":"` + caseID + `"}`, `{"tier":9223372036854775807}`, `{"spent_time_min":-1}`,
		`{"take":500,"skip":0,"status":["NEW"],"severity":["HIGH"],"text":"a","from":"2024-01-01T00:00:00Z","to":"2025-01-01T00:00:00Z"}`,
		`{"take":1,"to":"` + caseID + `"}`, `{"to":"0000000000000000000000000Z"}`, `{"take":1,"assigned_to":"a\u0000b"}`,
		`{"assigned_to":"alice"}`, `{"assigned_to":""}`, `{"close_notes":"n","final_classification":"false_positive"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		for _, rt := range []struct{ method, path string }{
			{"POST", "/v1/cases"},
			{"PATCH", "/v1/cases/" + caseID},
			{"POST", "/v1/cases/search"},
			{"POST", "/v1/cases/" + caseID + "/assign"},
			{"POST", "/v1/cases/" + caseID + "/notes"},
			{"POST", "/v1/cases/" + caseID + "/close"},
		} {
			wantNoFault(t, e.do(rt.method, rt.path, e.admin, body), rt.method+" "+rt.path, body)
		}
		// Reopen, so that the next input finds the case open.
		wantNoFault(t, e.do("PATCH", "/v1/cases/"+caseID, e.admin, `{"status":"OPEN"}`), "reopen", body)
		wantNoFault(t, e.do("GET", "/v1/cases/"+caseID, e.admin, nil).want(200), "GET the case", body)
	})
}

func FuzzIntegrationJSON(f *testing.F) {
	e := newEnv(f)
	cust := e.customer("Fuzz")
	ip := e.integration(cust)
	valid, _ := json.Marshal(map[string]any{"type": "hello", "name": "n", "config": helloConfig(), "schedule": map[string]any{"new_interval_s": 30}})
	f.Add(valid)
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"type":"hello","name":"n","config":{"base_url":"http://127.0.0.1:1","api_key":"k","page_size":1e30}}`,
		`{"type":"hello","name":"n","config":{"base_url":"::","api_key":"k","page_size":"10","verify_tls":"yes","region":"mars"}}`,
		`{"type":"hello","name":"n","config":{"base_url":"http://h","api_key":"********"},"schedule":{"new_interval_s":0}}`,
		`{"type":"hello","name":"n","config":{"base_url":"http://h","api_key":{"nested":[1,2]}},"schedule":{"initial_lookback_s":99999999999}}`,
		`{"type":"chat","name":"n","config":{"webhook":"w"},"mirroring":true,"schedule":{}}`,
		`{"type":"broken","name":"n"}`, `{"type":"nope","name":"n"}`, `{"name":null,"config":{"api_key":null}}`,
		`{"kind":"new"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		wantNoFault(t, e.do("POST", "/v1/customers/"+cust+"/integrations", e.admin, body), "POST integrations", body)
		wantNoFault(t, e.do("PATCH", ip, e.admin, body), "PATCH integration", body)
		wantNoFault(t, e.do("POST", ip+"/sync", e.admin, body), "POST sync", body)
		wantNoFault(t, e.do("GET", ip, e.admin, nil).want(200), "GET integration", body)
	})
}
