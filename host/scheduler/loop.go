package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// candidate is a kind that is due and free to start.
type candidate struct {
	e   *entry
	k   Kind
	due time.Time
}

// loop is the single dispatcher: one goroutine decides, runs happen in their
// own goroutines and wake it when they end.
func (s *Scheduler) loop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTimer(idleWait)
	defer t.Stop()
	for {
		t.Reset(max(s.dispatch(), minWait))
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// scan lists the due kinds that are free to start, earliest first, and the
// earliest due time still to come; s.mu must be held. A hold moves a kind's
// due time to the hold's end, so lag never counts a vendor's wait.
func (s *Scheduler) scan(now time.Time) ([]candidate, time.Time) {
	var due []candidate
	var next time.Time
	for _, e := range s.entries {
		if !e.enabled {
			continue
		}
		hold := s.holds[e.id]
		for k, ks := range e.kinds {
			if e.running[k] {
				// Its end reschedules it and wakes the loop.
				continue
			}
			d := ks.due()
			if hold.After(d) {
				d = hold
			}
			if !d.After(now) {
				due = append(due, candidate{e: e, k: k, due: d})
			} else if next.IsZero() || d.Before(next) {
				next = d
			}
		}
	}
	slices.SortFunc(due, func(a, b candidate) int {
		return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.e.id, b.e.id), cmp.Compare(a.k, b.k))
	})
	return due, next
}

// dispatch starts what is due, as far as the concurrency limit allows, and
// returns how long the loop may sleep.
func (s *Scheduler) dispatch() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runCtx.Err() != nil {
		return idleWait
	}
	now := s.now()
	for id, h := range s.holds {
		if now.Sub(h) > holdKeep {
			delete(s.holds, id)
		}
	}
	due, next := s.scan(now)
	n := min(len(due), max(s.maxConcurrent-s.inFlight, 0))
	for _, c := range due[:n] {
		s.start(c, now)
	}
	if queued := len(due) - n; queued != s.lastQueued {
		s.lastQueued = queued
		if queued > 0 {
			s.log.Debug("due runs waiting for a slot", "queued", queued,
				"in_flight", s.inFlight, "max_concurrent", s.maxConcurrent)
		}
	}
	if next.IsZero() {
		return idleWait
	}
	return next.Sub(now)
}

// start launches one run; s.mu must be held.
func (s *Scheduler) start(c candidate, now time.Time) {
	e, ks := c.e, c.e.kinds[c.k]
	job := Job{IntegrationID: e.id, Kind: c.k, Manual: ks.manual}
	ks.manual = false
	if lb := e.sched.lookback(c.k); lb > 0 {
		job.From, job.To = now.Add(-lb), now
	}
	e.running[c.k] = true
	s.inFlight++
	lag := now.Sub(c.due)
	s.lag.record(now, lag)

	args := []any{"integration_id", e.id, "kind", c.k, "manual", job.Manual, "lag", lag}
	if !job.To.IsZero() {
		args = append(args, "window_from", job.From, "window_to", job.To)
	}
	s.log.Debug("run starting", args...)

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.runCtx, s.runTimeout)
		err := s.call(ctx, job)
		cancel()
		s.finish(e, job, now, err)
	}()
}

// call runs the job; a panicking Runner is one failed run, not a host crash
// that takes every other customer's integrations down with it.
func (s *Scheduler) call(ctx context.Context, job Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("runner panicked", "integration_id", job.IntegrationID, "kind", job.Kind,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("runner panicked: %v", r)
		}
	}()
	return s.runner.Run(ctx, job)
}

// finish records a run's end and decides the kind's next run.
func (s *Scheduler) finish(e *entry, job Job, started time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.poke()
	now := s.now()
	delete(e.running, job.Kind)
	s.inFlight--
	if !e.enabled && len(e.running) == 0 && s.entries[e.id] == e {
		delete(s.entries, e.id)
	}
	// ks is nil when the integration was removed, or the kind dropped,
	// during the run: the outcome is logged, nothing is rescheduled.
	ks := e.kinds[job.Kind]
	if ks != nil && ks.manual && ks.manualAt.Before(now) {
		// A coalesced trigger was due no earlier than now, when the kind
		// became free; do not count the run it waited on as its lag.
		ks.manualAt = now
	}
	args := []any{"integration_id", e.id, "kind", job.Kind, "manual", job.Manual, "duration", now.Sub(started)}
	interval := e.sched.interval(job.Kind)

	if err != nil && s.runCtx.Err() != nil {
		s.log.Debug("run cancelled by shutdown", append(args, "error", err.Error())...)
		return
	}
	if err == nil {
		if ks != nil {
			ks.failures = 0
			ks.next = later(started.Add(s.jittered(interval)), now)
		}
		s.log.Debug("run finished", args...)
		return
	}
	args = append(args, "error", err.Error())

	if wait, ok := sdk.RetryWait(err); ok {
		until := now.Add(wait)
		s.hold(e.id, until)
		if ks != nil {
			// Not a failure: the vendor is fine, only busy. The kind keeps
			// its interval and the hold delays it if need be.
			ks.next = later(started.Add(s.jittered(interval)), now)
		}
		s.log.Warn("vendor asked to wait, holding integration",
			append(args, "wait", wait, "held_until", until)...)
		return
	}

	if ks == nil {
		s.log.Warn("run failed", args...)
		return
	}
	ks.failures++
	backoff := s.jittered(s.backoff(interval, ks.failures))
	ks.next = now.Add(backoff)
	s.log.Warn("run failed, backing off", append(args,
		"consecutive_failures", ks.failures, "backoff", backoff, "next_run_at", ks.next,
		"credential_error", sdk.IsCredentialError(err),
		"deadline_exceeded", errors.Is(err, context.DeadlineExceeded))...)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
