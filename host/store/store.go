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
// something that exists, ErrExists.
type Store interface {
	// Customers.
	CreateCustomer(ctx context.Context, c *Customer) error // sets ID, CreatedAt
	GetCustomer(ctx context.Context, id string) (*Customer, error)
	UpdateCustomer(ctx context.Context, id string, fn func(*Customer) error) (*Customer, error)
	// DeleteCustomer deletes a customer with no integrations; ErrConflict otherwise.
	DeleteCustomer(ctx context.Context, id string) error
	ListCustomers(ctx context.Context, p Page) ([]Customer, int, error)

	// Integrations. UpdateIntegration reads, calls fn and writes in one
	// transaction; fn must not block.
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

	// Backup writes a consistent snapshot of the database file.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Close() error
}
