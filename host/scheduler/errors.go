package scheduler

import "errors"

var (
	// ErrUnknown is an integration that is not set (never set, or removed).
	ErrUnknown = errors.New("integration not scheduled")
	// ErrNotScheduled is a kind the integration is not scheduled for: it is
	// not among its capabilities, or it is not a query kind at all.
	ErrNotScheduled = errors.New("query kind not scheduled for this integration")
	// ErrStopped is a request made after the scheduler stopped.
	ErrStopped = errors.New("scheduler stopped")
)
