package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// Store is the storage the service works on.
type Store = store.Store

// Scheduler is what the service needs of the query scheduler;
// *scheduler.Scheduler implements it.
type Scheduler interface {
	// Set adds or updates an enabled integration.
	Set(id string, sched scheduler.Schedule, kinds []scheduler.Kind)
	// Remove stops scheduling an integration (disable, pause, delete).
	Remove(id string)
	// Trigger asks for a run now; an error when id is not set.
	Trigger(id string, kind scheduler.Kind) error
	// Running reports whether a query of id is running now.
	Running(id string) bool
}

var _ Scheduler = (*scheduler.Scheduler)(nil)

// DefaultTestTimeout is the deadline of a Test call (DESIGN.md).
const DefaultTestTimeout = 30 * time.Second

// Options configures a Service.
type Options struct {
	Store     Store
	Plugins   Plugins
	Scheduler Scheduler
	Logger    hclog.Logger
	// TestTimeout caps a plugin's Test call; 0 means DefaultTestTimeout.
	TestTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the business logic of the host. Its methods are safe for
// concurrent use.
type Service struct {
	store       Store
	plugins     Plugins
	sched       Scheduler
	log         hclog.Logger
	testTimeout time.Duration
	now         func() time.Time
}

// New returns a Service over opts' store, plugins and scheduler.
func New(opts Options) *Service {
	s := &Service{
		store:       opts.Store,
		plugins:     opts.Plugins,
		sched:       opts.Scheduler,
		log:         opts.Logger,
		testTimeout: opts.TestTimeout,
		now:         opts.Now,
	}
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	if s.testTimeout <= 0 {
		s.testTimeout = DefaultTestTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Start (re)loads every enabled integration into the scheduler; the host
// calls it once the store is open and the plugin directory was scanned.
func (s *Service) Start(ctx context.Context) error {
	return s.reload(ctx)
}

// reload sets every ACTIVE integration whose plugin is ready and removes
// those whose plugin is gone or failed, so that a rescan that loses a plugin
// stops its runs instead of failing them on schedule.
func (s *Service) reload(ctx context.Context) error {
	all, err := s.store.AllIntegrations(ctx)
	if err != nil {
		return fmt.Errorf("loading integrations: %w", err)
	}
	set := 0
	for i := range all {
		in := &all[i]
		if in.Status != store.StatusActive {
			continue
		}
		info, ok := s.plugins.Get(in.Type)
		if !ok || !ready(info) {
			s.sched.Remove(in.ID)
			s.log.Warn("plugin not ready: integration not scheduled",
				"integration_id", in.ID, "type", in.Type)
			continue
		}
		s.schedule(in, info)
		set++
	}
	s.log.Info("integrations loaded", "scheduled", set, "total", len(all))
	return nil
}

// schedule hands an enabled integration to the scheduler; a plugin without
// query kinds (communication) has nothing to schedule.
func (s *Service) schedule(in *store.Integration, info PluginInfo) {
	kinds := QueryKinds(info.Capabilities)
	if len(kinds) == 0 {
		s.sched.Remove(in.ID)
		return
	}
	s.sched.Set(in.ID, SchedulerSchedule(in.Schedule), kinds)
}

// QueryKinds returns the query kinds a plugin's capabilities give it.
func QueryKinds(caps []sdk.Capability) []scheduler.Kind {
	kinds := []scheduler.Kind{}
	for _, c := range caps {
		switch c {
		case sdk.CapabilityPoll:
			kinds = append(kinds, scheduler.KindNew)
		case sdk.CapabilityLostFound:
			kinds = append(kinds, scheduler.KindLostFound)
		case sdk.CapabilityFallback:
			kinds = append(kinds, scheduler.KindFallback)
		}
	}
	return kinds
}

func hasCapability(caps []sdk.Capability, c sdk.Capability) bool {
	for _, x := range caps {
		if x == c {
			return true
		}
	}
	return false
}

// SchedulerSchedule converts an integration's schedule in seconds to the
// scheduler's; the initial lookback is the ingest runner's, not the
// scheduler's, concern.
func SchedulerSchedule(s sdk.Schedule) scheduler.Schedule {
	sec := func(n int64) time.Duration { return time.Duration(n) * time.Second }
	return scheduler.Schedule{
		NewInterval:       sec(s.NewIntervalS),
		LostFoundInterval: sec(s.LostFoundIntervalS),
		LostFoundLookback: sec(s.LostFoundLookbackS),
		FallbackInterval:  sec(s.FallbackIntervalS),
		FallbackLookback:  sec(s.FallbackLookbackS),
	}
}

// storeError turns the store's not-found and exists errors into the
// service's; anything else is internal and keeps its cause.
func storeError(err error, what, id string) error {
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return err
	case errors.Is(err, store.ErrNotFound):
		return NotFound(what, id)
	case errors.Is(err, store.ErrExists):
		return &Error{Kind: ErrAlreadyExists, Message: what + " already exists", Err: err}
	}
	return fmt.Errorf("%s %q: %w", what, id, err)
}

// pageError is the error of a list call: a `to` that names no item of the
// list is the client's mistake.
func pageError(err error, p store.Page) error {
	switch {
	case p.ToID != "" && (errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid)):
		return InvalidField("to", "to %q is not an item of this list", p.ToID)
	case errors.Is(err, store.ErrInvalid):
		return &Error{Kind: ErrInvalidArgument, Message: "invalid list request", Err: err}
	}
	return fmt.Errorf("listing: %w", err)
}

// addLog writes one activity-log entry; see the package Caveats for why a
// failure here does not fail the action.
func (s *Service) addLog(ctx context.Context, integrationID, level, kind, actor, msg string) {
	err := s.store.AddLog(ctx, integrationID, store.LogEntry{
		Time: s.now().UTC(), Level: level, Kind: kind, Actor: actor, Message: msg,
	})
	if err != nil {
		s.log.Error("writing activity log", "integration_id", integrationID, "error", err)
	}
}
