package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// engine is a tiny gin router laid out like host/api's: metrics first, then
// recovery, with a 404 and a 405 handler.
func engine(m *Metrics) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(m.GinMiddleware(), gin.Recovery())
	e.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"code": "NOT_FOUND"}) })
	e.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, gin.H{"code": "INVALID_ARGUMENT"}) })
	e.GET("/v1/customers/:customer_id", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"id": c.Param("customer_id")}) })
	e.DELETE("/v1/customers/:customer_id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.GET("/boom", func(*gin.Context) { panic("boom") })
	e.GET("/metrics", gin.WrapH(m.Handler()))
	return e
}

func TestGinMiddleware(t *testing.T) {
	m := New(Options{})
	e := engine(m)
	requests := []struct {
		method, path string
		code         int
	}{
		{"GET", "/v1/customers/cus_A", 200},
		{"GET", "/v1/customers/cus_B", 200},
		{"DELETE", "/v1/customers/cus_A", 204},
		{"POST", "/v1/customers/cus_A", 405},
		{"GET", "/v1/nope/cus_C", 404},
		{"FROB", "/v1/customers/cus_D", 405},
		{"GET", "/boom", 500},
	}
	for _, r := range requests {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(r.method, r.path, nil))
			if rec.Code != r.code {
				t.Fatalf("status %d, want %d", rec.Code, r.code)
			}
		})
	}

	const want = `
# HELP outpost_http_requests_total REST API requests by route pattern, method and status code.
# TYPE outpost_http_requests_total counter
outpost_http_requests_total{code="200",method="GET",route="/v1/customers/:customer_id"} 2
outpost_http_requests_total{code="204",method="DELETE",route="/v1/customers/:customer_id"} 1
outpost_http_requests_total{code="404",method="GET",route="unmatched"} 1
outpost_http_requests_total{code="405",method="POST",route="unmatched"} 1
outpost_http_requests_total{code="405",method="other",route="unmatched"} 1
outpost_http_requests_total{code="500",method="GET",route="/boom"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "outpost_http_requests_total"); err != nil {
		t.Fatal(err)
	}

	// The scrape goes through the same engine, as GET /metrics does in
	// the host; it is counted after it is served.
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	wantLines(t, body,
		`outpost_http_request_duration_seconds_count{method="GET",route="/v1/customers/:customer_id"} 2`,
		`outpost_http_request_duration_seconds_count{method="DELETE",route="/v1/customers/:customer_id"} 1`,
		`outpost_http_request_duration_seconds_count{method="GET",route="unmatched"} 1`,
		`outpost_http_request_duration_seconds_bucket{method="GET",route="/boom",le="+Inf"} 1`,
	)
	for _, leak := range []string{"cus_", "/v1/nope", "FROB"} {
		if strings.Contains(body, leak) {
			t.Errorf("exposition carries %q from a request", leak)
		}
	}
	wantLines(t, scrape(t, m.Handler()), `outpost_http_requests_total{code="200",method="GET",route="/metrics"} 1`)
}

func TestMethodLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET", "GET"}, {"PATCH", "PATCH"}, {"OPTIONS", "OPTIONS"},
		{"get", "other"}, {"FROB", "other"}, {"", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := methodLabel(tt.in); got != tt.want {
				t.Fatalf("methodLabel(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
