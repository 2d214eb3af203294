package fake

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// incidentJSON is an incident as the API renders it (Incidents_Get,
// Incidents_List), about 2 KB.
type incidentJSON struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Etag       string         `json:"etag"`
	Type       string         `json:"type"`
	Properties propertiesJSON `json:"properties"`
}

type propertiesJSON struct {
	Title                  string         `json:"title"`
	Description            string         `json:"description"`
	Severity               string         `json:"severity"`
	Status                 string         `json:"status"`
	Classification         string         `json:"classification,omitempty"`
	ClassificationReason   string         `json:"classificationReason,omitempty"`
	ClassificationComment  string         `json:"classificationComment,omitempty"`
	Owner                  ownerJSON      `json:"owner"`
	Labels                 []labelJSON    `json:"labels"`
	FirstActivityTimeUtc   string         `json:"firstActivityTimeUtc"`
	LastActivityTimeUtc    string         `json:"lastActivityTimeUtc"`
	LastModifiedTimeUtc    string         `json:"lastModifiedTimeUtc"`
	CreatedTimeUtc         string         `json:"createdTimeUtc"`
	IncidentNumber         int            `json:"incidentNumber"`
	AdditionalData         additionalJSON `json:"additionalData"`
	RelatedAnalyticRuleIDs []string       `json:"relatedAnalyticRuleIds"`
	IncidentURL            string         `json:"incidentUrl"`
	ProviderName           string         `json:"providerName"`
	ProviderIncidentID     string         `json:"providerIncidentId"`
}

// ownerJSON is IncidentOwnerInfo; an unassigned incident has nulls.
type ownerJSON struct {
	ObjectID          *string `json:"objectId"`
	Email             *string `json:"email"`
	AssignedTo        *string `json:"assignedTo"`
	UserPrincipalName *string `json:"userPrincipalName"`
	OwnerType         string  `json:"ownerType"`
}

type labelJSON struct {
	LabelName string `json:"labelName"`
	LabelType string `json:"labelType"`
}

type additionalJSON struct {
	AlertsCount       int      `json:"alertsCount"`
	BookmarksCount    int      `json:"bookmarksCount"`
	CommentsCount     int      `json:"commentsCount"`
	AlertProductNames []string `json:"alertProductNames"`
	Tactics           []string `json:"tactics"`
	Techniques        []string `json:"techniques"`
}

// rule is an analytics rule the fake's incidents come from, with the kinds
// of entity its alerts carry.
type rule struct {
	title, severity, product string
	tactics, techniques      []string
	entities                 []string
	label                    string
}

var rules = []rule{
	{"Brute force attack against Azure Portal", "Medium", "Azure Sentinel",
		[]string{"CredentialAccess"}, []string{"T1110"}, []string{"Account", "Ip"}, ""},
	{"Suspicious PowerShell command line with an encoded payload", "High", "Microsoft Defender for Endpoint",
		[]string{"Execution", "DefenseEvasion"}, []string{"T1059", "T1027"}, []string{"Host", "Account", "File", "FileHash", "Ip", "DnsResolution"}, "edr"},
	{"Known malicious IP contacted (Threat Intelligence map)", "High", "Azure Sentinel",
		[]string{"CommandAndControl"}, []string{"T1071"}, []string{"Host", "Ip", "DnsResolution", "Url"}, "threat-intel"},
	{"Potential ransomware activity: shadow copies deleted", "High", "Microsoft Defender for Endpoint",
		[]string{"Impact"}, []string{"T1490", "T1486"}, []string{"Host", "Account", "File", "FileHash"}, "edr"},
	{"Mass download by a single user", "Medium", "Microsoft Defender for Cloud Apps",
		[]string{"Exfiltration"}, []string{"T1567"}, []string{"Account", "Ip", "Url"}, ""},
	{"Phishing email with a malicious attachment delivered", "Medium", "Microsoft Defender for Office 365",
		[]string{"InitialAccess"}, []string{"T1566"}, []string{"Mailbox", "MailMessage", "FileHash", "Url"}, "phishing"},
	{"Rare RDP connection between internal hosts", "Low", "Azure Sentinel",
		[]string{"LateralMovement"}, []string{"T1021"}, []string{"Host", "Ip", "Account"}, ""},
	{"New inbox rule forwards mail to an external address", "Informational", "Azure Sentinel",
		[]string{"Collection", "Exfiltration"}, []string{"T1114"}, []string{"Account", "Mailbox"}, ""},
	{"Sign-ins from IPs that attempt sign-ins to disabled accounts", "Medium", "Azure Active Directory Identity Protection",
		[]string{"InitialAccess", "Persistence"}, []string{"T1078"}, []string{"Account", "Ip"}, "identity"},
}

var users = []string{"j.doe", "a.rossi", "m.bianchi", "s.kowalski", "l.nguyen", "p.schmidt", "svc-backup", "admin.k.tanaka"}

var domains = []string{"cdn-update-sync.example", "login-microsoftonline.example.net", "files-share-secure.example.org", "telemetry-collect.example.com"}

// facts are the per-incident values its rendering and entities share.
type facts struct {
	rule            rule
	user, host      string
	publicIP, local string
	domain          string
	sha256, md5     string
}

func factsOf(a *fakevendor.Alert) facts {
	r := a.Rand
	sum := sha256.Sum256([]byte(a.ID))
	m := md5.Sum([]byte(a.ID))
	return facts{
		rule:     rules[r%uint64(len(rules))],
		user:     users[(r>>8)%uint64(len(users))],
		host:     fmt.Sprintf("ws-%04d", (r>>16)%5000),
		publicIP: fmt.Sprintf("%s.%d", []string{"203.0.113", "198.51.100"}[(r>>24)&1], (r>>32)%254+1),
		local:    fmt.Sprintf("10.%d.%d.%d", (r>>40)&0xff, (r>>48)&0xff, (r>>56)%254+1),
		domain:   domains[(r>>12)%uint64(len(domains))],
		sha256:   hex.EncodeToString(sum[:]),
		md5:      hex.EncodeToString(m[:]),
	}
}

// resourceID is the incident's ARM id.
func (f *Fake) resourceID(name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s/providers/Microsoft.SecurityInsights/incidents/%s",
		f.subscription, ResourceGroup, Workspace, name)
}

func etag(a *fakevendor.Alert, version string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(a.ID))
	n, _ := strconv.ParseUint(version, 10, 64)
	return fmt.Sprintf("\"%08x-0000-0100-0000-%012x\"", h.Sum32(), n)
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (f *Fake) render(a *fakevendor.Alert) incidentJSON {
	fc := factsOf(a)
	name := nameOf(a)
	id := f.resourceID(name)
	r := a.Rand
	p := propertiesJSON{
		Title: fc.rule.title,
		Description: fmt.Sprintf("The analytics rule %q raised %d alert(s) involving user %s@contoso.com on host %s "+
			"(%s). Related address %s, domain %s. Review the entities and the timeline, contain the host if the "+
			"activity is not expected, and record the classification when you close the incident.",
			fc.rule.title, 1+r%4, fc.user, fc.host, fc.local, fc.publicIP, fc.domain),
		Severity:             fc.rule.severity,
		Labels:               []labelJSON{},
		FirstActivityTimeUtc: a.Time.Add(-time.Duration(r%30+1) * time.Minute).Format(TimeFormat),
		LastActivityTimeUtc:  a.Time.Add(-time.Duration(r%60) * time.Second).Format(TimeFormat),
		CreatedTimeUtc:       a.Time.Format(TimeFormat),
		IncidentNumber:       a.Seq + 1,
		AdditionalData: additionalJSON{
			AlertsCount:       int(1 + r%4),
			AlertProductNames: []string{fc.rule.product},
			Tactics:           fc.rule.tactics,
			Techniques:        fc.rule.techniques,
		},
		RelatedAnalyticRuleIDs: []string{fmt.Sprintf(
			"/subscriptions/%s/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s/providers/Microsoft.SecurityInsights/alertRules/%s",
			f.subscription, ResourceGroup, Workspace, guid("rule/"+fc.rule.title))},
		IncidentURL:        "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident" + id,
		ProviderName:       "Azure Sentinel",
		ProviderIncidentID: strconv.Itoa(a.Seq + 1),
	}
	if fc.rule.label != "" {
		p.Labels = append(p.Labels, labelJSON{LabelName: fc.rule.label, LabelType: "AutoAssigned"})
	}
	var version string
	f.store.Read(a, func(a *fakevendor.Alert) {
		p.LastModifiedTimeUtc = a.Updated.Format(TimeFormat)
		p.Status = a.Status
		if p.Status == "" {
			p.Status = "New"
		}
		p.Classification = a.Extra["classification"]
		p.ClassificationReason = a.Extra["classification_reason"]
		p.ClassificationComment = a.Extra["classification_comment"]
		p.Owner = ownerJSON{
			ObjectID: ptr(a.Extra["owner_object_id"]), Email: ptr(a.Extra["owner_email"]),
			AssignedTo: ptr(a.Owner), UserPrincipalName: ptr(a.Extra["owner_upn"]), OwnerType: "Unknown",
		}
		if a.Owner != "" || a.Extra["owner_object_id"] != "" {
			p.Owner.OwnerType = "User"
		}
		version = a.Extra["version"]
	})
	f.mu.Lock()
	p.AdditionalData.CommentsCount = len(f.comments[a.ID])
	f.mu.Unlock()
	return incidentJSON{ID: id, Name: name, Etag: etag(a, version), Type: "Microsoft.SecurityInsights/incidents", Properties: p}
}

// entityJSON is one entity of Incidents_ListEntities.
type entityJSON struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Kind       string         `json:"kind"`
	Properties map[string]any `json:"properties"`
}

type entitiesJSON struct {
	Entities []entityJSON `json:"entities"`
	MetaData []metaJSON   `json:"metaData"`
}

type metaJSON struct {
	EntityKind string `json:"entityKind"`
	Count      int    `json:"count"`
}

// entities lists the entities of an incident's alerts, by the kinds its
// rule names.
func (f *Fake) entities(a *fakevendor.Alert) entitiesJSON {
	fc := factsOf(a)
	out := entitiesJSON{Entities: []entityJSON{}, MetaData: []metaJSON{}}
	counts := map[string]int{}
	add := func(kind string, props map[string]any) {
		name := guid(fmt.Sprintf("entity/%s/%s/%d", a.ID, kind, len(out.Entities)))
		out.Entities = append(out.Entities, entityJSON{
			ID: fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s/providers/Microsoft.SecurityInsights/Entities/%s",
				f.subscription, ResourceGroup, Workspace, name),
			Name: name, Type: "Microsoft.SecurityInsights/Entities", Kind: kind, Properties: props,
		})
		if counts[kind] == 0 {
			out.MetaData = append(out.MetaData, metaJSON{EntityKind: kind})
		}
		counts[kind]++
	}
	display := strings.ToUpper(fc.user[:1]) + fc.user[1:]
	for _, kind := range fc.rule.entities {
		switch kind {
		case "Account":
			add(kind, map[string]any{"accountName": fc.user, "upnSuffix": "contoso.com", "ntDomain": "CONTOSO",
				"aadUserId": guid("aad/" + fc.user), "displayName": display, "friendlyName": fc.user})
		case "Host":
			add(kind, map[string]any{"hostName": fc.host, "dnsDomain": "corp.contoso.com", "netBiosName": strings.ToUpper(fc.host),
				"osFamily": "Windows", "osVersion": "10.0.22631", "friendlyName": fc.host})
		case "Ip":
			add(kind, map[string]any{"address": fc.publicIP, "friendlyName": fc.publicIP})
			if fc.rule.title == rules[6].title { // lateral movement: the internal peer as well
				add(kind, map[string]any{"address": fc.local, "friendlyName": fc.local})
			}
		case "File":
			add(kind, map[string]any{"fileName": "update.ps1", "directory": `C:\Users\` + fc.user + `\AppData\Local\Temp`, "friendlyName": "update.ps1"})
		case "FileHash":
			add(kind, map[string]any{"algorithm": "SHA256", "hashValue": fc.sha256, "friendlyName": fc.sha256})
			add(kind, map[string]any{"algorithm": "MD5", "hashValue": fc.md5, "friendlyName": fc.md5})
		case "DnsResolution":
			add(kind, map[string]any{"domainName": fc.domain, "friendlyName": fc.domain})
		case "Url":
			u := "https://" + fc.domain + "/dl/" + fc.md5[:8]
			add(kind, map[string]any{"url": u, "friendlyName": u})
		case "Mailbox":
			addr := fc.user + "@contoso.com"
			add(kind, map[string]any{"mailboxPrimaryAddress": addr, "displayName": display, "upn": addr, "friendlyName": addr})
		case "MailMessage":
			add(kind, map[string]any{"sender": "billing@" + fc.domain, "recipient": fc.user + "@contoso.com",
				"subject": "Invoice " + fc.md5[:6] + " overdue", "friendlyName": "Invoice " + fc.md5[:6] + " overdue"})
		}
	}
	for i := range out.MetaData {
		out.MetaData[i].Count = counts[out.MetaData[i].EntityKind]
	}
	return out
}
