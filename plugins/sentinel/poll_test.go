package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/sentinel/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
	"github.com/outpost-soc/outpost/sdk/paging"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func TestPollHandsEachIncidentOverOnce(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 60, Seed: 3})
	evs, cur, err := e.poll(t, "", time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 60 {
		t.Fatalf("first poll returned %d events, want all 60", len(evs))
	}
	seen := map[string]bool{}
	for i, ev := range evs {
		if seen[ev.OriginalID] {
			t.Fatalf("incident %s handed over twice", ev.OriginalID)
		}
		seen[ev.OriginalID] = true
		if i > 0 && ev.UpdateTime.Before(evs[i-1].UpdateTime) {
			t.Fatalf("events out of lastModifiedTimeUtc order at %d", i)
		}
		if len(ev.Observables) == 0 {
			t.Errorf("incident %s has no observables: entities were not read", ev.OriginalID)
		}
	}
	c, err := cursor.Decode(cur)
	if err != nil || c.IsZero() {
		t.Fatalf("cursor %q: %v", cur, err)
	}
	evs, _, err = e.poll(t, cur, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("a poll resumed from the cursor returned %d events already handed over", len(evs))
	}
}

// Sentinel times have 100 ns precision, but many incidents can share one
// (a burst of alerts grouped at once); the fake stamps ten per millisecond
// here, and the cursor must split those across pages and polls without
// losing or doubling one.
func TestPollSameTimestampAcrossPagesAndPolls(t *testing.T) {
	clk := &clock{now: t0}
	e := newEnv(t, fakevendor.Options{Rate: 10000, Seed: 5, Now: clk.Now})
	e.in = integration(e.fake, e.base, map[string]any{"fetch_entities": false})
	counts := map[string]int{}
	cur := ""
	start := t0.Add(-time.Minute)
	for round := 0; round < 6; round++ {
		clk.advance(7 * time.Millisecond) // 70 new incidents, seven timestamps
		evs, next, err := e.poll(t, cur, start)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, ev := range evs {
			counts[ev.OriginalID]++
		}
		cur = next
	}
	if want := len(e.fake.Store().All()); len(counts) != want {
		t.Fatalf("handed over %d distinct incidents, the fake holds %d", len(counts), want)
	}
	for id, n := range counts {
		if n != 1 {
			t.Fatalf("incident %s handed over %d times", id, n)
		}
	}
}

func TestPollIdleMovesTheCursorToSentinelsClock(t *testing.T) {
	clk := &clock{now: t0}
	e := newEnv(t, fakevendor.Options{Alerts: 5, Seed: 1, Now: clk.Now})
	_, cur, err := e.poll(t, "", t0.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(10 * time.Minute)
	evs, cur, err := e.poll(t, cur, time.Time{})
	if err != nil || len(evs) != 0 {
		t.Fatalf("idle poll: %d events, %v", len(evs), err)
	}
	c, _ := cursor.Decode(cur)
	if want := clk.now.Add(-e.conn.settle); !c.Time.Equal(want) {
		t.Fatalf("idle cursor at %s, want the fake's clock minus the settle delay, %s", c.Time, want)
	}
}

func TestLateIncidentsAreFoundByLostFound(t *testing.T) {
	clk := &clock{now: t0}
	e := newEnv(t, fakevendor.Options{Alerts: 80, LateFraction: 0.25, LateDelay: 10 * time.Second, Seed: 9, Now: clk.Now})
	st := e.fake.Store().State()
	if st.Late == 0 {
		t.Fatal("the fake made no late incidents")
	}
	evs, cur, err := e.poll(t, "", t0.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != st.Alerts-st.Late {
		t.Fatalf("first poll: %d events, want the %d visible", len(evs), st.Alerts-st.Late)
	}
	polled := ids(evs)
	clk.advance(time.Minute) // the late ones become visible, behind the cursor
	evs, _, err = e.poll(t, cur, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("Poll returned %d incidents behind its cursor: their times are older than it", len(evs))
	}
	batches, err := collect(t, func(s sdk.Stream) error {
		return e.conn.LostFound(ctx(t), sdk.WindowRequest{Integration: e.in, From: t0.Add(-2 * time.Hour), To: clk.now}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	late := 0
	for _, b := range batches {
		if b.Cursor != "" {
			t.Fatal("a LostFound batch carries a cursor: it must leave the Poll cursor alone")
		}
		for _, ev := range b.Events {
			if !polled[ev.OriginalID] {
				late++
			}
		}
	}
	if late != st.Late {
		t.Fatalf("LostFound found %d late incidents, want %d", late, st.Late)
	}
}

// Fallback asks on createdTimeUtc: an incident changed since it was created
// has left the lastModifiedTimeUtc window of its creation, and only the
// second query still finds it there.
func TestFallbackFindsIncidentsByCreationTime(t *testing.T) {
	clk := &clock{now: t0}
	e := newEnv(t, fakevendor.Options{Alerts: 60, Seed: 2, Now: clk.Now})
	from, to := t0.Add(-30*time.Minute), t0.Add(-20*time.Minute)
	inWindow := e.fake.Store().Window(from, to)
	if len(inWindow) != 10 {
		t.Fatalf("the fake holds %d incidents in the window, want 10", len(inWindow))
	}
	evs, _, err := e.poll(t, "", t0.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var moved string
	for _, ev := range evs {
		if !ev.CreationTime.Before(from) && ev.CreationTime.Before(to) {
			moved = ev.OriginalID
			break
		}
	}
	clk.advance(time.Minute)
	if !e.fake.AnalystUpdate(moved, "Active", "analyst@contoso.com") {
		t.Fatal("AnalystUpdate failed")
	}
	window := func(run func(sdk.WindowRequest, sdk.Stream) error) map[string]bool {
		batches, err := collect(t, func(s sdk.Stream) error {
			return run(sdk.WindowRequest{Integration: e.in, From: from, To: to}, s)
		})
		if err != nil {
			t.Fatal(err)
		}
		var all []sdk.Event
		for _, b := range batches {
			all = append(all, b.Events...)
		}
		return ids(all)
	}
	lf := window(func(r sdk.WindowRequest, s sdk.Stream) error { return e.conn.LostFound(ctx(t), r, s) })
	fb := window(func(r sdk.WindowRequest, s sdk.Stream) error { return e.conn.Fallback(ctx(t), r, s) })
	if lf[moved] || len(lf) != 9 {
		t.Errorf("LostFound over the window: %d incidents (moved one included: %v), want the 9 unchanged", len(lf), lf[moved])
	}
	if !fb[moved] || len(fb) != 10 {
		t.Errorf("Fallback over the window: %d incidents (moved one included: %v), want all 10", len(fb), fb[moved])
	}
}

func TestPagingLoopIsStopped(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 30, Seed: 4})
	e.fake.RepeatNextLink(true)
	before := e.fake.Store().Requests()
	batches, err := collect(t, func(s sdk.Stream) error {
		return e.conn.Poll(ctx(t), sdk.PollRequest{Integration: e.in, StartTime: time.Now().Add(-2 * time.Hour)}, s)
	})
	if !errors.Is(err, paging.ErrLoop) {
		t.Fatalf("Poll over a repeating nextLink: %v, want paging.ErrLoop", err)
	}
	if len(batches) != 1 || len(batches[0].Events) != e.conn.pageSize || batches[0].Cursor == "" {
		t.Fatalf("got %d batches, want the first page once, with its cursor", len(batches))
	}
	// One list request, and the entity look-ups of its page.
	if n := e.fake.Store().Requests() - before; n != 1+e.conn.pageSize {
		t.Fatalf("%d requests reached the fake, want %d", n, 1+e.conn.pageSize)
	}
}

func TestThrottleIsHonoured(t *testing.T) {
	t.Run("long wait is handed to the host", func(t *testing.T) {
		e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 1})
		e.fake.Store().ForceThrottle(5, 45*time.Second)
		_, _, err := e.poll(t, "", time.Now().Add(-2*time.Hour))
		var ra *sdk.RetryAfterError
		if !errors.As(err, &ra) || ra.Wait != 45*time.Second {
			t.Fatalf("Poll against a throttled Sentinel: %v, want a *sdk.RetryAfterError of 45s", err)
		}
	})
	t.Run("short wait is slept and retried", func(t *testing.T) {
		e := newEnv(t, fakevendor.Options{Alerts: 10, Seed: 1})
		e.fake.Store().ForceThrottle(1, time.Second)
		evs, _, err := e.poll(t, "", time.Now().Add(-2*time.Hour))
		if err != nil || len(evs) != 10 {
			t.Fatalf("Poll after one short throttle: %d events, %v", len(evs), err)
		}
	})
}

func TestExpiredTokenIsRenewedOnce(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 20, Seed: 6})
	if _, _, err := e.poll(t, "", time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.fake.RevokeTokens()
	if _, _, err := e.poll(t, "", time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatalf("Poll after the token was revoked: %v", err)
	}
	if n := e.fake.TokensIssued(); n != 2 {
		t.Fatalf("%d tokens issued, want 2: one cached for the first poll, one after the 401", n)
	}
}

func TestEntityFailureKeepsTheIncident(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 12, Seed: 8})
	var failed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/entities") && failed.Add(1)%3 == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"NotFound","message":"Incident was not found."}}`))
			return
		}
		fakevendor.Mux(f).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := New()
	in := integration(f, srv.URL+"/sentinel", nil)
	var evs []sdk.Event
	err := c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: time.Now().Add(-2 * time.Hour)},
		sdk.StreamFunc(func(b sdk.Batch) error { evs = append(evs, b.Events...); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	bare := 0
	for _, ev := range evs {
		if len(ev.Observables) == 0 {
			bare++
		}
	}
	if len(evs) != 12 || bare != 4 {
		t.Fatalf("%d events, %d without observables; want 12 and 4", len(evs), bare)
	}
}

func ids(evs []sdk.Event) map[string]bool {
	out := map[string]bool{}
	for _, ev := range evs {
		out[ev.OriginalID] = true
	}
	return out
}
