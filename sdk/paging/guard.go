package paging

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Errors of Guard.Next, found with errors.Is.
var (
	// ErrLoop is a next token or link that was already followed.
	ErrLoop = errors.New("paging loop")
	// ErrMaxPages is more pages than Guard.MaxPages.
	ErrMaxPages = errors.New("too many pages")
)

// DefaultMaxPages is the page budget of a Guard whose MaxPages is 0.
const DefaultMaxPages = 10000

// Guard stops a pager that would go in circles or on forever. Call Next
// after each page with the token or link that page names for the next one.
// The zero value is ready; a Guard is used by one pager and is not safe for
// concurrent use.
type Guard struct {
	// MaxPages is the most pages one paging run fetches (DefaultMaxPages
	// when 0), counting the first.
	MaxPages int
	// MaxEmpty is how many empty pages in a row are followed when they name
	// a next page. 0 stops at the first empty page (Okta's always-present
	// next link); set it for a vendor that returns empty pages mid-stream.
	MaxEmpty int

	seen  map[string]struct{}
	pages int
	empty int
}

// Begin records the first page's token or URL, so that a next link back
// to it is caught too. Optional.
func (g *Guard) Begin(first string) {
	if first != "" {
		g.mark(normalize(first))
	}
}

// Next records that a page of items items was fetched and names next as
// the following page, and reports whether to fetch it: false with a nil
// error at the natural end, false with an error wrapping ErrLoop or
// ErrMaxPages when paging is broken (see the package doc).
func (g *Guard) Next(next string, items int) (bool, error) {
	g.pages++
	if next == "" {
		return false, nil
	}
	if items == 0 {
		g.empty++
		if g.empty > g.MaxEmpty {
			return false, nil
		}
	} else {
		g.empty = 0
	}
	key := normalize(next)
	if _, dup := g.seen[key]; dup {
		return false, fmt.Errorf("%w: the vendor named page %q again after %d pages", ErrLoop, short(next), g.pages)
	}
	limit := g.MaxPages
	if limit <= 0 {
		limit = DefaultMaxPages
	}
	if g.pages >= limit {
		return false, fmt.Errorf("%w: stopped after %d pages", ErrMaxPages, g.pages)
	}
	g.mark(key)
	return true, nil
}

// Pages reports how many pages Next was told about.
func (g *Guard) Pages() int { return g.pages }

func (g *Guard) mark(key string) {
	if g.seen == nil {
		g.seen = map[string]struct{}{}
	}
	g.seen[key] = struct{}{}
}

// normalize makes two spellings of one link equal: query parameters in any
// order, a fragment, the case of scheme and host. Opaque tokens are kept as
// they are.
func normalize(s string) string {
	if !strings.HasPrefix(s, "/") && !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = strings.ToLower(u.Scheme), strings.ToLower(u.Host), "", ""
	u.RawQuery = u.Query().Encode()
	return u.String()
}

// short keeps a token in an error readable; tokens are positions, not
// secrets, but some are kilobytes long.
func short(s string) string {
	if strings.HasPrefix(s, "/") || strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil && u.RawQuery != "" {
			u.RawQuery, u.Fragment = "", ""
			s = u.String() + "?…"
		}
	}
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
