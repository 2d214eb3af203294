package api

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/service"
)

// BenchmarkRateLimit floods the real router over loopback with one token
// for 3 s at the default limit (10 requests/s, burst 10). It fails unless
// the limit holds exactly: the first 10 requests pass, the 11th is 429 with
// Retry-After of at least 1 s, and no more than burst + rate×elapsed pass
// in all. It reports what passed per second and what the host answered per
// second in all (most of it 429s).
func BenchmarkRateLimit(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := newEnv(b, func(o *Options, _ *service.Options) { o.RateLimit, o.Burst = 10, 10 })
		srv := httptest.NewServer(e.h)
		get := func() (int, string) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/customers", nil)
			req.Header.Set("Authorization", "ApiToken "+e.admin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode, resp.Header.Get("Retry-After")
		}
		start := time.Now()
		for n := 1; n <= 10; n++ {
			if code, _ := get(); code != http.StatusOK {
				b.Fatalf("request %d of the burst: %d", n, code)
			}
		}
		code, retry := get()
		if secs, _ := strconv.Atoi(retry); code != http.StatusTooManyRequests || secs < 1 {
			b.Fatalf("11th request in the first second: %d, Retry-After %q", code, retry)
		}
		passed, total := 10, 11
		for time.Since(start) < 3*time.Second {
			if c, _ := get(); c == http.StatusOK {
				passed++
			}
			total++
		}
		elapsed := time.Since(start).Seconds()
		if limit := 10 + int(10*elapsed) + 1; passed > limit {
			b.Fatalf("%d requests passed in %.2fs, the limit allows %d", passed, elapsed, limit)
		}
		b.ReportMetric(float64(passed)/elapsed, "passed/s")
		b.ReportMetric(float64(total)/elapsed, "answered/s")
		srv.Close()
	}
}
