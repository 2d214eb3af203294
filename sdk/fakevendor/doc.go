// Package fakevendor is a kit for writing a fake of a vendor's API: the
// stand-in a plugin's tests, the conformance kit, the demo and the
// benchmarks talk to, since no real vendor is reachable from a test.
//
// # Basics
//
// A fake is a Vendor: a name, an http.Handler that answers the vendor's own
// paths, auth scheme, paging, rate-limit answers and error bodies, and a
// working integration config for its plugin. The handler keeps its alerts in
// a Store, which does the parts every fake shares:
//
//   - alerts held at start (timestamps spread over the hour before start),
//     new ones made at a steady rate and stamped with the time they are made,
//     an optional cap;
//   - late alerts, which become visible only some delay after their own
//     timestamp, inside a window a cursor has already passed;
//   - throttling every K-th request (or the next n, for a test) with the
//     vendor's own 429;
//   - a record of every write-back the fake accepted, for
//     GET /_sim/<vendor>/state;
//   - deterministic data and credentials from a seed.
//
// Serve mounts a Vendor the way cmd/vendorsim does, for a test.
//
// # Caveats
//
// New alerts are made lazily, on each Store access, from the clock: a fake
// needs no goroutine and a test that injects Now sees exactly the alerts it
// expects. An initial alert's timestamp predates the fake, so if it is late
// its delay counts from the fake's start instead.
package fakevendor
