// Package mirror delivers queued case changes (and notifications) from the
// store's durable outbox to the plugins' Mirror.
//
// # Basics
//
// The store queues a change in the same transaction as the case change it
// mirrors, so a change is never lost between the two. Worker takes due
// items, calls the integration's plugin and marks each DELIVERED, PENDING
// again with a backoff (or the vendor's retry-after wait), or FAILED once it
// has used its attempts or can never succeed. Delivery is therefore at least
// once; the plugin makes it effectively once with the change id.
//
// # Caveats
//
// Changes of one case are delivered in the order they were made: a later
// change waits while an earlier one of the same case is pending, so a
// close never overtakes the status change before it.
package mirror
