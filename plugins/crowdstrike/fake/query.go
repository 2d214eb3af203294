package fake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cond is one FQL term: field, operator and the values any of which match.
type cond struct {
	field  string
	op     string // "", ">", ">=", "<", "<=", "!"
	values []string
}

var timeFields = map[string]bool{"updated_timestamp": true, "created_timestamp": true, "timestamp": true}

var stringFields = map[string]bool{"status": true, "product": true, "type": true, "composite_id": true, "assigned_to_name": true, "id": true}

// parseFQL parses the FQL subset of the package doc: terms joined by +.
func parseFQL(s string) ([]cond, error) {
	var out []cond
	for _, part := range splitTop(s, '+') {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		field, rest, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("invalid filter term %q: want field:value", part)
		}
		field = strings.TrimSpace(field)
		if !timeFields[field] && !stringFields[field] && field != "severity" {
			return nil, fmt.Errorf("invalid filter field %q", field)
		}
		c := cond{field: field}
		for _, op := range []string{">=", "<=", ">", "<", "!"} {
			if r, ok := strings.CutPrefix(rest, op); ok {
				c.op, rest = op, r
				break
			}
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
			for _, v := range splitTop(rest[1:len(rest)-1], ',') {
				c.values = append(c.values, unquote(strings.TrimSpace(v)))
			}
		} else {
			c.values = []string{unquote(rest)}
		}
		for _, v := range c.values {
			if timeFields[field] {
				if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
					return nil, fmt.Errorf("invalid timestamp %q for %s", v, field)
				}
			}
			if field == "severity" {
				if _, err := strconv.Atoi(v); err != nil {
					return nil, fmt.Errorf("invalid number %q for severity", v)
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// splitTop splits s at sep outside quotes and brackets.
func splitTop(s string, sep byte) []string {
	var (
		out   []string
		start int
		quote bool
		depth int
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quote = !quote
		case quote:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	return v
}

func (c cond) match(v view) bool {
	matched := false
	for _, want := range c.values {
		var r int
		switch {
		case timeFields[c.field]:
			t, _ := time.Parse(time.RFC3339Nano, want)
			r = v.timeOf(c.field).Compare(t)
		case c.field == "severity":
			n, _ := strconv.Atoi(want)
			r = cmp.Compare(v.severity, n)
		default:
			got := v.stringOf(c.field)
			if strings.Contains(want, "*") {
				if wildcard(want, got) {
					r = 0
				} else {
					r = 1
				}
			} else {
				r = strings.Compare(strings.ToLower(got), strings.ToLower(want))
			}
		}
		ok := false
		switch c.op {
		case "":
			ok = r == 0
		case "!":
			ok = r != 0
		case ">":
			ok = r > 0
		case ">=":
			ok = r >= 0
		case "<":
			ok = r < 0
		case "<=":
			ok = r <= 0
		}
		if c.op == "!" && !ok {
			return false
		}
		matched = matched || ok
	}
	return matched
}

func wildcard(pattern, s string) bool {
	parts := strings.Split(strings.ToLower(pattern), "*")
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return parts[len(parts)-1] == "" || s == ""
}

func (v view) timeOf(field string) time.Time {
	switch field {
	case "created_timestamp":
		return v.created
	case "timestamp":
		return v.timestamp
	}
	return v.updated
}

func (v view) stringOf(field string) string {
	switch field {
	case "status":
		return v.status
	case "product":
		return v.product
	case "type":
		return v.typ
	case "composite_id":
		return v.compositeID
	case "id":
		return v.id
	case "assigned_to_name":
		return v.assignedName
	}
	return ""
}

// order is a parsed sort parameter.
type order struct {
	field string
	desc  bool
}

func parseSort(s string) (order, error) {
	if s == "" {
		return order{field: "timestamp", desc: true}, nil
	}
	field, dir, ok := strings.Cut(s, "|")
	if !ok {
		field, dir, ok = strings.Cut(s, ".")
	}
	if !ok {
		dir = "asc"
	}
	if !timeFields[field] && field != "severity" && !stringFields[field] {
		return order{}, fmt.Errorf("invalid sort field %q", field)
	}
	if dir != "asc" && dir != "desc" {
		return order{}, fmt.Errorf("invalid sort direction %q", dir)
	}
	return order{field: field, desc: dir == "desc"}, nil
}

func (o order) compare(a, b view) int {
	var r int
	switch {
	case timeFields[o.field]:
		r = a.timeOf(o.field).Compare(b.timeOf(o.field))
	case o.field == "severity":
		r = cmp.Compare(a.severity, b.severity)
	default:
		r = strings.Compare(a.stringOf(o.field), b.stringOf(o.field))
	}
	if o.desc {
		r = -r
	}
	if r == 0 {
		r = strings.Compare(a.compositeID, b.compositeID)
	}
	return r
}

// key is a view's position in an order, for the combined endpoint's after
// token.
func (o order) key(v view) string {
	switch {
	case timeFields[o.field]:
		return v.timeOf(o.field).UTC().Format(TimeFormat) // fixed width: compares as text
	case o.field == "severity":
		return fmt.Sprintf("%03d", v.severity)
	}
	return v.stringOf(o.field)
}

// search returns the visible alerts matching filter, in order.
func (f *Fake) search(filter, sort string) ([]view, error) {
	conds, err := parseFQL(filter)
	if err != nil {
		return nil, err
	}
	o, err := parseSort(sort)
	if err != nil {
		return nil, err
	}
	var out []view
	for _, a := range f.store.All() {
		v := f.view(a)
		ok := true
		for _, c := range conds {
			if !c.match(v) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, o.compare)
	return out, nil
}

func badRequest(f *Fake, w http.ResponseWriter, msg string) {
	f.writeErrors(w, http.StatusBadRequest, apiError{Code: 400, Message: msg})
}

func (f *Fake) queryAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 100, 0
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				badRequest(f, w, fmt.Sprintf("invalid %s %q", p.name, s))
				return
			}
			*p.dst = n
		}
	}
	if limit < 1 || limit > 10000 {
		badRequest(f, w, "limit must be between 1 and 10000")
		return
	}
	if offset+limit > f.MaxOffset {
		badRequest(f, w, fmt.Sprintf("offset + limit must not exceed %d: narrow the filter instead", f.MaxOffset))
		return
	}
	found, err := f.search(q.Get("filter"), q.Get("sort"))
	if err != nil {
		badRequest(f, w, err.Error())
		return
	}
	ids := []string{}
	for i := offset; i < len(found) && i < offset+limit; i++ {
		ids = append(ids, found[i].compositeID)
	}
	m := f.meta("detectsapi")
	m.Pagination = &pagination{Offset: &offset, Limit: limit, Total: len(found)}
	f.writeBody(w, http.StatusOK, body{Meta: m, Resources: ids, Errors: []apiError{}})
}

func (f *Fake) writeBody(w http.ResponseWriter, code int, b body) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(b)
}

func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(b) > maxBody {
		return fmt.Errorf("request body too large or unreadable")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid request body: %v", err)
	}
	return nil
}

func (f *Fake) getAlerts(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CompositeIDs []string `json:"composite_ids"`
	}
	if err := readJSON(r, &req); err != nil {
		badRequest(f, w, err.Error())
		return
	}
	if len(req.CompositeIDs) == 0 || len(req.CompositeIDs) > MaxEntities {
		badRequest(f, w, fmt.Sprintf("composite_ids must hold 1 to %d ids", MaxEntities))
		return
	}
	res := []map[string]any{}
	errs := []apiError{}
	for _, id := range req.CompositeIDs {
		a, ok := f.alertByID(id)
		if !ok {
			errs = append(errs, apiError{Code: 404, Message: "alert not found", ID: id})
			continue
		}
		res = append(res, f.render(f.view(a)))
	}
	code := http.StatusOK
	if len(res) == 0 {
		code = http.StatusNotFound
	}
	f.writeBody(w, code, body{Meta: f.meta("detectsapi"), Resources: res, Errors: errs})
}

// afterToken is the combined endpoint's page position: the last alert's
// sort key and composite id, and the query it belongs to.
type afterToken struct {
	Key    string `json:"k"`
	ID     string `json:"i"`
	Filter string `json:"f"`
	Sort   string `json:"s"`
}

func (f *Fake) combinedAlerts(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Filter string `json:"filter"`
		Sort   string `json:"sort"`
		Limit  int    `json:"limit"`
		After  string `json:"after"`
	}
	if err := readJSON(r, &req); err != nil {
		badRequest(f, w, err.Error())
		return
	}
	if req.Limit == 0 {
		req.Limit = 100
	}
	if req.Limit < 1 || req.Limit > MaxCombined {
		badRequest(f, w, fmt.Sprintf("limit must be between 1 and %d", MaxCombined))
		return
	}
	var tok afterToken
	if req.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(req.After)
		if err != nil || json.Unmarshal(b, &tok) != nil || tok.Filter != req.Filter || tok.Sort != req.Sort {
			badRequest(f, w, "invalid after token")
			return
		}
	}
	found, err := f.search(req.Filter, req.Sort)
	if err != nil {
		badRequest(f, w, err.Error())
		return
	}
	o, _ := parseSort(req.Sort)
	start := 0
	if req.After != "" {
		start = len(found)
		for i, v := range found {
			k := o.key(v)
			c := strings.Compare(k, tok.Key)
			if o.desc {
				c = -c
			}
			if c > 0 || c == 0 && v.compositeID > tok.ID {
				start = i
				break
			}
		}
	}
	end := min(start+req.Limit, len(found))
	res := []map[string]any{}
	for _, v := range found[start:end] {
		res = append(res, f.render(v))
	}
	m := f.meta("detectsapi")
	m.Pagination = &pagination{Limit: req.Limit, Total: len(found)}
	if end < len(found) {
		last := found[end-1]
		b, _ := json.Marshal(afterToken{Key: o.key(last), ID: last.compositeID, Filter: req.Filter, Sort: req.Sort})
		m.Pagination.After = base64.RawURLEncoding.EncodeToString(b)
	}
	f.writeBody(w, http.StatusOK, body{Meta: m, Resources: res, Errors: []apiError{}})
}
