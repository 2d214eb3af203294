package fake

import (
	"fmt"
	"strconv"
	"strings"
)

// The fake reads the part of GraphQL (June 2018 spec) that an analytics
// query uses: one query operation with variable definitions, fields with
// aliases, arguments and selection sets, and values (variables, strings,
// numbers, booleans, null, enums, lists, objects). Fragments and
// directives are refused as a parse error, as a server without them would.

// field is one selected field.
type field struct {
	alias, name string
	args        map[string]any // values resolved against the variables
	sel         []field
}

// key is the name the field has in the answer.
func (f field) key() string {
	if f.alias != "" {
		return f.alias
	}
	return f.name
}

// enum is an enum value such as datetime_ASC.
type enum string

type gqlParser struct {
	src  string
	pos  int
	vars map[string]any
}

// parseQuery parses a query document into the root selection set.
func parseQuery(src string, vars map[string]any) ([]field, error) {
	p := &gqlParser{src: src, vars: vars}
	p.skip()
	if p.word() == "query" {
		p.ident()
		p.skip()
		if p.peek() != '{' && p.peek() != '(' {
			p.ident() // the operation name
		}
		p.skip()
		if p.peek() == '(' {
			if err := p.varDefs(); err != nil {
				return nil, err
			}
		}
	} else if w := p.word(); w != "" {
		return nil, p.errorf("unsupported operation %q", w)
	}
	sel, err := p.selection()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.pos < len(p.src) {
		return nil, p.errorf("unexpected %q after the query", p.src[p.pos:min(p.pos+10, len(p.src))])
	}
	return sel, nil
}

func (p *gqlParser) errorf(format string, args ...any) error {
	return fmt.Errorf("error parsing args: %s at offset %d", fmt.Sprintf(format, args...), p.pos)
}

// skip passes white space, commas and comments.
func (p *gqlParser) skip() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *gqlParser) peek() byte {
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// word returns the name at the position without consuming it.
func (p *gqlParser) word() string {
	i := p.pos
	for i < len(p.src) && isNameByte(p.src[i], i == p.pos) {
		i++
	}
	return p.src[p.pos:i]
}

func (p *gqlParser) ident() string {
	w := p.word()
	p.pos += len(w)
	return w
}

func (p *gqlParser) expect(c byte) error {
	p.skip()
	if p.peek() != c {
		return p.errorf("expected %q", c)
	}
	p.pos++
	return nil
}

// varDefs reads ($name: Type = default, ...); a default fills an absent
// variable.
func (p *gqlParser) varDefs() error {
	p.pos++ // (
	for {
		p.skip()
		if p.peek() == ')' {
			p.pos++
			return nil
		}
		if err := p.expect('$'); err != nil {
			return err
		}
		name := p.ident()
		if err := p.expect(':'); err != nil {
			return err
		}
		p.skip()
		for p.pos < len(p.src) && (isNameByte(p.peek(), false) || strings.IndexByte("[]!", p.peek()) >= 0) {
			p.pos++
		}
		p.skip()
		if p.peek() == '=' {
			p.pos++
			v, err := p.value()
			if err != nil {
				return err
			}
			if _, ok := p.vars[name]; !ok {
				if p.vars == nil {
					p.vars = map[string]any{}
				}
				p.vars[name] = v
			}
		}
	}
}

func (p *gqlParser) selection() ([]field, error) {
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	var out []field
	for {
		p.skip()
		switch p.peek() {
		case '}':
			p.pos++
			if len(out) == 0 {
				return nil, p.errorf("empty selection")
			}
			return out, nil
		case 0:
			return nil, p.errorf("unterminated selection")
		case '.', '@':
			return nil, p.errorf("fragments and directives are not supported")
		}
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
}

func (p *gqlParser) field() (field, error) {
	name := p.ident()
	if name == "" {
		return field{}, p.errorf("expected a field name")
	}
	f := field{name: name}
	p.skip()
	if p.peek() == ':' {
		p.pos++
		p.skip()
		f.alias, f.name = name, p.ident()
		if f.name == "" {
			return field{}, p.errorf("expected a field name after alias %q", name)
		}
		p.skip()
	}
	if p.peek() == '(' {
		p.pos++
		f.args = map[string]any{}
		for {
			p.skip()
			if p.peek() == ')' {
				p.pos++
				break
			}
			arg := p.ident()
			if arg == "" {
				return field{}, p.errorf("expected an argument name")
			}
			if err := p.expect(':'); err != nil {
				return field{}, err
			}
			v, err := p.value()
			if err != nil {
				return field{}, err
			}
			f.args[arg] = v
		}
		p.skip()
	}
	if p.peek() == '{' {
		sel, err := p.selection()
		if err != nil {
			return field{}, err
		}
		f.sel = sel
	}
	return f, nil
}

// value reads a value literal, resolving variables.
func (p *gqlParser) value() (any, error) {
	p.skip()
	switch c := p.peek(); {
	case c == '$':
		p.pos++
		name := p.ident()
		v, ok := p.vars[name]
		if !ok {
			return nil, nil // an absent variable is null
		}
		return v, nil
	case c == '"':
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && p.src[p.pos] != '"' {
			if p.src[p.pos] == '\\' {
				p.pos++
			}
			p.pos++
		}
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated string")
		}
		p.pos++
		s, err := strconv.Unquote(p.src[start:p.pos])
		if err != nil {
			return nil, p.errorf("bad string %s", p.src[start:p.pos])
		}
		return s, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[p.pos]) >= 0 {
			p.pos++
		}
		n, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return nil, p.errorf("bad number %s", p.src[start:p.pos])
		}
		return n, nil
	case c == '[':
		p.pos++
		list := []any{}
		for {
			p.skip()
			if p.peek() == ']' {
				p.pos++
				return list, nil
			}
			if p.peek() == 0 {
				return nil, p.errorf("unterminated list")
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case c == '{':
		p.pos++
		obj := map[string]any{}
		for {
			p.skip()
			if p.peek() == '}' {
				p.pos++
				return obj, nil
			}
			k := p.ident()
			if k == "" {
				return nil, p.errorf("expected an object field name")
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			obj[k] = v
		}
	case isNameByte(c, true):
		switch w := p.ident(); w {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		default:
			return enum(w), nil
		}
	}
	return nil, p.errorf("expected a value")
}
