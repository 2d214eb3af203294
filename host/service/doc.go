// Package service is the business logic between the REST API and the rest of
// the host: customers, integrations and their lifecycle, API tokens and
// security events.
//
// # Basics
//
// A *Service depends on three narrow interfaces declared here: a Store (the
// store contract), Plugins (what it needs of the plugin manager) and a
// Scheduler. Every method that acts for a client takes the acting token
// (who) right after ctx; the service applies the isolation rule there, so
// that no handler can forget it: an admin token sees everything, a customer
// token only its own customer's data. A foreign id answers ErrNotFound, so
// a customer token cannot learn whether another customer's object exists;
// an action a customer token may never take answers ErrPermissionDenied.
//
// # Errors
//
// Every error a client should see is an *Error whose Kind is one of the
// sentinels of errors.go and whose Message is safe to show: it never holds
// a secret or an internal detail. Any other error is internal.
//
// # Integration lifecycle
//
// status (what the scheduler does) and health (what the last test said) are
// separate fields. Enable needs a passing test; changing config resets
// health and re-runs the test at once. INGESTING is derived from the
// scheduler and never stored, and connection is derived from status, health
// and whether the integration was ever enabled (see Connection).
//
// # Caveats
//
// The store cannot write an action and its activity-log entry in one
// transaction: the action is written first, and a log entry that fails to
// be written is reported in the host log rather than failing an action that
// already happened.
package service
