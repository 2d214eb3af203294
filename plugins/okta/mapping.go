package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// logEvent is the part of Okta's LogEvent object the mapping reads.
// Decoding into a typed struct is faster than a map; raw keeps the bytes as
// received.
type logEvent struct {
	UUID            string    `json:"uuid"`
	Published       time.Time `json:"published"`
	EventType       string    `json:"eventType"`
	Severity        string    `json:"severity"`
	LegacyEventType string    `json:"legacyEventType"`
	DisplayMessage  string    `json:"displayMessage"`
	Actor           actor     `json:"actor"`
	Client          struct {
		IPAddress string `json:"ipAddress"`
		Device    string `json:"device"`
		UserAgent struct {
			RawUserAgent string `json:"rawUserAgent"`
			OS           string `json:"os"`
			Browser      string `json:"browser"`
		} `json:"userAgent"`
		GeographicalContext struct {
			City    string `json:"city"`
			State   string `json:"state"`
			Country string `json:"country"`
		} `json:"geographicalContext"`
	} `json:"client"`
	Outcome struct {
		Result string `json:"result"`
		Reason string `json:"reason"`
	} `json:"outcome"`
	Target          []actor `json:"target"`
	SecurityContext struct {
		ISP     string `json:"isp"`
		Domain  string `json:"domain"`
		IsProxy bool   `json:"isProxy"`
	} `json:"securityContext"`
	DebugContext struct {
		DebugData struct {
			ThreatSuspected string `json:"threatSuspected"`
			Risk            string `json:"risk"`
		} `json:"debugData"`
	} `json:"debugContext"`
	Request struct {
		IPChain []struct {
			IP string `json:"ip"`
		} `json:"ipChain"`
	} `json:"request"`

	raw json.RawMessage
}

type actor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// UnmarshalJSON decodes the typed fields and keeps a copy of the bytes: the
// decoder reuses its buffer, and Raw must outlive the page. Okta sends
// nulls for absent strings, which decode as "".
func (e *logEvent) UnmarshalJSON(b []byte) error {
	type plain logEvent
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.raw = append(json.RawMessage(nil), b...)
	return nil
}

// severities maps Okta's four severities to Outpost's 0-100 score:
//
//	Okta     score  level
//	DEBUG    10     LOW
//	INFO     20     LOW
//	WARN     50     MEDIUM
//	ERROR    75     HIGH
//	other    50     MEDIUM: an unknown severity is shown, not hidden
//
// then, in this order:
//
//	outcome FAILURE or DENY             +10 (a refused sign-in matters more
//	                                         than an accepted one)
//	ThreatInsight: debugData.threatSuspected "true", or eventType
//	security.threat.detected            at least 80 (HIGH)
//	debugData.risk level=HIGH           at least 70 (HIGH)
//	an event type in the mitre table    at least 50 (MEDIUM): Okta logs a
//	(a privilege or API token granted,       new super admin or API token
//	an MFA factor removed ...)               as INFO, a SOC does not
var severities = map[string]int{"DEBUG": 10, "INFO": 20, "WARN": 50, "ERROR": 75}

// iocLifetime is how long a suspicious client address stays an indicator:
// addresses change hands.
const iocLifetime = 30 * 24 * time.Hour

// mitre tags the event types that are ATT&CK techniques in themselves
// (Okta's own detections and account changes an attacker makes to stay).
// Sign-in outcomes are tagged in mitreTags, by result.
var mitre = map[string][]string{
	"security.threat.detected":            {"T1110"},
	"user.account.lock":                   {"T1110"},
	"user.mfa.okta_verify.deny_push":      {"T1621"},
	"user.session.impersonation.initiate": {"T1078"},
	"user.account.privilege.grant":        {"T1098.003"},
	"group.privilege.grant":               {"T1098.003"},
	"system.api_token.create":             {"T1098.001"},
	"app.oauth2.client.secret.create":     {"T1098.001"},
	"user.mfa.factor.deactivate":          {"T1556.006"},
	"user.mfa.factor.reset_all":           {"T1556.006"},
	"system.mfa.factor.deactivate":        {"T1556.006"},
	"policy.lifecycle.deactivate":         {"T1562"},
	"policy.rule.deactivate":              {"T1562"},
}

// toEvent maps an Okta log event to an Outpost event. consoleRoot is the
// org's admin console.
func toEvent(e *logEvent, consoleRoot string) (sdk.Event, error) {
	if e.UUID == "" {
		return sdk.Event{}, fmt.Errorf("log event without a uuid")
	}
	if e.Published.IsZero() {
		return sdk.Event{}, fmt.Errorf("log event %s has no published time", e.UUID)
	}
	published := e.Published.UTC()
	ev := sdk.Event{
		OriginalID:  e.UUID,
		Title:       title(e),
		Description: description(e),
		Severity:    severity(e),
		Classification: sdk.Classification{
			Type:    category(e.EventType),
			Subtype: e.EventType,
			Vendor:  "Okta",
		},
		URL:           consoleRoot + "/report/system_log_2?search=" + url.QueryEscape(e.UUID),
		DetectionTime: published,
		CreationTime:  published,
		// A log event never changes once published.
		UpdateTime: published,
		MitreTags:  mitreTags(e),
		Raw:        e.raw,
	}
	if e.Outcome.Result != "" {
		ev.Actions = []string{e.Outcome.Result}
	}
	ev.DetectionEngines = []string{"Okta System Log"}
	if threat(e) {
		ev.DetectionEngines = append(ev.DetectionEngines, "Okta ThreatInsight")
	}

	for _, a := range append([]actor{e.Actor}, e.Target...) {
		if u, ok := userOf(a); ok && !hasUser(ev.Observables, u) {
			ev.Observables = append(ev.Observables, sdk.UserObservable(u))
		}
	}
	var ips []string
	for _, ip := range append([]string{e.Client.IPAddress}, chainIPs(e)...) {
		if ip != "" && !slices.Contains(ips, ip) {
			ips = append(ips, ip)
			ev.Observables = append(ev.Observables, sdk.IPObservable(ip))
		}
	}
	// Only a client Okta itself found suspicious is an indicator; the
	// address of every sign-in is not.
	if e.Client.IPAddress != "" && (threat(e) || e.EventType == "security.request.blocked") {
		ev.IOCs = append(ev.IOCs, sdk.IOC{Indicator: e.Client.IPAddress, Type: sdk.IOCIPAddress, ExpiresAt: published.Add(iocLifetime)})
	}
	return ev, nil
}

func title(e *logEvent) string {
	t := e.DisplayMessage
	if t == "" {
		t = e.EventType
	}
	switch e.Outcome.Result {
	case "", "SUCCESS", "ALLOW", "UNKNOWN":
	default:
		t += " (" + e.Outcome.Result + ")"
	}
	return t
}

func description(e *logEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s.", e.EventType, firstOf(e.DisplayMessage, e.EventType))
	if who := name(e.Actor); who != "" {
		fmt.Fprintf(&b, " Actor: %s.", who)
	}
	if ip := e.Client.IPAddress; ip != "" {
		fmt.Fprintf(&b, " Client: %s", ip)
		g := e.Client.GeographicalContext
		if place := joinNonEmpty(", ", g.City, g.State, g.Country); place != "" {
			fmt.Fprintf(&b, " (%s)", place)
		}
		if ua := e.Client.UserAgent; ua.Browser != "" && ua.Browser != "UNKNOWN" {
			fmt.Fprintf(&b, ", %s on %s", ua.Browser, firstOf(ua.OS, "unknown OS"))
		} else if ua.RawUserAgent != "" {
			fmt.Fprintf(&b, ", %s", ua.RawUserAgent)
		}
		if e.SecurityContext.IsProxy {
			b.WriteString(", through a known proxy")
		}
		b.WriteString(".")
	}
	if r := e.Outcome.Result; r != "" {
		fmt.Fprintf(&b, " Outcome: %s", r)
		if e.Outcome.Reason != "" {
			fmt.Fprintf(&b, " (%s)", e.Outcome.Reason)
		}
		b.WriteString(".")
	}
	var targets []string
	for _, t := range e.Target {
		if n := name(t); n != "" {
			targets = append(targets, n+" ["+t.Type+"]")
		}
	}
	if len(targets) > 0 {
		fmt.Fprintf(&b, " Targets: %s.", strings.Join(targets, ", "))
	}
	return b.String()
}

func severity(e *logEvent) int {
	s, ok := severities[e.Severity]
	if !ok {
		s = 50
	}
	switch e.Outcome.Result {
	case "FAILURE", "DENY":
		s += 10
	}
	if threat(e) {
		s = max(s, 80)
	}
	if strings.Contains(e.DebugContext.DebugData.Risk, "level=HIGH") {
		s = max(s, 70)
	}
	if _, ok := mitre[e.EventType]; ok {
		s = max(s, 50)
	}
	return min(s, 100)
}

// threat reports whether Okta ThreatInsight flagged the request.
func threat(e *logEvent) bool {
	return e.EventType == "security.threat.detected" || strings.EqualFold(e.DebugContext.DebugData.ThreatSuspected, "true")
}

func mitreTags(e *logEvent) []string {
	if tags, ok := mitre[e.EventType]; ok {
		return slices.Clone(tags)
	}
	// A failed primary sign-in is a guessed password until shown otherwise.
	if e.EventType == "user.session.start" && e.Outcome.Result == "FAILURE" {
		return []string{"T1110"}
	}
	return nil
}

// category is the event type's first part: user, security, policy, app,
// system, group, application ...
func category(eventType string) string {
	c, _, _ := strings.Cut(eventType, ".")
	return c
}

func userOf(a actor) (sdk.User, bool) {
	id, alt := known(a.ID), known(a.AlternateID)
	if a.Type != "User" || (id == "" && alt == "") {
		return sdk.User{}, false
	}
	u := sdk.User{Name: firstOf(known(a.DisplayName), alt), UserID: id}
	if strings.Contains(alt, "@") {
		u.Email = alt
		_, u.Domain, _ = strings.Cut(alt, "@")
	}
	return u, true
}

func hasUser(obs []sdk.Observable, u sdk.User) bool {
	for _, o := range obs {
		if o.Type == sdk.ObservableUser && o.User.UserID == u.UserID && o.User.Name == u.Name {
			return true
		}
	}
	return false
}

func chainIPs(e *logEvent) []string {
	out := make([]string, 0, len(e.Request.IPChain))
	for _, c := range e.Request.IPChain {
		out = append(out, c.IP)
	}
	return out
}

func name(a actor) string {
	display, alt := known(a.DisplayName), known(a.AlternateID)
	switch {
	case display != "" && alt != "" && alt != display:
		return display + " (" + alt + ")"
	case display != "":
		return display
	}
	return alt
}

// known drops the "unknown" Okta writes for a value it does not have.
func known(s string) string {
	if strings.EqualFold(s, "unknown") {
		return ""
	}
	return s
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func joinNonEmpty(sep string, vals ...string) string {
	var out []string
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, sep)
}

// mapEvent maps one log event, logging and dropping one the host could not
// store (no uuid or no time).
func mapEvent(e *logEvent, consoleRoot string) (sdk.Event, bool) {
	ev, err := toEvent(e, consoleRoot)
	if err != nil {
		sdk.Logger().Warn("dropping malformed okta log event", "error", err.Error())
		return sdk.Event{}, false
	}
	return ev, true
}
