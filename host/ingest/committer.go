package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// committer groups stream messages into store transactions. It is called
// from one goroutine, the stream's.
type committer struct {
	r    *Runner
	ctx  context.Context
	in   *store.Integration
	kind scheduler.Kind
	run  *store.Run

	events  []sdk.Event
	cursor  *string
	pending bool
	since   time.Time
}

var _ sdk.Stream = (*committer)(nil)

// Send buffers one batch and commits when the buffer is full or has waited
// long enough. An error stops the stream.
func (c *committer) Send(b sdk.Batch) error {
	c.run.Fetched += len(b.Events)
	if !c.pending {
		c.since = time.Now()
	}
	c.pending = true
	c.events = append(c.events, b.Events...)
	if b.Cursor != "" && c.kind == scheduler.KindNew {
		cur := b.Cursor
		c.cursor = &cur
	}
	if len(c.events) >= c.r.opts.MaxEvents || time.Since(c.since) >= c.r.opts.FlushEvery {
		return c.flush()
	}
	return nil
}

// flush commits what is buffered, events and cursor in one transaction.
func (c *committer) flush() error {
	if !c.pending {
		return nil
	}
	// A commit must not be cut short by the run's deadline once the batch
	// is here: it is local and quick, and abandoning it only re-fetches.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), time.Minute)
	defer cancel()
	res, err := c.r.opts.Store.Commit(ctx, store.CommitRequest{
		IntegrationID: c.in.ID,
		CustomerID:    c.in.CustomerID,
		Origin:        c.in.Type,
		Kind:          string(c.kind),
		Cursor:        c.cursor,
		Events:        c.events,
		Now:           c.r.opts.Now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("committing %d events: %w", len(c.events), err)
	}
	c.run.Stored += res.Stored
	c.run.Duplicates += res.Duplicates
	c.run.Updated += res.Updated
	if c.r.opts.OnCommit != nil {
		c.r.opts.OnCommit(c.in, c.kind, res)
	}
	c.events, c.cursor, c.pending = c.events[:0], nil, false
	return nil
}
