package api

import (
	"context"
	"io"

	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
)

// The narrow interfaces the handlers depend on; *service.Service implements
// them all.

// Authenticator resolves a client's token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*store.Token, error)
}

// PluginService lists and rescans plugins.
type PluginService interface {
	ListPlugins(ctx context.Context, who *store.Token, p store.Page) ([]service.PluginInfo, int, error)
	RescanPlugins(ctx context.Context, who *store.Token) ([]service.PluginInfo, error)
}

// CustomerService manages customers.
type CustomerService interface {
	CreateCustomer(ctx context.Context, who *store.Token, name string) (*store.Customer, error)
	GetCustomer(ctx context.Context, who *store.Token, id string) (*store.Customer, error)
	ListCustomers(ctx context.Context, who *store.Token, p store.Page) ([]store.Customer, int, error)
	UpdateCustomer(ctx context.Context, who *store.Token, id string, name *string) (*store.Customer, error)
	DeleteCustomer(ctx context.Context, who *store.Token, id string) error
}

// IntegrationService manages integrations, their actions and their
// activity.
type IntegrationService interface {
	CreateIntegration(ctx context.Context, who *store.Token, customerID string, req service.CreateIntegration) (*service.IntegrationView, error)
	GetIntegration(ctx context.Context, who *store.Token, customerID, id string) (*service.IntegrationView, error)
	ListIntegrations(ctx context.Context, who *store.Token, customerID string, p store.Page) ([]service.IntegrationView, int, error)
	UpdateIntegration(ctx context.Context, who *store.Token, customerID, id string, req service.UpdateIntegration) (*service.IntegrationView, error)
	DeleteIntegration(ctx context.Context, who *store.Token, customerID, id string) error

	TestIntegration(ctx context.Context, who *store.Token, customerID, id string) (*service.TestResult, error)
	EnableIntegration(ctx context.Context, who *store.Token, customerID, id string) (*service.IntegrationView, error)
	DisableIntegration(ctx context.Context, who *store.Token, customerID, id string) (*service.IntegrationView, error)
	PauseIntegration(ctx context.Context, who *store.Token, customerID, id string) (*service.IntegrationView, error)
	ResumeIntegration(ctx context.Context, who *store.Token, customerID, id string) (*service.IntegrationView, error)
	SyncIntegration(ctx context.Context, who *store.Token, customerID, id, kind string) error

	ListLogs(ctx context.Context, who *store.Token, customerID, id string, p store.Page) ([]store.LogEntry, int, error)
	ListRuns(ctx context.Context, who *store.Token, customerID, id string, p store.Page) ([]store.Run, int, error)
	Stats(ctx context.Context, who *store.Token, customerID, id string, req service.StatsRequest) ([]store.Bucket, error)
}

// TokenService manages API tokens.
type TokenService interface {
	CreateToken(ctx context.Context, who *store.Token, req service.CreateToken) (*store.Token, string, error)
	ListTokens(ctx context.Context, who *store.Token, p store.Page) ([]store.Token, int, error)
	DeleteToken(ctx context.Context, who *store.Token, id string) error
}

// EventService reads and creates security events.
type EventService interface {
	ListEvents(ctx context.Context, who *store.Token, f store.EventFilter, p store.Page) ([]store.Event, int, error)
	GetEvent(ctx context.Context, who *store.Token, id string) (*store.Event, error)
	CreateEvent(ctx context.Context, who *store.Token, req service.CreateEvent) (*store.Event, bool, error)
}

// CaseService manages cases, their notes and comments, and shows their
// mirror deliveries.
type CaseService interface {
	CreateCase(ctx context.Context, who *store.Token, req service.CreateCase) (*store.Case, error)
	GetCase(ctx context.Context, who *store.Token, id string) (*store.Case, error)
	UpdateCase(ctx context.Context, who *store.Token, id string, req service.UpdateCase) (*store.Case, error)
	AssignCase(ctx context.Context, who *store.Token, id, assignee string) (*store.Case, error)
	CloseCase(ctx context.Context, who *store.Token, id string, req service.CloseCase) (*store.Case, error)
	SearchCases(ctx context.Context, who *store.Token, f service.CaseSearch, p store.Page) ([]store.Case, int, error)

	AddNote(ctx context.Context, who *store.Token, caseID, text string) (*store.Note, error)
	ListNotes(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.Note, int, error)
	AddComment(ctx context.Context, who *store.Token, caseID, text string) (*store.Comment, error)
	ListComments(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.Comment, int, error)
	ListMirror(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.MirrorItem, int, error)
}

// ReportService makes and serves case reports.
type ReportService interface {
	CreateReport(ctx context.Context, who *store.Token, caseID string) (*store.Report, error)
	ListReports(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.Report, int, error)
	GetReport(ctx context.Context, who *store.Token, id string) (*store.Report, error)
}

// IOCService reads and records indicators of compromise.
type IOCService interface {
	ListIOCs(ctx context.Context, who *store.Token, f service.IOCFilter, p store.Page) ([]store.IOC, int, error)
	GetIOC(ctx context.Context, who *store.Token, indicator string) (*store.IOC, error)
	PutIOC(ctx context.Context, who *store.Token, customerID string, in service.IOCInput) (*store.IOC, bool, error)
}

// BackupService streams a database snapshot.
type BackupService interface {
	Backup(ctx context.Context, who *store.Token, w io.Writer) (int64, error)
}

// Service is everything the API needs.
type Service interface {
	Authenticator
	PluginService
	CustomerService
	IntegrationService
	TokenService
	EventService
	CaseService
	ReportService
	IOCService
	BackupService
}

var _ Service = (*service.Service)(nil)
