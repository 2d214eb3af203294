package fake

import (
	"fmt"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// logEvent is Okta's LogEvent object, with the fields of the API reference.
// Okta sends null for absent values rather than leaving keys out, so the
// nullable fields are pointers without omitempty.
type logEvent struct {
	UUID                  string                 `json:"uuid"`
	Published             string                 `json:"published"`
	EventType             string                 `json:"eventType"`
	Version               string                 `json:"version"`
	Severity              string                 `json:"severity"`
	LegacyEventType       *string                `json:"legacyEventType"`
	DisplayMessage        string                 `json:"displayMessage"`
	Actor                 actor                  `json:"actor"`
	Client                client                 `json:"client"`
	Device                any                    `json:"device"`
	AuthenticationContext authenticationContext  `json:"authenticationContext"`
	SecurityContext       securityContext        `json:"securityContext"`
	Outcome               outcome                `json:"outcome"`
	Target                []actor                `json:"target"`
	Transaction           transaction            `json:"transaction"`
	DebugContext          map[string]any         `json:"debugContext"`
	Request               map[string][]ipAddress `json:"request"`
}

type actor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
	DetailEntry any    `json:"detailEntry"`
}

type client struct {
	UserAgent           userAgent           `json:"userAgent"`
	Zone                string              `json:"zone"`
	Device              string              `json:"device"`
	ID                  *string             `json:"id"`
	IPAddress           string              `json:"ipAddress"`
	GeographicalContext geographicalContext `json:"geographicalContext"`
}

type userAgent struct {
	RawUserAgent string `json:"rawUserAgent"`
	OS           string `json:"os"`
	Browser      string `json:"browser"`
}

type geographicalContext struct {
	City        string      `json:"city"`
	State       string      `json:"state"`
	Country     string      `json:"country"`
	PostalCode  string      `json:"postalCode"`
	Geolocation geolocation `json:"geolocation"`
}

type geolocation struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type authenticationContext struct {
	AuthenticationProvider *string `json:"authenticationProvider"`
	CredentialProvider     *string `json:"credentialProvider"`
	CredentialType         *string `json:"credentialType"`
	Issuer                 any     `json:"issuer"`
	Interface              *string `json:"interface"`
	AuthenticationStep     int     `json:"authenticationStep"`
	ExternalSessionID      string  `json:"externalSessionId"`
}

type securityContext struct {
	ASNumber int    `json:"asNumber"`
	ASOrg    string `json:"asOrg"`
	ISP      string `json:"isp"`
	Domain   string `json:"domain"`
	IsProxy  bool   `json:"isProxy"`
}

type outcome struct {
	Result string  `json:"result"`
	Reason *string `json:"reason"`
}

type transaction struct {
	Type   string         `json:"type"`
	ID     string         `json:"id"`
	Detail map[string]any `json:"detail"`
}

type ipAddress struct {
	IP                  string              `json:"ip"`
	GeographicalContext geographicalContext `json:"geographicalContext"`
	Version             string              `json:"version"`
	Source              *string             `json:"source"`
}

// template is one kind of event the fake makes, from Okta's event types
// catalog.
type template struct {
	eventType, legacy, message, severity string
	result, reason                       string
	target                               *actor
	threat                               bool
	credentialType                       string
}

var (
	appSalesforce = &actor{ID: "0oa1salesforce000001", Type: "AppInstance", AlternateID: "Salesforce.com", DisplayName: "Salesforce.com"}
	appAdmin      = &actor{ID: "0oa1oktaadmin0000001", Type: "AppInstance", AlternateID: "Okta Admin Console", DisplayName: "Okta Admin Console"}
	policySignOn  = &actor{ID: "00p1signonpolicy0001", Type: "PolicyEntity", AlternateID: "unknown", DisplayName: "Default Policy"}
	roleSuper     = &actor{ID: "SUPER_ADMIN", Type: "ROLE", AlternateID: "unknown", DisplayName: "Super Administrator"}
)

var templates = []template{
	{eventType: "user.session.start", legacy: "core.user_auth.login_success", message: "User login to Okta", severity: "INFO", result: "SUCCESS", credentialType: "PASSWORD"},
	{eventType: "user.session.start", legacy: "core.user_auth.login_failed", message: "User login to Okta", severity: "WARN", result: "FAILURE", reason: "INVALID_CREDENTIALS", credentialType: "PASSWORD"},
	{eventType: "user.authentication.auth_via_mfa", legacy: "core.user.factor.attempt_success", message: "Authentication of user via MFA", severity: "INFO", result: "SUCCESS", credentialType: "OTP"},
	{eventType: "user.mfa.okta_verify.deny_push", message: "User rejected Okta push verify", severity: "WARN", result: "FAILURE", reason: "USER_REJECTED_OKTA_VERIFY_PUSH"},
	{eventType: "user.account.lock", legacy: "core.user_auth.account_locked", message: "Max sign in attempts exceeded", severity: "WARN", result: "FAILURE", reason: "LOCKED_OUT"},
	{eventType: "security.threat.detected", message: "Request from suspicious actor", severity: "WARN", result: "DENY", reason: "Password Spray", threat: true},
	{eventType: "security.request.blocked", message: "Request blocked by a network zone", severity: "WARN", result: "DENY", reason: "BLOCKED_BY_NETWORK_ZONE"},
	{eventType: "policy.evaluate_sign_on", message: "Evaluation of sign-on policy", severity: "INFO", result: "DENY", reason: "Sign-on policy evaluation resulted in DENY", target: policySignOn},
	{eventType: "user.authentication.sso", legacy: "app.auth.sso", message: "User single sign on to app", severity: "INFO", result: "SUCCESS", target: appSalesforce},
	{eventType: "user.session.access_admin_app", message: "User accessing Okta admin app", severity: "INFO", result: "SUCCESS", target: appAdmin},
	{eventType: "user.account.privilege.grant", legacy: "core.user.admin_privilege.granted", message: "Grant user privilege", severity: "INFO", result: "SUCCESS", target: roleSuper},
	{eventType: "system.api_token.create", legacy: "api.token.create", message: "Create API token", severity: "INFO", result: "SUCCESS"},
	{eventType: "user.mfa.factor.deactivate", legacy: "core.user.factor.deactivate", message: "Reset factor for user", severity: "INFO", result: "SUCCESS"},
	{eventType: "user.session.impersonation.initiate", message: "Start user impersonation session", severity: "WARN", result: "SUCCESS"},
	{eventType: "application.provision.user.push", message: "Push user to app failed", severity: "ERROR", result: "FAILURE", reason: "Salesforce.com API unavailable", target: appSalesforce},
	{eventType: "system.org.rate_limit.warning", message: "Rate limit warning", severity: "WARN", result: "SUCCESS"},
	{eventType: "user.session.end", legacy: "core.user_auth.logout_success", message: "User logout from Okta", severity: "DEBUG", result: "SUCCESS"},
}

type person struct{ id, login, name string }

var people = []person{
	{"00u1ad2jfe7Tq4Ey0697", "jane.doe@example.com", "Jane Doe"},
	{"00u1ad2jfe7Tq4Ey0698", "john.smith@example.com", "John Smith"},
	{"00u1ad2jfe7Tq4Ey0699", "ana.silva@example.com", "Ana Silva"},
	{"00u1ad2jfe7Tq4Ey0700", "li.wei@example.com", "Li Wei"},
	{"00u1ad2jfe7Tq4Ey0701", "admin@example.com", "Org Admin"},
	{"00u1ad2jfe7Tq4Ey0702", "svc-backup@example.com", "Backup Service"},
}

type origin struct {
	ip                           string
	city, state, country, postal string
	lat, lon                     float64
	asn                          int
	asOrg, isp, domain           string
	proxy                        bool
}

// Addresses are from the documentation ranges (RFC 5737).
var origins = []origin{
	{"198.51.100.23", "San Francisco", "California", "United States", "94105", 37.7898, -122.3942, 7922, "comcast", "comcast cable communications llc", "comcast.net", false},
	{"203.0.113.77", "Frankfurt am Main", "Hesse", "Germany", "60313", 50.1155, 8.6842, 3320, "deutsche telekom ag", "deutsche telekom ag", "telekom.de", false},
	{"192.0.2.141", "Sao Paulo", "Sao Paulo", "Brazil", "01310", -23.5475, -46.6361, 28573, "claro nxt", "claro s.a.", "claro.com.br", false},
	{"198.51.100.250", "Amsterdam", "North Holland", "Netherlands", "1012", 52.374, 4.8897, 60781, "leaseweb", "leaseweb netherlands b.v.", "leaseweb.com", true},
	{"203.0.113.9", "Singapore", "Singapore", "Singapore", "018956", 1.2897, 103.8501, 16509, "amazon.com", "amazon.com inc.", "amazonaws.com", true},
}

var agents = []userAgent{
	{RawUserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", OS: "Mac OS X", Browser: "CHROME"},
	{RawUserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", OS: "Windows 10", Browser: "FIREFOX"},
	{RawUserAgent: "python-requests/2.31.0", OS: "Unknown", Browser: "UNKNOWN"},
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// UUID is the uuid of the log event the fake renders for a: unique per
// alert (its Seq is in the first group) and stable for a seed.
func UUID(a *fakevendor.Alert) string {
	r := a.Rand
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		uint32(a.Seq), uint16(r>>48), (r>>36)&0xfff, 0x8000|((r>>20)&0x3fff), (r^(r>>17))&0xffffffffffff)
}

// render makes the log event of alert a.
func render(a *fakevendor.Alert) logEvent {
	r := a.Rand
	t := templates[r%uint64(len(templates))]
	p := people[(r>>8)%uint64(len(people))]
	o := origins[(r>>16)%uint64(len(origins))]
	ua := agents[(r>>24)%uint64(len(agents))]
	if t.threat {
		ua = agents[2]
	}
	geo := geographicalContext{City: o.city, State: o.state, Country: o.country, PostalCode: o.postal,
		Geolocation: geolocation{Lat: o.lat, Lon: o.lon}}
	session := fmt.Sprintf("102%022x", r)[:25]
	tx := fmt.Sprintf("Y%026x", r^0x5bd1e995)[:27]
	ev := logEvent{
		UUID:            UUID(a),
		Published:       a.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventType:       t.eventType,
		Version:         "0",
		Severity:        t.severity,
		LegacyEventType: strp(t.legacy),
		DisplayMessage:  t.message,
		Actor:           actor{ID: p.id, Type: "User", AlternateID: p.login, DisplayName: p.name},
		Client: client{UserAgent: ua, Zone: "null", Device: "Computer", IPAddress: o.ip,
			GeographicalContext: geo},
		AuthenticationContext: authenticationContext{CredentialType: strp(t.credentialType), ExternalSessionID: session},
		SecurityContext:       securityContext{ASNumber: o.asn, ASOrg: o.asOrg, ISP: o.isp, Domain: o.domain, IsProxy: o.proxy},
		Outcome:               outcome{Result: t.result, Reason: strp(t.reason)},
		Target:                []actor{},
		Transaction:           transaction{Type: "WEB", ID: tx, Detail: map[string]any{}},
		DebugContext: map[string]any{"debugData": map[string]any{
			"requestId":       tx,
			"requestUri":      "/idp/idx/identify",
			"url":             "/idp/idx/identify?",
			"threatSuspected": fmt.Sprint(t.threat || o.proxy),
			"risk":            riskOf(t, o),
		}},
		Request: map[string][]ipAddress{"ipChain": {{IP: o.ip, GeographicalContext: geo, Version: "V4"}}},
	}
	if t.target != nil {
		ev.Target = append(ev.Target, *t.target)
	}
	if t.eventType == "user.account.privilege.grant" || t.eventType == "user.mfa.factor.deactivate" {
		// An admin acting on another user: the user is a target too.
		q := people[(r>>32)%uint64(len(people))]
		ev.Target = append(ev.Target, actor{ID: q.id, Type: "User", AlternateID: q.login, DisplayName: q.name})
	}
	return ev
}

func riskOf(t template, o origin) string {
	switch {
	case t.threat:
		return "{reasons=Anomalous Location, level=HIGH}"
	case o.proxy:
		return "{reasons=Anonymizing Proxy, level=MEDIUM}"
	}
	return "{level=LOW}"
}
