package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/paging"
)

// retention is how far back the vendor keeps alerts; it answers 400 to an
// older since. The margin keeps a clamped start inside it despite clock skew.
const (
	retention       = 30 * 24 * time.Hour
	retentionMargin = time.Hour
)

// alertsPage is one answer of GET /api/v1/alerts.
type alertsPage struct {
	Alerts     []*alert `json:"alerts"`
	NextCursor string   `json:"next_cursor"`
	// Until is the end of the window the vendor answered for: its own
	// clock when the request named none.
	Until time.Time `json:"until"`
}

// Poll reads the alerts after the cursor. The vendor's since is inclusive,
// so each query starts at the cursor's own time and the cursor drops the
// alerts at that time it already handed over. Each page is one batch, with
// the cursor that holds after it; the last page also moves the cursor up to
// the vendor's clock (minus the settle delay), so a quiet vendor does not
// leave it behind.
func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, err := cursor.Decode(req.Cursor)
	if err != nil {
		return fmt.Errorf("hello poll: %w", err)
	}
	if cur.IsZero() {
		start := req.StartTime
		if start.IsZero() {
			start = time.Now().Add(-24 * time.Hour)
		}
		// Starting the cursor at the start time keeps an idle first poll
		// from moving it before the start.
		cur = cursor.TimeID{Time: start.UTC()}
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	return c.pages(ctx, cl, c.clamp(cur.Time), time.Time{}, func(p *alertsPage, last bool) error {
		events := make([]sdk.Event, 0, len(p.Alerts))
		for _, a := range p.Alerts {
			if !cur.After(a.CreatedAt, a.ID) {
				continue // a boundary alert an earlier page or poll handed over
			}
			e, ok := mapAlert(a)
			if !ok {
				continue
			}
			cur.Advance(a.CreatedAt, a.ID)
			events = append(events, e)
		}
		if last && !p.Until.IsZero() {
			cur.AdvanceTo(p.Until.Add(-c.settle))
		}
		return out.Send(sdk.Batch{Events: events, Cursor: cur.Encode()})
	})
}

// LostFound re-reads [From, To) through the same alerts API: alerts the
// vendor made visible late, behind the cursor, are found there. The host
// de-duplicates what was already stored.
func (c *Connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

// Fallback reads the long recovery window. The hello vendor has no second
// API, so it is the alerts API again over [From, To).
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
	return c.pages(ctx, cl, c.clamp(req.From), req.To, func(p *alertsPage, _ bool) error {
		events := make([]sdk.Event, 0, len(p.Alerts))
		for _, a := range p.Alerts {
			if e, ok := mapAlert(a); ok {
				events = append(events, e)
			}
		}
		return out.Send(sdk.Batch{Events: events})
	})
}

// pages fetches [since, until) page by page (a zero until is the vendor's
// now) and hands each page to fn; last is true for the final page of a query
// that reached its natural end.
func (c *Connector) pages(ctx context.Context, cl *client, since, until time.Time, fn func(p *alertsPage, last bool) error) error {
	limit := strconv.Itoa(c.pageSize)
	q := url.Values{"since": {since.UTC().Format(time.RFC3339Nano)}, "limit": {limit}}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339Nano))
	}
	var guard paging.Guard
	for {
		var p alertsPage
		if _, err := cl.http.DoJSON(ctx, http.MethodGet, "/api/v1/alerts", q, nil, &p); err != nil {
			return fmt.Errorf("listing hello alerts: %w", err)
		}
		more, loop := guard.Next(p.NextCursor, len(p.Alerts))
		if err := fn(&p, !more && loop == nil); err != nil {
			return err
		}
		if loop != nil {
			// The batches sent so far are committed; the next run resumes
			// after them and the error shows in the integration's last_error.
			return fmt.Errorf("listing hello alerts: %w", loop)
		}
		if !more {
			return nil
		}
		q = url.Values{"cursor": {p.NextCursor}, "limit": {limit}}
	}
}

// clamp keeps a start inside the vendor's retention: an integration paused
// for longer than that resumes at the oldest alert the vendor still has,
// with a warning, rather than failing on every run.
func (c *Connector) clamp(since time.Time) time.Time {
	oldest := time.Now().Add(-retention + retentionMargin)
	if since.Before(oldest) {
		sdk.Logger().Warn("start is older than the vendor's retention, starting at its oldest alert",
			"requested", since.UTC().Format(time.RFC3339), "start", oldest.UTC().Format(time.RFC3339))
		return oldest
	}
	return since
}

// mapAlert maps one alert, logging and dropping one the host could not
// store (no id or no time).
func mapAlert(a *alert) (sdk.Event, bool) {
	e, err := toEvent(a)
	if err != nil {
		sdk.Logger().Warn("dropping malformed hello alert", "error", err.Error())
		return sdk.Event{}, false
	}
	return e, true
}
