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

	"github.com/outpost-soc/outpost/plugins/splunk/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// clock is a settable time source for the fake, so that what a search can
// see is exact.
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

// t0 is the fakes' start in the tests with a clock: a whole minute, so
// that second boundaries are easy to reason about.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// recorder counts the requests a served fake answered, by path.
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

// serve runs f on a loopback server, with wrap (if any) around its
// handler, and returns its base URL and a request recorder.
func serve(t *testing.T, f *fake.Fake, wrap func(http.Handler) http.Handler) (string, *recorder) {
	t.Helper()
	rec := &recorder{}
	var h http.Handler = fakevendor.Mux(f)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.paths = append(rec.paths, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/splunk"))
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/splunk", rec
}

// testConnector is the connector with waits made small for tests.
func testConnector() *Connector {
	c := New()
	c.backoff = time.Millisecond
	c.jobPoll = time.Millisecond
	c.settle = 5 * time.Second
	c.log = hclog.NewNullLogger()
	return c
}

// integration validates cfg against the schema as the host's shim does.
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

// collect runs a query and returns its batches.
func collect(t *testing.T, run func(sdk.Stream) error) ([]sdk.Batch, error) {
	t.Helper()
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

func with(cfg map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}
