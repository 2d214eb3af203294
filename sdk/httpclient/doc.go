// Package httpclient is the HTTP client every Outpost plugin uses for its
// vendor calls: retries with backoff, the vendors' rate-limit headers, a
// per-integration rate limiter, TLS options, auth hooks and JSON helpers.
//
// # Basics
//
// Build one Client per integration (keep it in an sdk.ClientCache) so that
// one integration's rate limit never slows another's:
//
//	c, err := httpclient.New(httpclient.Options{
//		BaseURL:            cfg.String("org_url"),
//		InsecureSkipVerify: !cfg.Bool("verify_tls"),
//		Authorize: func(ctx context.Context, r *http.Request) error {
//			r.Header.Set("Authorization", "SSWS "+token)
//			return nil
//		},
//		Logger: sdk.Logger().Named("okta"),
//	})
//
//	var logs []oktaLog
//	resp, err := c.DoJSON(ctx, http.MethodGet, "/api/v1/logs", query, nil, &logs)
//	next, ok := paging.NextLink(resp.Header)
//
// DoJSON resolves the path against Options.BaseURL (an absolute URL, such as
// a vendor's next link, passes through if it names the same host), encodes
// the body, decodes the answer into out straight from the stream, and maps
// failures to the sdk errors: 401 to *sdk.UnauthenticatedError, 403 to
// *sdk.PermissionDeniedError, any other 4xx to *StatusError. For requests
// that need their own headers, build them with NewRequest and send them
// with DoDecode; for a streamed body, use Do and CheckResponse.
//
// # Retries
//
// Do retries 429, 5xx (but 501) and network errors, at most MaxAttempts
// attempts (default 3) and MaxWait of waiting in total (default 20 s). The
// wait before a retry is what the vendor named — Retry-After (seconds or an
// HTTP date) or one of ResetHeaders (Okta X-Rate-Limit-Reset and CrowdStrike
// X-RateLimit-RetryAfter as epoch seconds, Datadog X-RateLimit-Reset and
// PagerDuty ratelimit-reset as seconds to wait) — or else an exponential
// backoff from BaseBackoff (1 s) with jitter. A 403 that carries a rate-limit
// header and no remaining quota is a throttle and is treated as a 429.
//
// Past the attempts or the budget, Do returns an *sdk.RetryAfterError whose
// Wait is the vendor's (or sdk.DefaultRetryAfter when it named none), and the
// host holds the integration until then. A vendor wait longer than what is
// left of the budget is not slept at all: Do returns at once.
//
// A 401 is retried once, after calling Options.Invalidate, when that hook is
// set: an OAuth2 token that expired mid-pagination is fetched again (see
// package sdk/oauth).
//
// # Caveats
//
// Cancelling the context stops a wait at once. A request body is buffered so
// that it can be sent again; use GetBody (http.NewRequest sets it for the
// usual readers) for a body too large to hold. Errors and logs name the
// method, host and path of a request, never its query, its headers or the
// secrets Authorize set; set Options.HidePath when the path itself is a
// secret (a webhook URL).
package httpclient
