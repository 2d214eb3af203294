package conformance

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
)

// The checks are plain functions over what the plugin returned, so that the
// kit's own tests can feed them broken answers.

var categories = []sdk.Category{
	sdk.CategorySecurity, sdk.CategoryCommunication, sdk.CategoryMonitoring,
	sdk.CategoryCloud, sdk.CategoryAuthentication,
}

var capabilities = []sdk.Capability{
	sdk.CapabilityPoll, sdk.CapabilityLostFound, sdk.CapabilityFallback, sdk.CapabilityMirror,
}

var pluginName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// checkManifest lists what is wrong with a plugin's manifest.
func checkManifest(d *sdk.DescribeResponse, name string, cfg map[string]any) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if d.Name != name {
		bad("manifest name %q, want %q (the binary is %s%s)", d.Name, name, BinaryPrefix, name)
	}
	if !pluginName.MatchString(d.Name) {
		bad("name %q is not lowercase letters, digits, - and _", d.Name)
	}
	if d.Version == "" {
		bad("manifest has no version")
	}
	if d.Vendor == "" {
		bad("manifest names no vendor")
	}
	if !slices.Contains(categories, d.Category) {
		bad("category %q is not one of %v", d.Category, categories)
	}
	seen := map[sdk.Capability]bool{}
	for _, c := range d.Capabilities {
		if !slices.Contains(capabilities, c) {
			bad("unknown capability %q", c)
		}
		if seen[c] {
			bad("capability %q listed twice", c)
		}
		seen[c] = true
	}
	if err := d.Schema.Check(); err != nil {
		bad("schema: %v", err)
	}
	if _, err := d.Schema.Validate(cfg); err != nil {
		bad("schema refuses the working config: %v", err)
	}
	for _, f := range d.Schema.Fields {
		if looksSecret(f.Name) && !f.IsSecret() {
			bad("field %q looks like a credential but is not secret: it would be shown back and stored unsealed", f.Name)
		}
		if f.Help == "" {
			bad("field %q has no help text", f.Name)
		}
	}
	s := d.DefaultSchedule
	for _, v := range []int64{s.NewIntervalS, s.LostFoundIntervalS, s.LostFoundLookbackS, s.FallbackIntervalS, s.FallbackLookbackS, s.InitialLookbackS} {
		if v < 0 {
			bad("default schedule has a negative value: %+v", s)
			break
		}
	}
	return errs
}

// looksSecret reports whether a field name names a credential.
func looksSecret(name string) bool {
	if strings.HasSuffix(name, "_url") || strings.HasSuffix(name, "_ttl") || strings.HasSuffix(name, "_header") {
		return false
	}
	for _, w := range []string{"password", "secret", "token", "api_key", "apikey", "private_key"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

var (
	observableTypes = []sdk.ObservableType{
		sdk.ObservableUser, sdk.ObservableHost, sdk.ObservableIP, sdk.ObservableDomain,
		sdk.ObservableFile, sdk.ObservableEmail, sdk.ObservableNetworkTraffic,
	}
	iocTypes = []sdk.IOCType{sdk.IOCUnspecified, sdk.IOCDomain, sdk.IOCIPAddress, sdk.IOCEmail, sdk.IOCHash}
)

// checkEvents lists what is wrong with the events of one query: each must
// be storable, and none may come twice.
func checkEvents(evs []sdk.Event) []error {
	var errs []error
	seen := map[string]bool{}
	for i, e := range evs {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("event %d (%q): %s", i, e.OriginalID, fmt.Sprintf(format, args...)))
		}
		if e.OriginalID == "" {
			bad("no original id: the host de-duplicates on it")
		} else if seen[e.OriginalID] {
			bad("sent twice in one query")
		}
		seen[e.OriginalID] = true
		if e.Severity < 0 || e.Severity > 100 {
			bad("severity %d is not a 0-100 score", e.Severity)
		}
		if e.DetectionTime.IsZero() && e.CreationTime.IsZero() {
			bad("neither a detection nor a creation time")
		}
		if len(e.Raw) > 0 && !json.Valid(e.Raw) {
			bad("raw is not JSON")
		}
		for _, o := range e.Observables {
			if !slices.Contains(observableTypes, o.Type) {
				bad("observable type %q unknown", o.Type)
			} else if !hasBody(o) {
				bad("observable of type %q carries no value (use the sdk's constructors)", o.Type)
			} else if _, err := json.Marshal(o); err != nil {
				bad("observable: %v", err)
			}
		}
		for _, c := range e.IOCs {
			if c.Indicator == "" || !slices.Contains(iocTypes, c.Type) {
				bad("ioc %q of type %q is not valid", c.Indicator, c.Type)
			}
		}
	}
	return errs
}

// hasBody reports whether the value matching o.Type is set.
func hasBody(o sdk.Observable) bool {
	switch o.Type {
	case sdk.ObservableUser:
		return o.User != nil
	case sdk.ObservableHost:
		return o.Host != nil
	case sdk.ObservableIP:
		return o.IP != nil
	case sdk.ObservableDomain:
		return o.Domain != nil
	case sdk.ObservableFile:
		return o.File != nil
	case sdk.ObservableEmail:
		return o.Email != nil
	case sdk.ObservableNetworkTraffic:
		return o.NetworkTraffic != nil
	}
	return false
}

// ids returns the original ids of evs.
func ids(evs []sdk.Event) map[string]bool {
	out := make(map[string]bool, len(evs))
	for _, e := range evs {
		out[e.OriginalID] = true
	}
	return out
}

// overlap returns the ids of evs that are in seen, sorted.
func overlap(seen map[string]bool, evs []sdk.Event) []string {
	var out []string
	for _, e := range evs {
		if seen[e.OriginalID] {
			out = append(out, e.OriginalID)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lastCursor is the cursor that holds after a run of batches: the last one
// set, as the host stores it.
func lastCursor(batches []sdk.Batch) string {
	cur := ""
	for _, b := range batches {
		if b.Cursor != "" {
			cur = b.Cursor
		}
	}
	return cur
}

func eventsOf(batches []sdk.Batch) []sdk.Event {
	var out []sdk.Event
	for _, b := range batches {
		out = append(out, b.Events...)
	}
	return out
}

// firstN names at most n ids, for a readable failure.
func firstN(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(" and %d more", len(ids)-n)
}
