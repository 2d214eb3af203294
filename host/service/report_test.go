package service

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (go test -run %s -update rewrites it):\n%s", name, t.Name(), got)
	}
}

// reportFixture is a case with one of everything a report shows, and
// values that would be markup if they were not escaped.
func reportFixture() *reportData {
	t0 := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	c := &store.Case{
		ID: "01HQ0000000000000000000001", CustomerID: "01HQ00000000000000000000C1", Tier: 2, AssignedTo: "alice <a@soc>",
		CreatedAt: t0, UpdatedAt: at(90), ClosedAt: at(90), Status: store.CaseClosed, ParentID: "",
		CloseNotes: "Blocked the sender.\nReset the password & MFA.", Description: `Phish "invoice" <b>bold</b>`,
		Title: `<script>alert("x")</script> Phishing`, ClosedBy: "soc-lead", Severity: store.NewSeverity(85),
		SecurityEventID: "01HQ0000000000000000000000", FirstClassification: "phishing", SpentTimeMin: 45,
		Tags: []string{"phish", "vip"}, Origin: "okta", FinalClassification: TruePositive, Subscribers: []string{"bob"},
		Mitre: []string{"T1566"}, Category: "email",
		SecurityEvent: store.EventRef{SecurityEventID: "01HQ0000000000000000000000", OriginalID: "okta-42"},
		Annotations: map[string]store.Annotation{
			"ticket": {Name: "Ticket", URL: struct {
				URL   string `json:"url"`
				Label string `json:"label"`
			}{URL: "https://tickets.example/T-1?a=1&b=2", Label: "T-1"}},
			"evil": {Name: "evil", URL: struct {
				URL   string `json:"url"`
				Label string `json:"label"`
			}{URL: "javascript:alert(1)", Label: "click"}},
		},
	}
	ev := &store.Event{
		ID: c.SecurityEventID, OriginalID: "okta-42", CustomerID: c.CustomerID, IntegrationID: "01HQ00000000000000000000I1",
		Origin: "okta", Classification: sdk.Classification{Type: "phishing", Subtype: "credential", Vendor: "Okta"},
		SecurityEventURL: "https://okta.example/alert/42", Title: "Suspicious sign-in", Description: "From a new country.",
		DetectionTime: t0.Add(-time.Hour), IngestedTime: t0, MitreTags: []string{"T1566"}, Actions: []string{"blocked"},
		DetectionEngines: []string{"okta-threatinsight"}, Severity: store.NewSeverity(85),
		Observables: []sdk.Observable{
			sdk.UserObservable(sdk.User{Name: "Mallory <m>", Email: "m@example.com"}),
			sdk.IPObservable("203.0.113.7"),
			sdk.FileObservable(sdk.File{Name: "invoice.exe", SHA256: strings.Repeat("ab", 32), Size: 1024}),
			sdk.NetworkTrafficObservable(sdk.NetworkTraffic{SrcIP: "10.0.0.1", DstIP: "203.0.113.7", DstPort: 443, Protocol: "tcp"}),
		},
		IOCs: []store.IOC{
			{Indicator: "203.0.113.7", Type: sdk.IOCIPAddress, CreatedAt: t0},
			{Indicator: "evil.example", Type: sdk.IOCDomain, CreatedAt: t0, ExpiresAt: t0.AddDate(0, 1, 0)},
		},
	}
	hist := []store.CaseHistory{
		{Time: at(10), Actor: "alice", Field: "status", From: store.CaseNew, To: store.CaseUnderInvestigation},
		{Time: at(10), Actor: "alice", Field: "assigned_to", From: "", To: "alice <a@soc>"},
		{Time: at(90), Actor: "soc-lead", Field: "status", From: store.CaseUnderInvestigation, To: store.CaseClosed},
	}
	notes := []store.Note{{ID: "n1", Author: "alice", Text: "Looked at <img src=x onerror=alert(1)>", CreatedAt: at(20)}}
	comments := []store.Comment{{ID: "m1", Author: "bob", Text: "Vendor says: \"benign?\"\nNo.", CreatedAt: at(30)}}
	return &reportData{
		GeneratedAt: at(120), Author: "soc-lead", CustomerName: "Acme & Sons", Case: c, Event: ev,
		Observables: observableRows(ev.Observables), IOCs: ev.IOCs, Timeline: timeline(c, hist, notes, comments),
		Notes: 1, Comments: 1, Limit: reportEntries,
	}
}

func TestReportGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func() *reportData
	}{
		{"report.golden.html", reportFixture},
		{"report-no-event.golden.html", func() *reportData {
			d := reportFixture()
			c := *d.Case
			c.SecurityEventID, c.SecurityEvent, c.Status, c.ClosedAt, c.ClosedBy = "", store.EventRef{}, store.CaseNew, time.Time{}, ""
			c.Annotations, c.Tags, c.FinalClassification, c.CloseNotes = map[string]store.Annotation{}, []string{}, "", ""
			d.Case, d.Event, d.Observables, d.IOCs = &c, nil, nil, nil
			d.Timeline = timeline(&c, nil, nil, nil)
			d.Notes, d.Comments, d.Truncated = 1500, 3, true
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := renderReport(tc.data())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
			checkSelfContained(t, got)
		})
	}
}

// checkSelfContained fails when a page could run a script or load
// anything: no script, no external stylesheet, image or frame, and no
// value that came in as markup still markup.
func checkSelfContained(t *testing.T, page []byte) {
	t.Helper()
	s := string(page)
	for _, bad := range []string{"<script", "<img", "<link", "<iframe", "<object", "<embed", "@import", "url(", "javascript:"} {
		if strings.Contains(strings.ToLower(s), bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	// No tag with an attribute that loads or runs something.
	if m := regexp.MustCompile(`(?i)<[^>]*\s(src|on[a-z]+|srcset|background)\s*=`).FindString(s); m != "" {
		t.Errorf("page holds a tag %q", m)
	}
	if n := strings.Count(s, "<style>"); n != 1 {
		t.Errorf("%d style elements, want the one inline", n)
	}
	// The only links are the annotations', and they are text links.
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "https://") && m[1] != "#ZgotmplZ" {
			t.Errorf("link %q", m[1])
		}
	}
}

func TestTimelineOrder(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &store.Case{CreatedAt: t0, Origin: "api"}
	tl := timeline(c,
		[]store.CaseHistory{{Time: t0.Add(2 * time.Second), Field: "status", From: "NEW", To: "OPEN"}},
		[]store.Note{{Text: "second", CreatedAt: t0.Add(time.Second)}, {Text: "first", CreatedAt: t0}},
		[]store.Comment{{Text: "last", CreatedAt: t0.Add(3 * time.Second)}})
	var got []string
	for _, e := range tl {
		got = append(got, e.Kind+":"+e.Text)
	}
	want := "opened:Case opened (origin api)|note:first|note:second|change:status: NEW → OPEN|comment:last"
	if strings.Join(got, "|") != want {
		t.Fatalf("timeline\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
