package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// alert is the part of a vendor alert the mapping reads. Decoding into a
// typed struct is faster than a map; raw keeps the bytes as received.
type alert struct {
	ID          string    `json:"id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Severity    string    `json:"severity"`
	Action      string    `json:"action"`
	Status      string    `json:"status"`
	Resolution  string    `json:"resolution"`
	Owner       string    `json:"owner"`
	Host        string    `json:"host"`
	User        string    `json:"user"`
	SrcIP       string    `json:"src_ip"`
	DstIP       string    `json:"dst_ip"`
	Hash        string    `json:"hash"`
	Rule        struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Category string   `json:"category"`
		Mitre    []string `json:"mitre"`
		Engine   string   `json:"engine"`
	} `json:"rule"`
	File struct {
		Name string `json:"name"`
		Path string `json:"path"`
		Size int64  `json:"size"`
		MD5  string `json:"md5"`
	} `json:"file"`
	Network struct {
		SrcPort  int    `json:"src_port"`
		DstPort  int    `json:"dst_port"`
		Protocol string `json:"protocol"`
	} `json:"network"`
	Device struct {
		OS string `json:"os"`
	} `json:"device"`
	ConsoleURL string `json:"console_url"`

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

// severities maps the vendor's four levels to Outpost's 0-100 score, at
// the value the API gives a bare level:
//
//	low      20  LOW
//	medium   50  MEDIUM
//	high     80  HIGH
//	critical 95  CRITICAL
//	other    50  MEDIUM: an unknown level is shown, not hidden as NOT_VALID
var severities = map[string]int{"low": 20, "medium": 50, "high": 80, "critical": 95}

// iocLifetime is how long an IP indicator stays relevant: addresses change
// hands, file hashes do not (their IOCs never expire).
const iocLifetime = 30 * 24 * time.Hour

// toEvent maps a vendor alert to an Outpost event.
func toEvent(a *alert) (sdk.Event, error) {
	if a.ID == "" {
		return sdk.Event{}, fmt.Errorf("alert without an id")
	}
	if a.CreatedAt.IsZero() {
		return sdk.Event{}, fmt.Errorf("alert %s has no created_at", a.ID)
	}
	sev, ok := severities[a.Severity]
	if !ok {
		sev = 50
	}
	updated := a.UpdatedAt
	if updated.IsZero() {
		updated = a.CreatedAt
	}
	e := sdk.Event{
		OriginalID:  a.ID,
		Title:       a.Title,
		Description: a.Description,
		Severity:    sev,
		Classification: sdk.Classification{
			Type:    a.Rule.Category,
			Subtype: a.Rule.Name,
			Vendor:  "Hello Vendor",
		},
		URL:           a.ConsoleURL,
		DetectionTime: a.CreatedAt.UTC(),
		CreationTime:  a.CreatedAt.UTC(),
		UpdateTime:    updated.UTC(),
		MitreTags:     a.Rule.Mitre,
		Raw:           a.raw,
	}
	if a.Action != "" {
		e.Actions = []string{a.Action}
	}
	if a.Rule.Engine != "" {
		e.DetectionEngines = []string{a.Rule.Engine}
	}
	if a.Host != "" {
		e.Observables = append(e.Observables, sdk.HostObservable(sdk.Host{Hostname: a.Host, IP: a.SrcIP, OS: a.Device.OS}))
	}
	if a.User != "" {
		e.Observables = append(e.Observables, sdk.UserObservable(sdk.User{Name: a.User}))
	}
	for _, ip := range []string{a.SrcIP, a.DstIP} {
		if ip != "" {
			e.Observables = append(e.Observables, sdk.IPObservable(ip))
		}
	}
	if a.SrcIP != "" && a.DstIP != "" {
		e.Observables = append(e.Observables, sdk.NetworkTrafficObservable(sdk.NetworkTraffic{
			SrcIP: a.SrcIP, SrcPort: a.Network.SrcPort, DstIP: a.DstIP, DstPort: a.Network.DstPort, Protocol: a.Network.Protocol,
		}))
	}
	if a.Hash != "" || a.File.Name != "" {
		e.Observables = append(e.Observables, sdk.FileObservable(sdk.File{
			Name: a.File.Name, Path: a.File.Path, MD5: a.File.MD5, SHA256: a.Hash, Size: a.File.Size,
		}))
	}
	// The destination is the outside party; the source is the customer's
	// own machine and no indicator of compromise.
	if a.DstIP != "" {
		e.IOCs = append(e.IOCs, sdk.IOC{Indicator: a.DstIP, Type: sdk.IOCIPAddress, ExpiresAt: a.CreatedAt.UTC().Add(iocLifetime)})
	}
	if a.Hash != "" {
		e.IOCs = append(e.IOCs, sdk.IOC{Indicator: a.Hash, Type: sdk.IOCHash})
	}
	return e, nil
}
