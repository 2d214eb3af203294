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
// apart (it must be the row's bytes) so the file stays readable.
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
	in, err := os.ReadFile(filepath.Join("testdata", "graphql_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp gqlResponse[eventsData]
	if err := json.Unmarshal(in, &resp); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Data struct {
			Viewer struct {
				Zones []struct {
					Rows []json.RawMessage `json:"firewallEventsAdaptive"`
				} `json:"zones"`
			} `json:"viewer"`
		} `json:"data"`
	}
	if err := json.Unmarshal(in, &raw); err != nil {
		t.Fatal(err)
	}
	rows := resp.Data.Viewer.Zones[0].Events
	var got []goldenEvent
	for i, e := range rows {
		ev, err := toEvent(e, "https://dash.cloudflare.com/6b044d04acb98e3b107553afacba063b/example.com")
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if !bytes.Equal(ev.Raw, raw.Data.Viewer.Zones[0].Rows[i]) {
			t.Errorf("row %d: Raw is not the bytes as received", i)
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
	for name, row := range map[string]string{
		"no ray":      `{"datetime":"2026-03-01T12:00:00Z","action":"block"}`,
		"no datetime": `{"rayName":"8c1f2e3d4a5b6c7d","action":"block"}`,
	} {
		t.Run(name, func(t *testing.T) {
			var e firewallEvent
			if err := json.Unmarshal([]byte(row), &e); err != nil {
				t.Fatal(err)
			}
			if _, err := toEvent(&e, "https://dash.cloudflare.com"); err == nil {
				t.Fatal("mapped an event the host cannot store")
			}
		})
	}
}

func TestSeverityTable(t *testing.T) {
	tests := []struct {
		action, source string
		want           int
	}{
		{"block", "firewallCustom", 70},
		{"block", "firewallManaged", 85},
		{"connection_close", "l7ddos", 85},
		{"managed_challenge_failed", "botFight", 60},
		{"managed_challenge", "securityLevel", 40},
		{"log", "firewallManaged", 45},
		{"log", "firewallCustom", 30},
		{"managed_challenge_interactive_solved", "firewallCustom", 20},
		{"jschallenge_solved", "waf", 35},
		{"skip", "firewallCustom", 10},
		{"allow", "ip", 10},
		{"something_new", "somewhere", 40},
	}
	for _, tc := range tests {
		t.Run(tc.action+"/"+tc.source, func(t *testing.T) {
			if got := severity(&firewallEvent{Action: tc.action, Source: tc.source}); got != tc.want {
				t.Fatalf("severity %d, want %d", got, tc.want)
			}
		})
	}
}
