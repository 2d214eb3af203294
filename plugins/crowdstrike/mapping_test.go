package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden is an event as the golden file shows it: Raw is checked apart.
type golden struct {
	OriginalID       string             `json:"original_id"`
	Title            string             `json:"title"`
	Description      string             `json:"description"`
	Severity         int                `json:"severity"`
	Level            string             `json:"level"`
	Classification   sdk.Classification `json:"classification"`
	URL              string             `json:"url"`
	DetectionTime    time.Time          `json:"detection_time"`
	CreationTime     time.Time          `json:"creation_time"`
	UpdateTime       time.Time          `json:"update_time"`
	MitreTags        []string           `json:"mitre_tags"`
	Actions          []string           `json:"actions"`
	DetectionEngines []string           `json:"detection_engines"`
	Observables      []sdk.Observable   `json:"observables"`
	IOCs             []goldenIOC        `json:"iocs"`
}

type goldenIOC struct {
	Indicator string    `json:"indicator"`
	Type      string    `json:"type"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

func toGolden(e sdk.Event) golden {
	g := golden{
		OriginalID: e.OriginalID, Title: e.Title, Description: e.Description,
		Severity: e.Severity, Level: sdk.SeverityLevel(e.Severity), Classification: e.Classification,
		URL: e.URL, DetectionTime: e.DetectionTime, CreationTime: e.CreationTime, UpdateTime: e.UpdateTime,
		MitreTags: e.MitreTags, Actions: e.Actions, DetectionEngines: e.DetectionEngines, Observables: e.Observables,
	}
	for _, i := range e.IOCs {
		g.IOCs = append(g.IOCs, goldenIOC{Indicator: i.Indicator, Type: string(i.Type), ExpiresAt: i.ExpiresAt})
	}
	return g
}

func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("mapping differs from %s (run go test -update and review the diff):\n%s", path, b)
	}
}

// TestMappingGolden maps an entities answer written from Falcon's Alerts
// API examples (an endpoint detection, an EICAR test, a cloud IOA, an
// identity alert, and one with little more than ids and times).
func TestMappingGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var out []golden
	for i, r := range raw.Resources {
		var a alert
		if err := json.Unmarshal(r, &a); err != nil {
			t.Fatalf("alert %d: %v", i, err)
		}
		e := toEvent(&a)
		if !bytes.Equal(e.Raw, r) {
			t.Errorf("alert %d: Raw is not the bytes received", i)
		}
		out = append(out, toGolden(e))
	}
	checkGolden(t, "alerts.golden.json", out)
}

// TestMappingFake maps what the fake serves, so that the fake and the
// mapping agree on field names.
func TestMappingFake(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 40, Seed: 13})
	base, _ := serve(t, f, nil)
	in := integration(t, "map", f.Config(base))
	bs, err := collect(func(s sdk.Stream) error {
		return testConnector().LostFound(ctx(t), sdk.WindowRequest{Integration: in, From: time.Now().Add(-2 * time.Hour), To: time.Now()}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := eventsOf(bs)
	if len(evs) != 40 {
		t.Fatalf("%d events, want 40", len(evs))
	}
	for _, e := range evs {
		if e.Title == "" || e.URL == "" || len(e.MitreTags) == 0 || len(e.Observables) == 0 || e.CreationTime.IsZero() || e.UpdateTime.Before(e.CreationTime) {
			t.Errorf("thin event from the fake: %+v", toGolden(e))
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		a    alert
		want int
	}{
		{alert{Severity: 10, SeverityName: "Informational"}, 10},
		{alert{Severity: 90}, 90},
		{alert{Severity: 250}, 100},
		{alert{SeverityName: "High"}, 70},
		{alert{SeverityName: "whatever"}, 50},
	} {
		if got := severityOf(&tc.a); got != tc.want {
			t.Errorf("severity of %+v = %d, want %d", tc.a, got, tc.want)
		}
	}
}
