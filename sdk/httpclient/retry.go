package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ResetHeader names a response header that says when a throttle ends.
type ResetHeader struct {
	// Name is the header name (case does not matter).
	Name string
	// Epoch says the value is a Unix time in seconds; otherwise it is the
	// number of seconds to wait. A value on the wrong side of 10^9 is read
	// as the other kind, so a vendor that changes its mind still works.
	Epoch bool
}

// DefaultResetHeaders are the reset headers of the vendors Outpost knows.
// Retry-After (seconds or an HTTP date) is always honoured before them.
var DefaultResetHeaders = []ResetHeader{
	{Name: "X-Rate-Limit-Reset", Epoch: true},     // Okta
	{Name: "X-RateLimit-RetryAfter", Epoch: true}, // CrowdStrike
	{Name: "X-RateLimit-Reset"},                   // Datadog
	{Name: "RateLimit-Reset"},                     // PagerDuty (ratelimit-reset), IETF draft
}

// remainingHeaders tell a throttling 403 from a permission 403: a vendor that
// sends them on every answer says "0" when the 403 is a throttle.
var remainingHeaders = []string{"X-Rate-Limit-Remaining", "X-RateLimit-Remaining", "RateLimit-Remaining"}

// maxHold caps a vendor wait: a corrupt header must not park an integration
// for days.
const maxHold = time.Hour

// retry is why an attempt is tried again, and how long the vendor asked for.
type retry struct {
	err   error
	wait  time.Duration
	named bool // the vendor named wait
}

func (r retry) reason() string {
	var se *StatusError
	if errors.As(r.err, &se) {
		return strconv.Itoa(se.StatusCode)
	}
	return "network error"
}

// classify reports whether resp is retried, and closes its body if so.
func (c *Client) classify(resp *http.Response) (retry, bool) {
	code := resp.StatusCode
	throttle := code == http.StatusTooManyRequests
	if code == http.StatusForbidden {
		throttle = c.throttling403(resp.Header)
	}
	if !throttle && (code < 500 || code == http.StatusNotImplemented) {
		return retry{}, false
	}
	wait, named := c.vendorWait(resp.Header)
	se := newStatusError(resp, c.where(resp.Request.URL), 256)
	return retry{err: se, wait: wait, named: named}, true
}

func (c *Client) throttling403(h http.Header) bool {
	if h.Get("Retry-After") != "" {
		return true
	}
	found := false
	for _, r := range c.reset {
		if h.Get(r.Name) != "" {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, name := range remainingHeaders {
		if v := h.Get(name); v != "" {
			return strings.TrimSpace(v) == "0"
		}
	}
	return true
}

// VendorWait returns the wait a throttled answer's headers name —
// Retry-After (seconds or an HTTP date), then DefaultResetHeaders — measured
// from the answer's Date when it has one, and whether they name one. For a
// plugin that handles a throttle Do does not see (a token endpoint, a 200
// whose body says "slow down").
func VendorWait(h http.Header) (time.Duration, bool) {
	return vendorWait(h, DefaultResetHeaders, time.Now())
}

func (c *Client) vendorWait(h http.Header) (time.Duration, bool) {
	return vendorWait(h, c.reset, c.now())
}

// vendorWait measures from the answer's Date when it has one, so that a
// skewed local clock does not matter for epoch headers.
func vendorWait(h http.Header, reset []ResetHeader, now time.Time) (time.Duration, bool) {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		now = d
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && !math.IsInf(secs, 0) {
			return clampWait(time.Duration(secs * float64(time.Second))), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return clampWait(t.Sub(now)), true
		}
	}
	for _, r := range reset {
		v := strings.TrimSpace(h.Get(r.Name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			continue
		}
		if n >= 1e9 { // an epoch, whatever the header is documented as
			sec, frac := math.Modf(n)
			return clampWait(time.Unix(int64(sec), int64(frac*1e9)).Sub(now)), true
		}
		return clampWait(time.Duration(n * float64(time.Second))), true
	}
	return 0, false
}

func clampWait(d time.Duration) time.Duration {
	return min(max(d, 0), maxHold)
}

// backoff is the exponential wait before retry n (1-based) when the vendor
// named none: base, 2·base, 4·base ..., each plus up to half again of jitter
// so that many integrations do not retry in step.
func backoff(base time.Duration, n int) time.Duration {
	d := base << min(n-1, 20)
	if d <= 0 || d > maxHold {
		d = maxHold
	}
	return d + rand.N(d/2+1)
}

// transportError is a failed attempt that never got an answer.
type transportError struct {
	method, where string
	err           error
	msg           string // err's text with secrets scrubbed
}

func (e *transportError) Error() string { return fmt.Sprintf("%s %s: %s", e.method, e.where, e.msg) }
func (e *transportError) Unwrap() error { return e.err }

// noRetry marks an error that ends Do at once.
type noRetry struct{ error }

func (e noRetry) Unwrap() error { return e.error }

// retryableError reports whether a failed attempt may succeed if tried
// again: network trouble yes; a certificate the client refuses, a failed
// Authorize or a cancelled context no.
func retryableError(err error) bool {
	var nr noRetry
	if errors.As(err, &nr) {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &rhe) {
		return false
	}
	return true
}
