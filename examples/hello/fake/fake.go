package fake

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Limits of the hello API.
const (
	DefaultLimit = 100
	MaxLimit     = 500
	// Retention is how far back the vendor keeps alerts; an older since is
	// a 400.
	Retention = 30 * 24 * time.Hour
)

// TimeFormat is how the vendor writes times: RFC 3339, UTC, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// maxBody bounds a write-back body the fake reads.
const maxBody = 64 << 10

// Fake is the hello vendor.
type Fake struct {
	store   *fakevendor.Store
	handler http.Handler
}

var _ fakevendor.Vendor = (*Fake)(nil)

// New makes a hello vendor holding the alerts opts asks for.
func New(opts fakevendor.Options) *Fake {
	f := &Fake{store: fakevendor.NewStore("hello", opts)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/me", f.me)
	mux.HandleFunc("GET /api/v1/alerts", f.listAlerts)
	mux.HandleFunc("GET /api/v1/alerts/{id}", f.getAlert)
	mux.HandleFunc("PATCH /api/v1/alerts/{id}", f.patchAlert)
	mux.HandleFunc("GET /api/v1/alerts/{id}/comments", f.listComments)
	mux.HandleFunc("POST /api/v1/alerts/{id}/comments", f.addComment)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	f.handler = f.guard(mux)
	return f
}

// Name is "hello".
func (f *Fake) Name() string { return "hello" }

// Handler serves the API with paths relative to the vendor's root.
func (f *Fake) Handler() http.Handler { return f.handler }

// Config is a working config for the hello plugin served at baseURL.
func (f *Fake) Config(baseURL string) map[string]any {
	return map[string]any{"url": baseURL, "api_key": f.APIKey()}
}

// Store holds the fake's alerts.
func (f *Fake) Store() *fakevendor.Store { return f.store }

// APIKey is the one key the fake accepts.
func (f *Fake) APIKey() string { return f.store.Secret("api_key") }

// guard answers throttled and unauthenticated requests before any handler,
// as the vendor's gateway does: every request counts towards the rate limit.
func (f *Fake) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait, ok := f.store.Throttle(); ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			writeError(w, http.StatusTooManyRequests, "rate_limited", "too many requests, slow down")
			return
		}
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(key), []byte(f.APIKey())) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hello"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "invalid or missing api key")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, code int, kind, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = kind, msg
	fakevendor.WriteJSON(w, code, e)
}

func (f *Fake) me(w http.ResponseWriter, r *http.Request) {
	fakevendor.WriteJSON(w, http.StatusOK, map[string]any{
		"id":     "usr-api-0001",
		"name":   "Outpost integration",
		"org":    "Hello Corp",
		"scopes": []string{"alerts:read", "alerts:write"},
		"now":    f.store.Now().Format(TimeFormat),
	})
}

// pageToken is the position a next_cursor encodes: the window of the first
// page and the last (created_at, id) returned.
type pageToken struct {
	Since     time.Time `json:"s"`
	Until     time.Time `json:"u"`
	AfterTime time.Time `json:"t"`
	AfterID   string    `json:"i"`
}

func (p pageToken) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, error) {
	var p pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return p, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, err
	}
	if p.Until.Before(p.Since) || p.AfterID == "" {
		return p, errors.New("inconsistent position")
	}
	return p, nil
}

type alertsPage struct {
	Alerts     []alertJSON `json:"alerts"`
	NextCursor string      `json:"next_cursor"`
	Until      string      `json:"until"`
}

func (f *Fake) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := DefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("limit must be an integer from 1 to %d", MaxLimit))
			return
		}
		limit = n
	}
	var tok pageToken
	if c := q.Get("cursor"); c != "" {
		var err error
		if tok, err = decodeToken(c); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_cursor", "cursor is not a page token of this API")
			return
		}
	} else {
		now := f.store.Now()
		tok.Since, tok.Until = now.Add(-Retention), now
		for _, p := range []struct {
			name string
			dst  *time.Time
		}{{"since", &tok.Since}, {"until", &tok.Until}} {
			if s := q.Get(p.name); s != "" {
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					writeError(w, http.StatusBadRequest, "invalid_request", p.name+" must be an RFC 3339 time")
					return
				}
				*p.dst = t.UTC()
			}
		}
		if q.Get("until") == "" && tok.Until.Before(tok.Since) {
			tok.Until = tok.Since // a since past the vendor's clock: an empty window
		}
		if tok.Since.Before(now.Add(-Retention - time.Minute)) {
			writeError(w, http.StatusBadRequest, "since_out_of_range", "since is older than the 30-day retention")
			return
		}
		if tok.Until.Before(tok.Since) {
			writeError(w, http.StatusBadRequest, "invalid_request", "until is before since")
			return
		}
	}

	from := tok.Since
	if tok.AfterID != "" {
		from = tok.AfterTime
	}
	all := f.store.Window(from, tok.Until)
	i := 0
	// Alerts are ordered by (created_at, id): skip those at the token's
	// time up to and including its id.
	for tok.AfterID != "" && i < len(all) && all[i].Time.Equal(tok.AfterTime) && all[i].ID <= tok.AfterID {
		i++
	}
	end := min(i+limit, len(all))
	page := alertsPage{Alerts: make([]alertJSON, 0, end-i), Until: tok.Until.Format(TimeFormat)}
	base := fakevendor.BaseURL(r, f.Name())
	for _, a := range all[i:end] {
		page.Alerts = append(page.Alerts, f.render(a, base))
	}
	if end < len(all) {
		last := all[end-1]
		page.NextCursor = pageToken{Since: tok.Since, Until: tok.Until, AfterTime: last.Time, AfterID: last.ID}.encode()
	}
	fakevendor.WriteJSON(w, http.StatusOK, page)
}

func (f *Fake) alert(w http.ResponseWriter, r *http.Request) (*fakevendor.Alert, bool) {
	a, ok := f.store.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no alert with this id")
	}
	return a, ok
}

func (f *Fake) getAlert(w http.ResponseWriter, r *http.Request) {
	if a, ok := f.alert(w, r); ok {
		fakevendor.WriteJSON(w, http.StatusOK, f.render(a, fakevendor.BaseURL(r, f.Name())))
	}
}

// Statuses and resolutions the vendor knows.
var (
	statuses    = []string{"open", "in_progress", "closed"}
	resolutions = []string{"true_positive", "benign_positive", "false_positive", "undetermined"}
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// readBody reads a JSON write-back body strictly, answering 400 itself.
func readBody(w http.ResponseWriter, r *http.Request, dst any) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "unreadable body")
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "body is not a valid JSON object for this endpoint")
		return nil, false
	}
	return body, true
}

func (f *Fake) patchAlert(w http.ResponseWriter, r *http.Request) {
	a, ok := f.alert(w, r)
	if !ok {
		return
	}
	var req struct {
		Status     *string `json:"status"`
		Owner      *string `json:"owner"`
		Resolution *string `json:"resolution"`
	}
	body, ok := readBody(w, r, &req)
	if !ok {
		return
	}
	switch {
	case req.Status == nil && req.Owner == nil && req.Resolution == nil:
		writeError(w, http.StatusBadRequest, "invalid_request", "nothing to change")
		return
	case req.Status != nil && !oneOf(*req.Status, statuses):
		writeError(w, http.StatusBadRequest, "invalid_request", "status must be one of "+strings.Join(statuses, ", "))
		return
	case req.Resolution != nil && !oneOf(*req.Resolution, resolutions):
		writeError(w, http.StatusBadRequest, "invalid_request", "resolution must be one of "+strings.Join(resolutions, ", "))
		return
	}
	f.store.Update(a.ID, func(a *fakevendor.Alert) {
		if req.Status != nil {
			a.Status = *req.Status
		}
		if req.Owner != nil {
			a.Owner = *req.Owner
		}
		if req.Resolution != nil {
			setExtra(a, "resolution", *req.Resolution)
		}
	})
	f.store.RecordMirror(r.Method, r.URL.Path, body)
	fakevendor.WriteJSON(w, http.StatusOK, f.render(a, fakevendor.BaseURL(r, f.Name())))
}

type commentJSON struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
}

func comments(a *fakevendor.Alert) []commentJSON {
	out := make([]commentJSON, 0, len(a.Comments))
	for i, text := range a.Comments {
		id := strconv.Itoa(i + 1)
		out = append(out, commentJSON{ID: "cmt-" + id, Text: text, CreatedAt: a.Extra["comment_at_"+id]})
	}
	return out
}

func (f *Fake) listComments(w http.ResponseWriter, r *http.Request) {
	a, ok := f.alert(w, r)
	if !ok {
		return
	}
	var out []commentJSON
	f.store.Read(a, func(a *fakevendor.Alert) { out = comments(a) })
	fakevendor.WriteJSON(w, http.StatusOK, map[string]any{"comments": out})
}

func (f *Fake) addComment(w http.ResponseWriter, r *http.Request) {
	a, ok := f.alert(w, r)
	if !ok {
		return
	}
	var req struct {
		Text string `json:"text"`
	}
	body, ok := readBody(w, r, &req)
	if !ok {
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "text is required")
		return
	}
	now := f.store.Now().Format(TimeFormat)
	var c commentJSON
	f.store.Update(a.ID, func(a *fakevendor.Alert) {
		a.Comments = append(a.Comments, req.Text)
		id := strconv.Itoa(len(a.Comments))
		setExtra(a, "comment_at_"+id, now)
		c = commentJSON{ID: "cmt-" + id, Text: req.Text, CreatedAt: now}
	})
	f.store.RecordMirror(r.Method, r.URL.Path, body)
	fakevendor.WriteJSON(w, http.StatusCreated, c)
}

func setExtra(a *fakevendor.Alert, k, v string) {
	if a.Extra == nil {
		a.Extra = map[string]string{}
	}
	a.Extra[k] = v
}
