package main

import (
	"encoding/json"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// stamp is a Falcon timestamp: RFC 3339, nanoseconds; "" and null are the
// zero time (Falcon writes "" for times it does not know).
type stamp time.Time

// UnmarshalJSON accepts an RFC 3339 string, "" or null.
func (s *stamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = stamp{}
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == "" {
		*s = stamp{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return err
	}
	*s = stamp(t.UTC())
	return nil
}

func (s stamp) time() time.Time { return time.Time(s) }

// alert is the part of a Falcon alert the plugin reads. Decoding into a
// typed struct is faster than a map; raw keeps the bytes as received.
type alert struct {
	CompositeID      string `json:"composite_id"`
	ID               string `json:"id"`
	CID              string `json:"cid"`
	CreatedTimestamp stamp  `json:"created_timestamp"`
	UpdatedTimestamp stamp  `json:"updated_timestamp"`
	Timestamp        stamp  `json:"timestamp"`
	Severity         int    `json:"severity"`
	SeverityName     string `json:"severity_name"`
	Name             string `json:"name"`
	DisplayName      string `json:"display_name"`
	Description      string `json:"description"`
	Tactic           string `json:"tactic"`
	TacticID         string `json:"tactic_id"`
	Technique        string `json:"technique"`
	TechniqueID      string `json:"technique_id"`
	MitreAttack      []struct {
		TacticID    string `json:"tactic_id"`
		TechniqueID string `json:"technique_id"`
	} `json:"mitre_attack"`
	Status         string `json:"status"`
	Product        string `json:"product"`
	Type           string `json:"type"`
	AssignedToName string `json:"assigned_to_name"`
	Device         struct {
		Hostname      string `json:"hostname"`
		LocalIP       string `json:"local_ip"`
		ExternalIP    string `json:"external_ip"`
		PlatformName  string `json:"platform_name"`
		OSVersion     string `json:"os_version"`
		MachineDomain string `json:"machine_domain"`
		MACAddress    string `json:"mac_address"`
	} `json:"device"`
	UserName      string `json:"user_name"`
	LogonDomain   string `json:"logon_domain"`
	Filename      string `json:"filename"`
	Filepath      string `json:"filepath"`
	Cmdline       string `json:"cmdline"`
	SHA256        string `json:"sha256"`
	SHA1          string `json:"sha1"`
	MD5           string `json:"md5"`
	ParentDetails struct {
		Filename string `json:"filename"`
		SHA256   string `json:"sha256"`
		MD5      string `json:"md5"`
	} `json:"parent_details"`
	FalconHostLink string   `json:"falcon_host_link"`
	Disposition    string   `json:"pattern_disposition_description"`
	IOCType        string   `json:"ioc_type"`
	IOCValue       string   `json:"ioc_value"`
	SourceProducts []string `json:"source_products"`
	SourceIP       string   `json:"source_endpoint_ip_address"`
	SourceAddress  string   `json:"source_ip_address"` // cloud IOAs: the caller of the API
	SourceHost     string   `json:"source_endpoint_host_name"`
	SourceAccount  string   `json:"source_account_name"`
	// Comments is kept undecoded: the plugin only looks for its marker.
	Comments json.RawMessage `json:"comments"`

	raw json.RawMessage
}

// UnmarshalJSON decodes the typed fields and keeps a copy of the bytes: the
// decoder reuses its buffer, and Raw must outlive the page.
func (a *alert) UnmarshalJSON(b []byte) error {
	type plain alert
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	a.raw = append(json.RawMessage(nil), b...)
	return nil
}

// hasComment reports whether any of the alert's comments contains text.
// The comments are walked whatever their shape (strings, or objects with
// the text in any field); an alert that lists none is searched whole.
func (a *alert) hasComment(text string) bool {
	if len(a.Comments) == 0 || string(a.Comments) == "null" {
		var all any
		if json.Unmarshal(a.raw, &all) != nil {
			return false
		}
		return contains(all, text)
	}
	var cs any
	if json.Unmarshal(a.Comments, &cs) != nil {
		return false
	}
	return contains(cs, text)
}

func contains(v any, text string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, text)
	case []any:
		return slices.ContainsFunc(x, func(e any) bool { return contains(e, text) })
	case map[string]any:
		for _, e := range x {
			if contains(e, text) {
				return true
			}
		}
	}
	return false
}

// severityNames maps a severity_name to a score when the number is missing.
//
// Falcon scores alerts 1-100 itself (Informational 10, Low 30, Medium 50,
// High 70, Critical 90), the same scale as Outpost's: the score is kept as
// it is, clamped to 1-100, which lands each Falcon level on the Outpost
// level of the same name:
//
//	Informational  1-19   → LOW
//	Low           20-39   → LOW
//	Medium        40-69   → MEDIUM
//	High          70-89   → HIGH
//	Critical      90-100  → CRITICAL
var severityNames = map[string]int{"informational": 10, "low": 30, "medium": 50, "high": 70, "critical": 90}

func severityOf(a *alert) int {
	if a.Severity > 0 {
		return min(a.Severity, 100)
	}
	if s, ok := severityNames[strings.ToLower(a.SeverityName)]; ok {
		return s
	}
	return 50
}

// domains names what kind of sensor a product is, for the classification.
var domains = map[string]string{
	"epp": "endpoint", "idp": "identity", "mobile": "mobile", "fcs": "cloud", "cwpp": "cloud",
	"overwatch": "threat_hunting", "xdr": "xdr", "ngsiem": "siem", "thirdparty": "third_party",
}

var techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// toEvent maps a Falcon alert to an Outpost event.
func toEvent(a *alert) sdk.Event {
	kind := domains[a.Product]
	if kind == "" {
		kind = a.Product
	}
	e := sdk.Event{
		OriginalID:  a.CompositeID,
		Title:       firstOf(a.DisplayName, a.Name, "CrowdStrike alert"),
		Description: a.Description,
		Severity:    severityOf(a),
		Classification: sdk.Classification{
			Type:    kind,
			Subtype: firstOf(a.Tactic, a.Type),
			Vendor:  firstOf(a.Name, a.Type),
		},
		URL:           a.FalconHostLink,
		DetectionTime: a.Timestamp.time(),
		CreationTime:  a.CreatedTimestamp.time(),
		UpdateTime:    a.UpdatedTimestamp.time(),
		Raw:           a.raw,
	}
	if e.DetectionTime.IsZero() {
		e.DetectionTime = e.CreationTime
	}
	for _, t := range append([]string{a.TechniqueID}, mitreIDs(a)...) {
		if techniqueID.MatchString(t) && !slices.Contains(e.MitreTags, t) {
			e.MitreTags = append(e.MitreTags, t)
		}
	}
	if a.Disposition != "" {
		e.Actions = []string{a.Disposition}
	}
	e.DetectionEngines = slices.Clone(a.SourceProducts)
	if len(e.DetectionEngines) == 0 {
		e.DetectionEngines = []string{"CrowdStrike Falcon"}
	}
	e.Observables, e.IOCs = observables(a)
	return e
}

func mitreIDs(a *alert) []string {
	out := make([]string, 0, len(a.MitreAttack))
	for _, m := range a.MitreAttack {
		out = append(out, m.TechniqueID)
	}
	return out
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// zeroHash is how Falcon writes a hash it did not compute.
func zeroHash(h string) bool { return strings.Trim(h, "0") == "" }

func observables(a *alert) ([]sdk.Observable, []sdk.IOC) {
	var (
		obs  []sdk.Observable
		iocs []sdk.IOC
		seen = map[string]bool{}
	)
	add := func(key string, o sdk.Observable) {
		if !seen[key] {
			seen[key] = true
			obs = append(obs, o)
		}
	}
	ioc := func(i sdk.IOC) {
		if i.Indicator != "" && !seen["ioc:"+i.Indicator] {
			seen["ioc:"+i.Indicator] = true
			iocs = append(iocs, i)
		}
	}
	if d := a.Device; d.Hostname != "" {
		os := strings.TrimSpace(d.PlatformName + " " + d.OSVersion)
		add("host:"+d.Hostname, sdk.HostObservable(sdk.Host{Hostname: d.Hostname, IP: d.LocalIP, OS: os, MAC: d.MACAddress}))
	}
	for _, ip := range []string{a.Device.LocalIP, a.Device.ExternalIP, a.SourceIP, a.SourceAddress} {
		if net.ParseIP(ip) != nil {
			add("ip:"+ip, sdk.IPObservable(ip))
		}
	}
	if a.SourceHost != "" {
		add("host:"+a.SourceHost, sdk.HostObservable(sdk.Host{Hostname: a.SourceHost, IP: a.SourceIP}))
	}
	for _, u := range []string{a.UserName, a.SourceAccount} {
		if u != "" {
			add("user:"+u, sdk.UserObservable(sdk.User{Name: u, Domain: a.LogonDomain}))
		}
	}
	if a.Filename != "" || a.SHA256 != "" {
		f := sdk.File{Name: a.Filename, Path: a.Filepath, SHA256: a.SHA256, MD5: a.MD5}
		if !zeroHash(a.SHA1) {
			f.SHA1 = a.SHA1
		}
		add("file:"+a.Filepath+a.SHA256, sdk.FileObservable(f))
		if len(a.SHA256) == 64 && !zeroHash(a.SHA256) {
			ioc(sdk.IOC{Indicator: a.SHA256, Type: sdk.IOCHash})
		}
	}
	if p := a.ParentDetails; p.Filename != "" {
		add("file:parent:"+p.Filename+p.SHA256, sdk.FileObservable(sdk.File{Name: p.Filename, SHA256: p.SHA256, MD5: p.MD5}))
	}
	switch strings.ToLower(a.IOCType) {
	case "domain":
		add("domain:"+a.IOCValue, sdk.DomainObservable(a.IOCValue))
		ioc(sdk.IOC{Indicator: a.IOCValue, Type: sdk.IOCDomain})
	case "ipv4", "ipv6":
		add("ip:"+a.IOCValue, sdk.IPObservable(a.IOCValue))
		ioc(sdk.IOC{Indicator: a.IOCValue, Type: sdk.IOCIPAddress, ExpiresAt: a.CreatedTimestamp.time().Add(30 * 24 * time.Hour)})
	case "hash_sha256", "hash_md5", "hash_sha1":
		ioc(sdk.IOC{Indicator: strings.ToLower(a.IOCValue), Type: sdk.IOCHash})
	}
	return obs, iocs
}
