package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestMirrorStatusMapping(t *testing.T) {
	f, c, in := setup(t, fakevendor.Options{Alerts: 5, Seed: 1})
	id := f.Store().All()[0].ID
	for _, status := range []string{"UNDER_INVESTIGATION", "OPEN", "PENDING", "CLOSED", "NEW"} {
		t.Run(status, func(t *testing.T) {
			ch := sdk.Change{ID: "chg-" + status, Kind: sdk.ChangeStatus, OriginalID: id, Status: status}
			r, err := c.Mirror(context.Background(), sdk.MirrorRequest{Integration: in, Change: ch})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := f.Store().Get(id)
			var got string
			f.Store().Read(a, func(a *fakevendor.Alert) { got = a.Status })
			if got != statuses[status] || !r.Applied {
				t.Fatalf("vendor status %q (applied %v), want %q", got, r.Applied, statuses[status])
			}
		})
	}
}

// TestMirrorRedeliveryWritesOnce applies each change from two connectors,
// as a restarted plugin process would receive a redelivery: what keeps it
// from writing twice is at the vendor, not in the plugin's memory.
func TestMirrorRedeliveryWritesOnce(t *testing.T) {
	f, c, in := setup(t, fakevendor.Options{Alerts: 5, Seed: 1})
	id := f.Store().All()[1].ID
	changes := []sdk.Change{
		{ID: "c-assign", Kind: sdk.ChangeAssign, OriginalID: id, AssignedTo: "ana@soc.example"},
		{ID: "c-comment", Kind: sdk.ChangeComment, OriginalID: id, Comment: "Escalated to tier 2."},
		{ID: "c-close", Kind: sdk.ChangeClose, OriginalID: id, CloseNotes: "Known admin tool.", FinalClassification: "benign_positive"},
	}
	for _, ch := range changes {
		t.Run(string(ch.Kind), func(t *testing.T) {
			before := len(f.Store().State().Mirror)
			for i, conn := range []*Connector{c, New()} {
				r, err := conn.Mirror(context.Background(), sdk.MirrorRequest{Integration: in, Change: ch})
				if err != nil {
					t.Fatal(err)
				}
				if r.Applied != (i == 0) {
					t.Fatalf("delivery %d answered applied=%v", i+1, r.Applied)
				}
			}
			recs := f.Store().State().Mirror[before:]
			want := 1
			if ch.Kind == sdk.ChangeClose {
				want = 2 // the PATCH and the close-notes comment
			}
			if len(recs) != want {
				t.Fatalf("%d write-backs, want %d: %+v", len(recs), want, recs)
			}
			for _, r := range recs {
				if r.Method == "POST" && !strings.Contains(string(r.Body), ch.Marker()) {
					t.Fatalf("comment %s carries no marker", r.Body)
				}
			}
		})
	}
}

func TestMirrorRefuses(t *testing.T) {
	_, c, in := setup(t, fakevendor.Options{Alerts: 5, Seed: 1})
	tests := []struct {
		name   string
		change sdk.Change
		check  func(error) bool
	}{
		{"notify", sdk.Change{ID: "n", Kind: sdk.ChangeNotify}, func(err error) bool {
			var ns *sdk.NotSupportedError
			return errors.As(err, &ns)
		}},
		{"no alert", sdk.Change{ID: "x", Kind: sdk.ChangeComment, Comment: "hi"}, func(err error) bool { return err != nil }},
		{"unknown alert", sdk.Change{ID: "y", Kind: sdk.ChangeStatus, OriginalID: "hello-missing", Status: "OPEN"}, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "404")
		}},
		{"unknown status", sdk.Change{ID: "z", Kind: sdk.ChangeStatus, OriginalID: "hello-x", Status: "SNOOZED"}, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Mirror(context.Background(), sdk.MirrorRequest{Integration: in, Change: tt.change})
			if !tt.check(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
