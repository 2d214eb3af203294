package fake

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// indexerGUID is the search head's GUID, the first part of every event_id.
const indexerGUID = "5E6DE97D-B137-47AB-8905-8C4F42998937"

// rule is one correlation search of the fake's ES content.
type rule struct {
	search      string // savedsearch name, e.g. "Endpoint - Recurring Malware Infection - Rule"
	name        string // rule_name
	title       string // rule_title, with $dest$, $src$ and $user$ tokens
	description string
	domain      string // security_domain
	urgency     string
	techniques  []string
	tactics     []string
	fields      []string // which of src, dest, user, file_hash, url, signature the notable carries
	vendor      string   // vendor_product of the underlying data
	action      string
}

var rules = []rule{
	{
		search: "Endpoint - Recurring Malware Infection - Rule", name: "Recurring Malware Infection",
		title:       "Recurring malware infection on $dest$",
		description: "Detects a host that has been infected by the same malware several times over the last days, which usually means the infection is not cleaned up.",
		domain:      "endpoint", urgency: "high",
		techniques: []string{"T1204.002"}, tactics: []string{"TA0002"},
		fields: []string{"dest", "user", "file_hash", "signature"}, vendor: "Symantec Endpoint Protection", action: "allowed",
	},
	{
		search: "Access - Brute Force Access Behavior Detected - Rule", name: "Brute Force Access Behavior Detected",
		title:       "Brute force access behavior detected from $src$",
		description: "Detects excessive numbers of failed logins followed by a successful login from the same source.",
		domain:      "access", urgency: "medium",
		techniques: []string{"T1110.001", "T1110.003"}, tactics: []string{"TA0006"},
		fields: []string{"src", "dest", "user"}, vendor: "Microsoft Windows", action: "success",
	},
	{
		search: "Threat - Threat Activity Detected - Rule", name: "Threat Activity Detected",
		title:       "Threat activity ($src$) detected",
		description: "Alerts when any activity matching threat intelligence is detected.",
		domain:      "threat", urgency: "critical",
		techniques: []string{"T1071.001"}, tactics: []string{"TA0011"},
		fields: []string{"src", "dest", "url"}, vendor: "Palo Alto Networks Firewall", action: "blocked",
	},
	{
		search: "Network - Unroutable Host Activity - Rule", name: "Unroutable Host Activity",
		title:       "Unroutable activity from $src$ to $dest$",
		description: "Alerts when activity to or from a host that is unroutable is detected.",
		domain:      "network", urgency: "low",
		techniques: []string{"T1090"}, tactics: []string{"TA0011"},
		fields: []string{"src", "dest"}, vendor: "Cisco ASA", action: "allowed",
	},
	{
		search: "Identity - Activity from Expired User Identity - Rule", name: "Activity from Expired User Identity",
		title:       "Activity from expired user identity ($user$)",
		description: "Alerts when an event is discovered from a user associated with an identity that is now expired.",
		domain:      "identity", urgency: "medium",
		techniques: []string{"T1078"}, tactics: []string{"TA0001", "TA0003"},
		fields: []string{"user", "dest"}, vendor: "Okta", action: "success",
	},
	{
		search: "Endpoint - Suspicious Credential Dumping - Rule", name: "Suspicious Credential Dumping",
		title:       "LSASS memory access by unsigned process on $dest$",
		description: "Detects a process reading the memory of lsass.exe, as Mimikatz and similar credential dumpers do.",
		domain:      "endpoint", urgency: "critical",
		techniques: []string{"T1003.001"}, tactics: []string{"TA0006"},
		fields: []string{"dest", "user", "file_hash", "signature"}, vendor: "Microsoft Sysmon", action: "allowed",
	},
	{
		search: "Audit - Anomalous Audit Trail Activity Detected - Rule", name: "Anomalous Audit Trail Activity Detected",
		title:       "Audit trail cleared on $dest$",
		description: "Discovers anomalous activity such as the deletion or clearing of log files.",
		domain:      "audit", urgency: "informational",
		techniques: []string{"T1070.001"}, tactics: []string{"TA0005"},
		fields: []string{"dest", "user"}, vendor: "Microsoft Windows", action: "success",
	},
}

var (
	hosts = []string{"ACME-workstation-012", "ACME-workstation-047", "fin-db-02", "hr-laptop-19", "dc01.acme.local", "web-prod-3"}
	users = []string{"alice.ward", "bob.chen", "svc_backup", "dana.levi", "root", "administrator"}
	srcs  = []string{"203.0.113.45", "198.51.100.23", "10.1.4.22", "192.0.2.77", "172.16.9.8", "45.133.1.90"}
	files = []string{"invoice_q3.docm", "mimikatz.exe", "update.ps1", "svch0st.exe"}
	urls  = []string{"hxxp://bad-domain.example/payload.bin", "http://c2.evil.example/beacon", "https://login-acme.example/owa"}
	sigs  = []string{"Trojan.Gen.2", "Hacktool.Mimikatz", "W97M.Downloader", "PUA.Coinminer"}
)

// statusLabels are ES's review statuses (reviewstatuses.conf).
var statusLabels = map[string]string{"0": "Unassigned", "1": "New", "2": "In Progress", "3": "Pending", "4": "Resolved", "5": "Closed"}

// dispositionLabels are ES's default dispositions.
var dispositionLabels = map[string]string{
	"disposition:1": "True Positive - Suspicious Activity",
	"disposition:2": "Benign Positive - Suspicious But Expected",
	"disposition:3": "False Positive - Incorrect Analytic Logic",
	"disposition:4": "False Positive - Inaccurate Data",
	"disposition:5": "Other",
	"disposition:6": "Undetermined",
}

// EventID is the notable event_id of a store alert:
// <search head GUID>@@notable@@<md5 of the event>.
func EventID(a *fakevendor.Alert) string {
	sum := md5.Sum([]byte(a.ID))
	return indexerGUID + "@@notable@@" + hex.EncodeToString(sum[:])
}

// IndexTime is the notable's _indextime: the alert's own time, in seconds.
func IndexTime(a *fakevendor.Alert) int64 { return a.Time.Unix() }

// EventTime is the notable's _time: up to 30 s before it was indexed.
func EventTime(a *fakevendor.Alert) time.Time {
	lag := time.Duration(a.Rand>>40%30000) * time.Millisecond
	return a.Time.Add(-lag).Truncate(time.Millisecond)
}

func pick[T any](list []T, r uint64, salt uint64) T {
	return list[(r>>salt)%uint64(len(list))]
}

// notable renders a store alert as splunkd returns it in search results:
// every value a string, multivalue fields arrays.
func (f *Fake) notable(a *fakevendor.Alert) map[string]any {
	ru := pick(rules, a.Rand, 0)
	dest, user, src := pick(hosts, a.Rand, 7), pick(users, a.Rand, 13), pick(srcs, a.Rand, 19)
	id := EventID(a)
	f.mu.Lock()
	f.ids[id] = a.ID
	f.mu.Unlock()

	et := EventTime(a)
	it := IndexTime(a)
	n := map[string]any{
		"_time":                    et.UTC().Format(TimeFormat),
		"_indextime":               strconv.FormatInt(it, 10),
		"_bkt":                     fmt.Sprintf("notable~%d~%s", 40+a.Seq%7, indexerGUID),
		"_cd":                      fmt.Sprintf("%d:%d", 40+a.Seq%7, 1000+a.Seq),
		"_serial":                  strconv.Itoa(a.Seq % 1000),
		"_si":                      []string{"es-idx01", Index},
		"_sourcetype":              "stash",
		"index":                    Index,
		"host":                     "es-sh01",
		"source":                   ru.search,
		"sourcetype":               "stash",
		"splunk_server":            "es-idx01",
		"linecount":                "1",
		"eventtype":                []string{"modnotable_results", "notable"},
		"event_id":                 id,
		"rule_id":                  id,
		"event_hash":               id[len(id)-32:],
		"orig_sid":                 fmt.Sprintf("scheduler__admin__SplunkEnterpriseSecuritySuite__RMD5%08x_at_%d_%d", uint32(a.Rand), it-60, a.Seq%97),
		"search_name":              ru.search,
		"savedsearch_description":  ru.description,
		"rule_name":                ru.name,
		"rule_title":               expand(ru.title, dest, src, user),
		"rule_description":         ru.description,
		"security_domain":          ru.domain,
		"urgency":                  ru.urgency,
		"severity":                 severityOf(ru.urgency),
		"priority":                 "medium",
		"vendor_product":           ru.vendor,
		"action":                   ru.action,
		"info_min_time":            fmt.Sprintf("%d.000000000", it-3600),
		"info_max_time":            fmt.Sprintf("%d.000000000", it-60),
		"info_search_time":         fmt.Sprintf("%d.%09d", it-1, a.Rand%1e9),
		"notable_type":             "notable",
		"risk_score":               strconv.Itoa(int(20 + a.Rand%80)),
		"annotations.mitre_attack": mv(ru.techniques),
		"annotations.mitre_attack.mitre_tactic_id": mv(ru.tactics),
		"annotations._frameworks":                  "mitre_attack",
	}
	for _, fld := range ru.fields {
		switch fld {
		case "src":
			n["src"] = src
			n["src_ip"] = src
		case "dest":
			n["dest"] = dest
			if a.Rand%3 == 0 {
				n["dest_ip"] = fmt.Sprintf("10.20.%d.%d", a.Rand>>23%250+1, a.Rand>>31%250+1)
			}
		case "user":
			n["user"] = user
		case "file_hash":
			sum := md5.Sum([]byte("file/" + a.ID))
			n["file_hash"] = hex.EncodeToString(sum[:])
			n["file_name"] = pick(files, a.Rand, 37)
		case "url":
			n["url"] = pick(urls, a.Rand, 41)
		case "signature":
			n["signature"] = pick(sigs, a.Rand, 43)
		}
	}

	f.store.Read(a, func(a *fakevendor.Alert) {
		status := a.Status
		if status == "" {
			status = "1"
		}
		n["status"] = status
		n["status_label"] = statusLabels[status]
		n["status_end"] = strconv.FormatBool(status == "4" || status == "5")
		owner := a.Owner
		if owner == "" {
			owner = "unassigned"
		}
		n["owner"] = owner
		if u := a.Extra["urgency"]; u != "" {
			n["urgency"] = u
		}
		disp := a.Extra["disposition"]
		if disp == "" {
			disp = "disposition:6"
		}
		n["disposition"] = disp
		n["disposition_label"] = dispositionLabels[disp]
		if len(a.Comments) > 0 {
			n["comment"] = mv(a.Comments)
		}
		if !a.Updated.Equal(a.Time) {
			n["review_time"] = strconv.FormatInt(a.Updated.Unix(), 10)
		}
	})
	n["_raw"] = raw(it, ru, n)
	return n
}

// mv is splunkd's JSON for a multivalue field: a string when there is one
// value, an array otherwise.
func mv(vals []string) any {
	if len(vals) == 1 {
		return vals[0]
	}
	return append([]string(nil), vals...)
}

func expand(title, dest, src, user string) string {
	return strings.NewReplacer("$dest$", dest, "$src$", src, "$user$", user).Replace(title)
}

func severityOf(urgency string) string {
	switch urgency {
	case "critical":
		return "critical"
	case "high":
		return "high"
	case "informational":
		return "informational"
	case "low":
		return "low"
	}
	return "medium"
}

// raw is the notable's _raw: the stash line the notable action wrote.
func raw(it int64, ru rule, n map[string]any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d, search_name=%q", it, ru.search)
	for _, k := range []string{"src", "dest", "user", "file_hash", "file_name", "url", "signature", "action"} {
		if v, ok := n[k].(string); ok {
			fmt.Fprintf(&b, ", %s=%q", k, v)
		}
	}
	return b.String()
}

// alertByEventID finds the store alert behind an event_id.
func (f *Fake) alertByEventID(id string) (*fakevendor.Alert, bool) {
	f.mu.Lock()
	sid, ok := f.ids[id]
	f.mu.Unlock()
	if ok {
		return f.store.Get(sid)
	}
	for _, a := range f.store.All() {
		if EventID(a) == id {
			f.mu.Lock()
			f.ids[id] = a.ID
			f.mu.Unlock()
			return a, true
		}
	}
	return nil, false
}
