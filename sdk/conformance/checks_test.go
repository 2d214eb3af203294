package conformance

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// expect fails unless errs is empty (want "") or names want first.
func expect(t *testing.T, errs []error, want string) {
	t.Helper()
	switch {
	case want == "" && len(errs) > 0:
		t.Fatalf("unexpected errors %v", errs)
	case want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), want)):
		t.Fatalf("errors %v, want one about %q first", errs, want)
	}
}

func goodManifest() *sdk.DescribeResponse {
	return &sdk.DescribeResponse{
		Name: "acme", Version: "1.0.0", Vendor: "Acme", Category: sdk.CategorySecurity,
		Capabilities: []sdk.Capability{sdk.CapabilityPoll},
		Schema: sdk.Schema{Fields: []sdk.Field{
			{Name: "url", Type: sdk.FieldURL, Required: true, Help: "root"},
			{Name: "api_token", Type: sdk.FieldSecret, Required: true, Help: "token"},
		}},
	}
}

func TestCheckManifest(t *testing.T) {
	cfg := map[string]any{"url": "http://127.0.0.1:1", "api_token": "t"}
	tests := []struct {
		name   string
		change func(d *sdk.DescribeResponse)
		want   string // in the one error expected; "" for none
	}{
		{"good", func(*sdk.DescribeResponse) {}, ""},
		{"other name", func(d *sdk.DescribeResponse) { d.Name = "acme2" }, "manifest name"},
		{"no version", func(d *sdk.DescribeResponse) { d.Version = "" }, "no version"},
		{"unknown category", func(d *sdk.DescribeResponse) { d.Category = "siem" }, "category"},
		{"unknown capability", func(d *sdk.DescribeResponse) { d.Capabilities = append(d.Capabilities, "teleport") }, "unknown capability"},
		{"capability twice", func(d *sdk.DescribeResponse) { d.Capabilities = append(d.Capabilities, sdk.CapabilityPoll) }, "twice"},
		{"bad schema", func(d *sdk.DescribeResponse) { d.Schema.Fields[0].Type = "colour" }, "schema"},
		{"token not secret", func(d *sdk.DescribeResponse) { d.Schema.Fields[1].Type = sdk.FieldString }, "not secret"},
		{"no help", func(d *sdk.DescribeResponse) { d.Schema.Fields[0].Help = "" }, "no help"},
		{"negative schedule", func(d *sdk.DescribeResponse) { d.DefaultSchedule.NewIntervalS = -1 }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := goodManifest()
			tt.change(d)
			expect(t, checkManifest(d, "acme", cfg), tt.want)
		})
	}
	t.Run("config the schema refuses", func(t *testing.T) {
		if errs := checkManifest(goodManifest(), "acme", map[string]any{"url": "http://x"}); len(errs) != 1 {
			t.Fatalf("errors %v, want the missing api_token", errs)
		}
	})
}

func TestCheckEvents(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	good := sdk.Event{OriginalID: "a", Severity: 50, DetectionTime: at, Raw: json.RawMessage(`{"id":"a"}`),
		Observables: []sdk.Observable{sdk.IPObservable("10.0.0.1")}, IOCs: []sdk.IOC{{Indicator: "x", Type: sdk.IOCHash}}}
	tests := []struct {
		name string
		evs  func() []sdk.Event
		want string
	}{
		{"good", func() []sdk.Event { b := good; b.OriginalID = "b"; return []sdk.Event{good, b} }, ""},
		{"no id", func() []sdk.Event { e := good; e.OriginalID = ""; return []sdk.Event{e} }, "no original id"},
		{"twice", func() []sdk.Event { return []sdk.Event{good, good} }, "twice"},
		{"severity", func() []sdk.Event { e := good; e.Severity = 101; return []sdk.Event{e} }, "severity"},
		{"no time", func() []sdk.Event { e := good; e.DetectionTime = time.Time{}; return []sdk.Event{e} }, "time"},
		{"raw", func() []sdk.Event { e := good; e.Raw = json.RawMessage(`{`); return []sdk.Event{e} }, "raw"},
		{"observable", func() []sdk.Event {
			e := good
			e.Observables = []sdk.Observable{{Type: sdk.ObservableHost}}
			return []sdk.Event{e}
		}, "observable"},
		{"ioc", func() []sdk.Event {
			e := good
			e.IOCs = []sdk.IOC{{Indicator: "x", Type: "URL"}}
			return []sdk.Event{e}
		}, "ioc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, checkEvents(tt.evs()), tt.want)
		})
	}
}

func TestDefaults(t *testing.T) {
	schema := goodManifest().Schema
	o, err := withDefaults(Options{Config: map[string]any{"url": "http://127.0.0.1:1", "api_token": "secret-1"}}, "", schema)
	if err != nil {
		t.Fatal(err)
	}
	if o.BadCredentials["api_token"] == "secret-1" || o.BadCredentials["url"] != "http://127.0.0.1:1" {
		t.Fatalf("bad credentials %v: want the secret changed and the rest kept", o.BadCredentials)
	}
	if o.Start.IsZero() || o.From != o.Start || o.Timeout != DefaultTimeout || o.Throttle != nil {
		t.Fatalf("defaults %+v", o)
	}
	if _, err := withDefaults(Options{}, "", schema); err == nil {
		t.Fatal("no Config and no Vendor accepted")
	}
	if c := wrongSecrets(map[string]any{"url": "x"}, schema); c != nil {
		t.Fatalf("a config without secrets got bad credentials %v", c)
	}
}

func TestPackageName(t *testing.T) {
	tests := map[string]string{
		"github.com/acme/outpost-acme/plugins/okta": "okta",
		"./plugins/splunk":                          "splunk",
		".":                                         "conformance",
	}
	for in, want := range tests {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOverlapAndCursor(t *testing.T) {
	evs := []sdk.Event{{OriginalID: "b"}, {OriginalID: "a"}, {OriginalID: "b"}}
	if got := overlap(map[string]bool{"a": true, "b": true}, evs); strings.Join(got, ",") != "a,b" {
		t.Fatalf("overlap %v", got)
	}
	batches := []sdk.Batch{{Cursor: "1"}, {Cursor: "2"}, {}}
	if lastCursor(batches) != "2" {
		t.Fatal("the cursor that holds is the last one set")
	}
}
