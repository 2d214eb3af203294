package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/outpost-soc/outpost/sdk"
)

// MaxErrorBody is the most of an error answer's body kept in an error.
const MaxErrorBody = 1024

// StatusError is a vendor answer with a status the caller did not expect:
// any 4xx but 401 and 403 from DoJSON, DoDecode and CheckResponse, and the
// last 429 or 5xx inside the *sdk.RetryAfterError of Do. Find it with
// errors.As.
type StatusError struct {
	Method string
	// URL is the scheme, host and path of the request: never its query.
	URL        string
	StatusCode int
	// Body is the start of the answer's body (at most MaxErrorBody bytes),
	// with any credential the request carried replaced by "[redacted]".
	Body string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if m := VendorMessage([]byte(e.Body)); m != "" {
		msg += ": " + m
	}
	return msg
}

// newStatusError reads at most limit bytes of resp's body into a
// *StatusError and closes the body.
func newStatusError(resp *http.Response, where string, limit int) *StatusError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, int64(limit)))
	closeBody(resp)
	if !utf8.Valid(b) { // cut mid-rune, or not text at all
		b = bytes.ToValidUTF8(b, []byte("?"))
	}
	method := http.MethodGet
	if resp.Request != nil {
		method = resp.Request.Method
	}
	return &StatusError{
		Method:     method,
		URL:        where,
		StatusCode: resp.StatusCode,
		Body:       secretsOf(resp.Request).scrub(strings.TrimSpace(string(b))),
	}
}

// VendorMessage pulls the human message out of a vendor's error body
// (OAuth2 error_description, Okta errorSummary, {"message"}, {"error":
// {"message"}}, {"errors":[{"message"|"detail"}]}), shortened to a line, or
// returns the body itself, shortened, when it is not JSON of a known shape.
func VendorMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var v map[string]any
	if json.Unmarshal(body, &v) == nil {
		if m := messageOf(v); m != "" {
			return excerpt(m, 300)
		}
	}
	return excerpt(string(body), 300)
}

func messageOf(v map[string]any) string {
	for _, k := range []string{"error_description", "errorSummary", "message", "detail", "title", "error_message", "msg"} {
		if s, ok := v[k].(string); ok && s != "" {
			return s
		}
	}
	switch e := v["error"].(type) {
	case string:
		return e
	case map[string]any:
		if m := messageOf(e); m != "" {
			return m
		}
	}
	if errs, ok := v["errors"].([]any); ok && len(errs) > 0 {
		switch e := errs[0].(type) {
		case string:
			return e
		case map[string]any:
			return messageOf(e)
		}
	}
	return ""
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// CheckResponse returns nil for a 2xx answer. Otherwise it reads the start
// of the body, closes it and returns the error for the status: 401 an
// *sdk.UnauthenticatedError, 403 an *sdk.PermissionDeniedError, others a
// *StatusError; messages carry the vendor's own words, never a credential.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	where := ""
	if s := secretsOf(resp.Request); s != nil {
		where = s.where
	} else if resp.Request != nil && resp.Request.URL != nil {
		where = redactURL(resp.Request.URL.String())
	}
	return statusErr(newStatusError(resp, where, MaxErrorBody))
}

func (c *Client) check(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return statusErr(newStatusError(resp, c.where(resp.Request.URL), MaxErrorBody))
}

func statusErr(se *StatusError) error {
	msg := VendorMessage([]byte(se.Body))
	if msg == "" {
		msg = http.StatusText(se.StatusCode)
	}
	switch se.StatusCode {
	case http.StatusUnauthorized:
		return sdk.Unauthenticated("%s %s answered 401: %s", se.Method, se.URL, msg)
	case http.StatusForbidden:
		return sdk.PermissionDenied("", "%s %s answered 403: %s", se.Method, se.URL, msg)
	}
	return se
}

// NewRequest builds a request for path, resolved against BaseURL: appended
// to its path ("/api/v1/logs", or "/rest/x?starting_after=y" with its own
// query), or, when absolute, used as is if it names the BaseURL's scheme and
// host (a vendor's next link). query is merged into the URL's query.
//
// body is sent as: nothing when nil; form-encoded for url.Values; as is, as
// JSON, for []byte and json.RawMessage; JSON-encoded otherwise.
func (c *Client) NewRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	var (
		rd    io.Reader
		ctype string
	)
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case json.RawMessage:
		rd, ctype = bytes.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		enc, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s request body: %w", method, c.where(u), err)
		}
		rd, ctype = bytes.NewReader(enc), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, c.where(u), err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func (c *Client) resolve(path string) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, fmt.Errorf("parsing url %s: %w", redactURL(path), errors.Unwrap(err))
		}
		// A link to another host would get this integration's credentials.
		if c.base != nil && (u.Scheme != c.base.Scheme || u.Host != c.base.Host) {
			return nil, fmt.Errorf("url %s is not on the integration's host %s", c.where(u), c.base.Host)
		}
		return u, nil
	}
	if c.base == nil {
		return nil, fmt.Errorf("path %q needs a base url", excerpt(path, 100))
	}
	rel, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("parsing path: %w", errors.Unwrap(err))
	}
	u := *c.base
	u.Path = c.base.Path + "/" + strings.TrimLeft(rel.Path, "/")
	u.RawPath = ""
	if rel.RawPath != "" { // keep escapes such as %2F in an id
		u.RawPath = c.base.EscapedPath() + "/" + strings.TrimLeft(rel.RawPath, "/")
	}
	u.RawQuery = rel.RawQuery
	return &u, nil
}

// DoJSON builds a request with NewRequest and sends it with DoDecode.
func (c *Client) DoJSON(ctx context.Context, method, path string, query url.Values, body, out any) (*http.Response, error) {
	req, err := c.NewRequest(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	return c.DoDecode(ctx, req, out)
}

// DoDecode sends req with Do, maps a non-2xx answer as CheckResponse does,
// and decodes a 2xx body into out straight from the stream (out nil: the
// body is discarded). The returned response's body is closed; read its
// headers (Link, rate-limit state). A body that is not one JSON value is an
// error naming the request's path.
func (c *Client) DoDecode(ctx context.Context, req *http.Request, out any) (*http.Response, error) {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := c.check(resp); err != nil {
		return resp, err
	}
	defer closeBody(resp)
	if out == nil || resp.StatusCode == http.StatusNoContent || req.Method == http.MethodHead {
		return resp, nil
	}
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(out); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return resp, fmt.Errorf("reading %s %s: %w", req.Method, c.where(req.URL), ctxErr)
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		return resp, fmt.Errorf("decoding %s %s answer%s: %w", req.Method, c.where(req.URL), contentTypeNote(resp), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return resp, fmt.Errorf("decoding %s %s answer: data after the JSON value", req.Method, c.where(req.URL))
	}
	return resp, nil
}

// contentTypeNote names a content type that explains garbage, such as an
// HTML login page from a proxy.
func contentTypeNote(resp *http.Response) string {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return ""
	}
	return " (content type " + mt + ")"
}
