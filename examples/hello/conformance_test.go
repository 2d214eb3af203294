package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/examples/hello/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TestConformance runs the SDK's conformance kit against the real plugin
// binary built from this package, talking to the hello fake.
func TestConformance(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 300, Rate: 2, LateFraction: 0.05, LateDelay: 10 * time.Second, Seed: 1})
	conformance.Run(t, conformance.Options{
		Vendor: f,
		Start:  time.Now().Add(-2 * time.Hour),
		// The vendor's own 429, with a Retry-After longer than the
		// client's retry budget: the plugin must hand it back at once.
		Throttle: func(n int) { f.Store().ForceThrottle(n, 30*time.Second) },
		MirrorCheck: func(t *testing.T, c sdk.Change) {
			checkMirrored(t, f.Store().State().Mirror, c)
		},
	})
}

// checkMirrored finds the write-back a change should have made among the
// fake's records.
func checkMirrored(t *testing.T, recs []fakevendor.MirrorRecord, c sdk.Change) {
	t.Helper()
	alertPath := "/api/v1/alerts/" + c.OriginalID
	var want func(r fakevendor.MirrorRecord, body map[string]string) bool
	switch c.Kind {
	case sdk.ChangeStatus:
		want = func(r fakevendor.MirrorRecord, b map[string]string) bool {
			return r.Method == "PATCH" && r.Path == alertPath && b["status"] == statuses[c.Status]
		}
	case sdk.ChangeAssign:
		want = func(r fakevendor.MirrorRecord, b map[string]string) bool {
			return r.Method == "PATCH" && r.Path == alertPath && b["owner"] == c.AssignedTo
		}
	case sdk.ChangeClose:
		want = func(r fakevendor.MirrorRecord, b map[string]string) bool {
			return r.Method == "PATCH" && r.Path == alertPath && b["status"] == "closed" && b["resolution"] == resolutions[c.FinalClassification]
		}
	case sdk.ChangeComment:
		want = func(r fakevendor.MirrorRecord, b map[string]string) bool {
			return r.Method == "POST" && r.Path == alertPath+"/comments" && strings.Contains(b["text"], c.Marker())
		}
	default:
		t.Fatalf("no check for %s changes", c.Kind)
	}
	n := 0
	for _, r := range recs {
		var body map[string]string
		if json.Unmarshal(r.Body, &body) == nil && want(r, body) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%s change %s: %d matching write-backs at the vendor, want 1", c.Kind, c.ID, n)
	}
	if c.Kind == sdk.ChangeClose && c.CloseNotes != "" {
		notes := 0
		for _, r := range recs {
			if r.Method == "POST" && strings.Contains(string(r.Body), c.Marker()) {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("close change %s: %d close-note comments, want 1", c.ID, notes)
		}
	}
}
