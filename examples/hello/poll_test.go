package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/examples/hello/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
	"github.com/outpost-soc/outpost/sdk/paging"
)

// clock is the fake vendor's clock, moved by the test.
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

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// setup serves a hello fake and returns it with a connector that pages by
// 7 alerts and an integration configured for the fake.
func setup(t *testing.T, o fakevendor.Options) (*fake.Fake, *Connector, sdk.Integration) {
	t.Helper()
	f := fake.New(o)
	return f, pagedConnector(), integrationFor(t, fakevendor.Serve(t, f), f.APIKey())
}

func pagedConnector() *Connector {
	c := New()
	c.pageSize = 7
	return c
}

func integrationFor(t *testing.T, base, key string) sdk.Integration {
	t.Helper()
	cfg, err := schema.Validate(map[string]any{"url": base, "api_key": key})
	if err != nil {
		t.Fatal(err)
	}
	return sdk.Integration{ID: "hello-test", Config: cfg}
}

// recorder is the host's side of a stream: it keeps what it committed.
type recorder struct {
	batches []sdk.Batch
	// failAt makes the n-th Send (1-based) fail, as a host that went away.
	failAt int
}

var errHostGone = errors.New("host went away")

func (r *recorder) Send(b sdk.Batch) error {
	if r.failAt > 0 && len(r.batches)+1 == r.failAt {
		return errHostGone
	}
	r.batches = append(r.batches, b)
	return nil
}

func (r *recorder) events() []sdk.Event {
	var out []sdk.Event
	for _, b := range r.batches {
		out = append(out, b.Events...)
	}
	return out
}

// cursor is what the host holds after the committed batches.
func (r *recorder) cursor() string {
	cur := ""
	for _, b := range r.batches {
		if b.Cursor != "" {
			cur = b.Cursor
		}
	}
	return cur
}

func poll(t *testing.T, c *Connector, in sdk.Integration, cur string, start time.Time, rec *recorder) error {
	t.Helper()
	return c.Poll(context.Background(), sdk.PollRequest{Integration: in, Cursor: cur, StartTime: start}, rec)
}

// sameIDs fails unless got holds exactly the alerts of want, in order.
func sameIDs(t *testing.T, got []sdk.Event, want []*fakevendor.Alert) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.OriginalID] {
			t.Fatalf("alert %s handed over twice", e.OriginalID)
		}
		seen[e.OriginalID] = true
	}
	if len(got) != len(want) {
		t.Fatalf("handed over %d alerts, the vendor holds %d", len(got), len(want))
	}
	for i, a := range want {
		if got[i].OriginalID != a.ID {
			t.Fatalf("event %d is %s, want %s", i, got[i].OriginalID, a.ID)
		}
	}
}

// burst makes a fake whose alerts come about 20 to a millisecond, so that
// pages of 7 and successive polls cut through groups of equal created_at.
func burst(t *testing.T) (*fake.Fake, *Connector, sdk.Integration, *clock, time.Time) {
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	clk := &clock{t: start}
	f, c, in := setup(t, fakevendor.Options{Rate: 20000, Seed: 3, Now: clk.Now})
	return f, c, in, clk, start
}

func TestPollSameTimestampNeitherLostNorDoubled(t *testing.T) {
	f, c, in, clk, start := burst(t)
	var all []sdk.Event
	cur := ""
	splits, pollSplits := 0, 0
	// Each poll stops at the vendor's now, in the middle of a millisecond
	// whose other alerts the next poll finds.
	for _, step := range []time.Duration{10500 * time.Microsecond, 9500 * time.Microsecond, 5300 * time.Microsecond} {
		clk.Add(step)
		rec := &recorder{}
		if err := poll(t, c, in, cur, start, rec); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(rec.batches); i++ {
			prev, next := rec.batches[i-1].Events, rec.batches[i].Events
			if len(prev) > 0 && len(next) > 0 && prev[len(prev)-1].DetectionTime.Equal(next[0].DetectionTime) {
				splits++
			}
		}
		evs := rec.events()
		if len(all) > 0 && len(evs) > 0 && all[len(all)-1].DetectionTime.Equal(evs[0].DetectionTime) {
			pollSplits++
		}
		all = append(all, evs...)
		cur = rec.cursor()
	}
	sameIDs(t, all, f.Store().Window(start, clk.Now()))
	if splits == 0 || pollSplits == 0 {
		t.Fatalf("%d page and %d poll boundaries fell inside a timestamp: the test proves nothing", splits, pollSplits)
	}
}

func TestPollResumesMidway(t *testing.T) {
	for _, failAt := range []int{1, 2, 5, 13} {
		t.Run(fmt.Sprintf("host gone at batch %d", failAt), func(t *testing.T) {
			f, c, in, clk, start := burst(t)
			clk.Add(10 * time.Millisecond)
			first := &recorder{failAt: failAt}
			if err := poll(t, c, in, "", start, first); !errors.Is(err, errHostGone) {
				t.Fatalf("poll with a failing stream returned %v, want the stream's error", err)
			}
			if len(first.batches) != failAt-1 {
				t.Fatalf("%d batches committed before the failure, want %d", len(first.batches), failAt-1)
			}
			rest := &recorder{}
			if err := poll(t, c, in, first.cursor(), start, rest); err != nil {
				t.Fatal(err)
			}
			sameIDs(t, append(first.events(), rest.events()...), f.Store().Window(start, clk.Now()))
		})
	}
}

func TestEmptyPagesAdvanceTheCursor(t *testing.T) {
	// The vendor's clock runs ten minutes behind ours: the cursor must
	// follow the vendor's.
	vendorNow := time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)
	clk := &clock{t: vendorNow}
	_, c, in := setup(t, fakevendor.Options{Seed: 1, Now: clk.Now})
	settle := c.settle

	tests := []struct {
		name    string
		advance time.Duration
		start   time.Time
		want    time.Time
	}{
		{"first poll", 0, vendorNow.Add(-time.Hour), vendorNow.Add(-settle)},
		{"a minute later", time.Minute, time.Time{}, vendorNow.Add(time.Minute - settle)},
		{"an idle second", time.Second, time.Time{}, vendorNow.Add(time.Minute + time.Second - settle)},
	}
	cur := ""
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Add(tt.advance)
			rec := &recorder{}
			if err := poll(t, c, in, cur, tt.start, rec); err != nil {
				t.Fatal(err)
			}
			if len(rec.batches) != 1 || len(rec.batches[0].Events) != 0 {
				t.Fatalf("got %d batches, want one empty batch carrying the cursor", len(rec.batches))
			}
			got, err := cursor.Decode(rec.cursor())
			if err != nil {
				t.Fatal(err)
			}
			if !got.Time.Equal(tt.want) {
				t.Fatalf("cursor at %s, want the vendor's now minus %s: %s", got.Time, settle, tt.want)
			}
			cur = rec.cursor()
		})
	}

	t.Run("start inside the settle delay", func(t *testing.T) {
		start := clk.Now().Add(-time.Second)
		rec := &recorder{}
		if err := poll(t, c, in, "", start, rec); err != nil {
			t.Fatal(err)
		}
		got, _ := cursor.Decode(rec.cursor())
		if !got.Time.Equal(start) {
			t.Fatalf("cursor moved to %s, before the start %s", got.Time, start)
		}
	})
}

func TestLostFoundFindsLateAlerts(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	clk := &clock{t: t0}
	f, c, in := setup(t, fakevendor.Options{Alerts: 200, LateFraction: 0.2, LateDelay: 10 * time.Second, Seed: 5, Now: clk.Now})
	late := map[string]bool{}
	start := t0.Add(-2 * time.Hour)

	first := &recorder{}
	if err := poll(t, c, in, "", start, first); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Second) // the late alerts become visible, behind the cursor
	onTime := map[string]bool{}
	for _, e := range first.events() {
		onTime[e.OriginalID] = true
	}
	for _, a := range f.Store().All() {
		if !onTime[a.ID] {
			late[a.ID] = true
		}
	}
	if len(late) < 10 {
		t.Fatalf("only %d late alerts: the test proves nothing", len(late))
	}

	second := &recorder{}
	if err := poll(t, c, in, first.cursor(), start, second); err != nil {
		t.Fatal(err)
	}
	for _, e := range second.events() {
		if late[e.OriginalID] {
			t.Fatalf("poll found late alert %s behind its cursor: the fake is not late enough to test LostFound", e.OriginalID)
		}
	}

	lf := &recorder{}
	if err := c.LostFound(context.Background(), sdk.WindowRequest{Integration: in, From: start, To: clk.Now()}, lf); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, e := range lf.events() {
		if found[e.OriginalID] {
			t.Fatalf("LostFound sent %s twice", e.OriginalID)
		}
		found[e.OriginalID] = true
	}
	for id := range late {
		if !found[id] {
			t.Errorf("LostFound missed late alert %s", id)
		}
	}
	for _, b := range lf.batches {
		if b.Cursor != "" {
			t.Fatal("LostFound moved the cursor")
		}
	}
}

func TestVendorErrors(t *testing.T) {
	f, c, in := setup(t, fakevendor.Options{Alerts: 20, Seed: 1})
	wrong := integrationFor(t, in.Config.String("url"), "not-the-api-key-at-all")
	tests := []struct {
		name  string
		in    sdk.Integration
		setup func()
		check func(t *testing.T, err error)
	}{
		{"wrong key", wrong, nil, func(t *testing.T, err error) {
			var ua *sdk.UnauthenticatedError
			if !errors.As(err, &ua) || !strings.Contains(ua.Message, "invalid or missing api key") {
				t.Fatalf("got %v, want *sdk.UnauthenticatedError with the vendor's message", err)
			}
			if strings.Contains(err.Error(), "not-the-api-key-at-all") {
				t.Fatal("the error carries the api key")
			}
		}},
		{"throttled past the retry budget", in, func() { f.Store().ForceThrottle(5, 30*time.Second) }, func(t *testing.T, err error) {
			if w, ok := sdk.RetryWait(err); !ok || w != 30*time.Second {
				t.Fatalf("got %v, want *sdk.RetryAfterError with the vendor's 30 s", err)
			}
		}},
		{"one 429, retried", in, func() { f.Store().ForceThrottle(1, time.Second) }, func(t *testing.T, err error) {
			if err != nil {
				t.Fatalf("a single 429 with Retry-After: 1 was not retried: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		for _, rpc := range []string{"Test", "Poll"} {
			t.Run(tt.name+"/"+rpc, func(t *testing.T) {
				if tt.setup != nil {
					tt.setup()
				}
				defer f.Store().ForceThrottle(0, 0)
				var err error
				if rpc == "Test" {
					_, err = c.Test(context.Background(), sdk.TestRequest{Integration: tt.in})
				} else {
					err = poll(t, c, tt.in, "", time.Now().Add(-2*time.Hour), &recorder{})
				}
				tt.check(t, err)
			})
		}
	}
}

func TestTestReportsScopes(t *testing.T) {
	_, c, in := setup(t, fakevendor.Options{Seed: 1})
	r, err := c.Test(context.Background(), sdk.TestRequest{Integration: in})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Details["scope:alerts:read"] != "ok" || r.Details["scope:alerts:write"] != "ok" {
		t.Fatalf("Test answered %+v", r)
	}
}

// TestPagingLoopStops serves a broken vendor whose next_cursor always
// names the same page: the poll must stop with an error after the batches
// it could hand over, not loop.
func TestPagingLoopStops(t *testing.T) {
	var requests atomic.Int32
	at := time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)
	body := `{"alerts":[{"id":"hello-1","created_at":"` + at + `"}],"next_cursor":"same","until":"` + at + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c := pagedConnector()
	rec := &recorder{}
	err := poll(t, c, integrationFor(t, srv.URL, "k"), "", time.Now().Add(-time.Hour), rec)
	if !errors.Is(err, paging.ErrLoop) {
		t.Fatalf("got %v, want an error wrapping paging.ErrLoop", err)
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("%d requests to a vendor that repeats its page token, want 2", n)
	}
	if evs := rec.events(); len(evs) != 1 {
		t.Fatalf("%d events handed over, want the one alert once", len(evs))
	}
}

func TestPollRefusesAnUnreadableCursor(t *testing.T) {
	_, c, in := setup(t, fakevendor.Options{Alerts: 20, Seed: 1})
	rec := &recorder{}
	err := poll(t, c, in, "{not json", time.Now().Add(-2*time.Hour), rec)
	if !errors.Is(err, cursor.ErrInvalid) || len(rec.batches) != 0 {
		t.Fatalf("got %v and %d batches, want cursor.ErrInvalid and nothing sent", err, len(rec.batches))
	}
}
