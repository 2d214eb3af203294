package ingest

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

// Defaults of Options.
const (
	DefaultMaxEvents       = 1000
	DefaultFlushEvery      = 50 * time.Millisecond
	DefaultInitialLookback = 24 * time.Hour
)

// Options configure a Runner.
type Options struct {
	Store store.Store
	// Connector returns the plugin for an integration type.
	Connector func(pluginName string) (sdk.Connector, error)
	Logger    hclog.Logger
	// MaxEvents and FlushEvery bound one store transaction.
	MaxEvents  int
	FlushEvery time.Duration
	// OnCommit, when set, is called after each successful commit (for
	// automations and metrics). It must not block.
	OnCommit func(in *store.Integration, kind scheduler.Kind, res store.CommitResult)
	// OnRun, when set, is called after each run is recorded.
	OnRun func(in *store.Integration, run store.Run)
	Now   func() time.Time
}

// Runner runs query jobs for the scheduler.
type Runner struct {
	opts Options
	log  hclog.Logger
}

var _ scheduler.Runner = (*Runner)(nil)

// New returns a Runner.
func New(opts Options) *Runner {
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	return &Runner{opts: opts, log: opts.Logger.Named("ingest")}
}

// PluginConfig joins an integration's config and secrets into what the
// plugin receives.
func PluginConfig(in *store.Integration) sdk.Config {
	cfg := sdk.Config{}
	for k, v := range in.Config {
		cfg[k] = v
	}
	for k, v := range in.Secrets {
		cfg[k] = v
	}
	return cfg
}

// Run performs one job and records it.
func (r *Runner) Run(ctx context.Context, job scheduler.Job) error {
	in, err := r.opts.Store.GetIntegration(ctx, job.IntegrationID)
	if err != nil {
		return fmt.Errorf("loading integration: %w", err)
	}
	log := r.log.With("integration_id", in.ID, "type", in.Type, "kind", string(job.Kind))
	run := store.Run{Kind: string(job.Kind), StartedAt: r.opts.Now().UTC()}
	c := &committer{r: r, ctx: ctx, in: in, kind: job.Kind, run: &run}

	err = r.query(ctx, in, job, c)
	if ferr := c.flush(); ferr != nil && err == nil {
		err = ferr
	}
	run.FinishedAt = r.opts.Now().UTC()
	if err != nil {
		run.Error = err.Error()
	}
	log.Debug("run finished", "fetched", run.Fetched, "stored", run.Stored,
		"duplicates", run.Duplicates, "updated", run.Updated, "duration", run.FinishedAt.Sub(run.StartedAt), "error", run.Error)
	// Record the run even when the caller's context has ended (shutdown):
	// what was committed must show in the run history.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if aerr := r.opts.Store.AddRun(rec, in.ID, run); aerr != nil {
		log.Error("recording run", "error", aerr)
	}
	r.finish(rec, in, job, run, err, log)
	if r.opts.OnRun != nil {
		r.opts.OnRun(in, run)
	}
	return err
}

func (r *Runner) query(ctx context.Context, in *store.Integration, job scheduler.Job, out sdk.Stream) error {
	conn, err := r.opts.Connector(in.Type)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", in.Type, err)
	}
	integ := sdk.Integration{ID: in.ID, Config: PluginConfig(in)}
	switch job.Kind {
	case scheduler.KindNew:
		p, ok := conn.(sdk.ConnectorWithPoll)
		if !ok {
			return sdk.NotSupported("poll")
		}
		cursor, err := r.opts.Store.Cursor(ctx, in.ID)
		if err != nil {
			return fmt.Errorf("reading cursor: %w", err)
		}
		req := sdk.PollRequest{Integration: integ, Cursor: cursor}
		if cursor == "" {
			back := time.Duration(in.Schedule.InitialLookbackS) * time.Second
			if back <= 0 {
				back = DefaultInitialLookback
			}
			req.StartTime = r.opts.Now().UTC().Add(-back)
		}
		return p.Poll(ctx, req, out)
	case scheduler.KindLostFound:
		l, ok := conn.(sdk.ConnectorWithLostFound)
		if !ok {
			return sdk.NotSupported("lost_found")
		}
		return l.LostFound(ctx, sdk.WindowRequest{Integration: integ, From: job.From, To: job.To}, out)
	case scheduler.KindFallback:
		f, ok := conn.(sdk.ConnectorWithFallback)
		if !ok {
			return sdk.NotSupported("fallback")
		}
		return f.Fallback(ctx, sdk.WindowRequest{Integration: integ, From: job.From, To: job.To}, out)
	}
	return fmt.Errorf("unknown query kind %q", job.Kind)
}

// finish updates the integration after a run and writes query errors and
// warnings to its activity log.
func (r *Runner) finish(ctx context.Context, in *store.Integration, job scheduler.Job, run store.Run, runErr error, log hclog.Logger) {
	now := run.FinishedAt
	cancelled := runErr != nil && errors.Is(runErr, context.Canceled)
	var entry *store.LogEntry
	_, err := r.opts.Store.UpdateIntegration(ctx, in.ID, func(cur *store.Integration) error {
		cur.LastRunAt = now
		switch {
		case runErr == nil:
			cur.LastSuccessAt = now
			cur.LastError = ""
		case cancelled:
			// Shutdown or removal: not the vendor's fault.
		default:
			cur.LastError = runErr.Error()
		}
		if wait, ok := sdk.RetryWait(runErr); ok {
			cur.HoldUntil = now.Add(wait)
			entry = &store.LogEntry{Level: store.LevelWarning, Kind: store.LogQuery, Actor: "scheduler",
				Message: fmt.Sprintf("%s query: vendor rate limit, next run held for %s: %v", job.Kind, wait.Round(time.Second), runErr)}
		} else if sdk.IsCredentialError(runErr) {
			cur.Health = store.HealthUnhealthy
			cur.HealthMessage = runErr.Error()
			entry = &store.LogEntry{Level: store.LevelError, Kind: store.LogQuery, Actor: "scheduler",
				Message: fmt.Sprintf("%s query failed on credentials: %v", job.Kind, runErr)}
		} else if runErr != nil && !cancelled {
			entry = &store.LogEntry{Level: store.LevelError, Kind: store.LogQuery, Actor: "scheduler",
				Message: fmt.Sprintf("%s query failed after %d events stored: %v", job.Kind, run.Stored, runErr)}
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			log.Error("updating integration after run", "error", err)
		}
		return
	}
	if entry != nil {
		entry.Time = now
		if wait, ok := sdk.RetryWait(runErr); ok {
			log.Warn("vendor rate limit, holding integration", "wait", wait)
		} else {
			log.Warn("query failed", "error", runErr)
		}
		if err := r.opts.Store.AddLog(ctx, in.ID, *entry); err != nil {
			log.Error("writing activity log", "error", err)
		}
	}
}
