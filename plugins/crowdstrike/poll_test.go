package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
	"github.com/outpost-soc/outpost/sdk/paging"
)

// bulkUpdate changes n alerts at one instant, as a bulk action in the
// Falcon console does: they share one updated_timestamp.
func bulkUpdate(f *fake.Fake, alerts []*fakevendor.Alert) {
	for _, a := range alerts {
		f.Store().Update(a.ID, func(a *fakevendor.Alert) { a.Status = "in_progress" })
	}
}

// TestPollBoundaryTies makes 40 alerts share one updated_timestamp and
// pages by seven: the poll steps through the tie with offset, and a poll
// resumed from any batch's cursor returns exactly what came after it.
func TestPollBoundaryTies(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Alerts: 90, Seed: 5, Now: clk.Now})
	clk.Add(time.Minute)
	bulkUpdate(f, f.Store().All()[20:60])
	clk.Add(time.Minute)
	base, _ := serve(t, f, nil)
	c := testConnector()
	c.pageSize = 7
	in := integration(t, "ties", f.Config(base))
	poll := func(cur string) []sdk.Batch {
		t.Helper()
		bs, err := collect(func(s sdk.Stream) error {
			return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: cur, StartTime: t0.Add(-2 * time.Hour)}, s)
		})
		if err != nil {
			t.Fatalf("Poll from %q: %v", cur, err)
		}
		return bs
	}
	batches := poll("")
	all := idsOf(eventsOf(batches))
	sameSet(t, "poll from start", all, updatedBefore(t, f, clk.Now().Add(-c.settle)))
	done := 0
	for i, b := range batches {
		done += len(b.Events)
		if b.Cursor == "" || i%2 != 0 {
			continue
		}
		rest := idsOf(eventsOf(poll(b.Cursor)))
		if !slices.Equal(rest, all[done:]) {
			t.Fatalf("resumed after batch %d: %d alerts, want the %d after it", i, len(rest), len(all)-done)
		}
	}
	cur, err := cursor.Decode(lastCursor(batches))
	if want := clk.Now().Add(-c.settle).Truncate(time.Millisecond); err != nil || !cur.Time.Equal(want) {
		t.Errorf("final cursor %v (%v), want Falcon's clock minus the settle delay %s", cur, err, want)
	}
}

// TestPollAlertsChangedMidRun updates alerts while a poll pages: one
// already read and one not yet read. With offset paging the set would
// shift and skip an alert; keyset pages lose none, and the changed ones
// come back (newer) on the next poll.
func TestPollAlertsChangedMidRun(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Alerts: 60, Seed: 6, Now: clk.Now})
	clk.Add(time.Minute)
	all := f.Store().All()
	var queries atomic.Int32
	meddle := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/queries/alerts/v2") && queries.Add(1) == 3 {
				clk.Add(time.Second)
				f.Store().Update(all[2].ID, func(a *fakevendor.Alert) { a.Owner = "ana" })  // read already
				f.Store().Update(all[40].ID, func(a *fakevendor.Alert) { a.Owner = "bob" }) // not yet
			}
			h.ServeHTTP(w, r)
		})
	}
	base, _ := serve(t, f, meddle)
	c := testConnector()
	c.pageSize = 10
	in := integration(t, "midrun", f.Config(base))
	first, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0.Add(-2 * time.Hour)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	second, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: lastCursor(first)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range append(idsOf(eventsOf(first)), idsOf(eventsOf(second))...) {
		seen[id] = true
	}
	for _, a := range all {
		if !seen[f.CompositeID(a)] {
			t.Errorf("alert %s was never polled", f.CompositeID(a))
		}
	}
	again := idsOf(eventsOf(second))
	for _, a := range []*fakevendor.Alert{all[2], all[40]} {
		if !slices.Contains(again, f.CompositeID(a)) {
			t.Errorf("changed alert %s did not come back with its new updated_timestamp", f.CompositeID(a))
		}
	}
	sameSet(t, "first poll", idsOf(eventsOf(first)), idsOf(eventsOf(first)))
}

// TestPollOffsetCap: more alerts share one millisecond than the query
// API's offset cap lets a client page through. The poll stops with an
// error naming the timestamp; the cursor it handed over covers only what
// it read.
func TestPollOffsetCap(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Alerts: 50, Seed: 7, Now: clk.Now})
	f.MaxOffset = 20
	clk.Add(time.Minute)
	bulkUpdate(f, f.Store().All()[10:45])
	clk.Add(time.Minute)
	base, _ := serve(t, f, nil)
	c := testConnector()
	c.pageSize, c.maxOffset = 7, 20
	in := integration(t, "cap", f.Config(base))
	bs, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0.Add(-2 * time.Hour)}, s)
	})
	if err == nil || !strings.Contains(err.Error(), "share updated_timestamp") {
		t.Fatalf("Poll past the offset cap = %v, want the cap error", err)
	}
	cur, _ := cursor.Decode(lastCursor(bs))
	if n := len(eventsOf(bs)); n == 0 || cur.Time.After(t0.Add(time.Minute)) {
		t.Errorf("%d alerts, cursor %v: want the alerts before the tie and a cursor inside it", n, cur)
	}
}

func TestPollEmptyAdvances(t *testing.T) {
	clk := newClock(t0.Add(-96 * time.Hour)) // Falcon's clock, not ours
	f := fake.New(fakevendor.Options{Alerts: 10, Seed: 8, Now: clk.Now})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "empty", f.Config(base))
	start := cursor.TimeID{Time: clk.Now().Add(time.Second).Truncate(time.Millisecond)}
	clk.Add(10 * time.Minute)
	bs, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: start.Encode()}, s)
	})
	if err != nil || len(eventsOf(bs)) != 0 {
		t.Fatalf("empty poll: %d events, %v", len(eventsOf(bs)), err)
	}
	cur, err := cursor.Decode(lastCursor(bs))
	// The Date header has whole seconds.
	if want := clk.Now().Add(-c.settle).Truncate(time.Second); err != nil || !cur.Time.Equal(want) {
		t.Fatalf("cursor %v (%v), want %s", cur, err, want)
	}
}

func TestPollBadCursor(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 5, Seed: 1})
	base, rec := serve(t, f, nil)
	in := integration(t, "badcursor", f.Config(base))
	bs, err := collect(func(s sdk.Stream) error {
		return testConnector().Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: "garbage", StartTime: time.Now()}, s)
	})
	if !errors.Is(err, cursor.ErrInvalid) || len(bs) != 0 || rec.count("") != 0 {
		t.Fatalf("Poll with a broken cursor = %d batches, %d requests, %v", len(bs), rec.count(""), err)
	}
}

// TestPollThrottled checks Falcon's 429: X-RateLimit-RetryAfter is the
// epoch second the limit lifts, read against the answer's Date (Falcon's
// clock). A wait past the retry budget comes back at once.
func TestPollThrottled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token bool // throttle from the token call on
	}{{"api", false}, {"token endpoint", true}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(t0)
			f := fake.New(fakevendor.Options{Alerts: 20, Seed: 9, Now: clk.Now})
			base, rec := serve(t, f, nil)
			c := testConnector()
			in := integration(t, "throttle", f.Config(base))
			if !tc.token {
				if _, err := c.Test(ctx(t), sdk.TestRequest{Integration: in}); err != nil {
					t.Fatal(err)
				}
			}
			f.Store().ForceThrottle(10, 45*time.Second)
			before := rec.count("")
			start := time.Now()
			_, err := collect(func(s sdk.Stream) error {
				return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0.Add(-2 * time.Hour)}, s)
			})
			wait, ok := sdk.RetryWait(err)
			if !ok || wait < 44*time.Second || wait > 46*time.Second {
				t.Fatalf("Poll against a throttling Falcon = %v (wait %s), want a RetryAfterError of 45 s", err, wait)
			}
			if n := rec.count("") - before; n != 1 || time.Since(start) > 5*time.Second {
				t.Errorf("%d requests in %s: a wait past the budget must not be slept or retried", n, time.Since(start))
			}
		})
	}
}

// TestTokenRenewedMidPagination revokes the token between two pages: the
// 401 makes the plugin fetch a new token once and go on.
func TestTokenRenewedMidPagination(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Alerts: 80, Seed: 10, Now: clk.Now})
	clk.Add(time.Minute)
	var queries atomic.Int32
	revoke := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/queries/alerts/v2") && queries.Add(1) == 3 {
				f.ExpireTokens()
			}
			h.ServeHTTP(w, r)
		})
	}
	base, rec := serve(t, f, revoke)
	c := testConnector()
	c.pageSize = 10
	in := integration(t, "renew", f.Config(base))
	bs, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0.Add(-2 * time.Hour)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "poll across a token expiry", idsOf(eventsOf(bs)), updatedBefore(t, f, clk.Now().Add(-c.settle)))
	if n := rec.count("POST /oauth2/token"); n != 2 {
		t.Errorf("%d token calls, want 2: the first and one renewal", n)
	}
}

// TestLostFoundFindsLateAlerts: alerts that become visible after their
// updated_timestamp, once the cursor has passed it.
func TestLostFoundFindsLateAlerts(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 1, LateFraction: 0.3, LateDelay: 2 * time.Minute, Seed: 11, Now: clk.Now})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "late", f.Config(base))
	clk.Add(10 * time.Minute)
	first, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Minute)
	second, err := collect(func(s sdk.Stream) error {
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
	for _, id := range updatedBefore(t, f, clk.Now().Add(-c.settle)) {
		if !polled[id] {
			missed = append(missed, id)
		}
	}
	if len(missed) == 0 {
		t.Fatal("no alert was late: the test proves nothing")
	}
	lf, err := collect(func(s sdk.Stream) error {
		return c.LostFound(ctx(t), sdk.WindowRequest{Integration: in, From: t0, To: clk.Now()}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, b := range lf {
		if b.Cursor != "" {
			t.Errorf("LostFound batch with cursor %q", b.Cursor)
		}
		for _, e := range b.Events {
			found[e.OriginalID] = true
		}
	}
	for _, id := range missed {
		if !found[id] {
			t.Errorf("late alert %s not found by LostFound", id)
		}
	}
	t.Logf("%d late alerts missed by Poll, all found by LostFound", len(missed))
}

// TestFallbackCombined checks that Fallback reads the combined endpoint by
// created_timestamp with its after tokens, and that a token repeated by a
// broken server stops the paging.
func TestFallbackCombined(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Rate: 1, Seed: 12, Now: clk.Now})
	clk.Add(20 * time.Minute)
	c := testConnector()
	c.pageSize = 50
	from, to := t0.Add(2*time.Minute), t0.Add(17*time.Minute)
	var want []string
	for _, a := range f.Store().Window(from, to) {
		want = append(want, f.CompositeID(a))
	}

	t.Run("ok", func(t *testing.T) {
		base, rec := serve(t, f, nil)
		in := integration(t, "fallback", f.Config(base))
		bs, err := collect(func(s sdk.Stream) error {
			return c.Fallback(ctx(t), sdk.WindowRequest{Integration: in, From: from, To: to}, s)
		})
		if err != nil {
			t.Fatal(err)
		}
		sameSet(t, "fallback", idsOf(eventsOf(bs)), want)
		if n := rec.count("POST /alerts/combined/alerts/v1"); n != (len(want)+49)/50 {
			t.Errorf("%d combined calls for %d alerts in pages of 50", n, len(want))
		}
		if n := rec.count("GET /alerts/queries"); n != 0 {
			t.Errorf("Fallback used the query API %d times", n)
		}
	})
	t.Run("repeated after token", func(t *testing.T) {
		dropAfter := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/combined/alerts/v1") {
					b, _ := io.ReadAll(r.Body)
					var m map[string]any
					_ = json.Unmarshal(b, &m)
					delete(m, "after") // the server ignores the token: page one again
					b, _ = json.Marshal(m)
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				}
				h.ServeHTTP(w, r)
			})
		}
		base, rec := serve(t, f, dropAfter)
		in := integration(t, "loop", f.Config(base))
		bs, err := collect(func(s sdk.Stream) error {
			return c.Fallback(ctx(t), sdk.WindowRequest{Integration: in, From: from, To: to}, s)
		})
		if !errors.Is(err, paging.ErrLoop) {
			t.Fatalf("Fallback against a server repeating its after token = %v, want paging.ErrLoop", err)
		}
		if n := rec.count("POST /alerts/combined"); n != 2 || len(eventsOf(bs)) != 50 {
			t.Errorf("%d calls, %d alerts: want 2 calls and the one page, once", n, len(eventsOf(bs)))
		}
	})
}
