package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// client is one integration's splunkd client.
type client struct {
	http  *httpclient.Client
	index string
	// web is the root of Splunk Web for links back into the console.
	web string
	// session logs in with username and password; nil with a token.
	session *session
	jobPoll time.Duration
}

// Close releases the idle connections of a client the cache replaced.
func (c *client) Close() error {
	if c.session != nil {
		_ = c.session.login.Close()
	}
	return c.http.Close()
}

func (c *client) authKind() string {
	if c.session != nil {
		return "session key"
	}
	return "authentication token"
}

func (c *Connector) newClient(_ context.Context, in sdk.Integration) (*client, error) {
	s, err := readSettings(in.Config)
	if err != nil {
		return nil, err
	}
	cl := &client{index: s.index, web: webRoot(s.url), jobPoll: c.jobPoll}
	opts := httpclient.Options{
		BaseURL:            s.url,
		InsecureSkipVerify: !s.verifyTLS,
		BaseBackoff:        c.backoff,
		Logger:             c.log,
	}
	if s.token != "" {
		token := s.token
		opts.Authorize = func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}
	} else {
		login, err := httpclient.New(opts) // no Authorize: the login call itself
		if err != nil {
			return nil, err
		}
		cl.session = &session{login: login, username: s.username, password: s.password}
		opts.Authorize = cl.session.authorize
		opts.Invalidate = cl.session.invalidate
	}
	h, err := httpclient.New(opts)
	if err != nil {
		return nil, err
	}
	cl.http = h
	return cl, nil
}

// webRoot guesses Splunk Web's root from the management URL: same host;
// Splunk Cloud serves Web on 443, an on-premises splunkd listening on its
// default 8089 serves Web on 8000.
func webRoot(mgmt string) string {
	u, err := url.Parse(mgmt)
	if err != nil {
		return mgmt
	}
	host := u.Host
	switch {
	case strings.HasSuffix(u.Hostname(), ".splunkcloud.com"):
		host = u.Hostname()
	case u.Port() == "8089":
		host = u.Hostname() + ":8000"
	}
	return u.Scheme + "://" + host
}

// session holds a session key from /services/auth/login. splunkd ends a
// session after an hour idle or on restart; the 401 that follows makes
// httpclient call invalidate and try once more with a fresh key.
type session struct {
	login              *httpclient.Client
	username, password string

	mu  sync.Mutex
	key string
}

func (s *session) authorize(ctx context.Context, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == "" {
		key, err := s.newKey(ctx)
		if err != nil {
			return err
		}
		s.key = key
	}
	r.Header.Set("Authorization", "Splunk "+s.key)
	return nil
}

func (s *session) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = ""
}

func (s *session) newKey(ctx context.Context) (string, error) {
	form := url.Values{"username": {s.username}, "password": {s.password}, "output_mode": {"json"}}
	var out struct {
		SessionKey string `json:"sessionKey"`
	}
	if err := call(ctx, s.login, http.MethodPost, "/services/auth/login", nil, form, &out); err != nil {
		return "", fmt.Errorf("logging in to splunk as %s: %w", s.username, err)
	}
	if out.SessionKey == "" {
		return "", sdk.Unauthenticated("splunk login as %s answered no session key", s.username)
	}
	return out.SessionKey, nil
}

// call sends one splunkd request: query on the URL, form (if any) as the
// body, and decodes a 2xx JSON answer into out (nil: discarded).
func call(ctx context.Context, h *httpclient.Client, method, path string, query, form url.Values, out any) error {
	var body any
	if form != nil {
		body = form
	}
	req, err := h.NewRequest(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	resp, err := h.Do(ctx, req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return splunkError(resp, method, path)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("reading splunk %s answer: %w", path, ctx.Err())
		}
		return fmt.Errorf("decoding splunk %s answer: %w", path, err)
	}
	return nil
}

func (c *client) call(ctx context.Context, method, path string, query, form url.Values, out any) error {
	return call(ctx, c.http, method, path, query, form, out)
}

// messages is splunkd's error document in JSON; notable_update answers
// {"success": false, "message"} instead.
type messages struct {
	Messages []struct {
		Type string `json:"type"`
		Code string `json:"code"`
		Text string `json:"text"`
	} `json:"messages"`
	Message string `json:"message"`
}

// xmlMessages is the same document in XML, splunkd's default.
type xmlMessages struct {
	Msgs []struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	} `xml:"messages>msg"`
}

// splunkMessage pulls splunkd's own words out of an error body.
func splunkMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	var texts []string
	var j messages
	if json.Unmarshal(body, &j) == nil {
		for _, m := range j.Messages {
			if t := strings.TrimSpace(m.Text); t != "" {
				texts = append(texts, t)
			}
		}
		if len(texts) == 0 && j.Message != "" {
			texts = append(texts, j.Message)
		}
	} else {
		var x xmlMessages
		if xml.Unmarshal(body, &x) == nil {
			for _, m := range x.Msgs {
				if t := strings.TrimSpace(m.Text); t != "" {
					texts = append(texts, t)
				}
			}
		}
	}
	msg := strings.Join(texts, "; ")
	if msg == "" {
		msg = string(body)
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// permissionOf names the capability a 403 from path is about.
func permissionOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/services/notable_update"):
		return capEdit
	case strings.HasPrefix(path, "/services/search/"):
		return capSearch
	}
	return ""
}

// splunkError maps a non-2xx answer to the SDK's errors with splunkd's
// message. The body never echoes a credential, but it is cut short anyway.
func splunkError(resp *http.Response, method, path string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := splunkMessage(b)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return sdk.Unauthenticated("splunk %s %s answered 401: %s", method, path, msg)
	case http.StatusForbidden:
		return sdk.PermissionDenied(permissionOf(path), "splunk %s %s answered 403: %s", method, path, msg)
	}
	return &apiError{Method: method, Path: path, Status: resp.StatusCode, Message: msg}
}

// apiError is an answer splunkd refused for a reason other than
// credentials: a search it cannot parse (400), an unknown job (404).
type apiError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("splunk %s %s answered %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// feed is splunkd's JSON rendering of an Atom feed, with the content of
// its first entry left for the caller to decode.
type feed struct {
	Updated string `json:"updated"`
	Entry   []struct {
		Name    string          `json:"name"`
		Content json.RawMessage `json:"content"`
	} `json:"entry"`
}

func (c *client) getEntry(ctx context.Context, path string, content any) (feed, error) {
	var f feed
	if err := c.call(ctx, http.MethodGet, path, url.Values{"output_mode": {"json"}}, nil, &f); err != nil {
		return f, err
	}
	if len(f.Entry) == 0 {
		return f, fmt.Errorf("splunk %s answered no entry", path)
	}
	if err := json.Unmarshal(f.Entry[0].Content, content); err != nil {
		return f, fmt.Errorf("decoding splunk %s entry: %w", path, err)
	}
	return f, nil
}

// serverInfo is the content of /services/server/info.
type serverInfo struct {
	ServerName string `json:"serverName"`
	Version    string `json:"version"`
	// now is splunkd's clock: the feed's updated time.
	now time.Time
}

func (c *client) serverInfo(ctx context.Context) (serverInfo, error) {
	var info serverInfo
	f, err := c.getEntry(ctx, "/services/server/info", &info)
	if err != nil {
		return info, err
	}
	t, err := time.Parse(time.RFC3339, f.Updated)
	if err != nil {
		return info, fmt.Errorf("splunk server info: unparsable updated time %q", f.Updated)
	}
	info.now = t.UTC()
	return info, nil
}

// context is the content of /services/authentication/current-context.
type userContext struct {
	Username     string   `json:"username"`
	Roles        []string `json:"roles"`
	Capabilities []string `json:"capabilities"`
}

func (c *client) currentContext(ctx context.Context) (userContext, error) {
	var who userContext
	_, err := c.getEntry(ctx, "/services/authentication/current-context", &who)
	return who, err
}

// searchParams is one search: the SPL and the _time range it reads.
type searchParams struct {
	spl              string
	earliest, latest time.Time
}

func epoch(t time.Time) string {
	if t.Nanosecond() == 0 {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

func (p searchParams) form() url.Values {
	v := url.Values{"search": {p.spl}, "output_mode": {"json"}}
	if !p.earliest.IsZero() {
		v.Set("earliest_time", epoch(p.earliest))
	}
	if !p.latest.IsZero() {
		v.Set("latest_time", epoch(p.latest))
	}
	return v
}

// jobStatus is the content of /services/search/jobs/{sid}.
type jobStatus struct {
	DispatchState string `json:"dispatchState"`
	IsDone        bool   `json:"isDone"`
	IsFailed      bool   `json:"isFailed"`
	ResultCount   int    `json:"resultCount"`
	Messages      any    `json:"messages"`
}

// startJob dispatches a search job and waits until splunkd has finished
// it. exec_mode=normal answers at once with the sid; a blocking dispatch
// of a long search would outlast one request's timeout.
func (c *client) startJob(ctx context.Context, p searchParams) (string, jobStatus, error) {
	form := p.form()
	form.Set("exec_mode", "normal")
	var created struct {
		SID string `json:"sid"`
	}
	if err := c.call(ctx, http.MethodPost, "/services/search/jobs", nil, form, &created); err != nil {
		return "", jobStatus{}, fmt.Errorf("starting splunk search: %w", err)
	}
	if created.SID == "" {
		return "", jobStatus{}, errors.New("splunk search jobs answered no sid")
	}
	wait := c.jobPoll
	for {
		var st jobStatus
		if _, err := c.getEntry(ctx, "/services/search/jobs/"+url.PathEscape(created.SID), &st); err != nil {
			return created.SID, st, fmt.Errorf("reading splunk search job %s: %w", created.SID, err)
		}
		if st.IsFailed || st.DispatchState == "FAILED" {
			return created.SID, st, fmt.Errorf("splunk search job %s failed: %v", created.SID, st.Messages)
		}
		if st.IsDone || st.DispatchState == "DONE" {
			return created.SID, st, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return created.SID, st, fmt.Errorf("waiting for splunk search job %s: %w", created.SID, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// deleteJob cancels a job whose results were read, so that it stops
// counting against the user's search disk quota. Best effort: splunkd
// expires it anyway.
func (c *client) deleteJob(ctx context.Context, sid string) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = c.call(ctx, http.MethodDelete, "/services/search/jobs/"+url.PathEscape(sid), url.Values{"output_mode": {"json"}}, nil, nil)
}

// results reads one page of a job's results, each result kept as the bytes
// splunkd sent.
func (c *client) results(ctx context.Context, sid string, offset, count int) ([]notable, error) {
	q := url.Values{"output_mode": {"json"}, "count": {strconv.Itoa(count)}, "offset": {strconv.Itoa(offset)}}
	var page struct {
		Results  []notable `json:"results"`
		Messages []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	if err := c.call(ctx, http.MethodGet, "/services/search/jobs/"+url.PathEscape(sid)+"/results", q, nil, &page); err != nil {
		return nil, fmt.Errorf("reading splunk search results: %w", err)
	}
	for _, m := range page.Messages {
		if m.Type == "ERROR" || m.Type == "FATAL" {
			return nil, fmt.Errorf("splunk search %s: %s", sid, m.Text)
		}
	}
	return page.Results, nil
}

// export runs a search through /services/search/jobs/export and calls fn
// with each final result as it streams in. The export endpoint is a second
// API beside search jobs: no job, no results paging.
func (c *client) export(ctx context.Context, p searchParams, fn func(notable) error) error {
	req, err := c.http.NewRequest(ctx, http.MethodPost, "/services/search/jobs/export", nil, p.form())
	if err != nil {
		return err
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("exporting splunk search: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("exporting splunk search: %w", splunkError(resp, http.MethodPost, "/services/search/jobs/export"))
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var line struct {
			Preview  bool     `json:"preview"`
			Result   *notable `json:"result"`
			Messages []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"messages"`
		}
		if err := dec.Decode(&line); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return fmt.Errorf("reading splunk export: %w", ctx.Err())
			}
			return fmt.Errorf("decoding splunk export: %w", err)
		}
		for _, m := range line.Messages {
			if m.Type == "ERROR" || m.Type == "FATAL" {
				return fmt.Errorf("splunk export: %s", m.Text)
			}
		}
		if line.Result == nil || line.Preview {
			continue
		}
		if err := fn(*line.Result); err != nil {
			return err
		}
	}
}
