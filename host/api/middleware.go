package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"

	"github.com/outpost-soc/outpost/host/store"
)

const tokenKey = "outpost.token"

// who is the token the request acts with, set by authMiddleware.
func who(c *gin.Context) *store.Token {
	t, _ := c.Get(tokenKey)
	tok, _ := t.(*store.Token)
	return tok
}

// authMiddleware resolves "Authorization: ApiToken <token>".
func authMiddleware(auth Authenticator) gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "ApiToken") || tok == "" {
			fail(c, &httpError{status: http.StatusUnauthorized, code: CodeUnauthenticated,
				message: `missing or malformed Authorization header: want "Authorization: ApiToken <token>"`})
			return
		}
		t, err := auth.Authenticate(c.Request.Context(), tok)
		if err != nil {
			fail(c, err)
			return
		}
		c.Set(tokenKey, t)
	}
}

// limiter is a token bucket per API token, so that one token's flood never
// slows another.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// sweepAt is the number of buckets past which idle ones are dropped.
const sweepAt = 10000

func newLimiter(r rate.Limit, burst int, now func() time.Time) *limiter {
	return &limiter{rate: r, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket, or says how long to wait.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= sweepAt {
			for k, x := range l.buckets {
				// Idle this long, a bucket is full again: dropping it
				// changes nothing.
				if now.Sub(x.seen) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	l.mu.Unlock()

	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func rateMiddleware(l *limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		t := who(c)
		if t == nil {
			return
		}
		ok, wait := l.allow(t.ID)
		if ok {
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		fail(c, &httpError{status: http.StatusTooManyRequests, code: CodeUnavailable, retryAfter: secs,
			message: fmt.Sprintf("rate limit of this token exceeded: retry in %d s", secs)})
	}
}

// logMiddleware logs each request at debug: method, route, status and
// duration; never a header, so never a token.
func logMiddleware(log hclog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.Debug("request", "method", c.Request.Method, "route", route(c),
			"status", c.Writer.Status(), "duration", time.Since(start))
	}
}

// recoverMiddleware turns a panic into a 500 INTERNAL; the stack goes to the
// host log, never to the client.
func recoverMiddleware(log hclog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(p)
			}
			log.Error("panic in handler", "method", c.Request.Method, "route", route(c),
				"panic", p, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				c.AbortWithStatusJSON(http.StatusInternalServerError, ErrorBody{Code: CodeInternal, Message: "internal error"})
			} else {
				c.Abort()
			}
		}()
		c.Next()
	}
}
