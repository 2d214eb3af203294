package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixture is an incident as Incidents_List returns it and the answer of
// Incidents_ListEntities for it, written from the API reference examples.
type fixture struct {
	Incident json.RawMessage `json:"incident"`
	Entities entitiesAnswer  `json:"entities"`
}

func TestMappingGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/incidents/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var fx fixture
			if err := json.Unmarshal(b, &fx); err != nil {
				t.Fatal(err)
			}
			var inc incident
			if err := json.Unmarshal(fx.Incident, &inc); err != nil {
				t.Fatal(err)
			}
			ev := toEvent(&inc, fx.Entities.Entities)
			if !bytes.Equal(ev.Raw, fx.Incident) {
				t.Error("Raw is not the incident as received")
			}
			ev.Raw = nil // the fixture itself
			got, err := json.MarshalIndent(struct {
				Event sdk.Event
				Level string
			}{ev, sdk.SeverityLevel(ev.Severity)}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("mapping of %s differs from %s (go test -update rewrites it):\n%s", path, golden, got)
			}
		})
	}
}

func TestSeverityTable(t *testing.T) {
	for _, tc := range []struct {
		sentinel string
		score    int
		level    string
	}{
		{"High", 80, sdk.LevelHigh},
		{"Medium", 50, sdk.LevelMedium},
		{"Low", 20, sdk.LevelLow},
		{"Informational", 5, sdk.LevelLow},
		{"Critical", 50, sdk.LevelMedium}, // not a Sentinel severity: shown as MEDIUM
	} {
		t.Run(tc.sentinel, func(t *testing.T) {
			var inc incident
			inc.Name, inc.Properties.Severity = "x", tc.sentinel
			ev := toEvent(&inc, nil)
			if ev.Severity != tc.score || sdk.SeverityLevel(ev.Severity) != tc.level {
				t.Fatalf("%s mapped to %d (%s), want %d (%s)", tc.sentinel, ev.Severity, sdk.SeverityLevel(ev.Severity), tc.score, tc.level)
			}
		})
	}
}
