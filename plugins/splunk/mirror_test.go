package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/splunk/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TestMirrorRoundTrip closes a notable from Outpost, delivers the change
// twice (the outbox is at least once), and reads the notable back.
func TestMirrorRoundTrip(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 20, Seed: 12})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "mirror", f.Config(base))
	a := f.Store().All()[3]
	id := fake.EventID(a)

	ch := sdk.Change{ID: "chg-close-1", Kind: sdk.ChangeClose, OriginalID: id, CaseID: "case-9", Status: "CLOSED",
		CloseNotes: "Known admin script, tuned the rule.", FinalClassification: "BENIGN_POSITIVE", Author: "ana"}
	r, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: ch})
	if err != nil || !r.Applied {
		t.Fatalf("Mirror = %+v, %v", r, err)
	}
	if r.Message != "1 event updated successfully" {
		t.Errorf("message %q, want notable_update's", r.Message)
	}
	again, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: ch})
	if err != nil || again.Applied {
		t.Fatalf("redelivered Mirror = %+v, %v; want Applied=false", again, err)
	}

	st := f.Store().State()
	if len(st.Mirror) != 1 {
		t.Fatalf("%d write-backs at the vendor, want 1: %+v", len(st.Mirror), st.Mirror)
	}
	form := updates(t, st.Mirror)[0]
	if form.Get("ruleUIDs") != id || form.Get("status") != "5" || form.Get("disposition") != "disposition:2" ||
		!strings.Contains(form.Get("comment"), ch.CloseNotes) || !strings.Contains(form.Get("comment"), ch.Marker()) {
		t.Errorf("notable_update form %v", form)
	}
	rv := f.Reviews(id)
	if len(rv) != 1 || rv[0].Status != "5" || rv[0].User != fake.Username {
		t.Errorf("review history %+v", rv)
	}

	// The notable as a search sees it now.
	bs, err := collect(t, func(s sdk.Stream) error {
		return c.LostFound(ctx(t), sdk.WindowRequest{Integration: in, From: a.Time.Truncate(time.Second), To: a.Time.Add(time.Second)}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got *sdk.Event
	for _, e := range eventsOf(bs) {
		if e.OriginalID == id {
			got = &e
		}
	}
	if got == nil {
		t.Fatalf("notable %s not found after the update", id)
	}
	for _, want := range []string{`"status":"5"`, `"disposition":"disposition:2"`, ch.Marker()} {
		if !strings.Contains(string(got.Raw), want) {
			t.Errorf("notable after the update lacks %s: %s", want, got.Raw)
		}
	}
	if !got.UpdateTime.After(got.CreationTime) {
		t.Errorf("update time %s not after creation %s: the host would not refresh the event", got.UpdateTime, got.CreationTime)
	}
}

func TestMirrorKinds(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 5, Seed: 13})
	base, _ := serve(t, f, nil)
	c := testConnector()
	in := integration(t, "kinds", f.Config(base))
	id := fake.EventID(f.Store().All()[0])

	cases := []struct {
		ch    sdk.Change
		field string
		want  string
	}{
		{sdk.Change{Kind: sdk.ChangeStatus, Status: "UNDER_INVESTIGATION"}, "status", "2"},
		{sdk.Change{Kind: sdk.ChangeStatus, Status: "PENDING"}, "status", "3"},
		{sdk.Change{Kind: sdk.ChangeStatus, Status: "OPEN"}, "status", "2"}, // a reopen
		{sdk.Change{Kind: sdk.ChangeAssign, AssignedTo: "bob.chen"}, "newOwner", "bob.chen"},
		{sdk.Change{Kind: sdk.ChangeAssign}, "newOwner", "unassigned"},
		{sdk.Change{Kind: sdk.ChangeClose, FinalClassification: "TRUE_POSITIVE"}, "disposition", "disposition:1"},
		{sdk.Change{Kind: sdk.ChangeClose, FinalClassification: "false_positive"}, "disposition", "disposition:3"},
		{sdk.Change{Kind: sdk.ChangeClose}, "disposition", "disposition:6"},
		{sdk.Change{Kind: sdk.ChangeComment, Comment: "Checked the proxy logs.", Author: "ana"}, "comment", "Checked the proxy logs.\n\n— ana (Outpost)"},
	}
	for i, tc := range cases {
		tc.ch.ID = "chg-" + string(rune('a'+i))
		tc.ch.OriginalID = id
		t.Run(string(tc.ch.Kind)+"/"+tc.want, func(t *testing.T) {
			before := len(f.Store().State().Mirror)
			if _, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: tc.ch}); err != nil {
				t.Fatal(err)
			}
			forms := updates(t, f.Store().State().Mirror)
			if len(forms) != before+1 {
				t.Fatalf("%d write-backs, want %d", len(forms), before+1)
			}
			form := forms[len(forms)-1]
			if got := form.Get(tc.field); !strings.HasPrefix(got, tc.want) {
				t.Errorf("%s = %q, want %q", tc.field, got, tc.want)
			}
			if !strings.HasSuffix(form.Get("comment"), tc.ch.Marker()) {
				t.Errorf("comment %q does not end with the marker", form.Get("comment"))
			}
		})
	}

	refused := []struct {
		name string
		ch   sdk.Change
		is   func(error) bool
	}{
		{"notify", sdk.Change{Kind: sdk.ChangeNotify, OriginalID: id}, func(err error) bool {
			var ns *sdk.NotSupportedError
			return errors.As(err, &ns)
		}},
		{"unknown status", sdk.Change{Kind: sdk.ChangeStatus, Status: "ON_HOLD", OriginalID: id}, func(err error) bool { return err != nil }},
		{"search injection", sdk.Change{Kind: sdk.ChangeComment, Comment: "x", OriginalID: `x" | delete | search "`}, func(err error) bool { return err != nil }},
		{"no event", sdk.Change{Kind: sdk.ChangeComment, Comment: "x"}, func(err error) bool { return err != nil }},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := f.Store().Requests()
			tc.ch.ID = "chg-" + tc.name
			_, err := c.Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: tc.ch})
			if !tc.is(err) {
				t.Fatalf("Mirror = %v", err)
			}
			if n := f.Store().Requests() - before; n != 0 {
				t.Errorf("a refused change still sent %d requests", n)
			}
		})
	}
}

func TestMirrorPermissionDenied(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 5, Seed: 14})
	f.SetCapabilities("search")
	base, _ := serve(t, f, nil)
	in := integration(t, "denied", f.Config(base))
	ch := sdk.Change{ID: "chg-1", Kind: sdk.ChangeComment, Comment: "hello", OriginalID: fake.EventID(f.Store().All()[0])}
	_, err := testConnector().Mirror(ctx(t), sdk.MirrorRequest{Integration: in, Change: ch})
	var pd *sdk.PermissionDeniedError
	if !errors.As(err, &pd) || pd.Permission != "edit_notable_events" {
		t.Fatalf("Mirror without edit_notable_events = %v, want *sdk.PermissionDeniedError naming it", err)
	}
	if len(f.Store().State().Mirror) != 0 {
		t.Error("a refused update was recorded")
	}
}
