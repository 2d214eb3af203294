package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func call(t *testing.T, method, u, token, ctype, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func login(t *testing.T, f *Fake, base string) string {
	t.Helper()
	form := url.Values{"client_id": {f.ClientID()}, "client_secret": {f.ClientSecret()}}
	resp, body := call(t, "POST", base+"/oauth2/token", "", "application/x-www-form-urlencoded", form.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &tok) != nil || tok.ExpiresIn != 1799 || tok.TokenType != "bearer" {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	return tok.AccessToken
}

func TestTokenAndErrors(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := New(fakevendor.Options{Alerts: 5, Seed: 1, Now: func() time.Time { return now }})
	base := fakevendor.Serve(t, f)
	form := url.Values{"client_id": {f.ClientID()}, "client_secret": {"wrong"}}
	resp, body := call(t, "POST", base+"/oauth2/token", "", "application/x-www-form-urlencoded", form.Encode())
	if resp.StatusCode != 403 || !strings.Contains(body, `"code":403`) || !strings.Contains(body, "Client authentication failed") {
		t.Errorf("bad secret: %d %s", resp.StatusCode, body)
	}
	tok := login(t, f, base)
	resp, body = call(t, "GET", base+"/alerts/queries/alerts/v2?limit=2", "nope", "", "")
	if resp.StatusCode != 401 || !strings.Contains(body, "access denied, invalid bearer token") {
		t.Errorf("bad token: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "6000" || resp.Header.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("rate-limit headers %v", resp.Header)
	}
	f.Store().ForceThrottle(1, 30*time.Second)
	resp, _ = call(t, "GET", base+"/alerts/queries/alerts/v2", tok, "", "")
	if resp.StatusCode != 429 || resp.Header.Get("X-RateLimit-Remaining") != "0" ||
		resp.Header.Get("X-RateLimit-RetryAfter") != strconv.FormatInt(now.Add(30*time.Second).Unix(), 10) ||
		resp.Header.Get("Date") != now.Format(http.TimeFormat) {
		t.Errorf("throttled: %d %v", resp.StatusCode, resp.Header)
	}
	for q, want := range map[string]string{
		"filter=" + url.QueryEscape("nosuch:'x'"):                     "invalid filter field",
		"filter=" + url.QueryEscape("updated_timestamp:>'yesterday'"): "invalid timestamp",
		"offset=9990&limit=20":                                        "must not exceed 10000",
		"sort=severity|sideways":                                      "invalid sort direction",
	} {
		resp, body = call(t, "GET", base+"/alerts/queries/alerts/v2?"+q, tok, "", "")
		if resp.StatusCode != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
	f.SetScopes(ScopeAlertsRead)
	resp, body = call(t, "PATCH", base+"/alerts/entities/alerts/v3", tok, "application/json", `{"composite_ids":["x"],"action_parameters":[{"name":"update_status","value":"closed"}]}`)
	if resp.StatusCode != 403 || !strings.Contains(body, "authorization failed") {
		t.Errorf("patch without Alerts: Write: %d %s", resp.StatusCode, body)
	}
}

func TestQueryEntitiesPatch(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := New(fakevendor.Options{Alerts: 30, Seed: 2, Now: func() time.Time { return now }})
	base := fakevendor.Serve(t, f)
	tok := login(t, f, base)
	filter := "updated_timestamp:>='" + now.Add(-30*time.Minute).Format(time.RFC3339) + "'+severity:>=10"
	_, body := call(t, "GET", base+"/alerts/queries/alerts/v2?sort=updated_timestamp|asc&limit=5&filter="+url.QueryEscape(filter), tok, "", "")
	var q struct {
		Meta struct {
			Pagination struct{ Offset, Limit, Total int }
		}
		Resources []string
	}
	if err := json.Unmarshal([]byte(body), &q); err != nil || len(q.Resources) != 5 || q.Meta.Pagination.Total != 15 {
		t.Fatalf("query: %v %s", err, body)
	}
	ids, _ := json.Marshal(map[string][]string{"composite_ids": q.Resources})
	_, body = call(t, "POST", base+"/alerts/entities/alerts/v2", tok, "application/json", string(ids))
	var e struct {
		Resources []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.Resources) != 5 {
		t.Fatalf("entities: %v %s", err, body)
	}
	prev := ""
	for _, a := range e.Resources {
		ut := a["updated_timestamp"].(string)
		if len(ut) != len("2006-01-02T15:04:05.000000000Z") || ut < prev {
			t.Errorf("updated_timestamp %q after %q", ut, prev)
		}
		prev = ut
	}
	patch := `{"composite_ids":["` + q.Resources[0] + `"],"action_parameters":[{"name":"update_status","value":"closed"},{"name":"append_comment","value":"done [outpost:1]"}]}`
	resp, body := call(t, "PATCH", base+"/alerts/entities/alerts/v3", tok, "application/json", patch)
	if resp.StatusCode != 200 || !strings.Contains(body, `"resources_affected":1`) {
		t.Fatalf("patch: %d %s", resp.StatusCode, body)
	}
	ids, _ = json.Marshal(map[string][]string{"composite_ids": q.Resources[:1]})
	_, body = call(t, "POST", base+"/alerts/entities/alerts/v2", tok, "application/json", string(ids))
	if !strings.Contains(body, `"status":"closed"`) || !strings.Contains(body, `"value":"done [outpost:1]"`) {
		t.Errorf("alert after the patch: %s", body)
	}
	resp, _ = call(t, "PATCH", base+"/alerts/entities/alerts/v3", tok, "application/json", `{"composite_ids":["`+q.Resources[1]+`"],"action_parameters":[{"name":"update_status","value":"resolved"}]}`)
	if resp.StatusCode != 400 {
		t.Errorf("invalid status accepted: %d", resp.StatusCode)
	}
	if n := len(f.Store().State().Mirror); n != 1 {
		t.Errorf("%d recorded write-backs, want 1", n)
	}
}

func TestCombinedPaging(t *testing.T) {
	f := New(fakevendor.Options{Alerts: 25, Seed: 3})
	base := fakevendor.Serve(t, f)
	tok := login(t, f, base)
	seen := map[string]bool{}
	after := ""
	for pages := 0; pages < 10; pages++ {
		req, _ := json.Marshal(map[string]any{"filter": "", "sort": "created_timestamp|asc", "limit": 10, "after": after})
		_, body := call(t, "POST", base+"/alerts/combined/alerts/v1", tok, "application/json", string(req))
		var p struct {
			Meta struct {
				Pagination struct{ After string }
			}
			Resources []map[string]any
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Resources {
			id := a["composite_id"].(string)
			if seen[id] {
				t.Errorf("%s on two pages", id)
			}
			seen[id] = true
		}
		if after = p.Meta.Pagination.After; after == "" {
			break
		}
	}
	if len(seen) != 25 {
		t.Errorf("%d alerts over the pages, want 25", len(seen))
	}
}
