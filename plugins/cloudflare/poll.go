package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/paging"
	"github.com/outpost-soc/outpost/sdk/window"
)

const (
	// retentionMargin keeps a clamped start inside the dataset's reach
	// despite clock skew and the time a run takes.
	retentionMargin = time.Hour
	// maxWindows bounds the query windows one Poll run walks (a cursor
	// far behind catches up over several runs).
	maxWindows = 100
	// cfTime is how the plugin writes datetime bounds: the dataset has
	// whole seconds.
	cfTime = time.RFC3339
)

// eventsQuery selects the firewall events of a zone in (datetime, rayName)
// order, the order the plugin pages in. The fields are those Cloudflare's
// own firewall-events tutorial and public integrations select.
const eventsQuery = `query FirewallEvents($zoneTag: string, $filter: FirewallEventsAdaptiveFilter_InputObject, $limit: uint64!) {
  viewer {
    zones(filter: {zoneTag: $zoneTag}) {
      firewallEventsAdaptive(filter: $filter, limit: $limit, orderBy: [datetime_ASC, rayName_ASC]) {
        action
        clientASNDescription
        clientAsn
        clientCountryName
        clientIP
        clientRequestHTTPHost
        clientRequestHTTPMethodName
        clientRequestHTTPProtocol
        clientRequestPath
        clientRequestQuery
        datetime
        edgeResponseStatus
        originResponseStatus
        rayName
        ruleId
        source
        userAgent
      }
    }
  }
}`

type eventsData struct {
	Viewer struct {
		Zones []struct {
			Events []*firewallEvent `json:"firewallEventsAdaptive"`
		} `json:"zones"`
	} `json:"viewer"`
}

// position is where a page starts: after the row (t, ray) in the order
// (datetime, rayName); the zero position is the window's start.
type position struct {
	t   time.Time
	ray string
}

func (p position) String() string { return p.t.UTC().Format(cfTime) + "|" + p.ray }

// Poll reads the firewall events after the cursor, a window of at most the
// dataset's maxDuration at a time up to now. The cursor's datetime and ray
// ids start the first page exactly after the last event handed over; each
// page is one batch with the cursor that holds after it. A window read to
// its end moves the cursor past it, but never closer to Cloudflare's clock
// (its Date header) than the settle delay.
func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, err := cursor.Decode(req.Cursor)
	if err != nil {
		return fmt.Errorf("cloudflare poll: %w", err)
	}
	if cur.IsZero() {
		start := req.StartTime
		if start.IsZero() {
			start = c.now().Add(-24 * time.Hour)
		}
		// Starting the cursor at the start time keeps an idle first poll
		// from moving it before the start.
		cur = cursor.TimeID{Time: start.UTC().Truncate(time.Second)}
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	lim, err := cl.limits(ctx)
	if err != nil {
		return err
	}
	_, root := cl.dashboard(ctx)
	guard := paging.Guard{MaxPages: c.maxPages}
	retried := false
	for w := 0; w < maxWindows; w++ {
		if since := c.clamp(req.Integration.ID, cur.Time, lim); since.After(cur.Time) {
			cur.AdvanceTo(since)
		}
		from := cur.Time
		ceiling := c.now().UTC().Truncate(time.Second)
		end, last := from.Add(lim.maxDuration-time.Second), false
		if !end.Before(ceiling) {
			end, last = ceiling, true
		}
		if end.Before(from) {
			return nil // the cursor is ahead of the plugin's clock
		}
		var after position
		if len(cur.IDs) > 0 {
			after = position{t: cur.Time, ray: cur.IDs[len(cur.IDs)-1]}
		}
		err := c.scan(ctx, cl, lim, from, end, false, after, &guard, func(rows []*firewallEvent, resp *http.Response, lastPage bool) error {
			events := make([]sdk.Event, 0, len(rows))
			for _, e := range rows {
				if !cur.After(e.Datetime, e.RayName) {
					continue // a boundary event an earlier page or run handed over
				}
				ev, ok := mapEvent(e, root)
				if !ok {
					continue
				}
				cur.Advance(e.Datetime, e.RayName)
				events = append(events, ev)
			}
			if lastPage {
				// The window is read to its end: the cursor may pass it,
				// but stays the settle delay behind Cloudflare's clock.
				next := end.Add(time.Second)
				if now, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
					next = minTime(next, now.Add(-c.settle))
				} else if last {
					next = cur.Time
				}
				cur.AdvanceTo(next)
			}
			return out.Send(sdk.Batch{Events: events, Cursor: cur.Encode()})
		})
		var re *retentionError
		switch {
		case errors.As(err, &re) && !retried:
			// The plan reaches back less far than the settings said:
			// clamp to what the error named and try once more.
			cl.learnRetention(re.NotOlderThan)
			lim.notOlderThan = min(lim.notOlderThan, re.NotOlderThan)
			retried = true
			w--
			continue
		case errors.Is(err, paging.ErrMaxPages):
			sdk.Logger().Info("cloudflare poll stopped at its page budget, the next run continues",
				"integration", req.Integration.ID, "pages", c.maxPages)
			return nil
		case err != nil:
			return err
		}
		if last || !cur.Time.After(from) {
			return nil
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// LostFound re-reads [From, To) through the same dataset: events
// Cloudflare's analytics wrote after the cursor had passed their second are
// found there. The host de-duplicates what was already stored.
func (c *Connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

// Fallback reads the long recovery window. Firewall events have no second
// API outside Enterprise log products, so it is the same dataset over
// [From, To), a maxDuration window at a time.
func (c *Connector) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

func (c *Connector) window(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	if !req.To.After(req.From) {
		return nil
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	lim, err := cl.limits(ctx)
	if err != nil {
		return err
	}
	from := c.clamp(req.Integration.ID, req.From, lim).UTC().Truncate(time.Second)
	if !req.To.After(from) {
		return nil
	}
	_, root := cl.dashboard(ctx)
	var guard paging.Guard
	for _, r := range window.Split(from, req.To, lim.maxDuration) {
		err := c.scan(ctx, cl, lim, r.From, r.To, true, position{}, &guard, func(rows []*firewallEvent, _ *http.Response, _ bool) error {
			events := make([]sdk.Event, 0, len(rows))
			for _, e := range rows {
				if ev, ok := mapEvent(e, root); ok {
					events = append(events, ev)
				}
			}
			if len(events) == 0 {
				return nil
			}
			return out.Send(sdk.Batch{Events: events})
		})
		var re *retentionError
		if errors.As(err, &re) {
			cl.learnRetention(re.NotOlderThan)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scan reads the events of [from, to] (to exclusive when toExclusive) after
// position after, page by page in (datetime, rayName) order, and hands each
// page to fn; lastPage is true for a short page, the end of the range. The
// next page asks for the rows after the last one, so rows that share a
// second are never skipped or read twice. guard stops a vendor that
// answers the same page again, or too many pages.
func (c *Connector) scan(ctx context.Context, cl *client, lim limits, from, to time.Time, toExclusive bool, after position,
	guard *paging.Guard, fn func(rows []*firewallEvent, resp *http.Response, lastPage bool) error) error {
	limit := max(1, min(c.pageSize, lim.maxPageSize))
	for {
		filter := map[string]any{"datetime_geq": from.UTC().Format(cfTime)}
		if toExclusive {
			filter["datetime_lt"] = to.UTC().Format(cfTime)
		} else {
			filter["datetime_leq"] = to.UTC().Format(cfTime)
		}
		if !after.t.IsZero() {
			t := after.t.UTC().Format(cfTime)
			filter["datetime_geq"] = t
			filter["OR"] = []any{map[string]any{"datetime_gt": t}, map[string]any{"rayName_gt": after.ray}}
		}
		var d eventsData
		resp, err := graphql(ctx, cl, eventsQuery, map[string]any{"zoneTag": cl.zone, "filter": filter, "limit": limit}, &d)
		if err != nil {
			return fmt.Errorf("listing cloudflare firewall events: %w", err)
		}
		var rows []*firewallEvent
		if len(d.Viewer.Zones) > 0 {
			rows = d.Viewer.Zones[0].Events
		}
		lastPage := len(rows) < limit
		if err := fn(rows, resp, lastPage); err != nil {
			return err
		}
		if lastPage {
			return nil
		}
		lr := rows[len(rows)-1]
		next := position{t: lr.Datetime, ray: lr.RayName}
		more, broken := guard.Next(next.String(), len(rows))
		if broken != nil {
			return fmt.Errorf("listing cloudflare firewall events: %w", broken)
		}
		if !more {
			return nil
		}
		after = next
	}
}

// clamp keeps a start inside the dataset's reach (notOlderThan, per plan):
// an integration paused for longer than that resumes at the oldest event
// Cloudflare still has, with a warning, rather than failing every run.
func (c *Connector) clamp(integration string, since time.Time, lim limits) time.Time {
	start, clamped := window.Clamp(since, c.now().Add(-lim.notOlderThan+retentionMargin).UTC().Truncate(time.Second))
	if clamped {
		sdk.Logger().Warn("start is older than cloudflare keeps firewall events for this zone's plan, starting at the oldest it still holds; older events are lost",
			"integration", integration, "requested", since.UTC().Format(time.RFC3339), "start", start.Format(time.RFC3339),
			"retention", lim.notOlderThan.String())
	}
	return start
}
