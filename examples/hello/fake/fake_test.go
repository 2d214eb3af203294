package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// clock is a settable clock for the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// client talks to a served fake.
type client struct {
	t    *testing.T
	base string
	key  string
}

func serve(t *testing.T, o fakevendor.Options) (*Fake, *client) {
	f := New(o)
	return f, &client{t: t, base: fakevendor.Serve(t, f), key: f.APIKey()}
}

func (c *client) do(method, path string, body string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, b
}

type page struct {
	Alerts []struct {
		ID        string `json:"id"`
		CreatedAt string `json:"created_at"`
	} `json:"alerts"`
	NextCursor string `json:"next_cursor"`
	Until      string `json:"until"`
}

func (c *client) page(q url.Values) page {
	c.t.Helper()
	resp, b := c.do("GET", "/api/v1/alerts?"+q.Encode(), "")
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET alerts: %d %s", resp.StatusCode, b)
	}
	var p page
	if err := json.Unmarshal(b, &p); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func errorCode(t *testing.T, b []byte) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("error body %s is not {\"error\":{\"code\",\"message\"}}", b)
	}
	return e.Error.Code
}

func TestAuthAndThrottle(t *testing.T) {
	f, c := serve(t, fakevendor.Options{Alerts: 5, Seed: 1})
	tests := []struct {
		name   string
		key    string
		setup  func()
		status int
		code   string
		header string
	}{
		{name: "good key", key: f.APIKey(), status: 200},
		{name: "wrong key", key: "not-the-key", status: 401, code: "unauthorized"},
		{name: "no key", key: "", status: 401, code: "unauthorized"},
		{name: "throttled", key: f.APIKey(), setup: func() { f.Store().ForceThrottle(1, 2500*time.Millisecond) },
			status: 429, code: "rate_limited", header: "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			c.key = tt.key
			resp, b := c.do("GET", "/api/v1/me", "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.code != "" && errorCode(t, b) != tt.code {
				t.Errorf("error code in %s, want %s", b, tt.code)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.header {
				t.Errorf("Retry-After %q, want %q", got, tt.header)
			}
		})
	}
}

func TestRateLimitEvery(t *testing.T) {
	_, c := serve(t, fakevendor.Options{Alerts: 5, Seed: 1, RateLimitEvery: 3})
	var codes []int
	for range 6 {
		resp, _ := c.do("GET", "/api/v1/me", "")
		codes = append(codes, resp.StatusCode)
	}
	if codes[2] != 429 || codes[5] != 429 || codes[0] != 200 || codes[3] != 200 {
		t.Fatalf("status codes %v, want every third 429", codes)
	}
}

func TestPagingSameTimestamp(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	// 20,000 alerts a second stamped in milliseconds: about 20 share each
	// created_at, so pages of 7 cut through every group.
	f, c := serve(t, fakevendor.Options{Rate: 20000, Seed: 2, Now: clk.Now})
	clk.Add(10 * time.Millisecond)
	want := f.Store().Window(start, clk.Now())
	if len(want) < 150 {
		t.Fatalf("the fake made %d alerts, want about 200", len(want))
	}

	q := url.Values{"since": {start.Format(time.RFC3339)}, "limit": {"7"}}
	var got []string
	seen := map[string]bool{}
	pages, splits := 0, 0
	lastTime := ""
	windowEnd := clk.Now().Format(TimeFormat)
	for {
		p := c.page(q)
		pages++
		if p.Until != windowEnd {
			t.Fatalf("until %q, want the vendor's now when the query began, %q", p.Until, windowEnd)
		}
		if len(p.Alerts) > 0 && p.Alerts[0].CreatedAt == lastTime {
			splits++
		}
		for i, a := range p.Alerts {
			if seen[a.ID] {
				t.Fatalf("alert %s on two pages", a.ID)
			}
			seen[a.ID] = true
			got = append(got, a.ID)
			if i > 0 && (a.CreatedAt < p.Alerts[i-1].CreatedAt ||
				a.CreatedAt == p.Alerts[i-1].CreatedAt && a.ID <= p.Alerts[i-1].ID) {
				t.Fatalf("page not ordered by (created_at, id) at %s", a.ID)
			}
			lastTime = a.CreatedAt
		}
		if p.NextCursor == "" {
			break
		}
		// More alerts made while paging belong to a later query: the
		// token keeps the window of the first page.
		clk.Add(time.Millisecond)
		q = url.Values{"cursor": {p.NextCursor}, "limit": {"7"}}
	}
	if len(got) != len(want) {
		t.Fatalf("paged %d alerts, the window holds %d", len(got), len(want))
	}
	for i, a := range want {
		if got[i] != a.ID {
			t.Fatalf("alert %d is %s, want %s", i, got[i], a.ID)
		}
	}
	if splits == 0 {
		t.Fatal("no page boundary fell inside a group of equal created_at: the test proves nothing")
	}
	t.Logf("%d alerts, %d pages, %d boundaries inside a timestamp", len(got), pages, splits)
}

func TestListBounds(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: now}
	f, c := serve(t, fakevendor.Options{Alerts: 60, Seed: 1, Now: clk.Now})
	all := f.Store().All()
	from, to := all[10].Time, all[20].Time
	p := c.page(url.Values{"since": {from.Format(TimeFormat)}, "until": {to.Format(TimeFormat)}, "limit": {"500"}})
	if len(p.Alerts) != 10 || p.Alerts[0].ID != all[10].ID || p.NextCursor != "" {
		t.Fatalf("[alert 10, alert 20) gave %d alerts starting %v, next %q; want 10 from %s (since inclusive, until exclusive)",
			len(p.Alerts), p.Alerts, p.NextCursor, all[10].ID)
	}
	if p.Until != to.Format(TimeFormat) {
		t.Errorf("until echoed %q, want %q", p.Until, to.Format(TimeFormat))
	}

	bad := []struct {
		name, query, code string
	}{
		{"limit too large", "limit=501", "invalid_request"},
		{"limit zero", "limit=0", "invalid_request"},
		{"since not a time", "since=yesterday", "invalid_request"},
		{"until before since", "since=2026-03-01T11:00:00Z&until=2026-03-01T10:00:00Z", "invalid_request"},
		{"since past retention", "since=2025-12-01T00:00:00Z", "since_out_of_range"},
		{"garbage cursor", "cursor=bm9wZQ", "invalid_cursor"},
		{"not base64", "cursor=%25%25", "invalid_cursor"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.do("GET", "/api/v1/alerts?"+tt.query, "")
			if resp.StatusCode != 400 || errorCode(t, b) != tt.code {
				t.Fatalf("status %d body %s, want 400 %s", resp.StatusCode, b, tt.code)
			}
		})
	}
}

func TestAlertSize(t *testing.T) {
	_, c := serve(t, fakevendor.Options{Alerts: 200, Seed: 1})
	resp, b := c.do("GET", "/api/v1/alerts?limit=200", "")
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	var p struct {
		Alerts []json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, a := range p.Alerts {
		total += len(a)
	}
	if avg := total / len(p.Alerts); avg < 1200 || avg > 1900 {
		t.Fatalf("alerts average %d bytes, want about 1.5 KB", avg)
	}
}

func TestWriteBack(t *testing.T) {
	f, c := serve(t, fakevendor.Options{Alerts: 5, Seed: 1})
	id := f.Store().All()[0].ID
	steps := []struct {
		name, method, path, body string
		status                   int
		recorded                 bool
	}{
		{"patch status", "PATCH", "/api/v1/alerts/" + id, `{"status":"in_progress"}`, 200, true},
		{"patch owner and resolution", "PATCH", "/api/v1/alerts/" + id, `{"owner":"ana","status":"closed","resolution":"false_positive"}`, 200, true},
		{"bad status", "PATCH", "/api/v1/alerts/" + id, `{"status":"done"}`, 400, false},
		{"unknown field", "PATCH", "/api/v1/alerts/" + id, `{"colour":"red"}`, 400, false},
		{"empty patch", "PATCH", "/api/v1/alerts/" + id, `{}`, 400, false},
		{"unknown alert", "PATCH", "/api/v1/alerts/hello-nope", `{"status":"open"}`, 404, false},
		{"comment", "POST", "/api/v1/alerts/" + id + "/comments", `{"text":"looked at it [outpost:c1]"}`, 201, true},
		{"empty comment", "POST", "/api/v1/alerts/" + id + "/comments", `{"text":" "}`, 400, false},
	}
	n := 0
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			resp, b := c.do(s.method, s.path, s.body)
			if resp.StatusCode != s.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, s.status, b)
			}
			if s.recorded {
				n++
			}
			recs := f.Store().State().Mirror
			if len(recs) != n {
				t.Fatalf("%d write-backs recorded, want %d", len(recs), n)
			}
			if s.recorded {
				r := recs[n-1]
				if r.Method != s.method || r.Path != s.path || string(r.Body) != s.body {
					t.Fatalf("recorded %s %s %s, want the request as received", r.Method, r.Path, r.Body)
				}
			}
		})
	}

	_, b := c.do("GET", "/api/v1/alerts/"+id, "")
	var a alertJSON
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if a.Status != "closed" || a.Owner != "ana" || a.Resolution != "false_positive" || a.Comments != 1 {
		t.Fatalf("alert after write-back: status %q owner %q resolution %q comments %d", a.Status, a.Owner, a.Resolution, a.Comments)
	}
	_, b = c.do("GET", "/api/v1/alerts/"+id+"/comments", "")
	var list struct {
		Comments []commentJSON `json:"comments"`
	}
	if err := json.Unmarshal(b, &list); err != nil || len(list.Comments) != 1 ||
		list.Comments[0].Text != "looked at it [outpost:c1]" || list.Comments[0].CreatedAt == "" {
		t.Fatalf("comments %s", b)
	}
}
