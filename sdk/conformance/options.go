package conformance

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Options configure Run. With Vendor set, only it is needed; see the
// package doc for the defaults.
type Options struct {
	// Package is the plugin's main package as go build takes it: a
	// directory ("." by default: the test's own package) or an import path.
	Package string
	// Name is the plugin's name: the binary is outpost-plugin-<Name> and the
	// manifest must say Name. Default: the last element of Package.
	Name string
	// BuildFlags are passed to go build (e.g. "-race").
	BuildFlags []string
	// Binary is a plugin binary built already: Run launches it instead of
	// building Package (a plugin not written in Go, or one binary shared by
	// several runs). Name then defaults to what follows outpost-plugin- in
	// its file name.
	Binary string

	// Vendor is the plugin's fake, served on a loopback server for the run.
	Vendor fakevendor.Vendor

	// Config is a working integration config. With Vendor set it is laid
	// over Vendor.Config(baseURL) (and may be nil); without, it is required.
	Config map[string]any
	// BadCredentials is a config the vendor refuses: Test must answer
	// *sdk.UnauthenticatedError. Default: Config with every secret field
	// changed. Empty (and no secret fields) skips the check.
	BadCredentials map[string]any
	// BadConfig is a config the plugin cannot use: Test must answer
	// *sdk.InvalidConfigError. A config with an unknown field is always
	// checked too.
	BadConfig map[string]any

	// Start is the StartTime of the first poll. Default: 24 h ago.
	Start time.Time
	// From and To bound the LostFound and Fallback windows. Default:
	// [Start, now).
	From, To time.Time

	// Throttle makes the vendor answer the next n requests with its rate
	// limit (429 and its wait header); Throttle(0) ends it. Default with
	// Vendor: Vendor.Store().ForceThrottle(n, 30*time.Second).
	Throttle func(n int)

	// Changes are the changes the Mirror subtests apply, each twice; one
	// without an OriginalID gets the first polled event's, and one without
	// an ID a unique one. Each must be new to the vendor. Default: status,
	// assign, comment and close (security and the other categories) or
	// notify (communication).
	Changes []sdk.Change
	// MirrorCheck verifies at the vendor that change was written, once; it
	// runs after the change was applied twice. Optional.
	MirrorCheck func(t *testing.T, change sdk.Change)

	// Timeout bounds each call to the plugin. Default: 30 s.
	Timeout time.Duration
}

// DefaultTimeout is the per-call timeout of Options.Timeout.
const DefaultTimeout = 30 * time.Second

// unknownField is added to Config to make a config the schema refuses.
const unknownField = "conformance_unknown_field"

// withDefaults fills in what opts leaves out, given the served vendor's
// base URL (empty without Vendor) and the plugin's schema.
func withDefaults(opts Options, baseURL string, schema sdk.Schema) (Options, error) {
	o := opts
	cfg := map[string]any{}
	if o.Vendor != nil {
		maps.Copy(cfg, o.Vendor.Config(baseURL))
	}
	maps.Copy(cfg, opts.Config)
	if len(cfg) == 0 {
		return o, fmt.Errorf("conformance: Options.Config is required without Options.Vendor")
	}
	o.Config = cfg
	if o.BadCredentials == nil {
		o.BadCredentials = wrongSecrets(cfg, schema)
	}
	if o.Start.IsZero() {
		o.Start = time.Now().Add(-24 * time.Hour)
	}
	if o.From.IsZero() {
		o.From = o.Start
	}
	if o.Throttle == nil && o.Vendor != nil {
		store := o.Vendor.Store()
		o.Throttle = func(n int) { store.ForceThrottle(n, 30*time.Second) }
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o, nil
}

// wrongSecrets returns cfg with every secret string field changed, or nil
// when cfg has none.
func wrongSecrets(cfg map[string]any, schema sdk.Schema) map[string]any {
	bad := maps.Clone(cfg)
	changed := false
	for _, f := range schema.Fields {
		if s, ok := cfg[f.Name].(string); ok && f.IsSecret() && s != "" {
			bad[f.Name] = "conformance-wrong-" + reverse(s)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return bad
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// defaultChanges are the changes Mirror applies when Options.Changes is nil.
func defaultChanges(cat sdk.Category) []sdk.Change {
	if cat == sdk.CategoryCommunication {
		return []sdk.Change{{Kind: sdk.ChangeNotify, Notification: sdk.Notification{
			Title:    "Outpost conformance check",
			Text:     "A notification sent by the Outpost conformance kit.",
			Severity: sdk.LevelHigh,
			Link:     "http://127.0.0.1/cases/conformance",
		}}}
	}
	return []sdk.Change{
		{Kind: sdk.ChangeStatus, Status: "UNDER_INVESTIGATION", Author: "conformance"},
		{Kind: sdk.ChangeAssign, AssignedTo: "conformance@outpost.test", Author: "conformance"},
		{Kind: sdk.ChangeComment, Comment: "Comment written by the Outpost conformance kit.", Author: "conformance"},
		{Kind: sdk.ChangeClose, Status: "CLOSED", CloseNotes: "Closed by the Outpost conformance kit.",
			FinalClassification: "FALSE_POSITIVE", Author: "conformance"},
	}
}
