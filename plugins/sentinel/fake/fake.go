package fake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// APIVersion is the one api-version the fake serves.
const APIVersion = "2024-03-01"

// Scope is the scope a token for Azure Resource Manager is asked with.
const Scope = "https://management.azure.com/.default"

// TimeFormat is how Sentinel writes times: UTC with seven fractional digits.
const TimeFormat = "2006-01-02T15:04:05.0000000Z"

// TokenLifetime is the expires_in of the tokens the fake issues, as Azure AD
// answers for client credentials.
const TokenLifetime = 3599 * time.Second

// Fixed names of the fake's workspace.
const (
	ResourceGroup = "rg-soc-prod"
	Workspace     = "law-sentinel-prod"
)

// roles an application has on the workspace.
type role int

const (
	roleNone      role = iota
	roleReader         // Microsoft Sentinel Reader
	roleResponder      // Microsoft Sentinel Responder: incidents and comments
)

// app is an Azure AD application (service principal) the fake knows.
type app struct {
	clientID, secret, objectID, name string
	role                             role
}

// token is an access token the fake issued.
type token struct {
	app     *app
	expires time.Time
}

// Fake is Microsoft Sentinel and its Azure AD tenant.
type Fake struct {
	store   *fakevendor.Store
	handler http.Handler

	tenant, subscription string
	apps                 map[string]*app // by client id

	// writeMu serialises incident writes: etag check, then update.
	writeMu sync.Mutex

	mu       sync.Mutex
	tokens   map[string]token
	tokenRNG *rand.Rand
	issued   int
	// modified holds the store ids, by seq, of incidents a PUT changed:
	// their lastModifiedTimeUtc is no longer their creation time.
	modified map[int]string
	comments map[string][]comment // by alert id, in creation order
	repeat   bool
}

var _ fakevendor.Vendor = (*Fake)(nil)

// New makes a Sentinel workspace holding the incidents opts asks for.
func New(opts fakevendor.Options) *Fake {
	s := fakevendor.NewStore("sentinel", opts)
	f := &Fake{
		store:        s,
		tenant:       guid(s.Secret("tenant_id")),
		subscription: guid(s.Secret("subscription_id")),
		apps:         map[string]*app{},
		tokens:       map[string]token{},
		tokenRNG:     rand.New(rand.NewPCG(uint64(opts.Seed), 0x5e771e1)),
		modified:     map[int]string{},
		comments:     map[string][]comment{},
	}
	for _, a := range []app{
		{clientID: guid(s.Secret("client_id")), secret: s.Secret("client_secret"), name: "outpost-sentinel", role: roleResponder},
		{clientID: guid(s.Secret("reader_client_id")), secret: s.Secret("reader_client_secret"), name: "outpost-sentinel-reader", role: roleReader},
		{clientID: guid(s.Secret("noaccess_client_id")), secret: s.Secret("noaccess_client_secret"), name: "outpost-sentinel-noaccess", role: roleNone},
	} {
		a.objectID = guid(s.Secret("object_id/" + a.clientID))
		f.apps[a.clientID] = &a
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/{tenant}/oauth2/v2.0/token", f.tokenEndpoint)
	mux.HandleFunc("/management/", f.management)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		cloudError(w, http.StatusNotFound, "NotFound", "no such endpoint")
	})
	f.handler = f.dated(mux)
	return f
}

// Name is "sentinel".
func (f *Fake) Name() string { return "sentinel" }

// Handler serves the login and management hosts under /login and /management.
func (f *Fake) Handler() http.Handler { return f.handler }

// Store holds the fake's incidents.
func (f *Fake) Store() *fakevendor.Store { return f.store }

// Config is a working config for the sentinel plugin served at baseURL: the
// Responder application's credentials and the fake's workspace.
func (f *Fake) Config(baseURL string) map[string]any {
	a := f.app(roleResponder)
	return map[string]any{
		"tenant_id":       f.tenant,
		"client_id":       a.clientID,
		"client_secret":   a.secret,
		"subscription_id": f.subscription,
		"resource_group":  ResourceGroup,
		"workspace_name":  Workspace,
		"login_url":       strings.TrimRight(baseURL, "/") + "/login",
		"management_url":  strings.TrimRight(baseURL, "/") + "/management",
	}
}

// TenantID is the fake's Azure AD tenant.
func (f *Fake) TenantID() string { return f.tenant }

// SubscriptionID is the subscription of the fake's workspace.
func (f *Fake) SubscriptionID() string { return f.subscription }

// ReaderCredentials are the client id and secret of an application with the
// Microsoft Sentinel Reader role: it can list incidents, not change them.
func (f *Fake) ReaderCredentials() (clientID, secret string) {
	a := f.app(roleReader)
	return a.clientID, a.secret
}

// NoAccessCredentials are those of an application with no role on the
// workspace: it gets tokens, and 403 for every incident call.
func (f *Fake) NoAccessCredentials() (clientID, secret string) {
	a := f.app(roleNone)
	return a.clientID, a.secret
}

// RevokeTokens makes every token issued so far invalid, as a credential
// rotation or a revoked session would: the next call with one is a 401.
func (f *Fake) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]token{}
}

// TokensIssued counts the access tokens the fake has issued.
func (f *Fake) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

// RepeatNextLink makes every list page name itself as its nextLink (on) —
// a broken pager a client must not follow forever — or restores paging.
func (f *Fake) RepeatNextLink(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.repeat = on
}

func (f *Fake) app(r role) *app {
	for _, a := range f.apps {
		if a.role == r {
			return a
		}
	}
	panic("fake: no application with that role")
}

// dated stamps every answer with the store's clock, which is what a client
// reads as the vendor's "now".
func (f *Fake) dated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", f.store.Now().Format(http.TimeFormat))
		next.ServeHTTP(w, r)
	})
}

// aadError is Azure AD's error body.
type aadError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri,omitempty"`
}

func (f *Fake) aadFail(w http.ResponseWriter, status int, kind string, code int, msg string) {
	now := f.store.Now()
	trace := guid(fmt.Sprintf("trace/%d/%d", now.UnixNano(), code))
	corr := guid(fmt.Sprintf("corr/%d/%d", now.UnixNano(), code))
	fakevendor.WriteJSON(w, status, aadError{
		Error: kind,
		Description: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			code, msg, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		Codes:         []int{code},
		Timestamp:     now.Format("2006-01-02 15:04:05Z"),
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      "https://login.microsoftonline.com/error?code=" + strconv.Itoa(code),
	})
}

func (f *Fake) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.aadFail(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	tenant := r.PathValue("tenant")
	if !strings.EqualFold(tenant, f.tenant) {
		f.aadFail(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. "+
				"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "":
		f.aadFail(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	case "client_credentials":
	default:
		f.aadFail(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok { // client_secret_basic
		id, secret = u, p
	}
	if id == "" {
		f.aadFail(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	a, ok := f.apps[strings.ToLower(id)]
	if !ok {
		f.aadFail(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been "+
				"installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your "+
				"authentication request to the wrong tenant.", id, f.tenant))
		return
	}
	if secret == "" {
		f.aadFail(w, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(a.secret)) != 1 {
		f.aadFail(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "+
				"not the client secret ID, for a secret added to app '%s'.", a.clientID))
		return
	}
	if scope := r.PostForm.Get("scope"); scope != Scope {
		f.aadFail(w, http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default "+
				"suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	tok := f.issue(a)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	fakevendor.WriteJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(TokenLifetime.Seconds()),
		"ext_expires_in": int(TokenLifetime.Seconds()),
		"access_token":   tok,
	})
}

// issue makes a new access token for a.
func (f *Fake) issue(a *app) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var raw [40]byte
	for i := 0; i < len(raw); i += 8 {
		binary.LittleEndian.PutUint64(raw[i:], f.tokenRNG.Uint64())
	}
	tok := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(raw[:])
	f.tokens[tok] = token{app: a, expires: f.store.Now().Add(TokenLifetime)}
	f.issued++
	return tok
}

// cloudErrorBody is ARM's error body.
type cloudErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func cloudError(w http.ResponseWriter, status int, code, msg string) {
	var e cloudErrorBody
	e.Error.Code, e.Error.Message = code, msg
	fakevendor.WriteJSON(w, status, e)
}

// caller authenticates a management request: the app its token belongs to,
// or false once it has answered.
func (f *Fake) caller(w http.ResponseWriter, r *http.Request) (*app, bool) {
	fail := func(code, msg string) (*app, bool) {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/`+f.tenant+
			`", error="invalid_token", error_description="`+msg+`"`)
		cloudError(w, http.StatusUnauthorized, code, msg)
		return nil, false
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return fail("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return fail("AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.")
	}
	f.mu.Lock()
	t, ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok {
		return fail("InvalidAuthenticationToken", "The access token is invalid.")
	}
	if now := f.store.Now(); !now.Before(t.expires) {
		return fail("ExpiredAuthenticationToken", fmt.Sprintf(
			"The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			t.expires.Format("1/2/2006 3:04:05 PM"), now.Format("1/2/2006 3:04:05 PM")))
	}
	return t.app, true
}

// Actions a role check names, in ARM's words.
const (
	actionRead          = "Microsoft.SecurityInsights/incidents/read"
	actionWrite         = "Microsoft.SecurityInsights/incidents/write"
	actionCommentsRead  = "Microsoft.SecurityInsights/incidents/comments/read"
	actionCommentsWrite = "Microsoft.SecurityInsights/incidents/comments/write"
)

func (a *app) may(action string) bool {
	switch a.role {
	case roleResponder:
		return true
	case roleReader:
		return strings.HasSuffix(action, "/read")
	}
	return false
}

func (f *Fake) throttled(w http.ResponseWriter, a string) bool {
	wait, ok := f.store.Throttle()
	if !ok {
		return false
	}
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "0")
	cloudError(w, http.StatusTooManyRequests, "SubscriptionRequestsThrottled", fmt.Sprintf(
		"Number of 'read' requests for subscription '%s' actor '%s' exceeded. Please try again after '%d' seconds "+
			"after additional tokens are available. Refer to https://aka.ms/arm-throttling", f.subscription, a, secs))
	return true
}

// management routes a request to the management host. ARM compares the
// literal segments and resource names without regard to case, so the
// routing is by hand rather than by ServeMux patterns.
func (f *Fake) management(w http.ResponseWriter, r *http.Request) {
	a, ok := f.caller(w, r)
	if !ok {
		return
	}
	// ARM counts requests per principal once it knows who is calling.
	if f.throttled(w, a.objectID) {
		return
	}
	q := r.URL.Query()
	switch v := q.Get("api-version"); v {
	case APIVersion:
	case "":
		cloudError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	default:
		cloudError(w, http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf(
			"The api-version '%s' is invalid. The supported versions are '%s'.", v, APIVersion))
		return
	}
	seg := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/management"), "/"), "/")
	lit := func(i int, s string) bool { return i < len(seg) && strings.EqualFold(seg[i], s) }
	if !lit(0, "subscriptions") || len(seg) < 2 {
		cloudError(w, http.StatusNotFound, "NotFound", "no such endpoint")
		return
	}
	if !strings.EqualFold(seg[1], f.subscription) {
		cloudError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", seg[1]))
		return
	}
	if !(lit(2, "resourceGroups") && lit(4, "providers") && lit(5, "Microsoft.OperationalInsights") &&
		lit(6, "workspaces") && lit(8, "providers") && lit(9, "Microsoft.SecurityInsights") && lit(10, "incidents")) {
		cloudError(w, http.StatusNotFound, "NotFound", "no such endpoint")
		return
	}
	rest := seg[11:]
	action := actionRead
	switch {
	case len(rest) == 1 && r.Method == http.MethodPut:
		action = actionWrite
	case len(rest) == 3 && r.Method == http.MethodPut:
		action = actionCommentsWrite
	case len(rest) >= 2 && strings.EqualFold(rest[1], "comments"):
		action = actionCommentsRead
	}
	if !a.may(action) {
		scope := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s/providers/Microsoft.SecurityInsights",
			seg[1], seg[3], seg[7])
		cloudError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' "+
				"or the scope is invalid. If access was recently granted, please refresh your credentials.",
			a.objectID, a.objectID, action, scope))
		return
	}
	if !strings.EqualFold(seg[3], ResourceGroup) {
		cloudError(w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", seg[3]))
		return
	}
	if !strings.EqualFold(seg[7], Workspace) {
		cloudError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"The Resource 'Microsoft.OperationalInsights/workspaces/%s' under resource group '%s' was not found. "+
				"For more details please go to https://aka.ms/ARMResourceNotFoundFix", seg[7], seg[3]))
		return
	}
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		f.list(w, r, q)
	case len(rest) == 1 && r.Method == http.MethodGet:
		if al, ok := f.incident(w, rest[0]); ok {
			fakevendor.WriteJSON(w, http.StatusOK, f.render(al))
		}
	case len(rest) == 1 && r.Method == http.MethodPut:
		if al, ok := f.incident(w, rest[0]); ok {
			f.put(w, r, al)
		}
	case len(rest) == 2 && r.Method == http.MethodPost && strings.EqualFold(rest[1], "entities"):
		if al, ok := f.incident(w, rest[0]); ok {
			fakevendor.WriteJSON(w, http.StatusOK, f.entities(al))
		}
	case len(rest) == 2 && r.Method == http.MethodGet && strings.EqualFold(rest[1], "comments"):
		if al, ok := f.incident(w, rest[0]); ok {
			f.listComments(w, al)
		}
	case len(rest) == 3 && strings.EqualFold(rest[1], "comments") && r.Method == http.MethodGet:
		if al, ok := f.incident(w, rest[0]); ok {
			f.getComment(w, al, rest[2])
		}
	case len(rest) == 3 && strings.EqualFold(rest[1], "comments") && r.Method == http.MethodPut:
		if al, ok := f.incident(w, rest[0]); ok {
			f.putComment(w, r, al, a, rest[2])
		}
	default:
		cloudError(w, http.StatusMethodNotAllowed, "UnsupportedApiVersion", fmt.Sprintf(
			"The HTTP resource that matches the request URI '%s' with API version '%s' does not support HTTP method '%s'.",
			r.URL.Path, APIVersion, r.Method))
	}
}

// guid formats a deterministic GUID (version 4 layout) from s.
func guid(s string) string {
	h := sha256.Sum256([]byte(s))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// nameOf is an incident's name: a GUID whose last group carries the store
// id (sentinel-SSSSSSSS-RRRR), so that the fake can find it again.
func nameOf(a *fakevendor.Alert) string {
	g := guid(a.ID)
	seq, rnd, _ := strings.Cut(strings.TrimPrefix(a.ID, "sentinel-"), "-")
	return g[:24] + seq + rnd
}

// alertID is the store id behind an incident name, or false.
func alertID(name string) (string, bool) {
	name = strings.ToLower(name)
	if len(name) != 36 {
		return "", false
	}
	last := name[24:]
	return "sentinel-" + last[:8] + "-" + last[8:], true
}

func (f *Fake) incident(w http.ResponseWriter, name string) (*fakevendor.Alert, bool) {
	id, ok := alertID(name)
	var a *fakevendor.Alert
	if ok {
		a, ok = f.store.Get(id)
	}
	if !ok || !strings.EqualFold(nameOf(a), name) {
		cloudError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Incident '%s' was not found.", name))
		return nil, false
	}
	return a, true
}

// base is the absolute root of the management host for r.
func (f *Fake) base(r *http.Request) string {
	return fakevendor.BaseURL(r, f.Name()) + "/management"
}
