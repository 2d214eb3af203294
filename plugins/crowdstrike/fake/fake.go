package fake

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Limits and identity of the fake tenant.
const (
	// TokenTTL is the lifetime of an access token (expires_in 1799).
	TokenTTL = 1799 * time.Second
	// RateLimit is the X-RateLimit-Limit of the tenant (requests a minute).
	RateLimit = 6000
	// DefaultMaxOffset is the query API's cap on offset + limit.
	DefaultMaxOffset = 10000
	// MaxEntities is the most composite ids one entities call takes.
	MaxEntities = 1000
	// MaxCombined is the largest limit of the combined endpoint.
	MaxCombined = 1000
)

// The API client's scopes, as the Falcon console names them.
const (
	ScopeAlertsRead  = "Alerts: Read"
	ScopeAlertsWrite = "Alerts: Write"
)

// Fake is the Falcon API of one tenant.
type Fake struct {
	store   *fakevendor.Store
	handler http.Handler

	// MaxOffset caps offset + limit of the query API; tests lower it.
	MaxOffset int

	mu     sync.Mutex
	scopes []string
	tokens map[string]time.Time // access token → expiry
	nextTo int
	ids    map[string]string // composite id → store id
}

var _ fakevendor.Vendor = (*Fake)(nil)

// New makes a CrowdStrike fake holding the alerts opts asks for.
func New(opts fakevendor.Options) *Fake {
	f := &Fake{
		store:     fakevendor.NewStore("crowdstrike", opts),
		MaxOffset: DefaultMaxOffset,
		scopes:    []string{ScopeAlertsRead, ScopeAlertsWrite},
		tokens:    map[string]time.Time{},
		ids:       map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", f.token)
	mux.HandleFunc("GET /alerts/queries/alerts/v2", f.authed(ScopeAlertsRead, f.queryAlerts))
	mux.HandleFunc("POST /alerts/entities/alerts/v2", f.authed(ScopeAlertsRead, f.getAlerts))
	mux.HandleFunc("POST /alerts/combined/alerts/v1", f.authed(ScopeAlertsRead, f.combinedAlerts))
	mux.HandleFunc("PATCH /alerts/entities/alerts/v3", f.authed(ScopeAlertsWrite, f.patchAlerts))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.writeErrors(w, http.StatusNotFound, apiError{Code: 404, Message: "Not Found"})
	})
	f.handler = f.gateway(mux)
	return f
}

// Name is "crowdstrike".
func (f *Fake) Name() string { return "crowdstrike" }

// Handler serves the API with paths relative to its root.
func (f *Fake) Handler() http.Handler { return f.handler }

// Config is a working config for the crowdstrike plugin served at
// baseURL.
func (f *Fake) Config(baseURL string) map[string]any {
	return map[string]any{"base_url": baseURL, "client_id": f.ClientID(), "client_secret": f.ClientSecret()}
}

// Store holds the fake's alerts.
func (f *Fake) Store() *fakevendor.Store { return f.store }

// ClientID is the API client's id: 32 hex digits, as Falcon issues them.
func (f *Fake) ClientID() string { return hexOf("client_id/" + f.store.Secret("client_id")) }

// ClientSecret is the API client's secret.
func (f *Fake) ClientSecret() string {
	return f.store.Secret("client_secret") + f.store.Secret("client_secret/2")[:16]
}

// CID is the tenant's customer id.
func (f *Fake) CID() string { return hexOf("cid/" + f.store.Secret("cid")) }

// MemberCID is a child tenant the API client may act for (MSSP).
func (f *Fake) MemberCID() string { return hexOf("member/" + f.store.Secret("cid")) }

// SetScopes replaces the API client's scopes, so a test can take Alerts:
// Read or Alerts: Write away.
func (f *Fake) SetScopes(scopes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = slices.Clone(scopes)
}

// ExpireTokens revokes every access token, as an expiry mid-pagination
// does: the next call with one is 401.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// TokensIssued counts the access tokens the fake has handed out.
func (f *Fake) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nextTo
}

func hexOf(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// apiError is one entry of a body's errors.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	ID      string `json:"id,omitempty"`
}

// meta is every body's meta.
type meta struct {
	QueryTime  float64         `json:"query_time"`
	Pagination *pagination     `json:"pagination,omitempty"`
	Writes     *map[string]int `json:"writes,omitempty"`
	PoweredBy  string          `json:"powered_by"`
	TraceID    string          `json:"trace_id"`
}

type pagination struct {
	Offset *int   `json:"offset,omitempty"`
	Limit  int    `json:"limit"`
	Total  int    `json:"total"`
	After  string `json:"after,omitempty"`
}

type body struct {
	Meta      meta       `json:"meta"`
	Resources any        `json:"resources"`
	Errors    []apiError `json:"errors"`
}

func (f *Fake) meta(powered string) meta {
	n := f.store.Requests()
	return meta{QueryTime: 0.012, PoweredBy: powered,
		TraceID: fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", n, n%0xffff, n%0xfff, n%0xfff, n)}
}

func (f *Fake) writeErrors(w http.ResponseWriter, code int, errs ...apiError) {
	fakevendor.WriteJSON(w, code, body{Meta: f.meta("crowdstrike-api-gateway"), Resources: []any{}, Errors: errs})
}

// gateway does what Falcon's API gateway does for every request: the
// rate-limit headers, the 429, and the Date of the vendor's clock.
func (f *Fake) gateway(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := f.store.Now()
		w.Header().Set("Date", now.Format(http.TimeFormat))
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(RateLimit))
		if wait, ok := f.store.Throttle(); ok {
			w.Header().Set("X-RateLimit-Remaining", "0")
			reset := now.Add(wait)
			w.Header().Set("X-RateLimit-RetryAfter", strconv.FormatInt(int64(math.Ceil(float64(reset.UnixNano())/1e9)), 10))
			f.writeErrors(w, http.StatusTooManyRequests, apiError{Code: 429, Message: "API rate limit exceeded."})
			return
		}
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(RateLimit-1-f.store.Requests()%RateLimit))
		next.ServeHTTP(w, r)
	})
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.writeErrors(w, http.StatusBadRequest, apiError{Code: 400, Message: "Unparsable form body"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && id == "" { // RFC 6749 client_secret_basic
		id, secret = u, p
	}
	if id == "" || secret == "" {
		f.writeErrors(w, http.StatusBadRequest, apiError{Code: 400, Message: "Failed to generate access token for clientID=" + id + "."})
		return
	}
	if !equal(id, f.ClientID()) || !equal(secret, f.ClientSecret()) {
		f.writeErrors(w, http.StatusForbidden, apiError{Code: 403,
			Message: "Failed to issue access token - Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)"})
		return
	}
	if m := r.PostForm.Get("member_cid"); m != "" && !strings.EqualFold(m, f.MemberCID()) {
		f.writeErrors(w, http.StatusForbidden, apiError{Code: 403, Message: "Failed to issue access token - Not Authorized"})
		return
	}
	f.mu.Lock()
	f.nextTo++
	tok := f.store.Secret(fmt.Sprintf("token-%d", f.nextTo)) + f.store.Secret(fmt.Sprintf("token-%d/b", f.nextTo))
	f.tokens[tok] = f.store.Now().Add(TokenTTL)
	f.mu.Unlock()
	fakevendor.WriteJSON(w, http.StatusCreated, map[string]any{
		"access_token": tok, "expires_in": int(TokenTTL.Seconds()), "token_type": "bearer",
	})
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// authed checks the bearer token, then the scope the endpoint needs.
func (f *Fake) authed(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		exp, known := f.tokens[tok]
		has := slices.Contains(f.scopes, scope)
		f.mu.Unlock()
		if !ok || !known || f.store.Now().After(exp) {
			f.writeErrors(w, http.StatusUnauthorized, apiError{Code: 401, Message: "access denied, invalid bearer token"})
			return
		}
		if !has {
			f.writeErrors(w, http.StatusForbidden, apiError{Code: 403, Message: "access denied, authorization failed"})
			return
		}
		h(w, r)
	}
}
