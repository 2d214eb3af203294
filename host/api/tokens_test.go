package api

import (
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	r := e.do("POST", "/v1/tokens", e.admin, map[string]any{"name": "acme-soc", "role": "customer", "customer_id": cid}).want(201)
	tok := r.json()
	secret := tok["token"].(string)
	if len(secret) < 40 || tok["role"] != "customer" || tok["customer_id"] != cid || tok["name"] != "acme-soc" || tok["token_id"] == "" || tok["created_at"] == nil {
		t.Fatalf("created token %v", tok)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("token answer may be cached")
	}
	// Only the hash is stored.
	if strings.Contains(string(e.snapshot()), secret) {
		t.Fatal("token stored in clear")
	}
	list := e.do("GET", "/v1/tokens?take=10", e.admin, nil).want(200)
	if strings.Contains(string(list.Body), secret) || strings.Contains(string(list.Body), "hash") {
		t.Fatalf("token list shows secrets: %s", list.Body)
	}
	if m := list.json(); m["total"] != 2.0 {
		t.Fatalf("tokens %v", m)
	}
	e.do("GET", "/v1/customers/"+cid, secret, nil).want(200)

	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"bad role", map[string]any{"name": "x", "role": "root"}, "role"},
		{"no role", map[string]any{"name": "x"}, "role"},
		{"customer without customer", map[string]any{"name": "x", "role": "customer"}, "customer_id"},
		{"unknown customer", map[string]any{"name": "x", "role": "customer", "customer_id": "nope"}, "nope"},
		{"admin with customer", map[string]any{"name": "x", "role": "admin", "customer_id": cid}, "customer_id"},
		{"no name", map[string]any{"role": "admin"}, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			before := e.snapshot()
			e.do("POST", "/v1/tokens", e.admin, tc.body).want(400, CodeInvalidArgument).wantMessage(tc.want)
			e.wantUnchanged(before)
		})
	}

	// A customer token manages no tokens.
	before := e.snapshot()
	e.do("GET", "/v1/tokens", secret, nil).want(403, CodePermissionDenied)
	e.do("POST", "/v1/tokens", secret, map[string]any{"name": "x", "role": "admin"}).want(403, CodePermissionDenied)
	e.do("DELETE", "/v1/tokens/"+tok["token_id"].(string), secret, nil).want(403, CodePermissionDenied)
	e.wantUnchanged(before)

	// Deleting a token locks it out at once.
	e.do("DELETE", "/v1/tokens/"+tok["token_id"].(string), e.admin, nil).want(204)
	e.do("GET", "/v1/customers/"+cid, secret, nil).want(401, CodeUnauthenticated)
	e.do("DELETE", "/v1/tokens/"+tok["token_id"].(string), e.admin, nil).want(404, CodeNotFound)
	e.do("DELETE", "/v1/tokens/nope", e.admin, nil).want(404, CodeNotFound)

	// The last admin token stays; with a second one, either can go.
	items := e.do("GET", "/v1/tokens?take=10", e.admin, nil).want(200).json()["items"].([]any)
	adminID := items[0].(map[string]any)["token_id"].(string)
	e.do("DELETE", "/v1/tokens/"+adminID, e.admin, nil).want(409, CodeFailedPrecondition)
	second := e.token("second admin", "admin", "")
	e.do("DELETE", "/v1/tokens/"+adminID, second, nil).want(204)
	e.do("GET", "/v1/tokens", e.admin, nil).want(401, CodeUnauthenticated)
	e.do("GET", "/v1/tokens", second, nil).want(200)
}
