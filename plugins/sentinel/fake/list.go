package fake

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Limits of the list.
const (
	DefaultTop = 50
	MaxTop     = 1000
)

// The sortable, filterable fields.
const (
	fieldCreated  = "createdTimeUtc"
	fieldModified = "lastModifiedTimeUtc"
)

// span is the half-open range [lo, hi) a filter leaves of one time field;
// a zero bound is open.
type span struct{ lo, hi time.Time }

func (s span) has(t time.Time) bool {
	return (s.lo.IsZero() || !t.Before(s.lo)) && (s.hi.IsZero() || t.Before(s.hi))
}

// position is a keyset skip token: the sort time and sequence of the last
// incident of the previous page.
type position struct {
	T time.Time `json:"t"`
	S int       `json:"s"`
}

func (p position) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePosition(s string) (*position, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var p position
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if p.T.IsZero() || p.S < 0 {
		return nil, errors.New("inconsistent position")
	}
	return &p, nil
}

// listQuery is a parsed list request.
type listQuery struct {
	order string
	spans map[string]span
	top   int
	after *position
}

var andSplit = regexp.MustCompile(`(?i)\s+and\s+`)

// parseFilter reads the OData subset of the package doc.
func parseFilter(s string, spans map[string]span) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, clause := range andSplit.Split(s, -1) {
		clause = strings.TrimSpace(clause)
		for strings.HasPrefix(clause, "(") && strings.HasSuffix(clause, ")") {
			clause = strings.TrimSpace(clause[1 : len(clause)-1])
		}
		parts := strings.Fields(clause)
		if len(parts) != 3 {
			return fmt.Errorf("could not parse the filter clause %q", clause)
		}
		field, ok := filterField(parts[0])
		if !ok {
			return fmt.Errorf("filtering on %q is not supported", parts[0])
		}
		t, err := time.Parse(time.RFC3339Nano, strings.Trim(parts[2], "'"))
		if err != nil {
			return fmt.Errorf("%q is not a DateTimeOffset literal", parts[2])
		}
		sp := spans[field]
		lo, hi := time.Time{}, time.Time{}
		switch strings.ToLower(parts[1]) {
		case "ge":
			lo = t
		case "gt":
			lo = t.Add(time.Nanosecond)
		case "lt":
			hi = t
		case "le":
			hi = t.Add(time.Nanosecond)
		case "eq":
			lo, hi = t, t.Add(time.Nanosecond)
		default:
			return fmt.Errorf("the operator %q is not supported", parts[1])
		}
		if !lo.IsZero() && (sp.lo.IsZero() || lo.After(sp.lo)) {
			sp.lo = lo
		}
		if !hi.IsZero() && (sp.hi.IsZero() || hi.Before(sp.hi)) {
			sp.hi = hi
		}
		spans[field] = sp
	}
	return nil
}

func filterField(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "properties/createdtimeutc":
		return fieldCreated, true
	case "properties/lastmodifiedtimeutc":
		return fieldModified, true
	}
	return "", false
}

func parseListQuery(q url.Values) (listQuery, error) {
	lq := listQuery{order: fieldCreated, spans: map[string]span{}, top: DefaultTop}
	if err := parseFilter(q.Get("$filter"), lq.spans); err != nil {
		return lq, fmt.Errorf("invalid $filter: %w", err)
	}
	if o := strings.Fields(q.Get("$orderby")); len(o) > 0 {
		field, ok := filterField(o[0])
		if !ok || len(o) > 2 || (len(o) == 2 && !strings.EqualFold(o[1], "asc")) {
			return lq, fmt.Errorf("invalid $orderby %q: the fake orders by createdTimeUtc or lastModifiedTimeUtc, asc", q.Get("$orderby"))
		}
		lq.order = field
	}
	if s := q.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxTop {
			return lq, fmt.Errorf("invalid $top %q: it must be an integer from 1 to %d", s, MaxTop)
		}
		lq.top = n
	}
	if s := q.Get("$skipToken"); s != "" {
		p, err := decodePosition(s)
		if err != nil {
			return lq, fmt.Errorf("invalid $skipToken")
		}
		lq.after = p
	}
	return lq, nil
}

type listJSON struct {
	Value    []incidentJSON `json:"value"`
	NextLink string         `json:"nextLink,omitempty"`
}

func (f *Fake) list(w http.ResponseWriter, r *http.Request, q url.Values) {
	lq, err := parseListQuery(q)
	if err != nil {
		cloudError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	items := f.page(lq)
	out := listJSON{Value: make([]incidentJSON, 0, min(len(items), lq.top))}
	for _, it := range items[:min(len(items), lq.top)] {
		out.Value = append(out.Value, f.render(it.a))
	}
	f.mu.Lock()
	repeat := f.repeat
	f.mu.Unlock()
	switch {
	case repeat:
		out.NextLink = f.base(r) + strings.TrimPrefix(r.URL.Path, "/management") + "?" + q.Encode()
	case len(items) > lq.top:
		last := items[lq.top-1]
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("$skipToken", position{T: last.key, S: last.a.Seq}.encode())
		out.NextLink = f.base(r) + strings.TrimPrefix(r.URL.Path, "/management") + "?" + next.Encode()
	}
	fakevendor.WriteJSON(w, http.StatusOK, out)
}

// item is an incident with its sort time.
type item struct {
	a   *fakevendor.Alert
	key time.Time
}

func (it item) after(p *position) bool {
	if p == nil {
		return true
	}
	return it.key.After(p.T) || (it.key.Equal(p.T) && it.a.Seq > p.S)
}

func less(x, y item) bool {
	if !x.key.Equal(y.key) {
		return x.key.Before(y.key)
	}
	return x.a.Seq < y.a.Seq
}

// page returns the first top+1 incidents of the query after its position,
// so the caller knows whether another page follows.
func (f *Fake) page(lq listQuery) []item {
	need := lq.top + 1
	f.mu.Lock()
	modified := make(map[int]bool, len(f.modified))
	ids := make([]string, 0, len(f.modified))
	for seq, id := range f.modified {
		modified[seq] = true
		ids = append(ids, id)
	}
	f.mu.Unlock()
	updated := func(a *fakevendor.Alert) time.Time {
		var t time.Time
		f.store.Read(a, func(a *fakevendor.Alert) { t = a.Updated })
		return t
	}
	created, lastMod := lq.spans[fieldCreated], lq.spans[fieldModified]

	// An unmodified incident's lastModifiedTimeUtc is its creation time,
	// the store's own order: scan the store by time from the position on.
	keySpan := created
	if lq.order == fieldModified {
		keySpan = lastMod
	}
	stream := f.scan(keySpan, lq.after, need, func(a *fakevendor.Alert) bool {
		if lq.order == fieldModified {
			return !modified[a.Seq] && created.has(a.Time)
		}
		return !modified[a.Seq] && lastMod.has(a.Time) || modified[a.Seq] && lastMod.has(updated(a))
	})
	if lq.order == fieldCreated || len(modified) == 0 {
		return stream
	}
	// Modified incidents sort by their update time: merge them in.
	var mods []item
	for _, id := range ids {
		a, ok := f.store.Get(id)
		if !ok {
			continue
		}
		it := item{a: a, key: updated(a)}
		if lastMod.has(it.key) && created.has(a.Time) && it.after(lq.after) {
			mods = append(mods, it)
		}
	}
	all := append(stream, mods...)
	sort.Slice(all, func(i, j int) bool { return less(all[i], all[j]) })
	return all[:min(len(all), need)]
}

// scan walks the store in creation-time order through the key span, after
// the position, and returns up to need incidents keep accepts. It reads the
// store in growing windows so that a page costs what it returns, not the
// size of the store.
func (f *Fake) scan(sp span, after *position, need int, keep func(*fakevendor.Alert) bool) []item {
	from := sp.lo
	if after != nil && after.T.After(from) {
		from = after.T
	}
	// Every alert is at most an hour older than the store's start.
	if floor := f.store.Start().Add(-2 * time.Hour); from.Before(floor) {
		from = floor
	}
	limit := f.store.Now().Add(time.Millisecond)
	if !sp.hi.IsZero() && sp.hi.Before(limit) {
		limit = sp.hi
	}
	var out []item
	for step := time.Minute; from.Before(limit); step = min(step*4, 24*time.Hour) {
		to := from.Add(step)
		if to.After(limit) {
			to = limit
		}
		for _, a := range f.store.Window(from, to) {
			it := item{a: a, key: a.Time}
			if it.after(after) && keep(a) {
				out = append(out, it)
				if len(out) == need {
					return out
				}
			}
		}
		from = to
	}
	return out
}
