package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/okta/fake"
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

// env is a fake Okta org on loopback and a connector configured for it.
type env struct {
	fake     *fake.Fake
	conn     *Connector
	in       sdk.Integration
	clock    *clock
	requests atomic.Int32
	// seen records the query of every System Log request.
	mu   sync.Mutex
	seen []url.Values
}

func newEnv(t *testing.T, o fakevendor.Options, extra map[string]any) *env {
	t.Helper()
	e := &env{clock: newClock()}
	o.Now = e.clock.Now
	e.fake = fake.New(o)
	mux := fakevendor.Mux(e.fake)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/v1/logs") {
			e.requests.Add(1)
			e.mu.Lock()
			e.seen = append(e.seen, r.URL.Query())
			e.mu.Unlock()
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	raw := e.fake.Config(srv.URL + "/okta")
	for k, v := range extra {
		raw[k] = v
	}
	cfg, err := schema.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	e.conn = New()
	e.conn.now = e.clock.Now
	e.in = sdk.Integration{ID: "okta-test", Config: cfg}
	return e
}

func (e *env) queries() []url.Values {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]url.Values(nil), e.seen...)
}

// run is what one query streamed.
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

func (e *env) poll(t *testing.T, cur string, start time.Time) run {
	t.Helper()
	var r run
	r.err = e.conn.Poll(context.Background(), sdk.PollRequest{Integration: e.in, Cursor: cur, StartTime: start},
		sdk.StreamFunc(func(b sdk.Batch) error { r.batches = append(r.batches, b); return nil }))
	return r
}

func (e *env) lostFound(t *testing.T, from, to time.Time) run {
	t.Helper()
	var r run
	r.err = e.conn.LostFound(context.Background(), sdk.WindowRequest{Integration: e.in, From: from, To: to},
		sdk.StreamFunc(func(b sdk.Batch) error { r.batches = append(r.batches, b); return nil }))
	return r
}

func uuids(alerts []*fakevendor.Alert) []string {
	out := make([]string, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, fake.UUID(a))
	}
	sort.Strings(out)
	return out
}

func idsOf(evs []sdk.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.OriginalID)
	}
	sort.Strings(out)
	return out
}

// requireOnce fails unless evs hold each of want exactly once and nothing
// else.
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

func TestPollFollowsEveryPageOnce(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 53, Seed: 2}, nil)
	e.conn.pageSize = 7
	r := e.poll(t, "", e.clock.Now().Add(-2*time.Hour))
	if r.err != nil {
		t.Fatal(r.err)
	}
	requireOnce(t, r.events(), uuids(e.fake.Store().All()))
	// 8 pages of events (53/7), then the empty page that ends a polling
	// request whose next link never goes away.
	if got := e.requests.Load(); got != 9 {
		t.Errorf("%d requests, want 9", got)
	}
	if len(r.batches) != 9 {
		t.Errorf("%d batches, want one per page (9)", len(r.batches))
	}
	first := e.queries()[0]
	if first.Get("until") != "" || first.Get("sortOrder") != "ASCENDING" || first.Get("since") == "" {
		t.Errorf("first request %v is not an Okta polling request", first)
	}

	t.Run("resume", func(t *testing.T) {
		before := e.requests.Load()
		again := e.poll(t, r.cursor(), time.Time{})
		if again.err != nil {
			t.Fatal(again.err)
		}
		if n := len(again.events()); n != 0 {
			t.Fatalf("a resumed poll handed over %d events again", n)
		}
		if got := e.requests.Load() - before; got != 1 {
			t.Fatalf("an idle poll made %d requests, want 1 (stop at the empty page)", got)
		}
		// It resumed from the stored next link, not from since.
		if q := e.queries()[before]; q.Get("after") == "" {
			t.Fatalf("resumed with %v, want the next link of the last run", q)
		}
	})
}

func TestPollSameTimestampAcrossPagesAndRuns(t *testing.T) {
	// 10,000 alerts a second at millisecond precision: ten share each
	// published time, and pages of 4 cut through every group.
	e := newEnv(t, fakevendor.Options{Rate: 10000, MaxAlerts: 60, Seed: 4}, nil)
	start := e.clock.Now()
	e.clock.Add(time.Second)
	e.conn.pageSize = 4
	all := e.fake.Store().All()
	if len(all) != 60 || !all[11].Time.Equal(all[17].Time) {
		t.Fatalf("want 60 alerts sharing timestamps, got %d", len(all))
	}

	t.Run("one run", func(t *testing.T) {
		r := e.poll(t, "", start)
		if r.err != nil {
			t.Fatal(r.err)
		}
		requireOnce(t, r.events(), uuids(all))
	})

	for _, viaLink := range []bool{true, false} {
		t.Run(fmt.Sprintf("runs cut mid-timestamp, resume via link %v", viaLink), func(t *testing.T) {
			// 12 events a run: every run stops inside a group of ten.
			e.conn.maxPages = 3
			defer func() { e.conn.maxPages = 500 }()
			var got []sdk.Event
			cur := ""
			for i := 0; ; i++ {
				if i == 20 {
					t.Fatal("the runs do not get to the end")
				}
				if !viaLink && cur != "" {
					cur = dropLink(t, cur)
				}
				r := e.poll(t, cur, start)
				if r.err != nil {
					t.Fatal(r.err)
				}
				got = append(got, r.events()...)
				cur = r.cursor()
				if len(r.events()) == 0 {
					break
				}
			}
			requireOnce(t, got, uuids(all))
		})
	}
}

// dropLink removes the next link from a Poll cursor, so the next run
// resumes from the cursor's time and uuids.
func dropLink(t *testing.T, s string) string {
	t.Helper()
	cur, _, err := decodeCursor(s)
	if err != nil {
		t.Fatal(err)
	}
	return encodeCursor(cur, "")
}

func TestPollRateLimit(t *testing.T) {
	t.Run("long wait is the vendor's", func(t *testing.T) {
		e := newEnv(t, fakevendor.Options{Alerts: 20, Seed: 2}, nil)
		e.fake.Store().ForceThrottle(5, 90*time.Second)
		r := e.poll(t, "", e.clock.Now().Add(-2*time.Hour))
		wait, ok := sdk.RetryWait(r.err)
		if !ok {
			t.Fatalf("got %v, want a *sdk.RetryAfterError", r.err)
		}
		// X-Rate-Limit-Reset is in whole epoch seconds, Date too.
		if wait < 89*time.Second || wait > 92*time.Second {
			t.Fatalf("wait %s, want Okta's 90 s", wait)
		}
		if !strings.Contains(r.err.Error(), "exceeded rate limit") {
			t.Errorf("error %q does not carry Okta's message", r.err)
		}
		if len(r.events()) != 0 {
			t.Error("events handed over from a throttled page")
		}
	})
	t.Run("short wait is retried", func(t *testing.T) {
		e := newEnv(t, fakevendor.Options{Alerts: 20, Seed: 2}, nil)
		e.fake.Store().ForceThrottle(1, time.Second)
		r := e.poll(t, "", e.clock.Now().Add(-2*time.Hour))
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.events()) != 20 {
			t.Fatalf("%d events after a retried 429, want 20", len(r.events()))
		}
	})
}

func TestPollIdleCursorMovesToOktasClock(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 2}, nil)
	r := e.poll(t, "", e.clock.Now().Add(-2*time.Hour))
	if r.err != nil {
		t.Fatal(r.err)
	}
	e.clock.Add(10 * time.Minute)
	idle := e.poll(t, r.cursor(), time.Time{})
	if idle.err != nil {
		t.Fatal(idle.err)
	}
	cur, _, err := decodeCursor(idle.cursor())
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(-e.conn.settle); !cur.Time.Equal(want) {
		t.Fatalf("idle cursor at %s, want Okta's now minus the settle delay (%s)", cur.Time, want)
	}
}

func TestLateEventsFound(t *testing.T) {
	// Half the alerts are persisted 10 s after their published time. The
	// poll passes them by; lost-found finds them once they are visible, and
	// so does the next poll, since a polling request reads by persistence.
	e := newEnv(t, fakevendor.Options{Rate: 2, MaxAlerts: 40, LateFraction: 0.5, LateDelay: 10 * time.Second, Seed: 9}, nil)
	start := e.clock.Now()
	e.clock.Add(20 * time.Second)
	first := e.poll(t, "", start)
	if first.err != nil {
		t.Fatal(first.err)
	}
	seen := map[string]bool{}
	for _, id := range idsOf(first.events()) {
		seen[id] = true
	}
	e.clock.Add(15 * time.Second)
	var late []string
	for _, id := range uuids(e.fake.Store().All()) {
		if !seen[id] {
			late = append(late, id)
		}
	}
	if len(late) == 0 {
		t.Fatal("no event became visible behind the cursor")
	}

	lf := e.lostFound(t, start, e.clock.Now())
	if lf.err != nil {
		t.Fatal(lf.err)
	}
	found := map[string]bool{}
	for _, id := range idsOf(lf.events()) {
		found[id] = true
	}
	for _, id := range late {
		if !found[id] {
			t.Errorf("lost-found missed late event %s", id)
		}
	}
	if q := e.queries()[len(e.queries())-1]; q.Get("until") == "" {
		t.Errorf("lost-found sent %v, want a bounded request", q)
	}

	next := e.poll(t, first.cursor(), time.Time{})
	if next.err != nil {
		t.Fatal(next.err)
	}
	requireOnce(t, next.events(), late)
}

func TestPagingGuards(t *testing.T) {
	event := func(i int) string {
		return fmt.Sprintf(`{"uuid":"%08d-0000-4000-8000-000000000000","published":"2026-03-01T12:00:%02d.000Z","eventType":"user.session.start","severity":"INFO"}`, i, i%60)
	}
	tests := []struct {
		name string
		// next names the next link of page n (0-based); "" for none.
		next      func(base string, n int) string
		wantErr   error
		wantPages int32
	}{
		{"next link to the same page", func(base string, n int) string { return base + "/api/v1/logs?after=same" }, paging.ErrLoop, 2},
		{"next links in a circle", func(base string, n int) string { return fmt.Sprintf("%s/api/v1/logs?after=%d", base, n%3) }, paging.ErrLoop, 4},
		{"endless distinct pages", func(base string, n int) string { return fmt.Sprintf("%s/api/v1/logs?after=%d", base, n+1) }, nil, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(requests.Add(1)) - 1
				w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
				w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="next"`, tc.next(srv.URL, n)))
				fmt.Fprintf(w, "[%s]", event(n))
			}))
			defer srv.Close()
			cfg, _ := schema.Validate(map[string]any{"org_url": srv.URL, "api_token": "a-token-of-twenty-chars"})
			c := New()
			c.maxPages = 5
			var batches []sdk.Batch
			err := c.Poll(context.Background(), sdk.PollRequest{Integration: sdk.Integration{ID: "x", Config: cfg}, StartTime: time.Now().Add(-time.Hour)},
				sdk.StreamFunc(func(b sdk.Batch) error { batches = append(batches, b); return nil }))
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if got := requests.Load(); got != tc.wantPages {
				t.Fatalf("%d requests, want %d", got, tc.wantPages)
			}
			if tc.wantErr != nil {
				_, next, err := decodeCursor(batches[len(batches)-1].Cursor)
				if err != nil || next != "" {
					t.Fatalf("after a paging loop the cursor keeps link %q (%v): the next run would loop again", next, err)
				}
			}
		})
	}
}

func TestRetentionClamp(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 2}, nil)
	old := e.clock.Now().Add(-100 * 24 * time.Hour)
	oldest := e.clock.Now().Add(-retention)
	r := e.poll(t, cursor.TimeID{Time: old, IDs: []string{"x"}}.Encode(), time.Time{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.events()) != 10 {
		t.Fatalf("%d events, want 10", len(r.events()))
	}
	since, err := time.Parse(time.RFC3339Nano, e.queries()[0].Get("since"))
	if err != nil || since.Before(oldest) {
		t.Fatalf("sent since %v (%v), want no earlier than the 90-day retention %s", since, err, oldest)
	}
	lf := e.lostFound(t, e.clock.Now().Add(-120*24*time.Hour), e.clock.Now())
	if lf.err != nil {
		t.Fatal(lf.err)
	}
	for _, q := range e.queries()[2:] {
		if s, _ := time.Parse(time.RFC3339Nano, q.Get("since")); s.Before(oldest) {
			t.Fatalf("lost-found sent since %s, older than the retention", s)
		}
	}
	if len(lf.events()) != 10 {
		t.Fatalf("lost-found: %d events, want 10", len(lf.events()))
	}
}

func TestFallbackSplitsLongWindows(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 30, Seed: 2}, nil)
	e.conn.pageSize = 8
	var r run
	r.err = e.conn.Fallback(context.Background(), sdk.WindowRequest{Integration: e.in, From: e.clock.Now().Add(-72 * time.Hour), To: e.clock.Now().Add(time.Second)},
		sdk.StreamFunc(func(b sdk.Batch) error { r.batches = append(r.batches, b); return nil }))
	if r.err != nil {
		t.Fatal(r.err)
	}
	requireOnce(t, r.events(), uuids(e.fake.Store().All()))
	days := map[string]bool{}
	for _, q := range e.queries() {
		if q.Get("until") == "" {
			t.Fatalf("fallback sent an unbounded request %v", q)
		}
		days[q.Get("since")] = true
	}
	if len(days) < 4 {
		t.Fatalf("a 3-day window was read in %d chunks, want a day at a time", len(days))
	}
	for _, b := range r.batches {
		if b.Cursor != "" {
			t.Fatal("a window batch carries a cursor")
		}
	}
}

func TestPollFilter(t *testing.T) {
	filter := `eventType eq "user.session.start"`
	e := newEnv(t, fakevendor.Options{Alerts: 100, Seed: 2}, map[string]any{"filter": filter})
	r := e.poll(t, "", e.clock.Now().Add(-2*time.Hour))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.events()) == 0 {
		t.Fatal("no events matched the filter")
	}
	for _, ev := range r.events() {
		if ev.Classification.Subtype != "user.session.start" {
			t.Fatalf("event of type %s passed the filter", ev.Classification.Subtype)
		}
	}
	for _, q := range e.queries() {
		if q.Get("filter") != filter {
			t.Fatalf("request %v lost the filter", q)
		}
	}
	t.Run("a changed filter does not follow the old link", func(t *testing.T) {
		e.in.Config["filter"] = `eventType sw "security"`
		before := len(e.queries())
		again := e.poll(t, r.cursor(), time.Time{})
		if again.err != nil {
			t.Fatal(again.err)
		}
		if q := e.queries()[before]; q.Get("after") != "" || q.Get("filter") != `eventType sw "security"` {
			t.Fatalf("resumed with %v, want since and the new filter", q)
		}
	})
}

func TestPollBadCursor(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 2}, nil)
	for _, cur := range []string{"not a cursor", `{"t":"2026-01-01T00:00:00Z","bogus":1}`, `{"ids":["a"]}`} {
		t.Run(cur, func(t *testing.T) {
			r := e.poll(t, cur, time.Time{})
			if !errors.Is(r.err, cursor.ErrInvalid) {
				t.Fatalf("got %v, want an error wrapping cursor.ErrInvalid", r.err)
			}
			if len(r.batches) != 0 {
				t.Fatal("a bad cursor streamed batches")
			}
		})
	}
	if e.requests.Load() != 0 {
		t.Fatal("a bad cursor reached the vendor")
	}
}
