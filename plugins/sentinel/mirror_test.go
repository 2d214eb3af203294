package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/sentinel/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// firstIncident polls once and returns the first incident's name.
func (e *env) firstIncident(t *testing.T) (string, string) {
	t.Helper()
	evs, cur, err := e.poll(t, "", time.Now().Add(-2*time.Hour))
	if err != nil || len(evs) == 0 {
		t.Fatalf("poll: %d events, %v", len(evs), err)
	}
	return evs[0].OriginalID, cur
}

func (e *env) mirror(t *testing.T, ch sdk.Change) (*sdk.MirrorResponse, error) {
	t.Helper()
	return e.conn.Mirror(ctx(t), sdk.MirrorRequest{Integration: e.in, Change: ch})
}

func TestMirrorRoundTrip(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 20, Seed: 11})
	name, cur := e.firstIncident(t)
	before := incidentAt(t, e.fake, name)

	changes := []struct {
		change sdk.Change
		check  func(t *testing.T, inc *incident)
	}{
		{sdk.Change{ID: "ch-1", Kind: sdk.ChangeStatus, Status: "UNDER_INVESTIGATION"}, func(t *testing.T, inc *incident) {
			if inc.Properties.Status != "Active" {
				t.Errorf("status %q, want Active", inc.Properties.Status)
			}
		}},
		{sdk.Change{ID: "ch-2", Kind: sdk.ChangeAssign, AssignedTo: "m.rossi@contoso.com"}, func(t *testing.T, inc *incident) {
			o := inc.Properties.Owner
			if o.AssignedTo != "m.rossi@contoso.com" || o.UserPrincipalName != "m.rossi@contoso.com" || o.ObjectID != "" {
				t.Errorf("owner %+v, want m.rossi@contoso.com in assignedTo and userPrincipalName", o)
			}
		}},
		{sdk.Change{ID: "ch-3", Kind: sdk.ChangeComment, Comment: "Host isolated by the on-call analyst."}, func(t *testing.T, inc *incident) {
			if got := e.fake.Comments(name); len(got) != 1 || got[0] != "Host isolated by the on-call analyst." {
				t.Errorf("comments %q", got)
			}
		}},
		{sdk.Change{ID: "ch-4", Kind: sdk.ChangeClose, CloseNotes: "Confirmed compromise, credentials reset.", FinalClassification: "true_positive"},
			func(t *testing.T, inc *incident) {
				p := inc.Properties
				if p.Status != "Closed" || p.Classification != "TruePositive" || p.ClassificationReason != "SuspiciousActivity" ||
					p.ClassificationComment != "Confirmed compromise, credentials reset." {
					t.Errorf("closed as %q %q %q %q", p.Status, p.Classification, p.ClassificationReason, p.ClassificationComment)
				}
				if p.Owner.AssignedTo != "m.rossi@contoso.com" {
					t.Errorf("the close lost the owner: %+v", p.Owner)
				}
			}},
		{sdk.Change{ID: "ch-5", Kind: sdk.ChangeStatus, Status: "OPEN"}, func(t *testing.T, inc *incident) {
			if inc.Properties.Status != "Active" {
				t.Errorf("reopened incident has status %q, want Active", inc.Properties.Status)
			}
		}},
		{sdk.Change{ID: "ch-6", Kind: sdk.ChangeAssign, AssignedTo: ""}, func(t *testing.T, inc *incident) {
			if o := inc.Properties.Owner; o.AssignedTo != "" || o.UserPrincipalName != "" {
				t.Errorf("unassigned incident has owner %+v", o)
			}
		}},
		{sdk.Change{ID: "ch-7", Kind: sdk.ChangeStatus, Status: "CLOSED"}, func(t *testing.T, inc *incident) {
			if p := inc.Properties; p.Status != "Closed" || p.Classification != "Undetermined" || p.ClassificationReason != "" {
				t.Errorf("status CLOSED gave %q %q %q, want Closed Undetermined without a reason", p.Status, p.Classification, p.ClassificationReason)
			}
		}},
	}
	for _, tc := range changes {
		t.Run(string(tc.change.Kind)+"/"+tc.change.ID, func(t *testing.T) {
			tc.change.OriginalID = name
			n := len(e.fake.Store().State().Mirror)
			r, err := e.mirror(t, tc.change)
			if err != nil || !r.Applied {
				t.Fatalf("first delivery: %+v, %v", r, err)
			}
			r, err = e.mirror(t, tc.change)
			if err != nil || r.Applied {
				t.Fatalf("redelivery: %+v, %v; want not applied", r, err)
			}
			if got := len(e.fake.Store().State().Mirror) - n; got != 1 {
				t.Fatalf("%d write-backs reached Sentinel, want 1", got)
			}
			tc.check(t, incidentAt(t, e.fake, name))
		})
	}

	log := e.fake.Store().State().Mirror
	t.Run("incident PUT carries the whole incident and its etag", func(t *testing.T) {
		var body map[string]json.RawMessage
		if err := json.Unmarshal(log[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		var props map[string]json.RawMessage
		_ = json.Unmarshal(body["properties"], &props)
		var etag string
		_ = json.Unmarshal(body["etag"], &etag)
		if etag != before.Etag {
			t.Errorf("etag %q, want the one read, %q", etag, before.Etag)
		}
		for _, k := range []string{"title", "severity", "labels", "incidentNumber", "additionalData", "firstActivityTimeUtc"} {
			if _, ok := props[k]; !ok {
				t.Errorf("the PUT dropped properties.%s", k)
			}
		}
	})
	t.Run("comment id derives from the change id", func(t *testing.T) {
		var put fakevendor.MirrorRecord
		for _, m := range log {
			if strings.Contains(m.Path, "/comments/") {
				put = m
			}
		}
		if !strings.HasSuffix(put.Path, "/comments/"+commentID("ch-3")) || put.Method != http.MethodPut {
			t.Errorf("comment written as %s %s, want PUT .../comments/%s", put.Method, put.Path, commentID("ch-3"))
		}
		if string(put.Body) != `{"properties":{"message":"Host isolated by the on-call analyst."}}` {
			t.Errorf("comment body %s", put.Body)
		}
	})
	t.Run("own writes come back as an update, once", func(t *testing.T) {
		evs, _, err := e.poll(t, cur, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].OriginalID != name || !evs[0].UpdateTime.After(before.Properties.LastModifiedTimeUtc) {
			t.Fatalf("poll after mirroring returned %d events, want the mirrored incident once with a newer update time", len(evs))
		}
	})
}

// An analyst edits the incident between the plugin's read and its PUT: the
// stale etag is refused with 409, the plugin reads again and applies its
// change to the fresh copy, keeping the analyst's edit.
func TestMirrorRetriesAStaleEtag(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 10, Seed: 12})
	var raced atomic.Bool
	var conflicts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && !strings.Contains(r.URL.Path, "/comments/") && raced.CompareAndSwap(false, true) {
			name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
			f.AnalystUpdate(name, "", "analyst on call")
			rec := httptest.NewRecorder()
			fakevendor.Mux(f).ServeHTTP(rec, r)
			if rec.Code == http.StatusConflict {
				conflicts.Add(1)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		fakevendor.Mux(f).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := &env{fake: f, conn: New(), base: srv.URL + "/sentinel"}
	e.in = integration(f, e.base, nil)
	name, _ := e.firstIncident(t)
	r, err := e.mirror(t, sdk.Change{ID: "c1", Kind: sdk.ChangeStatus, Status: "UNDER_INVESTIGATION", OriginalID: name})
	if err != nil || !r.Applied {
		t.Fatalf("Mirror after a lost etag race: %+v, %v", r, err)
	}
	if conflicts.Load() != 1 {
		t.Fatalf("%d conflicts, want the one staged", conflicts.Load())
	}
	inc := incidentAt(t, f, name)
	if inc.Properties.Status != "Active" || inc.Properties.Owner.AssignedTo != "analyst on call" {
		t.Fatalf("incident now %q owned by %q: want Active, the analyst's owner kept", inc.Properties.Status, inc.Properties.Owner.AssignedTo)
	}
	if n := len(f.Store().State().Mirror); n != 1 {
		t.Fatalf("%d write-backs accepted, want 1", n)
	}
}

func TestMirrorWithoutWriteRoleIsPermissionDenied(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 5, Seed: 13})
	id, secret := e.fake.ReaderCredentials()
	e.in = integration(e.fake, e.base, map[string]any{"client_id": id, "client_secret": secret})
	name, _ := e.firstIncident(t) // a reader may poll
	for _, tc := range []struct {
		change sdk.Change
		perm   string
	}{
		{sdk.Change{ID: "r1", Kind: sdk.ChangeStatus, Status: "OPEN"}, permWrite},
		{sdk.Change{ID: "r2", Kind: sdk.ChangeComment, Comment: "x"}, permCommentsWrite},
	} {
		t.Run(string(tc.change.Kind), func(t *testing.T) {
			tc.change.OriginalID = name
			_, err := e.mirror(t, tc.change)
			var pd *sdk.PermissionDeniedError
			if !errors.As(err, &pd) || pd.Permission != tc.perm {
				t.Fatalf("Mirror as a Sentinel Reader: %v, want permission denied naming %s", err, tc.perm)
			}
		})
	}
}

func TestMirrorRefusals(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 5, Seed: 14})
	for _, tc := range []struct {
		name   string
		change sdk.Change
		unsup  bool
	}{
		{"notify", sdk.Change{ID: "n", Kind: sdk.ChangeNotify}, true},
		{"unknown kind", sdk.Change{ID: "k", Kind: "escalate", OriginalID: "x"}, true},
		{"no incident", sdk.Change{ID: "o", Kind: sdk.ChangeStatus, Status: "OPEN"}, false},
		{"unknown status", sdk.Change{ID: "s", Kind: sdk.ChangeStatus, Status: "SNOOZED", OriginalID: "x"}, false},
		{"unknown classification", sdk.Change{ID: "c", Kind: sdk.ChangeClose, FinalClassification: "MAYBE", OriginalID: "x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.mirror(t, tc.change)
			var ns *sdk.NotSupportedError
			if err == nil || errors.As(err, &ns) != tc.unsup {
				t.Fatalf("Mirror %+v: %v", tc.change, err)
			}
		})
	}
}

func TestCommentIDIsAStableGUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := commentID("change-1"), commentID("change-1")
	if a != b || !re.MatchString(a) {
		t.Fatalf("commentID: %q, %q", a, b)
	}
	if commentID("change-2") == a {
		t.Fatal("two changes share a comment id")
	}
}
