package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
	"github.com/outpost-soc/outpost/sdk/paging"
)

// The fields the queries filter and order on.
const (
	fieldModified = "properties/lastModifiedTimeUtc"
	fieldCreated  = "properties/createdTimeUtc"
)

// incidentPage is one answer of Incidents_List.
type incidentPage struct {
	Value    []*incident `json:"value"`
	NextLink string      `json:"nextLink"`
}

// Poll reads the incidents modified since the cursor, oldest change first.
// The cursor is the newest lastModifiedTimeUtc handed over plus the names of
// the incidents at exactly that time (sdk/cursor TimeID). Sentinel's ge is
// inclusive, and the query asks from the cursor's whole second (published
// clients all send whole seconds), so the incidents of that second come
// back and the cursor drops those already handed over. An incident changed
// again later comes back with a newer lastModifiedTimeUtc and the host
// updates the event it stored. Each page is one batch with the cursor that
// holds after it; the last page also moves the cursor up to Sentinel's own
// clock (the answer's Date) minus the settle delay, so a quiet workspace
// does not leave it behind.
func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, err := cursor.Decode(req.Cursor)
	if err != nil {
		return fmt.Errorf("sentinel poll: %w", err)
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
	filter := fieldModified + " ge " + odataTime(cur.Time.Truncate(time.Second))
	return c.pages(ctx, cl, filter, fieldModified, func(p *incidentPage, date time.Time, last bool) error {
		fresh := make([]*incident, 0, len(p.Value))
		for _, inc := range p.Value {
			if !valid(inc) {
				continue
			}
			t := inc.Properties.LastModifiedTimeUtc
			if !cur.After(t, inc.Name) {
				continue // a boundary incident an earlier page or poll handed over
			}
			cur.Advance(t, inc.Name)
			fresh = append(fresh, inc)
		}
		events, err := c.events(ctx, cl, fresh)
		if err != nil {
			return err
		}
		if last && !date.IsZero() {
			cur.AdvanceTo(date.Add(-c.settle))
		}
		return out.Send(sdk.Batch{Events: events, Cursor: cur.Encode()})
	})
}

// LostFound re-reads the incidents modified in [From, To) through the same
// list: an incident Sentinel listed late, behind the cursor, is found here.
// The host de-duplicates what it already stored.
func (c *Connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, fieldModified, out)
}

// Fallback reads the incidents created in [From, To): a second query, on
// the creation time, that finds an incident whatever happened to its
// lastModifiedTimeUtc (Sentinel has no other incident API to fall back on).
func (c *Connector) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, fieldCreated, out)
}

func (c *Connector) window(ctx context.Context, req sdk.WindowRequest, field string, out sdk.Stream) error {
	if !req.To.After(req.From) {
		return nil
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return err
	}
	// Whole seconds, widened outwards: a little more than [From, To) is
	// harmless, the host de-duplicates.
	to := req.To.Truncate(time.Second)
	if to.Before(req.To) {
		to = to.Add(time.Second)
	}
	filter := field + " ge " + odataTime(req.From.Truncate(time.Second)) + " and " + field + " lt " + odataTime(to)
	seen := map[string]bool{}
	return c.pages(ctx, cl, filter, field, func(p *incidentPage, _ time.Time, _ bool) error {
		fresh := make([]*incident, 0, len(p.Value))
		for _, inc := range p.Value {
			// An incident changed while the query pages may be listed again:
			// one query hands it over once.
			if valid(inc) && !seen[inc.Name] {
				seen[inc.Name] = true
				fresh = append(fresh, inc)
			}
		}
		events, err := c.events(ctx, cl, fresh)
		if err != nil {
			return err
		}
		return out.Send(sdk.Batch{Events: events})
	})
}

// pages lists the incidents that match filter, ordered by field, following
// nextLink to the end, and hands each page to fn with Sentinel's Date; last
// is true for the final page of a list that reached its natural end.
func (c *Connector) pages(ctx context.Context, cl *client, filter, field string, fn func(p *incidentPage, date time.Time, last bool) error) error {
	q := url.Values{
		"api-version": {apiVersion},
		"$filter":     {filter},
		"$orderby":    {field + " asc"},
		"$top":        {strconv.Itoa(c.pageSize)},
	}
	next := cl.incidentsURL(q)
	var guard paging.Guard
	guard.Begin(next)
	for {
		var p incidentPage
		resp, err := cl.http.DoJSON(ctx, http.MethodGet, next, nil, nil, &p)
		if err != nil {
			return vendorError("listing sentinel incidents", permRead, err)
		}
		var date time.Time
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			date = d.UTC()
		}
		more, loop := guard.Next(p.NextLink, len(p.Value))
		if err := fn(&p, date, !more && loop == nil); err != nil {
			return err
		}
		if loop != nil {
			// The batches sent so far are committed; the next run resumes
			// after them and the error shows in the integration's last_error.
			return fmt.Errorf("listing sentinel incidents: %w", loop)
		}
		if !more {
			return nil
		}
		next = p.NextLink
	}
}

// odataTime writes t as an OData DateTimeOffset literal.
func odataTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// valid reports whether the host can store inc: it needs a name to
// de-duplicate on and a modification time to order by.
func valid(inc *incident) bool {
	if inc == nil {
		sdk.Logger().Warn("dropping a null sentinel incident")
		return false
	}
	if inc.Name == "" || inc.Properties.LastModifiedTimeUtc.IsZero() {
		sdk.Logger().Warn("dropping a sentinel incident without a name or lastModifiedTimeUtc", "id", inc.ID)
		return false
	}
	return true
}

// events maps incs, with their entities when the integration reads them.
// A throttle or a cancelled context ends the page (nothing of it is sent,
// and the next run reads it again); any other entity failure leaves that
// incident without observables, with a warning, rather than holding up
// ingestion.
func (c *Connector) events(ctx context.Context, cl *client, incs []*incident) ([]sdk.Event, error) {
	ents := make([][]entity, len(incs))
	if cl.entities && len(incs) > 0 {
		errs := make([]error, len(incs))
		sem := make(chan struct{}, max(c.entityWorkers, 1))
		var wg sync.WaitGroup
		for i, inc := range incs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ents[i], errs[i] = cl.listEntities(ctx, inc.Name)
			}()
		}
		wg.Wait()
		failed := 0
		var first error
		for _, err := range errs {
			if err == nil {
				continue
			}
			if _, ok := sdk.RetryWait(err); ok || ctx.Err() != nil {
				return nil, err
			}
			if failed++; first == nil {
				first = err
			}
		}
		if failed > 0 {
			sdk.Logger().Warn("sentinel incidents left without entities", "incidents", failed, "error", first.Error())
		}
	}
	events := make([]sdk.Event, 0, len(incs))
	for i, inc := range incs {
		events = append(events, toEvent(inc, ents[i]))
	}
	return events, nil
}

// entitiesAnswer is the answer of Incidents_ListEntities.
type entitiesAnswer struct {
	Entities []entity `json:"entities"`
}

func (c *client) listEntities(ctx context.Context, name string) ([]entity, error) {
	var ans entitiesAnswer
	_, err := c.http.DoJSON(ctx, http.MethodPost, c.incidentPath(name, "entities"), versionQuery(), nil, &ans)
	if err != nil {
		var ra *sdk.RetryAfterError
		if errors.As(err, &ra) {
			return nil, fmt.Errorf("listing entities of sentinel incident %s: %w", name, err)
		}
		return nil, vendorError("listing entities of sentinel incident "+name, permRead, err)
	}
	return ans.Entities, nil
}
