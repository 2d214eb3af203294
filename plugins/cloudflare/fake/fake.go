package fake

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// The node limits of firewallEventsAdaptive the fake's zone has: those of
// the settings example in Cloudflare's GraphQL reference.
const (
	MaxDuration       = 259200 * time.Second // widest [geq, leq] of one query
	NotOlderThan      = 2678400 * time.Second
	MaxPageSize       = 10000
	MaxNumberOfFields = 30
	// ZoneName is the name of the fake's zone.
	ZoneName = "example.com"
)

// Fake is a fake Cloudflare API holding one zone.
type Fake struct {
	store     *fakevendor.Store
	token     string
	noAccess  string
	tokenID   string
	zoneTag   string
	account   string
	bearerFmt *regexp.Regexp
}

var _ fakevendor.Vendor = (*Fake)(nil)

// New returns a fake Cloudflare API whose zone holds the alerts of o as
// firewall events.
func New(o fakevendor.Options) *Fake {
	s := fakevendor.NewStore("cloudflare", o)
	return &Fake{
		store: s,
		// Cloudflare API tokens are 40 characters.
		token:     s.Secret("api_token") + s.Secret("api_token/2")[:16],
		noAccess:  s.Secret("api_token_no_analytics") + s.Secret("api_token_no_analytics/2")[:16],
		tokenID:   tag(s.Secret("token_id")),
		zoneTag:   tag(s.Secret("zone_tag")),
		account:   tag(s.Secret("account_tag")),
		bearerFmt: regexp.MustCompile(`^Bearer [A-Za-z0-9_-]{20,}$`),
	}
}

// tag makes a 32-hex-digit Cloudflare id from a seed string.
func tag(seed string) string {
	b := []byte(seed)
	out := make([]byte, 16)
	for i := range out {
		out[i] = b[i%len(b)] ^ b[(i*7+3)%len(b)] ^ byte(i*37)
	}
	return hex.EncodeToString(out)
}

// Name is "cloudflare".
func (f *Fake) Name() string { return "cloudflare" }

// Store holds the zone's firewall events.
func (f *Fake) Store() *fakevendor.Store { return f.store }

// Config is a working cloudflare integration config for the fake at baseURL.
func (f *Fake) Config(baseURL string) map[string]any {
	return map[string]any{"api_url": baseURL, "api_token": f.token, "zone_tag": f.zoneTag, "account_tag": f.account}
}

// Token is the API token the fake accepts, with Zone Analytics Read on its
// zone.
func (f *Fake) Token() string { return f.token }

// NoAnalyticsToken is a valid token without Analytics Read on the zone: it
// verifies, reads the zone, and is refused the firewall events.
func (f *Fake) NoAnalyticsToken() string { return f.noAccess }

// ZoneTag is the id of the fake's zone.
func (f *Fake) ZoneTag() string { return f.zoneTag }

// AccountTag is the id of the account that owns the zone.
func (f *Fake) AccountTag() string { return f.account }

// Handler serves the API, paths relative to the API root (api_url).
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /client/v4/user/tokens/verify", f.verify)
	mux.HandleFunc("GET /client/v4/accounts/{account}/tokens/verify", f.verify)
	mux.HandleFunc("GET /client/v4/zones/{zone}", f.zone)
	mux.HandleFunc("POST /client/v4/graphql", f.graphql)
	mux.HandleFunc("POST /client/v4/graphql/", f.graphql)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeREST(w, http.StatusBadRequest, nil, apiError{7000, "No route for that URI"})
	})
	return mux
}

// apiError is one entry of a REST answer's errors.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type restAnswer struct {
	Result   any        `json:"result"`
	Success  bool       `json:"success"`
	Errors   []any      `json:"errors"`
	Messages []apiError `json:"messages"`
}

func writeREST(w http.ResponseWriter, code int, result any, errs ...apiError) {
	a := restAnswer{Result: result, Success: len(errs) == 0, Errors: []any{}, Messages: []apiError{}}
	for _, e := range errs {
		a.Errors = append(a.Errors, e)
	}
	fakevendor.WriteJSON(w, code, a)
}

// auth checks the request's credentials the way Cloudflare's API gateway
// does: a header that is not "Bearer <token>" is a 400 (6003/6111), an
// unknown token a 401. It reports which token was sent, or "" when it has
// already answered.
func (f *Fake) auth(w http.ResponseWriter, r *http.Request, graphql bool) string {
	h := r.Header.Get("Authorization")
	if !f.bearerFmt.MatchString(h) {
		fakevendor.WriteJSON(w, http.StatusBadRequest, map[string]any{
			"success": false, "messages": []any{}, "result": nil,
			"errors": []any{map[string]any{"code": 6003, "message": "Invalid request headers",
				"error_chain": []apiError{{6111, "Invalid format for Authorization header"}}}},
		})
		return ""
	}
	tok := strings.TrimPrefix(h, "Bearer ")
	if tok == f.token || tok == f.noAccess {
		return tok
	}
	if graphql {
		writeGraphQLError(w, http.StatusUnauthorized, f.store.Now(), nil, "Unauthorized")
	} else {
		writeREST(w, http.StatusUnauthorized, nil, apiError{1000, "Invalid API Token"})
	}
	return ""
}

// throttle answers a throttled request: a GraphQL budget answer (200 with
// "try again after N minutes", as VENDORS.md has it) for a wait of a minute
// or more, the API's 429 with Retry-After otherwise.
func (f *Fake) throttle(w http.ResponseWriter, graphql bool) bool {
	wait, throttled := f.store.Throttle()
	if !throttled {
		return false
	}
	if graphql && wait >= time.Minute {
		minutes := int(math.Ceil(wait.Minutes()))
		writeGraphQLError(w, http.StatusOK, f.store.Now(), nil,
			fmt.Sprintf("rate limiter budget depleted, try again after %d minutes", minutes))
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeREST(w, http.StatusTooManyRequests, nil, apiError{971, "Please wait and consider throttling your request speed"})
	return true
}

func (f *Fake) date(w http.ResponseWriter) {
	w.Header().Set("Date", f.store.Now().Format(http.TimeFormat))
	w.Header().Set("Cf-Ray", fmt.Sprintf("%016x-LHR", f.store.Now().UnixNano()))
}

func (f *Fake) verify(w http.ResponseWriter, r *http.Request) {
	f.date(w)
	if f.throttle(w, false) {
		return
	}
	if f.auth(w, r, false) == "" {
		return
	}
	if acct := r.PathValue("account"); acct != "" && acct != f.account {
		writeREST(w, http.StatusNotFound, nil, apiError{7003, "Could not route to /accounts/" + acct + "/tokens/verify, perhaps your object identifier is invalid?"})
		return
	}
	fakevendor.WriteJSON(w, http.StatusOK, restAnswer{
		Result:   map[string]any{"id": f.tokenID, "status": "active"},
		Success:  true,
		Errors:   []any{},
		Messages: []apiError{{10000, "This API Token is valid and active"}},
	})
}

func (f *Fake) zone(w http.ResponseWriter, r *http.Request) {
	f.date(w)
	if f.throttle(w, false) {
		return
	}
	if f.auth(w, r, false) == "" {
		return
	}
	id := r.PathValue("zone")
	if id != f.zoneTag {
		writeREST(w, http.StatusBadRequest, nil, apiError{7003, "Could not route to /zones/" + id + ", perhaps your object identifier is invalid?"})
		return
	}
	writeREST(w, http.StatusOK, map[string]any{
		"id": f.zoneTag, "name": ZoneName, "status": "active", "paused": false, "type": "full",
		"account": map[string]any{"id": f.account, "name": "Example Corp"},
		"plan":    map[string]any{"id": "business", "name": "Business Website", "legacy_id": "business"},
	})
}

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []string       `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func writeGraphQLError(w http.ResponseWriter, code int, now time.Time, path []string, msg string) {
	fakevendor.WriteJSON(w, code, map[string]any{
		"data": nil,
		"errors": []gqlError{{Message: msg, Path: path,
			Extensions: map[string]any{"timestamp": now.UTC().Format(time.RFC3339Nano)}}},
	})
}

// execError is a GraphQL error found while executing, with the path of the
// node it belongs to.
type execError struct {
	path []string
	msg  string
}

func (e *execError) Error() string { return e.msg }

func (f *Fake) graphql(w http.ResponseWriter, r *http.Request) {
	now := f.store.Now()
	f.date(w)
	if f.throttle(w, true) {
		return
	}
	tok := f.auth(w, r, true)
	if tok == "" {
		return
	}
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || strings.TrimSpace(body.Query) == "" {
		writeGraphQLError(w, http.StatusOK, now, nil, "query contains error, please review it and retry")
		return
	}
	vars := normalize(body.Variables).(map[string]any)
	sel, err := parseQuery(body.Query, vars)
	if err != nil {
		writeGraphQLError(w, http.StatusOK, now, nil, err.Error())
		return
	}
	data, err := f.execRoot(sel, tok, now)
	if err != nil {
		var path []string
		if e, ok := err.(*execError); ok {
			path = e.path
		}
		writeGraphQLError(w, http.StatusOK, now, path, err.Error())
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`{"data":`)
	if err := appendJSON(&buf, data); err != nil {
		writeGraphQLError(w, http.StatusInternalServerError, now, nil, "Internal server error")
		return
	}
	buf.WriteString(`,"errors":null}`)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

// normalize turns JSON numbers into float64, as GraphQL literals parse.
func normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return map[string]any{}
	case json.Number:
		n, _ := x.Float64()
		return n
	case map[string]any:
		for k, e := range x {
			if e == nil {
				continue
			}
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

// ordered is a JSON object that keeps the order of the selection.
type ordered []struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	err := appendJSON(&b, o)
	return b.Bytes(), err
}

// appendJSON writes v as JSON. It writes nested ordered objects itself:
// json.Marshal compacts what every MarshalJSON returns again, level by
// level, which made large pages slow.
func appendJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case ordered:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(e.k)
			b.Write(k)
			b.WriteByte(':')
			if err := appendJSON(b, e.v); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(enc)
	}
	return nil
}

func (o *ordered) add(k string, v any) {
	*o = append(*o, struct {
		k string
		v any
	}{k, v})
}

func unknown(path []string, name string) error {
	return &execError{path: path, msg: fmt.Sprintf("unknown field %q", name)}
}

func (f *Fake) execRoot(sel []field, tok string, now time.Time) (any, error) {
	var out ordered
	for _, fd := range sel {
		if fd.name != "viewer" {
			return nil, unknown(nil, fd.name)
		}
		var viewer ordered
		for _, vf := range fd.sel {
			if vf.name != "zones" {
				return nil, unknown([]string{"viewer"}, vf.name)
			}
			zones, err := f.execZones(vf, tok, now)
			if err != nil {
				return nil, err
			}
			viewer.add(vf.key(), zones)
		}
		out.add(fd.key(), viewer)
	}
	return out, nil
}

func (f *Fake) execZones(fd field, tok string, now time.Time) (any, error) {
	path := []string{"viewer", "zones"}
	var tags []string
	if filter, ok := fd.args["filter"].(map[string]any); ok {
		if t, ok := filter["zoneTag"].(string); ok {
			tags = append(tags, t)
		}
		if in, ok := filter["zoneTag_in"].([]any); ok {
			for _, t := range in {
				s, _ := t.(string)
				tags = append(tags, s)
			}
		}
	}
	if len(tags) == 0 {
		tags = []string{f.zoneTag}
	}
	if len(tags) > 10 {
		return nil, &execError{path, "a zone-scoped query can include up to 10 zones"}
	}
	for _, t := range tags {
		if t != f.zoneTag || tok != f.token {
			return nil, &execError{path, fmt.Sprintf("zones [%s] are not authorized", strings.Join(tags, " "))}
		}
	}
	zpath := append(path, "0")
	var zone ordered
	for _, zf := range fd.sel {
		switch zf.name {
		case "zoneTag":
			zone.add(zf.key(), f.zoneTag)
		case "settings":
			s, err := settings(zf, append(zpath, "settings"))
			if err != nil {
				return nil, err
			}
			zone.add(zf.key(), s)
		case "firewallEventsAdaptive":
			rows, err := f.events(zf, append(zpath, zf.name), now)
			if err != nil {
				return nil, err
			}
			zone.add(zf.key(), rows)
		default:
			return nil, unknown(zpath, zf.name)
		}
	}
	return []any{zone}, nil
}

func settings(fd field, path []string) (any, error) {
	var out ordered
	for _, nf := range fd.sel {
		if nf.name != "firewallEventsAdaptive" {
			return nil, unknown(path, nf.name)
		}
		var node ordered
		for _, s := range nf.sel {
			switch s.name {
			case "enabled":
				node.add(s.key(), true)
			case "maxDuration":
				node.add(s.key(), int(MaxDuration.Seconds()))
			case "maxNumberOfFields":
				node.add(s.key(), MaxNumberOfFields)
			case "maxPageSize":
				node.add(s.key(), MaxPageSize)
			case "notOlderThan":
				node.add(s.key(), int(NotOlderThan.Seconds()))
			case "availableFields":
				names := make([]string, 0, len(eventFields))
				for n := range eventFields {
					names = append(names, n)
				}
				sortStrings(names)
				node.add(s.key(), names)
			default:
				return nil, unknown(append(path, nf.name), s.name)
			}
		}
		out.add(nf.key(), node)
	}
	return out, nil
}
