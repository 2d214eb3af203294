package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"
)

// The defaults of Options.
const (
	DefaultRateLimit = 10
	DefaultBurst     = 10
)

// Options configures the API.
type Options struct {
	Service Service
	Logger  hclog.Logger
	// RateLimit is each token's sustained requests per second (default
	// 10); a negative value turns the limit off.
	RateLimit float64
	// Burst is each token's bucket size (default 10).
	Burst int
	// Ready says whether the host can serve: nil when the store is open,
	// admin.token exists and the plugin directory was scanned, otherwise
	// why not. GET /healthz answers 200 only while it returns nil; a nil
	// Ready means always ready.
	Ready func() error
	// Metrics serves GET /metrics; nil answers an empty exposition.
	Metrics http.Handler
	// Instrument, when set, runs first on every request, outside recovery
	// and error rendering, so that it sees the final status (the metrics
	// middleware).
	Instrument gin.HandlerFunc
	// Now is the rate limiter's clock; nil means time.Now.
	Now func() time.Time
}

// New returns the REST API as an http.Handler.
func New(opts Options) http.Handler { return newEngine(opts) }

func newEngine(opts Options) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("api")
	limit := rate.Limit(opts.RateLimit)
	switch {
	case opts.RateLimit == 0:
		limit = DefaultRateLimit
	case opts.RateLimit < 0:
		limit = rate.Inf
	}
	burst := opts.Burst
	if burst <= 0 {
		burst = DefaultBurst
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	e := gin.New()
	e.HandleMethodNotAllowed = true
	// An unknown path is 404, not a redirect without a JSON body.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	// Route on the escaped path, so that a path value may hold an escaped
	// slash (an IOC indicator); values are unescaped for the handlers.
	e.UseRawPath = true
	if opts.Instrument != nil {
		e.Use(opts.Instrument)
	}
	e.Use(recoverMiddleware(log), logMiddleware(log), errorMiddleware(log))
	e.NoRoute(func(c *gin.Context) {
		fail(c, &httpError{status: http.StatusNotFound, code: CodeNotFound, message: "no route " + c.Request.Method + " " + c.Request.URL.Path})
	})
	e.NoMethod(func(c *gin.Context) {
		fail(c, &httpError{status: http.StatusMethodNotAllowed, code: CodeInvalidArgument,
			message: "method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})

	ops := &opsHandler{ready: opts.Ready, metrics: opts.Metrics}
	routes := routeTable(opts.Service, ops)
	ops.openapi = openAPI(routes)
	v1 := e.Group("/v1", authMiddleware(opts.Service), rateMiddleware(newLimiter(limit, burst, now)))
	for _, r := range routes {
		if r.open {
			e.Handle(r.method, ginPath(r.path), r.handler)
			continue
		}
		v1.Handle(r.method, strings.TrimPrefix(ginPath(r.path), "/v1"), r.handler)
	}
	return e
}
