package sdk

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is one vendor alert mapped into Outpost's security-event shape.
type Event struct {
	// OriginalID is the vendor's id; the host de-duplicates on
	// (integration, OriginalID).
	OriginalID  string
	Title       string
	Description string
	// Severity is a 0-100 score (see SeverityLevel); map the vendor's scale
	// into it and document the mapping.
	Severity       int
	Classification Classification
	// URL links back into the vendor console.
	URL           string
	DetectionTime time.Time
	CreationTime  time.Time
	// UpdateTime is the vendor's last-modified time: a replayed event whose
	// UpdateTime is newer updates the stored one.
	UpdateTime       time.Time
	MitreTags        []string
	Actions          []string
	DetectionEngines []string
	Observables      []Observable
	IOCs             []IOC
	// Raw is the vendor's JSON for this alert, as received.
	Raw json.RawMessage
}

// Classification is the vendor's classification of an event.
type Classification struct {
	Type    string `json:"type"`
	Subtype string `json:"subtype"`
	Vendor  string `json:"vendor"`
}

// Severity levels, from a 0-100 score.
const (
	LevelNotValid = "NOT_VALID"
	LevelLow      = "LOW"
	LevelMedium   = "MEDIUM"
	LevelHigh     = "HIGH"
	LevelCritical = "CRITICAL"
)

// SeverityLevel maps a 0-100 score to its level: 0 NOT_VALID, 1-39 LOW,
// 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL. Scores out of range are clamped.
func SeverityLevel(value int) string {
	switch {
	case value <= 0:
		return LevelNotValid
	case value < 40:
		return LevelLow
	case value < 70:
		return LevelMedium
	case value < 90:
		return LevelHigh
	default:
		return LevelCritical
	}
}

// LevelValue is the score given to an event that only has a level.
func LevelValue(level string) (int, error) {
	switch level {
	case LevelNotValid:
		return 0, nil
	case LevelLow:
		return 20, nil
	case LevelMedium:
		return 50, nil
	case LevelHigh:
		return 80, nil
	case LevelCritical:
		return 95, nil
	}
	return 0, fmt.Errorf("unknown severity level %q", level)
}

// ObservableType names the kind of an Observable.
type ObservableType string

// The observable types of the API.
const (
	ObservableUser           ObservableType = "user"
	ObservableHost           ObservableType = "host"
	ObservableIP             ObservableType = "ip"
	ObservableDomain         ObservableType = "domain"
	ObservableFile           ObservableType = "file"
	ObservableEmail          ObservableType = "email"
	ObservableNetworkTraffic ObservableType = "network_traffic"
)

// Observable is a typed entity seen in an event. Exactly one of the pointer
// fields is set, matching Type; the constructors below keep them in step.
// Its JSON is flat: {"type":"user","name":...}.
type Observable struct {
	Type           ObservableType
	User           *User
	Host           *Host
	IP             *IP
	Domain         *Domain
	File           *File
	Email          *EmailAddress
	NetworkTraffic *NetworkTraffic
}

// User is a user account.
type User struct {
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Domain string `json:"domain,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// Host is a machine.
type Host struct {
	Hostname string `json:"hostname,omitempty"`
	IP       string `json:"ip,omitempty"`
	OS       string `json:"os,omitempty"`
	MAC      string `json:"mac,omitempty"`
}

// IP is an IPv4 or IPv6 address.
type IP struct {
	Address string `json:"address"`
}

// Domain is a DNS name.
type Domain struct {
	Name string `json:"name"`
}

// File is a file, by name and hashes.
type File struct {
	Name   string `json:"name,omitempty"`
	Path   string `json:"path,omitempty"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// EmailAddress is a mailbox.
type EmailAddress struct {
	Address     string `json:"address"`
	DisplayName string `json:"display_name,omitempty"`
}

// NetworkTraffic is a flow between two endpoints.
type NetworkTraffic struct {
	SrcIP    string `json:"src_ip,omitempty"`
	SrcPort  int    `json:"src_port,omitempty"`
	DstIP    string `json:"dst_ip,omitempty"`
	DstPort  int    `json:"dst_port,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// UserObservable returns a user observable.
func UserObservable(u User) Observable { return Observable{Type: ObservableUser, User: &u} }

// HostObservable returns a host observable.
func HostObservable(h Host) Observable { return Observable{Type: ObservableHost, Host: &h} }

// IPObservable returns an IP observable.
func IPObservable(addr string) Observable {
	return Observable{Type: ObservableIP, IP: &IP{Address: addr}}
}

// DomainObservable returns a domain observable.
func DomainObservable(name string) Observable {
	return Observable{Type: ObservableDomain, Domain: &Domain{Name: name}}
}

// FileObservable returns a file observable.
func FileObservable(f File) Observable { return Observable{Type: ObservableFile, File: &f} }

// EmailObservable returns an email-address observable.
func EmailObservable(e EmailAddress) Observable {
	return Observable{Type: ObservableEmail, Email: &e}
}

// NetworkTrafficObservable returns a network-traffic observable.
func NetworkTrafficObservable(n NetworkTraffic) Observable {
	return Observable{Type: ObservableNetworkTraffic, NetworkTraffic: &n}
}

// body returns the value matching Type, or nil when it is missing: a typed
// nil pointer must not pass for a value.
func (o Observable) body() any {
	switch {
	case o.Type == ObservableUser && o.User != nil:
		return o.User
	case o.Type == ObservableHost && o.Host != nil:
		return o.Host
	case o.Type == ObservableIP && o.IP != nil:
		return o.IP
	case o.Type == ObservableDomain && o.Domain != nil:
		return o.Domain
	case o.Type == ObservableFile && o.File != nil:
		return o.File
	case o.Type == ObservableEmail && o.Email != nil:
		return o.Email
	case o.Type == ObservableNetworkTraffic && o.NetworkTraffic != nil:
		return o.NetworkTraffic
	}
	return nil
}

// MarshalJSON writes {"type": ..., fields...}.
func (o Observable) MarshalJSON() ([]byte, error) {
	body := o.body()
	if body == nil {
		return nil, fmt.Errorf("observable type %q has no value", o.Type)
	}
	fields, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf(`{"type":%q`, o.Type)
	if string(fields) == "{}" || string(fields) == "null" {
		return []byte(head + "}"), nil
	}
	return append([]byte(head+","), fields[1:]...), nil
}

// UnmarshalJSON reads the flat form written by MarshalJSON.
func (o *Observable) UnmarshalJSON(b []byte) error {
	var head struct {
		Type ObservableType `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	out := Observable{Type: head.Type}
	var dst any
	switch head.Type {
	case ObservableUser:
		out.User = &User{}
		dst = out.User
	case ObservableHost:
		out.Host = &Host{}
		dst = out.Host
	case ObservableIP:
		out.IP = &IP{}
		dst = out.IP
	case ObservableDomain:
		out.Domain = &Domain{}
		dst = out.Domain
	case ObservableFile:
		out.File = &File{}
		dst = out.File
	case ObservableEmail:
		out.Email = &EmailAddress{}
		dst = out.Email
	case ObservableNetworkTraffic:
		out.NetworkTraffic = &NetworkTraffic{}
		dst = out.NetworkTraffic
	default:
		return fmt.Errorf("unknown observable type %q", head.Type)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return err
	}
	*o = out
	return nil
}

// IOCType is the kind of an indicator of compromise.
type IOCType string

// The IOC types of the API.
const (
	IOCUnspecified IOCType = "UNSPECIFIED"
	IOCDomain      IOCType = "DOMAIN"
	IOCIPAddress   IOCType = "IP_ADDRESS"
	IOCEmail       IOCType = "EMAIL"
	IOCHash        IOCType = "HASH"
)

// IOC is an indicator of compromise reported with an event.
type IOC struct {
	Indicator string
	Type      IOCType
	// ExpiresAt is when the indicator stops being relevant; zero is never.
	ExpiresAt time.Time
}

// ChangeKind is what a Change does.
type ChangeKind string

// The change kinds.
const (
	ChangeStatus  ChangeKind = "status"
	ChangeAssign  ChangeKind = "assign"
	ChangeClose   ChangeKind = "close"
	ChangeComment ChangeKind = "comment"
	ChangeNotify  ChangeKind = "notify"
)

// Change is one case change, or a notification, to push to the vendor.
type Change struct {
	// ID is unique per change and stable across retries: the idempotency key.
	ID   string
	Kind ChangeKind
	// OriginalID is the vendor id of the case's event (empty for notify).
	OriginalID string
	CaseID     string
	// Status is the Outpost case status (UNDER_INVESTIGATION, CLOSED, ...).
	Status     string
	AssignedTo string
	CloseNotes string
	// FinalClassification is TRUE_POSITIVE, BENIGN_POSITIVE, FALSE_POSITIVE
	// or UNDETERMINED.
	FinalClassification string
	Comment             string
	Notification        Notification
	Author              string
}

// Notification is a message for a communication plugin.
type Notification struct {
	Title    string
	Text     string
	Severity string
	Link     string
}

// Marker is the text a plugin appends to a comment it writes for a change, so
// that it can find it before writing again where the vendor has no
// idempotency key.
func (c Change) Marker() string { return "[outpost:" + c.ID + "]" }
