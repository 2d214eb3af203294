package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// analyticsPermission is what a token needs to read firewall events.
const analyticsPermission = "Zone > Analytics > Read"

// maxThrottle caps the wait a GraphQL budget message names (VENDORS.md).
const maxThrottle = 10 * time.Minute

// limits are a zone's firewallEventsAdaptive node limits.
type limits struct {
	maxDuration  time.Duration // widest [geq, leq] of one query
	notOlderThan time.Duration // how far back a query may start
	maxPageSize  int
}

// defaultLimits are used when the settings node does not answer: the
// narrowest of Cloudflare's plans (Free: 14 days back) and one day a query.
var defaultLimits = limits{maxDuration: 24 * time.Hour, notOlderThan: 14 * 24 * time.Hour, maxPageSize: 10000}

// limitsTTL is how long the settings are trusted: a plan changes rarely.
const limitsTTL = 6 * time.Hour

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

type gqlResponse[T any] struct {
	Data   T          `json:"data"`
	Errors []gqlError `json:"errors"`
}

// graphql posts a query and decodes its data into out. Errors in the body,
// whatever the HTTP status, become the sdk errors (see gqlErr).
func graphql[T any](ctx context.Context, cl *client, query string, vars map[string]any, out *T) (*http.Response, error) {
	var r gqlResponse[T]
	resp, err := cl.http.DoJSON(ctx, http.MethodPost, "/client/v4/graphql", nil,
		map[string]any{"query": query, "variables": vars}, &r)
	if err != nil {
		return resp, statusErr(err)
	}
	if len(r.Errors) > 0 {
		return resp, gqlErr(r.Errors)
	}
	*out = r.Data
	return resp, nil
}

// statusErr reads the GraphQL errors of a non-2xx answer: Cloudflare's
// current reference gives HTTP statuses to the errors older ones put in a
// 200 (a depleted budget as 429, an unknown zone as 403).
func statusErr(err error) error {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		// 401 and 403 come back as sdk errors with the message but no body.
		var pd *sdk.PermissionDeniedError
		if errors.As(err, &pd) && pd.Permission == "" {
			return sdk.PermissionDenied(analyticsPermission, "%s", pd.Message)
		}
		return restErr(err)
	}
	if re := restErr(err); sdk.IsCredentialError(re) {
		return re
	}
	var r gqlResponse[json.RawMessage]
	if decodeJSON(se.Body, &r) != nil || len(r.Errors) == 0 {
		return err
	}
	mapped := gqlErr(r.Errors)
	if wait, ok := sdk.RetryWait(mapped); ok {
		// httpclient gave up on a 429 without Retry-After: the body says
		// how long.
		return sdk.RetryAfter(wait, err)
	}
	if _, ok := sdk.RetryWait(err); ok {
		return err
	}
	return mapped
}

var (
	tryAgain  = regexp.MustCompile(`(?i)try again (?:after|in) (\d+) ?(second|minute|hour)`)
	olderThan = regexp.MustCompile(`cannot request data older than (\d+)s`)
)

// retentionError is a query that reached back further than the zone's
// plan allows; NotOlderThan is what Cloudflare said it allows.
type retentionError struct {
	NotOlderThan time.Duration
	err          error
}

func (e *retentionError) Error() string { return e.err.Error() }
func (e *retentionError) Unwrap() error { return e.err }

// gqlErr maps GraphQL errors by their messages, Cloudflare's only error
// code: a throttle is an *sdk.RetryAfterError with the wait it names (at
// most maxThrottle), a refused zone a permission error, a token it does not
// know unauthenticated, a reach past the retention a *retentionError.
func gqlErr(errs []gqlError) error {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "; ")
	err := fmt.Errorf("cloudflare graphql: %s", all)
	lower := strings.ToLower(all)
	switch {
	case tryAgain.MatchString(all):
		m := tryAgain.FindStringSubmatch(all)
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour}[strings.ToLower(m[2])]
		return sdk.RetryAfter(min(time.Duration(n)*unit, maxThrottle), err)
	case strings.Contains(lower, "rate limiter budget depleted"):
		return sdk.RetryAfter(5*time.Minute, err)
	case strings.Contains(lower, "quota exceeded"), strings.Contains(lower, "too many queries in progress"),
		strings.Contains(lower, "unable to execute query"), strings.Contains(lower, "consumed excessive resources"),
		strings.Contains(lower, "queries too many nodes"):
		return sdk.RetryAfter(time.Minute, err)
	case strings.Contains(lower, "not authorized"), strings.Contains(lower, "does not have access"):
		return sdk.PermissionDenied(analyticsPermission, "%s", all)
	case strings.Contains(lower, "unauthorized"), strings.Contains(lower, "authentication"):
		return sdk.Unauthenticated("%s", all)
	case olderThan.MatchString(all):
		n, _ := strconv.Atoi(olderThan.FindStringSubmatch(all)[1])
		return &retentionError{NotOlderThan: time.Duration(n) * time.Second, err: err}
	}
	return err
}

func decodeJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }

const settingsQuery = `query FirewallEventsSettings($zoneTag: string) {
  viewer {
    zones(filter: {zoneTag: $zoneTag}) {
      settings {
        firewallEventsAdaptive {
          enabled
          maxDuration
          maxPageSize
          notOlderThan
        }
      }
    }
  }
}`

type settingsData struct {
	Viewer struct {
		Zones []struct {
			Settings struct {
				FirewallEventsAdaptive *struct {
					Enabled      bool  `json:"enabled"`
					MaxDuration  int64 `json:"maxDuration"`
					MaxPageSize  int   `json:"maxPageSize"`
					NotOlderThan int64 `json:"notOlderThan"`
				} `json:"firewallEventsAdaptive"`
			} `json:"settings"`
		} `json:"zones"`
	} `json:"viewer"`
}

// limits returns the zone's node limits from its settings node, cached.
// Credential and throttle errors are returned; a settings node that gives
// nothing usable leaves the defaults.
func (cl *client) limits(ctx context.Context) (limits, error) {
	cl.mu.Lock()
	lim, at := cl.lim, cl.limAt
	cl.mu.Unlock()
	if !at.IsZero() && time.Since(at) < limitsTTL {
		return lim, nil
	}
	var d settingsData
	_, err := graphql(ctx, cl, settingsQuery, map[string]any{"zoneTag": cl.zone}, &d)
	if err != nil {
		if sdk.IsCredentialError(err) || ctx.Err() != nil {
			return limits{}, fmt.Errorf("reading the zone's firewall events settings: %w", err)
		}
		if _, ok := sdk.RetryWait(err); ok {
			return limits{}, fmt.Errorf("reading the zone's firewall events settings: %w", err)
		}
		sdk.Logger().Warn("cloudflare settings node gave no limits, using the defaults", "zone", cl.zone, "error", err.Error())
		lim = defaultLimits
	} else {
		if len(d.Viewer.Zones) == 0 {
			return limits{}, sdk.PermissionDenied(analyticsPermission, "cloudflare returned no zone %s: the token cannot read its analytics", cl.zone)
		}
		s := d.Viewer.Zones[0].Settings.FirewallEventsAdaptive
		switch {
		case s == nil:
			lim = defaultLimits
		case !s.Enabled:
			return limits{}, sdk.PermissionDenied("firewallEventsAdaptive", "the zone's plan does not include the firewall events dataset")
		default:
			lim = defaultLimits
			if s.MaxDuration > 0 {
				lim.maxDuration = time.Duration(s.MaxDuration) * time.Second
			}
			if s.NotOlderThan > 0 {
				lim.notOlderThan = time.Duration(s.NotOlderThan) * time.Second
			}
			if s.MaxPageSize > 0 {
				lim.maxPageSize = s.MaxPageSize
			}
		}
	}
	cl.mu.Lock()
	cl.lim, cl.limAt = lim, time.Now()
	cl.mu.Unlock()
	return lim, nil
}

// learnRetention records the retention a refused query named, so that the
// clamp uses it from now on.
func (cl *client) learnRetention(d time.Duration) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if d > 0 && (cl.lim.notOlderThan == 0 || d < cl.lim.notOlderThan) {
		cl.lim.notOlderThan = d
	}
}
