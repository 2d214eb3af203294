package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, auth string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

type gqlAnswer struct {
	Data struct {
		Viewer struct {
			Zones []struct {
				ZoneTag  string           `json:"zoneTag"`
				Events   []map[string]any `json:"firewallEventsAdaptive"`
				Settings struct {
					FirewallEventsAdaptive map[string]any `json:"firewallEventsAdaptive"`
				} `json:"settings"`
			} `json:"zones"`
		} `json:"viewer"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

const eventsQuery = `query ListFirewallEvents($zoneTag: string, $filter: FirewallEventsAdaptiveFilter_InputObject, $limit: uint64!) {
  viewer {
    zones(filter: { zoneTag: $zoneTag }) {
      zoneTag
      firewallEventsAdaptive(filter: $filter, limit: $limit, orderBy: [datetime_ASC, rayName_ASC]) {
        datetime
        rayName
        action
        ray: rayName
        edgeResponseStatus
      }
    }
  }
}`

func newFake(t *testing.T, o fakevendor.Options) (*Fake, string) {
	t.Helper()
	f := New(o)
	return f, fakevendor.Serve(t, f)
}

func (f *Fake) query(t *testing.T, base, tok, q string, vars map[string]any) (answer, gqlAnswer) {
	t.Helper()
	a := do(t, http.MethodPost, base+"/client/v4/graphql", "Bearer "+tok, map[string]any{"query": q, "variables": vars})
	var g gqlAnswer
	if a.status == http.StatusOK {
		if err := json.Unmarshal(a.body, &g); err != nil {
			t.Fatalf("%s: %v", a.body, err)
		}
	}
	return a, g
}

func TestAuth(t *testing.T) {
	now := time.Now().UTC()
	f, base := newFake(t, fakevendor.Options{Alerts: 5, Seed: 1, Now: func() time.Time { return now }})
	tests := []struct {
		name, method, path, auth string
		status                   int
		want                     string
	}{
		{"verify ok", "GET", "/client/v4/user/tokens/verify", "Bearer " + f.Token(), 200, `"status":"active"`},
		{"verify account token", "GET", "/client/v4/accounts/" + f.AccountTag() + "/tokens/verify", "Bearer " + f.Token(), 200, `"status":"active"`},
		{"no header", "GET", "/client/v4/user/tokens/verify", "", 400, `"code":6111`},
		{"not bearer", "GET", "/client/v4/user/tokens/verify", "Token " + f.Token(), 400, `"code":6003`},
		{"unknown token", "GET", "/client/v4/user/tokens/verify", "Bearer conformance-wrong-token-000000", 401, `"Invalid API Token"`},
		{"zone", "GET", "/client/v4/zones/" + f.ZoneTag(), "Bearer " + f.Token(), 200, `"name":"example.com"`},
		{"unknown zone", "GET", "/client/v4/zones/0123", "Bearer " + f.Token(), 400, `"code":7003`},
		{"graphql unknown token", "POST", "/client/v4/graphql", "Bearer conformance-wrong-token-000000", 401, `"Unauthorized"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, tc.method, base+tc.path, tc.auth, map[string]any{"query": "{viewer{zones{zoneTag}}}"})
			if a.status != tc.status || !strings.Contains(string(a.body), tc.want) {
				t.Fatalf("got %d %s, want %d with %s", a.status, a.body, tc.status, tc.want)
			}
		})
	}
}

func TestQueryEvents(t *testing.T) {
	now := time.Now().UTC()
	f, base := newFake(t, fakevendor.Options{Alerts: 50, Seed: 1, Now: func() time.Time { return now }})
	vars := map[string]any{"zoneTag": f.ZoneTag(), "limit": 1000, "filter": map[string]any{
		"datetime_geq": now.Add(-2 * time.Hour).Format(time.RFC3339), "datetime_leq": now.Format(time.RFC3339)}}
	_, g := f.query(t, base, f.Token(), eventsQuery, vars)
	if len(g.Errors) > 0 {
		t.Fatal(g.Errors)
	}
	rows := g.Data.Viewer.Zones[0].Events
	if len(rows) != 50 || g.Data.Viewer.Zones[0].ZoneTag != f.ZoneTag() {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if len(r) != 5 || r["ray"] != r["rayName"] {
			t.Fatalf("row %d has fields %v: want exactly the selection, aliases included", i, r)
		}
		if i > 0 && r["datetime"].(string) < rows[i-1]["datetime"].(string) {
			t.Fatal("rows out of order")
		}
	}

	t.Run("keyset paging with OR", func(t *testing.T) {
		var got []string
		filter := vars["filter"].(map[string]any)
		for page := 0; page < 20; page++ {
			v := map[string]any{"zoneTag": f.ZoneTag(), "limit": 7, "filter": filter}
			_, g := f.query(t, base, f.Token(), eventsQuery, v)
			if len(g.Errors) > 0 {
				t.Fatal(g.Errors)
			}
			rows := g.Data.Viewer.Zones[0].Events
			for _, r := range rows {
				got = append(got, r["rayName"].(string))
			}
			if len(rows) < 7 {
				break
			}
			last := rows[len(rows)-1]
			filter = map[string]any{
				"datetime_geq": last["datetime"], "datetime_leq": now.Format(time.RFC3339),
				"OR": []any{map[string]any{"datetime_gt": last["datetime"]}, map[string]any{"rayName_gt": last["rayName"]}},
			}
		}
		if len(got) != 50 {
			t.Fatalf("paged %d rows, want 50", len(got))
		}
		seen := map[string]bool{}
		for _, r := range got {
			if seen[r] {
				t.Fatalf("ray %s twice", r)
			}
			seen[r] = true
		}
	})

	t.Run("settings", func(t *testing.T) {
		_, g := f.query(t, base, f.Token(), `{ viewer { zones(filter: {zoneTag: "`+f.ZoneTag()+`"}) { settings { firewallEventsAdaptive { enabled maxDuration maxPageSize notOlderThan } } } } }`, nil)
		s := g.Data.Viewer.Zones[0].Settings.FirewallEventsAdaptive
		if s["enabled"] != true || s["maxDuration"] != 259200.0 || s["notOlderThan"] != 2678400.0 || s["maxPageSize"] != 10000.0 {
			t.Fatalf("settings %v (%v)", s, g.Errors)
		}
	})
}

func TestGraphQLErrors(t *testing.T) {
	now := time.Now().UTC()
	f, base := newFake(t, fakevendor.Options{Alerts: 5, Seed: 1, Now: func() time.Time { return now }})
	window := func(from, to time.Time) map[string]any {
		return map[string]any{"datetime_geq": from.Format(time.RFC3339), "datetime_leq": to.Format(time.RFC3339)}
	}
	tests := []struct {
		name, tok, query string
		vars             map[string]any
		want             string
	}{
		{"too old", f.Token(), eventsQuery, map[string]any{"zoneTag": f.ZoneTag(), "limit": 10, "filter": window(now.Add(-40*24*time.Hour), now.Add(-39*24*time.Hour))}, "cannot request data older than 2678400s"},
		{"too wide", f.Token(), eventsQuery, map[string]any{"zoneTag": f.ZoneTag(), "limit": 10, "filter": window(now.Add(-5*24*time.Hour), now)}, "query time range is too large"},
		{"limit", f.Token(), eventsQuery, map[string]any{"zoneTag": f.ZoneTag(), "limit": 10001, "filter": window(now.Add(-time.Hour), now)}, "limit must be positive number and not greater than 10000"},
		{"unknown field", f.Token(), `{ viewer { zones { firewallEventsAdaptive(limit: 1, filter: {datetime_geq: "` + now.Format(time.RFC3339) + `"}) { nosuchfield } } } }`, nil, `unknown field "nosuchfield"`},
		{"parse", f.Token(), `{ viewer { zones { `, nil, "error parsing args"},
		{"other zone", f.Token(), `{ viewer { zones(filter: {zoneTag: "0123"}) { zoneTag } } }`, nil, "zones [0123] are not authorized"},
		{"no analytics", f.NoAnalyticsToken(), eventsQuery, map[string]any{"zoneTag": f.ZoneTag(), "limit": 10, "filter": window(now.Add(-time.Hour), now)}, "are not authorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, g := f.query(t, base, tc.tok, tc.query, tc.vars)
			if a.status != http.StatusOK || len(g.Errors) != 1 || !strings.Contains(g.Errors[0].Message, tc.want) {
				t.Fatalf("got %d %s, want a 200 with error %q", a.status, a.body, tc.want)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	now := time.Now().UTC()
	f, base := newFake(t, fakevendor.Options{Alerts: 5, Seed: 1, Now: func() time.Time { return now }})
	q := map[string]any{"query": "{viewer{zones{zoneTag}}}"}
	f.Store().ForceThrottle(1, 5*time.Minute)
	a := do(t, http.MethodPost, base+"/client/v4/graphql", "Bearer "+f.Token(), q)
	if a.status != 200 || !strings.Contains(string(a.body), "rate limiter budget depleted, try again after 5 minutes") {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	f.Store().ForceThrottle(1, 30*time.Second)
	a = do(t, http.MethodPost, base+"/client/v4/graphql", "Bearer "+f.Token(), q)
	if a.status != 429 || a.header.Get("Retry-After") != "30" {
		t.Fatalf("got %d %v %s", a.status, a.header, a.body)
	}
	if a := do(t, http.MethodPost, base+"/client/v4/graphql", "Bearer "+f.Token(), q); a.status != 200 || !strings.Contains(string(a.body), `"errors":null`) {
		t.Fatalf("after the throttle: %d %s", a.status, a.body)
	}
}

func TestParser(t *testing.T) {
	vars := map[string]any{"n": 3.0}
	sel, err := parseQuery(`# a comment
query Q($n: Int = 5, $d: String = "x") {
  a: viewer { zones(filter: {zoneTag_in: ["a", "b"], limit: $n, s: $d}, order: [x_ASC], flag: true, none: null) { zoneTag } }
}`, vars)
	if err != nil {
		t.Fatal(err)
	}
	z := sel[0].sel[0]
	got := fmt.Sprint(sel[0].key(), " ", z.args["filter"], " ", z.args["order"], " ", z.args["flag"], " ", z.args["none"])
	if want := "a map[limit:3 s:x zoneTag_in:[a b]] [x_ASC] true <nil>"; got != want {
		t.Fatalf("parsed %q, want %q", got, want)
	}
	for _, bad := range []string{`{ viewer { ...f } }`, `mutation { x }`, `{ viewer(a: ) { x } }`, `{}`} {
		if _, err := parseQuery(bad, nil); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
