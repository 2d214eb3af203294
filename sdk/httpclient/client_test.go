package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// sleeps records the waits Do asks for without sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newTestClient returns a client whose waits are recorded, not slept.
func newTestClient(t *testing.T, opts Options) (*Client, *sleeps) {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	t.Cleanup(func() { _ = c.Close() })
	return c, s
}

// script answers the i-th request with steps[i] (the last one repeats).
type script struct {
	mu    sync.Mutex
	n     int
	steps []func(w http.ResponseWriter, r *http.Request)
	seen  []recorded
}

type recorded struct {
	method, path, query, body, auth string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := min(s.n, len(s.steps)-1)
	s.n++
	s.seen = append(s.seen, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get("Authorization")})
	step := s.steps[i]
	s.mu.Unlock()
	step(w, r)
}

func (s *script) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.seen...)
}

func serve(t *testing.T, steps ...func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *script) {
	t.Helper()
	s := &script{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func status(code int, headers ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code >= 400 {
			_, _ = io.WriteString(w, `{"message":"status `+strconv.Itoa(code)+`"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}
}

var ok200 = status(http.StatusOK)

func get(t *testing.T, c *Client, u string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), req)
	if resp != nil {
		t.Cleanup(func() { _ = resp.Body.Close() })
	}
	return resp, err
}

func TestRetryThenSuccess(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv, sc := serve(t, status(code), status(code), ok200)
			c, sl := newTestClient(t, Options{BaseURL: srv.URL})
			resp, err := get(t, c, srv.URL+"/x")
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if n := len(sc.requests()); n != 3 {
				t.Fatalf("requests = %d, want 3", n)
			}
			// Exponential from 1 s with up to 50 % jitter: [1, 1.5] then [2, 3].
			w := sl.all()
			if len(w) != 2 || w[0] < time.Second || w[0] > 1500*time.Millisecond || w[1] < 2*time.Second || w[1] > 3*time.Second {
				t.Fatalf("waits = %v, want ~1s then ~2s", w)
			}
		})
	}
}

func TestNotRetried(t *testing.T) {
	for _, code := range []int{200, 201, 204, 304, 400, 401, 403, 404, 409, 501} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv, sc := serve(t, status(code))
			c, sl := newTestClient(t, Options{})
			resp, err := get(t, c, srv.URL+"/x")
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.StatusCode != code || len(sc.requests()) != 1 || len(sl.all()) != 0 {
				t.Fatalf("status %d after %d requests and waits %v", resp.StatusCode, len(sc.requests()), sl.all())
			}
		})
	}
}

func TestVendorWaitHeaders(t *testing.T) {
	date := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	epoch := func(d time.Duration) string { return strconv.FormatInt(date.Add(d).Unix(), 10) }
	tests := []struct {
		name    string
		code    int
		headers []string
		want    time.Duration
	}{
		{"retry-after seconds", 429, []string{"Retry-After", "7"}, 7 * time.Second},
		{"retry-after http date", 503, []string{"Retry-After", date.Add(9 * time.Second).Format(http.TimeFormat)}, 9 * time.Second},
		{"okta epoch", 429, []string{"X-Rate-Limit-Limit", "600", "X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(11 * time.Second)}, 11 * time.Second},
		{"crowdstrike epoch", 429, []string{"X-RateLimit-Limit", "6000", "X-RateLimit-RetryAfter", epoch(4 * time.Second)}, 4 * time.Second},
		{"datadog seconds", 429, []string{"X-RateLimit-Limit", "100", "X-RateLimit-Period", "60", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "13"}, 13 * time.Second},
		{"pagerduty seconds", 429, []string{"ratelimit-limit", "960", "ratelimit-remaining", "0", "ratelimit-reset", "6"}, 6 * time.Second},
		{"seconds header sent as epoch", 429, []string{"X-RateLimit-Reset", epoch(5 * time.Second)}, 5 * time.Second},
		{"throttling 403 okta", 403, []string{"X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", epoch(3 * time.Second)}, 3 * time.Second},
		{"throttling 403 retry-after", 403, []string{"Retry-After", "2"}, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := append([]string{"Date", date.Format(http.TimeFormat)}, tt.headers...)
			srv, sc := serve(t, status(tt.code, h...), ok200)
			c, sl := newTestClient(t, Options{MaxWait: time.Minute})
			resp, err := get(t, c, srv.URL)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.StatusCode != 200 || len(sc.requests()) != 2 {
				t.Fatalf("status %d after %d requests", resp.StatusCode, len(sc.requests()))
			}
			if w := sl.all(); len(w) != 1 || w[0] != tt.want {
				t.Fatalf("waits = %v, want [%v]", w, tt.want)
			}
		})
	}
}

func TestPermission403NotThrottle(t *testing.T) {
	// Okta sends its rate-limit headers on every answer: a 403 with quota
	// left is a real permission error.
	srv, sc := serve(t, status(403, "X-Rate-Limit-Remaining", "599", "X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Unix()+30, 10)))
	c, _ := newTestClient(t, Options{BaseURL: srv.URL})
	_, err := c.DoJSON(context.Background(), http.MethodGet, "/api/v1/logs", nil, nil, nil)
	var pd *sdk.PermissionDeniedError
	if !errors.As(err, &pd) {
		t.Fatalf("err = %v, want *sdk.PermissionDeniedError", err)
	}
	if n := len(sc.requests()); n != 1 {
		t.Fatalf("requests = %d, want 1", n)
	}
}

func TestGiveUp(t *testing.T) {
	tests := []struct {
		name     string
		step     func(w http.ResponseWriter, r *http.Request)
		maxWait  time.Duration
		requests int
		want     time.Duration
	}{
		{"attempts exhausted with vendor wait", status(429, "Retry-After", "2"), time.Minute, 3, 2 * time.Second},
		{"attempts exhausted without vendor wait", status(503), time.Minute, 3, sdk.DefaultRetryAfter},
		{"vendor wait beyond budget", status(429, "Retry-After", "45"), 20 * time.Second, 1, 45 * time.Second},
		{"budget spent by backoff", status(500), 2 * time.Second, 2, sdk.DefaultRetryAfter},
		{"vendor wait capped", status(429, "Retry-After", "999999"), 0, 1, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, sc := serve(t, tt.step)
			c, _ := newTestClient(t, Options{MaxWait: tt.maxWait})
			_, err := get(t, c, srv.URL+"/v1/things?page=2")
			var ra *sdk.RetryAfterError
			if !errors.As(err, &ra) {
				t.Fatalf("err = %v, want *sdk.RetryAfterError", err)
			}
			if ra.Wait != tt.want {
				t.Fatalf("Wait = %v, want %v", ra.Wait, tt.want)
			}
			if n := len(sc.requests()); n != tt.requests {
				t.Fatalf("requests = %d, want %d", n, tt.requests)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.URL != srv.URL+"/v1/things" {
				t.Fatalf("err = %v, want a *StatusError naming the path without query", err)
			}
			if strings.Contains(err.Error(), "page=2") {
				t.Fatalf("error %q shows the query", err)
			}
		})
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close() // nothing listens there any more: connection refused
	c, sl := newTestClient(t, Options{})
	_, err := get(t, c, u+"/x?api_key=querysecret123")
	var ra *sdk.RetryAfterError
	if !errors.As(err, &ra) || ra.Wait != sdk.DefaultRetryAfter {
		t.Fatalf("err = %v, want retry after %v", err, sdk.DefaultRetryAfter)
	}
	if len(sl.all()) != 2 {
		t.Fatalf("waits = %v, want 2", sl.all())
	}
	if strings.Contains(err.Error(), "querysecret123") {
		t.Fatalf("error %q shows the query", err)
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select { // hang past the client's per-attempt timeout
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		ok200(w, r)
	}))
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, Options{Timeout: 100 * time.Millisecond})
	resp, err := get(t, c, srv.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Do: %v", err)
	}
	if n.Load() != 2 {
		t.Fatalf("requests = %d, want 2", n.Load())
	}
}

func TestContextCancel(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		srv, _ := serve(t, status(503))
		c, err := New(Options{BaseBackoff: time.Hour, MaxWait: 10 * time.Hour}) // real sleeps
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		done := make(chan error, 1)
		go func() { _, err := c.Do(ctx, req); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if _, ok := sdk.RetryWait(err); ok {
				t.Fatalf("a cancelled call must not be a retry-after: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Do kept waiting after cancel")
		}
	})
	t.Run("during request", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		c, sl := newTestClient(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		_, err := c.Do(ctx, req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if len(sl.all()) != 0 {
			t.Fatalf("waited %v after the deadline", sl.all())
		}
	})
}

// oneShotReader is a body http.NewRequest cannot make replayable.
type oneShotReader struct{ r io.Reader }

func (o *oneShotReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestBodyReplayed(t *testing.T) {
	const body = `{"filter":{"from":"now-1h"},"page":{"limit":100}}`
	for _, tt := range []struct {
		name string
		rd   func() io.Reader
	}{
		{"one-shot reader", func() io.Reader { return &oneShotReader{strings.NewReader(body)} }},
		{"bytes reader", func() io.Reader { return bytes.NewReader([]byte(body)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, sc := serve(t, status(500), status(429, "Retry-After", "1"), ok200)
			c, _ := newTestClient(t, Options{})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/search", tt.rd())
			resp, err := c.Do(context.Background(), req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			_ = resp.Body.Close()
			reqs := sc.requests()
			if len(reqs) != 3 {
				t.Fatalf("requests = %d", len(reqs))
			}
			for i, r := range reqs {
				if r.body != body {
					t.Fatalf("attempt %d sent body %q", i+1, r.body)
				}
			}
		})
	}
}

func TestDoJSONErrorMapping(t *testing.T) {
	tests := []struct {
		name  string
		code  int
		body  string
		check func(t *testing.T, err error)
	}{
		{"401 okta", 401, `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}`,
			func(t *testing.T, err error) {
				var ue *sdk.UnauthenticatedError
				if !errors.As(err, &ue) || !strings.Contains(ue.Message, "Invalid token provided") {
					t.Fatalf("err = %v, want unauthenticated with the vendor message", err)
				}
			}},
		{"403 datadog", 403, `{"errors":["Forbidden"]}`,
			func(t *testing.T, err error) {
				var pd *sdk.PermissionDeniedError
				if !errors.As(err, &pd) || !strings.Contains(pd.Message, "Forbidden") {
					t.Fatalf("err = %v, want permission denied", err)
				}
			}},
		{"404 plain", 404, `no such page`,
			func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != 404 || se.Body != "no such page" {
					t.Fatalf("err = %#v, want *StatusError 404", err)
				}
			}},
		{"400 huge body cut", 400, `{"message":"` + strings.Repeat("é", 3000) + `"}`,
			func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || len(se.Body) > MaxErrorBody {
					t.Fatalf("body of %d bytes kept", len(se.Body))
				}
				if len(err.Error()) > 600 {
					t.Fatalf("error of %d bytes", len(err.Error()))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				_, _ = io.WriteString(w, tt.body)
			})
			c, _ := newTestClient(t, Options{BaseURL: srv.URL})
			var out map[string]any
			_, err := c.DoJSON(context.Background(), http.MethodGet, "/api/v1/logs", url.Values{"limit": {"1"}}, nil, &out)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
		})
	}
}

func TestDoJSON(t *testing.T) {
	type item struct {
		ID   string          `json:"id"`
		Raw  json.RawMessage `json:"raw"`
		Seen int             `json:"seen"`
	}
	srv, sc := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+"http://"+r.Host+`/prefix/api/items?after=2>; rel="next"`)
		_, _ = io.WriteString(w, `[{"id":"1","raw":{"a":1},"seen":1},{"id":"2","raw":[],"seen":2}]`)
	})
	c, _ := newTestClient(t, Options{BaseURL: srv.URL + "/prefix/", Header: http.Header{"X-Static": {"v"}}})

	var items []item
	resp, err := c.DoJSON(context.Background(), http.MethodPost, "api/items?fixed=1", url.Values{"limit": {"2"}}, map[string]int{"n": 1}, &items)
	if err != nil {
		t.Fatalf("DoJSON: %v", err)
	}
	if len(items) != 2 || items[1].ID != "2" || string(items[0].Raw) != `{"a":1}` {
		t.Fatalf("items = %+v", items)
	}
	r := sc.requests()[0]
	if r.path != "/prefix/api/items" || r.query != "fixed=1&limit=2" || r.body != `{"n":1}` {
		t.Fatalf("request = %+v", r)
	}

	// The vendor's absolute next link passes through.
	next := strings.TrimSuffix(strings.TrimPrefix(strings.Split(resp.Header.Get("Link"), ";")[0], "<"), ">")
	if _, err := c.DoJSON(context.Background(), http.MethodGet, next, nil, nil, &items); err != nil {
		t.Fatalf("DoJSON(next): %v", err)
	}
	if r := sc.requests()[1]; r.path != "/prefix/api/items" || r.query != "after=2" {
		t.Fatalf("next request = %+v", r)
	}

	// A link to another host would carry our credentials there.
	if _, err := c.DoJSON(context.Background(), http.MethodGet, "http://elsewhere.invalid/x", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "not on the integration's host") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if n := len(sc.requests()); n != 2 {
		t.Fatalf("requests = %d", n)
	}
}

func TestDoJSONGarbage(t *testing.T) {
	tests := []struct {
		name, ctype, body, want string
	}{
		{"html", "text/html", "<html>login</html>", "content type text/html"},
		{"empty", "application/json", "", "empty body"},
		{"truncated", "application/json", `[{"id":"1"`, "unexpected EOF"},
		{"trailing", "application/json", `[] []`, "data after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				_, _ = io.WriteString(w, tt.body)
			})
			c, _ := newTestClient(t, Options{BaseURL: srv.URL})
			var out []map[string]any
			_, err := c.DoJSON(context.Background(), http.MethodGet, "/api/v1/logs", url.Values{"token": {"querysecret123"}}, nil, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "/api/v1/logs") {
				t.Fatalf("err = %v, want one naming the path and %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "querysecret123") {
				t.Fatalf("error %q shows the query", err)
			}
		})
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	const (
		token  = "SSWS-00supersecrettoken123"
		qsec   = "querysecret456"
		basicU = "svc-user"
		basicP = "basicpass789!"
	)
	echo := func(code int) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = io.WriteString(w, `{"message":"bad credentials `+r.Header.Get("Authorization")+` `+r.Header.Get("X-Api-Key")+` `+r.URL.RawQuery+`"}`)
		}
	}
	for _, code := range []int{400, 401, 403, 429, 500} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv, _ := serve(t, echo(code))
			var logs bytes.Buffer
			c, _ := newTestClient(t, Options{
				BaseURL: srv.URL,
				Authorize: func(ctx context.Context, r *http.Request) error {
					r.Header.Set("Authorization", "SSWS "+token)
					r.Header.Set("X-Api-Key", basicP)
					return nil
				},
				Logger: newBufLogger(&logs),
			})
			_, err := c.DoJSON(context.Background(), http.MethodGet, "/api/v1/logs", url.Values{"api_key": {qsec}}, nil, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{token, qsec, basicP} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q holds a secret", err)
				}
				if strings.Contains(logs.String(), s) {
					t.Fatalf("log %q holds a secret", logs.String())
				}
			}
			if !strings.Contains(logs.String(), "vendor request") {
				t.Fatalf("no debug log: %q", logs.String())
			}
		})
	}
	t.Run("basic auth", func(t *testing.T) {
		srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
			u, p, _ := r.BasicAuth()
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"unknown user `+u+` with password `+p+`"}`)
		})
		c, _ := newTestClient(t, Options{BaseURL: srv.URL, Authorize: func(ctx context.Context, r *http.Request) error {
			r.SetBasicAuth(basicU, basicP)
			return nil
		}})
		_, err := c.DoJSON(context.Background(), http.MethodGet, "/services/server/info", nil, nil, nil)
		if err == nil || strings.Contains(err.Error(), basicP) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("hidden path", func(t *testing.T) {
		srv, _ := serve(t, status(404))
		c, _ := newTestClient(t, Options{HidePath: true})
		_, err := c.DoJSON(context.Background(), http.MethodPost, srv.URL+"/services/T000/B000/webhooksecret", nil, map[string]string{"text": "x"}, nil)
		if err == nil || strings.Contains(err.Error(), "webhooksecret") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestInvalidateOn401(t *testing.T) {
	t.Run("renewed token works", func(t *testing.T) {
		srv, sc := serve(t, status(401), ok200)
		var gen atomic.Int32
		var invalidated atomic.Int32
		c, _ := newTestClient(t, Options{
			BaseURL: srv.URL,
			Authorize: func(ctx context.Context, r *http.Request) error {
				r.Header.Set("Authorization", "Bearer tok-"+strconv.Itoa(int(gen.Load())))
				return nil
			},
			Invalidate: func() { invalidated.Add(1); gen.Add(1) },
		})
		if _, err := c.DoJSON(context.Background(), http.MethodPost, "/q", nil, map[string]int{"a": 1}, nil); err != nil {
			t.Fatalf("DoJSON: %v", err)
		}
		reqs := sc.requests()
		if len(reqs) != 2 || reqs[0].auth != "Bearer tok-0" || reqs[1].auth != "Bearer tok-1" || reqs[1].body != `{"a":1}` {
			t.Fatalf("requests = %+v", reqs)
		}
		if invalidated.Load() != 1 {
			t.Fatalf("invalidated %d times", invalidated.Load())
		}
	})
	t.Run("still refused", func(t *testing.T) {
		srv, sc := serve(t, status(401))
		c, _ := newTestClient(t, Options{BaseURL: srv.URL, Invalidate: func() {}})
		_, err := c.DoJSON(context.Background(), http.MethodGet, "/q", nil, nil, nil)
		var ue *sdk.UnauthenticatedError
		if !errors.As(err, &ue) {
			t.Fatalf("err = %v", err)
		}
		if n := len(sc.requests()); n != 2 {
			t.Fatalf("requests = %d, want 2", n)
		}
	})
	t.Run("authorize error not retried", func(t *testing.T) {
		srv, sc := serve(t, ok200)
		c, _ := newTestClient(t, Options{BaseURL: srv.URL, Authorize: func(ctx context.Context, r *http.Request) error {
			return sdk.Unauthenticated("token endpoint refused the client")
		}})
		_, err := c.DoJSON(context.Background(), http.MethodGet, "/q", nil, nil, nil)
		var ue *sdk.UnauthenticatedError
		if !errors.As(err, &ue) || len(sc.requests()) != 0 {
			t.Fatalf("err = %v after %d requests", err, len(sc.requests()))
		}
	})
}

func TestRateLimit(t *testing.T) {
	srv, sc := serve(t, ok200)
	c, _ := newTestClient(t, Options{BaseURL: srv.URL, RateLimit: 20, Burst: 1})
	other, _ := newTestClient(t, Options{BaseURL: srv.URL})
	start := time.Now()
	for range 5 {
		if _, err := c.DoJSON(context.Background(), http.MethodGet, "/", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 5 requests at 20/s with a burst of 1 take at least 4 intervals of 50 ms.
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Fatalf("5 requests took %v: the limiter did not hold them", el)
	}
	if n := len(sc.requests()); n != 5 {
		t.Fatalf("requests = %d", n)
	}
	// The limiter is the client's own: a limit that is spent makes a
	// deadline-bound wait fail at once rather than sleep past it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	slow, _ := newTestClient(t, Options{BaseURL: srv.URL, RateLimit: 0.001, Burst: 1})
	_, _ = slow.DoJSON(context.Background(), http.MethodGet, "/", nil, nil, nil)
	if _, err := slow.DoJSON(ctx, http.MethodGet, "/", nil, nil, nil); err == nil {
		t.Fatal("spent limiter did not refuse")
	}
	if _, err := other.DoJSON(context.Background(), http.MethodGet, "/", nil, nil, nil); err != nil {
		t.Fatalf("another client was held: %v", err)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(ok200))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   Options
		wantOK bool
	}{
		{"verify against system roots", Options{}, false},
		{"ca file", Options{CAFile: caFile}, true},
		{"verify_tls false", Options{InsecureSkipVerify: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.BaseURL = srv.URL
			c, sl := newTestClient(t, tt.opts)
			_, err := c.DoJSON(context.Background(), http.MethodGet, "/", nil, nil, nil)
			if (err == nil) != tt.wantOK {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if _, ok := sdk.RetryWait(err); ok || len(sl.all()) != 0 {
					t.Fatalf("a certificate error was retried: %v", err)
				}
			}
		})
	}
}

func TestNewInvalid(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not a cert"), 0o600)
	for _, opts := range []Options{
		{BaseURL: "ftp://host"},
		{BaseURL: "://nope"},
		{BaseURL: "/relative"},
		{CAFile: filepath.Join(t.TempDir(), "missing.pem")},
		{CAFile: bad},
	} {
		t.Run(opts.BaseURL+opts.CAFile, func(t *testing.T) {
			_, err := New(opts)
			var ic *sdk.InvalidConfigError
			if !errors.As(err, &ic) {
				t.Fatalf("err = %v, want *sdk.InvalidConfigError", err)
			}
		})
	}
}

func newBufLogger(w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: w, JSONFormat: true})
}
