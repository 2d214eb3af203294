package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

var nextRE = regexp.MustCompile(`<([^>]+)>; rel="next"`)

type answer struct {
	status int
	header http.Header
	events []logEvent
	body   []byte
	next   string
}

func get(t *testing.T, rawURL, token string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &a.events); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
	}
	for _, l := range resp.Header.Values("Link") {
		if m := nextRE.FindStringSubmatch(l); m != nil {
			a.next = m[1]
		}
	}
	return a
}

func errorCode(t *testing.T, a answer) string {
	t.Helper()
	var e oktaError
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %s: %v", a.body, err)
	}
	return e.ErrorCode
}

func newFake(t *testing.T, o fakevendor.Options) (*Fake, string) {
	t.Helper()
	f := New(o)
	return f, fakevendor.Serve(t, f)
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestAuthAndErrors(t *testing.T) {
	f, base := newFake(t, fakevendor.Options{Alerts: 5, Seed: 3, Now: func() time.Time { return t0 }})
	old := url.QueryEscape(t0.Add(-200 * 24 * time.Hour).Format(time.RFC3339))
	tests := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no token", "/api/v1/logs?limit=1", "", 401, "E0000011"},
		{"wrong token", "/api/v1/logs?limit=1", "not-the-token-at-all-xx", 401, "E0000011"},
		{"no permission", "/api/v1/logs?limit=1", f.NoLogsToken(), 403, "E0000006"},
		{"bad since", "/api/v1/logs?since=yesterday", f.Token(), 400, "E0000001"},
		{"since too old", "/api/v1/logs?since=" + old, f.Token(), 400, "E0000053"},
		{"bad filter", "/api/v1/logs?filter=" + url.QueryEscape(`eventType eqq "x"`), f.Token(), 400, "E0000053"},
		{"limit too large", "/api/v1/logs?limit=1001", f.Token(), 400, "E0000001"},
		{"unknown path", "/api/v1/nothing", f.Token(), 404, "E0000007"},
		{"ok", "/api/v1/logs?limit=1", f.Token(), 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, base+tc.path, tc.token)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.code != "" && errorCode(t, a) != tc.code {
				t.Fatalf("error code %s, want %s", errorCode(t, a), tc.code)
			}
			if a.header.Get("X-Rate-Limit-Limit") == "" {
				t.Fatal("no rate-limit headers")
			}
		})
	}
}

func TestThrottleAnswersOktas429(t *testing.T) {
	f, base := newFake(t, fakevendor.Options{Alerts: 5, Seed: 3, Now: func() time.Time { return t0 }})
	f.Store().ForceThrottle(1, 42*time.Second)
	a := get(t, base+"/api/v1/logs", f.Token())
	if a.status != http.StatusTooManyRequests || errorCode(t, a) != "E0000047" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	reset, _ := strconv.ParseInt(a.header.Get("X-Rate-Limit-Reset"), 10, 64)
	if got := time.Unix(reset, 0).Sub(t0); got != 42*time.Second {
		t.Fatalf("reset %s after now, want 42s", got)
	}
	if a.header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatal("remaining is not 0 on a 429")
	}
}

func TestPollingAlwaysHasNextAndBoundedEnds(t *testing.T) {
	now := t0
	f, base := newFake(t, fakevendor.Options{Alerts: 25, Seed: 3, Now: func() time.Time { return now }})
	since := url.QueryEscape(t0.Add(-2 * time.Hour).Format(time.RFC3339))

	t.Run("polling", func(t *testing.T) {
		link := base + "/api/v1/logs?limit=10&since=" + since
		var got []logEvent
		for i := 0; i < 10; i++ {
			a := get(t, link, f.Token())
			if a.next == "" {
				t.Fatal("polling page without a next link")
			}
			got = append(got, a.events...)
			if len(a.events) == 0 {
				break
			}
			link = a.next
		}
		if len(got) != 25 {
			t.Fatalf("polled %d events, want 25", len(got))
		}
		// A new event shows up at the end of the last next link.
		now = now.Add(time.Second)
		f.Store().Update(f.Store().All()[0].ID, func(*fakevendor.Alert) {})
		if a := get(t, link, f.Token()); len(a.events) != 0 {
			t.Fatalf("no new events expected, got %d", len(a.events))
		}
	})

	t.Run("bounded", func(t *testing.T) {
		until := url.QueryEscape(t0.Format(time.RFC3339))
		link := base + "/api/v1/logs?limit=10&since=" + since + "&until=" + until
		pages, n := 0, 0
		for link != "" {
			a := get(t, link, f.Token())
			n += len(a.events)
			pages++
			link = a.next
			if pages > 5 {
				t.Fatal("bounded paging does not end")
			}
		}
		if n != 25 || pages != 3 {
			t.Fatalf("%d events in %d pages, want 25 in 3", n, pages)
		}
	})

	t.Run("descending", func(t *testing.T) {
		a := get(t, base+"/api/v1/logs?limit=5&sortOrder=DESCENDING&since="+since, f.Token())
		if len(a.events) != 5 || a.next == "" {
			t.Fatalf("%d events, next %q", len(a.events), a.next)
		}
		for i := 1; i < len(a.events); i++ {
			if a.events[i].Published > a.events[i-1].Published {
				t.Fatal("descending page out of order")
			}
		}
	})
}

func TestPollingReturnsLateEventsByPersistenceTime(t *testing.T) {
	now := t0
	f, base := newFake(t, fakevendor.Options{Alerts: 0, Rate: 10, LateFraction: 0.3, LateDelay: 10 * time.Second,
		Seed: 5, Now: func() time.Time { return now }})
	now = now.Add(30 * time.Second)
	since := url.QueryEscape(t0.Format(time.RFC3339))
	link := base + "/api/v1/logs?limit=1000&since=" + since
	a := get(t, link, f.Token())
	outOfOrder := false
	for i := 1; i < len(a.events); i++ {
		if a.events[i].Published < a.events[i-1].Published {
			outOfOrder = true
		}
	}
	if !outOfOrder {
		t.Fatal("late events should come back after those persisted before them")
	}
	if want := f.Store().State().Visible; len(a.events) != want {
		t.Fatalf("polled %d, want every visible event (%d)", len(a.events), want)
	}
}

func TestFilterAndKeywords(t *testing.T) {
	f, base := newFake(t, fakevendor.Options{Alerts: 200, Seed: 3, Now: func() time.Time { return t0 }})
	since := url.QueryEscape(t0.Add(-2 * time.Hour).Format(time.RFC3339))
	tests := []struct {
		filter, q string
		ok        func(logEvent) bool
	}{
		{filter: `eventType eq "user.session.start"`, ok: func(e logEvent) bool { return e.EventType == "user.session.start" }},
		{filter: `eventType sw "security" or severity eq "ERROR"`, ok: func(e logEvent) bool {
			return strings.HasPrefix(e.EventType, "security") || e.Severity == "ERROR"
		}},
		{filter: `eventType eq "user.session.start" and outcome.result eq "FAILURE"`, ok: func(e logEvent) bool {
			return e.EventType == "user.session.start" && e.Outcome.Result == "FAILURE"
		}},
		{filter: `not (severity eq "INFO") and target.type eq "AppInstance"`, ok: func(e logEvent) bool {
			return e.Severity != "INFO" && len(e.Target) > 0 && e.Target[0].Type == "AppInstance"
		}},
		{q: "Frankfurt", ok: func(e logEvent) bool { return e.Client.GeographicalContext.City == "Frankfurt am Main" }},
	}
	for _, tc := range tests {
		t.Run(tc.filter+tc.q, func(t *testing.T) {
			p := url.Values{"since": {t0.Add(-2 * time.Hour).Format(time.RFC3339)}, "limit": {"1000"},
				"until": {t0.Format(time.RFC3339)}}
			if tc.filter != "" {
				p.Set("filter", tc.filter)
			}
			if tc.q != "" {
				p.Set("q", tc.q)
			}
			a := get(t, base+"/api/v1/logs?"+p.Encode(), f.Token())
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			all := get(t, base+"/api/v1/logs?limit=1000&until="+url.QueryEscape(t0.Format(time.RFC3339))+"&since="+since, f.Token())
			want := 0
			for _, e := range all.events {
				if tc.ok(e) {
					want++
				}
			}
			if len(a.events) != want || want == 0 {
				t.Fatalf("filter returned %d events, want %d", len(a.events), want)
			}
		})
	}
}
