package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// clock is a settable time source for the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

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

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// recorder counts the requests a served fake answered.
type recorder struct {
	mu    sync.Mutex
	paths []string
}

func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, p := range r.paths {
		if strings.HasPrefix(p, prefix) {
			n++
		}
	}
	return n
}

func serve(t *testing.T, f *fake.Fake, wrap func(http.Handler) http.Handler) (string, *recorder) {
	t.Helper()
	rec := &recorder{}
	var h http.Handler = fakevendor.Mux(f)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.paths = append(rec.paths, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/crowdstrike"))
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/crowdstrike", rec
}

func testConnector() *Connector {
	c := New()
	c.backoff = time.Millisecond
	c.settle = 5 * time.Second
	c.log = hclog.NewNullLogger()
	return c
}

func integration(t *testing.T, id string, cfg map[string]any) sdk.Integration {
	t.Helper()
	v, err := schema.Validate(cfg)
	if err != nil {
		t.Fatalf("config %v: %v", cfg, err)
	}
	return sdk.Integration{ID: id, Config: v}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func collect(run func(sdk.Stream) error) ([]sdk.Batch, error) {
	var out []sdk.Batch
	err := run(sdk.StreamFunc(func(b sdk.Batch) error {
		out = append(out, b)
		return nil
	}))
	return out, err
}

func eventsOf(bs []sdk.Batch) []sdk.Event {
	var out []sdk.Event
	for _, b := range bs {
		out = append(out, b.Events...)
	}
	return out
}

func lastCursor(bs []sdk.Batch) string {
	cur := ""
	for _, b := range bs {
		if b.Cursor != "" {
			cur = b.Cursor
		}
	}
	return cur
}

func idsOf(evs []sdk.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.OriginalID
	}
	return out
}

// sameSet checks that got holds want's ids, each once.
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
		t.Errorf("%s: %d distinct alerts, want %d (%d missing)", what, len(seen), len(want), missing)
	}
}

// updatedBefore lists the composite ids of the visible alerts whose
// updated_timestamp (millisecond) is before end.
func updatedBefore(t *testing.T, f *fake.Fake, end time.Time) []string {
	t.Helper()
	var out []string
	for _, a := range f.Store().All() {
		ut := a.Updated
		if ut.Before(end) { // the fake's sub-millisecond part never crosses a millisecond
			out = append(out, f.CompositeID(a))
		}
	}
	return out
}
