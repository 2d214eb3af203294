// Package store keeps everything Outpost knows in one bbolt file: customers,
// integrations (their secrets sealed), cursors, activity logs, query runs
// and stats, API tokens, security events, cases with their history, notes,
// comments and reports, IOCs, and the mirror outbox. *DB implements Store,
// the interface the service layer programs against, so that a shared store
// for several hosts can be added later without touching handlers.
//
// # Basics
//
// Open a file with the secret key from LoadKey:
//
//	key, err := store.LoadKey(dataDir) // OUTPOST_SECRET_KEY or <dataDir>/secret.key
//	db, err := store.Open(filepath.Join(dataDir, "outpost.db"), store.Options{Key: key, Logger: log})
//	defer db.Close()
//
// Open creates the file (mode 0600) or brings its schema forward (the
// migrations table in db.go; the version is in the meta bucket), refuses a
// file of a newer schema (ErrSchemaTooNew) and a key the file was not made
// with (ErrSealed: a sealed check value in the meta bucket is opened at
// Open, before any secret is read). Integration secrets are sealed with
// AES-256-GCM, a random nonce each time, bound to the integration id.
//
// Every method is one bbolt transaction: it changes all it says or
// nothing. Ingest calls Commit once per batch (up to ~1,000 events): the
// events, the cases they open, their IOCs, the counters, the stats and
// the cursor go in together, so a crash never loses an event nor moves a
// cursor past one, and a replayed batch is absorbed by de-duplication on
// (integration, original id). Lookups of unknown ids wrap ErrNotFound; ids
// that are not well formed are unknown too.
//
// Lists are newest first. Every id is a ULID made inside the write
// transaction (ids.go), so ids sort by time and commit order, and every
// list is a reverse range scan over keys that end in an id (scan.go).
// Page.ToID pins a growing list: the page and the total are those of the
// items at or below that id. Totals come from counter keys written in the
// same transactions as what they count; filters that counters do not
// cover count by walking index entries, which carry what the filters test
// (detection time, severity and origin of events; status, level and
// customer of cases), so a walk reads no record it does not return.
//
// # Layout
//
// Each file documents its records: events.go (events and their indexes),
// packs.go (event bodies), cases.go (cases and their indexes), iocs.go,
// notes.go (notes, comments, reports), mirror.go, activity.go (logs, runs,
// stats), buckets.go (all bucket names). In short: event bodies (the
// connector proto of the event, raw vendor payload included) are written
// 32 at a time into zstd-compressed packs, which brings a 1.5 KB alert to
// about 900 bytes on disk with its event record, case and indexes; a case
// that nobody changed yet is a reference to its event's body; a search by
// statuses, levels and customer merges at most 45 reverse index scans and
// sums as many counters.
//
// # Caveats
//
// bbolt allows one writer at a time. Commit therefore does its encoding
// and compression before its write transaction, in parallel, and checks
// de-duplication once before (to encode only what is new) and again
// inside (to be right). Other writes are small. No method does I/O other
// than bbolt inside a transaction; callback functions (UpdateIntegration,
// UpdateCase, UpdateCustomer) must not block either, since they run
// holding the writer lock.
//
// Reads never block writes, but a long read transaction (a Backup of a
// large file) keeps the pages it sees from reuse, so the file grows while
// it runs; the file is mapped with a 1 GiB initial size so that writers
// seldom need to remap, which would wait for readers.
//
// Ids carry time to the millisecond, and created_at / ingested_time are
// the time of the id. Within a millisecond an id is the previous one plus
// one, and the case an event opens has the event's id plus one. A caller
// that passes a Now older than an earlier one gets ids that sort below the
// earlier ones, as their times say.
//
// The file never shrinks: bbolt reuses freed pages but does not return
// them. Packs are never rewritten: the older body of an updated event
// stays (a case that nobody changed still shows it). Deleting an
// integration keeps its events and cases; deleting a customer is refused
// while it has integrations, events or cases, so none is orphaned.
//
// Text search over cases (CaseFilter.Text) reads a small lowercased copy
// of each candidate's title and description (casetext.go), never the case
// itself; it finds words in the first 160 bytes of a title and 160 of a
// description only.
//
// IOC records are global, one per indicator; ioc_cust lists which
// customers' events named each (custiocs.go), for a customer's view.
package store
