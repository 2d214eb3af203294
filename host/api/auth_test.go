package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		header string
	}{
		{"no header", ""},
		{"bearer scheme", "Bearer " + e.admin},
		{"scheme only", "ApiToken"},
		{"empty token", "ApiToken    "},
		{"unknown token", "ApiToken not-a-token-of-this-host"},
		{"token with a space", "ApiToken a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			req := mustRequest(t, "GET", "/v1/customers")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			r := serve(t, e.h, req).want(401, CodeUnauthenticated)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		e := e.with(t)
		req := mustRequest(t, "GET", "/v1/customers")
		req.Header.Set("Authorization", "apitoken "+e.admin)
		serve(t, e.h, req).want(200)
	})
	t.Run("open routes", func(t *testing.T) {
		e := e.with(t)
		e.do("GET", "/v1/openapi.json", "", nil).want(200)
		e.do("GET", "/healthz", "", nil).want(200)
		e.do("GET", "/metrics", "", nil).want(200)
	})
	t.Run("the token never reaches the log", func(t *testing.T) {
		e := e.with(t)
		e.do("GET", "/v1/customers", e.admin, nil).want(200)
		if strings.Contains(e.logs.String(), e.admin) {
			t.Fatal("the admin token is in the log")
		}
		if !strings.Contains(e.logs.String(), "/v1/customers") {
			t.Fatal("requests are not logged at debug")
		}
	})
}

func TestHealthz(t *testing.T) {
	var mu sync.Mutex
	var ready error = errors.New("plugin directory not scanned yet")
	e := newEnv(t, func(o *Options, _ *service.Options) {
		o.Ready = func() error {
			mu.Lock()
			defer mu.Unlock()
			return ready
		}
	})
	e.do("GET", "/healthz", "", nil).want(503, CodeUnavailable).wantMessage("not scanned")
	mu.Lock()
	ready = nil
	mu.Unlock()
	if r := e.do("GET", "/healthz", "", nil).want(200); r.str("status") != "ok" {
		t.Fatalf("healthz body %s", r.Body)
	}
}

func TestMetricsHook(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *service.Options) {
		o.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("outpost_up 1\n"))
		})
	})
	if r := e.do("GET", "/metrics", "", nil).want(200); string(r.Body) != "outpost_up 1\n" {
		t.Fatalf("metrics body %q", r.Body)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/v1/nothing-here", e.admin, nil).want(404, CodeNotFound)
	e.do("GET", "/nothing", "", nil).want(404, CodeNotFound)
	e.do("GET", "/v1/customers/", e.admin, nil).want(404, CodeNotFound)
	e.do("PUT", "/v1/customers", e.admin, "{}").want(405)
	if m := e.do("PUT", "/v1/customers", e.admin, "{}").json(); m["code"] == nil || m["message"] == nil {
		t.Fatalf("405 without a JSON error body: %v", m)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	e := newEnv(t, func(o *Options, _ *service.Options) {
		o.RateLimit, o.Burst = 10, 10
		o.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
	})
	other := e.token("other", store.RoleAdmin, "")
	// A fresh second: the token's creation took one request.
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	for i := 0; i < 10; i++ {
		e.do("GET", "/v1/customers", e.admin, nil).want(200)
	}
	r := e.do("GET", "/v1/customers", e.admin, nil).want(429, CodeUnavailable)
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want whole seconds >= 1", r.Header.Get("Retry-After"))
	}
	// Another token is not slowed by the first one's flood.
	for i := 0; i < 10; i++ {
		e.do("GET", "/v1/customers", other, nil).want(200)
	}
	// The bucket refills at the configured rate.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	e.do("GET", "/v1/customers", e.admin, nil).want(200)
	// Open routes are not limited.
	for i := 0; i < 20; i++ {
		e.do("GET", "/healthz", "", nil).want(200)
	}
}

// failing is a Service whose ListCustomers fails or panics.
type failing struct {
	*service.Service
	err   error
	panic bool
}

func (f *failing) ListCustomers(ctx context.Context, who *store.Token, p store.Page) ([]store.Customer, int, error) {
	if f.panic {
		panic("boom: secret internals")
	}
	return nil, 0, f.err
}

func TestInternalErrorsHideDetails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		svc    func(*service.Service) Service
		status int
		code   string
	}{
		{"error", func(s *service.Service) Service {
			return &failing{Service: s, err: errors.New("bolt: secret internals at /var/lib/outpost")}
		}, 500, CodeInternal},
		{"panic", func(s *service.Service) Service { return &failing{Service: s, panic: true} }, 500, CodeInternal},
		{"deadline", func(s *service.Service) Service {
			return &failing{Service: s, err: context.DeadlineExceeded}
		}, 504, CodeUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			h := New(Options{Service: tc.svc(e.svc), RateLimit: -1})
			req := mustRequest(t, "GET", "/v1/customers")
			req.Header.Set("Authorization", "ApiToken "+e.admin)
			r := serve(t, h, req).want(tc.status, tc.code)
			if strings.Contains(string(r.Body), "secret") || strings.Contains(string(r.Body), "bolt") {
				t.Fatalf("internal detail in the answer: %s", r.Body)
			}
		})
	}
}
