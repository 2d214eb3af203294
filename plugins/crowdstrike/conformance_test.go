package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TestConformance runs the SDK's conformance kit against the real plugin
// binary built from this package, talking to the CrowdStrike fake.
func TestConformance(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 300, Rate: 2, LateFraction: 0.05, LateDelay: 10 * time.Second, Seed: 1})
	conformance.Run(t, conformance.Options{
		Vendor: f,
		Start:  time.Now().Add(-2 * time.Hour),
		// Falcon's own 429, with an X-RateLimit-RetryAfter beyond the
		// client's retry budget: the plugin must hand it back at once.
		Throttle: func(n int) { f.Store().ForceThrottle(n, 30*time.Second) },
		MirrorCheck: func(t *testing.T, c sdk.Change) {
			checkMirrored(t, f.Store().State().Mirror, c)
		},
	})
}

// patchBody is a PATCH /alerts/entities/alerts/v3 body as the fake
// recorded it.
type patchBody struct {
	CompositeIDs     []string `json:"composite_ids"`
	ActionParameters []action `json:"action_parameters"`
}

func (p patchBody) value(name string) (string, bool) {
	for _, a := range p.ActionParameters {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

func patches(t *testing.T, recs []fakevendor.MirrorRecord) []patchBody {
	t.Helper()
	var out []patchBody
	for _, r := range recs {
		if r.Method != "PATCH" || r.Path != "/alerts/entities/alerts/v3" {
			continue
		}
		var p patchBody
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("PATCH body %s: %v", r.Body, err)
		}
		out = append(out, p)
	}
	return out
}

// checkMirrored finds the one PATCH a change should have made.
func checkMirrored(t *testing.T, recs []fakevendor.MirrorRecord, c sdk.Change) {
	t.Helper()
	n := 0
	for _, p := range patches(t, recs) {
		comment, _ := p.value("append_comment")
		if !slices.Contains(p.CompositeIDs, c.OriginalID) || !strings.Contains(comment, c.Marker()) {
			continue
		}
		n++
		status, _ := p.value("update_status")
		switch c.Kind {
		case sdk.ChangeStatus:
			if status != statuses[c.Status] && status != "reopened" {
				t.Errorf("status change %s wrote update_status %q", c.ID, status)
			}
		case sdk.ChangeAssign:
			v, ok := p.value("assign_to_user_id")
			if !ok {
				v, _ = p.value("assign_to_name")
			}
			if v != c.AssignedTo {
				t.Errorf("assign change %s assigned %q, want %q", c.ID, v, c.AssignedTo)
			}
		case sdk.ChangeClose:
			tag, _ := p.value("add_tag")
			if status != "closed" || tag != "outpost_"+classifications[c.FinalClassification] {
				t.Errorf("close change %s wrote status %q tag %q", c.ID, status, tag)
			}
			if c.CloseNotes != "" && !strings.Contains(comment, c.CloseNotes) {
				t.Errorf("close change %s lost its notes: %q", c.ID, comment)
			}
		case sdk.ChangeComment:
			if !strings.Contains(comment, c.Comment) {
				t.Errorf("comment change %s wrote %q", c.ID, comment)
			}
		}
	}
	if n != 1 {
		t.Errorf("%s change %s: %d PATCH calls carry its marker, want 1", c.Kind, c.ID, n)
	}
}
