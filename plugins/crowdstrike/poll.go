package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/paging"
	"github.com/outpost-soc/outpost/sdk/window"
)

// precision is how finely the cursor holds updated_timestamp. Falcon
// writes nanoseconds, but its filters are documented to the second and
// may compare at less than nanoseconds: at a millisecond, an inclusive
// filter returns every alert of the cursor's millisecond again, and the
// cursor's ids drop those already handed over.
const precision = time.Millisecond

// Poll reads the alerts updated at or after the cursor, up to Falcon's
// clock minus the settle delay, and hands over each page as a batch with
// the cursor after it. An empty poll moves the cursor to that bound.
func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, err := cursor.Decode(req.Cursor)
	if err != nil {
		return fmt.Errorf("crowdstrike poll: %w", err)
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	from := req.StartTime.Truncate(precision)
	if !cur.IsZero() {
		from = cur.Time
	}
	return c.readUpdated(ctx, cl, from, time.Time{}, &cur, true, out)
}

// LostFound re-reads the alerts updated in [req.From, req.To) through the
// same query and entities calls, for those that became visible after the
// cursor had passed their updated_timestamp. Its batches carry no cursor.
func (c *Connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	var pos cursor.TimeID
	return c.readUpdated(ctx, cl, req.From.Truncate(precision), req.To.Truncate(precision), &pos, false, out)
}

// readUpdated pages through the alerts with updated_timestamp in
// [from, end), ascending. A zero end is Falcon's clock at the first answer
// minus the settle delay. Pages are keyset: each asks again from pos's
// time, so alerts leaving the result set mid-run cannot shift a later
// page past one; offset only steps through alerts sharing one millisecond.
func (c *Connector) readUpdated(ctx context.Context, cl *client, from, end time.Time, pos *cursor.TimeID, withCursor bool, out sdk.Stream) error {
	sent := ""
	if withCursor {
		sent = pos.Encode()
	}
	send := func(evs []sdk.Event) error {
		b := sdk.Batch{Events: evs}
		if withCursor {
			b.Cursor = pos.Encode()
		}
		if len(evs) == 0 && b.Cursor == sent {
			return nil
		}
		sent = b.Cursor
		return out.Send(b)
	}
	var (
		g      paging.Guard
		anchor = from
		off    int
		filter string
	)
	for {
		next := fmt.Sprintf("updated_timestamp:>='%s'", fqlTime(anchor))
		if !end.IsZero() {
			next += fmt.Sprintf("+updated_timestamp:<'%s'", fqlTime(end))
		}
		if next == filter {
			off += c.pageSize // still inside the alerts of one millisecond
		} else {
			filter, off = next, 0
		}
		if off+c.pageSize > c.maxOffset {
			return fmt.Errorf("crowdstrike: more than %d alerts share updated_timestamp %s; the query API cannot page past them", c.maxOffset, fqlTime(anchor))
		}
		more, err := g.Next(fmt.Sprintf("%s|%d", filter, off), 1)
		if err != nil {
			return fmt.Errorf("crowdstrike alerts: %w", err)
		}
		if !more {
			return nil
		}
		page, err := cl.queryIDs(ctx, filter, "updated_timestamp|asc", c.pageSize, off)
		if err != nil {
			return err
		}
		if end.IsZero() {
			if page.now.IsZero() {
				return fmt.Errorf("crowdstrike alerts query answered without a Date: no vendor clock to bound the poll")
			}
			end = page.now.Add(-c.settle).Truncate(precision)
		}
		alerts, err := cl.entities(ctx, page.ids)
		if err != nil {
			return err
		}
		// Entities come in any order; the cursor needs them by time.
		order := make(map[string]int, len(page.ids))
		for i, id := range page.ids {
			order[id] = i
		}
		slices.SortStableFunc(alerts, func(x, y alert) int {
			if c := x.UpdatedTimestamp.time().Compare(y.UpdatedTimestamp.time()); c != 0 {
				return c
			}
			return order[x.CompositeID] - order[y.CompositeID]
		})
		evs := make([]sdk.Event, 0, len(alerts))
		for i := range alerts {
			a := &alerts[i]
			ut := a.UpdatedTimestamp.time().Truncate(precision)
			// At or past end: changed since the query, or too new to be
			// settled. Either way it is after the cursor for the next run.
			if ut.IsZero() || !ut.Before(end) || ut.Before(from) || !pos.After(ut, a.CompositeID) {
				continue
			}
			evs = append(evs, toEvent(a))
			pos.Advance(ut, a.CompositeID)
		}
		if err := send(evs); err != nil {
			return err
		}
		if len(page.ids) < c.pageSize {
			break
		}
		if pos.Time.After(anchor) {
			anchor = pos.Time
		}
	}
	if withCursor {
		pos.AdvanceTo(end)
		return send(nil)
	}
	return nil
}

// Fallback reads the alerts created in [req.From, req.To) through the
// combined endpoint, a second API that returns whole alerts with its own
// after-token paging, by created_timestamp rather than updated_timestamp.
func (c *Connector) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range window.Split(req.From, req.To, c.chunk) {
		filter := fmt.Sprintf("created_timestamp:>='%s'+created_timestamp:<'%s'", fqlTime(r.From), fqlTime(r.To))
		var g paging.Guard
		after := ""
		for {
			page, err := cl.combined(ctx, filter, "created_timestamp|asc", min(c.pageSize, 1000), after)
			if err != nil {
				return err
			}
			evs := make([]sdk.Event, 0, len(page.alerts))
			for i := range page.alerts {
				a := &page.alerts[i]
				if seen[a.CompositeID] {
					continue
				}
				seen[a.CompositeID] = true
				evs = append(evs, toEvent(a))
			}
			if len(evs) > 0 {
				if err := out.Send(sdk.Batch{Events: evs}); err != nil {
					return err
				}
			}
			more, err := g.Next(page.after, len(page.alerts))
			if err != nil {
				return fmt.Errorf("crowdstrike combined alerts: %w", err)
			}
			if !more {
				break
			}
			after = page.after
		}
	}
	return nil
}
