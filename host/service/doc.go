// Package service is the business logic between the REST API and the rest of
// the host: customers, integrations and their lifecycle, API tokens,
// security events, cases (their notes, comments, mirror deliveries and
// reports) and IOCs.
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
// # Cases
//
// Every newly stored event opens a NEW case in the store's transaction;
// CreateCase opens one by hand. Changes go through UpdateCase, AssignCase
// and CloseCase, each one store transaction that records the history and,
// when the case's integration mirrors, queues the change for the vendor.
// The rules on status live in checkTransition: closing goes through
// CloseCase (notes, final classification, closed_at, closed_by); a CLOSED
// case changes only by a reopen (status OPEN) but still takes notes and
// comments; UNKNOWN is never set by hand. A change that changes nothing
// writes nothing. A report (CreateReport) is the case rendered at that
// moment into one self-contained HTML page by html/template, stored with
// the case.
//
// # IOCs
//
// An IOC is one global record per indicator, whichever customers' events
// reported it; the store also indexes which customers' events named each
// (and which an admin recorded for a customer). An admin token sees every
// IOC; a customer token lists and gets only its own customer's, any other
// indicator being not found, so that one customer cannot learn what
// another's events held. Recording IOCs (PutIOC) needs an admin token.
//
// # Caveats
//
// The store cannot write an action and its activity-log entry in one
// transaction: the action is written first, and a log entry that fails to
// be written is reported in the host log rather than failing an action that
// already happened.
//
// Parent cases are checked (same customer, no cycle) outside the update's
// transaction, so two concurrent re-parentings could still close a cycle;
// readers walk parents with a bound.
package service
