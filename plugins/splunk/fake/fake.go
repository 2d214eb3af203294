package fake

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Identity of the fake deployment.
const (
	// Username is the account the fake's token and password belong to.
	Username = "outpost_svc"
	// Version is the splunkd version the fake reports.
	Version = "9.3.2"
	// Index is the index the notables live in.
	Index = "notable"
	// SessionTTL is how long a session key lives (splunkd's default
	// sessionTimeout is one hour of idleness).
	SessionTTL = time.Hour
)

// DefaultCapabilities are those of an ES analyst's service account.
var DefaultCapabilities = []string{
	"edit_notable_events", "get_metadata", "get_typeahead", "list_inputs",
	"list_settings", "rest_properties_get", "schedule_search", "search",
}

// Fake is a Splunk Enterprise Security search head.
type Fake struct {
	store   *fakevendor.Store
	handler http.Handler

	mu       sync.Mutex
	caps     []string
	sessions map[string]time.Time // session key → expiry
	jobs     map[string]*job
	jobOrder []string
	nextSID  int
	ids      map[string]string // event_id → store id
	reviews  map[string][]Review
}

var _ fakevendor.Vendor = (*Fake)(nil)

// New makes a Splunk ES fake holding the notables opts asks for.
func New(opts fakevendor.Options) *Fake {
	f := &Fake{
		store:    fakevendor.NewStore("splunk", opts),
		caps:     slices.Clone(DefaultCapabilities),
		sessions: map[string]time.Time{},
		jobs:     map[string]*job{},
		ids:      map[string]string{},
		reviews:  map[string][]Review{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /services/auth/login", f.login)
	mux.HandleFunc("GET /services/server/info", f.authed(f.serverInfo))
	mux.HandleFunc("GET /services/authentication/current-context", f.authed(f.currentContext))
	mux.HandleFunc("POST /services/search/jobs", f.authed(f.createJob))
	mux.HandleFunc("GET /services/search/jobs/export", f.authed(f.export))
	mux.HandleFunc("POST /services/search/jobs/export", f.authed(f.export))
	mux.HandleFunc("GET /services/search/jobs/{sid}", f.authed(f.getJob))
	mux.HandleFunc("DELETE /services/search/jobs/{sid}", f.authed(f.deleteJob))
	mux.HandleFunc("GET /services/search/jobs/{sid}/results", f.authed(f.jobResults))
	mux.HandleFunc("POST /services/notable_update", f.authed(f.notableUpdate))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, r, http.StatusNotFound, "ERROR", "Not Found")
	})
	f.handler = f.throttle(mux)
	return f
}

// Name is "splunk".
func (f *Fake) Name() string { return "splunk" }

// Handler serves the management API with paths relative to its root.
func (f *Fake) Handler() http.Handler { return f.handler }

// Config is a working config for the splunk plugin served at baseURL: the
// management root and an authentication token.
func (f *Fake) Config(baseURL string) map[string]any {
	return map[string]any{"url": baseURL, "token": f.Token(), "verify_tls": true, "index": Index}
}

// Store holds the fake's notables.
func (f *Fake) Store() *fakevendor.Store { return f.store }

// Token is the authentication token the fake accepts as a Bearer token.
func (f *Fake) Token() string { return f.store.Secret("token") }

// Password is Username's password, for the login endpoint.
func (f *Fake) Password() string { return f.store.Secret("password") }

// SetCapabilities replaces the service account's capabilities, so a test
// can take edit_notable_events away.
func (f *Fake) SetCapabilities(caps ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.caps = slices.Clone(caps)
}

// ExpireSessions ends every session key, as a splunkd restart or an idle
// timeout does: the next call with one is 401.
func (f *Fake) ExpireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sessions)
}

func (f *Fake) hasCapability(c string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.caps, c)
}

// throttle counts every request against the store's rate limit. splunkd
// refuses a search it has no quota for with a 503 and no wait header.
func (f *Fake) throttle(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := f.store.Throttle(); ok {
			writeMessage(w, r, http.StatusServiceUnavailable, "WARN",
				`Search not executed: The maximum number of concurrent historical searches on this instance has been reached., concurrency_category="historical", concurrency_context="instance-wide", current_concurrency=50, concurrency_limit=50`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authed accepts a token, a live session key or basic credentials.
func (f *Fake) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Basic realm="/splunk"`)
			writeMessage(w, r, http.StatusUnauthorized, "WARN", "call not properly authenticated")
			return
		}
		h(w, r)
	}
}

func (f *Fake) authorized(h string) bool {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || cred == "" {
		return false
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return equal(cred, f.Token())
	case "splunk":
		f.mu.Lock()
		defer f.mu.Unlock()
		exp, ok := f.sessions[cred]
		if !ok || f.store.Now().After(exp) {
			return false
		}
		f.sessions[cred] = f.store.Now().Add(SessionTTL) // idle timeout
		return true
	case "basic":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return false
		}
		user, pass, _ := strings.Cut(string(b), ":")
		return user == Username && equal(pass, f.Password())
	}
	return false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (f *Fake) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeMessage(w, r, http.StatusBadRequest, "ERROR", "Unparsable form")
		return
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	if user == "" || pass == "" {
		writeMessage(w, r, http.StatusBadRequest, "WARN", "Login failed: username and password are required")
		return
	}
	if user != Username || !equal(pass, f.Password()) {
		writeCodedMessage(w, r, http.StatusUnauthorized, "WARN", "incorrect_username_or_password", "Login failed")
		return
	}
	f.mu.Lock()
	key := f.store.Secret(fmt.Sprintf("session-%d-%d", len(f.sessions), f.store.Requests()))
	f.sessions[key] = f.store.Now().Add(SessionTTL)
	f.mu.Unlock()
	if jsonMode(r) {
		fakevendor.WriteJSON(w, http.StatusOK, map[string]string{"sessionKey": key, "message": "", "code": ""})
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	fmt.Fprintf(w, "<response>\n  <sessionKey>%s</sessionKey>\n  <messages>\n    <msg code=\"\"></msg>\n  </messages>\n</response>\n", key)
}

// feed is splunkd's JSON rendering of an Atom feed.
type feed struct {
	Links     map[string]string `json:"links"`
	Origin    string            `json:"origin"`
	Updated   string            `json:"updated"`
	Generator map[string]string `json:"generator"`
	Entry     []entry           `json:"entry"`
	Paging    map[string]int    `json:"paging"`
	Messages  []message         `json:"messages"`
}

type entry struct {
	Name    string            `json:"name"`
	ID      string            `json:"id"`
	Updated string            `json:"updated"`
	Links   map[string]string `json:"links"`
	Author  string            `json:"author"`
	ACL     map[string]any    `json:"acl"`
	Content any               `json:"content"`
}

// TimeFormat is how splunkd writes times in feeds and results.
const TimeFormat = "2006-01-02T15:04:05.000-07:00"

func (f *Fake) feed(r *http.Request, name string, content any) feed {
	now := f.store.Now().Format("2006-01-02T15:04:05-07:00")
	origin := fakevendor.BaseURL(r, f.Name()) + r.URL.Path
	return feed{
		Links:     map[string]string{},
		Origin:    origin,
		Updated:   now,
		Generator: map[string]string{"build": "d8bb32809498", "version": Version},
		Entry: []entry{{
			Name: name, ID: origin + "/" + name, Updated: now,
			Links:  map[string]string{"alternate": r.URL.Path + "/" + name},
			Author: "system",
			ACL: map[string]any{"app": "", "can_list": true, "can_write": true, "modifiable": false,
				"owner": "system", "perms": map[string][]string{"read": {"*"}, "write": {}}, "removable": false, "sharing": "system"},
			Content: content,
		}},
		Paging:   map[string]int{"total": 1, "perPage": 30, "offset": 0},
		Messages: []message{},
	}
}

func (f *Fake) serverInfo(w http.ResponseWriter, r *http.Request) {
	fakevendor.WriteJSON(w, http.StatusOK, f.feed(r, "server-info", map[string]any{
		"build": "d8bb32809498", "version": Version, "serverName": "es-sh01",
		"host": "es-sh01", "os_name": "Linux", "product_type": "enterprise",
		"guid": indexerGUID, "server_roles": []string{"search_head", "kv_store"},
		"startup_time": f.store.Start().Unix(), "isFree": false, "isTrial": false,
	}))
}

func (f *Fake) currentContext(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	caps := slices.Clone(f.caps)
	f.mu.Unlock()
	fakevendor.WriteJSON(w, http.StatusOK, f.feed(r, "context", map[string]any{
		"username": Username, "realname": "Outpost service account", "email": "",
		"roles": []string{"ess_analyst", "user"}, "capabilities": caps,
		"defaultApp": "SplunkEnterpriseSecuritySuite", "tz": "",
	}))
}

// message is one splunkd message.
type message struct {
	Type string `json:"type"`
	Code string `json:"code,omitempty"`
	Text string `json:"text"`
}

// jsonMode reports whether the caller asked for JSON.
func jsonMode(r *http.Request) bool {
	if r.URL.Query().Get("output_mode") == "json" {
		return true
	}
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		return r.PostForm.Get("output_mode") == "json"
	}
	return false
}

func writeMessage(w http.ResponseWriter, r *http.Request, code int, typ, text string) {
	writeCodedMessage(w, r, code, typ, "", text)
}

func writeCodedMessage(w http.ResponseWriter, r *http.Request, code int, typ, msgCode, text string) {
	if jsonMode(r) {
		fakevendor.WriteJSON(w, code, map[string][]message{"messages": {{Type: typ, Code: msgCode, Text: text}}})
		return
	}
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(text))
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n  <messages>\n    <msg type=%q>%s</msg>\n  </messages>\n</response>\n", typ, esc.String())
}

// writeRaw writes pre-encoded JSON.
func writeRaw(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
