package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/paging"
	"github.com/outpost-soc/outpost/sdk/window"
)

const (
	// retention is how far back Okta keeps the System Log. The margin keeps
	// a clamped start inside it despite clock skew and the time a run takes.
	retention       = 90 * 24 * time.Hour
	retentionMargin = time.Hour
	// windowChunk splits long lost-found and fallback windows: Okta gives
	// one query 30 seconds, and a day of log is a light query.
	windowChunk = 24 * time.Hour
	// oktaTime is how the plugin writes since and until: RFC 3339 with
	// Okta's millisecond precision, truncated so that a bound never skips
	// the event it names.
	oktaTime = "2006-01-02T15:04:05.000Z07:00"
)

// position is the Poll cursor: the newest published time handed over and
// the uuids at that time (an sdk/cursor TimeID), and the next link of the
// last page read. Okta means a polling request's next link to be followed
// from run to run: it continues the org's stream exactly where it stopped,
// late events included. The time is what a run falls back on when the link
// cannot be used (a changed filter or org, a link from before the
// retention), and what the retention clamp reads.
type position struct {
	Time time.Time `json:"t"`
	IDs  []string  `json:"ids,omitempty"`
	Next string    `json:"next,omitempty"`
}

// decodeCursor reads a cursor made by encodeCursor, a bare TimeID or an
// RFC 3339 time (a cursor set by hand). Anything else is an error wrapping
// cursor.ErrInvalid: never a silent restart.
func decodeCursor(s string) (cursor.TimeID, string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		cur, err := cursor.Decode(s)
		return cur, "", err
	}
	var p position
	if err := cursor.Unmarshal(s, &p); err != nil {
		return cursor.TimeID{}, "", err
	}
	if p.Time.IsZero() {
		return cursor.TimeID{}, "", fmt.Errorf("%w: the okta cursor has no time", cursor.ErrInvalid)
	}
	ids := slices.Clone(p.IDs)
	slices.Sort(ids)
	return cursor.TimeID{Time: p.Time.UTC(), IDs: ids}, p.Next, nil
}

func encodeCursor(cur cursor.TimeID, next string) string {
	s, err := cursor.Marshal(position{Time: cur.Time.UTC(), IDs: cur.IDs, Next: next})
	if err != nil { // a time outside years 0-9999: not an Okta time
		panic(err)
	}
	return s
}

// Poll reads the log events after the cursor: from the next link the last
// run stopped at, or else with a polling request (since, no until,
// ascending) from the cursor's time, then the next links to the end. Okta's
// since is inclusive, so that request starts at the cursor's own time and
// the cursor's uuids drop the events at that time already handed over. Each
// page is one batch with the cursor that holds after it; the empty page
// that ends a run also moves the cursor's time up to Okta's clock minus the
// settle delay, so a quiet org does not leave it behind.
func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, next, err := decodeCursor(req.Cursor)
	if err != nil {
		return fmt.Errorf("okta poll: %w", err)
	}
	if cur.IsZero() {
		start := req.StartTime
		if start.IsZero() {
			start = c.now().Add(-24 * time.Hour)
		}
		// Starting the cursor at the start time keeps an idle first poll
		// from moving it before the start.
		cur = cursor.TimeID{Time: start.UTC()}
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	since := c.clamp(req.Integration.ID, cur.Time)
	if !since.Equal(cur.Time) {
		// Nothing older than the clamped start exists at Okta any more,
		// and a link from before the retention is no position to resume.
		cur.AdvanceTo(since)
		next = ""
	}

	first, q := "/api/v1/logs", c.query(cl, since, time.Time{})
	if next != "" {
		if why := cl.unusable(next); why != "" {
			sdk.Logger().Info("okta cursor link not followed, resuming from the cursor's time",
				"integration", req.Integration.ID, "reason", why, "since", since.Format(time.RFC3339))
		} else {
			first, q = next, nil
		}
	}
	err = c.pages(ctx, cl, first, q, c.maxPages, func(page []*logEvent, resp *http.Response, link string, last bool) error {
		events := make([]sdk.Event, 0, len(page))
		for _, e := range page {
			// Only the boundary is skipped. An event published before the
			// cursor is one Okta persisted late (a polling request filters
			// on persistence time): new to us, so it is handed over.
			if e.Published.Equal(cur.Time) && cur.Has(e.UUID) {
				continue
			}
			ev, ok := mapEvent(e, cl.admin)
			if !ok {
				continue
			}
			cur.Advance(e.Published, e.UUID)
			events = append(events, ev)
		}
		if last {
			if now, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
				cur.AdvanceTo(now.Add(-c.settle))
			}
		}
		return out.Send(sdk.Batch{Events: events, Cursor: encodeCursor(cur, link)})
	})
	switch {
	case errors.Is(err, paging.ErrMaxPages):
		// Every page read is committed with its cursor: the next run goes
		// on from there.
		sdk.Logger().Info("okta poll stopped at its page budget, the next run continues",
			"integration", req.Integration.ID, "pages", c.maxPages)
		return nil
	case errors.Is(err, paging.ErrLoop):
		// A link Okta names again is no position: the next run resumes
		// from the cursor's time instead of re-reading it forever.
		if sendErr := out.Send(sdk.Batch{Cursor: encodeCursor(cur, "")}); sendErr != nil {
			return sendErr
		}
	}
	return err
}

// unusable says why a cursor's next link cannot continue this
// integration's stream, or "" when it can.
func (cl *client) unusable(link string) string {
	u, err := url.Parse(link)
	switch {
	case err != nil:
		return "the link does not parse"
	case u.IsAbs() && !strings.EqualFold(u.Host, cl.host):
		return "the link is for another org"
	case u.Query().Get("filter") != cl.filter:
		return "the filter changed"
	}
	return ""
}

// LostFound re-reads [From, To) with bounded requests, which filter on
// published: an event Okta persisted after the cursor had passed its time
// is found there. The host de-duplicates what was already stored.
func (c *Connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

// Fallback reads the long recovery window. Okta has no second log API (the
// Events API it replaced is retired), so it is bounded System Log requests
// over [From, To), a day at a time.
func (c *Connector) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

func (c *Connector) window(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	from := c.clamp(req.Integration.ID, req.From)
	if !req.To.After(from) {
		return nil
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	for _, r := range window.Split(from, req.To, windowChunk) {
		err := c.pages(ctx, cl, "/api/v1/logs", c.query(cl, r.From, r.To), paging.DefaultMaxPages, func(page []*logEvent, _ *http.Response, _ string, _ bool) error {
			events := make([]sdk.Event, 0, len(page))
			for _, e := range page {
				if ev, ok := mapEvent(e, cl.admin); ok {
					events = append(events, ev)
				}
			}
			if len(events) == 0 {
				return nil
			}
			return out.Send(sdk.Batch{Events: events})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// query is the first page's parameters: a polling request when until is
// zero, a bounded one otherwise.
func (c *Connector) query(cl *client, since, until time.Time) url.Values {
	q := url.Values{
		"since":     {since.UTC().Format(oktaTime)},
		"limit":     {strconv.Itoa(c.pageSize)},
		"sortOrder": {"ASCENDING"},
	}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(oktaTime))
	}
	if cl.filter != "" {
		q.Set("filter", cl.filter)
	}
	return q
}

// pages fetches first (a path with query q, or a next link) and follows
// the rel="next" links, handing each page to fn with the link it names.
// last is true for the page that ends the query naturally: an empty page (a
// polling request's next link never goes away) or one without a next link.
// A next link already followed, or more than maxPages pages, ends it with
// an error wrapping paging.ErrLoop or paging.ErrMaxPages; the pages before
// were handed over.
func (c *Connector) pages(ctx context.Context, cl *client, first string, q url.Values, maxPages int,
	fn func(page []*logEvent, resp *http.Response, link string, last bool) error) error {
	guard := paging.Guard{MaxPages: maxPages}
	guard.Begin(first)
	next := first
	for {
		var page []*logEvent
		resp, err := cl.http.DoJSON(ctx, http.MethodGet, next, q, nil, &page)
		if err != nil {
			return vendorError("listing the okta system log", err, cl.filter)
		}
		link, _ := paging.NextLink(resp.Header)
		more, broken := guard.Next(link, len(page))
		if err := fn(page, resp, link, !more && broken == nil); err != nil {
			return err
		}
		if broken != nil {
			return fmt.Errorf("listing the okta system log: %w", broken)
		}
		if !more {
			return nil
		}
		// The next link carries every parameter, after included.
		next, q = link, nil
	}
}

// clamp keeps a start inside Okta's retention: an integration paused for
// longer than that resumes at the oldest event Okta still has, with a
// warning, rather than asking for what Okta no longer holds.
func (c *Connector) clamp(integration string, since time.Time) time.Time {
	start, clamped := window.Clamp(since, c.now().Add(-retention+retentionMargin))
	if clamped {
		sdk.Logger().Warn("start is older than okta's 90-day system log retention, starting at the oldest event okta still holds; older events are lost",
			"integration", integration, "requested", since.UTC().Format(time.RFC3339), "start", start.UTC().Format(time.RFC3339))
	}
	return start
}
