package api

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// caseKeys are the fields of API.md's case object; closed_at is left out
// while a case is open.
var caseKeys = []string{"case_id", "customer_id", "tier", "assigned_to", "created_at", "updated_at", "status",
	"parent_id", "close_notes", "description", "title", "closed_by", "severity", "security_event_id",
	"first_classification", "spent_time_min", "tags", "origin", "final_classification", "subscribers", "mitre",
	"category", "security_event", "annotations"}

func wantCaseShape(t testing.TB, m map[string]any, closed bool) {
	t.Helper()
	keys := append([]string{}, caseKeys...)
	if closed {
		keys = append(keys, "closed_at")
	}
	sort.Strings(keys)
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("case fields\n%v\nwant\n%v", got, keys)
	}
	for _, k := range []string{"tags", "subscribers", "mitre"} {
		if _, ok := m[k].([]any); !ok {
			t.Fatalf("%s is %v, not an array", k, m[k])
		}
	}
	if _, ok := m["annotations"].(map[string]any)["annotations"].(map[string]any); !ok {
		t.Fatalf("annotations %v", m["annotations"])
	}
}

// caseEnv is a host with one customer, one integration of it and an
// ingested case.
type caseEnv struct {
	*env
	cust, integPath, integ, event, caseID string
}

func newCaseEnv(t testing.TB) *caseEnv {
	e := newEnv(t)
	c := &caseEnv{env: e, cust: e.customer("Alpha")}
	c.integPath = e.integration(c.cust)
	c.integ = lastSegment(c.integPath)
	c.event, c.caseID = ingest(t, e, c.integ, "a-1", 85, time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC), sdk.IPObservable("10.0.0.1"))
	return c
}

func (c *caseEnv) path(parts ...string) string {
	return "/v1/cases/" + c.caseID + strings.Join(parts, "")
}

func TestIngestedEventOpensCase(t *testing.T) {
	e := newCaseEnv(t)
	m := e.do("GET", e.path(), e.admin, nil).want(200).json()
	wantCaseShape(t, m, false)
	for k, want := range map[string]any{
		"case_id": e.caseID, "customer_id": e.cust, "status": "NEW", "title": "alert a-1", "description": "seen on host-a-1",
		"security_event_id": e.event, "origin": "hello", "first_classification": "identity", "tier": 0.0,
		"assigned_to": "", "closed_by": "", "final_classification": "", "created_at": "2024-06-01T12:00:00Z",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if sev := m["severity"].(map[string]any); sev["value"] != 85.0 || sev["level"] != "HIGH" {
		t.Errorf("severity %v", sev)
	}
	if ref := m["security_event"].(map[string]any); ref["security_event_id"] != e.event || ref["original_id"] != "a-1" {
		t.Errorf("security_event %v", ref)
	}
	if mitre := m["mitre"].([]any); len(mitre) != 1 || mitre[0] != "T1078" {
		t.Errorf("mitre %v", mitre)
	}
	for _, p := range []string{"/v1/cases/nope", "/v1/cases/01HZZZZZZZZZZZZZZZZZZZZZZZ", "/v1/cases/" + e.event} {
		e.do("GET", p, e.admin, nil).want(404, CodeNotFound)
	}
	e.do("GET", e.path()+"?verbose=1", e.admin, nil).want(400, CodeInvalidArgument)
}

func TestCreateCase(t *testing.T) {
	e := newCaseEnv(t)
	body := map[string]any{
		"customer_id": e.cust, "title": "Insider", "description": "by hand", "severity": map[string]any{"level": "medium"},
		"tags": []string{"hr", "hr", "vip"}, "category": "insider", "tier": 2, "subscribers": []string{"bob"},
		"assigned_to": "alice", "spent_time_min": 5, "mitre": []string{"T1530"},
		"annotations": map[string]any{"annotations": map[string]any{
			"ticket": map[string]any{"name": "Ticket", "url": map[string]any{"url": "https://t.example/1", "label": "T-1"}},
		}},
	}
	r := e.do("POST", "/v1/cases", e.admin, body).want(201)
	m := r.json()
	wantCaseShape(t, m, false)
	id := m["case_id"].(string)
	if r.Header.Get("Location") != "/v1/cases/"+id {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	if m["status"] != "NEW" || m["origin"] != "api" || m["security_event_id"] != "" || m["assigned_to"] != "alice" ||
		m["severity"].(map[string]any)["value"] != 50.0 || fmt.Sprint(m["tags"]) != "[hr vip]" || m["tier"] != 2.0 {
		t.Fatalf("case %v", m)
	}
	ann := m["annotations"].(map[string]any)["annotations"].(map[string]any)["ticket"].(map[string]any)
	if ann["name"] != "Ticket" || ann["url"].(map[string]any)["label"] != "T-1" {
		t.Fatalf("annotation %v", ann)
	}
	if e.do("GET", "/v1/cases/"+id, e.admin, nil).want(200).json()["title"] != "Insider" {
		t.Fatal("created case not found")
	}

	// From an event: the event's fields are the defaults.
	linked := e.do("POST", "/v1/cases", e.admin, map[string]any{"customer_id": e.cust, "security_event_id": e.event, "parent_id": id}).want(201).json()
	if linked["title"] != "alert a-1" || linked["security_event_id"] != e.event || linked["origin"] != "hello" ||
		linked["severity"].(map[string]any)["value"] != 85.0 || linked["parent_id"] != id ||
		linked["security_event"].(map[string]any)["original_id"] != "a-1" {
		t.Fatalf("linked case %v", linked)
	}

	other := e.customer("Bravo")
	otherCase := e.do("POST", "/v1/cases", e.admin, map[string]any{"customer_id": other, "title": "b"}).want(201).str("case_id")
	before := e.snapshot()
	with := func(k string, v any) map[string]any {
		b := map[string]any{"customer_id": e.cust, "title": "t"}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"no title", with("title", nil), 400, "title"},
		{"no customer", with("customer_id", nil), 400, "customer_id"},
		{"unknown customer", with("customer_id", "nope"), 404, "customer"},
		{"unknown event", with("security_event_id", "nope"), 404, "security event"},
		{"unknown parent", with("parent_id", "nope"), 404, "case"},
		{"parent of another customer", with("parent_id", otherCase), 400, "parent_id"},
		{"tier", with("tier", 11), 400, "tier"},
		{"negative time", with("spent_time_min", -1), 400, "spent_time_min"},
		{"severity", with("severity", map[string]any{"value": -5}), 400, "severity.value"},
		{"status", with("status", "OPEN"), 400, `"status"`},
		{"case id", with("case_id", "x"), 400, `"case_id"`},
		{"tags type", with("tags", "a,b"), 400, "tags"},
		{"empty tag", with("tags", []string{"a", " "}), 400, "tags[1]"},
		{"annotation url", with("annotations", map[string]any{"annotations": map[string]any{"x": map[string]any{"url": map[string]any{"url": "javascript:alert(1)"}}}}), 400, "url"},
		{"annotation shape", with("annotations", map[string]any{"ticket": map[string]any{}}), 400, "ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := CodeInvalidArgument
			if tc.status == 404 {
				code = CodeNotFound
			}
			e.with(t).do("POST", "/v1/cases", e.admin, tc.body).want(tc.status, code).wantMessage(tc.field)
		})
	}
	e.wantUnchanged(before)
}

func TestCaseLifecycle(t *testing.T) {
	e := newCaseEnv(t)
	tok := e.token("analyst-1", "customer", e.cust)
	patch := func(body any) *response { return e.do("PATCH", e.path(), tok, body) }

	m := patch(map[string]any{
		"title": "Renamed", "description": "more", "severity": map[string]any{"value": 95}, "tags": []string{"x"},
		"category": "identity", "tier": 3, "subscribers": []string{"lead"}, "status": "under_investigation",
		"annotations":    map[string]any{"annotations": map[string]any{"k": map[string]any{"name": "n"}}},
		"spent_time_min": 30, "mitre": []string{},
	}).want(200).json()
	wantCaseShape(t, m, false)
	if m["title"] != "Renamed" || m["status"] != "UNDER_INVESTIGATION" || m["severity"].(map[string]any)["level"] != "CRITICAL" ||
		m["tier"] != 3.0 || m["category"] != "identity" || len(m["mitre"].([]any)) != 0 || m["spent_time_min"] != 30.0 {
		t.Fatalf("patched %v", m)
	}
	// A PATCH that changes nothing writes nothing.
	before := e.snapshot()
	patch(map[string]any{"title": "Renamed", "tags": []string{"x"}}).want(200)
	patch(map[string]any{}).want(200)
	patch(map[string]any{"severity": map[string]any{"level": "CRITICAL"}}).want(200)
	e.wantUnchanged(before)

	// Assign and unassign.
	if a := e.do("POST", e.path("/assign"), tok, map[string]any{"assigned_to": "alice"}).want(200).json(); a["assigned_to"] != "alice" {
		t.Fatalf("assign %v", a)
	}
	e.do("POST", e.path("/assign"), tok, map[string]any{}).want(400, CodeInvalidArgument).wantMessage("assigned_to")
	e.do("POST", e.path("/assign"), tok, map[string]any{"assigned_to": "bad\nname"}).want(400, CodeInvalidArgument)

	// Refused status changes.
	for _, tc := range []struct {
		status string
		code   int
	}{{"CLOSED", 400}, {"UNKNOWN", 400}, {"DONE", 400}} {
		patch(map[string]any{"status": tc.status}).want(tc.code, CodeInvalidArgument)
	}

	// Close, in any letter case.
	c := e.do("POST", e.path("/close"), tok, map[string]any{"close_notes": "reset password", "final_classification": "true_positive"}).want(200).json()
	wantCaseShape(t, c, true)
	if c["status"] != "CLOSED" || c["final_classification"] != "TRUE_POSITIVE" || c["closed_by"] != "analyst-1" ||
		c["close_notes"] != "reset password" || c["closed_at"] == nil {
		t.Fatalf("closed %v", c)
	}
	// A closed case takes notes and comments, and nothing else but a reopen.
	before = e.snapshot()
	e.do("POST", e.path("/close"), tok, nil).want(409, CodeFailedPrecondition)
	e.do("POST", e.path("/assign"), tok, map[string]any{"assigned_to": "bob"}).want(409, CodeFailedPrecondition)
	for _, st := range []string{"NEW", "UNDER_INVESTIGATION", "PENDING", "ERRORED"} {
		patch(map[string]any{"status": st}).want(409, CodeFailedPrecondition)
	}
	patch(map[string]any{"tags": []string{"late"}}).want(409, CodeFailedPrecondition)
	patch(map[string]any{"title": "Renamed", "status": "CLOSED"}).want(200) // changes nothing
	e.wantUnchanged(before)
	e.do("POST", e.path("/notes"), tok, map[string]any{"text": "post-mortem"}).want(201)
	e.do("POST", e.path("/comments"), tok, map[string]any{"text": "closed upstream too"}).want(201)

	// Reopen, and change other fields in the same request.
	r := patch(map[string]any{"status": "OPEN", "tags": []string{"reopened"}}).want(200).json()
	wantCaseShape(t, r, false)
	if r["status"] != "OPEN" || r["closed_by"] != "" || r["final_classification"] != "" || fmt.Sprint(r["tags"]) != "[reopened]" {
		t.Fatalf("reopened %v", r)
	}
	// Default classification; closing again works after the reopen.
	if c := e.do("POST", e.path("/close"), tok, nil).want(200).json(); c["final_classification"] != "UNDETERMINED" {
		t.Fatalf("closed %v", c)
	}
	e.do("POST", e.path("/close"), tok, map[string]any{"final_classification": "maybe"}).want(400, CodeInvalidArgument)

	// Parents: no self, no cycle.
	child := e.do("POST", "/v1/cases", tok, map[string]any{"title": "child", "parent_id": e.caseID}).want(201).str("case_id")
	e.do("PATCH", "/v1/cases/"+child, tok, map[string]any{"parent_id": child}).want(400, CodeInvalidArgument)
	patch(map[string]any{"status": "OPEN"}).want(200)
	patch(map[string]any{"parent_id": child}).want(400, CodeInvalidArgument).wantMessage("cycle")
	e.do("PATCH", "/v1/cases/"+child, tok, map[string]any{"parent_id": ""}).want(200)

	e.do("PATCH", "/v1/cases/nope", tok, map[string]any{"title": "x"}).want(404, CodeNotFound)
	e.do("POST", "/v1/cases/nope/assign", tok, map[string]any{"assigned_to": "x"}).want(404, CodeNotFound)
	e.do("POST", "/v1/cases/nope/close", tok, nil).want(404, CodeNotFound)
}

// ids are the case_id of a list's items.
func caseIDs(t testing.TB, m map[string]any) []string {
	t.Helper()
	var out []string
	items, _ := m["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["case_id"].(string))
	}
	return out
}

func TestSearchCases(t *testing.T) {
	e := newEnv(t)
	a, b := e.customer("Alpha"), e.customer("Bravo")
	ia, ib := lastSegment(e.integration(a)), lastSegment(e.integration(b))
	t0 := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	_, c1 := ingest(t, e, ia, "s-1", 20, at(1)) // LOW, a
	_, c2 := ingest(t, e, ia, "s-2", 85, at(2)) // HIGH, a
	_, c3 := ingest(t, e, ib, "s-3", 95, at(3)) // CRITICAL, b
	_, c4 := ingest(t, e, ia, "s-4", 50, at(4)) // MEDIUM, a
	e.do("POST", "/v1/cases/"+c2+"/assign", e.admin, map[string]any{"assigned_to": "alice"}).want(200)
	e.do("PATCH", "/v1/cases/"+c4, e.admin, map[string]any{"status": "OPEN", "title": "Impossible travel"}).want(200)
	e.do("POST", "/v1/cases/"+c3+"/close", e.admin, nil).want(200)

	all := []string{c4, c3, c2, c1}
	for _, tc := range []struct {
		name string
		body map[string]any
		q    string
		want []string
	}{
		{"all", map[string]any{}, "", all},
		{"status", map[string]any{"status": []string{"NEW"}}, "status=NEW", []string{c2, c1}},
		{"statuses", map[string]any{"status": []string{"open", "CLOSED"}}, "status=open,CLOSED", []string{c4, c3}},
		{"statuses repeated", map[string]any{"status": []string{"OPEN", "CLOSED"}}, "status=OPEN&status=CLOSED", []string{c4, c3}},
		{"severity", map[string]any{"severity": []string{"HIGH", "CRITICAL"}}, "severity=HIGH,CRITICAL", []string{c3, c2}},
		{"customer", map[string]any{"customer_id": b}, "customer_id=" + b, []string{c3}},
		{"customer and status", map[string]any{"customer_id": a, "status": []string{"NEW"}, "severity": []string{"LOW"}}, "customer_id=" + a + "&status=NEW&severity=low", []string{c1}},
		{"assignee", map[string]any{"assigned_to": "alice"}, "assigned_to=alice", []string{c2}},
		{"assignee other status", map[string]any{"assigned_to": "alice", "status": []string{"OPEN"}}, "assigned_to=alice&status=OPEN", nil},
		{"text", map[string]any{"text": "TRAVEL"}, "text=TRAVEL", []string{c4}},
		{"text description", map[string]any{"text": "host-s-1"}, "text=host-s-1", []string{c1}},
		{"from", map[string]any{"from": "2024-07-01T02:00:00Z"}, "from=2024-07-01T02:00:00Z", []string{c4, c3, c2}},
		{"to", map[string]any{"to": "2024-07-01T02:00:00Z"}, "to=2024-07-01T02:00:00Z", []string{c1}},
		{"from to", map[string]any{"from": "2024-07-01T02:00:00Z", "to": "2024-07-01T04:00:00Z"}, "from=2024-07-01T02:00:00Z&to=2024-07-01T04:00:00Z", []string{c3, c2}},
		{"pinned", map[string]any{"to": c2}, "to=" + c2, []string{c2, c1}},
		{"skip", map[string]any{"skip": 1}, "skip=1", []string{c3, c2, c1}},
		{"nothing", map[string]any{"customer_id": "nope"}, "customer_id=nope", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			body := map[string]any{"take": 10}
			for k, v := range tc.body {
				body[k] = v
			}
			post := e.do("POST", "/v1/cases/search", e.admin, body).want(200).json()
			q := "take=10"
			if tc.q != "" {
				q += "&" + tc.q
			}
			get := e.do("GET", "/v1/cases?"+q, e.admin, nil).want(200).json()
			for name, m := range map[string]map[string]any{"POST": post, "GET": get} {
				got := caseIDs(t, m)
				if strings.Join(got, ",") != strings.Join(tc.want, ",") || m["total"] != float64(len(tc.want))+float64(skipOf(tc.body)) {
					t.Fatalf("%s: got %v (total %v), want %v", name, got, m["total"], tc.want)
				}
			}
		})
	}
	// Pages, and the total alone.
	if m := e.do("POST", "/v1/cases/search", e.admin, map[string]any{"skip": 1, "take": 2}).want(200).json(); fmt.Sprint(caseIDs(t, m)) != fmt.Sprint([]string{c3, c2}) || m["total"] != 4.0 {
		t.Fatalf("page %v", m)
	}
	for _, path := range []string{"/v1/cases", "/v1/cases?status=NEW"} {
		if m := e.do("GET", path, e.admin, nil).want(200).json(); m["items"] != nil || m["total"] == nil {
			t.Fatalf("total only %v", m)
		}
	}
	if m := e.do("POST", "/v1/cases/search", e.admin, nil).want(200).json(); m["total"] != 4.0 || m["items"] != nil {
		t.Fatalf("empty search %v", m)
	}
	for _, body := range []any{
		map[string]any{"take": 501}, map[string]any{"take": -1}, map[string]any{"skip": -1}, map[string]any{"status": []string{"DONE"}},
		map[string]any{"severity": []string{"SEVERE"}}, map[string]any{"from": "noon"}, map[string]any{"order": "asc"},
		map[string]any{"status": "NEW"}, map[string]any{"to": "nope"}, map[string]any{"from": "2024-07-02T00:00:00Z", "to": "2024-07-01T00:00:00Z"},
		"[1]",
	} {
		e.do("POST", "/v1/cases/search", e.admin, body).want(400, CodeInvalidArgument)
	}
	for _, q := range []string{"take=501", "status=DONE", "severity=SEVERE", "from=noon", "order=asc", "text=a&text=b", "to=nope"} {
		e.do("GET", "/v1/cases?"+q, e.admin, nil).want(400, CodeInvalidArgument)
	}
	e.do("GET", "/v1/cases/search", e.admin, nil).want(404, CodeNotFound)

	// A customer token searches only its own customer's cases.
	tokB := e.token("bravo", "customer", b)
	if got := caseIDs(t, e.do("POST", "/v1/cases/search", tokB, map[string]any{"take": 10}).want(200).json()); fmt.Sprint(got) != fmt.Sprint([]string{c3}) {
		t.Fatalf("customer token sees %v", got)
	}
	if got := caseIDs(t, e.do("GET", "/v1/cases?take=10&customer_id="+b, tokB, nil).want(200).json()); fmt.Sprint(got) != fmt.Sprint([]string{c3}) {
		t.Fatalf("customer token sees %v", got)
	}
	e.do("POST", "/v1/cases/search", tokB, map[string]any{"customer_id": a}).want(403, CodePermissionDenied)
	e.do("GET", "/v1/cases?customer_id="+url.QueryEscape(a), tokB, nil).want(403, CodePermissionDenied)
}

func skipOf(body map[string]any) int {
	if s, ok := body["skip"].(int); ok {
		return s
	}
	return 0
}

func TestNotesAndComments(t *testing.T) {
	e := newCaseEnv(t)
	tok := e.token("analyst-1", "customer", e.cust)
	for _, kind := range []string{"notes", "comments"} {
		p := e.path("/" + kind)
		t.Run(kind, func(t *testing.T) {
			e := e.with(t)
			n1 := e.do("POST", p, tok, map[string]any{"text": "first\nline two"}).want(201).json()
			if n1["author"] != "analyst-1" || n1["text"] != "first\nline two" || n1["id"] == "" || n1["created_at"] == nil || len(n1) != 4 {
				t.Fatalf("%s entry %v", kind, n1)
			}
			n2 := e.do("POST", p, e.admin, map[string]any{"text": "second"}).want(201).json()
			m := e.do("GET", p+"?take=10", tok, nil).want(200).json()
			items := m["items"].([]any)
			if m["total"] != 2.0 || len(items) != 2 || items[0].(map[string]any)["id"] != n2["id"] || items[1].(map[string]any)["author"] != "analyst-1" {
				t.Fatalf("list %v", m)
			}
			if m := e.do("GET", p+"?take=1&skip=1", tok, nil).want(200).json(); m["items"].([]any)[0].(map[string]any)["id"] != n1["id"] {
				t.Fatalf("page %v", m)
			}
			if m := e.do("GET", p+"?take=10&to="+n1["id"].(string), tok, nil).want(200).json(); m["total"] != 1.0 {
				t.Fatalf("pinned %v", m)
			}
			if m := e.do("GET", p, tok, nil).want(200).json(); m["total"] != 2.0 || m["items"] != nil {
				t.Fatalf("total only %v", m)
			}
			before := e.snapshot()
			for _, body := range []any{map[string]any{"text": " "}, map[string]any{}, map[string]any{"text": 1}, map[string]any{"text": "x", "author": "me"},
				map[string]any{"text": strings.Repeat("a", 64<<10+1)}, map[string]any{"text": "bell\a"}} {
				e.do("POST", p, tok, body).want(400, CodeInvalidArgument)
			}
			e.do("GET", p+"?take=501", tok, nil).want(400, CodeInvalidArgument)
			e.do("GET", p+"?take=5&to=nope", tok, nil).want(400, CodeInvalidArgument)
			e.do("POST", "/v1/cases/nope/"+kind, tok, map[string]any{"text": "x"}).want(404, CodeNotFound)
			e.do("GET", "/v1/cases/nope/"+kind, tok, nil).want(404, CodeNotFound)
			e.wantUnchanged(before)
		})
	}
}

func TestMirrorQueue(t *testing.T) {
	e := newCaseEnv(t)
	// An integration that mirrors: its case changes and comments are
	// queued; e's own integration does not mirror.
	mirrored := e.do("POST", "/v1/customers/"+e.cust+"/integrations", e.admin, map[string]any{
		"type": "hello", "name": "mirrored", "config": helloConfig(), "mirroring": true,
	}).want(201).str("integration_id")
	_, mc := ingest(t, e.env, mirrored, "m-1", 60, time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC))

	for _, c := range []string{e.caseID, mc} {
		p := "/v1/cases/" + c
		e.do("PATCH", p, e.admin, map[string]any{"status": "UNDER_INVESTIGATION", "title": "x"}).want(200)
		e.do("POST", p+"/assign", e.admin, map[string]any{"assigned_to": "alice"}).want(200)
		e.do("POST", p+"/comments", e.admin, map[string]any{"text": "asked the user"}).want(201)
		e.do("POST", p+"/notes", e.admin, map[string]any{"text": "internal only"}).want(201)
		e.do("POST", p+"/close", e.admin, map[string]any{"close_notes": "benign", "final_classification": "benign_positive"}).want(200)
		e.do("PATCH", p, e.admin, map[string]any{"tags": []string{"not mirrored"}}).want(409)
	}
	if m := e.do("GET", e.path("/mirror?take=10"), e.admin, nil).want(200).json(); m["total"] != 0.0 || len(m["items"].([]any)) != 0 {
		t.Fatalf("a case of an integration without mirroring queued %v", m)
	}
	m := e.do("GET", "/v1/cases/"+mc+"/mirror?take=10", e.admin, nil).want(200).json()
	items := m["items"].([]any)
	var kinds []string
	for _, it := range items {
		d := it.(map[string]any)
		ch := d["change"].(map[string]any)
		kinds = append(kinds, ch["kind"].(string))
		if d["state"] != "PENDING" || d["integration_id"] != mirrored || d["case_id"] != mc || d["next_at"] == nil || ch["author"] == "" {
			t.Fatalf("delivery %v", d)
		}
		if ch["kind"] == "close" && (ch["final_classification"] != "BENIGN_POSITIVE" || ch["close_notes"] != "benign" || ch["status"] != "CLOSED") {
			t.Fatalf("close delivery %v", ch)
		}
		if ch["kind"] == "comment" && ch["comment"] != "asked the user" {
			t.Fatalf("comment delivery %v", ch)
		}
	}
	// Newest first: close, comment, assign, status.
	if strings.Join(kinds, ",") != "close,comment,assign,status" || m["total"] != 4.0 {
		t.Fatalf("deliveries %v (total %v)", kinds, m["total"])
	}
	if m := e.do("GET", "/v1/cases/"+mc+"/mirror", e.admin, nil).want(200).json(); m["total"] != 4.0 || m["items"] != nil {
		t.Fatalf("total only %v", m)
	}
	e.do("GET", "/v1/cases/nope/mirror", e.admin, nil).want(404, CodeNotFound)
	e.do("GET", "/v1/cases/"+mc+"/mirror?state=PENDING", e.admin, nil).want(400, CodeInvalidArgument)
}

func TestReports(t *testing.T) {
	e := newCaseEnv(t)
	tok := e.token("analyst-1", "customer", e.cust)
	e.do("PATCH", e.path(), tok, map[string]any{"title": `<script>alert("pwned")</script>`, "status": "OPEN"}).want(200)
	e.do("POST", e.path("/notes"), tok, map[string]any{"text": "note <b>one</b>"}).want(201)
	e.do("POST", e.path("/comments"), tok, map[string]any{"text": "comment & more"}).want(201)
	r := e.do("POST", e.path("/reports"), tok, nil).want(201)
	rep := r.json()
	id := rep["report_id"].(string)
	if rep["case_id"] != e.caseID || rep["created_at"] == nil || len(rep) != 3 || r.Header.Get("Location") != "/v1/reports/"+id+"/html" {
		t.Fatalf("report %v, Location %q", rep, r.Header.Get("Location"))
	}
	e.do("POST", e.path("/reports"), tok, map[string]any{}).want(201)
	m := e.do("GET", e.path("/reports?take=10"), tok, nil).want(200).json()
	if m["total"] != 2.0 || m["items"].([]any)[1].(map[string]any)["report_id"] != id {
		t.Fatalf("reports %v", m)
	}
	page := e.do("GET", "/v1/reports/"+id+"/html", tok, nil).want(200)
	if ct := page.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	html := string(page.Body)
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;", // the title, escaped
		e.caseID, e.event, "a-1", "10.0.0.1", "198.51.100.1", "IP_ADDRESS", // case, event, observable, IOC
		"note &lt;b&gt;one&lt;/b&gt;", "comment &amp; more", "status: NEW → OPEN", "analyst-1", "Alpha",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<link") || strings.Contains(html, " src=") {
		t.Error("report is not self-contained or not escaped")
	}
	e.do("GET", "/v1/reports/nope/html", tok, nil).want(404, CodeNotFound)
	e.do("POST", "/v1/cases/nope/reports", tok, nil).want(404, CodeNotFound)
	e.do("GET", "/v1/cases/nope/reports", tok, nil).want(404, CodeNotFound)
	e.do("POST", e.path("/reports"), tok, map[string]any{"format": "pdf"}).want(400, CodeInvalidArgument)
}

func TestIOCs(t *testing.T) {
	e := newCaseEnv(t) // its ingested event reported 198.51.100.1
	ip := "/v1/iocs"
	r := e.do("POST", ip, e.admin, map[string]any{"indicator": "evil.example", "type": "domain"}).want(201)
	if r.Header.Get("Location") != "/v1/iocs/evil.example" {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	i := r.json()
	if i["indicator"] != "evil.example" || i["type"] != "DOMAIN" || i["created_at"] == nil || len(i) != 3 {
		t.Fatalf("ioc %v", i)
	}
	// A known indicator is replaced: 200.
	i = e.do("POST", ip, e.admin, map[string]any{"indicator": "evil.example", "type": "UNSPECIFIED", "expires_at": "2099-01-01T00:00:00Z"}).want(200).json()
	if i["type"] != "UNSPECIFIED" || i["expires_at"] != "2099-01-01T00:00:00Z" {
		t.Fatalf("replaced %v", i)
	}
	e.do("POST", ip, e.admin, map[string]any{"indicator": "old.example", "type": "DOMAIN", "expires_at": "2020-01-01T00:00:00Z"}).want(201)
	e.do("POST", ip, e.admin, map[string]any{"indicator": strings.Repeat("ab", 32), "type": "hash"}).want(201)
	e.do("POST", ip, e.admin, map[string]any{"indicator": "http://evil.example/a/b", "type": "UNSPECIFIED"}).want(201)

	list := func(q string) []string {
		t.Helper()
		m := e.do("GET", ip+"?take=20&"+q, e.admin, nil).want(200).json()
		var out []string
		for _, it := range m["items"].([]any) {
			out = append(out, it.(map[string]any)["indicator"].(string))
		}
		if m["total"] != float64(len(out)) {
			t.Fatalf("total %v of %v", m["total"], out)
		}
		return out
	}
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct{ q, want string }{
		{"", "http://evil.example/a/b," + hash + ",evil.example,198.51.100.1"},
		{"include_expired=true", "http://evil.example/a/b," + hash + ",old.example,evil.example,198.51.100.1"},
		{"type=DOMAIN&include_expired=true", "old.example"},
		{"type=domain", ""},
		{"type=IP_ADDRESS", "198.51.100.1"},
		{"type=HASH", hash},
	} {
		if got := strings.Join(list(tc.q), ","); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.q, got, tc.want)
		}
	}
	if m := e.do("GET", ip, e.admin, nil).want(200).json(); m["total"] != 4.0 || m["items"] != nil {
		t.Fatalf("total only %v", m)
	}
	if g := e.do("GET", ip+"/198.51.100.1", e.admin, nil).want(200).json(); g["type"] != "IP_ADDRESS" {
		t.Fatalf("get %v", g)
	}
	if g := e.do("GET", ip+"/old.example", e.admin, nil).want(200).json(); g["expires_at"] != "2020-01-01T00:00:00Z" {
		t.Fatalf("expired get %v", g)
	}
	if g := e.do("GET", ip+"/"+url.PathEscape("http://evil.example/a/b"), e.admin, nil).want(200).json(); g["indicator"] != "http://evil.example/a/b" {
		t.Fatalf("escaped get %v", g)
	}
	e.do("GET", ip+"/unknown.example", e.admin, nil).want(404, CodeNotFound)

	tok := e.token("alpha", "customer", e.cust)
	before := e.snapshot()
	for _, body := range []any{
		map[string]any{"indicator": "x", "type": "URL"}, map[string]any{"indicator": "", "type": "DOMAIN"},
		map[string]any{"indicator": "x"}, map[string]any{"indicator": "1.2.3", "type": "IP_ADDRESS"},
		map[string]any{"indicator": "a.example", "type": "DOMAIN", "expires_at": "tomorrow"},
		map[string]any{"indicator": "a.example", "type": "DOMAIN", "created_at": "2024-01-01T00:00:00Z"},
	} {
		e.do("POST", ip, e.admin, body).want(400, CodeInvalidArgument)
	}
	for _, q := range []string{"type=URL", "include_expired=maybe", "take=501", "to=nope.example"} {
		e.do("GET", ip+"?"+q, e.admin, nil).want(400, CodeInvalidArgument)
	}
	// Customer tokens see the IOCs of their customer's events only, and
	// cannot record any.
	if m := e.do("GET", ip+"?take=20&include_expired=true", tok, nil).want(200).json(); m["total"] != 1.0 ||
		m["items"].([]any)[0].(map[string]any)["indicator"] != "198.51.100.1" {
		t.Fatalf("customer list %v", m)
	}
	e.do("GET", ip+"/198.51.100.1", tok, nil).want(200)
	e.do("GET", ip+"/evil.example", tok, nil).want(404, CodeNotFound)
	e.do("GET", ip+"/unknown.example", tok, nil).want(404, CodeNotFound)
	e.do("POST", ip, tok, map[string]any{"indicator": "mine.example", "type": "DOMAIN"}).want(403, CodePermissionDenied)
	e.do("POST", ip, e.admin, map[string]any{"customer_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "indicator": "mine.example", "type": "DOMAIN"}).want(400, CodeInvalidArgument)
	e.wantUnchanged(before)
	// An admin records one for the customer: the customer sees it.
	e.do("POST", ip, e.admin, map[string]any{"customer_id": e.cust, "indicator": "evil.example", "type": "DOMAIN"}).want(200)
	if m := e.do("GET", ip, tok, nil).want(200).json(); m["total"] != 2.0 {
		t.Fatalf("customer total after put %v", m)
	}
	e.do("GET", ip+"/evil.example", tok, nil).want(200)
	// ... but they see the IOCs of their own events.
	if iocs := e.do("GET", "/v1/security-events/"+e.event, tok, nil).want(200).json()["iocs"].([]any); len(iocs) != 1 {
		t.Fatalf("event iocs %v", iocs)
	}
}
