package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TestMirrorRoundTrip closes an alert from Outpost, delivers the change
// twice, polls the alert back (its updated_timestamp moved), and reopens
// it: a closed alert that Outpost opens again becomes reopened.
func TestMirrorRoundTrip(t *testing.T) {
	clk := newClock(t0)
	f := fake.New(fakevendor.Options{Alerts: 20, Seed: 14, Now: clk.Now})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "mirror", f.Config(base))
	a := f.Store().All()[5]
	id := f.CompositeID(a)

	first, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, StartTime: t0.Add(-2 * time.Hour)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}

	clk.Add(time.Minute)
	ch := sdk.Change{ID: "chg-close", Kind: sdk.ChangeClose, OriginalID: id, Status: "CLOSED",
		CloseNotes: "Pentest traffic, agreed with the red team.", FinalClassification: "BENIGN_POSITIVE", Author: "ana"}
	for i, wantApplied := range []bool{true, false} {
		r, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: ch})
		if err != nil || r.Applied != wantApplied {
			t.Fatalf("delivery %d: Mirror = %+v, %v; want Applied=%v", i+1, r, err, wantApplied)
		}
	}
	ps := patches(t, f.Store().State().Mirror)
	if len(ps) != 1 {
		t.Fatalf("%d PATCH calls, want 1", len(ps))
	}
	status, _ := ps[0].value("update_status")
	tag, _ := ps[0].value("add_tag")
	comment, _ := ps[0].value("append_comment")
	if !slices.Equal(ps[0].CompositeIDs, []string{id}) || status != "closed" || tag != "outpost_benign_positive" ||
		!strings.Contains(comment, ch.CloseNotes) || !strings.HasSuffix(comment, ch.Marker()) {
		t.Errorf("PATCH %+v", ps[0])
	}

	// The write moved the alert's updated_timestamp: the next poll brings
	// it back, closed, with a newer update time.
	clk.Add(time.Minute)
	second, err := collect(func(s sdk.Stream) error {
		return c.Poll(ctx(t), sdk.PollRequest{Integration: in, Cursor: lastCursor(first)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := eventsOf(second)
	if len(evs) != 1 || evs[0].OriginalID != id {
		t.Fatalf("poll after the close returned %v, want the closed alert", idsOf(evs))
	}
	var back struct {
		Status   string   `json:"status"`
		Tags     []string `json:"tags"`
		Comments []struct {
			Value string `json:"value"`
		} `json:"comments"`
	}
	if err := json.Unmarshal(evs[0].Raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Status != "closed" || !slices.Contains(back.Tags, "outpost_benign_positive") || len(back.Comments) != 1 {
		t.Errorf("alert after the close: %+v", back)
	}
	if !evs[0].UpdateTime.After(evs[0].CreationTime) {
		t.Errorf("update time %s not after creation %s", evs[0].UpdateTime, evs[0].CreationTime)
	}

	reopen := sdk.Change{ID: "chg-reopen", Kind: sdk.ChangeStatus, OriginalID: id, Status: "OPEN"}
	if r, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: reopen}); err != nil || !r.Applied {
		t.Fatalf("reopen: %+v, %v", r, err)
	}
	ps = patches(t, f.Store().State().Mirror)
	if st, _ := ps[len(ps)-1].value("update_status"); st != "reopened" {
		t.Errorf("reopening a closed alert wrote update_status %q, want reopened", st)
	}
}

func TestMirrorKinds(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 5, Seed: 15})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "kinds", f.Config(base))
	id := f.CompositeID(f.Store().All()[0])

	cases := []struct {
		ch         sdk.Change
		name, want string
	}{
		{sdk.Change{Kind: sdk.ChangeStatus, Status: "UNDER_INVESTIGATION"}, "update_status", "in_progress"},
		{sdk.Change{Kind: sdk.ChangeStatus, Status: "NEW"}, "update_status", "new"},
		{sdk.Change{Kind: sdk.ChangeAssign, AssignedTo: "ana.ruiz@acme.example"}, "assign_to_user_id", "ana.ruiz@acme.example"},
		{sdk.Change{Kind: sdk.ChangeAssign, AssignedTo: "Ana Ruiz"}, "assign_to_name", "Ana Ruiz"},
		{sdk.Change{Kind: sdk.ChangeAssign}, "unassign", ""},
		{sdk.Change{Kind: sdk.ChangeClose, FinalClassification: "TRUE_POSITIVE"}, "add_tag", "outpost_true_positive"},
		{sdk.Change{Kind: sdk.ChangeClose}, "add_tag", "outpost_undetermined"},
		{sdk.Change{Kind: sdk.ChangeComment, Comment: "Host isolated.", Author: "ana"}, "append_comment", "Host isolated.\n\n— ana (Outpost)"},
	}
	for i, tc := range cases {
		tc.ch.ID = "chg-" + string(rune('a'+i))
		tc.ch.OriginalID = id
		t.Run(string(tc.ch.Kind)+"/"+tc.name+"/"+tc.want, func(t *testing.T) {
			if _, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: tc.ch}); err != nil {
				t.Fatal(err)
			}
			ps := patches(t, f.Store().State().Mirror)
			p := ps[len(ps)-1]
			got, ok := p.value(tc.name)
			if !ok || !strings.HasPrefix(got, tc.want) {
				t.Errorf("%s = %q (present %v), want %q; actions %+v", tc.name, got, ok, tc.want, p.ActionParameters)
			}
			if c, _ := p.value("append_comment"); !strings.HasSuffix(c, tc.ch.Marker()) {
				t.Errorf("comment %q does not end with the marker", c)
			}
		})
	}

	for _, tc := range []struct {
		name string
		ch   sdk.Change
	}{
		{"unknown status", sdk.Change{Kind: sdk.ChangeStatus, Status: "ON_HOLD", OriginalID: id}},
		{"bad id", sdk.Change{Kind: sdk.ChangeComment, Comment: "x", OriginalID: "x'+status:'closed"}},
		{"unknown alert", sdk.Change{Kind: sdk.ChangeComment, Comment: "x", OriginalID: f.CID() + ":ind:00:1-2-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ch.ID = "chg-" + tc.name
			before := len(f.Store().State().Mirror)
			if _, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: tc.ch}); err == nil {
				t.Fatal("Mirror accepted it")
			}
			if len(f.Store().State().Mirror) != before {
				t.Error("a refused change reached the vendor")
			}
		})
	}
	var ns *sdk.NotSupportedError
	if _, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: sdk.Change{ID: "n", Kind: sdk.ChangeNotify}}); !errors.As(err, &ns) {
		t.Errorf("notify = %v, want NotSupported", err)
	}
}

func TestMirrorPermissionDenied(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 5, Seed: 16})
	f.SetScopes(fake.ScopeAlertsRead)
	base, _ := serve(t, f, nil)
	in := integration(t, "denied", f.Config(base))
	ch := sdk.Change{ID: "chg-1", Kind: sdk.ChangeComment, Comment: "hello", OriginalID: f.CompositeID(f.Store().All()[0])}
	_, err := testConnector().Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: ch})
	var pd *sdk.PermissionDeniedError
	if !errors.As(err, &pd) || pd.Permission != "Alerts: Write" {
		t.Fatalf("Mirror without Alerts: Write = %v, want *sdk.PermissionDeniedError naming it", err)
	}
}
