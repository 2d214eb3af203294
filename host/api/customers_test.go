package api

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCustomersCRUD(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/customers", e.admin, map[string]any{"name": "  Acme  "}).want(201)
	c := r.json()
	id := c["customer_id"].(string)
	if c["name"] != "Acme" || id == "" {
		t.Fatalf("created %v", c)
	}
	if r.Header.Get("Location") != "/v1/customers/"+id {
		t.Errorf("Location %q", r.Header.Get("Location"))
	}
	created, err := time.Parse(time.RFC3339, c["created_at"].(string))
	if err != nil || !strings.HasSuffix(c["created_at"].(string), "Z") || created.IsZero() {
		t.Fatalf("created_at %v is not RFC 3339 UTC", c["created_at"])
	}

	if got := e.do("GET", "/v1/customers/"+id, e.admin, nil).want(200).json(); got["name"] != "Acme" {
		t.Fatalf("get %v", got)
	}
	if got := e.do("PATCH", "/v1/customers/"+id, e.admin, map[string]any{"name": "Acme Corp"}).want(200).json(); got["name"] != "Acme Corp" {
		t.Fatalf("patch %v", got)
	}
	if got := e.do("GET", "/v1/customers", e.admin, nil).want(200).json(); got["total"] != 1.0 || got["items"] != nil {
		t.Fatalf("list without take: %v", got)
	}
	e.do("PATCH", "/v1/customers/"+id, e.admin, map[string]any{"name": ""}).want(400, CodeInvalidArgument).wantMessage("name")

	// A customer with integrations cannot be deleted.
	path := e.integration(id)
	e.do("DELETE", "/v1/customers/"+id, e.admin, nil).want(409, CodeFailedPrecondition)
	e.do("DELETE", path, e.admin, nil).want(204)
	e.do("DELETE", "/v1/customers/"+id, e.admin, nil).want(204)
	e.do("GET", "/v1/customers/"+id, e.admin, nil).want(404, CodeNotFound)
	e.do("DELETE", "/v1/customers/"+id, e.admin, nil).want(404, CodeNotFound)

	for _, bad := range []string{"nope", "01HZZZZZZZZZZZZZZZZZZZZZZZ", "%2e%2e", strings.Repeat("x", 300)} {
		e.do("GET", "/v1/customers/"+bad, e.admin, nil).want(404, CodeNotFound)
		e.do("PATCH", "/v1/customers/"+bad, e.admin, map[string]any{"name": "x"}).want(404, CodeNotFound)
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	ip := e.integration(cid)
	big := `{"name": "` + strings.Repeat("a", MaxBodyBytes) + `"}`
	for _, tc := range []struct {
		name, method, path, body, want string
	}{
		{"malformed", "POST", "/v1/customers", `{"name": "x"`, "malformed JSON"},
		{"garbage", "POST", "/v1/customers", `name=x`, "malformed JSON"},
		{"unknown field", "POST", "/v1/customers", `{"name": "x", "nmae": "y"}`, `unknown field "nmae"`},
		{"wrong type", "POST", "/v1/customers", `{"name": 5}`, `"name" must be a string`},
		{"array body", "POST", "/v1/customers", `[{"name": "x"}]`, "must be an object"},
		{"two values", "POST", "/v1/customers", `{"name": "x"} {"name": "y"}`, "single JSON value"},
		{"empty", "POST", "/v1/customers", ``, "empty"},
		{"too large", "POST", "/v1/customers", big, "larger than"},
		{"missing name", "POST", "/v1/customers", `{}`, "name is required"},
		{"blank name", "POST", "/v1/customers", `{"name": "   "}`, "name is required"},
		{"long name", "POST", "/v1/customers", `{"name": "` + strings.Repeat("n", 201) + `"}`, "longer than"},
		{"control characters", "POST", "/v1/customers", `{"name": "a\u0000b"}`, "control characters"},
		{"nested unknown field", "POST", "/v1/customers/" + cid + "/integrations",
			`{"type": "hello", "name": "x", "config": {}, "schedule": {"new_interval": 5}}`, `unknown field "new_interval"`},
		{"schedule wrong type", "POST", "/v1/customers/" + cid + "/integrations",
			`{"type": "hello", "name": "x", "schedule": {"new_interval_s": "60"}}`, `"schedule.new_interval_s" must be an integer`},
		{"schedule fraction", "POST", "/v1/customers/" + cid + "/integrations",
			`{"type": "hello", "name": "x", "schedule": {"new_interval_s": 1.5}}`, "new_interval_s"},
		{"mirroring wrong type", "PATCH", ip, `{"mirroring": "yes"}`, `"mirroring" must be true or false`},
		{"action with unknown field", "POST", ip + "/test", `{"force": true}`, `unknown field "force"`},
		{"sync without body", "POST", ip + "/sync", ``, "empty"},
		{"token role wrong type", "POST", "/v1/tokens", `{"name": "x", "role": ["admin"]}`, `"role" must be a string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			before := e.snapshot()
			e.do(tc.method, tc.path, e.admin, tc.body).want(400, CodeInvalidArgument).wantMessage(tc.want)
			e.wantUnchanged(before)
		})
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, e.customer(fmt.Sprintf("customer %d", i)))
	}
	page := func(q string) []string {
		t.Helper()
		m := e.do("GET", "/v1/customers?"+q, e.admin, nil).want(200).json()
		if m["total"] != 7.0 {
			t.Fatalf("total %v", m["total"])
		}
		var out []string
		for _, it := range m["items"].([]any) {
			out = append(out, it.(map[string]any)["customer_id"].(string))
		}
		return out
	}
	// Newest first.
	all := page("take=500")
	for i, id := range all {
		if id != ids[len(ids)-1-i] {
			t.Fatalf("order %v, want newest first of %v", all, ids)
		}
	}
	// Pages neither repeat nor skip.
	var paged []string
	for skip := 0; skip < 7; skip += 3 {
		paged = append(paged, page(fmt.Sprintf("skip=%d&take=3", skip))...)
	}
	if strings.Join(paged, ",") != strings.Join(all, ",") {
		t.Fatalf("paged %v, want %v", paged, all)
	}
	if got := page("skip=100&take=5"); len(got) != 0 {
		t.Fatalf("skip past the end: %v", got)
	}
	if m := e.do("GET", "/v1/customers?take=0", e.admin, nil).want(200).json(); m["items"] != nil {
		t.Fatalf("take=0 answered items: %v", m)
	}
	// `to` pins a growing list.
	pin := all[0]
	e.customer("newer")
	if got := page2(t, e, "take=2&to="+pin); got[0] != pin {
		t.Fatalf("pinned page %v starts with %s, want %s", got, got[0], pin)
	}

	for _, q := range []string{"take=2&to=nope", "take=501", "take=-1", "skip=-1", "take=ten", "skip=1.5", "take=1&take=2", "tkae=5"} {
		t.Run(q, func(t *testing.T) {
			e := e.with(t)
			e.do("GET", "/v1/customers?"+q, e.admin, nil).want(400, CodeInvalidArgument)
		})
	}
}

func page2(t *testing.T, e *env, q string) []string {
	t.Helper()
	m := e.do("GET", "/v1/customers?"+q, e.admin, nil).want(200).json()
	var out []string
	for _, it := range m["items"].([]any) {
		out = append(out, it.(map[string]any)["customer_id"].(string))
	}
	return out
}

// TestDeleteCustomerInUse: a customer with events or cases is not deleted
// (409), even with no integration left, so that none is orphaned.
func TestDeleteCustomerInUse(t *testing.T) {
	e := newEnv(t)
	withEvent, withCase := e.customer("Events"), e.customer("Cases")
	e.do("POST", "/v1/security-events", e.admin, map[string]any{"customer_id": withEvent, "title": "x", "severity": map[string]any{"value": 10}}).want(201)
	e.do("POST", "/v1/cases", e.admin, map[string]any{"customer_id": withCase, "title": "x"}).want(201)
	for _, tc := range []struct{ id, msg string }{
		{withEvent, "1 security events and 1 cases"},
		{withCase, "0 security events and 1 cases"},
	} {
		e.do("DELETE", "/v1/customers/"+tc.id, e.admin, nil).want(409, CodeFailedPrecondition).wantMessage(tc.msg)
		e.do("GET", "/v1/customers/"+tc.id, e.admin, nil).want(200)
	}
	withInteg := e.customer("Integrations")
	e.integration(withInteg)
	e.do("DELETE", "/v1/customers/"+withInteg, e.admin, nil).want(409, CodeFailedPrecondition).wantMessage("delete its integrations first")
	empty := e.customer("Empty")
	e.do("DELETE", "/v1/customers/"+empty, e.admin, nil).want(204)
}
