package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

func simpleEvent(id string, sev int, update time.Time) sdk.Event {
	return sdk.Event{
		OriginalID: id, Title: "title " + id, Description: "description of " + id, Severity: sev,
		Classification: sdk.Classification{Type: "malware", Subtype: "trojan", Vendor: "v"},
		URL:            "https://vendor.example/a/" + id, DetectionTime: update, CreationTime: update, UpdateTime: update,
		MitreTags:   []string{"T1059"},
		Observables: []sdk.Observable{sdk.IPObservable("10.0.0.1"), sdk.UserObservable(sdk.User{Name: "bob"})},
		IOCs:        []sdk.IOC{{Indicator: "evil.example", Type: sdk.IOCDomain}},
		Raw:         []byte(`{"id":"` + id + `","n":1}`),
	}
}

func TestCommitDedup(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	type want struct{ stored, dups, updated int }
	tests := []struct {
		name   string
		before []sdk.Event
		batch  []sdk.Event
		want   want
		// title of "a" afterwards
		title string
	}{
		{name: "new", batch: []sdk.Event{simpleEvent("a", 50, t0), simpleEvent("b", 10, t0)}, want: want{stored: 2}, title: "title a"},
		{name: "replayed", before: []sdk.Event{simpleEvent("a", 50, t0)}, batch: []sdk.Event{simpleEvent("a", 50, t0)}, want: want{dups: 1}, title: "title a"},
		{name: "older update", before: []sdk.Event{simpleEvent("a", 50, t1)}, batch: []sdk.Event{retitle(simpleEvent("a", 50, t0), "old")}, want: want{dups: 1}, title: "title a"},
		{name: "newer update", before: []sdk.Event{simpleEvent("a", 50, t0)}, batch: []sdk.Event{retitle(simpleEvent("a", 80, t1), "new")}, want: want{updated: 1}, title: "new"},
		{name: "duplicate within batch", batch: []sdk.Event{simpleEvent("a", 50, t0), simpleEvent("a", 50, t0)}, want: want{stored: 1, dups: 1}, title: "title a"},
		{name: "update within batch", batch: []sdk.Event{simpleEvent("a", 50, t0), retitle(simpleEvent("a", 50, t1), "later")}, want: want{stored: 1, updated: 1}, title: "later"},
		{name: "no original id", batch: []sdk.Event{simpleEvent("", 50, t0), simpleEvent("", 50, t0)}, want: want{stored: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d := openTest(t)
			c := mustCustomer(t, d, "acme")
			in := mustInteg(t, d, c.ID, "edr")
			if tt.before != nil {
				if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: tt.before, Now: t0}); err != nil {
					t.Fatal(err)
				}
			}
			now := t0.Add(time.Hour)
			res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: tt.batch, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := (want{res.Stored, res.Duplicates, res.Updated}); got != tt.want {
				t.Fatalf("result %+v, want %+v", got, tt.want)
			}
			if len(res.EventIDs) != res.Stored || len(res.CaseIDs) != res.Stored {
				t.Fatalf("ids %d/%d for %d stored", len(res.EventIDs), len(res.CaseIDs), res.Stored)
			}
			evs, total, err := d.ListEvents(ctx, EventFilter{IntegrationID: in.ID}, Page{Take: 10})
			if err != nil {
				t.Fatal(err)
			}
			wantTotal := tt.want.stored + len(tt.before)
			if total != wantTotal || len(evs) != wantTotal {
				t.Fatalf("%d events listed, total %d, want %d", len(evs), total, wantTotal)
			}
			if tt.title == "" {
				return
			}
			var e Event
			for _, x := range evs {
				if x.OriginalID == "a" {
					e = x
				}
			}
			if e.Title != tt.title {
				t.Errorf("title %q, want %q", e.Title, tt.title)
			}
			if updated := tt.want.updated > 0; updated != !e.IngestedUpdatedTime.IsZero() {
				t.Errorf("ingested_updated_time %v with %d updates", e.IngestedUpdatedTime, tt.want.updated)
			}
			if tt.want.updated > 0 && !e.IngestedUpdatedTime.Equal(now) {
				t.Errorf("ingested_updated_time %v, want %v", e.IngestedUpdatedTime, now)
			}
			// The case keeps what the event said when it opened it.
			cs, err := d.GetCase(ctx, e.CaseID)
			if err != nil {
				t.Fatal(err)
			}
			if cs.SecurityEventID != e.ID || cs.SecurityEvent.OriginalID != "a" || cs.Status != CaseNew {
				t.Errorf("case %+v", cs)
			}
			if tt.before == nil && tt.want.updated == 0 && cs.Title != e.Title {
				t.Errorf("case title %q, event %q", cs.Title, e.Title)
			}
		})
	}
}

func retitle(e sdk.Event, title string) sdk.Event {
	e.Title = title
	return e
}

func TestCommitStoresEventAndCase(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	now := time.Date(2026, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	src := simpleEvent("x1", 75, now.Add(-time.Minute))
	src.Observables = append(src.Observables, sdk.FileObservable(sdk.File{Name: "a.exe", SHA256: strings.Repeat("ab", 32), Size: 42}))
	src.IOCs = append(src.IOCs, sdk.IOC{Indicator: "1.2.3.4", Type: sdk.IOCIPAddress, ExpiresAt: now.Add(time.Hour)})
	res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: []sdk.Event{src}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e, err := d.GetEvent(ctx, res.EventIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"customer", e.CustomerID, c.ID},
		{"integration", e.IntegrationID, in.ID},
		{"origin", e.Origin, "edr"},
		{"severity", e.Severity, Severity{75, sdk.LevelHigh}},
		{"title", e.Title, src.Title},
		{"url", e.SecurityEventURL, src.URL},
		{"classification", e.Classification, src.Classification},
		{"detection", e.DetectionTime, src.DetectionTime},
		{"ingested", e.IngestedTime, now},
		{"case", e.CaseID, res.CaseIDs[0]},
		{"raw", string(e.Raw), string(src.Raw)},
		{"observables", len(e.Observables), 3},
		{"file", *e.Observables[2].File, *src.Observables[2].File},
		{"iocs", len(e.IOCs), 2},
		{"ioc created", e.IOCs[1].CreatedAt, now},
		{"ioc expires", e.IOCs[1].ExpiresAt, now.Add(time.Hour)},
		{"actions", e.Actions != nil, true},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	cs, err := d.GetCase(ctx, e.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	wantCase := Case{
		ID: e.CaseID, CustomerID: c.ID, IntegrationID: in.ID, CreatedAt: now, UpdatedAt: now, Status: CaseNew,
		Description: src.Description, Title: src.Title, Severity: e.Severity, SecurityEventID: e.ID,
		FirstClassification: "malware", Tags: []string{}, Origin: "edr", Subscribers: []string{}, Mitre: []string{"T1059"},
		SecurityEvent: EventRef{SecurityEventID: e.ID, OriginalID: "x1"}, Annotations: map[string]Annotation{},
	}
	if fmt.Sprintf("%+v", *cs) != fmt.Sprintf("%+v", wantCase) {
		t.Errorf("case\n%+v\nwant\n%+v", *cs, wantCase)
	}
	ioc, err := d.GetIOC(ctx, "evil.example")
	if err != nil || ioc.Type != sdk.IOCDomain || !ioc.CreatedAt.Equal(now) {
		t.Errorf("ioc %+v, %v", ioc, err)
	}
}

func TestCommitCursorOnlyWithItsBatch(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	now := time.Now()
	first := "cursor-1"
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Cursor: &first, Events: alerts(0, 10, now)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		prep func()
		req  func() CommitRequest
		want error
	}{
		{name: "failure in the middle of the transaction", prep: func() {
			d.commitHook = func(n int) error {
				if n == 50 {
					return errors.New("disk on fire")
				}
				return nil
			}
		}, req: func() CommitRequest {
			return CommitRequest{IntegrationID: in.ID, Cursor: ptr("cursor-2"), Events: alerts(100, 100, now)}
		}},
		{name: "integration deleted", prep: func() {
			d.commitHook = nil
			if err := d.DeleteIntegration(ctx, in.ID); err != nil {
				t.Fatal(err)
			}
		}, req: func() CommitRequest {
			return CommitRequest{IntegrationID: in.ID, Cursor: ptr("cursor-3"), Events: alerts(200, 10, now)}
		}, want: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prep()
			_, err := d.Commit(ctx, tt.req())
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Commit: %v, want %v", err, tt.want)
			}
			_, total, err := d.ListEvents(ctx, EventFilter{}, Page{})
			if err != nil || total != 10 {
				t.Fatalf("%d events after a failed commit (%v), want 10", total, err)
			}
			var cur []byte
			_ = d.bolt.View(func(tx *bolt.Tx) error { cur = tx.Bucket(bCursors).Get(idKey(in.ID)); return nil })
			if tt.want == nil && string(cur) != first {
				t.Fatalf("cursor %q after a failed commit, want %q", cur, first)
			}
			_, cases, _ := d.SearchCases(ctx, CaseFilter{}, Page{})
			if cases != 10 {
				t.Fatalf("%d cases after a failed commit", cases)
			}
		})
	}
}

func TestCursor(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	if cur, err := d.Cursor(ctx, in.ID); err != nil || cur != "" {
		t.Fatalf("empty cursor: %q, %v", cur, err)
	}
	for _, want := range []string{"a", "b", ""} {
		if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Cursor: ptr(want)}); err != nil {
			t.Fatal(err)
		}
		if cur, err := d.Cursor(ctx, in.ID); err != nil || cur != want {
			t.Fatalf("cursor %q, %v, want %q", cur, err, want)
		}
	}
	// A commit without a cursor (lost-found) leaves it alone.
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Cursor: ptr("kept")}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Kind: KindLostFound, Events: alerts(0, 3, time.Now())}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := d.Cursor(ctx, in.ID); cur != "kept" {
		t.Fatalf("cursor %q after a lost-found commit", cur)
	}
	if _, err := d.Cursor(ctx, "01J00000000000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown integration: %v", err)
	}
}

func TestListEventsFiltersAndPaging(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	acme, beta := mustCustomer(t, d, "acme"), mustCustomer(t, d, "beta")
	edr, okta, other := mustInteg(t, d, acme.ID, "edr"), mustInteg(t, d, acme.ID, "okta"), mustInteg(t, d, beta.ID, "edr")
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var all []string // ids, oldest first
	for i := range 30 {
		in := []*Integration{edr, okta, other}[i%3]
		e := simpleEvent(fmt.Sprint("e", i), i*3, base.Add(time.Duration(i)*time.Hour))
		res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: []sdk.Event{e}, Now: base.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res.EventIDs[0])
	}
	// A manual event of acme, without integration.
	api := &Event{CustomerID: acme.ID, Origin: "manual", OriginalID: "m1", Title: "by hand", Severity: Severity{Level: sdk.LevelCritical}, DetectionTime: base}
	if _, err := d.CreateEvent(ctx, api); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    EventFilter
		want func(i int) bool // which of the 30 match
		api  bool
	}{
		{name: "all", want: func(int) bool { return true }, api: true},
		{name: "customer", f: EventFilter{CustomerID: acme.ID}, want: func(i int) bool { return i%3 != 2 }, api: true},
		{name: "integration", f: EventFilter{IntegrationID: okta.ID}, want: func(i int) bool { return i%3 == 1 }},
		{name: "integration of another customer", f: EventFilter{CustomerID: beta.ID, IntegrationID: okta.ID}, want: func(int) bool { return false }},
		{name: "customer and integration", f: EventFilter{CustomerID: acme.ID, IntegrationID: edr.ID}, want: func(i int) bool { return i%3 == 0 }},
		{name: "origin", f: EventFilter{Origin: "okta"}, want: func(i int) bool { return i%3 == 1 }},
		{name: "min severity", f: EventFilter{CustomerID: acme.ID, MinSeverity: sdk.LevelHigh}, want: func(i int) bool { return i%3 != 2 && i*3 >= 70 }, api: true},
		{name: "detection range", f: EventFilter{From: base.Add(5 * time.Hour), To: base.Add(10 * time.Hour)}, want: func(i int) bool { return i >= 5 && i < 10 }},
		{name: "unknown customer", f: EventFilter{CustomerID: "nope"}, want: func(int) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			if tt.api {
				want = append(want, api.ID)
			}
			for i := len(all) - 1; i >= 0; i-- {
				if tt.want(i) {
					want = append(want, all[i])
				}
			}
			// Page through three at a time.
			var got []string
			for skip := 0; ; skip += 3 {
				evs, total, err := d.ListEvents(ctx, tt.f, Page{Skip: skip, Take: 3})
				if err != nil {
					t.Fatal(err)
				}
				if total != len(want) {
					t.Fatalf("total %d, want %d", total, len(want))
				}
				for _, e := range evs {
					got = append(got, e.ID)
				}
				if len(evs) < 3 {
					break
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got  %v\nwant %v", got, want)
			}
		})
	}
	if _, _, err := d.ListEvents(ctx, EventFilter{MinSeverity: "SEVERE"}, Page{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown level: %v", err)
	}
}

// TestPagingPinnedWhileGrowing pages a list that grows between pages:
// with ToID it neither repeats nor skips, and its total stays that of
// the pinned list.
func TestPagingPinnedWhileGrowing(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	commit := func(from, n int) {
		if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: alerts(from, n, time.Now())}); err != nil {
			t.Fatal(err)
		}
	}
	commit(0, 25)
	filters := []struct {
		name string
		f    EventFilter
	}{
		{"counted", EventFilter{IntegrationID: in.ID}},
		{"scanned", EventFilter{IntegrationID: in.ID, MinSeverity: sdk.LevelNotValid, Origin: "edr"}},
	}
	for k, ft := range filters {
		t.Run(ft.name, func(t *testing.T) {
			first, total, err := d.ListEvents(ctx, ft.f, Page{Take: 10})
			if err != nil {
				t.Fatal(err)
			}
			pin := first[0].ID
			seen := map[string]bool{}
			for _, e := range first {
				seen[e.ID] = true
			}
			for skip := 10; skip < total; skip += 10 {
				commit(1000*(k+1)+skip, 7) // the list grows
				page, tot, err := d.ListEvents(ctx, ft.f, Page{Skip: skip, Take: 10, ToID: pin})
				if err != nil {
					t.Fatal(err)
				}
				if tot != total {
					t.Fatalf("pinned total %d, want %d", tot, total)
				}
				for _, e := range page {
					if seen[e.ID] {
						t.Fatalf("event %s seen twice", e.ID)
					}
					seen[e.ID] = true
				}
			}
			if len(seen) != total {
				t.Fatalf("saw %d events of %d", len(seen), total)
			}
		})
	}
}
