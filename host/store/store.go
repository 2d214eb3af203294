package store

import (
	"context"
	"io"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// Page selects a slice of a newest-first list. Take 0 asks for the total
// only. ToID, when set, pins the list to the items at or older than that id,
// so a growing list can be paged without repeats.
type Page struct {
	Skip, Take int
	ToID       string
}

// EventFilter selects security events; zero fields match everything.
type EventFilter struct {
	CustomerID    string
	IntegrationID string
	Origin        string
	// MinSeverity is a minimum level (LOW, MEDIUM, ...); "" for any.
	MinSeverity string
	// From and To bound detection_time: [From, To).
	From, To time.Time
}

// CaseFilter selects cases; zero fields match everything, and a case must
// match every field that is set.
type CaseFilter struct {
	// Statuses and Severities (levels) match any of their values.
	Statuses   []string
	Severities []string
	CustomerID string
	AssignedTo string
	// Text is a case-insensitive substring of the title or description.
	Text string
	// From and To bound created_at: [From, To).
	From, To time.Time
}

// CaseUpdate says who changes a case, and whether the change goes to the
// vendor: with Mirror set, a change of status, assignee or a close is
// queued in the mirror outbox (same transaction) when the case's
// integration has mirroring on. Changes that came from the vendor leave
// it unset, so that they are not echoed back.
type CaseUpdate struct {
	Actor  string
	Mirror bool
}

// MirrorMark is the outcome of a delivery attempt.
type MirrorMark struct {
	// State is MirrorPending (retry at NextAt), MirrorDelivered or
	// MirrorFailed (given up).
	State    string
	Attempts int
	NextAt   time.Time
	Error    string
}

// CommitRequest is one batch of a query run: its events and, for a "new"
// query, the cursor that holds after it. Both are committed in one
// transaction.
type CommitRequest struct {
	IntegrationID string
	CustomerID    string
	Origin        string
	// Kind is the query kind (new, lost_found, fallback), for the stats.
	Kind string
	// Cursor, when not nil, replaces the integration's stored cursor.
	Cursor *string
	Events []sdk.Event
	Now    time.Time
}

// CommitResult counts what a commit did.
type CommitResult struct {
	Stored     int
	Duplicates int
	Updated    int
	// EventIDs and CaseIDs are the ids of the newly stored events and the
	// cases they opened, in batch order.
	EventIDs []string
	CaseIDs  []string
}

// Store is everything the service layer needs from storage; *DB is the
// bbolt implementation. Every method is safe for concurrent use, and a
// method that changes data either changes all of it or nothing.
//
// Lookups of an unknown id return an error wrapping ErrNotFound; creating
// something that exists, ErrExists; an argument the store cannot take (an
// unknown status or level, a bad paging id), ErrInvalid.
type Store interface {
	// Customers.
	CreateCustomer(ctx context.Context, c *Customer) error // sets ID, CreatedAt
	GetCustomer(ctx context.Context, id string) (*Customer, error)
	UpdateCustomer(ctx context.Context, id string, fn func(*Customer) error) (*Customer, error)
	// DeleteCustomer deletes a customer with no integrations, events or
	// cases; ErrConflict (a *CustomerInUseError) otherwise.
	DeleteCustomer(ctx context.Context, id string) error
	ListCustomers(ctx context.Context, p Page) ([]Customer, int, error)

	// Integrations. UpdateIntegration reads, calls fn and writes in one
	// transaction; fn must not block, and sets UpdatedAt itself when the
	// change is one a user makes. ListIntegrations takes "" for every
	// customer.
	CreateIntegration(ctx context.Context, in *Integration) error // sets ID, CreatedAt, UpdatedAt
	GetIntegration(ctx context.Context, id string) (*Integration, error)
	UpdateIntegration(ctx context.Context, id string, fn func(*Integration) error) (*Integration, error)
	// DeleteIntegration removes the integration, its cursor, logs, runs and
	// stats; its events and cases stay.
	DeleteIntegration(ctx context.Context, id string) error
	ListIntegrations(ctx context.Context, customerID string, p Page) ([]Integration, int, error)
	// AllIntegrations lists every integration of every customer (start-up).
	AllIntegrations(ctx context.Context) ([]Integration, error)

	// Cursor returns the integration's stored cursor ("" when none).
	Cursor(ctx context.Context, integrationID string) (string, error)
	// Commit stores a batch and its cursor in one transaction: new events
	// (each opening a NEW case, its IOCs recorded), duplicates on
	// (integration, original_id) counted, events with a newer vendor update
	// time updated (ingested_updated_time set).
	Commit(ctx context.Context, req CommitRequest) (CommitResult, error)

	// Security events.
	GetEvent(ctx context.Context, id string) (*Event, error)
	ListEvents(ctx context.Context, f EventFilter, p Page) ([]Event, int, error)

	// Activity log, runs and the query chart.
	AddLog(ctx context.Context, integrationID string, e LogEntry) error
	ListLogs(ctx context.Context, integrationID string, p Page) ([]LogEntry, int, error)
	// AddRun records a finished run and counts it in its stats bucket.
	AddRun(ctx context.Context, integrationID string, r Run) error
	ListRuns(ctx context.Context, integrationID string, p Page) ([]Run, int, error)
	// Stats sums the 5-minute buckets of [from, to) into buckets of the
	// given width (5m, 1h or 24h), empty buckets included.
	Stats(ctx context.Context, integrationID string, from, to time.Time, width time.Duration) ([]Bucket, error)

	// API tokens.
	CreateToken(ctx context.Context, t *Token) error // sets ID, CreatedAt; t.Hash is set by the caller
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context, p Page) ([]Token, int, error)
	DeleteToken(ctx context.Context, id string) error
	CountTokens(ctx context.Context) (int, error)

	// Cases. CreateCase sets ID, CreatedAt and UpdatedAt (Status NEW when
	// empty). UpdateCase reads, calls fn and writes in one transaction,
	// recording history (see ListCaseHistory) and mirror changes (see
	// CaseUpdate); fn must not block.
	CreateCase(ctx context.Context, c *Case) error
	GetCase(ctx context.Context, id string) (*Case, error)
	UpdateCase(ctx context.Context, id string, u CaseUpdate, fn func(*Case) error) (*Case, error)
	// ListCaseHistory lists a case's field changes, oldest first.
	ListCaseHistory(ctx context.Context, caseID string) ([]CaseHistory, error)
	SearchCases(ctx context.Context, f CaseFilter, p Page) ([]Case, int, error)

	// Notes, comments and reports of a case. Add* set ID and CreatedAt;
	// AddComment with mirror set queues the comment for the vendor when
	// the case's integration has mirroring on.
	AddNote(ctx context.Context, caseID string, n *Note) error
	ListNotes(ctx context.Context, caseID string, p Page) ([]Note, int, error)
	AddComment(ctx context.Context, caseID string, c *Comment, mirror bool) error
	ListComments(ctx context.Context, caseID string, p Page) ([]Comment, int, error)
	CreateReport(ctx context.Context, r *Report) error // sets ID, CreatedAt
	ListReports(ctx context.Context, caseID string, p Page) ([]Report, int, error)
	GetReport(ctx context.Context, id string) (*Report, error)

	// IOCs. PutIOC creates or replaces an indicator and reports whether it
	// was new; ListIOCs takes "" for every type, and its Page.ToID is an
	// indicator.
	PutIOC(ctx context.Context, i *IOC) (bool, error)
	GetIOC(ctx context.Context, indicator string) (*IOC, error)
	ListIOCs(ctx context.Context, typ sdk.IOCType, includeExpired bool, p Page) ([]IOC, int, error)
	// The IOCs of one customer: those its events named (ingested or
	// created through the API) and those put for it. GetCustomerIOC of
	// any other indicator is ErrNotFound.
	PutCustomerIOC(ctx context.Context, customerID string, i *IOC) (bool, error)
	GetCustomerIOC(ctx context.Context, customerID, indicator string) (*IOC, error)
	ListCustomerIOCs(ctx context.Context, customerID string, typ sdk.IOCType, includeExpired bool, p Page) ([]IOC, int, error)

	// CreateEvent stores an event given through the API and opens its case
	// like ingest; an event with the same (customer, origin, original id)
	// is updated instead and updated is true. It fills in e.
	CreateEvent(ctx context.Context, e *Event) (updated bool, err error)

	// Mirror outbox. EnqueueMirror queues one change (sets ID, Change.ID,
	// State PENDING, CreatedAt, NextAt when zero); NextMirrorDue returns
	// up to limit PENDING items, earliest due first (due or not: the
	// caller waits for NextAt); MarkMirror records an attempt.
	EnqueueMirror(ctx context.Context, m *MirrorItem) error
	ListMirror(ctx context.Context, caseID string, p Page) ([]MirrorItem, int, error)
	NextMirrorDue(ctx context.Context, limit int) ([]MirrorItem, error)
	MarkMirror(ctx context.Context, id string, m MirrorMark) error

	// Backup writes a consistent snapshot of the database file.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Close() error
}
