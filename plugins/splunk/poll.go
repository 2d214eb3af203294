package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/paging"
	"github.com/outpost-soc/outpost/sdk/window"
)

// Poll reads the notables indexed after the cursor, up to splunkd's clock
// minus the settle delay, in search jobs of at most c.chunk of _indextime
// each. Each results page is one batch with the cursor after it; a job
// that found nothing still moves the cursor to the end of its span.
func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, err := cursor.Decode(req.Cursor)
	if err != nil {
		return fmt.Errorf("splunk poll: %w", err)
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	from := req.StartTime
	if !cur.IsZero() {
		from = cur.Time // _index_earliest is inclusive: the cursor's second again
	}
	info, err := cl.serverInfo(ctx)
	if err != nil {
		return fmt.Errorf("splunk poll: reading splunkd's clock: %w", err)
	}
	end := info.now.Add(-c.settle).Truncate(time.Second)
	for _, r := range window.Split(ceilSecond(from), end, c.chunk) {
		if err := c.readIndexed(ctx, cl, r, &cur, true, out); err != nil {
			return err
		}
	}
	return nil
}

// LostFound re-reads the notables indexed in [req.From, req.To) through
// the same search jobs as Poll, to find those that became searchable after
// the cursor had passed their _indextime. Its batches carry no cursor.
func (c *Connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	for _, r := range window.Split(ceilSecond(req.From), ceilSecond(req.To), c.chunk) {
		var pos cursor.TimeID
		if err := c.readIndexed(ctx, cl, r, &pos, false, out); err != nil {
			return err
		}
	}
	return nil
}

// ceilSecond rounds t up to a whole second: _indextime has whole seconds,
// so an event at second s is in [from, to) exactly when s is in
// [ceil(from), ceil(to)).
func ceilSecond(t time.Time) time.Time {
	if t2 := t.Truncate(time.Second); !t2.Equal(t) {
		return t2.Add(time.Second)
	}
	return t
}

// readIndexed runs one search job over the notables with _indextime in
// [r.From, r.To) (whole seconds), sorted by (_indextime, event_id), and
// streams its results page by page. pos holds the position: events it has
// already handed over are skipped, and it advances with every event. With
// withCursor each batch carries pos, and the span's end once the job is
// read.
func (c *Connector) readIndexed(ctx context.Context, cl *client, r window.Range, pos *cursor.TimeID, withCursor bool, out sdk.Stream) error {
	a, b := r.From.Unix(), r.To.Unix()
	p := searchParams{
		spl: fmt.Sprintf("search index=%s _index_earliest=%d _index_latest=%d | sort 0 num(_indextime) str(event_id)",
			cl.index, a, b),
		// earliest_time and latest_time bound _time, which splunkd's
		// buckets are organised by; _time may lie before _indextime.
		earliest: r.From.Add(-c.maxLag),
		latest:   r.To.Add(c.maxLag),
	}
	sid, st, err := cl.startJob(ctx, p)
	if sid != "" {
		defer cl.deleteJob(ctx, sid)
	}
	if err != nil {
		return fmt.Errorf("splunk notables indexed in [%s, %s): %w", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), err)
	}
	sent := ""
	if withCursor {
		sent = pos.Encode()
	}
	send := func(evs []sdk.Event) error {
		batch := sdk.Batch{Events: evs}
		if withCursor {
			batch.Cursor = pos.Encode()
		}
		if len(evs) == 0 && batch.Cursor == sent {
			return nil
		}
		sent = batch.Cursor
		return out.Send(batch)
	}
	// A job's result count is fixed once it is done: more pages than it
	// needs means splunkd is not honouring offset.
	g := paging.Guard{MaxPages: st.ResultCount/c.pageSize + 2}
	// The results must come in _indextime order, each once: a page that
	// repeats or reorders results (a splunkd or proxy that ignores
	// offset) would otherwise end the job early, and the cursor would
	// move past results never read.
	var (
		last   time.Time
		atLast = map[string]bool{}
	)
	for offset := 0; ; {
		page, err := cl.results(ctx, sid, offset, c.pageSize)
		if err != nil {
			return err
		}
		evs := make([]sdk.Event, 0, len(page))
		for i := range page {
			n := &page[i]
			it, err := n.indexTime()
			if err != nil {
				return err
			}
			id := n.id()
			switch it.Compare(last) {
			case -1:
				return fmt.Errorf("splunk search %s returned results out of _indextime order (%s after %s)", sid, it.Format(time.RFC3339), last.Format(time.RFC3339))
			case 1:
				last = it
				clear(atLast)
			}
			if atLast[id] {
				return fmt.Errorf("splunk search %s returned %s twice at offset %d: its paging is broken", sid, id, offset)
			}
			atLast[id] = true
			if it.Unix() < a || it.Unix() >= b || !pos.After(it, id) {
				continue
			}
			ev, err := toEvent(n, cl.web)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
			pos.Advance(it, ev.OriginalID)
		}
		if err := send(evs); err != nil {
			return err
		}
		offset += len(page)
		next := ""
		if len(page) == c.pageSize && offset < st.ResultCount {
			next = strconv.Itoa(offset)
		}
		more, err := g.Next(next, len(page))
		if err != nil {
			return fmt.Errorf("splunk search %s: %w", sid, err)
		}
		if !more {
			break
		}
	}
	if withCursor {
		// Everything indexed before r.To that is searchable now was read.
		pos.AdvanceTo(r.To)
		return send(nil)
	}
	return nil
}

// Fallback reads the notables whose _time is in [req.From, req.To) through
// the export endpoint, a second API that streams a search's results
// without a job: it finds what the job searches missed, including a
// notable whose _indextime is wrong (an indexer with a skewed clock).
func (c *Connector) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	for _, r := range window.Split(req.From, req.To, c.chunk) {
		if err := c.export(ctx, cl, r, out); err != nil {
			return err
		}
	}
	return nil
}

func (c *Connector) export(ctx context.Context, cl *client, r window.Range, out sdk.Stream) error {
	p := searchParams{spl: "search index=" + cl.index, earliest: r.From, latest: r.To}
	seen := map[string]bool{}
	evs := make([]sdk.Event, 0, c.pageSize)
	err := cl.export(ctx, p, func(n notable) error {
		id := n.id()
		if seen[id] {
			return nil
		}
		if t := n.eventTime(); !t.IsZero() && !r.Contains(t) {
			return nil
		}
		ev, err := toEvent(&n, cl.web)
		if err != nil {
			return err
		}
		seen[id] = true
		evs = append(evs, ev)
		if len(evs) < c.pageSize {
			return nil
		}
		err = out.Send(sdk.Batch{Events: evs})
		evs = make([]sdk.Event, 0, c.pageSize)
		return err
	})
	if err != nil {
		return fmt.Errorf("splunk notables of [%s, %s): %w", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), err)
	}
	if len(evs) > 0 {
		return out.Send(sdk.Batch{Events: evs})
	}
	return nil
}
