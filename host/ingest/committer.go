package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// committer groups stream messages into store transactions. Send is called
// from one goroutine, the stream's; commits run on a second goroutine, one
// group at a time and in order, so that receiving the next batches from
// the plugin overlaps the fsync of the last group. At most one group waits
// behind the one being committed: memory stays bounded and a slow disk
// slows the plugin down instead of piling up events.
type committer struct {
	r    *Runner
	ctx  context.Context
	in   *store.Integration
	kind scheduler.Kind
	run  *store.Run

	events []sdk.Event
	cursor *string
	since  time.Time

	groups  chan group
	results chan result
	started bool
	err     error // the first commit error; once set, Send fails
}

type group struct {
	events []sdk.Event
	cursor *string
}

type result struct {
	res store.CommitResult
	err error
}

var _ sdk.Stream = (*committer)(nil)

// Send buffers one batch and hands a full group to the commit goroutine.
// An error (the first failed commit) stops the stream.
func (c *committer) Send(b sdk.Batch) error {
	if err := c.collect(false); err != nil {
		return err
	}
	c.run.Fetched += len(b.Events)
	if len(c.events) == 0 && c.cursor == nil {
		c.since = time.Now()
	}
	c.events = append(c.events, b.Events...)
	if b.Cursor != "" && c.kind == scheduler.KindNew {
		cur := b.Cursor
		c.cursor = &cur
	}
	if len(c.events) >= c.r.opts.MaxEvents || time.Since(c.since) >= c.r.opts.FlushEvery {
		return c.handOff()
	}
	return nil
}

// handOff queues the buffered group for commit, waiting while one group is
// already queued.
func (c *committer) handOff() error {
	if len(c.events) == 0 && c.cursor == nil {
		return nil
	}
	if !c.started {
		c.started = true
		c.groups = make(chan group, 1)
		c.results = make(chan result, 2)
		go c.commitLoop()
	}
	g := group{events: c.events, cursor: c.cursor}
	c.events, c.cursor = nil, nil
	for {
		select {
		case c.groups <- g:
			return nil
		case r := <-c.results:
			if err := c.absorb(r); err != nil {
				return err
			}
		}
	}
}

// flush commits what is buffered and waits for every queued group.
func (c *committer) flush() error {
	if c.err != nil {
		return c.err
	}
	if err := c.handOff(); err != nil {
		return err
	}
	return c.collect(true)
}

// collect takes the results that are ready (or, with wait, all of them and
// ends the commit goroutine).
func (c *committer) collect(wait bool) error {
	if !c.started {
		return c.err
	}
	if wait {
		close(c.groups)
		for r := range c.results {
			_ = c.absorb(r)
		}
		c.started = false
		return c.err
	}
	for {
		select {
		case r := <-c.results:
			if err := c.absorb(r); err != nil {
				return err
			}
		default:
			return c.err
		}
	}
}

func (c *committer) absorb(r result) error {
	if r.err != nil {
		if c.err == nil {
			c.err = r.err
		}
		return c.err
	}
	c.run.Stored += r.res.Stored
	c.run.Duplicates += r.res.Duplicates
	c.run.Updated += r.res.Updated
	return c.err
}

// commitLoop commits the groups in order; after a failure it commits no
// more (the cursor must not move past a group that was not stored) and
// drains the rest.
func (c *committer) commitLoop() {
	defer close(c.results)
	failed := false
	for g := range c.groups {
		if failed {
			continue
		}
		res, err := c.commit(g)
		if err != nil {
			failed = true
		}
		c.results <- result{res: res, err: err}
	}
}

// commit stores one group, events and cursor in one transaction.
func (c *committer) commit(g group) (store.CommitResult, error) {
	// A commit must not be cut short by the run's deadline once the batch
	// is here: it is local and quick, and abandoning it only re-fetches.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), time.Minute)
	defer cancel()
	res, err := c.r.opts.Store.Commit(ctx, store.CommitRequest{
		IntegrationID: c.in.ID,
		CustomerID:    c.in.CustomerID,
		Origin:        c.in.Type,
		Kind:          string(c.kind),
		Cursor:        g.cursor,
		Events:        g.events,
		Now:           c.r.opts.Now().UTC(),
	})
	if err != nil {
		return res, fmt.Errorf("committing %d events: %w", len(g.events), err)
	}
	if c.r.opts.OnCommit != nil {
		c.r.opts.OnCommit(c.in, c.kind, res)
	}
	return res, nil
}
