package store

import (
	"encoding/json"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// Integration status values (what the scheduler does). INGESTING is derived
// by the service from the scheduler and never stored.
const (
	StatusNotActive = "NOT_ACTIVE"
	StatusActive    = "ACTIVE"
	StatusIngesting = "INGESTING"
	StatusPaused    = "PAUSED"
)

// Integration health values (what the last test said).
const (
	HealthUntested  = "UNTESTED"
	HealthHealthy   = "HEALTHY"
	HealthUnhealthy = "UNHEALTHY"
)

// Customer is one tenant of the SOC.
type Customer struct {
	ID        string    `json:"customer_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Integration is one configured connection of a customer to a vendor.
type Integration struct {
	ID         string `json:"integration_id"`
	CustomerID string `json:"customer_id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	// Config holds the non-secret fields; Secrets the secret ones, sealed
	// at rest by the store and returned in clear to the service.
	Config        map[string]any    `json:"config"`
	Secrets       map[string]string `json:"-"`
	Schedule      sdk.Schedule      `json:"schedule"`
	Mirroring     bool              `json:"mirroring"`
	Status        string            `json:"status"`
	Health        string            `json:"health"`
	HealthMessage string            `json:"health_message"`
	LastTestedAt  time.Time         `json:"last_tested_at"`
	// EverEnabled tells PENDING from DISCONNECTED for a NOT_ACTIVE integration.
	EverEnabled   bool      `json:"ever_enabled"`
	LastRunAt     time.Time `json:"last_run_at"`
	LastSuccessAt time.Time `json:"last_success_at"`
	LastError     string    `json:"last_error"`
	// HoldUntil is the end of a vendor rate-limit wait.
	HoldUntil time.Time `json:"hold_until"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Severity is a 0-100 score and the level that follows from it.
type Severity struct {
	Value int    `json:"value"`
	Level string `json:"level"`
}

// NewSeverity returns the severity of a 0-100 score.
func NewSeverity(value int) Severity {
	if value < 0 {
		value = 0
	}
	if value > 100 {
		value = 100
	}
	return Severity{Value: value, Level: sdk.SeverityLevel(value)}
}

// Event is a stored security event.
type Event struct {
	ID                  string             `json:"id"`
	OriginalID          string             `json:"original_id"`
	CustomerID          string             `json:"customer_id"`
	IntegrationID       string             `json:"integration_id"`
	Origin              string             `json:"origin"`
	Classification      sdk.Classification `json:"classification"`
	SecurityEventURL    string             `json:"security_event_url"`
	Title               string             `json:"title"`
	Description         string             `json:"description"`
	DetectionTime       time.Time          `json:"detection_time"`
	CreationTime        time.Time          `json:"creation_time"`
	UpdateTime          time.Time          `json:"update_time"`
	IngestedTime        time.Time          `json:"ingested_time"`
	IngestedUpdatedTime time.Time          `json:"ingested_updated_time"`
	MitreTags           []string           `json:"mitre_tags"`
	Actions             []string           `json:"actions"`
	DetectionEngines    []string           `json:"detection_engines"`
	Severity            Severity           `json:"severity"`
	Observables         []sdk.Observable   `json:"observables"`
	IOCs                []IOC              `json:"iocs"`
	// CaseID is the case this event opened.
	CaseID string          `json:"case_id"`
	Raw    json.RawMessage `json:"raw,omitempty"`
}

// IOC is an indicator of compromise.
type IOC struct {
	Indicator string      `json:"indicator"`
	Type      sdk.IOCType `json:"type"`
	CreatedAt time.Time   `json:"created_at"`
	// ExpiresAt zero means it never expires.
	ExpiresAt time.Time `json:"expires_at"`
}

// Case statuses.
const (
	CaseUnknown            = "UNKNOWN"
	CaseNew                = "NEW"
	CaseUnderInvestigation = "UNDER_INVESTIGATION"
	CaseOpen               = "OPEN"
	CasePending            = "PENDING"
	CaseReplied            = "REPLIED"
	CaseProcessing         = "PROCESSING"
	CaseClosed             = "CLOSED"
	CaseErrored            = "ERRORED"
)

// EventRef is the short reference a case keeps to its event.
type EventRef struct {
	SecurityEventID string `json:"security_event_id"`
	OriginalID      string `json:"original_id"`
}

// Annotation is one named link on a case.
type Annotation struct {
	Name string `json:"name"`
	URL  struct {
		URL   string `json:"url"`
		Label string `json:"label"`
	} `json:"url"`
}

// Case is a unit of SOC work, opened by a newly ingested event or by hand.
type Case struct {
	ID                  string                `json:"case_id"`
	CustomerID          string                `json:"customer_id"`
	IntegrationID       string                `json:"integration_id"`
	Tier                int                   `json:"tier"`
	AssignedTo          string                `json:"assigned_to"`
	CreatedAt           time.Time             `json:"created_at"`
	UpdatedAt           time.Time             `json:"updated_at"`
	ClosedAt            time.Time             `json:"closed_at"`
	Status              string                `json:"status"`
	ParentID            string                `json:"parent_id"`
	CloseNotes          string                `json:"close_notes"`
	Description         string                `json:"description"`
	Title               string                `json:"title"`
	ClosedBy            string                `json:"closed_by"`
	Severity            Severity              `json:"severity"`
	SecurityEventID     string                `json:"security_event_id"`
	FirstClassification string                `json:"first_classification"`
	SpentTimeMin        int                   `json:"spent_time_min"`
	Tags                []string              `json:"tags"`
	Origin              string                `json:"origin"`
	FinalClassification string                `json:"final_classification"`
	Subscribers         []string              `json:"subscribers"`
	Mitre               []string              `json:"mitre"`
	Category            string                `json:"category"`
	SecurityEvent       EventRef              `json:"security_event"`
	Annotations         map[string]Annotation `json:"annotations"`
}

// Token roles.
const (
	RoleAdmin    = "admin"
	RoleCustomer = "customer"
)

// Token is an API token; only the SHA-256 hash of its secret is stored.
type Token struct {
	ID         string    `json:"token_id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	CustomerID string    `json:"customer_id"`
	Hash       string    `json:"hash"`
	CreatedAt  time.Time `json:"created_at"`
}

// Log levels and kinds of the activity log.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelError   = "error"

	LogAction = "action"
	LogHealth = "health"
	LogQuery  = "query"
)

// LogEntry is one line of an integration's activity log.
type LogEntry struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor"`
	Message string    `json:"message"`
}

// Run is one query run of an integration.
type Run struct {
	ID         string    `json:"run_id"`
	Kind       string    `json:"kind"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Fetched    int       `json:"fetched"`
	Stored     int       `json:"stored"`
	Duplicates int       `json:"duplicates"`
	Updated    int       `json:"updated"`
	Error      string    `json:"error"`
}

// Bucket is one time bucket of an integration's query chart.
type Bucket struct {
	Start     time.Time `json:"start"`
	New       int       `json:"new"`
	LostFound int       `json:"lost_found"`
	Fallback  int       `json:"fallback"`
	Events    int       `json:"events"`
	Errors    int       `json:"errors"`
}

// CaseHistory is one change of a case field, kept in order.
type CaseHistory struct {
	Time  time.Time `json:"time"`
	Actor string    `json:"actor"`
	Field string    `json:"field"`
	From  string    `json:"from"`
	To    string    `json:"to"`
}

// Note is a SOC note on a case (never mirrored).
type Note struct {
	ID        string    `json:"id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Comment is a comment on a case; AddComment can mirror it to the vendor.
type Comment struct {
	ID        string    `json:"id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Report is a snapshot of a case as a self-contained HTML page.
type Report struct {
	ID        string    `json:"report_id"`
	CaseID    string    `json:"case_id"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	// HTML is returned by GetReport only, not by ListReports.
	HTML []byte `json:"-"`
}

// Mirror delivery states.
const (
	MirrorPending   = "PENDING"
	MirrorDelivered = "DELIVERED"
	MirrorFailed    = "FAILED"
)

// MirrorItem is one change in the durable mirror outbox: queued in the
// transaction of the case change it mirrors, delivered at least once.
type MirrorItem struct {
	// ID is also Change.ID, the idempotency key the plugin sees.
	ID            string     `json:"id"`
	CaseID        string     `json:"case_id"`
	IntegrationID string     `json:"integration_id"`
	Change        sdk.Change `json:"change"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	Error         string     `json:"error"`
	// NextAt is when a PENDING item is due.
	NextAt    time.Time `json:"next_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}
