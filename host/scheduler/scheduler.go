package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Defaults of Options.
const (
	DefaultMaxConcurrent = 8
	DefaultRunTimeout    = 5 * time.Minute
	DefaultJitter        = 0.1
	DefaultMaxBackoff    = 30 * time.Minute
)

const (
	// maxFirstDelay spreads the first new runs of integrations set together
	// (every enabled one at host start) over a short while instead of one
	// burst.
	maxFirstDelay = 2 * time.Second
	// maxJitter keeps a jittered interval positive and recognisable.
	maxJitter = 0.5
	// holdKeep is how long an ended hold is kept: a run still queued for a
	// slot after the hold keeps its due time at the hold's end, so that its
	// lag does not count the vendor's wait.
	holdKeep = time.Hour
	// idleWait is how long the loop sleeps with nothing scheduled; every
	// change wakes it anyway.
	idleWait = time.Hour
	// minWait keeps a clock that moves oddly from making the loop spin.
	minWait = time.Millisecond
)

// Options configure a Scheduler. Zero values take the defaults.
type Options struct {
	// Runner makes the runs; required.
	Runner Runner
	Logger hclog.Logger
	// MaxConcurrent limits runs in flight over all integrations (default 8).
	MaxConcurrent int
	// RunTimeout is each run's deadline (default 5m).
	RunTimeout time.Duration
	// Jitter is the fraction of an interval by which each wait varies either
	// way (default 0.1, at most 0.5; negative for none).
	Jitter float64
	// MaxBackoff caps the backoff after consecutive failures (default 30m);
	// a kind whose interval is longer is never run sooner than its interval.
	MaxBackoff time.Duration
	// Now supplies the time (default time.Now); see the package caveats.
	Now func() time.Time
}

// Scheduler runs the query runs of enabled integrations on their schedules.
// Its methods are safe for concurrent use.
type Scheduler struct {
	runner        Runner
	log           hclog.Logger
	maxConcurrent int
	runTimeout    time.Duration
	jitter        float64
	maxBackoff    time.Duration
	now           func() time.Time

	// wake nudges the loop after any change; one pending nudge is enough.
	wake chan struct{}
	// wg counts the loop and the runs in flight, for Stop.
	wg sync.WaitGroup

	mu      sync.Mutex
	started bool
	stopped bool
	// runCtx is the parent of every run's context; cancelled by Stop or
	// by the end of Start's context.
	runCtx   context.Context
	cancel   context.CancelFunc
	entries  map[string]*entry
	holds    map[string]time.Time
	inFlight int
	lag      lagTracker
	// lastQueued only keeps the "waiting for a slot" log from repeating.
	lastQueued int
}

// entry is one integration. It outlives Remove while a run is in flight, so
// that a quick Set again (resume) still sees that run and does not start a
// second one of the same kind.
type entry struct {
	id      string
	enabled bool
	sched   Schedule
	kinds   map[Kind]*kindState
	running map[Kind]bool
}

type kindState struct {
	next     time.Time
	manual   bool
	manualAt time.Time
	failures int
}

// due is when the kind wants to run, before any hold.
func (k *kindState) due() time.Time {
	if k.manual && k.manualAt.Before(k.next) {
		return k.manualAt
	}
	return k.next
}

// Stats is a snapshot for /metrics.
type Stats struct {
	// Integrations counts the integrations set (enabled).
	Integrations int
	// InFlight counts runs in flight.
	InFlight int
	// Queued counts due runs waiting for a slot under MaxConcurrent.
	Queued int
	// Held counts integrations held by a vendor's wait right now.
	Held int
	// MaxLag is how late the latest-started run of the last minute or two
	// started after it was due, or how long the longest-waiting queued run
	// has waited so far, whichever is more.
	MaxLag time.Duration
}

// New returns a Scheduler; nothing runs before Start.
func New(opts Options) *Scheduler {
	s := &Scheduler{
		runner:        opts.Runner,
		log:           opts.Logger,
		maxConcurrent: opts.MaxConcurrent,
		runTimeout:    opts.RunTimeout,
		jitter:        opts.Jitter,
		maxBackoff:    opts.MaxBackoff,
		now:           opts.Now,
		wake:          make(chan struct{}, 1),
		entries:       map[string]*entry{},
		holds:         map[string]time.Time{},
	}
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	if s.maxConcurrent <= 0 {
		s.maxConcurrent = DefaultMaxConcurrent
	}
	if s.runTimeout <= 0 {
		s.runTimeout = DefaultRunTimeout
	}
	switch {
	case s.jitter == 0:
		s.jitter = DefaultJitter
	case s.jitter < 0:
		s.jitter = 0
	case s.jitter > maxJitter:
		s.jitter = maxJitter
	}
	if s.maxBackoff <= 0 {
		s.maxBackoff = DefaultMaxBackoff
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Start begins scheduling and returns at once. Runs happen until ctx is done
// or Stop is called; their contexts derive from ctx. Integrations may be set
// before Start. A second Start, or a Start after Stop, does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	s.runCtx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(1)
	go s.loop(s.runCtx)
	s.log.Debug("scheduler started", "max_concurrent", s.maxConcurrent, "run_timeout", s.runTimeout)
}

// Stop cancels the runs in flight and waits for them and the loop to return.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.stopped = true
	cancel := s.cancel
	inFlight := s.inFlight
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	s.log.Debug("scheduler stopped", "cancelled_runs", inFlight)
}

// Set adds or updates an enabled integration. Only the kinds in capabilities
// are scheduled (none for a communication plugin); invalid kinds are ignored.
// A kind whose interval changed runs no later than one new interval from now;
// a kind dropped from capabilities stops, leaving a run in flight to finish.
func (s *Scheduler) Set(id string, sched Schedule, capabilities []Kind) {
	sched = sched.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.poke()
	now := s.now()

	want := map[Kind]bool{}
	for _, k := range capabilities {
		if !k.Valid() {
			s.log.Warn("ignoring unknown query kind", "integration_id", id, "kind", string(k))
			continue
		}
		want[k] = true
	}

	e := s.entries[id]
	resumed := e != nil && !e.enabled
	if e == nil {
		e = &entry{id: id, running: map[Kind]bool{}}
		s.entries[id] = e
	}
	if !e.enabled {
		e.enabled = true
		e.kinds = map[Kind]*kindState{}
	}
	old := e.sched
	e.sched = sched

	for _, k := range kindOrder {
		ks := e.kinds[k]
		switch {
		case !want[k]:
			delete(e.kinds, k)
		case ks == nil:
			e.kinds[k] = &kindState{next: now.Add(s.firstDelay(k, sched.interval(k)))}
		case old.interval(k) != sched.interval(k):
			if n := now.Add(s.jittered(sched.interval(k))); n.Before(ks.next) {
				ks.next = n
			}
		}
	}
	s.log.Debug("integration scheduled", "integration_id", id, "kinds", kindNames(e.kinds),
		"resumed", resumed, "new_interval", sched.NewInterval,
		"lost_found_interval", sched.LostFoundInterval, "fallback_interval", sched.FallbackInterval)
}

// Remove stops scheduling the integration (disable, pause, delete). A run in
// flight is left to finish; pending manual triggers are dropped. A hold stays
// until it ends, so a quick resume still honours the vendor's wait.
func (s *Scheduler) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[id]
	if e == nil || !e.enabled {
		return
	}
	e.enabled = false
	e.kinds = nil
	if len(e.running) == 0 {
		delete(s.entries, id)
	}
	s.log.Debug("integration unscheduled", "integration_id", id, "running", len(e.running) > 0)
}

// Trigger asks for a manual run of kind now, or as soon as a hold on the
// integration ends. A trigger for a kind in flight runs once after it, however
// many triggers came in meanwhile.
func (s *Scheduler) Trigger(id string, kind Kind) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[id]
	if e == nil || !e.enabled {
		return fmt.Errorf("triggering %s run of %s: %w", kind, id, ErrUnknown)
	}
	ks := e.kinds[kind]
	if ks == nil {
		return fmt.Errorf("triggering %q run of %s: %w", kind, id, ErrNotScheduled)
	}
	if s.stopped || (s.runCtx != nil && s.runCtx.Err() != nil) {
		return fmt.Errorf("triggering %s run of %s: %w", kind, id, ErrStopped)
	}
	now := s.now()
	coalesced := ks.manual || e.running[kind]
	if !ks.manual {
		ks.manual = true
		ks.manualAt = now
	}
	args := []any{"integration_id", id, "kind", kind, "coalesced", coalesced}
	if h := s.holds[id]; h.After(now) {
		args = append(args, "held_until", h)
	}
	s.log.Info("manual run requested", args...)
	s.poke()
	return nil
}

// Hold keeps every kind of the integration from starting before until. Holds
// only ever lengthen: a shorter one than the current is ignored.
func (s *Scheduler) Hold(id string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.hold(id, until) {
		s.log.Warn("holding integration", "integration_id", id, "held_until", until, "wait", until.Sub(now))
	}
	s.poke()
}

// HeldUntil returns the end of a hold on the integration still in force.
func (s *Scheduler) HeldUntil(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.holds[id]
	if !ok || !h.After(s.now()) {
		return time.Time{}, false
	}
	return h, true
}

// Running reports whether a run of any kind of the integration is in flight,
// including one left to finish after Remove.
func (s *Scheduler) Running(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[id]
	return e != nil && len(e.running) > 0
}

// Stats returns a snapshot of the scheduler's load.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	due, _ := s.scan(now)
	st := Stats{
		InFlight: s.inFlight,
		Queued:   len(due),
		MaxLag:   s.lag.max(now),
	}
	if len(due) > 0 {
		st.MaxLag = max(st.MaxLag, now.Sub(due[0].due))
	}
	for _, e := range s.entries {
		if e.enabled {
			st.Integrations++
		}
	}
	for _, h := range s.holds {
		if h.After(now) {
			st.Held++
		}
	}
	return st
}

// hold records a hold; s.mu must be held. It reports whether the hold grew.
func (s *Scheduler) hold(id string, until time.Time) bool {
	if !until.After(s.holds[id]) {
		return false
	}
	s.holds[id] = until
	return true
}

// poke wakes the loop without blocking.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// jittered varies d by up to s.jitter of itself either way.
func (s *Scheduler) jittered(d time.Duration) time.Duration {
	if s.jitter == 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + s.jitter*(2*rand.Float64()-1)))
}

// firstDelay is the wait before a kind's first run after Set.
func (s *Scheduler) firstDelay(k Kind, interval time.Duration) time.Duration {
	if k != KindNew {
		return s.jittered(interval)
	}
	if s.jitter == 0 {
		return 0
	}
	return rand.N(min(maxFirstDelay, interval))
}

// backoff is the wait after the given number of consecutive failures: the
// interval doubled once per failure, capped at MaxBackoff but never below the
// interval, so a failing fallback does not run more often than a working one.
func (s *Scheduler) backoff(interval time.Duration, failures int) time.Duration {
	limit := max(s.maxBackoff, interval)
	d := interval
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func kindNames(kinds map[Kind]*kindState) []string {
	var names []string
	for _, k := range kindOrder {
		if kinds[k] != nil {
			names = append(names, string(k))
		}
	}
	return names
}

// lagTracker keeps the largest start lag of the current and the previous
// minute, so the /metrics gauge reflects recent load, not the worst moment
// since start.
type lagTracker struct {
	start     time.Time
	cur, prev time.Duration
}

const lagWindow = time.Minute

func (l *lagTracker) rotate(now time.Time) {
	age := now.Sub(l.start)
	if age < lagWindow && age >= 0 {
		return
	}
	l.prev = l.cur
	if age >= 2*lagWindow || age < 0 {
		l.prev = 0
	}
	l.cur = 0
	l.start = now
}

func (l *lagTracker) record(now time.Time, lag time.Duration) {
	l.rotate(now)
	l.cur = max(l.cur, lag)
}

func (l *lagTracker) max(now time.Time) time.Duration {
	l.rotate(now)
	return max(l.cur, l.prev)
}
