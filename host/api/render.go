package api

import (
	"time"

	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// ts renders a time as RFC 3339 UTC to the second; nil (left out) when the
// time is not set.
func ts(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PluginJSON is a plugin as GET /v1/plugins shows it.
type PluginJSON struct {
	Name         string     `json:"name"`
	Version      string     `json:"version"`
	Vendor       string     `json:"vendor"`
	Category     string     `json:"category"`
	Capabilities []string   `json:"capabilities"`
	ConfigSchema SchemaJSON `json:"config_schema"`
	SHA256       string     `json:"sha256"`
	Path         string     `json:"path"`
	State        string     `json:"state"`
	Error        string     `json:"error,omitempty"`
}

// SchemaJSON is a plugin's config schema.
type SchemaJSON struct {
	Fields []FieldJSON `json:"fields"`
}

// FieldJSON is one config field.
type FieldJSON struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Secret   bool     `json:"secret"`
	Default  any      `json:"default"`
	Help     string   `json:"help"`
	Enum     []string `json:"enum"`
}

func renderPlugin(p service.PluginInfo) PluginJSON {
	caps := make([]string, 0, len(p.Capabilities))
	for _, c := range p.Capabilities {
		caps = append(caps, string(c))
	}
	fields := make([]FieldJSON, 0, len(p.Schema.Fields))
	for _, f := range p.Schema.Fields {
		fields = append(fields, FieldJSON{
			Name: f.Name, Type: string(f.Type), Required: f.Required, Secret: f.IsSecret(),
			Default: f.Default, Help: f.Help, Enum: strs(f.Enum),
		})
	}
	return PluginJSON{
		Name: p.Name, Version: p.Version, Vendor: p.Vendor, Category: string(p.Category),
		Capabilities: caps, ConfigSchema: SchemaJSON{Fields: fields},
		SHA256: p.SHA256, Path: p.Path, State: string(p.State), Error: p.Error,
	}
}

// CustomerJSON is a customer.
type CustomerJSON struct {
	ID        string  `json:"customer_id"`
	Name      string  `json:"name"`
	CreatedAt *string `json:"created_at,omitempty"`
}

func renderCustomer(c *store.Customer) CustomerJSON {
	return CustomerJSON{ID: c.ID, Name: c.Name, CreatedAt: ts(c.CreatedAt)}
}

// ScheduleJSON is an integration's query schedule in seconds.
type ScheduleJSON struct {
	NewIntervalS       int64 `json:"new_interval_s"`
	LostFoundIntervalS int64 `json:"lost_found_interval_s"`
	LostFoundLookbackS int64 `json:"lost_found_lookback_s"`
	FallbackIntervalS  int64 `json:"fallback_interval_s"`
	FallbackLookbackS  int64 `json:"fallback_lookback_s"`
	InitialLookbackS   int64 `json:"initial_lookback_s"`
}

// IntegrationJSON is an integration; secrets read as "********".
type IntegrationJSON struct {
	ID         string         `json:"integration_id"`
	CustomerID string         `json:"customer_id"`
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Category   string         `json:"category"`
	Config     map[string]any `json:"config"`
	// Schedule is null for a plugin that runs no queries.
	Schedule      *ScheduleJSON `json:"schedule"`
	Mirroring     bool          `json:"mirroring"`
	Status        string        `json:"status"`
	Health        string        `json:"health"`
	HealthMessage string        `json:"health_message"`
	LastTestedAt  *string       `json:"last_tested_at,omitempty"`
	Connection    string        `json:"connection"`
	LastRunAt     *string       `json:"last_run_at,omitempty"`
	LastSuccessAt *string       `json:"last_success_at,omitempty"`
	LastError     string        `json:"last_error"`
	CreatedAt     *string       `json:"created_at,omitempty"`
	UpdatedAt     *string       `json:"updated_at,omitempty"`
}

func renderIntegration(v *service.IntegrationView) IntegrationJSON {
	var sched *ScheduleJSON
	if s := v.Schedule; s != (sdk.Schedule{}) {
		sched = &ScheduleJSON{
			NewIntervalS: s.NewIntervalS, LostFoundIntervalS: s.LostFoundIntervalS,
			LostFoundLookbackS: s.LostFoundLookbackS, FallbackIntervalS: s.FallbackIntervalS,
			FallbackLookbackS: s.FallbackLookbackS, InitialLookbackS: s.InitialLookbackS,
		}
	}
	cfg := v.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	return IntegrationJSON{
		ID: v.ID, CustomerID: v.CustomerID, Type: v.Type, Name: v.Name, Category: v.Category,
		Config: cfg, Schedule: sched, Mirroring: v.Mirroring,
		Status: v.Status, Health: v.Health, HealthMessage: v.HealthMessage,
		LastTestedAt: ts(v.LastTestedAt), Connection: v.Connection,
		LastRunAt: ts(v.LastRunAt), LastSuccessAt: ts(v.LastSuccessAt), LastError: v.LastError,
		CreatedAt: ts(v.CreatedAt), UpdatedAt: ts(v.UpdatedAt),
	}
}

// TestJSON is the answer of POST .../test.
type TestJSON struct {
	OK        bool              `json:"ok"`
	Message   string            `json:"message"`
	Details   map[string]string `json:"details"`
	CheckedAt *string           `json:"checked_at,omitempty"`
}

// SyncJSON is the answer of POST .../sync.
type SyncJSON struct {
	IntegrationID string `json:"integration_id"`
	Kind          string `json:"kind"`
}

// LogJSON is one activity-log entry.
type LogJSON struct {
	ID      string  `json:"id"`
	Time    *string `json:"time,omitempty"`
	Level   string  `json:"level"`
	Kind    string  `json:"kind"`
	Actor   string  `json:"actor"`
	Message string  `json:"message"`
}

func renderLog(e store.LogEntry) LogJSON {
	return LogJSON{ID: e.ID, Time: ts(e.Time), Level: e.Level, Kind: e.Kind, Actor: e.Actor, Message: e.Message}
}

// RunJSON is one query run.
type RunJSON struct {
	ID         string  `json:"run_id"`
	Kind       string  `json:"kind"`
	StartedAt  *string `json:"started_at,omitempty"`
	FinishedAt *string `json:"finished_at,omitempty"`
	Fetched    int     `json:"fetched"`
	Stored     int     `json:"stored"`
	Duplicates int     `json:"duplicates"`
	Updated    int     `json:"updated"`
	Error      string  `json:"error"`
}

func renderRun(r store.Run) RunJSON {
	return RunJSON{
		ID: r.ID, Kind: r.Kind, StartedAt: ts(r.StartedAt), FinishedAt: ts(r.FinishedAt),
		Fetched: r.Fetched, Stored: r.Stored, Duplicates: r.Duplicates, Updated: r.Updated, Error: r.Error,
	}
}

// BucketJSON is one bucket of the query chart.
type BucketJSON struct {
	Start     *string `json:"start,omitempty"`
	New       int     `json:"new"`
	LostFound int     `json:"lost_found"`
	Fallback  int     `json:"fallback"`
	Events    int     `json:"events"`
	Errors    int     `json:"errors"`
}

// StatsJSON is the answer of GET .../stats.
type StatsJSON struct {
	Buckets []BucketJSON `json:"buckets"`
}

// TokenJSON is an API token; its secret is never shown again.
type TokenJSON struct {
	ID         string  `json:"token_id"`
	Name       string  `json:"name"`
	Role       string  `json:"role"`
	CustomerID string  `json:"customer_id"`
	CreatedAt  *string `json:"created_at,omitempty"`
}

// CreatedTokenJSON is the answer of POST /v1/tokens, the one time the
// token itself is shown.
type CreatedTokenJSON struct {
	TokenJSON
	Token string `json:"token"`
}

func renderToken(t *store.Token) TokenJSON {
	return TokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, CustomerID: t.CustomerID, CreatedAt: ts(t.CreatedAt)}
}

// SeverityJSON is a 0-100 score and its level.
type SeverityJSON struct {
	Value int    `json:"value"`
	Level string `json:"level"`
}

// IOCJSON is an indicator of compromise.
type IOCJSON struct {
	Indicator string  `json:"indicator"`
	CreatedAt *string `json:"created_at,omitempty"`
	ExpiresAt *string `json:"expires_at,omitempty"`
	Type      string  `json:"type"`
}

// EventJSON is a security event in the RedCarbon shape.
type EventJSON struct {
	ID                  string             `json:"id"`
	OriginalID          string             `json:"original_id"`
	CustomerID          string             `json:"customer_id"`
	IntegrationID       string             `json:"integration_id"`
	Origin              string             `json:"origin"`
	Classification      sdk.Classification `json:"classification"`
	SecurityEventURL    string             `json:"security_event_url,omitempty"`
	Description         string             `json:"description"`
	DetectionTime       *string            `json:"detection_time,omitempty"`
	CreationTime        *string            `json:"creation_time,omitempty"`
	UpdateTime          *string            `json:"update_time,omitempty"`
	IngestedTime        *string            `json:"ingested_time,omitempty"`
	IngestedUpdatedTime *string            `json:"ingested_updated_time,omitempty"`
	MitreTags           []string           `json:"mitre_tags"`
	Title               string             `json:"title"`
	Actions             []string           `json:"actions"`
	DetectionEngines    []string           `json:"detection_engines"`
	Severity            SeverityJSON       `json:"severity"`
	Observables         []sdk.Observable   `json:"observables"`
	IOCs                []IOCJSON          `json:"iocs"`
}

func renderEvent(e *store.Event) EventJSON {
	obs := e.Observables
	if obs == nil {
		obs = []sdk.Observable{}
	}
	iocs := make([]IOCJSON, 0, len(e.IOCs))
	for _, i := range e.IOCs {
		iocs = append(iocs, renderIOC(i))
	}
	return EventJSON{
		ID: e.ID, OriginalID: e.OriginalID, CustomerID: e.CustomerID, IntegrationID: e.IntegrationID,
		Origin: e.Origin, Classification: e.Classification, SecurityEventURL: e.SecurityEventURL,
		Description: e.Description, DetectionTime: ts(e.DetectionTime), CreationTime: ts(e.CreationTime),
		UpdateTime: ts(e.UpdateTime), IngestedTime: ts(e.IngestedTime), IngestedUpdatedTime: ts(e.IngestedUpdatedTime),
		MitreTags: strs(e.MitreTags), Title: e.Title, Actions: strs(e.Actions), DetectionEngines: strs(e.DetectionEngines),
		Severity: SeverityJSON{Value: e.Severity.Value, Level: e.Severity.Level}, Observables: obs, IOCs: iocs,
	}
}

func renderIOC(i store.IOC) IOCJSON {
	return IOCJSON{Indicator: i.Indicator, CreatedAt: ts(i.CreatedAt), ExpiresAt: ts(i.ExpiresAt), Type: string(i.Type)}
}

// EventRefJSON is a case's reference to its event.
type EventRefJSON struct {
	SecurityEventID string `json:"security_event_id"`
	OriginalID      string `json:"original_id"`
}

// AnnotationURLJSON is the link of an annotation.
type AnnotationURLJSON struct {
	URL   string `json:"url"`
	Label string `json:"label"`
}

// AnnotationJSON is one named link on a case.
type AnnotationJSON struct {
	Name string            `json:"name"`
	URL  AnnotationURLJSON `json:"url"`
}

// AnnotationsJSON is a case's annotations, nested as RedCarbon nests them.
type AnnotationsJSON struct {
	Annotations map[string]AnnotationJSON `json:"annotations"`
}

// CaseJSON is a case in the RedCarbon shape. Strings are always present
// ("" when unset); unset times (closed_at of an open case) are left out.
type CaseJSON struct {
	ID                  string          `json:"case_id"`
	CustomerID          string          `json:"customer_id"`
	Tier                int             `json:"tier"`
	AssignedTo          string          `json:"assigned_to"`
	CreatedAt           *string         `json:"created_at,omitempty"`
	UpdatedAt           *string         `json:"updated_at,omitempty"`
	ClosedAt            *string         `json:"closed_at,omitempty"`
	Status              string          `json:"status"`
	ParentID            string          `json:"parent_id"`
	CloseNotes          string          `json:"close_notes"`
	Description         string          `json:"description"`
	Title               string          `json:"title"`
	ClosedBy            string          `json:"closed_by"`
	Severity            SeverityJSON    `json:"severity"`
	SecurityEventID     string          `json:"security_event_id"`
	FirstClassification string          `json:"first_classification"`
	SpentTimeMin        int             `json:"spent_time_min"`
	Tags                []string        `json:"tags"`
	Origin              string          `json:"origin"`
	FinalClassification string          `json:"final_classification"`
	Subscribers         []string        `json:"subscribers"`
	Mitre               []string        `json:"mitre"`
	Category            string          `json:"category"`
	SecurityEvent       EventRefJSON    `json:"security_event"`
	Annotations         AnnotationsJSON `json:"annotations"`
}

func renderCase(c *store.Case) CaseJSON {
	ann := make(map[string]AnnotationJSON, len(c.Annotations))
	for k, a := range c.Annotations {
		ann[k] = AnnotationJSON{Name: a.Name, URL: AnnotationURLJSON{URL: a.URL.URL, Label: a.URL.Label}}
	}
	return CaseJSON{
		ID: c.ID, CustomerID: c.CustomerID, Tier: c.Tier, AssignedTo: c.AssignedTo,
		CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt), ClosedAt: ts(c.ClosedAt),
		Status: c.Status, ParentID: c.ParentID, CloseNotes: c.CloseNotes, Description: c.Description,
		Title: c.Title, ClosedBy: c.ClosedBy, Severity: SeverityJSON{Value: c.Severity.Value, Level: c.Severity.Level},
		SecurityEventID: c.SecurityEventID, FirstClassification: c.FirstClassification, SpentTimeMin: c.SpentTimeMin,
		Tags: strs(c.Tags), Origin: c.Origin, FinalClassification: c.FinalClassification,
		Subscribers: strs(c.Subscribers), Mitre: strs(c.Mitre), Category: c.Category,
		SecurityEvent: EventRefJSON{SecurityEventID: c.SecurityEvent.SecurityEventID, OriginalID: c.SecurityEvent.OriginalID},
		Annotations:   AnnotationsJSON{Annotations: ann},
	}
}

// NoteJSON is a note or a comment of a case.
type NoteJSON struct {
	ID        string  `json:"id"`
	Author    string  `json:"author"`
	Text      string  `json:"text"`
	CreatedAt *string `json:"created_at,omitempty"`
}

// ReportJSON is a stored report of a case; its page is at
// /v1/reports/{report_id}/html.
type ReportJSON struct {
	ID        string  `json:"report_id"`
	CaseID    string  `json:"case_id"`
	CreatedAt *string `json:"created_at,omitempty"`
}

func renderReport(r *store.Report) ReportJSON {
	return ReportJSON{ID: r.ID, CaseID: r.CaseID, CreatedAt: ts(r.CreatedAt)}
}

// MirrorChangeJSON is the change a mirror delivery carries to the vendor.
type MirrorChangeJSON struct {
	Kind                string `json:"kind"`
	Status              string `json:"status,omitempty"`
	AssignedTo          string `json:"assigned_to,omitempty"`
	CloseNotes          string `json:"close_notes,omitempty"`
	FinalClassification string `json:"final_classification,omitempty"`
	Comment             string `json:"comment,omitempty"`
	Author              string `json:"author"`
}

// MirrorJSON is one delivery of the mirror outbox and its state.
type MirrorJSON struct {
	ID            string           `json:"id"`
	CaseID        string           `json:"case_id"`
	IntegrationID string           `json:"integration_id"`
	Change        MirrorChangeJSON `json:"change"`
	State         string           `json:"state"`
	Attempts      int              `json:"attempts"`
	Error         string           `json:"error"`
	// NextAt is when a PENDING delivery is tried next; left out otherwise.
	NextAt    *string `json:"next_at,omitempty"`
	CreatedAt *string `json:"created_at,omitempty"`
	UpdatedAt *string `json:"updated_at,omitempty"`
}

func renderMirror(m *store.MirrorItem) MirrorJSON {
	ch := m.Change
	out := MirrorJSON{
		ID: m.ID, CaseID: m.CaseID, IntegrationID: m.IntegrationID,
		Change: MirrorChangeJSON{
			Kind: string(ch.Kind), Status: ch.Status, AssignedTo: ch.AssignedTo, CloseNotes: ch.CloseNotes,
			FinalClassification: ch.FinalClassification, Comment: ch.Comment, Author: ch.Author,
		},
		State: m.State, Attempts: m.Attempts, Error: m.Error,
		CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt),
	}
	if m.State == store.MirrorPending {
		out.NextAt = ts(m.NextAt)
	}
	return out
}

// renderEach renders every item of a list, [] for none.
func renderEach[T, J any](xs []T, render func(*T) J) []J {
	out := make([]J, 0, len(xs))
	for i := range xs {
		out = append(out, render(&xs[i]))
	}
	return out
}
