package main

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// incident is the part of a Sentinel incident the plugin reads. Decoding
// into a typed struct is faster than a map; raw keeps the bytes as received.
type incident struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Etag       string `json:"etag"`
	Properties struct {
		Title                 string `json:"title"`
		Description           string `json:"description"`
		Severity              string `json:"severity"`
		Status                string `json:"status"`
		Classification        string `json:"classification"`
		ClassificationReason  string `json:"classificationReason"`
		ClassificationComment string `json:"classificationComment"`
		Owner                 struct {
			ObjectID          string `json:"objectId"`
			Email             string `json:"email"`
			AssignedTo        string `json:"assignedTo"`
			UserPrincipalName string `json:"userPrincipalName"`
		} `json:"owner"`
		FirstActivityTimeUtc time.Time `json:"firstActivityTimeUtc"`
		LastActivityTimeUtc  time.Time `json:"lastActivityTimeUtc"`
		LastModifiedTimeUtc  time.Time `json:"lastModifiedTimeUtc"`
		CreatedTimeUtc       time.Time `json:"createdTimeUtc"`
		IncidentNumber       int       `json:"incidentNumber"`
		IncidentURL          string    `json:"incidentUrl"`
		ProviderName         string    `json:"providerName"`
		AdditionalData       struct {
			AlertsCount       int      `json:"alertsCount"`
			AlertProductNames []string `json:"alertProductNames"`
			Tactics           []string `json:"tactics"`
			// Techniques is in the preview api-versions' schema and in live
			// answers, not in 2024-03-01's: read when present.
			Techniques []string `json:"techniques"`
		} `json:"additionalData"`
	} `json:"properties"`

	raw json.RawMessage
}

// UnmarshalJSON decodes the typed fields and keeps a copy of the bytes: the
// decoder reuses its buffer, and Raw must outlive the page.
func (i *incident) UnmarshalJSON(b []byte) error {
	type plain incident
	if err := json.Unmarshal(b, (*plain)(i)); err != nil {
		return err
	}
	i.raw = append(json.RawMessage(nil), b...)
	return nil
}

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

// entity is one entity of Incidents_ListEntities: a kind and the kind's
// property bag (the Microsoft.SecurityInsights entity types).
type entity struct {
	Kind       string `json:"kind"`
	Properties struct {
		// Account
		AccountName string `json:"accountName"`
		NTDomain    string `json:"ntDomain"`
		UPNSuffix   string `json:"upnSuffix"`
		AADUserID   string `json:"aadUserId"`
		SID         string `json:"sid"`
		// Host
		HostName  string `json:"hostName"`
		DNSDomain string `json:"dnsDomain"`
		OSFamily  string `json:"osFamily"`
		OSVersion string `json:"osVersion"`
		// Ip
		Address string `json:"address"`
		// File, FileHash
		FileName  string `json:"fileName"`
		Directory string `json:"directory"`
		Algorithm string `json:"algorithm"`
		HashValue string `json:"hashValue"`
		// DnsResolution, Url
		DomainName string `json:"domainName"`
		URL        string `json:"url"`
		// Mailbox, MailMessage
		MailboxPrimaryAddress string `json:"mailboxPrimaryAddress"`
		DisplayName           string `json:"displayName"`
		Sender                string `json:"sender"`
		Recipient             string `json:"recipient"`
	} `json:"properties"`
}

// severities maps Sentinel's four severities to Outpost's 0-100 score, at
// the value the API gives a bare level, Informational at the bottom of LOW:
//
//	High           80  HIGH
//	Medium         50  MEDIUM
//	Low            20  LOW
//	Informational   5  LOW
//	other          50  MEDIUM: an unknown severity is shown, not hidden as NOT_VALID
var severities = map[string]int{"high": 80, "medium": 50, "low": 20, "informational": 5}

// tactics maps Sentinel's tactic names to MITRE ATT&CK tactic ids; a name
// not listed (PreAttack, a new one) is kept as Sentinel wrote it.
var tactics = map[string]string{
	"Reconnaissance":          "TA0043",
	"ResourceDevelopment":     "TA0042",
	"InitialAccess":           "TA0001",
	"Execution":               "TA0002",
	"Persistence":             "TA0003",
	"PrivilegeEscalation":     "TA0004",
	"DefenseEvasion":          "TA0005",
	"CredentialAccess":        "TA0006",
	"Discovery":               "TA0007",
	"LateralMovement":         "TA0008",
	"Collection":              "TA0009",
	"Exfiltration":            "TA0010",
	"CommandAndControl":       "TA0011",
	"Impact":                  "TA0040",
	"ImpairProcessControl":    "TA0106",
	"InhibitResponseFunction": "TA0107",
}

// iocLifetime is how long an address or domain indicator stays relevant:
// they change hands; file hashes do not (their IOCs never expire).
const iocLifetime = 30 * 24 * time.Hour

// vendorName is the classification vendor of every event.
const vendorName = "Microsoft Sentinel"

// toEvent maps an incident, and the entities of its alerts, to an event.
func toEvent(inc *incident, ents []entity) sdk.Event {
	p := &inc.Properties
	sev, ok := severities[strings.ToLower(p.Severity)]
	if !ok {
		sev = 50
	}
	created := p.CreatedTimeUtc.UTC()
	if created.IsZero() {
		created = p.LastModifiedTimeUtc.UTC()
	}
	detected := p.FirstActivityTimeUtc.UTC()
	if detected.IsZero() {
		detected = created
	}
	e := sdk.Event{
		OriginalID:  inc.Name,
		Title:       p.Title,
		Description: p.Description,
		Severity:    sev,
		Classification: sdk.Classification{
			Type:    first(p.AdditionalData.Tactics),
			Subtype: first(p.AdditionalData.AlertProductNames),
			Vendor:  vendorName,
		},
		URL:           p.IncidentURL,
		DetectionTime: detected,
		CreationTime:  created,
		UpdateTime:    p.LastModifiedTimeUtc.UTC(),
		Raw:           inc.raw,
	}
	for _, t := range p.AdditionalData.Tactics {
		if id, ok := tactics[t]; ok {
			t = id
		}
		e.MitreTags = appendNew(e.MitreTags, t)
	}
	for _, t := range p.AdditionalData.Techniques {
		e.MitreTags = appendNew(e.MitreTags, t)
	}
	for _, n := range p.AdditionalData.AlertProductNames {
		e.DetectionEngines = appendNew(e.DetectionEngines, n)
	}
	if len(e.DetectionEngines) == 0 && p.ProviderName != "" {
		e.DetectionEngines = []string{p.ProviderName}
	}
	addEntities(&e, ents, created)
	return e
}

// addEntities turns entities into typed observables and, for what points
// outside the customer (public addresses, domains, hashes, senders), IOCs.
func addEntities(e *sdk.Event, ents []entity, at time.Time) {
	obs := map[string]bool{}
	addObs := func(key string, o sdk.Observable) {
		if !obs[key] {
			obs[key] = true
			e.Observables = append(e.Observables, o)
		}
	}
	iocs := map[string]bool{}
	addIOC := func(indicator string, t sdk.IOCType, expires time.Time) {
		if k := string(t) + "|" + strings.ToLower(indicator); indicator != "" && !iocs[k] {
			iocs[k] = true
			e.IOCs = append(e.IOCs, sdk.IOC{Indicator: indicator, Type: t, ExpiresAt: expires})
		}
	}
	expires := at.Add(iocLifetime)
	for _, en := range ents {
		p := en.Properties
		switch en.Kind {
		case "Account":
			if p.AccountName == "" {
				continue
			}
			u := sdk.User{Name: p.AccountName, Domain: p.NTDomain, UserID: p.AADUserID}
			if u.Domain == "" {
				u.Domain = p.UPNSuffix
			}
			if u.UserID == "" {
				u.UserID = p.SID
			}
			if p.UPNSuffix != "" {
				u.Email = p.AccountName + "@" + p.UPNSuffix
			}
			addObs("user|"+strings.ToLower(u.Name+"@"+u.Domain), sdk.UserObservable(u))
		case "Host":
			if p.HostName == "" {
				continue
			}
			h := sdk.Host{Hostname: p.HostName, OS: strings.TrimSpace(p.OSFamily + " " + p.OSVersion)}
			if p.DNSDomain != "" {
				h.Hostname += "." + p.DNSDomain
			}
			addObs("host|"+strings.ToLower(h.Hostname), sdk.HostObservable(h))
		case "Ip":
			addr, err := netip.ParseAddr(p.Address)
			if err != nil {
				continue
			}
			addObs("ip|"+addr.String(), sdk.IPObservable(addr.String()))
			if public(addr) {
				addIOC(addr.String(), sdk.IOCIPAddress, expires)
			}
		case "File":
			if p.FileName == "" {
				continue
			}
			f := sdk.File{Name: p.FileName}
			if p.Directory != "" {
				f.Path = strings.TrimRight(p.Directory, `\/`) + separator(p.Directory) + p.FileName
			}
			addObs("file|"+f.Path+"|"+f.Name, sdk.FileObservable(f))
		case "FileHash":
			f, ok := hashFile(p.Algorithm, p.HashValue)
			if !ok {
				continue
			}
			addObs("hash|"+strings.ToLower(p.HashValue), sdk.FileObservable(f))
			addIOC(strings.ToLower(p.HashValue), sdk.IOCHash, time.Time{})
		case "DnsResolution":
			if p.DomainName == "" {
				continue
			}
			d := strings.ToLower(strings.TrimSuffix(p.DomainName, "."))
			addObs("domain|"+d, sdk.DomainObservable(d))
			addIOC(d, sdk.IOCDomain, expires)
		case "Url":
			u, err := url.Parse(p.URL)
			if err != nil || u.Hostname() == "" {
				continue
			}
			host := strings.ToLower(u.Hostname())
			if addr, err := netip.ParseAddr(host); err == nil {
				addObs("ip|"+addr.String(), sdk.IPObservable(addr.String()))
				if public(addr) {
					addIOC(addr.String(), sdk.IOCIPAddress, expires)
				}
				continue
			}
			addObs("domain|"+host, sdk.DomainObservable(host))
			addIOC(host, sdk.IOCDomain, expires)
		case "Mailbox":
			if p.MailboxPrimaryAddress != "" {
				addObs("email|"+strings.ToLower(p.MailboxPrimaryAddress),
					sdk.EmailObservable(sdk.EmailAddress{Address: p.MailboxPrimaryAddress, DisplayName: p.DisplayName}))
			}
		case "MailMessage":
			if p.Sender != "" {
				addObs("email|"+strings.ToLower(p.Sender), sdk.EmailObservable(sdk.EmailAddress{Address: p.Sender}))
				addIOC(strings.ToLower(p.Sender), sdk.IOCEmail, expires)
			}
			if p.Recipient != "" {
				addObs("email|"+strings.ToLower(p.Recipient), sdk.EmailObservable(sdk.EmailAddress{Address: p.Recipient}))
			}
		}
	}
}

// hashFile is a file observable for a FileHash entity's algorithm (MD5,
// SHA1, SHA256, SHA256AC), or false for one it cannot place.
func hashFile(alg, value string) (sdk.File, bool) {
	v := strings.ToLower(strings.TrimSpace(value))
	switch strings.ToUpper(alg) {
	case "MD5":
		return sdk.File{MD5: v}, len(v) == 32
	case "SHA1":
		return sdk.File{SHA1: v}, len(v) == 40
	case "SHA256", "SHA256AC":
		return sdk.File{SHA256: v}, len(v) == 64
	}
	// Unknown: place the hash by its length.
	switch len(v) {
	case 32:
		return sdk.File{MD5: v}, true
	case 40:
		return sdk.File{SHA1: v}, true
	case 64:
		return sdk.File{SHA256: v}, true
	}
	return sdk.File{}, false
}

// public reports whether addr is routable on the internet: the customer's
// own private, loopback and link-local addresses are no indicators.
func public(addr netip.Addr) bool {
	return addr.IsGlobalUnicast() && !addr.IsPrivate() && !addr.IsLoopback() && !addr.IsLinkLocalUnicast()
}

func separator(dir string) string {
	if strings.Contains(dir, `\`) {
		return `\`
	}
	return "/"
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func appendNew(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
