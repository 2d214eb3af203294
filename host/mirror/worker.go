package mirror

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/host/ingest"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// Store is what the worker needs of storage.
type Store interface {
	NextMirrorDue(ctx context.Context, limit int) ([]store.MirrorItem, error)
	MarkMirror(ctx context.Context, id string, mk store.MirrorMark) error
	GetIntegration(ctx context.Context, id string) (*store.Integration, error)
	AddLog(ctx context.Context, integrationID string, e store.LogEntry) error
}

// Defaults of Options.
const (
	DefaultPoll        = time.Second
	DefaultMaxAttempts = 10
	DefaultBaseBackoff = 2 * time.Second
	DefaultMaxBackoff  = 10 * time.Minute
	DefaultCallTimeout = 30 * time.Second
	batchSize          = 500
)

// Options configure a Worker.
type Options struct {
	Store Store
	// Connector returns the plugin for an integration type.
	Connector   func(pluginName string) (sdk.Connector, error)
	Logger      hclog.Logger
	Poll        time.Duration
	MaxAttempts int
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	CallTimeout time.Duration
	Now         func() time.Time
}

// Worker delivers the outbox.
type Worker struct {
	o    Options
	log  hclog.Logger
	kick chan struct{}
}

// New returns a Worker; Run starts it.
func New(o Options) *Worker {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = DefaultBaseBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return &Worker{o: o, log: o.Logger.Named("mirror"), kick: make(chan struct{}, 1)}
}

// Kick wakes the worker now, e.g. after a change was queued.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	for {
		wait := w.pass(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// pass delivers every due item it may and returns how long to sleep.
func (w *Worker) pass(ctx context.Context) time.Duration {
	items, err := w.o.Store.NextMirrorDue(ctx, batchSize)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("reading the mirror outbox", "error", err)
		}
		return w.o.Poll
	}
	// Deliver the oldest pending change of each case only: ids are
	// time-ordered, so this keeps a case's changes in order.
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	seen := map[string]bool{}
	now := w.o.Now()
	next := w.o.Poll
	for _, it := range items {
		key := it.CaseID
		if key == "" {
			key = "notify:" + it.ID
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if d := it.NextAt.Sub(now); d > 0 {
			if d < next {
				next = d
			}
			continue
		}
		if ctx.Err() != nil {
			return 0
		}
		w.deliver(ctx, it)
	}
	if len(items) == batchSize {
		return 0
	}
	return next
}

func (w *Worker) deliver(ctx context.Context, it store.MirrorItem) {
	log := w.log.With("mirror_id", it.ID, "case_id", it.CaseID, "integration_id", it.IntegrationID, "kind", string(it.Change.Kind))
	attempts := it.Attempts + 1
	in, err := w.o.Store.GetIntegration(ctx, it.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		w.mark(ctx, log, it, store.MirrorMark{State: store.MirrorFailed, Attempts: attempts, Error: "integration was deleted"})
		return
	}
	if err != nil {
		log.Error("loading integration", "error", err)
		return
	}
	applied, err := w.call(ctx, in, it)
	switch {
	case err == nil:
		log.Debug("change delivered", "applied", applied, "attempts", attempts)
		w.mark(ctx, log, it, store.MirrorMark{State: store.MirrorDelivered, Attempts: attempts})
		return
	case ctx.Err() != nil:
		return // shutting down: the item stays pending as it was
	}
	var ns *sdk.NotSupportedError
	permanent := errors.As(err, &ns)
	if permanent || attempts >= w.o.MaxAttempts {
		w.mark(ctx, log, it, store.MirrorMark{State: store.MirrorFailed, Attempts: attempts, Error: err.Error()})
		w.activity(ctx, in.ID, store.LevelError, fmt.Sprintf("mirroring %s of case %s failed for good after %d attempts: %v", it.Change.Kind, it.CaseID, attempts, err))
		return
	}
	wait, limited := sdk.RetryWait(err)
	if !limited {
		wait = w.backoff(attempts)
	}
	log.Warn("mirror delivery failed, will retry", "attempts", attempts, "retry_in", wait, "error", err)
	if attempts == 1 || sdk.IsCredentialError(err) {
		w.activity(ctx, in.ID, store.LevelWarning, fmt.Sprintf("mirroring %s of case %s failed, retrying in %s: %v", it.Change.Kind, it.CaseID, wait.Round(time.Second), err))
	}
	w.mark(ctx, log, it, store.MirrorMark{State: store.MirrorPending, Attempts: attempts, NextAt: w.o.Now().Add(wait), Error: err.Error()})
}

func (w *Worker) call(ctx context.Context, in *store.Integration, it store.MirrorItem) (bool, error) {
	conn, err := w.o.Connector(in.Type)
	if err != nil {
		return false, fmt.Errorf("plugin %s: %w", in.Type, err)
	}
	m, ok := conn.(sdk.ConnectorWithMirror)
	if !ok {
		return false, sdk.NotSupported("mirror")
	}
	cctx, cancel := context.WithTimeout(ctx, w.o.CallTimeout)
	defer cancel()
	resp, err := m.Mirror(cctx, sdk.MirrorRequest{
		Integration: sdk.Integration{ID: in.ID, Config: ingest.PluginConfig(in)},
		Change:      it.Change,
	})
	if err != nil {
		return false, err
	}
	return resp.Applied, nil
}

// backoff is exponential from BaseBackoff, capped at MaxBackoff.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.o.BaseBackoff
	for i := 1; i < attempts && d < w.o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.o.MaxBackoff)
}

func (w *Worker) mark(ctx context.Context, log hclog.Logger, it store.MirrorItem, mk store.MirrorMark) {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.o.Store.MarkMirror(mctx, it.ID, mk); err != nil {
		log.Error("recording mirror delivery", "state", mk.State, "error", err)
	}
}

func (w *Worker) activity(ctx context.Context, integrationID, level, msg string) {
	if err := w.o.Store.AddLog(context.WithoutCancel(ctx), integrationID, store.LogEntry{
		Time: w.o.Now().UTC(), Level: level, Kind: store.LogQuery, Actor: "mirror", Message: msg,
	}); err != nil {
		w.log.Error("writing activity log", "error", err)
	}
}
