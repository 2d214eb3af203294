package paging

import (
	"net/http"
	"strings"
)

// NextLink returns the target of the rel="next" link in h's Link headers
// (RFC 8288), as written: absolute or relative. httpclient's DoJSON takes
// either.
func NextLink(h http.Header) (string, bool) { return LinkRel(h, "next") }

// LinkRel returns the target of the first link in h's Link headers whose
// rel names rel (case does not matter; rel may list several types).
func LinkRel(h http.Header, rel string) (string, bool) {
	for _, v := range h.Values("Link") {
		for _, l := range parseLinks(v) {
			for _, r := range strings.Fields(l.rel) {
				if strings.EqualFold(r, rel) {
					return l.target, true
				}
			}
		}
	}
	return "", false
}

type link struct {
	target, rel string
}

// parseLinks reads one Link header value: comma-separated
// `<uri>; param=value; param="quoted, value"` entries. Commas inside <...>
// or quotes do not split entries. A malformed entry is skipped.
func parseLinks(v string) []link {
	var out []link
	for len(v) > 0 {
		v = strings.TrimLeft(v, " \t,")
		if !strings.HasPrefix(v, "<") {
			// Not a link: skip to the next comma outside quotes.
			_, v = cutEntry(v)
			continue
		}
		end := strings.IndexByte(v, '>')
		if end < 0 {
			return out
		}
		l := link{target: strings.TrimSpace(v[1:end])}
		var params string
		params, v = cutEntry(v[end+1:])
		for _, p := range splitParams(params) {
			name, val, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(name), "rel") {
				l.rel = unquote(strings.TrimSpace(val))
			}
		}
		out = append(out, l)
	}
	return out
}

// cutEntry splits s at the first comma outside quotes and <...>.
func cutEntry(s string) (entry, rest string) {
	inQuote, inAngle := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '<' && !inQuote:
			inAngle = true
		case c == '>' && !inQuote:
			inAngle = false
		case c == ',' && !inQuote && !inAngle:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// splitParams splits `; a=b; c="d;e"` at semicolons outside quotes.
func splitParams(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	return s
}
