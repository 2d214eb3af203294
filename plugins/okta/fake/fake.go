package fake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Limits of the System Log API, from Okta's reference.
const (
	// Retention is how far back the System Log keeps events.
	Retention = 90 * 24 * time.Hour
	// MaxSinceAge is the oldest since Okta accepts; older is a 400.
	MaxSinceAge  = 180 * 24 * time.Hour
	defaultLimit = 100
	maxLimit     = 1000
	// defaultSpan is how far before until a request without since starts.
	defaultSpan = 7 * 24 * time.Hour
	// rateLimit is what X-Rate-Limit-Limit says: /api/v1/logs's per-minute
	// limit in Okta's rate-limit tables.
	rateLimit = 120
)

// Fake is the fake Okta org.
type Fake struct {
	store     *fakevendor.Store
	lateDelay time.Duration
	token     string
	noLogs    string
}

var _ fakevendor.Vendor = (*Fake)(nil)

// New returns a fake Okta org holding the alerts of o as System Log events.
func New(o fakevendor.Options) *Fake {
	s := fakevendor.NewStore("okta", o)
	return &Fake{
		store:     s,
		lateDelay: o.LateDelay,
		token:     s.Secret("api_token"),
		noLogs:    s.Secret("api_token_no_logs"),
	}
}

// Name is "okta".
func (f *Fake) Name() string { return "okta" }

// Store holds the fake's events.
func (f *Fake) Store() *fakevendor.Store { return f.store }

// Config is a working okta integration config for the fake at baseURL.
func (f *Fake) Config(baseURL string) map[string]any {
	return map[string]any{"org_url": baseURL, "api_token": f.token}
}

// Token is the API token the fake accepts.
func (f *Fake) Token() string { return f.token }

// NoLogsToken is a valid API token whose admin may not read the System Log:
// it gets 403 E0000006.
func (f *Fake) NoLogsToken() string { return f.noLogs }

// Handler serves the API, paths relative to the org's root.
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/logs", f.logs)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.headers(w, f.store.Now())
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path+" (Resource)")
	})
	return mux
}

// oktaError is Okta's error body.
type oktaError struct {
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []errorCause `json:"errorCauses"`
}

type errorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

func writeError(w http.ResponseWriter, code int, errCode, summary string, causes ...string) {
	body := oktaError{ErrorCode: errCode, ErrorSummary: summary, ErrorLink: errCode,
		ErrorID: fmt.Sprintf("oae%019d", time.Now().UnixNano()), ErrorCauses: []errorCause{}}
	for _, c := range causes {
		body.ErrorCauses = append(body.ErrorCauses, errorCause{ErrorSummary: c})
	}
	fakevendor.WriteJSON(w, code, body)
}

// headers sets the headers Okta sends on every answer.
func (f *Fake) headers(w http.ResponseWriter, now time.Time) {
	h := w.Header()
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", fmt.Sprintf("Z%026d", now.UnixNano()))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(rateLimit-1))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Truncate(time.Minute).Add(time.Minute).Unix(), 10))
}

// query is one parsed /api/v1/logs request.
type query struct {
	since, until time.Time
	polling      bool
	desc         bool
	limit        int
	filter       filter
	keywords     []string
	pos          position
}

// position is where a page starts: the key of the last event handed out,
// exclusive. Its time is the persistence time for a polling request and
// published for a bounded one.
type position struct {
	t   time.Time
	seq int
}

func (p position) token() string { return fmt.Sprintf("%d_%d", p.t.UnixMilli(), p.seq) }

func parsePosition(s string) (position, bool) {
	ms, seq, ok := strings.Cut(s, "_")
	if !ok {
		return position{}, false
	}
	m, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.Atoi(seq)
	if err1 != nil || err2 != nil {
		return position{}, false
	}
	return position{t: time.UnixMilli(m).UTC(), seq: n}, true
}

func (f *Fake) logs(w http.ResponseWriter, r *http.Request) {
	now := f.store.Now()
	f.headers(w, now)
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
		return
	}
	if wait, throttled := f.store.Throttle(); throttled {
		reset := now.Add(wait)
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(int64(math.Ceil(float64(reset.UnixNano())/1e9)), 10))
		writeError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	switch r.Header.Get("Authorization") {
	case "SSWS " + f.token:
	case "SSWS " + f.noLogs:
		writeError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
		return
	default:
		writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return
	}
	q, status, code, summary, causes := parseQuery(r.URL.Query(), now)
	if status != 0 {
		writeError(w, status, code, summary, causes...)
		return
	}
	page, more := f.page(q, now)
	events := make([]logEvent, 0, len(page))
	for _, a := range page {
		events = append(events, render(a))
	}

	base := fakevendor.BaseURL(r, f.Name()) + "/api/v1/logs"
	w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="self"`, base+"?"+r.URL.RawQuery))
	if more || q.polling {
		next := q.pos
		if len(page) > 0 {
			next = q.keyOf(page[len(page)-1])
		}
		params := r.URL.Query()
		params.Set("after", next.token())
		w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="next"`, base+"?"+params.Encode()))
	}
	fakevendor.WriteJSON(w, http.StatusOK, events)
}

// parseQuery reads the request parameters as Okta validates them; a
// non-zero status is the error to answer.
func parseQuery(v url.Values, now time.Time) (q query, status int, code, summary string, causes []string) {
	bad := func(param, why string) (query, int, string, string, []string) {
		return query{}, http.StatusBadRequest, "E0000001",
			fmt.Sprintf("Api validation failed: '%s': %s", param, why), []string{param + ": " + why}
	}
	q.limit = defaultLimit
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxLimit {
			return bad("limit", fmt.Sprintf("must be an integer between 0 and %d.", maxLimit))
		}
		q.limit = n
	}
	switch v.Get("sortOrder") {
	case "", "ASCENDING":
	case "DESCENDING":
		q.desc = true
	default:
		return bad("sortOrder", "must be ASCENDING or DESCENDING.")
	}
	parseTime := func(name string) (time.Time, bool) {
		s := v.Get(name)
		if s == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t.UTC(), err == nil
	}
	var ok bool
	if q.until, ok = parseTime("until"); !ok {
		return bad("until", "The date format in your query is not recognized. Please enter dates using ISO8601 string format.")
	}
	if q.since, ok = parseTime("since"); !ok {
		return bad("since", "The date format in your query is not recognized. Please enter dates using ISO8601 string format.")
	}
	q.polling = q.until.IsZero() && !q.desc
	if q.until.IsZero() {
		q.until = now
	}
	if q.since.IsZero() {
		q.since = q.until.Add(-defaultSpan)
	}
	if q.since.Before(now.Add(-MaxSinceAge)) {
		return query{}, http.StatusBadRequest, "E0000053",
			"Invalid parameter: The since parameter is over 180 days prior to the current day.", nil
	}
	if s := v.Get("filter"); s != "" {
		f, err := parseFilter(s)
		if err != nil {
			return query{}, http.StatusBadRequest, "E0000053", err.Error(), nil
		}
		q.filter = f
	}
	if s := v.Get("q"); s != "" {
		q.keywords = strings.Fields(strings.ToLower(s))
		if len(q.keywords) > 10 {
			return bad("q", "Freeform search cannot contain more than 10 items.")
		}
		for _, k := range q.keywords {
			if len(k) > 40 {
				return bad("q", "Freeform search cannot contain items longer than 40 characters. Please shorten the items in your search or use an advanced filter to query by specific fields.")
			}
		}
	}
	switch s := v.Get("after"); {
	case s != "":
		p, ok := parsePosition(s)
		if !ok {
			return bad("after", "is not a valid page token.")
		}
		q.pos = p
	case q.desc:
		q.pos = position{t: q.until, seq: -1}
	default:
		q.pos = position{t: q.since, seq: -1}
	}
	return q, 0, "", "", nil
}

// keyOf is the ordering key of a for q's kind of request.
func (q query) keyOf(a *fakevendor.Alert) position {
	if q.polling {
		return position{t: a.VisibleAt, seq: a.Seq}
	}
	return position{t: a.Time, seq: a.Seq}
}

func (p position) less(o position) bool {
	if c := p.t.Compare(o.t); c != 0 {
		return c < 0
	}
	return p.seq < o.seq
}

// keep reports whether a passes q's retention, filter and keywords.
func (q query) keep(a *fakevendor.Alert, now time.Time) bool {
	if a.Time.Before(now.Add(-Retention)) {
		return false
	}
	if !q.polling && (a.Time.Before(q.since) || !a.Time.Before(q.until)) {
		return false
	}
	if q.filter == nil && len(q.keywords) == 0 {
		return true
	}
	raw, _ := json.Marshal(render(a))
	if q.filter != nil {
		var doc map[string]any
		_ = json.Unmarshal(raw, &doc)
		if !q.filter.match(doc) {
			return false
		}
	}
	text := strings.ToLower(string(raw))
	for _, k := range q.keywords {
		if !strings.Contains(text, k) {
			return false
		}
	}
	return true
}

// page returns the events of q's page and whether more follow. It reads the
// store in time chunks that double in length, so that a page costs about
// its own size whatever the store holds.
func (f *Fake) page(q query, now time.Time) ([]*fakevendor.Alert, bool) {
	want := q.limit + 1
	var out []*fakevendor.Alert
	add := func(cands []*fakevendor.Alert) bool {
		for _, a := range cands {
			k := q.keyOf(a)
			if q.desc && !k.less(q.pos) || !q.desc && !q.pos.less(k) {
				continue
			}
			if q.keep(a, now) {
				out = append(out, a)
				if len(out) == want {
					return true
				}
			}
		}
		return false
	}
	step := time.Minute
	if q.desc {
		lo := q.since
		for to := q.pos.t.Add(time.Nanosecond); to.After(lo); step *= 2 {
			from := to.Add(-step)
			if from.Before(lo) {
				from = lo
			}
			cands := f.store.Window(from, to)
			sort.SliceStable(cands, func(i, j int) bool { return q.keyOf(cands[j]).less(q.keyOf(cands[i])) })
			if add(cands) {
				break
			}
			to = from
		}
	} else {
		hi := q.until
		if q.polling {
			hi = now
		}
		hi = hi.Add(time.Nanosecond) // a key at exactly hi (now) is visible
		for from := q.pos.t; from.Before(hi); step *= 2 {
			to := from.Add(step)
			if to.After(hi) {
				to = hi
			}
			if add(f.candidates(q, from, to)) {
				break
			}
			from = to
		}
	}
	if len(out) > q.limit {
		return out[:q.limit], true
	}
	return out, false
}

// candidates returns the alerts whose key time is in [from, to), in key
// order. A persistence time is at most lateDelay after published, except
// for alerts held at start, which all become visible at start+lateDelay.
func (f *Fake) candidates(q query, from, to time.Time) []*fakevendor.Alert {
	if !q.polling {
		return f.store.Window(from, to)
	}
	in := func(a *fakevendor.Alert) bool { return !a.VisibleAt.Before(from) && a.VisibleAt.Before(to) }
	var out []*fakevendor.Alert
	seen := map[int]bool{}
	for _, a := range f.store.Window(from.Add(-f.lateDelay), to) {
		if in(a) {
			out = append(out, a)
			seen[a.Seq] = true
		}
	}
	start := f.store.Start()
	if late := start.Add(f.lateDelay); !late.Before(from) && late.Before(to) {
		for _, a := range f.store.Window(time.Time{}, start) {
			if a.Late && in(a) && !seen[a.Seq] {
				out = append(out, a)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return q.keyOf(out[i]).less(q.keyOf(out[j])) })
	return out
}
