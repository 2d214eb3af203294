package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenEvent is an sdk.Event as the golden file shows it: Raw is checked
// apart (it must be the input bytes) so the file stays readable.
type goldenEvent struct {
	OriginalID       string
	Title            string
	Description      string
	Severity         int
	Level            string
	Classification   sdk.Classification
	URL              string
	DetectionTime    time.Time
	CreationTime     time.Time
	UpdateTime       time.Time
	MitreTags        []string
	Actions          []string
	DetectionEngines []string
	Observables      []sdk.Observable
	IOCs             []sdk.IOC
}

func TestMappingGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "logevents.json"))
	if err != nil {
		t.Fatal(err)
	}
	var page []*logEvent
	if err := json.Unmarshal(in, &page); err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(in, &raws); err != nil {
		t.Fatal(err)
	}
	var got []goldenEvent
	for i, e := range page {
		ev, err := toEvent(e, "https://acme-admin.okta.com")
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !bytes.Equal(ev.Raw, raws[i]) {
			t.Errorf("event %d: Raw is not the bytes as received", i)
		}
		got = append(got, goldenEvent{
			OriginalID: ev.OriginalID, Title: ev.Title, Description: ev.Description,
			Severity: ev.Severity, Level: sdk.SeverityLevel(ev.Severity), Classification: ev.Classification,
			URL: ev.URL, DetectionTime: ev.DetectionTime, CreationTime: ev.CreationTime, UpdateTime: ev.UpdateTime,
			MitreTags: ev.MitreTags, Actions: ev.Actions, DetectionEngines: ev.DetectionEngines,
			Observables: ev.Observables, IOCs: ev.IOCs,
		})
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	golden := filepath.Join("testdata", "events.golden.json")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("mapping differs from %s (go test -update rewrites it):\n%s", golden, b)
	}
}

func TestMappingRefusesWhatTheHostCannotStore(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"no uuid", `{"published":"2026-03-01T12:00:00.000Z","eventType":"user.session.start"}`},
		{"no published", `{"uuid":"f790999f-fe87-467a-9880-6982a583986c","eventType":"user.session.start"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e logEvent
			if err := json.Unmarshal([]byte(tc.json), &e); err != nil {
				t.Fatal(err)
			}
			if _, err := toEvent(&e, "https://acme-admin.okta.com"); err == nil {
				t.Fatal("mapped an event the host cannot store")
			}
		})
	}
}

func TestSeverityTable(t *testing.T) {
	tests := []struct {
		severity, result, threat, risk, eventType string
		want                                      int
	}{
		{severity: "DEBUG", want: 10},
		{severity: "INFO", result: "SUCCESS", want: 20},
		{severity: "WARN", want: 50},
		{severity: "ERROR", want: 75},
		{severity: "SOMETHING", want: 50},
		{severity: "WARN", result: "FAILURE", want: 60},
		{severity: "INFO", result: "DENY", want: 30},
		{severity: "ERROR", result: "FAILURE", want: 85},
		{severity: "WARN", result: "DENY", eventType: "security.threat.detected", want: 80},
		{severity: "INFO", threat: "true", want: 80},
		{severity: "INFO", risk: "{reasons=New Device, level=HIGH}", want: 70},
		{severity: "INFO", result: "SUCCESS", eventType: "system.api_token.create", want: 50},
		{severity: "WARN", result: "FAILURE", eventType: "user.mfa.okta_verify.deny_push", want: 60},
	}
	for _, tc := range tests {
		t.Run(tc.severity+"/"+tc.result+"/"+tc.eventType+tc.threat+tc.risk, func(t *testing.T) {
			e := &logEvent{Severity: tc.severity, EventType: tc.eventType}
			e.Outcome.Result = tc.result
			e.DebugContext.DebugData.ThreatSuspected = tc.threat
			e.DebugContext.DebugData.Risk = tc.risk
			if got := severity(e); got != tc.want {
				t.Fatalf("severity %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAdminURL(t *testing.T) {
	tests := map[string]string{
		"https://acme.okta.com":          "https://acme-admin.okta.com",
		"https://acme.oktapreview.com":   "https://acme-admin.oktapreview.com",
		"https://acme-admin.okta.com":    "https://acme-admin.okta.com",
		"https://login.acme.com":         "https://login.acme.com",
		"http://127.0.0.1:9900/okta":     "http://127.0.0.1:9900/okta",
		"https://acme.okta-emea.com:443": "https://acme-admin.okta-emea.com:443",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			u := mustParse(t, in)
			if got := adminURL(u); got != want {
				t.Fatalf("adminURL(%s) = %s, want %s", in, got, want)
			}
		})
	}
}
