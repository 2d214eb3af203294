package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/splunk/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TestConformance runs the SDK's conformance kit against the real plugin
// binary built from this package, talking to the Splunk fake.
func TestConformance(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 300, Rate: 2, LateFraction: 0.05, LateDelay: 10 * time.Second, Seed: 1})
	conformance.Run(t, conformance.Options{
		Vendor: f,
		Start:  time.Now().Add(-2 * time.Hour),
		MirrorCheck: func(t *testing.T, c sdk.Change) {
			checkMirrored(t, f.Store().State().Mirror, c)
		},
	})
}

// updates returns the notable_update forms the fake accepted.
func updates(t *testing.T, recs []fakevendor.MirrorRecord) []url.Values {
	t.Helper()
	var out []url.Values
	for _, r := range recs {
		if r.Method != "POST" || r.Path != "/services/notable_update" {
			continue
		}
		var body string
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("notable_update body %s is not the recorded form string: %v", r.Body, err)
		}
		form, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("notable_update body %q: %v", body, err)
		}
		out = append(out, form)
	}
	return out
}

// checkMirrored finds the one notable_update a change should have made.
func checkMirrored(t *testing.T, recs []fakevendor.MirrorRecord, c sdk.Change) {
	t.Helper()
	n := 0
	for _, form := range updates(t, recs) {
		if form.Get("ruleUIDs") != c.OriginalID || !strings.Contains(form.Get("comment"), c.Marker()) {
			continue
		}
		n++
		switch c.Kind {
		case sdk.ChangeStatus:
			if form.Get("status") != statuses[c.Status] {
				t.Errorf("status change %s wrote status %q, want %q", c.ID, form.Get("status"), statuses[c.Status])
			}
		case sdk.ChangeAssign:
			if form.Get("newOwner") != c.AssignedTo {
				t.Errorf("assign change %s wrote newOwner %q, want %q", c.ID, form.Get("newOwner"), c.AssignedTo)
			}
		case sdk.ChangeClose:
			if form.Get("status") != "5" || form.Get("disposition") != dispositions[c.FinalClassification] {
				t.Errorf("close change %s wrote status %q disposition %q", c.ID, form.Get("status"), form.Get("disposition"))
			}
			if c.CloseNotes != "" && !strings.Contains(form.Get("comment"), c.CloseNotes) {
				t.Errorf("close change %s lost its notes: comment %q", c.ID, form.Get("comment"))
			}
		case sdk.ChangeComment:
			if !strings.Contains(form.Get("comment"), c.Comment) {
				t.Errorf("comment change %s wrote %q", c.ID, form.Get("comment"))
			}
		}
	}
	if n != 1 {
		t.Errorf("%s change %s: %d notable_update calls carry its marker, want 1", c.Kind, c.ID, n)
	}
}
