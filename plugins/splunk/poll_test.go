package main

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/splunk/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// wantIDs are the event_ids of the fake's alerts visible now whose
// _indextime lies in [from, to).
func wantIDs(f *fake.Fake, from, to time.Time) []string {
	var out []string
	for _, a := range f.Store().Window(from, to) {
		out = append(out, fake.EventID(a))
	}
	return out
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
		if seen[id] == 2 {
			t.Errorf("%s: %s returned twice", what, id)
		}
	}
	missing := 0
	for _, id := range want {
		if seen[id] == 0 {
			missing++
		}
	}
	if missing > 0 || len(seen) != len(want) {
		t.Errorf("%s: %d distinct events, want %d (%d missing)", what, len(seen), len(want), missing)
	}
}

// TestPollBoundaryEvents makes twenty notables share each _indextime
// second and pages by seven, so page boundaries cut through seconds. A poll
// resumed from the cursor of any batch (a host that crashed after
// committing it) returns exactly the events after that batch.
func TestPollBoundaryEvents(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 20, Seed: 5, Now: clk.Now})
	clk.Add(16 * time.Second)
	base, _ := serve(t, f, nil)
	c := testConnector()
	c.pageSize = 7
	in := integration(t, "boundary", f.Config(base))

	poll := func(cur string) []sdk.Batch {
		t.Helper()
		bs, err := collect(t, func(s sdk.Stream) error {
			return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: cur, StartTime: t0.Add(-time.Minute)}, s)
		})
		if err != nil {
			t.Fatalf("Poll from %q: %v", cur, err)
		}
		return bs
	}
	batches := poll("")
	all := idsOf(eventsOf(batches))
	end := clk.Now().Add(-c.settle)
	sameSet(t, "poll from start", all, wantIDs(f, t0.Add(-time.Minute), end))
	if len(all) < 200 {
		t.Fatalf("only %d events: the test needs many per second", len(all))
	}

	// The final cursor is the vendor's clock minus the settle delay.
	last, err := cursor.Decode(lastCursor(batches))
	if err != nil || !last.Time.Equal(end) {
		t.Errorf("final cursor %v (%v), want %s", last, err, end)
	}

	done := 0
	for i, b := range batches {
		done += len(b.Events)
		if b.Cursor == "" || i%3 != 0 {
			continue
		}
		rest := idsOf(eventsOf(poll(b.Cursor)))
		if !slices.Equal(rest, all[done:]) {
			t.Fatalf("resumed after batch %d: %d events, want the %d after it (first %v, want %v)",
				i, len(rest), len(all)-done, rest[:min(3, len(rest))], all[done:min(done+3, len(all))])
		}
	}
	if got := poll(lastCursor(batches)); len(eventsOf(got)) != 0 {
		t.Errorf("poll from the final cursor returned %d events", len(eventsOf(got)))
	}
}

// TestPollEmptyAdvances checks that a poll that finds nothing still moves
// its cursor, to splunkd's clock (not the plugin's) minus the settle delay.
func TestPollEmptyAdvances(t *testing.T) {
	clk := newClock(t0.Add(-72 * time.Hour)) // a vendor clock far from ours
	f := fake.New(fakevendor.Options{Alerts: 20, Seed: 2, Now: clk.Now})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "empty", f.Config(base))
	start := clk.Now().Add(-time.Minute)
	from := cursor.TimeID{Time: start.Truncate(time.Second)}
	clk.Add(10 * time.Minute)
	bs, err := collect(t, func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: from.Encode()}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOf(bs)); n != 0 {
		t.Fatalf("%d events from a quiet vendor", n)
	}
	cur, err := cursor.Decode(lastCursor(bs))
	if want := clk.Now().Add(-c.settle).Truncate(time.Second); err != nil || !cur.Time.Equal(want) {
		t.Fatalf("cursor after an empty poll %v (%v), want %s", cur, err, want)
	}
}

func TestPollBadCursor(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 5, Seed: 1})
	base, rec := serve(t, f, nil)
	in := integration(t, "badcursor", f.Config(base))
	bs, err := collect(t, func(s sdk.Stream) error {
		return testConnector().Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: "{not json", StartTime: time.Now().Add(-time.Hour)}, s)
	})
	if !errors.Is(err, cursor.ErrInvalid) || len(bs) != 0 {
		t.Fatalf("Poll with a broken cursor = %d batches, %v; want cursor.ErrInvalid and nothing", len(bs), err)
	}
	if n := rec.count(""); n != 0 {
		t.Errorf("a broken cursor still sent %d requests", n)
	}
}

// TestPollPagingGuards serves a splunkd that ignores offset: every results
// page is the first one again. Paging stops at the guard, with an error,
// after a bounded number of requests.
func TestPollPagingGuards(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 100, Seed: 4, Now: clk.Now})
	clk.Add(2 * time.Second)
	ignoreOffset := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/results") {
				q := r.URL.Query()
				q.Set("offset", "0")
				r.URL.RawQuery = q.Encode()
			}
			h.ServeHTTP(w, r)
		})
	}
	base, rec := serve(t, f, ignoreOffset)
	c := testConnector()
	c.pageSize, c.settle = 7, 0
	in := integration(t, "guard", f.Config(base))
	bs, err := collect(t, func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0}, s)
	})
	if err == nil || !strings.Contains(err.Error(), "paging is broken") {
		t.Fatalf("Poll against a splunkd that repeats its first page = %v, want a broken-paging error", err)
	}
	// It stops at the first repeated page, and the cursor it handed over
	// covers only what was read: the next poll resumes there.
	if n := rec.count("GET /services/search/jobs/"); n != 3 {
		t.Errorf("%d job requests (status and results), want 3: status, page 1, the repeat", n)
	}
	evs := eventsOf(bs)
	if len(evs) != 7 {
		t.Fatalf("%d events streamed, want the one real page of 7", len(evs))
	}
	cur, err := cursor.Decode(lastCursor(bs))
	if err != nil || !cur.Has(evs[6].OriginalID) || cur.Time.After(evs[6].CreationTime) {
		t.Errorf("cursor %v (%v) after a broken page, want the last event read (%s at %s)", cur, err, evs[6].OriginalID, evs[6].CreationTime)
	}
}

// TestPollOutOfOrderResults refuses an answer whose results are not sorted
// by _indextime: a cursor after such a page would skip what comes later.
func TestPollOutOfOrderResults(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 50, Seed: 4})
	dropSort := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/search/jobs") {
				_ = r.ParseForm()
				spl, _, _ := strings.Cut(r.PostForm.Get("search"), "|")
				r.PostForm.Set("search", spl) // splunk's default order: newest first
				r.Form = r.PostForm
			}
			h.ServeHTTP(w, r)
		})
	}
	base, _ := serve(t, f, dropSort)
	in := integration(t, "order", f.Config(base))
	_, err := collect(t, func(s sdk.Stream) error {
		return testConnector().Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: time.Now().Add(-2 * time.Hour)}, s)
	})
	if err == nil || !strings.Contains(err.Error(), "out of _indextime order") {
		t.Fatalf("Poll over unsorted results = %v, want an out-of-order error", err)
	}
}

// TestPollThrottled checks splunkd's search-quota answer: a 503 that names
// no wait. The plugin retries, then hands the host a *sdk.RetryAfterError
// with the SDK's default wait, and nothing already sent is lost: a poll
// resumed from the last cursor returns the rest, none twice.
func TestPollThrottled(t *testing.T) {
	t.Run("at once", func(t *testing.T) {
		f := fake.New(fakevendor.Options{Alerts: 20, Seed: 6})
		base, _ := serve(t, f, nil)
		f.Store().ForceThrottle(10, 0)
		in := integration(t, "throttled", f.Config(base))
		_, err := collect(t, func(s sdk.Stream) error {
			return testConnector().Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: time.Now().Add(-2 * time.Hour)}, s)
		})
		var ra *sdk.RetryAfterError
		if !errors.As(err, &ra) || ra.Wait != sdk.DefaultRetryAfter {
			t.Fatalf("Poll against a throttling splunkd = %v, want *sdk.RetryAfterError with the default wait", err)
		}
		if !strings.Contains(err.Error(), "concurrent historical searches") {
			t.Errorf("error %q lost splunkd's message", err)
		}
	})
	t.Run("mid pagination", func(t *testing.T) {
		clk := newClock(t0)
		f := fake.New(fakevendor.Options{Rate: 10, Seed: 6, Now: clk.Now})
		clk.Add(time.Minute)
		var pages atomic.Int32
		throttleLater := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/results") && pages.Add(1) == 4 {
					f.Store().ForceThrottle(5, 0)
				}
				h.ServeHTTP(w, r)
			})
		}
		base, _ := serve(t, f, throttleLater)
		c := testConnector()
		c.pageSize = 50
		in := integration(t, "midpage", f.Config(base))
		req := sdk.PollRequest{Integration: in, StartTime: t0}
		first, err := collect(t, func(s sdk.Stream) error { return c.Poll(ctx(t), req, s) })
		if _, ok := sdk.RetryWait(err); !ok {
			t.Fatalf("Poll = %v, want a retry-after error", err)
		}
		if len(first) != 3 {
			t.Fatalf("%d batches before the throttle, want the 3 pages read", len(first))
		}
		req.Cursor = lastCursor(first)
		rest, err := collect(t, func(s sdk.Stream) error { return c.Poll(ctx(t), req, s) })
		if err != nil {
			t.Fatal(err)
		}
		got := append(idsOf(eventsOf(first)), idsOf(eventsOf(rest))...)
		sameSet(t, "before and after the throttle", got, wantIDs(f, t0, clk.Now().Add(-c.settle)))
	})
}

// TestSessionRenewedMidPagination logs in with a password; splunkd ends
// the session between two result pages. The plugin logs in again once and
// the poll completes.
func TestSessionRenewedMidPagination(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 5, Seed: 8, Now: clk.Now})
	clk.Add(2 * time.Minute)
	var pages atomic.Int32
	expire := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/results") && pages.Add(1) == 3 {
				f.ExpireSessions()
			}
			h.ServeHTTP(w, r)
		})
	}
	base, rec := serve(t, f, expire)
	c := testConnector()
	c.pageSize = 40
	in := integration(t, "session", map[string]any{"url": base, "username": fake.Username, "password": f.Password()})
	bs, err := collect(t, func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "poll across a session expiry", idsOf(eventsOf(bs)), wantIDs(f, t0, clk.Now().Add(-c.settle)))
	if n := rec.count("POST /services/auth/login"); n != 2 {
		t.Errorf("%d logins, want 2: the first and one renewal", n)
	}
}

// TestLostFoundFindsLateNotables lets an indexer lag: some notables carry
// an _indextime the cursor has passed but become searchable two minutes
// later. Poll cannot see them again; LostFound over the window does.
func TestLostFoundFindsLateNotables(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 1, LateFraction: 0.3, LateDelay: 2 * time.Minute, Seed: 9, Now: clk.Now})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "late", f.Config(base))

	clk.Add(10 * time.Minute)
	first, err := collect(t, func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Minute)
	second, err := collect(t, func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: lastCursor(first)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	polled := map[string]bool{}
	for _, id := range append(idsOf(eventsOf(first)), idsOf(eventsOf(second))...) {
		polled[id] = true
	}
	var missed []string
	for _, id := range wantIDs(f, t0, clk.Now().Add(-c.settle)) {
		if !polled[id] {
			missed = append(missed, id)
		}
	}
	if len(missed) == 0 {
		t.Fatal("no notable was late: the test proves nothing")
	}
	lf, err := collect(t, func(s sdk.Stream) error {
		return c.LostFound(ctx(t), sdk.WindowRequest{Integration: in, From: t0, To: clk.Now()}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, b := range lf {
		if b.Cursor != "" {
			t.Errorf("a LostFound batch carries a cursor %q: it would move the poll position", b.Cursor)
		}
		for _, e := range b.Events {
			found[e.OriginalID] = true
		}
	}
	for _, id := range missed {
		if !found[id] {
			t.Errorf("late notable %s not found by LostFound", id)
		}
	}
	t.Logf("%d late notables missed by Poll, all found by LostFound", len(missed))
}

// TestFallbackReadsExport checks that Fallback goes through the export
// endpoint, by _time, and finds every notable of its window once.
func TestFallbackReadsExport(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 2, Seed: 10, Now: clk.Now})
	clk.Add(20 * time.Minute)
	base, rec := serve(t, f, nil)
	c := testConnector()
	c.chunk = 5 * time.Minute
	c.pageSize = 100
	in := integration(t, "fallback", f.Config(base))
	from, to := t0.Add(3*time.Minute), t0.Add(17*time.Minute)
	bs, err := collect(t, func(s sdk.Stream) error {
		return c.Fallback(ctx(t), sdk.WindowRequest{Integration: in, From: from, To: to}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range f.Store().All() {
		if et := fake.EventTime(a); !et.Before(from) && et.Before(to) {
			want = append(want, fake.EventID(a))
		}
	}
	sameSet(t, "fallback", idsOf(eventsOf(bs)), want)
	if n := rec.count("POST /services/search/jobs/export"); n != 3 {
		t.Errorf("%d export requests, want 3 (one per 5-minute chunk)", n)
	}
	if n := rec.count("POST /services/search/jobs") - rec.count("POST /services/search/jobs/export"); n != 0 {
		t.Errorf("Fallback started %d search jobs: it must use the export API", n)
	}
}
