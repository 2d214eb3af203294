// Package scheduler decides when the query runs of enabled integrations
// happen. It knows nothing of plugins or storage: a due run becomes a call to
// a Runner, and the Runner's error decides what happens next.
//
// # Basics
//
// Each integration set with Set has up to three timers, one per query kind it
// is capable of: KindNew (the cursor poll), KindLostFound and KindFallback
// (re-reads of a window [now-lookback, now) behind the cursor). Intervals are
// jittered so that a thousand integrations enabled at once do not poll in
// step. The first new run is due within a second or two of Set; the first
// lost-found and fallback runs wait for their interval (or a Trigger): they
// re-read what new runs have already passed.
//
// At most one run of each kind of an integration is in flight at a time, and
// at most Options.MaxConcurrent runs overall; a due run waits for a slot, and
// how late it started is its lag (Stats.MaxLag). Each run gets a deadline of
// Options.RunTimeout through its context.
//
// Trigger asks for a manual run of one kind now. A trigger for a kind that is
// already running is coalesced: that kind runs once more after the current
// run, however many triggers came in meanwhile.
//
// # Errors and holds
//
// A Runner error that carries a wait (sdk.RetryWait: a vendor rate limit or
// outage) holds the whole integration, every kind, until the wait is over;
// Hold does the same on request. A hold never delays another integration,
// and a manual trigger made during a hold runs when it ends. Any other error
// is a failure of that kind: its next run backs off, the interval doubling
// with each consecutive failure up to Options.MaxBackoff (never below the
// interval itself), and a success resets it.
//
// # Caveats
//
// Remove stops new runs at once but leaves a run in flight to finish; Running
// stays true until it does. Stop cancels the context of every run in flight
// and waits for them to return, so a Runner must honour its context.
//
// Options.Now only supplies timestamps (due times, windows, lag); waiting is
// done on real timers for the difference, so a clock that does not advance
// only ever runs what is already due.
package scheduler
