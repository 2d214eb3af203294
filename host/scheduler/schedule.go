package scheduler

import (
	"context"
	"time"
)

// Kind is a query kind. The same three words name runs, metrics labels and
// sync requests everywhere.
type Kind string

// The query kinds.
const (
	KindNew       Kind = "new"
	KindLostFound Kind = "lost_found"
	KindFallback  Kind = "fallback"
)

// kindOrder lists the query kinds in their usual order, for stable logs.
var kindOrder = []Kind{KindNew, KindLostFound, KindFallback}

// Valid reports whether k is one of the query kinds.
func (k Kind) Valid() bool {
	return k == KindNew || k == KindLostFound || k == KindFallback
}

// Schedule is an integration's timing. A zero or negative field takes its
// value from DefaultSchedule, so that a half-filled schedule never makes the
// scheduler spin.
type Schedule struct {
	NewInterval       time.Duration
	LostFoundInterval time.Duration
	LostFoundLookback time.Duration
	FallbackInterval  time.Duration
	FallbackLookback  time.Duration
}

// DefaultSchedule returns the defaults of the REST API's schedule fields.
func DefaultSchedule() Schedule {
	return Schedule{
		NewInterval:       60 * time.Second,
		LostFoundInterval: 15 * time.Minute,
		LostFoundLookback: time.Hour,
		FallbackInterval:  6 * time.Hour,
		FallbackLookback:  24 * time.Hour,
	}
}

func (s Schedule) withDefaults() Schedule {
	d := DefaultSchedule()
	orDefault := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	orDefault(&s.NewInterval, d.NewInterval)
	orDefault(&s.LostFoundInterval, d.LostFoundInterval)
	orDefault(&s.LostFoundLookback, d.LostFoundLookback)
	orDefault(&s.FallbackInterval, d.FallbackInterval)
	orDefault(&s.FallbackLookback, d.FallbackLookback)
	return s
}

func (s Schedule) interval(k Kind) time.Duration {
	switch k {
	case KindLostFound:
		return s.LostFoundInterval
	case KindFallback:
		return s.FallbackInterval
	default:
		return s.NewInterval
	}
}

// lookback is zero for KindNew: the cursor, not a window, bounds a poll.
func (s Schedule) lookback(k Kind) time.Duration {
	switch k {
	case KindLostFound:
		return s.LostFoundLookback
	case KindFallback:
		return s.FallbackLookback
	default:
		return 0
	}
}

// Job is one query run to make.
type Job struct {
	IntegrationID string
	Kind          Kind
	// From and To bound the window of a lost-found or fallback run,
	// [start-lookback, start); both are zero for a new run.
	From, To time.Time
	// Manual is set for a run asked for with Trigger.
	Manual bool
}

// Runner makes a query run. ctx carries the run's deadline and is cancelled
// when the scheduler stops; the returned error drives holds and backoff.
type Runner interface {
	Run(ctx context.Context, job Job) error
}

// RunnerFunc adapts a function to a Runner.
type RunnerFunc func(ctx context.Context, job Job) error

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, job Job) error { return f(ctx, job) }

var _ Runner = RunnerFunc(nil)
