package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// firewallEvent is one firewallEventsAdaptive row, as eventsQuery selects
// it. Decoding into a typed struct is faster than a map; raw keeps the
// bytes as received.
type firewallEvent struct {
	Action                      string    `json:"action"`
	ClientASNDescription        string    `json:"clientASNDescription"`
	ClientAsn                   string    `json:"clientAsn"`
	ClientCountryName           string    `json:"clientCountryName"`
	ClientIP                    string    `json:"clientIP"`
	ClientRequestHTTPHost       string    `json:"clientRequestHTTPHost"`
	ClientRequestHTTPMethodName string    `json:"clientRequestHTTPMethodName"`
	ClientRequestHTTPProtocol   string    `json:"clientRequestHTTPProtocol"`
	ClientRequestPath           string    `json:"clientRequestPath"`
	ClientRequestQuery          string    `json:"clientRequestQuery"`
	Datetime                    time.Time `json:"datetime"`
	EdgeResponseStatus          int       `json:"edgeResponseStatus"`
	OriginResponseStatus        int       `json:"originResponseStatus"`
	RayName                     string    `json:"rayName"`
	RuleID                      string    `json:"ruleId"`
	Source                      string    `json:"source"`
	UserAgent                   string    `json:"userAgent"`

	raw json.RawMessage
}

// UnmarshalJSON decodes the typed fields and keeps a copy of the bytes: the
// decoder reuses its buffer, and Raw must outlive the page.
func (e *firewallEvent) UnmarshalJSON(b []byte) error {
	type plain firewallEvent
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.raw = append(json.RawMessage(nil), b...)
	return nil
}

// Cloudflare gives a firewall event no severity: the score comes from what
// the edge did, then from which product acted.
//
//	action                                   score  level
//	block, connection_close, drop            70     HIGH
//	challenge_failed, jschallenge_failed,
//	  managed_challenge_failed               60     MEDIUM
//	challenge, jschallenge,
//	  managed_challenge, challenge_bypassed  40     MEDIUM
//	log                                      30     LOW
//	*_solved (a human passed the challenge)  20     LOW
//	allow, bypass, skip                      10     LOW
//	other                                    40     MEDIUM
//
// then +15 for an attack signature or an attack: WAF managed rules
// (firewallManaged, waf), HTTP DDoS protection (l7ddos, dos), capped at 100.
var actionScores = map[string]int{
	"block": 70, "connection_close": 70, "drop": 70,
	"challenge_failed": 60, "jschallenge_failed": 60, "managed_challenge_failed": 60,
	"challenge": 40, "jschallenge": 40, "managed_challenge": 40, "challenge_bypassed": 40,
	"log":   30,
	"allow": 10, "bypass": 10, "skip": 10,
}

// attackSources are the products whose match is an attack in itself.
var attackSources = map[string]bool{"firewallManaged": true, "waf": true, "l7ddos": true, "dos": true}

// sourceNames are the products of a firewall event's source, as the
// dashboard names them.
var sourceNames = map[string]string{
	"firewallManaged": "WAF managed rules",
	"firewallCustom":  "WAF custom rules",
	"firewallRules":   "firewall rules",
	"waf":             "WAF (previous version)",
	"ratelimit":       "rate limiting rules",
	"rateLimit":       "rate limiting rules",
	"l7ddos":          "HTTP DDoS attack protection",
	"dos":             "DDoS protection",
	"securityLevel":   "security level",
	"bic":             "browser integrity check",
	"hot":             "hotlink protection",
	"uaBlock":         "user agent blocking",
	"zoneLockdown":    "zone lockdown",
	"ip":              "IP access rules",
	"ipRange":         "IP access rules",
	"asn":             "IP access rules",
	"country":         "IP access rules",
	"botFight":        "bot fight mode",
	"botManagement":   "bot management",
	"validation":      "request validation",
	"apiShield":       "API Shield",
	"dlp":             "data loss prevention",
	"sanitycheck":     "sanity check",
}

// actionNames say what the edge did, for titles.
var actionNames = map[string]string{
	"block": "Blocked", "connection_close": "Connection closed", "drop": "Dropped",
	"challenge": "Challenged", "jschallenge": "JS challenge", "managed_challenge": "Managed challenge",
	"challenge_failed": "Challenge failed", "jschallenge_failed": "JS challenge failed",
	"managed_challenge_failed": "Managed challenge failed", "challenge_bypassed": "Challenge bypassed",
	"challenge_solved": "Challenge solved", "jschallenge_solved": "JS challenge solved",
	"managed_challenge_non_interactive_solved": "Managed challenge solved",
	"managed_challenge_interactive_solved":     "Managed challenge solved",
	"log":                                      "Logged", "allow": "Allowed", "bypass": "Bypassed", "skip": "Skipped",
}

// mitre tags the products whose match names an ATT&CK technique.
var mitre = map[string][]string{
	"firewallManaged": {"T1190"}, // Exploit Public-Facing Application
	"waf":             {"T1190"},
	"l7ddos":          {"T1498"}, // Network Denial of Service
	"dos":             {"T1498"},
	"ratelimit":       {"T1110"}, // a login rate limit: Brute Force
	"rateLimit":       {"T1110"},
}

// iocLifetime is how long an address Cloudflare acted on stays an
// indicator: addresses change hands.
const iocLifetime = 30 * 24 * time.Hour

func severity(e *firewallEvent) int {
	s, ok := actionScores[e.Action]
	switch {
	case ok:
	case strings.HasSuffix(e.Action, "_solved"):
		s = 20
	default:
		s = 40
	}
	if attackSources[e.Source] {
		s += 15
	}
	return min(s, 100)
}

// indicative reports whether the client address is an indicator: the edge
// refused it, or it matched an attack signature.
func indicative(e *firewallEvent) bool {
	switch e.Action {
	case "block", "connection_close", "drop", "challenge_failed", "jschallenge_failed", "managed_challenge_failed":
		return true
	}
	return attackSources[e.Source] && e.Action != "allow" && e.Action != "skip" && e.Action != "bypass"
}

func sourceName(s string) string {
	if n, ok := sourceNames[s]; ok {
		return n
	}
	if s == "" {
		return "Cloudflare"
	}
	return s
}

// toEvent maps a firewall event to an Outpost event. root is the zone's
// dashboard root (see client.dashboard).
func toEvent(e *firewallEvent, root string) (sdk.Event, error) {
	if e.RayName == "" {
		return sdk.Event{}, fmt.Errorf("firewall event without a ray id")
	}
	if e.Datetime.IsZero() {
		return sdk.Event{}, fmt.Errorf("firewall event %s has no datetime", e.RayName)
	}
	at := e.Datetime.UTC()
	action := actionNames[e.Action]
	if action == "" {
		action = e.Action
	}
	request := strings.TrimSpace(e.ClientRequestHTTPMethodName + " " + e.ClientRequestHTTPHost + e.ClientRequestPath)
	ev := sdk.Event{
		OriginalID:  e.RayName,
		Title:       fmt.Sprintf("%s by %s: %s", action, sourceName(e.Source), request),
		Description: description(e),
		Severity:    severity(e),
		Classification: sdk.Classification{
			Type:    e.Source,
			Subtype: e.RuleID,
			Vendor:  "Cloudflare",
		},
		URL:              root + "/security/events?ray-id=" + url.QueryEscape(e.RayName),
		DetectionTime:    at,
		CreationTime:     at,
		UpdateTime:       at, // a firewall event never changes
		MitreTags:        append([]string(nil), mitre[e.Source]...),
		DetectionEngines: []string{"Cloudflare " + sourceName(e.Source)},
		Raw:              e.raw,
	}
	if len(ev.MitreTags) == 0 {
		ev.MitreTags = nil
	}
	if e.Action != "" {
		ev.Actions = []string{e.Action}
	}
	if e.ClientIP != "" {
		ev.Observables = append(ev.Observables, sdk.IPObservable(e.ClientIP))
	}
	if e.ClientRequestHTTPHost != "" {
		ev.Observables = append(ev.Observables, sdk.DomainObservable(e.ClientRequestHTTPHost))
	}
	if e.ClientIP != "" {
		ev.Observables = append(ev.Observables, sdk.NetworkTrafficObservable(sdk.NetworkTraffic{
			SrcIP: e.ClientIP, Protocol: e.ClientRequestHTTPProtocol,
		}))
	}
	if e.ClientIP != "" && indicative(e) {
		ev.IOCs = append(ev.IOCs, sdk.IOC{Indicator: e.ClientIP, Type: sdk.IOCIPAddress, ExpiresAt: at.Add(iocLifetime)})
	}
	return ev, nil
}

func description(e *firewallEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cloudflare firewall event %s: %s by %s", e.RayName, firstOf(e.Action, "unknown action"), sourceName(e.Source))
	if e.RuleID != "" {
		fmt.Fprintf(&b, " (rule %s)", e.RuleID)
	}
	fmt.Fprintf(&b, " for %s %s%s%s", firstOf(e.ClientRequestHTTPMethodName, "a request to"), e.ClientRequestHTTPHost, e.ClientRequestPath, e.ClientRequestQuery)
	if e.ClientRequestHTTPProtocol != "" {
		fmt.Fprintf(&b, " over %s", e.ClientRequestHTTPProtocol)
	}
	if e.ClientIP != "" {
		fmt.Fprintf(&b, " from %s", e.ClientIP)
		var where []string
		if e.ClientCountryName != "" {
			where = append(where, e.ClientCountryName)
		}
		if e.ClientAsn != "" {
			where = append(where, strings.TrimSpace("AS"+e.ClientAsn+" "+e.ClientASNDescription))
		}
		if len(where) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(where, ", "))
		}
	}
	b.WriteString(".")
	if e.UserAgent != "" {
		fmt.Fprintf(&b, " User agent: %s.", e.UserAgent)
	} else {
		b.WriteString(" No user agent.")
	}
	if e.EdgeResponseStatus != 0 {
		fmt.Fprintf(&b, " The edge answered %d", e.EdgeResponseStatus)
		if e.OriginResponseStatus != 0 {
			fmt.Fprintf(&b, ", the origin %d", e.OriginResponseStatus)
		}
		b.WriteString(".")
	}
	return b.String()
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// mapEvent maps one firewall event, logging and dropping one the host
// could not store (no ray id or no time).
func mapEvent(e *firewallEvent, root string) (sdk.Event, bool) {
	ev, err := toEvent(e, root)
	if err != nil {
		sdk.Logger().Warn("dropping malformed cloudflare firewall event", "error", err.Error())
		return sdk.Event{}, false
	}
	return ev, true
}
