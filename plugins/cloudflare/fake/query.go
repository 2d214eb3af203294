package fake

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func sortStrings(s []string) { sort.Strings(s) }

// order is one orderBy entry.
type order struct {
	field string
	desc  bool
}

// events runs a firewallEventsAdaptive node: its filter (with AND and OR),
// orderBy and limit, within the node limits of the zone.
func (f *Fake) events(fd field, p []string, now time.Time) (any, error) {
	fail := func(format string, args ...any) error {
		return &execError{path: p, msg: fmt.Sprintf(format, args...)}
	}
	if len(fd.sel) == 0 {
		return nil, fail("object field must have selections")
	}
	if len(fd.sel) > MaxNumberOfFields {
		return nil, fail("number of fields can't be more than %d", MaxNumberOfFields)
	}
	for _, s := range fd.sel {
		if _, ok := eventFields[s.name]; !ok {
			return nil, unknown(p, s.name)
		}
		if len(s.sel) > 0 {
			return nil, fail("scalar fields must have no selections")
		}
	}
	limit, _ := fd.args["limit"].(float64)
	if limit <= 0 || limit > MaxPageSize || limit != float64(int(limit)) {
		return nil, fail("limit must be positive number and not greater than %d", MaxPageSize)
	}
	var orders []order
	switch ob := fd.args["orderBy"].(type) {
	case nil:
	case []any:
		for _, o := range ob {
			var s string
			switch v := o.(type) {
			case enum:
				s = string(v)
			case string:
				s = v
			}
			name, dir, ok := strings.Cut(s, "_")
			if _, known := eventFields[name]; !ok || !known || (dir != "ASC" && dir != "DESC") {
				return nil, fail("error parsing args: unknown orderBy value %q", s)
			}
			orders = append(orders, order{name, dir == "DESC"})
		}
	default:
		return nil, fail("error parsing args: orderBy must be a list")
	}
	filter, _ := fd.args["filter"].(map[string]any)
	if filter == nil {
		return nil, fail("error parsing args: filter is required")
	}
	if err := checkFilter(filter); err != nil {
		return nil, fail("error parsing args: %v", err)
	}
	lo, hi, ok := bounds(filter)
	if !ok {
		return nil, fail("error parsing args: filter must bound datetime from below (datetime_geq or datetime_gt)")
	}
	if hi.IsZero() || hi.After(now) {
		hi = now
	}
	if lo.Before(now.Add(-NotOlderThan)) {
		return nil, fail("cannot request data older than %ds", int(NotOlderThan.Seconds()))
	}
	if hi.Sub(lo) > MaxDuration {
		return nil, fail("query time range is too large, it can't be wider than %ds", int(MaxDuration.Seconds()))
	}

	keep := func(a *fakevendor.Alert) (map[string]any, bool) {
		row := render(a)
		return row, match(filter, row)
	}
	var rows []map[string]any
	less := func(i, j int) bool { return rowLess(rows[i], rows[j], orders) }
	// Ascending by datetime (how a poller reads) is served a chunk of
	// whole seconds at a time, so a page costs about its own size. Any
	// other order sorts the whole range.
	if len(orders) == 0 || orders[0] == (order{"datetime", false}) {
		step := time.Minute
		for from := lo.Truncate(time.Second); !from.After(hi) && len(rows) < int(limit); step *= 2 {
			to := from.Add(step)
			var chunk []map[string]any
			for _, a := range f.store.Window(from, to) {
				if row, ok := keep(a); ok {
					chunk = append(chunk, row)
				}
			}
			sort.SliceStable(chunk, func(i, j int) bool { return rowLess(chunk[i], chunk[j], orders) })
			rows = append(rows, chunk...)
			from = to
		}
	} else {
		for _, a := range f.store.Window(lo.Truncate(time.Second), hi.Add(time.Second)) {
			if row, ok := keep(a); ok {
				rows = append(rows, row)
			}
		}
		sort.SliceStable(rows, less)
	}
	if len(rows) > int(limit) {
		rows = rows[:int(limit)]
	}
	out := make([]any, 0, len(rows))
	for _, row := range rows {
		var o ordered
		for _, s := range fd.sel {
			o.add(s.key(), row[s.name])
		}
		out = append(out, o)
	}
	return out, nil
}

func rowLess(a, b map[string]any, orders []order) bool {
	if len(orders) == 0 {
		orders = []order{{"datetime", false}}
	}
	for _, o := range orders {
		c := compareValues(a[o.field], b[o.field], eventFields[o.field])
		if c != 0 {
			return (c < 0) != o.desc
		}
	}
	return false
}

// compareValues compares two field values of kind k. Datetimes in the
// dataset's own form (RFC 3339, UTC, whole seconds) compare as strings;
// others are parsed.
func compareValues(a, b any, k kind) int {
	switch k {
	case kInt:
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case kTime:
		x, xok := a.(string)
		y, yok := b.(string)
		if xok && yok && canonical(x) && canonical(y) {
			return strings.Compare(x, y)
		}
		tx, _ := time.Parse(time.RFC3339, fmt.Sprint(a))
		ty, _ := time.Parse(time.RFC3339, fmt.Sprint(b))
		return tx.Compare(ty)
	}
	x, xok := a.(string)
	y, yok := b.(string)
	if !xok || !yok {
		x, y = fmt.Sprint(a), fmt.Sprint(b)
	}
	return strings.Compare(x, y)
}

// canonical reports whether s is a datetime as the dataset writes it.
func canonical(s string) bool { return len(s) == len("2006-01-02T15:04:05Z") && s[len(s)-1] == 'Z' }

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

var operators = []string{"geq", "leq", "neq", "notin", "notlike", "like", "gt", "lt", "in"}

// splitKey splits a filter key into field and operator ("" for equality).
func splitKey(k string) (string, string) {
	for _, op := range operators {
		if name, ok := strings.CutSuffix(k, "_"+op); ok {
			return name, op
		}
	}
	return k, ""
}

// checkFilter refuses unknown fields and operators.
func checkFilter(f map[string]any) error {
	for k, v := range f {
		if k == "AND" || k == "OR" {
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s must be a list of filters", k)
			}
			for _, e := range list {
				sub, ok := e.(map[string]any)
				if !ok {
					return fmt.Errorf("%s must be a list of filters", k)
				}
				if err := checkFilter(sub); err != nil {
					return err
				}
			}
			continue
		}
		name, _ := splitKey(k)
		if _, ok := eventFields[name]; !ok {
			return fmt.Errorf("unknown filter field %q", k)
		}
	}
	return nil
}

// bounds finds the datetime range a filter asks for: the top level and its
// AND lists, where every clause must hold.
func bounds(f map[string]any) (lo, hi time.Time, ok bool) {
	for k, v := range f {
		if k == "AND" {
			for _, e := range v.([]any) {
				l, h, found := bounds(e.(map[string]any))
				if found && (lo.IsZero() || l.After(lo)) {
					lo, ok = l, true
				}
				if !h.IsZero() && (hi.IsZero() || h.Before(hi)) {
					hi = h
				}
			}
			continue
		}
		name, op := splitKey(k)
		if name != "datetime" {
			continue
		}
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			continue
		}
		switch op {
		case "geq", "gt", "":
			if lo.IsZero() || t.After(lo) {
				lo, ok = t, true
			}
		}
		switch op {
		case "leq", "lt", "":
			if hi.IsZero() || t.Before(hi) {
				hi = t
			}
		}
	}
	return lo, hi, ok
}

// match evaluates a filter on a row: every key must hold; AND holds when
// all of its filters do, OR when any does.
func match(f map[string]any, row map[string]any) bool {
	for k, v := range f {
		switch k {
		case "AND":
			for _, e := range v.([]any) {
				if !match(e.(map[string]any), row) {
					return false
				}
			}
			continue
		case "OR":
			found := false
			for _, e := range v.([]any) {
				if match(e.(map[string]any), row) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
			continue
		}
		name, op := splitKey(k)
		if !holds(row[name], op, v, eventFields[name]) {
			return false
		}
	}
	return true
}

func holds(have any, op string, want any, k kind) bool {
	switch op {
	case "in", "notin":
		list, _ := want.([]any)
		found := slices.ContainsFunc(list, func(w any) bool { return compareValues(have, w, k) == 0 })
		return found == (op == "in")
	case "like", "notlike":
		pattern := strings.ReplaceAll(fmt.Sprint(want), "%", "*")
		ok, _ := path.Match(pattern, fmt.Sprint(have))
		return ok == (op == "like")
	}
	c := compareValues(have, want, k)
	switch op {
	case "":
		return c == 0
	case "neq":
		return c != 0
	case "gt":
		return c > 0
	case "geq":
		return c >= 0
	case "lt":
		return c < 0
	case "leq":
		return c <= 0
	}
	return false
}
