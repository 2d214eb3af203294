// Command outpost-plugin-hello is the example Outpost plugin: the smallest
// complete connector, for the "hello vendor" alert API whose fake lives in
// package fake beside it. Copy this folder to start a plugin of your own;
// README.md walks through it.
//
// # Basics
//
// main is one line, sdk.Serve(New()). The connector reads the vendor's
// alerts (Poll, LostFound, Fallback), checks its credentials (Test) and
// writes case changes back (Mirror). Its files:
//
//	connector.go  Describe, Test, the config schema and the client cache
//	poll.go       Poll, LostFound and Fallback over the one alerts API
//	mirror.go     status, assignment, close and comments, effectively once
//	mapping.go    a vendor alert to an sdk.Event
//
// # Caveats
//
// The cursor is an sdk/cursor TimeID: the vendor's created_at plus the ids
// seen at that time, so alerts that share one timestamp across a page
// boundary are neither lost nor doubled. Alerts the vendor makes visible
// late, behind the cursor, are LostFound's job.
package main
