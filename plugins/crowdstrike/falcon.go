package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
	"github.com/outpost-soc/outpost/sdk/oauth"
)

// client is one integration's Falcon API client.
type client struct {
	http *httpclient.Client
	src  *oauth.Source
	base string
}

// Close releases the idle connections of a client the cache replaced.
func (c *client) Close() error { return c.http.Close() }

func (c *Connector) newClient(_ context.Context, in sdk.Integration) (*client, error) {
	base := strings.TrimRight(in.Config.String("base_url"), "/")
	if base == "" {
		base = "https://api.crowdstrike.com"
	}
	rt, err := httpclient.NewTransport(httpclient.Options{})
	if err != nil {
		return nil, err
	}
	src, err := oauth.New(oauth.Config{
		TokenURL:     base + "/oauth2/token",
		ClientID:     in.Config.String("client_id"),
		ClientSecret: in.Config.String("client_secret"),
		Params:       url.Values{"member_cid": {in.Config.String("member_cid")}},
		AuthStyle:    oauth.AuthInParams,
		Transport:    rt,
	})
	if err != nil {
		return nil, err
	}
	h, err := httpclient.New(httpclient.Options{
		BaseURL:   base,
		Transport: rt,
		// Falcon's token endpoint refuses a wrong client id or secret
		// with 403, which sdk/oauth reads as a missing permission. It is
		// the credential that is wrong: report it as such, so that the
		// host marks the integration unhealthy for the right reason.
		Authorize: func(ctx context.Context, r *http.Request) error {
			err := src.Authorize(ctx, r)
			var pd *sdk.PermissionDeniedError
			if errors.As(err, &pd) {
				return sdk.Unauthenticated("crowdstrike refused the api client: %s", pd.Message)
			}
			return err
		},
		Invalidate:  src.Invalidate,
		BaseBackoff: c.backoff,
		Logger:      c.log,
	})
	if err != nil {
		return nil, err
	}
	return &client{http: h, src: src, base: base}, nil
}

// scoped names the scope a 403 from the API is about: Falcon answers
// "access denied, authorization failed" without saying which.
func scoped(err error, scope string) error {
	var pd *sdk.PermissionDeniedError
	if errors.As(err, &pd) && pd.Permission == "" {
		return sdk.PermissionDenied(scope, "the api client lacks the %s scope: %s", scope, pd.Message)
	}
	return err
}

// queryPage is one answer of GET /alerts/queries/alerts/v2.
type queryPage struct {
	ids   []string
	total int
	// now is Falcon's clock: the answer's Date.
	now time.Time
}

// fqlTime writes a time for an FQL filter: UTC, milliseconds.
func fqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (c *client) queryIDs(ctx context.Context, filter, sort string, limit, offset int) (queryPage, error) {
	q := url.Values{"sort": {sort}, "limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}
	if filter != "" {
		q.Set("filter", filter)
	}
	var out struct {
		Meta struct {
			Pagination struct {
				Total int `json:"total"`
			} `json:"pagination"`
		} `json:"meta"`
		Resources []string `json:"resources"`
	}
	resp, err := c.http.DoJSON(ctx, http.MethodGet, "/alerts/queries/alerts/v2", q, nil, &out)
	if err != nil {
		return queryPage{}, fmt.Errorf("querying crowdstrike alerts: %w", scoped(err, scopeRead))
	}
	p := queryPage{ids: out.Resources, total: out.Meta.Pagination.Total}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		p.now = d.UTC()
	}
	return p, nil
}

// entities reads alerts by composite id. An id Falcon no longer holds
// (hidden or deleted since the query) is left out.
func (c *client) entities(ctx context.Context, ids []string) ([]alert, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out struct {
		Resources []alert `json:"resources"`
	}
	_, err := c.http.DoJSON(ctx, http.MethodPost, "/alerts/entities/alerts/v2", nil,
		map[string][]string{"composite_ids": ids}, &out)
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		return nil, nil // none of them is there any more
	}
	if err != nil {
		return nil, fmt.Errorf("reading crowdstrike alerts: %w", scoped(err, scopeRead))
	}
	return out.Resources, nil
}

// combinedPage is one answer of POST /alerts/combined/alerts/v1.
type combinedPage struct {
	alerts []alert
	after  string
}

func (c *client) combined(ctx context.Context, filter, sort string, limit int, after string) (combinedPage, error) {
	req := map[string]any{"filter": filter, "sort": sort, "limit": limit}
	if after != "" {
		req["after"] = after
	}
	var out struct {
		Meta struct {
			Pagination struct {
				After string `json:"after"`
			} `json:"pagination"`
		} `json:"meta"`
		Resources []alert `json:"resources"`
	}
	if _, err := c.http.DoJSON(ctx, http.MethodPost, "/alerts/combined/alerts/v1", nil, req, &out); err != nil {
		return combinedPage{}, fmt.Errorf("reading crowdstrike alerts (combined): %w", scoped(err, scopeRead))
	}
	return combinedPage{alerts: out.Resources, after: out.Meta.Pagination.After}, nil
}

// action is one action_parameters entry of PATCH /alerts/entities/alerts/v3.
type action struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (c *client) patch(ctx context.Context, ids []string, actions []action) error {
	body := map[string]any{"composite_ids": ids, "action_parameters": actions}
	var out struct {
		Errors []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			ID      string `json:"id"`
		} `json:"errors"`
	}
	if _, err := c.http.DoJSON(ctx, http.MethodPatch, "/alerts/entities/alerts/v3", nil, body, &out); err != nil {
		return fmt.Errorf("updating crowdstrike alert: %w", scoped(err, scopeWrite))
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return fmt.Errorf("updating crowdstrike alert %s: %d %s", e.ID, e.Code, e.Message)
	}
	return nil
}
