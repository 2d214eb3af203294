package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// GinMiddleware counts and times each request by route pattern, method and
// status code. Install it first, before recovery and error rendering, so
// that it sees the status those write.
func (m *Metrics) GinMiddleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			// No route, or no such method on one: the path is the
			// client's to choose, so it never becomes a label.
			route = "unmatched"
		}
		method := methodLabel(c.Request.Method)
		m.httpRequests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// methodLabel keeps the method label bounded: a client can send any token
// as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}
