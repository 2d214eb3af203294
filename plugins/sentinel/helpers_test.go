package main

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/sentinel/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// env is a fake Sentinel on loopback and a connector pointed at it.
type env struct {
	fake *fake.Fake
	conn *Connector
	base string
	in   sdk.Integration
}

func newEnv(t *testing.T, opts fakevendor.Options) *env {
	t.Helper()
	f := fake.New(opts)
	base := fakevendor.Serve(t, f)
	c := New()
	c.pageSize = 7 // crosses page boundaries with few incidents
	return &env{fake: f, conn: c, base: base, in: integration(f, base, nil)}
}

// integration is an integration of f served at base, with over laid on
// the fake's working config, validated as the SDK's shim does.
func integration(f *fake.Fake, base string, over map[string]any) sdk.Integration {
	cfg := maps.Clone(f.Config(base))
	maps.Copy(cfg, over)
	v, err := schema.Validate(cfg)
	if err != nil {
		panic(err)
	}
	return sdk.Integration{ID: "it-sentinel", Config: v}
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

func (e *env) poll(t *testing.T, cur string, start time.Time) ([]sdk.Event, string, error) {
	t.Helper()
	batches, err := collect(t, func(s sdk.Stream) error {
		return e.conn.Poll(ctx(t), sdk.PollRequest{Integration: e.in, Cursor: cur, StartTime: start}, s)
	})
	var evs []sdk.Event
	for _, b := range batches {
		evs = append(evs, b.Events...)
		if b.Cursor != "" {
			cur = b.Cursor
		}
	}
	return evs, cur, err
}

// incidentAt reads an incident from the fake as the plugin decodes it.
func incidentAt(t *testing.T, f *fake.Fake, name string) *incident {
	t.Helper()
	raw, ok := f.Incident(name)
	if !ok {
		t.Fatalf("the fake has no incident %s", name)
	}
	var inc incident
	if err := json.Unmarshal(raw, &inc); err != nil {
		t.Fatal(err)
	}
	return &inc
}

// clock is a settable fake clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }
