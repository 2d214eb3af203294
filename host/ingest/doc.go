// Package ingest runs one query of one integration: it calls the plugin's
// Poll, LostFound or Fallback and commits what streams back.
//
// # Basics
//
// Runner implements scheduler.Runner. A run reads the integration, joins its
// config and secrets, calls the plugin through the manager and hands every
// batch to a committer, which groups stream messages into store transactions
// of up to MaxEvents events (or FlushEvery of waiting), each with the cursor
// of the last batch it holds. A batch's events and its cursor are therefore
// always committed together: a crash of host or plugin replays at most the
// batches after the last commit, and de-duplication on (integration,
// original_id) absorbs them.
//
// When the run ends it is recorded (kind, times, fetched, stored,
// duplicates, updated, error), the integration's last_run_at,
// last_success_at and last_error are set, a credential error marks it
// UNHEALTHY, and a vendor rate limit holds it until the vendor's wait is over.
//
// # Caveats
//
// Batches received before a stream error are committed: each was complete
// with its cursor, so the run ends at the last good position and never
// skips. The error is returned to the scheduler, which backs off.
package ingest
