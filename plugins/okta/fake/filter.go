package fake

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// A filter is a parsed SCIM filter expression (RFC 7644 §3.4.2.2, without
// the [ ] value paths Okta does not support), evaluated on the JSON form of
// a log event. String comparisons ignore case, as SCIM's are for attributes
// that are not caseExact.
type filter interface {
	match(doc map[string]any) bool
}

type andFilter struct{ l, r filter }
type orFilter struct{ l, r filter }
type notFilter struct{ f filter }
type attrFilter struct {
	path  []string
	op    string
	value any // string, float64, bool or nil
}

func (f andFilter) match(d map[string]any) bool { return f.l.match(d) && f.r.match(d) }
func (f orFilter) match(d map[string]any) bool  { return f.l.match(d) || f.r.match(d) }
func (f notFilter) match(d map[string]any) bool { return !f.f.match(d) }

func (f attrFilter) match(d map[string]any) bool {
	for _, v := range lookup(d, f.path) {
		if compare(v, f.op, f.value) {
			return true
		}
	}
	return false
}

// lookup returns the values at path; an array on the way (target[]) fans
// out, so "target.id eq x" matches when any target has id x.
func lookup(v any, path []string) []any {
	if len(path) == 0 {
		if arr, ok := v.([]any); ok {
			return arr
		}
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if strings.EqualFold(k, path[0]) {
				return lookup(child, path[1:])
			}
		}
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, lookup(e, path)...)
		}
		return out
	}
	return nil
}

func compare(v any, op string, want any) bool {
	if op == "pr" {
		return v != nil && v != ""
	}
	switch w := want.(type) {
	case nil:
		switch op {
		case "eq":
			return v == nil
		case "ne":
			return v != nil
		}
		return false
	case bool:
		b, ok := v.(bool)
		if !ok {
			if s, isStr := v.(string); isStr { // debugData flags are strings
				b, ok = strings.EqualFold(s, strconv.FormatBool(w)), true
				return (op == "eq") == b
			}
		}
		switch op {
		case "eq":
			return ok && b == w
		case "ne":
			return !ok || b != w
		}
		return false
	case float64:
		n, ok := v.(float64)
		if !ok {
			return op == "ne"
		}
		switch op {
		case "eq":
			return n == w
		case "ne":
			return n != w
		case "gt":
			return n > w
		case "ge":
			return n >= w
		case "lt":
			return n < w
		case "le":
			return n <= w
		}
		return false
	case string:
		s, ok := v.(string)
		if !ok {
			return op == "ne"
		}
		s, w = strings.ToLower(s), strings.ToLower(w)
		switch op {
		case "eq":
			return s == w
		case "ne":
			return s != w
		case "co":
			return strings.Contains(s, w)
		case "sw":
			return strings.HasPrefix(s, w)
		case "ew":
			return strings.HasSuffix(s, w)
		case "gt":
			return s > w
		case "ge":
			return s >= w
		case "lt":
			return s < w
		case "le":
			return s <= w
		}
	}
	return false
}

// filterError is a filter the fake cannot parse; Okta answers it with a 400
// E0000053 naming the position.
type filterError struct {
	expr string
	pos  int
	msg  string
}

func (e *filterError) Error() string {
	return fmt.Sprintf("Invalid filter '%s': %s at position %d.", e.expr, e.msg, e.pos)
}

var operators = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
	"gt": true, "ge": true, "lt": true, "le": true, "pr": true}

// parseFilter parses expr. Grammar, loosest first:
//
//	or   := and ("or" and)*
//	and  := not ("and" not)*
//	not  := "not" "(" or ")" | "(" or ")" | attr op value | attr "pr"
func parseFilter(expr string) (filter, error) {
	p := &parser{src: expr}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if tok, pos := p.peek(); tok != "" {
		return nil, &filterError{expr, pos, fmt.Sprintf("Unexpected token '%s'", tok)}
	}
	return f, nil
}

type parser struct {
	src string
	pos int
}

// peek returns the next token and where it starts without consuming it.
func (p *parser) peek() (string, int) {
	i := p.pos
	for i < len(p.src) && p.src[i] == ' ' {
		i++
	}
	if i >= len(p.src) {
		return "", i
	}
	start := i
	switch c := p.src[i]; {
	case c == '(' || c == ')':
		return string(c), start
	case c == '"':
		i++
		for i < len(p.src) && p.src[i] != '"' {
			if p.src[i] == '\\' {
				i++
			}
			i++
		}
		if i < len(p.src) {
			i++
		}
		return p.src[start:i], start
	}
	for i < len(p.src) && p.src[i] != ' ' && p.src[i] != '(' && p.src[i] != ')' {
		i++
	}
	return p.src[start:i], start
}

func (p *parser) next() (string, int) {
	tok, pos := p.peek()
	p.pos = pos + len(tok)
	return tok, pos
}

func (p *parser) or() (filter, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		if tok, _ := p.peek(); !strings.EqualFold(tok, "or") {
			return l, nil
		}
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orFilter{l, r}
	}
}

func (p *parser) and() (filter, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for {
		if tok, _ := p.peek(); !strings.EqualFold(tok, "and") {
			return l, nil
		}
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = andFilter{l, r}
	}
}

func (p *parser) not() (filter, error) {
	tok, pos := p.next()
	switch {
	case tok == "":
		return nil, &filterError{p.src, pos, "Unexpected end of expression"}
	case strings.EqualFold(tok, "not"):
		if t, at := p.next(); t != "(" {
			return nil, &filterError{p.src, at, "Expected '(' after 'not'"}
		}
		f, err := p.group()
		if err != nil {
			return nil, err
		}
		return notFilter{f}, nil
	case tok == "(":
		return p.group()
	}
	attr := tok
	for _, r := range attr {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' {
			return nil, &filterError{p.src, pos, fmt.Sprintf("Unrecognized attribute '%s'", attr)}
		}
	}
	op, opPos := p.next()
	op = strings.ToLower(op)
	if !operators[op] {
		return nil, &filterError{p.src, opPos, fmt.Sprintf("Unrecognized attribute operator '%s'. Expected: eq,co,sw,pr,gt,ge,lt,le", op)}
	}
	f := attrFilter{path: strings.Split(attr, "."), op: op}
	if op == "pr" {
		return f, nil
	}
	val, valPos := p.next()
	switch {
	case strings.HasPrefix(val, `"`):
		s, err := strconv.Unquote(val)
		if err != nil {
			return nil, &filterError{p.src, valPos, "Unterminated string"}
		}
		f.value = s
	case val == "true" || val == "false":
		f.value = val == "true"
	case val == "null":
		f.value = nil
	default:
		n, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, &filterError{p.src, valPos, fmt.Sprintf("Invalid value '%s'", val)}
		}
		f.value = n
	}
	return f, nil
}

// group parses "or )" after an opening parenthesis.
func (p *parser) group() (filter, error) {
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if tok, pos := p.next(); tok != ")" {
		return nil, &filterError{p.src, pos, "Expected ')'"}
	}
	return f, nil
}
