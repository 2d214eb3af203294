package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// values is a Splunk result field: splunkd writes a single value as a JSON
// string and a multivalue field as an array of strings.
type values []string

// UnmarshalJSON accepts a string, an array of strings or null.
func (v *values) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		*v = nil
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = values{s}
		return nil
	case b[0] == '[':
		var ss []string
		if err := json.Unmarshal(b, &ss); err != nil {
			return err
		}
		*v = ss
		return nil
	}
	// A number or a bool from a hand-made result: keep its text.
	*v = values{string(b)}
	return nil
}

// String returns the first value, or "".
func (v values) String() string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// notable is the part of a notable event result the mapping reads.
// Decoding into a typed struct is faster than a map; raw keeps the bytes as
// received.
type notable struct {
	Time            values `json:"_time"`
	IndexTime       values `json:"_indextime"`
	EventID         values `json:"event_id"`
	RuleID          values `json:"rule_id"`
	RuleName        values `json:"rule_name"`
	RuleTitle       values `json:"rule_title"`
	RuleDescription values `json:"rule_description"`
	SearchName      values `json:"search_name"`
	Source          values `json:"source"`
	SecurityDomain  values `json:"security_domain"`
	Urgency         values `json:"urgency"`
	Severity        values `json:"severity"`
	Status          values `json:"status"`
	Owner           values `json:"owner"`
	Src             values `json:"src"`
	SrcIP           values `json:"src_ip"`
	SrcUser         values `json:"src_user"`
	Dest            values `json:"dest"`
	DestIP          values `json:"dest_ip"`
	User            values `json:"user"`
	FileHash        values `json:"file_hash"`
	FileName        values `json:"file_name"`
	URL             values `json:"url"`
	Signature       values `json:"signature"`
	Action          values `json:"action"`
	VendorProduct   values `json:"vendor_product"`
	Mitre           values `json:"annotations.mitre_attack"`
	MitreTechnique  values `json:"mitre_technique_id"`
	ReviewTime      values `json:"review_time"`

	raw json.RawMessage
}

// UnmarshalJSON decodes the typed fields and keeps a copy of the bytes: the
// decoder reuses its buffer, and Raw must outlive the page.
func (n *notable) UnmarshalJSON(b []byte) error {
	type plain notable
	if err := json.Unmarshal(b, (*plain)(n)); err != nil {
		return err
	}
	n.raw = append(json.RawMessage(nil), b...)
	return nil
}

// id is the notable's event_id, the ruleUID notable_update takes.
func (n *notable) id() string {
	if id := n.EventID.String(); id != "" {
		return id
	}
	return n.RuleID.String()
}

// indexTime is _indextime: epoch seconds, as a string.
func (n *notable) indexTime() (time.Time, error) {
	s := n.IndexTime.String()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("notable %s has no _indextime (%q): the search must keep it", n.id(), s)
	}
	return time.Unix(int64(f), 0).UTC(), nil
}

// eventTime is _time, which splunkd writes in ISO 8601 with the search
// user's time zone offset.
func (n *notable) eventTime() time.Time {
	s := n.Time.String()
	for _, layout := range []string{"2006-01-02T15:04:05.000-07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.UnixMilli(int64(f * 1000)).UTC()
	}
	return time.Time{}
}

// urgencies maps ES urgency (priority × severity) to Outpost's 0-100
// score, at the value the API gives a bare level:
//
//	informational 10  LOW
//	low           20  LOW
//	medium        50  MEDIUM
//	high          80  HIGH
//	critical      95  CRITICAL
//	unknown/other 50  MEDIUM: shown, not hidden as NOT_VALID
//
// The notable's severity field is read the same way when urgency is empty.
var urgencies = map[string]int{"informational": 10, "low": 20, "medium": 50, "high": 80, "critical": 95}

func severityOf(n *notable) int {
	for _, v := range []string{n.Urgency.String(), n.Severity.String()} {
		if s, ok := urgencies[strings.ToLower(v)]; ok {
			return s
		}
	}
	return 50
}

// techniqueID matches a MITRE ATT&CK technique id such as T1003 or
// T1003.001.
var techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// toEvent maps a notable to an Outpost event. web is Splunk Web's root,
// for the link to the notable on ES's Incident Review page.
func toEvent(n *notable, web string) (sdk.Event, error) {
	it, err := n.indexTime()
	if err != nil {
		return sdk.Event{}, err
	}
	id := n.id()
	if id == "" {
		return sdk.Event{}, fmt.Errorf("notable indexed at %s has no event_id", it.Format(time.RFC3339))
	}
	et := n.eventTime()
	if et.IsZero() {
		et = it
	}
	title := firstOf(n.RuleTitle.String(), n.RuleName.String(), n.SearchName.String(), n.Source.String(), "Splunk notable event")
	e := sdk.Event{
		OriginalID:  id,
		Title:       title,
		Description: n.RuleDescription.String(),
		Severity:    severityOf(n),
		Classification: sdk.Classification{
			Type:    n.SecurityDomain.String(),
			Subtype: firstOf(n.RuleName.String(), n.SearchName.String()),
			Vendor:  firstOf(n.SearchName.String(), n.Source.String()),
		},
		URL:              consoleURL(web, id, et),
		DetectionTime:    et,
		CreationTime:     it,
		UpdateTime:       it,
		DetectionEngines: []string{"Splunk Enterprise Security"},
		Raw:              n.raw,
	}
	if rt, err := strconv.ParseInt(n.ReviewTime.String(), 10, 64); err == nil && time.Unix(rt, 0).After(it) {
		e.UpdateTime = time.Unix(rt, 0).UTC()
	}
	if vp := n.VendorProduct.String(); vp != "" {
		e.DetectionEngines = append(e.DetectionEngines, vp)
	}
	for _, t := range slices.Concat(n.Mitre, n.MitreTechnique) {
		t = strings.ToUpper(strings.TrimSpace(t))
		if techniqueID.MatchString(t) && !slices.Contains(e.MitreTags, t) {
			e.MitreTags = append(e.MitreTags, t)
		}
	}
	for _, a := range n.Action {
		if a != "" && !slices.Contains(e.Actions, a) {
			e.Actions = append(e.Actions, a)
		}
	}
	e.Observables, e.IOCs = observables(n)
	return e, nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// consoleURL links to the notable on Incident Review, searched by its id
// over a window around its time.
func consoleURL(web, id string, t time.Time) string {
	q := url.Values{
		"search":   {"event_id=" + id},
		"earliest": {strconv.FormatInt(t.Add(-time.Hour).Unix(), 10)},
		"latest":   {strconv.FormatInt(t.Add(time.Hour).Unix(), 10)},
	}
	return web + "/en-US/app/SplunkEnterpriseSecuritySuite/incident_review?" + q.Encode()
}

// iocLifetime is how long an IP indicator stays relevant: addresses change
// hands, file hashes and URLs are kept (their IOCs never expire).
const iocLifetime = 30 * 24 * time.Hour

// observables reads the CIM fields a notable carries: src and dest may be
// an address or a host name; file_hash is an MD5, SHA-1 or SHA-256.
func observables(n *notable) ([]sdk.Observable, []sdk.IOC) {
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
	ip := func(addr string, indicator bool) {
		a := net.ParseIP(addr)
		if a == nil {
			return
		}
		add("ip:"+addr, sdk.IPObservable(addr))
		if indicator && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !seen["ioc:"+addr] {
			seen["ioc:"+addr] = true
			iocs = append(iocs, sdk.IOC{Indicator: addr, Type: sdk.IOCIPAddress, ExpiresAt: n.eventTime().Add(iocLifetime)})
		}
	}
	// A public source address is an indicator whatever the domain (a
	// brute-force origin, a scanner); URLs only when threat intelligence
	// matched them.
	threat := n.SecurityDomain.String() == "threat"
	for _, u := range slices.Concat(n.User, n.SrcUser) {
		if u != "" && u != "unknown" {
			name, domain := u, ""
			if d, user, ok := strings.Cut(u, `\`); ok {
				name, domain = user, d
			}
			add("user:"+u, sdk.UserObservable(sdk.User{Name: name, Domain: domain}))
		}
	}
	for _, s := range slices.Concat(n.Src, n.SrcIP) {
		if net.ParseIP(s) != nil {
			ip(s, true)
		} else if s != "" && s != "unknown" {
			add("host:"+s, sdk.HostObservable(sdk.Host{Hostname: s}))
		}
	}
	destIP := n.DestIP.String()
	for _, d := range n.Dest {
		switch {
		case net.ParseIP(d) != nil:
			ip(d, false)
		case d != "" && d != "unknown":
			add("host:"+d, sdk.HostObservable(sdk.Host{Hostname: d, IP: destIP}))
		}
	}
	for _, d := range n.DestIP {
		ip(d, false)
	}
	name := n.FileName.String()
	for _, h := range n.FileHash {
		h = strings.ToLower(strings.TrimSpace(h))
		f := sdk.File{Name: name}
		switch len(h) {
		case 32:
			f.MD5 = h
		case 40:
			f.SHA1 = h
		case 64:
			f.SHA256 = h
		default:
			continue
		}
		add("file:"+h, sdk.FileObservable(f))
		iocs = append(iocs, sdk.IOC{Indicator: h, Type: sdk.IOCHash})
	}
	for _, raw := range n.URL {
		u, err := url.Parse(strings.Replace(raw, "hxxp", "http", 1))
		if err != nil || u.Hostname() == "" {
			continue
		}
		host := u.Hostname()
		if net.ParseIP(host) != nil {
			ip(host, threat)
			continue
		}
		add("domain:"+host, sdk.DomainObservable(host))
		if threat && !seen["ioc:"+host] {
			seen["ioc:"+host] = true
			iocs = append(iocs, sdk.IOC{Indicator: host, Type: sdk.IOCDomain})
		}
	}
	return obs, iocs
}
