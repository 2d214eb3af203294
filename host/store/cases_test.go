package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

func TestCreateAndUpdateCase(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: []sdk.Event{simpleEvent("o1", 30, time.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	manual := &Case{CustomerID: c.ID, Title: "by hand", Description: "desc", Severity: Severity{Level: sdk.LevelHigh}, Tags: []string{"x"}}
	if err := d.CreateCase(ctx, manual); err != nil {
		t.Fatal(err)
	}
	if manual.ID == "" || manual.Status != CaseNew || manual.Severity != (Severity{80, sdk.LevelHigh}) || manual.CreatedAt.IsZero() || manual.SecurityEventID != "" {
		t.Errorf("created case %+v", manual)
	}
	linked := &Case{CustomerID: c.ID, IntegrationID: in.ID, SecurityEventID: res.EventIDs[0], Title: "linked"}
	if err := d.CreateCase(ctx, linked); err != nil {
		t.Fatal(err)
	}
	if linked.SecurityEvent.OriginalID != "o1" || linked.SecurityEvent.SecurityEventID != res.EventIDs[0] {
		t.Errorf("linked case %+v", linked.SecurityEvent)
	}
	bad := []struct {
		name string
		c    Case
		want error
	}{
		{"unknown customer", Case{CustomerID: "01J00000000000000000000000"}, ErrNotFound},
		{"unknown status", Case{CustomerID: c.ID, Status: "DONE"}, ErrInvalid},
		{"unknown event", Case{CustomerID: c.ID, SecurityEventID: "nope"}, ErrNotFound},
		{"unknown level", Case{CustomerID: c.ID, Severity: Severity{Level: "SEVERE"}}, ErrInvalid},
	}
	for _, b := range bad {
		if err := d.CreateCase(ctx, &b.c); !errors.Is(err, b.want) {
			t.Errorf("%s: %v, want %v", b.name, err, b.want)
		}
	}

	d.now = func() time.Time { return time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC) }
	ingested := res.CaseIDs[0]
	steps := []struct {
		actor string
		fn    func(*Case)
	}{
		{"alice", func(c *Case) { c.Status = CaseUnderInvestigation; c.AssignedTo = "alice" }},
		{"bob", func(c *Case) { c.Tags = append(c.Tags, "phish"); c.ID = "x"; c.CustomerID = "y" }},
		{"alice", func(c *Case) {
			c.Status, c.CloseNotes, c.FinalClassification, c.Severity = CaseClosed, "done", "FALSE_POSITIVE", Severity{Value: 95}
		}},
		{"carol", func(c *Case) { c.Status = CaseOpen }},
	}
	for _, s := range steps {
		if _, err := d.UpdateCase(ctx, ingested, CaseUpdate{Actor: s.actor}, func(c *Case) error { s.fn(c); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.GetCase(ctx, ingested)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ingested || got.CustomerID != c.ID || got.Status != CaseOpen || got.AssignedTo != "alice" ||
		strings.Join(got.Tags, ",") != "phish" || got.Title != "title o1" || got.SecurityEventID != res.EventIDs[0] ||
		got.Severity.Level != sdk.LevelCritical || !got.UpdatedAt.Equal(d.now()) {
		t.Errorf("updated case %+v", got)
	}
	hist, err := d.ListCaseHistory(ctx, ingested)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, h := range hist {
		lines = append(lines, fmt.Sprintf("%s %s %s>%s", h.Actor, h.Field, h.From, h.To))
	}
	want := "alice status NEW>UNDER_INVESTIGATION|alice assigned_to >alice|alice status UNDER_INVESTIGATION>CLOSED|" +
		"alice severity LOW>CRITICAL|alice final_classification >FALSE_POSITIVE|carol status CLOSED>OPEN"
	if strings.Join(lines, "|") != want {
		t.Errorf("history\n%s\nwant\n%s", strings.Join(lines, "|"), want)
	}
	if _, err := d.UpdateCase(ctx, ingested, CaseUpdate{}, func(c *Case) error { c.Status = "BOGUS"; return nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("bogus status: %v", err)
	}
	if _, err := d.UpdateCase(ctx, "01J00000000000000000000000", CaseUpdate{}, func(*Case) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
}

func TestSearchCases(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	a, b := mustCustomer(t, d, "a"), mustCustomer(t, d, "b")
	ia, ib := mustInteg(t, d, a.ID, "edr"), mustInteg(t, d, b.ID, "edr")
	base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	type rec struct {
		id, cust, status, level, assignee, title string
		created                                  time.Time
	}
	var cases []rec // oldest first
	for i := range 60 {
		in := []*Integration{ia, ib}[i%2]
		e := simpleEvent(fmt.Sprint("s", i), []int{0, 20, 50, 80, 95}[i%5], base)
		e.Title = []string{"Phishing mail", "Malware beacon", "Impossible travel"}[i%3]
		now := base.Add(time.Duration(i) * time.Minute)
		res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: []sdk.Event{e}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		r := rec{id: res.CaseIDs[0], cust: in.CustomerID, status: CaseNew, level: NewSeverity(e.Severity).Level, title: e.Title, created: now}
		if i%4 == 1 {
			r.status = CaseOpen
		}
		if i%6 == 0 {
			r.assignee = []string{"alice", "bob"}[i%12/6]
		}
		if r.status != CaseNew || r.assignee != "" {
			if _, err := d.UpdateCase(ctx, r.id, CaseUpdate{Actor: "t"}, func(c *Case) error {
				c.Status, c.AssignedTo = r.status, r.assignee
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		cases = append(cases, r)
	}
	tests := []struct {
		name  string
		f     CaseFilter
		match func(r rec) bool
	}{
		{"all", CaseFilter{}, func(rec) bool { return true }},
		{"status", CaseFilter{Statuses: []string{CaseOpen}}, func(r rec) bool { return r.status == CaseOpen }},
		{"statuses", CaseFilter{Statuses: []string{CaseOpen, CaseNew}}, func(r rec) bool { return true }},
		{"severity", CaseFilter{Severities: []string{sdk.LevelHigh, sdk.LevelCritical}}, func(r rec) bool { return r.level == sdk.LevelHigh || r.level == sdk.LevelCritical }},
		{"customer", CaseFilter{CustomerID: b.ID}, func(r rec) bool { return r.cust == b.ID }},
		{"customer status level", CaseFilter{CustomerID: a.ID, Statuses: []string{CaseNew}, Severities: []string{sdk.LevelNotValid}}, func(r rec) bool {
			return r.cust == a.ID && r.status == CaseNew && r.level == sdk.LevelNotValid
		}},
		{"assignee", CaseFilter{AssignedTo: "alice"}, func(r rec) bool { return r.assignee == "alice" }},
		{"assignee and customer", CaseFilter{AssignedTo: "bob", CustomerID: a.ID}, func(r rec) bool { return r.assignee == "bob" && r.cust == a.ID }},
		{"text", CaseFilter{Text: "BEACON"}, func(r rec) bool { return strings.Contains(r.title, "beacon") }},
		{"text and status", CaseFilter{Text: "travel", Statuses: []string{CaseOpen}}, func(r rec) bool { return strings.Contains(r.title, "travel") && r.status == CaseOpen }},
		{"created range", CaseFilter{From: base.Add(10 * time.Minute), To: base.Add(20*time.Minute + time.Second)}, func(r rec) bool {
			return !r.created.Before(base.Add(10*time.Minute)) && r.created.Before(base.Add(20*time.Minute+time.Second))
		}},
		{"range and customer", CaseFilter{CustomerID: a.ID, From: base.Add(30 * time.Minute)}, func(r rec) bool { return r.cust == a.ID && !r.created.Before(base.Add(30*time.Minute)) }},
		{"unknown customer", CaseFilter{CustomerID: "x"}, func(rec) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for i := len(cases) - 1; i >= 0; i-- {
				if tt.match(cases[i]) {
					want = append(want, cases[i].id)
				}
			}
			var got []string
			for skip := 0; ; skip += 4 {
				page, total, err := d.SearchCases(ctx, tt.f, Page{Skip: skip, Take: 4})
				if err != nil {
					t.Fatal(err)
				}
				if total != len(want) {
					t.Fatalf("total %d, want %d", total, len(want))
				}
				for _, c := range page {
					got = append(got, c.ID)
				}
				if len(page) < 4 {
					break
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got  %v\nwant %v", got, want)
			}
		})
	}
	for _, f := range []CaseFilter{{Statuses: []string{"DONE"}}, {Severities: []string{"SEVERE"}}} {
		if _, _, err := d.SearchCases(ctx, f, Page{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

func TestNotesCommentsReports(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	cs := &Case{CustomerID: c.ID, Title: "t"}
	if err := d.CreateCase(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		n := &Note{Author: "alice", Text: fmt.Sprint("note ", i)}
		if err := d.AddNote(ctx, cs.ID, n); err != nil || n.ID == "" || n.CreatedAt.IsZero() {
			t.Fatalf("AddNote: %+v, %v", n, err)
		}
		if err := d.AddComment(ctx, cs.ID, &Comment{Author: "bob", Text: fmt.Sprint("comment ", i)}, true); err != nil {
			t.Fatal(err)
		}
	}
	notes, total, err := d.ListNotes(ctx, cs.ID, Page{Take: 2})
	if err != nil || total != 3 || len(notes) != 2 || notes[0].Text != "note 2" {
		t.Fatalf("ListNotes: %+v, %d, %v", notes, total, err)
	}
	comments, total, err := d.ListComments(ctx, cs.ID, Page{Skip: 2, Take: 2})
	if err != nil || total != 3 || len(comments) != 1 || comments[0].Text != "comment 0" || comments[0].Author != "bob" {
		t.Fatalf("ListComments: %+v, %d, %v", comments, total, err)
	}
	if err := d.AddNote(ctx, "01J00000000000000000000000", &Note{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("note on unknown case: %v", err)
	}
	html := []byte("<!doctype html><h1>" + strings.Repeat("case report ", 500) + "</h1>")
	r := &Report{CaseID: cs.ID, Author: "alice", HTML: html}
	if err := d.CreateReport(ctx, r); err != nil || r.ID == "" {
		t.Fatalf("CreateReport: %+v, %v", r, err)
	}
	list, total, err := d.ListReports(ctx, cs.ID, Page{Take: 5})
	if err != nil || total != 1 || list[0].ID != r.ID || list[0].HTML != nil {
		t.Fatalf("ListReports: %+v, %d, %v", list, total, err)
	}
	got, err := d.GetReport(ctx, r.ID)
	if err != nil || string(got.HTML) != string(html) || got.CaseID != cs.ID {
		t.Fatalf("GetReport: %v", err)
	}
	if _, err := d.GetReport(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown report: %v", err)
	}
}

func TestIOCs(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	now := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return now }
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	e1 := simpleEvent("i1", 50, now)
	e1.IOCs = []sdk.IOC{{Indicator: "1.1.1.1", Type: sdk.IOCIPAddress, ExpiresAt: now.Add(time.Hour)}, {Indicator: " x.example ", Type: ""}, {Indicator: ""}}
	e2 := simpleEvent("i2", 50, now)
	e2.IOCs = []sdk.IOC{{Indicator: "1.1.1.1", Type: sdk.IOCIPAddress, ExpiresAt: now.Add(3 * time.Hour)}, {Indicator: "x.example", Type: sdk.IOCDomain}}
	e3 := simpleEvent("i3", 50, now)
	e3.IOCs = []sdk.IOC{{Indicator: "1.1.1.1", Type: sdk.IOCIPAddress, ExpiresAt: now.Add(2 * time.Hour)}, {Indicator: "old.example", Type: sdk.IOCDomain, ExpiresAt: now.Add(-time.Hour)}}
	for i, e := range []sdk.Event{e1, e2, e3} {
		if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: []sdk.Event{e}, Now: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	ip, err := d.GetIOC(ctx, "1.1.1.1")
	if err != nil || !ip.CreatedAt.Equal(now) || !ip.ExpiresAt.Equal(now.Add(3*time.Hour)) {
		t.Fatalf("ip: %+v, %v (created at first sight, the later expiry kept)", ip, err)
	}
	dom, err := d.GetIOC(ctx, "x.example")
	if err != nil || dom.Type != sdk.IOCDomain || !dom.ExpiresAt.IsZero() {
		t.Fatalf("domain: %+v, %v (a known type replaces UNSPECIFIED; no expiry is never)", dom, err)
	}
	later := now.Add(3 * time.Second)
	d.now = func() time.Time { return later }
	created, err := d.PutIOC(ctx, &IOC{Indicator: "deadbeef", Type: sdk.IOCHash})
	if err != nil || !created {
		t.Fatalf("PutIOC new: %v, %v", created, err)
	}
	put := &IOC{Indicator: "1.1.1.1", Type: sdk.IOCIPAddress, ExpiresAt: now.Add(time.Minute)}
	if created, err := d.PutIOC(ctx, put); err != nil || created || !put.ExpiresAt.Equal(now.Add(time.Minute)) || !put.CreatedAt.Equal(now) {
		t.Fatalf("PutIOC replace: %+v, %v, %v", put, created, err)
	}
	if _, err := d.PutIOC(ctx, &IOC{Indicator: "y", Type: "URL"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown type: %v", err)
	}
	tests := []struct {
		typ     sdk.IOCType
		expired bool
		want    string
	}{
		{"", true, "deadbeef,old.example,x.example,1.1.1.1"},
		{"", false, "deadbeef,x.example,1.1.1.1"},
		{sdk.IOCDomain, true, "old.example,x.example"},
		{sdk.IOCDomain, false, "x.example"},
		{sdk.IOCHash, false, "deadbeef"},
	}
	for _, tt := range tests {
		list, total, err := d.ListIOCs(ctx, tt.typ, tt.expired, Page{Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range list {
			got = append(got, i.Indicator)
		}
		if strings.Join(got, ",") != tt.want || total != len(got) {
			t.Errorf("ListIOCs(%q, %v) = %v (total %d), want %s", tt.typ, tt.expired, got, total, tt.want)
		}
	}
	pinned, total, err := d.ListIOCs(ctx, "", true, Page{Take: 10, ToID: "old.example"})
	if err != nil || total != 3 || pinned[0].Indicator != "old.example" {
		t.Errorf("pinned at an indicator: %+v, %d, %v", pinned, total, err)
	}
	ev, _, _ := d.ListEvents(ctx, EventFilter{}, Page{Take: 1})
	if len(ev[0].IOCs) != 2 || !ev[0].IOCs[0].ExpiresAt.Equal(now.Add(time.Minute)) || !ev[0].IOCs[0].CreatedAt.Equal(now) {
		t.Errorf("event iocs show the stored state: %+v", ev[0].IOCs)
	}
}

func TestCreateEvent(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	e := &Event{CustomerID: c.ID, Origin: "soar", OriginalID: "ext-1", Title: "first", Severity: Severity{Level: sdk.LevelMedium},
		Observables: []sdk.Observable{sdk.DomainObservable("bad.example")}, IOCs: []IOC{{Indicator: "bad.example", Type: sdk.IOCDomain}}, Raw: []byte(`not json`)}
	updated, err := d.CreateEvent(ctx, e)
	if err != nil || updated {
		t.Fatalf("CreateEvent: %v, %v", updated, err)
	}
	if e.ID == "" || e.CaseID == "" || e.Severity.Value != 50 || e.IngestedTime.IsZero() || string(e.Raw) != `"not json"` || e.IOCs[0].CreatedAt.IsZero() {
		t.Fatalf("created event %+v", e)
	}
	first := *e
	again := &Event{CustomerID: c.ID, Origin: "soar", OriginalID: "ext-1", Title: "second", Severity: Severity{Value: 99}}
	updated, err = d.CreateEvent(ctx, again)
	if err != nil || !updated || again.ID != first.ID || again.CaseID != first.CaseID || again.Title != "second" || again.IngestedUpdatedTime.IsZero() {
		t.Fatalf("repeat: %v, %v, %+v", updated, err, again)
	}
	other := &Event{CustomerID: c.ID, Origin: "siem", OriginalID: "ext-1", IntegrationID: in.ID}
	if updated, err := d.CreateEvent(ctx, other); err != nil || updated || other.ID == first.ID {
		t.Fatalf("another origin is another event: %v, %v", updated, err)
	}
	if _, total, _ := d.ListEvents(ctx, EventFilter{CustomerID: c.ID}, Page{}); total != 2 {
		t.Errorf("%d events, want 2", total)
	}
	if _, total, _ := d.ListEvents(ctx, EventFilter{IntegrationID: in.ID}, Page{}); total != 1 {
		t.Errorf("%d events of the integration, want 1", total)
	}
	if _, total, _ := d.SearchCases(ctx, CaseFilter{}, Page{}); total != 2 {
		t.Errorf("%d cases, want 2 (a repeat opens none)", total)
	}
	cs, err := d.GetCase(ctx, first.CaseID)
	if err != nil || cs.Title != "first" || cs.Origin != "soar" {
		t.Errorf("case keeps the first version: %+v, %v", cs, err)
	}
	bad := []Event{{CustomerID: "01J00000000000000000000000"}, {CustomerID: c.ID, IntegrationID: "01J00000000000000000000000"}}
	for _, b := range bad {
		if _, err := d.CreateEvent(ctx, &b); !errors.Is(err, ErrNotFound) {
			t.Errorf("%+v: %v", b, err)
		}
	}
}

func TestMirrorOutbox(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	mirrored, plain := mustInteg(t, d, c.ID, "edr"), mustInteg(t, d, c.ID, "okta")
	if _, err := d.UpdateIntegration(ctx, mirrored.ID, func(in *Integration) error { in.Mirroring = true; return nil }); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r1, err := d.Commit(ctx, CommitRequest{IntegrationID: mirrored.ID, Events: []sdk.Event{simpleEvent("m1", 50, now)}})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := d.Commit(ctx, CommitRequest{IntegrationID: plain.ID, Events: []sdk.Event{simpleEvent("p1", 50, now)}})
	if err != nil {
		t.Fatal(err)
	}
	caseM, caseP := r1.CaseIDs[0], r2.CaseIDs[0]
	change := func(c *Case) error {
		c.Status, c.AssignedTo = CaseClosed, "alice"
		c.CloseNotes, c.FinalClassification = "benign", "BENIGN_POSITIVE"
		return nil
	}
	for _, id := range []string{caseM, caseP} {
		if _, err := d.UpdateCase(ctx, id, CaseUpdate{Actor: "alice", Mirror: true}, change); err != nil {
			t.Fatal(err)
		}
	}
	// An incoming vendor change is not echoed back.
	if _, err := d.UpdateCase(ctx, caseM, CaseUpdate{Actor: "vendor"}, func(c *Case) error { c.Status = CaseOpen; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := d.AddComment(ctx, caseM, &Comment{Author: "bob", Text: "looked at it"}, true); err != nil {
		t.Fatal(err)
	}
	if err := d.AddComment(ctx, caseM, &Comment{Author: "bob", Text: "internal"}, false); err != nil {
		t.Fatal(err)
	}
	items, total, err := d.ListMirror(ctx, caseM, Page{Take: 10})
	if err != nil || total != 3 {
		t.Fatalf("ListMirror: %d, %v", total, err)
	}
	kinds := []string{}
	for _, m := range items {
		kinds = append(kinds, string(m.Change.Kind))
		if m.State != MirrorPending || m.Change.ID != m.ID || m.IntegrationID != mirrored.ID || m.Change.OriginalID != "m1" || m.Change.CaseID != caseM {
			t.Errorf("item %+v", m)
		}
	}
	if strings.Join(kinds, ",") != "comment,assign,close" {
		t.Errorf("kinds newest first %v", kinds)
	}
	close := items[2].Change
	if close.CloseNotes != "benign" || close.FinalClassification != "BENIGN_POSITIVE" || close.Status != CaseClosed || close.Author != "alice" {
		t.Errorf("close change %+v", close)
	}
	if _, total, _ := d.ListMirror(ctx, caseP, Page{}); total != 0 {
		t.Errorf("%d items for a case of an integration without mirroring", total)
	}
	note := &MirrorItem{IntegrationID: plain.ID, Change: sdk.Change{Kind: sdk.ChangeNotify, Notification: sdk.Notification{Title: "hi"}}, NextAt: now.Add(-time.Hour)}
	if err := d.EnqueueMirror(ctx, note); err != nil || note.ID == "" || note.State != MirrorPending {
		t.Fatalf("EnqueueMirror: %+v, %v", note, err)
	}
	due, err := d.NextMirrorDue(ctx, 10)
	if err != nil || len(due) != 4 || due[0].ID != note.ID || due[1].ID != items[2].ID {
		t.Fatalf("NextMirrorDue: %d items, %v", len(due), err)
	}
	// Deliver the close, retry the assignment later, give up on the comment.
	marks := []struct {
		id string
		m  MirrorMark
	}{
		{items[2].ID, MirrorMark{State: MirrorDelivered, Attempts: 1}},
		{items[1].ID, MirrorMark{State: MirrorPending, Attempts: 1, NextAt: now.Add(time.Hour), Error: "503"}},
		{items[0].ID, MirrorMark{State: MirrorFailed, Attempts: 5, Error: "gone"}},
	}
	for _, m := range marks {
		if err := d.MarkMirror(ctx, m.id, m.m); err != nil {
			t.Fatal(err)
		}
	}
	due, err = d.NextMirrorDue(ctx, 10)
	if err != nil || len(due) != 2 || due[0].ID != note.ID || due[1].ID != items[1].ID || due[1].Error != "503" || due[1].Attempts != 1 {
		t.Fatalf("due after marks: %+v, %v", due, err)
	}
	if err := d.MarkMirror(ctx, note.ID, MirrorMark{State: "LOST"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad state: %v", err)
	}
	if err := d.MarkMirror(ctx, "01J00000000000000000000000", MirrorMark{State: MirrorFailed}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown item: %v", err)
	}
}
