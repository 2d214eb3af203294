package httpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"

	"github.com/outpost-soc/outpost/sdk"
)

// Defaults of Options.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 3
	DefaultMaxWait     = 20 * time.Second
	DefaultBaseBackoff = time.Second
)

// Options configure a Client. The zero value of every field is a usable
// default.
type Options struct {
	// BaseURL is the root that request paths are appended to; it may carry a
	// path prefix ("https://host/prefix"). Empty means every request names
	// an absolute URL.
	BaseURL string
	// Timeout bounds one attempt, from dial to the last byte of the body,
	// like http.Client.Timeout. Default 30 s.
	Timeout time.Duration
	// MaxAttempts is how many times a request is sent at most. Default 3.
	MaxAttempts int
	// MaxWait is the total time Do may sleep between attempts. Default 20 s.
	MaxWait time.Duration
	// BaseBackoff is the first backoff wait, doubled each retry, when the
	// vendor named no wait. Default 1 s; tests set it small.
	BaseBackoff time.Duration

	// InsecureSkipVerify turns off TLS verification (config verify_tls=false).
	InsecureSkipVerify bool
	// CAFile is a PEM file of extra roots trusted besides the system's.
	CAFile string
	// Transport replaces the default transport (proxy from the environment,
	// the TLS options above). InsecureSkipVerify and CAFile are then ignored.
	Transport http.RoundTripper

	// RateLimit is the most requests per second this client sends; 0 means
	// no limit. Burst is how many may go at once (default 1).
	RateLimit float64
	Burst     int

	// Authorize adds credentials to every attempt of a request, after the
	// request is cloned, so a refreshed token is used on a retry. The headers
	// it sets never appear in errors or logs.
	Authorize func(ctx context.Context, req *http.Request) error
	// Invalidate, when set, is called on a 401; the request is then
	// authorized and sent once more (a cached token that expired early).
	Invalidate func()

	// UserAgent is sent as User-Agent; default "outpost-plugin".
	UserAgent string
	// Header is added to every request that lacks the header.
	Header http.Header
	// ResetHeaders are the vendor headers that tell how long to wait after a
	// throttle, tried after Retry-After. Nil means DefaultResetHeaders.
	ResetHeaders []ResetHeader
	// HidePath keeps the URL path out of errors and logs, for URLs whose path
	// is a secret (webhooks).
	HidePath bool

	// Logger gets one debug line per attempt and retry (method, host, path,
	// status, wait: never a header, query or body). Default: no logging.
	Logger hclog.Logger
}

// Client sends vendor requests. It is safe for concurrent use.
type Client struct {
	base        *url.URL
	http        *http.Client
	maxAttempts int
	maxWait     time.Duration
	backoff     time.Duration
	limiter     *rate.Limiter
	authorize   func(context.Context, *http.Request) error
	invalidate  func()
	userAgent   string
	header      http.Header
	reset       []ResetHeader
	hidePath    bool
	log         hclog.Logger

	// Seams for tests: how to wait and what time it is.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

var _ io.Closer = (*Client)(nil)

// New returns a Client for opts. A BaseURL or CAFile it cannot use is an
// *sdk.InvalidConfigError.
func New(opts Options) (*Client, error) {
	c := &Client{
		maxAttempts: opts.MaxAttempts,
		maxWait:     opts.MaxWait,
		backoff:     opts.BaseBackoff,
		authorize:   opts.Authorize,
		invalidate:  opts.Invalidate,
		userAgent:   opts.UserAgent,
		header:      opts.Header.Clone(),
		reset:       opts.ResetHeaders,
		hidePath:    opts.HidePath,
		log:         opts.Logger,
		sleep:       sleepCtx,
		now:         time.Now,
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(strings.TrimSpace(opts.BaseURL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, sdk.InvalidConfig("", "base url %q is not an http(s) url", redactURL(opts.BaseURL))
		}
		u.RawQuery, u.Fragment, u.User = "", "", nil
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		c.base = u
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxWait
	}
	if c.backoff <= 0 {
		c.backoff = DefaultBaseBackoff
	}
	if c.userAgent == "" {
		c.userAgent = "outpost-plugin"
	}
	if c.reset == nil {
		c.reset = DefaultResetHeaders
	}
	if c.log == nil {
		c.log = hclog.NewNullLogger()
	}
	if opts.RateLimit > 0 {
		burst := opts.Burst
		if burst <= 0 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), burst)
	}
	rt := opts.Transport
	if rt == nil {
		t, err := NewTransport(opts)
		if err != nil {
			return nil, err
		}
		rt = t
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c.http = &http.Client{Transport: rt, Timeout: timeout}
	return c, nil
}

// NewTransport returns the transport New builds when Options.Transport is
// nil: proxy from the environment, TLS 1.2 or later, and opts'
// InsecureSkipVerify and CAFile (its other fields are ignored). Share it
// with a token source so that the token call trusts what the vendor calls
// trust.
func NewTransport(opts Options) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.InsecureSkipVerify {
		t.TLSClientConfig.InsecureSkipVerify = true // the integration's verify_tls=false
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, sdk.InvalidConfig("", "reading ca file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, sdk.InvalidConfig("", "ca file %s holds no PEM certificate", opts.CAFile)
		}
		t.TLSClientConfig.RootCAs = pool
	}
	return t, nil
}

// Close releases idle connections. The Client stays usable.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// Do sends req with retries (see the package doc) and returns the first
// answer that is not retried: any 2xx, 3xx or 4xx but 429 and throttling
// 403s, with its body open for the caller to read and close. When retries
// run out it returns an *sdk.RetryAfterError; a cancelled ctx returns its
// error at once. ctx governs the call (req's own context is not used).
// Every attempt sends a clone of req; a body without GetBody is first read
// into memory once and req.GetBody set, so that it can be sent again.
func (c *Client) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		if err := bufferBody(req); err != nil {
			return nil, fmt.Errorf("%s %s: reading request body: %w", req.Method, c.where(req.URL), err)
		}
	}
	var (
		slept    time.Duration
		reauthed bool
	)
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, req, attempt)
		var r retry
		switch {
		case err != nil:
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fmt.Errorf("%s %s: %w", req.Method, c.where(req.URL), ctxErr)
			}
			if !retryableError(err) {
				var nr noRetry
				if errors.As(err, &nr) {
					err = nr.error
				}
				return nil, err
			}
			r = retry{err: err}
		case resp.StatusCode == http.StatusUnauthorized && c.invalidate != nil && !reauthed:
			// A token that expired before its stated lifetime: fetch a new
			// one and try again, once, without counting an attempt.
			reauthed = true
			closeBody(resp)
			c.log.Debug("vendor answered 401, renewing credentials", "method", req.Method, "url", c.where(req.URL))
			c.invalidate()
			attempt--
			continue
		default:
			var ok bool
			r, ok = c.classify(resp)
			if !ok {
				return resp, nil
			}
		}

		wait := r.wait
		if !r.named {
			wait = backoff(c.backoff, attempt)
		}
		if attempt >= c.maxAttempts || slept+wait > c.maxWait {
			hold := sdk.DefaultRetryAfter
			if r.named {
				hold = max(r.wait, time.Second)
			}
			c.log.Debug("vendor request gave up", "method", req.Method, "url", c.where(req.URL),
				"attempts", attempt, "hold", hold.String())
			tries := "attempts"
			if attempt == 1 {
				tries = "attempt"
			}
			return nil, sdk.RetryAfter(hold, fmt.Errorf("after %d %s: %w", attempt, tries, r.err))
		}
		c.log.Debug("retrying vendor request", "method", req.Method, "url", c.where(req.URL),
			"attempt", attempt, "wait", wait.String(), "reason", r.reason())
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, c.where(req.URL), err)
		}
		slept += wait
	}
}

// attempt sends one try of req. A non-nil error is a transport error (or an
// Authorize or rate-limiter failure, which are not retried).
func (c *Client) attempt(ctx context.Context, req *http.Request, n int) (*http.Response, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, noRetry{fmt.Errorf("%s %s: waiting for the rate limiter: %w", req.Method, c.where(req.URL), err)}
		}
	}
	sec := &secrets{where: c.where(req.URL)}
	r := req.Clone(context.WithValue(ctx, secretsKey{}, sec))
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, noRetry{fmt.Errorf("%s %s: replaying request body: %w", req.Method, c.where(req.URL), err)}
		}
		r.Body = body
	}
	for k, v := range c.header {
		if _, ok := r.Header[k]; !ok {
			r.Header[k] = append([]string(nil), v...)
		}
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", c.userAgent)
	}
	if c.authorize != nil {
		before := r.Header.Clone()
		if err := c.authorize(ctx, r); err != nil {
			closeBody(&http.Response{Body: r.Body})
			return nil, noRetry{fmt.Errorf("authorizing %s %s: %w", req.Method, c.where(req.URL), err)}
		}
		sec.fromChanged(before, r.Header)
	}
	sec.fromRequest(r)

	start := c.now()
	resp, err := c.http.Do(r)
	if err != nil {
		// The *url.Error names the full URL, query included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		c.log.Debug("vendor request failed", "method", req.Method, "url", c.where(req.URL),
			"attempt", n, "duration_ms", c.now().Sub(start).Milliseconds(), "error", sec.scrub(err.Error()))
		return nil, &transportError{method: req.Method, where: c.where(req.URL), err: err, msg: sec.scrub(err.Error())}
	}
	c.log.Debug("vendor request", "method", req.Method, "url", c.where(req.URL),
		"attempt", n, "status", resp.StatusCode, "duration_ms", c.now().Sub(start).Milliseconds())
	return resp, nil
}

// where names u in errors and logs: scheme, host and path, never the query
// or user info; only the host when the path is secret.
func (c *Client) where(u *url.URL) string {
	if u == nil {
		return ""
	}
	if c.hidePath {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// bufferBody reads a body that cannot be replayed into memory once, so that
// every attempt sends the same bytes.
func bufferBody(req *http.Request) error {
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.Body, _ = req.GetBody()
	return nil
}

// closeBody drains a little of a body so the connection can be reused, then
// closes it.
func closeBody(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
