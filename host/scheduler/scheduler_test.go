package scheduler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// waitTimeout bounds every wait for something that must happen; it is only
// reached when a test fails.
const waitTimeout = 5 * time.Second

var t0 = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

// clock is a hand-moved clock. After moving it a test pokes the scheduler,
// so that what became due starts at once and in one dispatch pass.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(s *Scheduler, d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	s.poke()
}

// run is one call the recorder saw, with the clock at its start.
type run struct {
	Job
	at time.Time
}

// recorder is a Runner that records every call and then does what fn says.
type recorder struct {
	now func() time.Time
	fn  func(ctx context.Context, job Job) error

	mu   sync.Mutex
	runs []run
}

func (r *recorder) Run(ctx context.Context, job Job) error {
	r.mu.Lock()
	r.runs = append(r.runs, run{Job: job, at: r.now()})
	r.mu.Unlock()
	if r.fn != nil {
		return r.fn(ctx, job)
	}
	return nil
}

var _ Runner = (*recorder)(nil)

func (r *recorder) of(id string, kind Kind) []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []run
	for _, x := range r.runs {
		if x.IntegrationID == id && (kind == "" || x.Kind == kind) {
			out = append(out, x)
		}
	}
	return out
}

// waitRuns waits until id has at least n runs of kind ("" for any) and
// returns them.
func (r *recorder) waitRuns(t *testing.T, id string, kind Kind, n int) []run {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if runs := r.of(id, kind); len(runs) >= n {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %d %q runs of %s: got %d", n, kind, id, len(r.of(id, kind)))
		}
		time.Sleep(time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits until nothing is in flight or due, so that moving the clock
// next does not make a run that was merely slow to start look late.
func settle(t *testing.T, s *Scheduler) {
	t.Helper()
	waitFor(t, "the scheduler to settle", func() bool {
		st := s.Stats()
		return st.InFlight == 0 && st.Queued == 0
	})
}

// assertNoRun checks that a dispatch pass already witnessed (another
// integration's run started in it) started nothing for id. Running takes the
// lock, so it answers after that pass; a run started in it and already
// finished has been recorded before it finished.
func assertNoRun(t *testing.T, s *Scheduler, r *recorder, id string, before int) {
	t.Helper()
	if s.Running(id) {
		t.Fatalf("%s is running", id)
	}
	if got := len(r.of(id, "")); got != before {
		t.Fatalf("%s ran %d times, want %d", id, got, before)
	}
}

// newTest returns a started scheduler on a hand-moved clock, without jitter,
// stopped at the end of the test.
func newTest(t *testing.T, fn func(ctx context.Context, job Job) error, opts Options) (*Scheduler, *recorder, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	rec := &recorder{now: clk.Now, fn: fn}
	opts.Runner = rec
	opts.Now = clk.Now
	if opts.Jitter == 0 {
		opts.Jitter = -1
	}
	opts.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	s := New(opts)
	s.Start(context.Background())
	t.Cleanup(s.Stop)
	return s, rec, clk
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

var allKinds = []Kind{KindNew, KindLostFound, KindFallback}

func sched(newIv, lfIv, fbIv time.Duration) Schedule {
	return Schedule{
		NewInterval:       newIv,
		LostFoundInterval: lfIv,
		LostFoundLookback: time.Hour,
		FallbackInterval:  fbIv,
		FallbackLookback:  24 * time.Hour,
	}
}

// TestNewRunsPeriodically uses the real clock and timers, default jitter.
func TestNewRunsPeriodically(t *testing.T) {
	rec := &recorder{now: time.Now}
	s := New(Options{Runner: rec})
	s.Start(context.Background())
	defer s.Stop()

	const interval = 20 * time.Millisecond
	set := time.Now()
	s.Set("a", Schedule{NewInterval: interval, LostFoundInterval: time.Hour, FallbackInterval: time.Hour}, allKinds)

	runs := rec.waitRuns(t, "a", KindNew, 4)
	// The first run comes within min(2s, interval) of Set, then one per
	// jittered interval: never sooner than interval*(1-jitter) apart.
	if got := runs[3].at.Sub(set); got < 3*time.Duration(float64(interval)*(1-DefaultJitter)) {
		t.Errorf("4 runs within %s, want at least 3 jittered intervals", got)
	}
	for _, r := range runs {
		if r.Manual || !r.From.IsZero() || !r.To.IsZero() {
			t.Errorf("periodic new run = %+v, want no window, not manual", r.Job)
		}
	}
	if n := len(rec.of("a", KindLostFound)) + len(rec.of("a", KindFallback)); n != 0 {
		t.Errorf("%d lost-found/fallback runs before their interval", n)
	}
}

func TestWindows(t *testing.T) {
	s, rec, clk := newTest(t, nil, Options{})
	sc := Schedule{
		NewInterval:       time.Minute,
		LostFoundInterval: 15 * time.Minute,
		LostFoundLookback: time.Hour,
		FallbackInterval:  6 * time.Hour,
		FallbackLookback:  24 * time.Hour,
	}
	s.Set("a", sc, allKinds)
	rec.waitRuns(t, "a", KindNew, 1) // due at once: the first new run

	t.Run("first lost-found and fallback wait for their interval", func(t *testing.T) {
		waitFor(t, "the first new run to finish", func() bool { return !s.Running("a") })
		if n := len(rec.of("a", KindLostFound)) + len(rec.of("a", KindFallback)); n != 0 {
			t.Fatalf("%d lost-found/fallback runs at Set", n)
		}
		clk.advance(s, 15*time.Minute)
		lf := rec.waitRuns(t, "a", KindLostFound, 1)[0]
		now := t0.Add(15 * time.Minute)
		if lf.Manual || !lf.To.Equal(now) || !lf.From.Equal(now.Add(-time.Hour)) {
			t.Errorf("periodic lost-found = %+v, want [%s, %s)", lf.Job, now.Add(-time.Hour), now)
		}
		if n := len(rec.of("a", KindFallback)); n != 0 {
			t.Errorf("%d fallback runs before 6h", n)
		}
	})

	tests := []struct {
		kind     Kind
		lookback time.Duration
	}{
		{KindNew, 0},
		{KindLostFound, time.Hour},
		{KindFallback, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run("manual "+string(tt.kind), func(t *testing.T) {
			waitFor(t, "idle", func() bool { return !s.Running("a") })
			clk.advance(s, time.Second)
			now := clk.Now()
			before := len(rec.of("a", tt.kind))
			if err := s.Trigger("a", tt.kind); err != nil {
				t.Fatal(err)
			}
			got := rec.waitRuns(t, "a", tt.kind, before+1)[before]
			want := Job{IntegrationID: "a", Kind: tt.kind, Manual: true}
			if tt.lookback > 0 {
				want.From, want.To = now.Add(-tt.lookback), now
			}
			if got.Job != want {
				t.Errorf("job = %+v, want %+v", got.Job, want)
			}
		})
	}
}

func TestAtMostOnePerKind(t *testing.T) {
	t.Run("triggers during a run coalesce into one more run", func(t *testing.T) {
		release := make(chan struct{})
		s, rec, _ := newTest(t, func(ctx context.Context, job Job) error {
			if !job.Manual {
				<-release
			}
			return nil
		}, Options{})
		s.Set("a", sched(time.Hour, time.Hour, time.Hour), allKinds)
		rec.waitRuns(t, "a", KindNew, 1)
		for range 3 {
			if err := s.Trigger("a", KindNew); err != nil {
				t.Fatal(err)
			}
		}
		close(release)
		runs := rec.waitRuns(t, "a", KindNew, 2)
		if !runs[1].Manual {
			t.Errorf("second run not manual")
		}
		waitFor(t, "idle", func() bool { return !s.Running("a") })
		if n := len(rec.of("a", KindNew)); n != 2 {
			t.Errorf("%d new runs, want 2 (periodic, then one coalesced manual)", n)
		}
	})

	t.Run("slow runner on real timers", func(t *testing.T) {
		var mu sync.Mutex
		active := map[Kind]int{}
		most := map[Kind]int{}
		rec := &recorder{now: time.Now, fn: func(ctx context.Context, job Job) error {
			mu.Lock()
			active[job.Kind]++
			most[job.Kind] = max(most[job.Kind], active[job.Kind])
			mu.Unlock()
			time.Sleep(15 * time.Millisecond)
			mu.Lock()
			active[job.Kind]--
			mu.Unlock()
			return nil
		}}
		s := New(Options{Runner: rec})
		s.Start(context.Background())
		defer s.Stop()
		s.Set("a", sched(2*time.Millisecond, 2*time.Millisecond, 2*time.Millisecond), allKinds)
		for _, k := range allKinds {
			rec.waitRuns(t, "a", k, 4)
			if err := s.Trigger("a", k); err != nil {
				t.Fatal(err)
			}
		}
		s.Stop()
		mu.Lock()
		defer mu.Unlock()
		for _, k := range allKinds {
			if most[k] != 1 {
				t.Errorf("%s: %d runs at once, want 1", k, most[k])
			}
		}
	})
}

func TestGlobalLimit(t *testing.T) {
	release := make(chan struct{})
	var active, most atomic.Int32
	s, rec, clk := newTest(t, func(ctx context.Context, job Job) error {
		n := active.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		active.Add(-1)
		return nil
	}, Options{MaxConcurrent: 2})
	ids := []string{"a", "b", "c", "d", "e"}
	for _, id := range ids {
		s.Set(id, sched(time.Hour, time.Hour, time.Hour), allKinds)
	}
	waitFor(t, "2 runs in flight", func() bool { return active.Load() == 2 })
	clk.advance(s, 5*time.Second)
	st := s.Stats()
	if st.InFlight != 2 || st.Queued != 3 || st.Integrations != 5 {
		t.Errorf("stats = %+v, want 2 in flight, 3 queued, 5 integrations", st)
	}
	if st.MaxLag != 5*time.Second {
		t.Errorf("max lag = %s, want 5s (the queued runs' wait so far)", st.MaxLag)
	}
	close(release)
	waitFor(t, "every integration's first run", func() bool {
		for _, id := range ids {
			if len(rec.of(id, KindNew)) == 0 || s.Running(id) {
				return false
			}
		}
		return true
	})
	if m := most.Load(); m != 2 {
		t.Errorf("%d runs at once, want 2", m)
	}
	if st := s.Stats(); st.Queued != 0 || st.InFlight != 0 || st.MaxLag != 5*time.Second {
		t.Errorf("stats after = %+v, want nothing queued or in flight, max lag 5s", st)
	}
}

func TestRetryAfterHold(t *testing.T) {
	const wait = 30 * time.Second
	var limited atomic.Bool
	limited.Store(true)
	s, rec, clk := newTest(t, func(ctx context.Context, job Job) error {
		if job.IntegrationID == "a" && limited.Swap(false) {
			return sdk.RetryAfter(wait, errors.New("429 too many requests"))
		}
		return nil
	}, Options{})
	sc := sched(10*time.Second, 10*time.Second, 10*time.Second)
	s.Set("a", sc, allKinds)
	rec.waitRuns(t, "a", KindNew, 1)
	waitFor(t, "the limited run to end", func() bool { return !s.Running("a") })
	if until, ok := s.HeldUntil("a"); !ok || !until.Equal(t0.Add(wait)) {
		t.Fatalf("held until %s, %v; want %s", until, ok, t0.Add(wait))
	}
	s.Set("b", sc, allKinds) // b's first new run is at t0 too
	rec.waitRuns(t, "b", KindNew, 1)

	if err := s.Trigger("a", KindLostFound); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		// Every kind of a is due at 10s and 20s; b runs, a waits.
		settle(t, s)
		clk.advance(s, 10*time.Second)
		rec.waitRuns(t, "b", KindLostFound, i)
		assertNoRun(t, s, rec, "a", 1)
	}
	if st := s.Stats(); st.Held != 1 {
		t.Errorf("stats held = %d, want 1", st.Held)
	}

	settle(t, s)
	clk.advance(s, 10*time.Second) // the hold ends
	runs := rec.waitRuns(t, "a", "", 4)
	settle(t, s)
	for _, r := range runs[1:] {
		if !r.at.Equal(t0.Add(wait)) {
			t.Errorf("%s run at %s, want at the hold's end %s", r.Kind, r.at, t0.Add(wait))
		}
		if r.Manual != (r.Kind == KindLostFound) {
			t.Errorf("%s run manual = %v", r.Kind, r.Manual)
		}
	}
	if _, ok := s.HeldUntil("a"); ok {
		t.Errorf("still held after the hold's end")
	}
	if lag := s.Stats().MaxLag; lag != 0 {
		t.Errorf("max lag = %s, want 0: a vendor's wait is not lag", lag)
	}

	t.Run("Hold holds only its integration", func(t *testing.T) {
		waitFor(t, "idle", func() bool { return !s.Running("a") && !s.Running("b") })
		s.Hold("b", clk.Now().Add(time.Minute))
		beforeB := len(rec.of("b", ""))
		beforeA := len(rec.of("a", KindNew))
		clk.advance(s, 10*time.Second)
		rec.waitRuns(t, "a", KindNew, beforeA+1)
		assertNoRun(t, s, rec, "b", beforeB)
	})
}

func TestBackoff(t *testing.T) {
	const interval = 10 * time.Second
	var failures atomic.Int32
	failures.Store(4)
	s, rec, clk := newTest(t, func(ctx context.Context, job Job) error {
		if failures.Add(-1) >= 0 {
			return errors.New("vendor answered garbage")
		}
		return nil
	}, Options{MaxBackoff: time.Minute})
	s.Set("a", sched(interval, time.Hour, time.Hour), []Kind{KindNew})

	// Runs at 0 (fails), +20s (fails), +40s (fails), +60s capped (fails),
	// +60s (succeeds), then back to every 10s.
	waits := []time.Duration{20 * time.Second, 40 * time.Second, time.Minute, time.Minute, interval, interval}
	at := t0
	for i, w := range waits {
		rec.waitRuns(t, "a", KindNew, i+1)
		waitFor(t, "the run to end", func() bool { return !s.Running("a") })
		s.mu.Lock()
		next := s.entries["a"].kinds[KindNew].next
		s.mu.Unlock()
		at = at.Add(w)
		if !next.Equal(at) {
			t.Fatalf("after run %d next run at +%s, want +%s", i+1, next.Sub(t0), at.Sub(t0))
		}
		clk.advance(s, w)
	}
	if got := rec.waitRuns(t, "a", KindNew, len(waits)+1); !got[len(waits)].at.Equal(at) {
		t.Errorf("last run at +%s, want +%s", got[len(waits)].at.Sub(t0), at.Sub(t0))
	}

	t.Run("backoff never below the interval", func(t *testing.T) {
		if got := s.backoff(6*time.Hour, 3); got != 6*time.Hour {
			t.Errorf("backoff of a 6h interval = %s, want 6h", got)
		}
	})
}

func TestRemove(t *testing.T) {
	release := make(chan struct{})
	s, rec, clk := newTest(t, func(ctx context.Context, job Job) error {
		if job.IntegrationID == "a" {
			<-release
		}
		return nil
	}, Options{})
	sc := sched(10*time.Second, 10*time.Second, 10*time.Second)
	s.Set("a", sc, allKinds)
	s.Set("b", sc, allKinds)
	rec.waitRuns(t, "a", KindNew, 1)
	if !s.Running("a") {
		t.Fatal("Running = false during a run")
	}

	s.Remove("a")
	if !s.Running("a") {
		t.Error("Running = false for the run left to finish after Remove")
	}
	if err := s.Trigger("a", KindNew); !errors.Is(err, ErrUnknown) {
		t.Errorf("Trigger after Remove = %v, want ErrUnknown", err)
	}
	close(release)
	waitFor(t, "the run to finish", func() bool { return !s.Running("a") })

	clk.advance(s, 10*time.Second)
	rec.waitRuns(t, "b", KindLostFound, 1)
	assertNoRun(t, s, rec, "a", 1)
	if st := s.Stats(); st.Integrations != 1 {
		t.Errorf("stats integrations = %d, want 1", st.Integrations)
	}

	t.Run("set again resumes", func(t *testing.T) {
		s.Set("a", sc, allKinds)
		runs := rec.waitRuns(t, "a", KindNew, 2)
		if !runs[1].at.Equal(clk.Now()) {
			t.Errorf("resumed run at %s, want at once", runs[1].at)
		}
	})
}

func TestRemoveThenSetDuringRun(t *testing.T) {
	release := make(chan struct{})
	s, rec, _ := newTest(t, func(ctx context.Context, job Job) error {
		if !job.Manual {
			<-release
		}
		return nil
	}, Options{})
	sc := sched(time.Hour, time.Hour, time.Hour)
	s.Set("a", sc, allKinds)
	rec.waitRuns(t, "a", KindNew, 1)
	s.Remove("a")
	s.Set("a", sc, allKinds) // resumed while the old run is in flight
	if err := s.Trigger("a", KindNew); err != nil {
		t.Fatal(err)
	}
	close(release)
	runs := rec.waitRuns(t, "a", KindNew, 2)
	waitFor(t, "idle", func() bool { return !s.Running("a") })
	if n := len(rec.of("a", KindNew)); n != 2 || !runs[1].Manual {
		t.Errorf("new runs = %+v, want the old one then one manual after it", rec.of("a", KindNew))
	}
}

func TestTriggerErrors(t *testing.T) {
	s, _, _ := newTest(t, nil, Options{})
	s.Set("poll", sched(time.Hour, time.Hour, time.Hour), []Kind{KindNew})
	s.Set("slack", Schedule{}, nil)

	tests := []struct {
		name string
		id   string
		kind Kind
		want error
	}{
		{"unknown integration", "nope", KindNew, ErrUnknown},
		{"kind not a capability", "poll", KindFallback, ErrNotScheduled},
		{"communication plugin", "slack", KindNew, ErrNotScheduled},
		{"not a kind", "poll", Kind("everything"), ErrNotScheduled},
		{"ok", "poll", KindNew, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Trigger(tt.id, tt.kind); !errors.Is(err, tt.want) {
				t.Errorf("Trigger(%s, %s) = %v, want %v", tt.id, tt.kind, err, tt.want)
			}
		})
	}

	s.Stop()
	if err := s.Trigger("poll", KindNew); !errors.Is(err, ErrStopped) {
		t.Errorf("Trigger after Stop = %v, want ErrStopped", err)
	}
}

func TestSetUpdatesCapabilities(t *testing.T) {
	s, rec, clk := newTest(t, nil, Options{})
	s.Set("a", sched(10*time.Second, time.Hour, time.Hour), allKinds)
	rec.waitRuns(t, "a", KindNew, 1)
	s.Set("a", sched(10*time.Second, time.Hour, time.Hour), []Kind{KindNew, "bogus"})
	if err := s.Trigger("a", KindLostFound); !errors.Is(err, ErrNotScheduled) {
		t.Errorf("Trigger of a dropped kind = %v, want ErrNotScheduled", err)
	}
	// A shorter interval takes effect at once, not after the old one.
	s.Set("a", sched(time.Second, time.Hour, time.Hour), []Kind{KindNew})
	clk.advance(s, time.Second)
	rec.waitRuns(t, "a", KindNew, 2)
}

func TestStop(t *testing.T) {
	t.Run("cancels in-flight runs", func(t *testing.T) {
		got := make(chan error, 1)
		s, rec, _ := newTest(t, func(ctx context.Context, job Job) error {
			<-ctx.Done()
			got <- ctx.Err()
			return ctx.Err()
		}, Options{})
		s.Set("a", sched(time.Hour, time.Hour, time.Hour), allKinds)
		rec.waitRuns(t, "a", KindNew, 1)
		s.Stop()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Errorf("run ctx ended with %v, want canceled", err)
		}
		if s.Running("a") || s.Stats().InFlight != 0 {
			t.Error("a run still in flight after Stop")
		}
	})

	t.Run("start context ends the loop", func(t *testing.T) {
		rec := &recorder{now: time.Now, fn: func(ctx context.Context, job Job) error {
			<-ctx.Done()
			return ctx.Err()
		}}
		s := New(Options{Runner: rec, Jitter: -1})
		ctx, cancel := context.WithCancel(context.Background())
		s.Start(ctx)
		s.Set("a", sched(time.Hour, time.Hour, time.Hour), allKinds)
		rec.waitRuns(t, "a", KindNew, 1)
		cancel()
		waitFor(t, "the run to see the cancellation", func() bool { return !s.Running("a") })
		if err := s.Trigger("a", KindNew); !errors.Is(err, ErrStopped) {
			t.Errorf("Trigger after the context ended = %v, want ErrStopped", err)
		}
		s.Stop()
	})
}

func TestRunDeadline(t *testing.T) {
	got := make(chan error, 1)
	s, rec, _ := newTest(t, func(ctx context.Context, job Job) error {
		if _, ok := ctx.Deadline(); !ok {
			got <- errors.New("no deadline")
			return nil
		}
		<-ctx.Done()
		got <- ctx.Err()
		return ctx.Err()
	}, Options{RunTimeout: 20 * time.Millisecond})
	s.Set("a", sched(time.Hour, time.Hour, time.Hour), []Kind{KindNew})
	rec.waitRuns(t, "a", KindNew, 1)
	if err := <-got; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run ctx ended with %v, want deadline exceeded", err)
	}
	// A run past its deadline is a failure of its own, backed off.
	waitFor(t, "the failure to count", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.entries["a"].kinds[KindNew].failures == 1
	})
}

func TestRunnerPanic(t *testing.T) {
	s, rec, clk := newTest(t, func(ctx context.Context, job Job) error {
		if !job.Manual {
			panic("boom")
		}
		return nil
	}, Options{})
	s.Set("a", sched(time.Hour, time.Hour, time.Hour), []Kind{KindNew})
	rec.waitRuns(t, "a", KindNew, 1)
	waitFor(t, "the panic to count as a failure", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.entries["a"].kinds[KindNew].failures == 1
	})
	clk.advance(s, time.Second)
	if err := s.Trigger("a", KindNew); err != nil {
		t.Fatal(err)
	}
	rec.waitRuns(t, "a", KindNew, 2)
}

// TestStress runs many integrations on real, millisecond timers under -race:
// the global limit and one-run-per-kind hold throughout.
func TestStress(t *testing.T) {
	const limit = 3
	var mu sync.Mutex
	active := map[string]int{}
	total, most, perKind := 0, 0, 0
	rec := &recorder{now: time.Now, fn: func(ctx context.Context, job Job) error {
		key := job.IntegrationID + "/" + string(job.Kind)
		mu.Lock()
		active[key]++
		total++
		most = max(most, total)
		perKind = max(perKind, active[key])
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		active[key]--
		total--
		mu.Unlock()
		if job.Kind == KindFallback {
			return errors.New("fallback api not licensed")
		}
		return nil
	}}
	s := New(Options{Runner: rec, MaxConcurrent: limit})
	s.Start(context.Background())
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, id := range ids {
		s.Set(id, sched(2*time.Millisecond, 3*time.Millisecond, 4*time.Millisecond), allKinds)
	}
	for _, id := range ids {
		rec.waitRuns(t, id, KindLostFound, 3)
		_ = s.Trigger(id, KindNew)
		_ = s.Stats()
	}
	s.Remove("a")
	s.Stop()
	mu.Lock()
	defer mu.Unlock()
	if most > limit || perKind != 1 {
		t.Errorf("at most %d runs at once (limit %d), %d of one kind (want 1)", most, limit, perKind)
	}
}
