package httpclient

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// secretsKey carries an attempt's *secrets in its request context, so that
// CheckResponse can scrub a vendor's error body of them from resp.Request.
type secretsKey struct{}

// secrets are the credential values one attempt sent. A vendor that echoes
// a token in an error body must not get it into our errors.
type secrets struct {
	vals []string
	// where names the request in errors (Client.where: HidePath applied).
	where string
}

// sensitive name fragments for headers and query parameters.
var sensitive = []string{"auth", "key", "token", "secret", "password", "passwd", "session", "cookie", "sig", "credential"}

func isSensitive(name string) bool {
	n := strings.ToLower(name)
	if n == "sec" { // QRadar's SEC header
		return true
	}
	for _, s := range sensitive {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// fromChanged records every header value Authorize set or changed.
func (s *secrets) fromChanged(before, after http.Header) {
	for k, vs := range after {
		if slices.Equal(before[k], vs) {
			continue
		}
		for _, v := range vs {
			s.add(v)
		}
	}
}

// fromRequest records the values of sensitive headers and query parameters.
func (s *secrets) fromRequest(r *http.Request) {
	for k, vs := range r.Header {
		if isSensitive(k) {
			for _, v := range vs {
				s.add(v)
			}
		}
	}
	for k, vs := range r.URL.Query() {
		if isSensitive(k) {
			for _, v := range vs {
				s.add(v)
			}
		}
	}
	if p, ok := r.URL.User.Password(); ok {
		s.add(p)
	}
}

func (s *secrets) add(v string) {
	v = strings.TrimSpace(v)
	if len(v) < 4 {
		return
	}
	s.vals = append(s.vals, v)
	// "Bearer xyz", "SSWS xyz", "Basic b64(user:pass)": the credential part.
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }) {
		if len(f) >= 6 && f != v {
			s.vals = append(s.vals, f)
		}
		if dec, err := base64.StdEncoding.DecodeString(f); err == nil {
			if _, pass, ok := strings.Cut(string(dec), ":"); ok && len(pass) >= 4 {
				s.vals = append(s.vals, pass)
			}
		}
	}
}

// scrub replaces every recorded secret in text.
func (s *secrets) scrub(text string) string {
	if s == nil || len(s.vals) == 0 {
		return text
	}
	vals := slices.Clone(s.vals)
	slices.SortFunc(vals, func(a, b string) int { return len(b) - len(a) })
	for _, v := range vals {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

func secretsOf(r *http.Request) *secrets {
	if r == nil {
		return nil
	}
	s, _ := r.Context().Value(secretsKey{}).(*secrets)
	return s
}
