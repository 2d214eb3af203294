package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/outpost-soc/outpost/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the mapping's output (go test -update rewrites it):\n%s", path, got)
	}
}

func TestMappingGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "alert.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a alert
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	e, err := toEvent(&a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Raw, bytes.TrimSpace(in)) {
		t.Error("Raw is not the alert as received")
	}
	out, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "event.golden.json", append(out, '\n'))
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		vendor string
		score  int
		level  string
	}{
		{"low", 20, sdk.LevelLow},
		{"medium", 50, sdk.LevelMedium},
		{"high", 80, sdk.LevelHigh},
		{"critical", 95, sdk.LevelCritical},
		{"catastrophic", 50, sdk.LevelMedium},
		{"", 50, sdk.LevelMedium},
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			a := alert{ID: "a", Severity: tt.vendor}
			a.CreatedAt = mustTime(t, "2026-01-01T00:00:00Z")
			e, err := toEvent(&a)
			if err != nil {
				t.Fatal(err)
			}
			if e.Severity != tt.score || sdk.SeverityLevel(e.Severity) != tt.level {
				t.Errorf("severity %q maps to %d (%s), want %d (%s)", tt.vendor, e.Severity, sdk.SeverityLevel(e.Severity), tt.score, tt.level)
			}
		})
	}
}

func TestMappingRefusesUnstorableAlerts(t *testing.T) {
	tests := map[string]string{
		"no id":         `{"created_at":"2026-01-01T00:00:00Z"}`,
		"no created_at": `{"id":"hello-1"}`,
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			var a alert
			if err := json.Unmarshal([]byte(raw), &a); err != nil {
				t.Fatal(err)
			}
			if _, err := toEvent(&a); err == nil {
				t.Fatal("mapped an alert the host cannot store")
			}
		})
	}
}

// TestRawOutlivesThePage checks that each event keeps its own copy of the
// alert's bytes, exactly as the vendor sent them.
func TestRawOutlivesThePage(t *testing.T) {
	body := []byte(`{"alerts":[{"id":"a1","created_at":"2026-01-01T00:00:00Z", "severity":"low"},{"id":"a2","created_at":"2026-01-01T00:00:01Z"}],"next_cursor":"","until":"2026-01-01T00:01:00Z"}`)
	var p alertsPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	want := []string{`{"id":"a1","created_at":"2026-01-01T00:00:00Z", "severity":"low"}`, `{"id":"a2","created_at":"2026-01-01T00:00:01Z"}`}
	for i := range body {
		body[i] = 'x'
	}
	for i, a := range p.Alerts {
		if string(a.raw) != want[i] {
			t.Errorf("alert %d raw %s, want %s", i, a.raw, want[i])
		}
	}
}
