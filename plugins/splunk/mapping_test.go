package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/splunk/fake"
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

// checkGolden compares got with testdata/name, or rewrites it with -update.
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

// TestMappingGolden maps a results page written from splunkd's REST
// reference and ES notables (multivalue fields as arrays, a notable with
// nothing but its id and times) and compares with the golden file.
func TestMappingGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	var out []golden
	for i, raw := range page.Results {
		var n notable
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Fatalf("result %d: %v", i, err)
		}
		e, err := toEvent(&n, webRoot("https://splunk.acme.example:8089"))
		if err != nil {
			t.Fatalf("result %d: %v", i, err)
		}
		if !bytes.Equal(e.Raw, raw) {
			t.Errorf("result %d: Raw is not the bytes received", i)
		}
		out = append(out, toGolden(e))
	}
	checkGolden(t, "results.golden.json", out)
}

// TestMappingFake maps what the fake serves, so that the fake and the
// mapping agree on field names: every fake notable has a title, a
// severity from its urgency, MITRE tags and at least one observable.
func TestMappingFake(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 50, Seed: 11})
	base, _ := serve(t, f, nil)
	in := integration(t, "map", f.Config(base))
	bs, err := collect(t, func(s sdk.Stream) error {
		return testConnector().LostFound(ctx(t), sdk.WindowRequest{Integration: in, From: time.Now().Add(-2 * time.Hour), To: time.Now()}, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := eventsOf(bs)
	if len(evs) != 50 {
		t.Fatalf("%d events, want 50", len(evs))
	}
	for _, e := range evs {
		if e.Title == "" || e.Classification.Type == "" || len(e.MitreTags) == 0 || len(e.Observables) == 0 {
			t.Errorf("thin event from the fake: %+v", toGolden(e))
		}
		if e.DetectionTime.After(e.CreationTime) || e.CreationTime.Sub(e.DetectionTime) > 30*time.Second {
			t.Errorf("event %s: _time %s vs _indextime %s", e.OriginalID, e.DetectionTime, e.CreationTime)
		}
	}
}

func TestValuesDecoding(t *testing.T) {
	for in, want := range map[string]values{
		`"a"`:         {"a"},
		`["a","b"]`:   {"a", "b"},
		`null`:        nil,
		`12`:          {"12"},
		`[]`:          {},
		`"T1003.001"`: {"T1003.001"},
	} {
		var v values
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if len(v) != len(want) || len(v) > 0 && v[0] != want[0] {
			t.Errorf("%s decoded to %#v, want %#v", in, v, want)
		}
	}
}
