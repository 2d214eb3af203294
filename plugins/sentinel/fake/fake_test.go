package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

type served struct {
	f    *Fake
	base string
	cfg  map[string]any
}

func serve(t *testing.T, o fakevendor.Options) *served {
	t.Helper()
	f := New(o)
	base := fakevendor.Serve(t, f)
	return &served{f: f, base: base, cfg: f.Config(base)}
}

func (s *served) tokenFor(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.cfg["login_url"].(string)+"/"+s.f.TenantID()+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func (s *served) form(id, secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {Scope}}
}

func (s *served) token(t *testing.T) string {
	t.Helper()
	code, out := s.tokenFor(t, s.form(s.cfg["client_id"].(string), s.cfg["client_secret"].(string)))
	if code != http.StatusOK {
		t.Fatalf("token: %d %v", code, out)
	}
	return out["access_token"].(string)
}

func (s *served) incidents() string {
	return s.cfg["management_url"].(string) + "/subscriptions/" + s.f.SubscriptionID() + "/resourceGroups/" + ResourceGroup +
		"/providers/Microsoft.OperationalInsights/workspaces/" + Workspace + "/providers/Microsoft.SecurityInsights/incidents"
}

func (s *served) do(t *testing.T, method, u, tok, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func code(t *testing.T, b []byte) string {
	t.Helper()
	var e cloudErrorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("not a CloudError: %s", b)
	}
	return e.Error.Code
}

func TestTokenEndpoint(t *testing.T) {
	s := serve(t, fakevendor.Options{Seed: 1})
	id, secret := s.cfg["client_id"].(string), s.cfg["client_secret"].(string)
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		error  string
		aadsts string
	}{
		{"ok", s.form(id, secret), 200, "", ""},
		{"wrong secret", s.form(id, "nope"), 401, "invalid_client", "AADSTS7000215"},
		{"unknown app", s.form("0c0c0c0c-0000-4000-8000-000000000000", secret), 400, "unauthorized_client", "AADSTS700016"},
		{"wrong scope", func() url.Values {
			f := s.form(id, secret)
			f.Set("scope", "https://graph.microsoft.com/.default")
			return f
		}(), 400, "invalid_scope", "AADSTS1002012"},
		{"wrong grant", func() url.Values { f := s.form(id, secret); f.Set("grant_type", "password"); return f }(), 400, "unsupported_grant_type", "AADSTS70003"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := s.tokenFor(t, tc.form)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, out)
			}
			if tc.status == 200 {
				if out["token_type"] != "Bearer" || out["expires_in"].(float64) != 3599 || out["access_token"] == "" {
					t.Fatalf("token answer %v", out)
				}
				return
			}
			if out["error"] != tc.error || !strings.HasPrefix(out["error_description"].(string), tc.aadsts+":") {
				t.Fatalf("error %v", out)
			}
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		resp, err := http.PostForm(s.cfg["login_url"].(string)+"/contoso.onmicrosoft.com/oauth2/v2.0/token", s.form(id, secret))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 400 || !strings.HasPrefix(out["error_description"].(string), "AADSTS90002:") {
			t.Fatalf("%d %v", resp.StatusCode, out)
		}
	})
}

func TestManagementErrors(t *testing.T) {
	s := serve(t, fakevendor.Options{Alerts: 3, Seed: 1})
	tok := s.token(t)
	rid, rsec := s.f.NoAccessCredentials()
	_, out := s.tokenFor(t, s.form(rid, rsec))
	noAccess := out["access_token"].(string)
	q := "?api-version=" + APIVersion
	for _, tc := range []struct {
		name, method, url, tok, body string
		status                       int
		code                         string
	}{
		{"no token", "GET", s.incidents() + q, "", "", 401, "AuthenticationFailed"},
		{"bad token", "GET", s.incidents() + q, "eyJ.bad", "", 401, "InvalidAuthenticationToken"},
		{"no api-version", "GET", s.incidents(), tok, "", 400, "MissingApiVersionParameter"},
		{"old api-version", "GET", s.incidents() + "?api-version=2019-01-01-preview", tok, "", 400, "InvalidApiVersionParameter"},
		{"no role", "GET", s.incidents() + q, noAccess, "", 403, "AuthorizationFailed"},
		{"wrong workspace", "GET", strings.Replace(s.incidents(), Workspace, "law-x", 1) + q, tok, "", 404, "ResourceNotFound"},
		{"wrong group", "GET", strings.Replace(s.incidents(), ResourceGroup, "rg-x", 1) + q, tok, "", 404, "ResourceGroupNotFound"},
		{"bad filter", "GET", s.incidents() + q + "&%24filter=" + url.QueryEscape("properties/severity eq 'High'"), tok, "", 400, "BadRequest"},
		{"top too big", "GET", s.incidents() + q + "&%24top=1001", tok, "", 400, "BadRequest"},
		{"unknown incident", "GET", s.incidents() + "/00000000-0000-4000-8000-000000000000" + q, tok, "", 404, "NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := s.do(t, tc.method, tc.url, tc.tok, tc.body)
			if resp.StatusCode != tc.status || code(t, b) != tc.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
	t.Run("case-insensitive path", func(t *testing.T) {
		u := strings.Replace(strings.Replace(s.incidents(), "resourceGroups", "resourcegroups", 1), ResourceGroup, strings.ToUpper(ResourceGroup), 1)
		if resp, b := s.do(t, "GET", u+q, tok, ""); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
}

func TestThrottleAnswer(t *testing.T) {
	s := serve(t, fakevendor.Options{Alerts: 3, Seed: 1})
	tok := s.token(t)
	s.f.Store().ForceThrottle(1, 2500*time.Millisecond)
	resp, b := s.do(t, "GET", s.incidents()+"?api-version="+APIVersion, tok, "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || code(t, b) != "SubscriptionRequestsThrottled" {
		t.Fatalf("%d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}

func list(t *testing.T, s *served, tok string, q url.Values) ([]incidentJSON, string) {
	t.Helper()
	q.Set("api-version", APIVersion)
	resp, b := s.do(t, "GET", s.incidents()+"?"+q.Encode(), tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var page listJSON
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	return page.Value, page.NextLink
}

func TestListFilterOrderAndPaging(t *testing.T) {
	clk := t0
	s := serve(t, fakevendor.Options{Alerts: 60, Seed: 2, Now: func() time.Time { return clk }})
	tok := s.token(t)
	from, to := t0.Add(-30*time.Minute), t0.Add(-10*time.Minute)
	q := url.Values{
		"$filter":  {"properties/lastModifiedTimeUtc ge " + from.Format(time.RFC3339) + " and properties/lastModifiedTimeUtc lt " + to.Format(time.RFC3339)},
		"$orderby": {"properties/lastModifiedTimeUtc asc"},
		"$top":     {"7"},
	}
	var all []incidentJSON
	page, next := list(t, s, tok, q)
	all = append(all, page...)
	// An incident of the window is changed between pages: it leaves the
	// window, and the keyset pages neither skip nor repeat the others.
	clk = clk.Add(time.Second)
	if !s.f.AnalystUpdate(page[0].Name, "Active", "") {
		t.Fatal("AnalystUpdate")
	}
	for pages := 1; next != ""; pages++ {
		if !strings.HasPrefix(next, s.cfg["management_url"].(string)+"/subscriptions/") {
			t.Fatalf("nextLink %q does not point back at the fake", next)
		}
		if pages > 10 {
			t.Fatal("too many pages")
		}
		resp, b := s.do(t, "GET", next, tok, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		var p listJSON
		_ = json.Unmarshal(b, &p)
		all = append(all, p.Value...)
		next = p.NextLink
	}
	if len(all) != 20 {
		t.Fatalf("listed %d incidents in the 20-minute window, want 20", len(all))
	}
	seen := map[string]bool{}
	for i, inc := range all {
		if seen[inc.Name] {
			t.Fatalf("%s listed twice", inc.Name)
		}
		seen[inc.Name] = true
		if i > 0 && inc.Properties.LastModifiedTimeUtc < all[i-1].Properties.LastModifiedTimeUtc {
			t.Fatal("not ordered by lastModifiedTimeUtc")
		}
	}
	// The changed incident is now at the fake's now.
	page, _ = list(t, s, tok, url.Values{"$filter": {"properties/lastModifiedTimeUtc ge " + t0.Format(time.RFC3339)}})
	if len(page) != 1 || page[0].Name != all[0].Name || page[0].Properties.Status != "Active" {
		t.Fatalf("after the change: %d incidents modified since %s", len(page), t0)
	}
}

func TestPutIncident(t *testing.T) {
	s := serve(t, fakevendor.Options{Alerts: 3, Seed: 3})
	tok := s.token(t)
	page, _ := list(t, s, tok, url.Values{})
	inc := page[0]
	u := s.incidents() + "/" + inc.Name + "?api-version=" + APIVersion
	body := func(etag, status, class, reason string) string {
		b, _ := json.Marshal(map[string]any{"etag": etag, "properties": map[string]any{
			"title": inc.Properties.Title, "severity": inc.Properties.Severity, "status": status,
			"classification": class, "classificationReason": reason,
		}})
		return string(b)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"closed without classification", body(inc.Etag, "Closed", "", ""), 400, "BadRequest"},
		{"true positive without reason", body(inc.Etag, "Closed", "TruePositive", ""), 400, "BadRequest"},
		{"reason of another classification", body(inc.Etag, "Closed", "FalsePositive", "SuspiciousActivity"), 400, "BadRequest"},
		{"undetermined with a reason", body(inc.Etag, "Closed", "Undetermined", "InaccurateData"), 400, "BadRequest"},
		{"stale etag", body(`"00000000-0000-0100-0000-000000000099"`, "Active", "", ""), 409, "Conflict"},
		{"no title", `{"properties":{"severity":"High","status":"Active"}}`, 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := s.do(t, "PUT", u, tok, tc.body)
			if resp.StatusCode != tc.status || code(t, b) != tc.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
	if n := len(s.f.Store().State().Mirror); n != 0 {
		t.Fatalf("%d refused writes recorded", n)
	}
	resp, b := s.do(t, "PUT", u, tok, body(inc.Etag, "Closed", "BenignPositive", "SuspiciousButExpected"))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var after incidentJSON
	_ = json.Unmarshal(b, &after)
	if after.Etag == inc.Etag || after.Properties.Status != "Closed" || after.Properties.Classification != "BenignPositive" {
		t.Fatalf("after the PUT: %+v", after.Properties)
	}
	if resp, _ := s.do(t, "PUT", u, tok, body(inc.Etag, "Active", "", "")); resp.StatusCode != 409 {
		t.Fatalf("a PUT with the etag of before answered %d, want 409", resp.StatusCode)
	}
	rid, rsec := s.f.ReaderCredentials()
	_, out := s.tokenFor(t, s.form(rid, rsec))
	if resp, b := s.do(t, "PUT", u, out["access_token"].(string), body(after.Etag, "Active", "", "")); resp.StatusCode != 403 ||
		!strings.Contains(string(b), "Microsoft.SecurityInsights/incidents/write") {
		t.Fatalf("a reader's PUT: %d %s", resp.StatusCode, b)
	}
	if n := len(s.f.Store().State().Mirror); n != 1 {
		t.Fatalf("%d writes recorded, want 1", n)
	}
}

func TestComments(t *testing.T) {
	s := serve(t, fakevendor.Options{Alerts: 3, Seed: 4})
	tok := s.token(t)
	page, _ := list(t, s, tok, url.Values{})
	u := s.incidents() + "/" + page[0].Name + "/comments/4bb36b7b-26ff-4d1c-9cbe-0d8ab3da0014?api-version=" + APIVersion
	if resp, b := s.do(t, "GET", u, tok, ""); resp.StatusCode != 404 || code(t, b) != "NotFound" {
		t.Fatalf("missing comment: %d %s", resp.StatusCode, b)
	}
	if resp, _ := s.do(t, "PUT", u, tok, `{"properties":{}}`); resp.StatusCode != 400 {
		t.Fatalf("comment without a message: %d", resp.StatusCode)
	}
	if resp, b := s.do(t, "PUT", u, tok, `{"properties":{"message":"first"}}`); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	if resp, b := s.do(t, "PUT", u, tok, `{"properties":{"message":"second"}}`); resp.StatusCode != 200 {
		t.Fatalf("replace: %d %s", resp.StatusCode, b)
	}
	resp, b := s.do(t, "GET", u, tok, "")
	var c commentJSON
	_ = json.Unmarshal(b, &c)
	if resp.StatusCode != 200 || c.Properties.Message != "second" || c.Name != "4bb36b7b-26ff-4d1c-9cbe-0d8ab3da0014" {
		t.Fatalf("comment: %d %s", resp.StatusCode, b)
	}
	if got := s.f.Comments(page[0].Name); len(got) != 1 {
		t.Fatalf("comments %q, want the one", got)
	}
}

func TestEntitiesAndDate(t *testing.T) {
	s := serve(t, fakevendor.Options{Alerts: 20, Seed: 5, Now: func() time.Time { return t0 }})
	tok := s.token(t)
	page, _ := list(t, s, tok, url.Values{"$top": {"20"}})
	kinds := map[string]bool{}
	for _, inc := range page {
		resp, b := s.do(t, "POST", s.incidents()+"/"+inc.Name+"/entities?api-version="+APIVersion, tok, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if d, _ := http.ParseTime(resp.Header.Get("Date")); !d.Equal(t0) {
			t.Fatalf("Date %q is not the store's clock", resp.Header.Get("Date"))
		}
		var ents entitiesJSON
		_ = json.Unmarshal(b, &ents)
		if len(ents.Entities) == 0 || len(ents.MetaData) == 0 {
			t.Fatalf("incident %s has no entities", inc.Name)
		}
		for _, e := range ents.Entities {
			kinds[e.Kind] = true
		}
	}
	for _, k := range []string{"Account", "Host", "Ip", "FileHash", "DnsResolution", "Url"} {
		if !kinds[k] {
			t.Errorf("no %s entity among 20 incidents", k)
		}
	}
}
