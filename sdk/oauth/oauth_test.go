package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

const (
	clientID     = "app-3f1e0c5a"
	clientSecret = "s3cr3t-Xk29fj2kLqPz0vB7"
)

// tokenServer is an RFC 6749 client-credentials endpoint in the shape of
// CrowdStrike's POST /oauth2/token (201, token_type "bearer") and Azure AD's
// error bodies.
type tokenServer struct {
	*httptest.Server
	calls   atomic.Int32
	mu      sync.Mutex
	forms   []url.Values
	basic   []bool
	expires int                                       // expires_in; 0 leaves it out
	fail    func(w http.ResponseWriter, n int32) bool // answers instead when it returns true
}

func newTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	ts := &tokenServer{expires: 1799}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/oauth2/token" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, secret, basic := r.BasicAuth()
		if !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.basic = append(ts.basic, basic)
		ts.mu.Unlock()
		ts.mu.Lock()
		fail := ts.fail
		ts.mu.Unlock()
		if fail != nil && fail(w, n) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "client_credentials" || id != clientID || secret != clientSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"error":             "invalid_client",
				"error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value.",
			})
			return
		}
		w.WriteHeader(http.StatusCreated)
		body := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer"}
		if ts.expires > 0 {
			body["expires_in"] = ts.expires
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) setFail(f func(w http.ResponseWriter, n int32) bool) {
	ts.mu.Lock()
	ts.fail = f
	ts.mu.Unlock()
}

func (ts *tokenServer) config() Config {
	return Config{TokenURL: ts.URL + "/oauth2/token", ClientID: clientID, ClientSecret: clientSecret}
}

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestTokenCached(t *testing.T) {
	ts := newTokenServer(t)
	s := newSource(t, ts.config())
	ctx := context.Background()
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, "http://vendor.invalid/", nil)
		if err := s.Authorize(ctx, req); err != nil {
			t.Fatalf("Authorize: %v", err)
		}
		if got := req.Header.Get("Authorization"); got != "Bearer tok-1" {
			t.Fatalf("Authorization = %q", got)
		}
	}
	if n := ts.calls.Load(); n != 1 {
		t.Fatalf("token calls = %d, want 1", n)
	}

	// Close to expiry the token is renewed.
	s.now = func() time.Time { return time.Now().Add(1799*time.Second - expiryMargin) }
	if tok, err := s.Token(ctx); err != nil || tok != "tok-2" {
		t.Fatalf("Token = %q, %v; want a renewed token", tok, err)
	}
	s.now = time.Now

	s.Invalidate()
	if tok, err := s.Token(ctx); err != nil || tok != "tok-3" {
		t.Fatalf("Token after Invalidate = %q, %v", tok, err)
	}
}

func TestTokenWithoutExpiry(t *testing.T) {
	ts := newTokenServer(t)
	ts.expires = 0
	s := newSource(t, ts.config())
	s.now = func() time.Time { return time.Now().Add(100 * 24 * time.Hour) }
	for range 2 {
		if _, err := s.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.calls.Load(); n != 1 {
		t.Fatalf("token calls = %d, want 1", n)
	}
}

func TestRequestForm(t *testing.T) {
	tests := []struct {
		name      string
		style     AuthStyle
		wantBasic bool
	}{
		{"in params", AuthInParams, false},
		{"in header", AuthInHeader, true},
		{"auto detect", AuthAutoDetect, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			cfg := ts.config()
			cfg.AuthStyle = tt.style
			cfg.Scopes = []string{"https://management.azure.com/.default", "offline"}
			cfg.Params = url.Values{"member_cid": {"child-cid-1"}, "optional": {""}}
			s := newSource(t, cfg)
			if _, err := s.Token(context.Background()); err != nil {
				t.Fatalf("Token: %v", err)
			}
			ts.mu.Lock()
			defer ts.mu.Unlock()
			f := ts.forms[0]
			if f.Get("grant_type") != "client_credentials" || f.Get("scope") != "https://management.azure.com/.default offline" || f.Get("member_cid") != "child-cid-1" {
				t.Fatalf("form = %v", f)
			}
			if _, ok := f["optional"]; ok {
				t.Fatalf("empty param sent: %v", f)
			}
			if ts.basic[0] != tt.wantBasic {
				t.Fatalf("basic = %v, want %v", ts.basic[0], tt.wantBasic)
			}
			if !tt.wantBasic && f.Get("client_secret") != clientSecret {
				t.Fatalf("form = %v", f)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func(Config) Config
		fail  func(w http.ResponseWriter, n int32) bool
		check func(t *testing.T, err error)
	}{
		{"wrong secret is unauthenticated", func(c Config) Config { c.ClientSecret = "wrong-secret-value"; c.AuthStyle = AuthInParams; return c }, nil,
			func(t *testing.T, err error) {
				var ue *sdk.UnauthenticatedError
				if !errors.As(err, &ue) || !strings.Contains(ue.Message, "AADSTS7000215: Invalid client secret provided") {
					t.Fatalf("err = %v", err)
				}
			}},
		{"400 invalid_scope", nil, func(w http.ResponseWriter, _ int32) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for scope is not valid."}`))
			return true
		}, func(t *testing.T, err error) {
			var ue *sdk.UnauthenticatedError
			if !errors.As(err, &ue) || !strings.Contains(ue.Message, "AADSTS70011") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"crowdstrike 403 body", nil, func(w http.ResponseWriter, _ int32) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`{"meta":{"query_time":0.01},"errors":[{"code":403,"message":"access denied, authorization failed"}]}`))
			return true
		}, func(t *testing.T, err error) {
			var pd *sdk.PermissionDeniedError
			if !errors.As(err, &pd) || !strings.Contains(pd.Message, "access denied, authorization failed") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"429 holds with the vendor wait", nil, func(w http.ResponseWriter, _ int32) bool {
			w.Header().Set("X-RateLimit-RetryAfter", fmt.Sprint(time.Now().Unix()+40))
			w.WriteHeader(429)
			return true
		}, func(t *testing.T, err error) {
			wait, ok := sdk.RetryWait(err)
			if !ok || wait < 38*time.Second || wait > 41*time.Second {
				t.Fatalf("err = %v, want a retry after ~40s", err)
			}
		}},
		{"500 holds with the default wait", nil, func(w http.ResponseWriter, _ int32) bool {
			w.WriteHeader(502)
			return true
		}, func(t *testing.T, err error) {
			if wait, ok := sdk.RetryWait(err); !ok || wait != sdk.DefaultRetryAfter {
				t.Fatalf("err = %v", err)
			}
		}},
		{"no access_token", nil, func(w http.ResponseWriter, _ int32) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token_type":"bearer"}`))
			return true
		}, func(t *testing.T, err error) {
			if err == nil || sdk.IsCredentialError(err) || !strings.Contains(err.Error(), "access_token") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"unreachable", func(c Config) Config { c.TokenURL = "http://127.0.0.1:1/oauth2/token"; return c }, nil,
			func(t *testing.T, err error) {
				if _, ok := sdk.RetryWait(err); !ok {
					t.Fatalf("err = %v, want a retry-after", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			ts.setFail(tt.fail)
			cfg := ts.config()
			if tt.cfg != nil {
				cfg = tt.cfg(cfg)
			}
			s := newSource(t, cfg)
			req, _ := http.NewRequest(http.MethodGet, "http://vendor.invalid/", nil)
			err := s.Authorize(context.Background(), req)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if strings.Contains(err.Error(), cfg.ClientSecret) || strings.Contains(err.Error(), clientSecret) {
				t.Fatalf("error %q holds the secret", err)
			}
		})
	}
}

func TestNewInvalid(t *testing.T) {
	for _, cfg := range []Config{
		{TokenURL: "", ClientID: "x"},
		{TokenURL: "login.example/token", ClientID: "x"},
		{TokenURL: "https://login.example/token"},
	} {
		var ic *sdk.InvalidConfigError
		if _, err := New(cfg); !errors.As(err, &ic) {
			t.Fatalf("New(%+v) = %v", cfg, err)
		}
	}
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	ts := newTokenServer(t)
	release := make(chan struct{})
	ts.setFail(func(w http.ResponseWriter, n int32) bool { <-release; return false })
	s := newSource(t, ts.config())
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			tok, err := s.Token(context.Background())
			if err == nil && tok != "tok-1" {
				err = fmt.Errorf("token %q", tok)
			}
			errs <- err
		})
	}
	time.Sleep(20 * time.Millisecond) // let them queue on the one fetch
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.calls.Load(); n != 1 {
		t.Fatalf("token calls = %d, want 1", n)
	}
}

func TestContextCancelWhileWaiting(t *testing.T) {
	ts := newTokenServer(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	ts.setFail(func(w http.ResponseWriter, n int32) bool {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		return false
	})
	s := newSource(t, ts.config())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	go func() { _, _ = s.Token(context.Background()) }() // holds the fetch
	time.Sleep(10 * time.Millisecond)
	_, err := s.Token(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// TestWithHTTPClient runs the wiring the package doc shows: a vendor that
// revokes the first token mid-pagination gets one renewed token, and the
// page is fetched again with it.
func TestWithHTTPClient(t *testing.T) {
	ts := newTokenServer(t)
	var pages atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if auth == "Bearer tok-1" && r.URL.Query().Get("offset") == "100" { // revoked after page 1
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":401,"message":"access denied, invalid bearer token"}]}`))
			return
		}
		if !strings.HasPrefix(auth, "Bearer tok-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		pages.Add(1)
		_, _ = w.Write([]byte(`{"resources":["a","b"]}`))
	}))
	t.Cleanup(api.Close)

	rt, err := httpclient.NewTransport(httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ts.config()
	cfg.Transport = rt
	src := newSource(t, cfg)
	c, err := httpclient.New(httpclient.Options{BaseURL: api.URL, Transport: rt, Authorize: src.Authorize, Invalidate: src.Invalidate})
	if err != nil {
		t.Fatal(err)
	}
	for _, offset := range []string{"0", "100", "200"} {
		var out struct{ Resources []string }
		if _, err := c.DoJSON(context.Background(), http.MethodGet, "/alerts/queries/alerts/v2", url.Values{"offset": {offset}}, nil, &out); err != nil {
			t.Fatalf("offset %s: %v", offset, err)
		}
		if len(out.Resources) != 2 {
			t.Fatalf("offset %s: %+v", offset, out)
		}
	}
	if n := ts.calls.Load(); n != 2 {
		t.Fatalf("token calls = %d, want 2", n)
	}
	if n := pages.Load(); n != 3 {
		t.Fatalf("pages = %d, want 3", n)
	}

	// A token endpoint that now refuses the client: the vendor call fails
	// unauthenticated, with the vendor's words.
	ts.setFail(func(w http.ResponseWriter, n int32) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client disabled"}`))
		return true
	})
	src.Invalidate()
	_, err = c.DoJSON(context.Background(), http.MethodGet, "/alerts/queries/alerts/v2", nil, nil, nil)
	var ue *sdk.UnauthenticatedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "client disabled") {
		t.Fatalf("err = %v", err)
	}
}
