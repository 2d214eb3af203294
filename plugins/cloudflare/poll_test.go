package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/cloudflare/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
	"github.com/outpost-soc/outpost/sdk/paging"
)

// clock is a settable clock shared by a fake's handlers and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a fake Cloudflare on loopback and a connector configured for it.
type env struct {
	fake  *fake.Fake
	conn  *Connector
	in    sdk.Integration
	clock *clock
	// queries counts firewall event queries; filters records their filters.
	queries atomic.Int32
	mu      sync.Mutex
	filters []map[string]any
}

func newEnv(t *testing.T, o fakevendor.Options) *env {
	t.Helper()
	e := &env{clock: newClock()}
	o.Now = e.clock.Now
	e.fake = fake.New(o)
	mux := fakevendor.Mux(e.fake)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/graphql") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			var body struct {
				Query     string         `json:"query"`
				Variables map[string]any `json:"variables"`
			}
			_ = json.Unmarshal(b, &body)
			if strings.Contains(body.Query, "firewallEventsAdaptive(") {
				e.queries.Add(1)
				f, _ := body.Variables["filter"].(map[string]any)
				e.mu.Lock()
				e.filters = append(e.filters, f)
				e.mu.Unlock()
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg, err := schema.Validate(e.fake.Config(srv.URL + "/cloudflare"))
	if err != nil {
		t.Fatal(err)
	}
	e.conn = New()
	e.conn.now = e.clock.Now
	e.in = sdk.Integration{ID: "cloudflare-test", Config: cfg}
	return e
}

func (e *env) seen() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.filters...)
}

type run struct {
	batches []sdk.Batch
	err     error
}

func (r run) events() []sdk.Event {
	var out []sdk.Event
	for _, b := range r.batches {
		out = append(out, b.Events...)
	}
	return out
}

func (r run) cursor() string {
	c := ""
	for _, b := range r.batches {
		if b.Cursor != "" {
			c = b.Cursor
		}
	}
	return c
}

func collect(fn func(sdk.Stream) error) run {
	var r run
	r.err = fn(sdk.StreamFunc(func(b sdk.Batch) error { r.batches = append(r.batches, b); return nil }))
	return r
}

func (e *env) poll(cur string, start time.Time) run {
	return collect(func(s sdk.Stream) error {
		return e.conn.Poll(context.Background(), sdk.PollRequest{Integration: e.in, Cursor: cur, StartTime: start}, s)
	})
}

func (e *env) lostFound(from, to time.Time) run {
	return collect(func(s sdk.Stream) error {
		return e.conn.LostFound(context.Background(), sdk.WindowRequest{Integration: e.in, From: from, To: to}, s)
	})
}

func rays(alerts []*fakevendor.Alert) []string {
	out := make([]string, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, fake.RayName(a))
	}
	sort.Strings(out)
	return out
}

func requireOnce(t *testing.T, evs []sdk.Event, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, e := range evs {
		count[e.OriginalID]++
	}
	for id, n := range count {
		if n > 1 {
			t.Errorf("event %s handed over %d times", id, n)
		}
	}
	for _, id := range want {
		if count[id] == 0 {
			t.Errorf("event %s lost", id)
		}
		delete(count, id)
	}
	for id := range count {
		t.Errorf("event %s was not expected", id)
	}
}

func TestPollReadsEveryPageOnce(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 53, Seed: 2})
	e.conn.pageSize = 7
	r := e.poll("", e.clock.Now().Add(-2*time.Hour))
	if r.err != nil {
		t.Fatal(r.err)
	}
	requireOnce(t, r.events(), rays(e.fake.Store().All()))
	// 53 events, 7 a page: 7 full pages and a short one that ends it.
	if got := e.queries.Load(); got != 8 {
		t.Errorf("%d queries, want 8", got)
	}
	for _, f := range e.seen() {
		if f["datetime_geq"] == nil || f["datetime_leq"] == nil {
			t.Fatalf("filter %v does not bound datetime", f)
		}
	}

	t.Run("resume", func(t *testing.T) {
		before := e.queries.Load()
		again := e.poll(r.cursor(), time.Time{})
		if again.err != nil {
			t.Fatal(again.err)
		}
		if n := len(again.events()); n != 0 {
			t.Fatalf("a resumed poll handed over %d events again", n)
		}
		if got := e.queries.Load() - before; got != 1 {
			t.Fatalf("an idle poll made %d queries, want 1", got)
		}
	})
}

func TestPollSameSecondAcrossPagesAndRuns(t *testing.T) {
	// 100 events a second: datetime has whole seconds, so a hundred share
	// each, and pages of 7 cut through every group.
	e := newEnv(t, fakevendor.Options{Rate: 100, MaxAlerts: 250, Seed: 4})
	start := e.clock.Now()
	e.clock.Add(5 * time.Second)
	e.conn.pageSize = 7
	all := rays(e.fake.Store().All())
	if len(all) != 250 {
		t.Fatalf("%d alerts", len(all))
	}

	t.Run("one run", func(t *testing.T) {
		r := e.poll("", start)
		if r.err != nil {
			t.Fatal(r.err)
		}
		requireOnce(t, r.events(), all)
		for _, f := range e.seen()[1:] {
			if f["OR"] == nil {
				t.Fatalf("page filter %v does not page after the last row", f)
			}
		}
	})
	t.Run("runs cut mid-second", func(t *testing.T) {
		e.conn.maxPages = 3 // 21 events a run
		defer func() { e.conn.maxPages = 500 }()
		var got []sdk.Event
		cur := ""
		for i := 0; ; i++ {
			if i == 30 {
				t.Fatal("the runs do not get to the end")
			}
			r := e.poll(cur, start)
			if r.err != nil {
				t.Fatal(r.err)
			}
			got = append(got, r.events()...)
			cur = r.cursor()
			if len(r.events()) == 0 {
				break
			}
		}
		requireOnce(t, got, all)
	})
}

func TestThrottles(t *testing.T) {
	tests := []struct {
		name     string
		wait     time.Duration
		min, max time.Duration
	}{
		{"graphql budget names minutes", 5 * time.Minute, 5 * time.Minute, 5 * time.Minute},
		{"graphql budget is capped", 30 * time.Minute, 10 * time.Minute, 10 * time.Minute},
		{"429 with Retry-After", 30 * time.Second, 30 * time.Second, 30 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, fakevendor.Options{Alerts: 20, Seed: 2})
			if _, err := e.conn.Test(context.Background(), sdk.TestRequest{Integration: e.in}); err != nil {
				t.Fatal(err)
			}
			e.fake.Store().ForceThrottle(10, tc.wait)
			r := e.poll("", e.clock.Now().Add(-2*time.Hour))
			wait, ok := sdk.RetryWait(r.err)
			if !ok || wait < tc.min || wait > tc.max {
				t.Fatalf("got %v (wait %s), want a *sdk.RetryAfterError of %s", r.err, wait, tc.max)
			}
			if len(r.events()) != 0 {
				t.Fatal("events from a throttled query")
			}
		})
	}

	t.Run("429 whose body names the wait", func(t *testing.T) {
		// Cloudflare's current error reference: the budget answer as a 429
		// without Retry-After.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"data":null,"errors":[{"message":"rate limiter budget depleted, try again after 3 minutes","path":null,"extensions":{"timestamp":"2026-03-01T12:00:00Z"}}]}`)
		}))
		defer srv.Close()
		cl := testClient(t, srv.URL)
		_, err := cl.limits(context.Background())
		if wait, ok := sdk.RetryWait(err); !ok || wait != 3*time.Minute {
			t.Fatalf("got %v, want a 3-minute *sdk.RetryAfterError", err)
		}
	})
}

func testClient(t *testing.T, base string) *client {
	t.Helper()
	cfg, err := schema.Validate(map[string]any{"api_url": base, "api_token": "a-cloudflare-token-of-forty-characters-x",
		"zone_tag": "273d7c48b099d327035b6abcb8c4262f"})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := newClient(context.Background(), sdk.Integration{ID: "x", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestGraphQLErrorMapping(t *testing.T) {
	tests := []struct {
		msg   string
		check func(error) bool
	}{
		{"rate limiter budget depleted, try again after 5 minutes", waitIs(5 * time.Minute)},
		{"rate limiter budget depleted", waitIs(5 * time.Minute)},
		{"quota exceeded, please repeat your request in the next minute", waitIs(time.Minute)},
		{"too many queries in progress, please try again later", waitIs(time.Minute)},
		{"try again in 90 seconds", waitIs(90 * time.Second)},
		{"zones [273d7c48b099d327035b6abcb8c4262f] are not authorized", isPermission},
		{"zone '273d7c48' does not have access to the path", isPermission},
		{"Unauthorized", func(err error) bool { var u *sdk.UnauthenticatedError; return errors.As(err, &u) }},
		{"cannot request data older than 1209600s", func(err error) bool {
			var re *retentionError
			return errors.As(err, &re) && re.NotOlderThan == 14*24*time.Hour
		}},
		{"unknown field \"x\"", func(err error) bool { return err != nil && !sdk.IsCredentialError(err) && !isWait(err) }},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			if err := gqlErr([]gqlError{{Message: tc.msg}}); !tc.check(err) {
				t.Fatalf("mapped to %v", err)
			}
		})
	}
}

func waitIs(d time.Duration) func(error) bool {
	return func(err error) bool { w, ok := sdk.RetryWait(err); return ok && w == d }
}

func isWait(err error) bool { _, ok := sdk.RetryWait(err); return ok }

func isPermission(err error) bool {
	var pd *sdk.PermissionDeniedError
	return errors.As(err, &pd) && pd.Permission == analyticsPermission
}

func TestPollIdleCursorMovesToCloudflaresClock(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 2})
	r := e.poll("", e.clock.Now().Add(-2*time.Hour))
	if r.err != nil {
		t.Fatal(r.err)
	}
	e.clock.Add(10 * time.Minute)
	idle := e.poll(r.cursor(), time.Time{})
	if idle.err != nil {
		t.Fatal(idle.err)
	}
	cur, err := cursor.Decode(idle.cursor())
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(-e.conn.settle); !cur.Time.Equal(want) {
		t.Fatalf("idle cursor at %s, want Cloudflare's now minus the settle delay (%s)", cur.Time, want)
	}
}

func TestLateEventsFoundByLostFound(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Rate: 2, MaxAlerts: 40, LateFraction: 0.5, LateDelay: 10 * time.Second, Seed: 9})
	start := e.clock.Now()
	e.clock.Add(20 * time.Second)
	first := e.poll("", start)
	if first.err != nil {
		t.Fatal(first.err)
	}
	seen := map[string]bool{}
	for _, ev := range first.events() {
		seen[ev.OriginalID] = true
	}
	e.clock.Add(15 * time.Second)
	var late []string
	for _, id := range rays(e.fake.Store().All()) {
		if !seen[id] {
			late = append(late, id)
		}
	}
	if len(late) == 0 {
		t.Fatal("no event became visible behind the cursor")
	}
	lf := e.lostFound(start, e.clock.Now())
	if lf.err != nil {
		t.Fatal(lf.err)
	}
	found := map[string]bool{}
	for _, ev := range lf.events() {
		found[ev.OriginalID] = true
	}
	for _, id := range late {
		if !found[id] {
			t.Errorf("lost-found missed late event %s", id)
		}
	}
}

func TestWindowsStayInsideTheDatasetLimits(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 30, Seed: 2})
	now := e.clock.Now()
	t.Run("fallback over a week", func(t *testing.T) {
		r := collect(func(s sdk.Stream) error {
			return e.conn.Fallback(context.Background(), sdk.WindowRequest{Integration: e.in, From: now.Add(-7 * 24 * time.Hour), To: now.Add(time.Second)}, s)
		})
		if r.err != nil {
			t.Fatal(r.err)
		}
		requireOnce(t, r.events(), rays(e.fake.Store().All()))
		if n := len(e.seen()); n < 3 {
			t.Fatalf("a week was read in %d queries, want 3-day windows", n)
		}
	})
	t.Run("poll from 40 days back is clamped", func(t *testing.T) {
		before := len(e.seen())
		r := e.poll(cursor.TimeID{Time: now.Add(-40 * 24 * time.Hour)}.Encode(), time.Time{})
		if r.err != nil {
			t.Fatal(r.err)
		}
		requireOnce(t, r.events(), rays(e.fake.Store().All()))
		for _, f := range e.seen()[before:] {
			geq, _ := time.Parse(time.RFC3339, f["datetime_geq"].(string))
			if geq.Before(now.Add(-fake.NotOlderThan)) {
				t.Fatalf("queried from %s, older than the zone's %s", geq, fake.NotOlderThan)
			}
			end := f["datetime_leq"]
			if end == nil {
				end = f["datetime_lt"]
			}
			to, _ := time.Parse(time.RFC3339, end.(string))
			if to.Sub(geq) > fake.MaxDuration {
				t.Fatalf("a query spans %s, more than the dataset's %s", to.Sub(geq), fake.MaxDuration)
			}
		}
	})
}

func TestPagingGuard(t *testing.T) {
	// A vendor that ignores the page filter answers the same full page
	// forever.
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		if strings.Contains(r.URL.Path, "/zones/") {
			http.Error(w, `{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}]}`, http.StatusForbidden)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "settings") {
			fmt.Fprint(w, `{"data":{"viewer":{"zones":[{"settings":{"firewallEventsAdaptive":{"enabled":true,"maxDuration":259200,"maxPageSize":10000,"notOlderThan":2678400}}}]}},"errors":null}`)
			return
		}
		ts := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
		fmt.Fprintf(w, `{"data":{"viewer":{"zones":[{"firewallEventsAdaptive":[{"datetime":%q,"rayName":"aaaa000000000001","action":"block"},{"datetime":%q,"rayName":"aaaa000000000002","action":"block"}]}]}},"errors":null}`, ts, ts)
	}))
	defer srv.Close()
	cfg, _ := schema.Validate(map[string]any{"api_url": srv.URL, "api_token": "a-cloudflare-token-of-forty-characters-x",
		"zone_tag": "273d7c48b099d327035b6abcb8c4262f"})
	c := New()
	c.pageSize = 2
	r := collect(func(s sdk.Stream) error {
		return c.Poll(context.Background(), sdk.PollRequest{Integration: sdk.Integration{ID: "x", Config: cfg}, StartTime: time.Now().Add(-time.Hour)}, s)
	})
	if !errors.Is(r.err, paging.ErrLoop) {
		t.Fatalf("got %v, want paging.ErrLoop", r.err)
	}
	if n := requests.Load(); n > 5 {
		t.Fatalf("%d requests before the loop was caught", n)
	}
	requireOnce(t, r.events(), []string{"aaaa000000000001", "aaaa000000000002"})
}

func TestPollBadCursor(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 2})
	r := e.poll("not a cursor", time.Time{})
	if !errors.Is(r.err, cursor.ErrInvalid) || len(r.batches) != 0 {
		t.Fatalf("got %v with %d batches, want cursor.ErrInvalid and nothing streamed", r.err, len(r.batches))
	}
}
