package fake

import (
	"cmp"
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// row is one search result: every value a string or a []string.
type row map[string]any

// values returns a field's values, nil when it is absent.
func (r row) values(field string) []string {
	switch v := r[field].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	}
	return nil
}

func (r row) first(field string) (string, bool) {
	vs := r.values(field)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// query is a parsed search: where its rows come from and what is done to
// them.
type query struct {
	// lookup is the lookup an inputlookup reads ("" for an index search).
	lookup string
	// Index search terms.
	index                    string
	earliest, latest         *time.Time // from the search string; override the job's
	indexEarliest, indexLast *time.Time
	terms                    []term
	commands                 []func([]row) []row
}

// term is one field comparison or bare word of a search command.
type term struct {
	negate      bool
	field, op   string // op "" for a bare word matched against _raw
	value       string
	pattern     *regexp.Regexp
	numeric     bool
	numberValue float64
}

// errSearch is a search splunkd refuses to parse.
type errSearch struct{ msg string }

func (e errSearch) Error() string { return e.msg }

func searchErrorf(format string, args ...any) error {
	return errSearch{fmt.Sprintf(format, args...)}
}

// parseQuery parses the SPL subset of the package doc. now resolves
// relative times.
func parseQuery(spl string, now time.Time) (*query, error) {
	spl = strings.TrimSpace(spl)
	parts, err := splitPipes(spl)
	if err != nil {
		return nil, err
	}
	q := &query{}
	if strings.HasPrefix(spl, "|") {
		// "| inputlookup ...": the first part is empty.
		parts = parts[1:]
		if len(parts) == 0 {
			return nil, searchErrorf("Error in 'SearchParser': Missing a search command before '|'.")
		}
		name, args := command(parts[0])
		if name != "inputlookup" {
			return nil, searchErrorf("Error in 'SearchParser': The search command '%s' must be used after a generating command.", name)
		}
		if err := q.parseInputlookup(args); err != nil {
			return nil, err
		}
	} else {
		name, args := command(parts[0])
		if name != "search" {
			return nil, searchErrorf("Unknown search command '%s'.", name)
		}
		if err := q.parseSearch(args, now); err != nil {
			return nil, err
		}
	}
	for _, p := range parts[1:] {
		name, args := command(p)
		var c func([]row) []row
		switch name {
		case "search":
			sub := &query{}
			if err := sub.parseSearch(args, now); err != nil {
				return nil, err
			}
			if sub.index != "" || sub.earliest != nil || sub.latest != nil || sub.indexEarliest != nil || sub.indexLast != nil {
				return nil, searchErrorf("Error in 'search' command: time and index terms belong to the first search")
			}
			c = func(rows []row) []row { return slices.DeleteFunc(rows, func(r row) bool { return !sub.match(r) }) }
		case "where":
			e, err := parseExpr(args)
			if err != nil {
				return nil, err
			}
			c = func(rows []row) []row { return slices.DeleteFunc(rows, func(r row) bool { return !e.truth(r) }) }
		case "sort":
			c, err = parseSort(args)
		case "head":
			c, err = parseHead(args)
		case "fields":
			c, err = parseFields(args)
		case "table":
			c, err = parseTable(args)
		case "":
			return nil, searchErrorf("Error in 'SearchParser': Missing a search command before '|'.")
		default:
			return nil, searchErrorf("Unknown search command '%s'.", name)
		}
		if err != nil {
			return nil, err
		}
		q.commands = append(q.commands, c)
	}
	return q, nil
}

// splitPipes cuts a pipeline at the pipes outside quotes.
func splitPipes(s string) ([]string, error) {
	var (
		parts []string
		cur   strings.Builder
		quote bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quote && i+1 < len(s):
			cur.WriteByte(c)
			i++
			cur.WriteByte(s[i])
			continue
		case c == '"':
			quote = !quote
		case c == '|' && !quote:
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if quote {
		return nil, searchErrorf("Error in 'SearchParser': Missing a closing quotation mark.")
	}
	return append(parts, strings.TrimSpace(cur.String())), nil
}

func command(part string) (name, args string) {
	name, args, _ = strings.Cut(strings.TrimSpace(part), " ")
	return strings.ToLower(name), strings.TrimSpace(args)
}

// words splits search terms at spaces outside quotes, keeping the quotes.
func words(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote bool
	)
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quote && i+1 < len(s):
			cur.WriteByte(c)
			i++
			cur.WriteByte(s[i])
		case c == '"':
			quote = !quote
			cur.WriteByte(c)
		case (c == ' ' || c == '\t' || c == '\n') && !quote:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
	}
	return s
}

var termRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.:]*)(!=|<=|>=|=|<|>)(.*)$`)

func (q *query) parseSearch(args string, now time.Time) error {
	negate := false
	for _, w := range words(args) {
		if w == "NOT" {
			negate = !negate
			continue
		}
		if w == "AND" {
			continue
		}
		m := termRE.FindStringSubmatch(w)
		if m == nil {
			q.terms = append(q.terms, term{negate: negate, value: strings.ToLower(unquote(w))})
			negate = false
			continue
		}
		field, op, value := m[1], m[2], unquote(m[3])
		switch lf := strings.ToLower(field); lf {
		case "index":
			if op != "=" || negate {
				return searchErrorf("Error in 'search' command: index takes index=<name>")
			}
			q.index = value
			continue
		case "earliest", "latest", "_index_earliest", "_index_latest":
			if op != "=" || negate {
				return searchErrorf("Error in 'search' command: %s takes %s=<time>", lf, lf)
			}
			t, err := parseTime(value, now)
			if err != nil {
				return searchErrorf("Invalid value \"%s\" for time term '%s'", value, lf)
			}
			switch lf {
			case "earliest":
				q.earliest = &t
			case "latest":
				q.latest = &t
			case "_index_earliest":
				q.indexEarliest = &t
			default:
				q.indexLast = &t
			}
			continue
		}
		t := term{negate: negate, field: field, op: op, value: value}
		if n, err := strconv.ParseFloat(value, 64); err == nil {
			t.numeric, t.numberValue = true, n
		}
		if op == "=" || op == "!=" {
			t.pattern = glob(value)
		} else if !t.numeric {
			return searchErrorf("Error in 'search' command: %s%s needs a number", field, op)
		}
		q.terms = append(q.terms, t)
		negate = false
	}
	return nil
}

func glob(v string) *regexp.Regexp {
	parts := strings.Split(v, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?is)^` + strings.Join(parts, ".*") + `$`)
}

func (q *query) match(r row) bool {
	for _, t := range q.terms {
		if t.eval(r) == t.negate {
			return false
		}
	}
	return true
}

func (t term) eval(r row) bool {
	if t.op == "" {
		raw, _ := r.first("_raw")
		return strings.Contains(strings.ToLower(raw), t.value)
	}
	vs := r.values(t.field)
	if t.op == "!=" {
		if len(vs) == 0 {
			return false
		}
		for _, v := range vs {
			if t.pattern.MatchString(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vs {
		if t.op == "=" {
			if t.pattern.MatchString(v) {
				return true
			}
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		if compareOp(t.op, cmp.Compare(n, t.numberValue)) {
			return true
		}
	}
	return false
}

func compareOp(op string, c int) bool {
	switch op {
	case "=", "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func (q *query) parseInputlookup(args string) error {
	name, rest, _ := strings.Cut(args, " ")
	if name != "incident_review_lookup" {
		return searchErrorf("Error in 'inputlookup' command: The lookup table '%s' requires a .csv or KV store lookup definition.", name)
	}
	q.lookup = name
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return nil
	}
	kw, cond, _ := strings.Cut(rest, " ")
	if kw != "where" {
		return searchErrorf("Error in 'inputlookup' command: Invalid argument: '%s'", kw)
	}
	e, err := parseExpr(cond)
	if err != nil {
		return err
	}
	q.commands = append(q.commands, func(rows []row) []row {
		return slices.DeleteFunc(rows, func(r row) bool { return !e.truth(r) })
	})
	return nil
}

// parseTime reads a Splunk time: epoch seconds, ISO 8601, "now", or -N
// units relative to now.
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(n, 0) && !math.IsNaN(n) {
		sec, frac := math.Modf(n)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
	}
	if m := relRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[3]]
		d := time.Duration(n) * unit
		if m[1] == "-" {
			d = -d
		}
		return now.Add(d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05", "2006-01-02T15:04:05.000"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unparsable time %q", s)
}

var relRE = regexp.MustCompile(`^([-+])(\d+)(s|m|h|d)$`)

// expr is a where clause.
type expr interface {
	truth(row) bool
}

type (
	orExpr  struct{ l, r expr }
	andExpr struct{ l, r expr }
	notExpr struct{ e expr }
	cmpExpr struct {
		op   string
		l, r operand
	}
)

type operand struct {
	field string
	lit   string
	isLit bool
}

func (e orExpr) truth(r row) bool  { return e.l.truth(r) || e.r.truth(r) }
func (e andExpr) truth(r row) bool { return e.l.truth(r) && e.r.truth(r) }
func (e notExpr) truth(r row) bool { return !e.e.truth(r) }

func (o operand) value(r row) (string, bool) {
	if o.isLit {
		return o.lit, true
	}
	return r.first(o.field)
}

func (e cmpExpr) truth(r row) bool {
	a, ok1 := e.l.value(r)
	b, ok2 := e.r.value(r)
	if !ok1 || !ok2 {
		return false
	}
	return compareOp(e.op, compareValues(a, b))
}

// compareValues compares numerically when both sides are numbers, as
// Splunk's eval does, and as strings otherwise.
func compareValues(a, b string) int {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

type token struct {
	kind string // "(" ")" "op" "str" "word" "AND" "OR" "NOT"
	text string
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == ',':
			i++
		case c == '(' || c == ')':
			out = append(out, token{kind: string(c)})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, searchErrorf("Error in 'where' command: missing a closing quotation mark")
			}
			out = append(out, token{kind: "str", text: b.String()})
			i = j + 1
		case strings.IndexByte("=!<>", c) >= 0:
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, searchErrorf("Error in 'where' command: unexpected '!'")
			}
			out = append(out, token{kind: "op", text: op})
			i = j
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\n,()=!<>\"", s[j]) < 0 {
				j++
			}
			w := s[i:j]
			switch w {
			case "AND", "OR", "NOT":
				out = append(out, token{kind: w})
			default:
				out = append(out, token{kind: "word", text: w})
			}
			i = j
		}
	}
	return out, nil
}

type exprParser struct {
	toks []token
	pos  int
}

func parseExpr(s string) (expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, searchErrorf("Error in 'where' command: The expression is malformed.")
	}
	return e, nil
}

func (p *exprParser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *exprParser) or() (expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "OR" {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *exprParser) and() (expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for {
		switch p.peek().kind {
		case "AND":
			p.pos++
		case "word", "str", "(", "NOT": // juxtaposition is AND
		default:
			return l, nil
		}
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

func (p *exprParser) not() (expr, error) {
	switch p.peek().kind {
	case "NOT":
		p.pos++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	case "(":
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != ")" {
			return nil, searchErrorf("Error in 'where' command: The expression is malformed. Expected ).")
		}
		p.pos++
		return e, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op.kind != "op" {
		return nil, searchErrorf("Error in 'where' command: The expression is malformed. An unexpected character is reached at '%s'.", op.text)
	}
	p.pos++
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	return cmpExpr{op: op.text, l: l, r: r}, nil
}

func (p *exprParser) operand() (operand, error) {
	t := p.peek()
	p.pos++
	switch t.kind {
	case "str":
		return operand{lit: t.text, isLit: true}, nil
	case "word":
		if _, err := strconv.ParseFloat(t.text, 64); err == nil {
			return operand{lit: t.text, isLit: true}, nil
		}
		return operand{field: t.text}, nil
	}
	return operand{}, searchErrorf("Error in 'where' command: The expression is malformed. Expected an operand.")
}

// sortKey is one field of a sort command.
type sortKey struct {
	field string
	desc  bool
	mode  string // "auto", "num", "str"
}

func parseSort(args string) (func([]row) []row, error) {
	limit := 10000 // splunk's default when no count is given
	fs := strings.FieldsFunc(args, func(r rune) bool { return r == ' ' || r == ',' })
	if len(fs) > 0 {
		if n, err := strconv.Atoi(fs[0]); err == nil {
			limit, fs = n, fs[1:]
		} else if l, ok := strings.CutPrefix(fs[0], "limit="); ok {
			n, err := strconv.Atoi(l)
			if err != nil {
				return nil, searchErrorf("Error in 'sort' command: Invalid limit '%s'", l)
			}
			limit, fs = n, fs[1:]
		}
	}
	if len(fs) == 0 {
		return nil, searchErrorf("Error in 'sort' command: You must specify at least one field to sort by.")
	}
	var keys []sortKey
	for _, f := range fs {
		k := sortKey{mode: "auto"}
		if f[0] == '-' || f[0] == '+' {
			k.desc, f = f[0] == '-', f[1:]
		}
		for _, m := range []string{"num", "str", "auto"} {
			if inner, ok := strings.CutPrefix(f, m+"("); ok && strings.HasSuffix(inner, ")") {
				k.mode, f = m, strings.TrimSuffix(inner, ")")
			}
		}
		if f == "" {
			return nil, searchErrorf("Error in 'sort' command: empty field name")
		}
		k.field = f
		keys = append(keys, k)
	}
	return func(rows []row) []row {
		slices.SortStableFunc(rows, func(a, b row) int {
			for _, k := range keys {
				x, _ := a.first(k.field)
				y, _ := b.first(k.field)
				var c int
				switch k.mode {
				case "str":
					c = strings.Compare(x, y)
				case "num":
					xf, _ := strconv.ParseFloat(x, 64)
					yf, _ := strconv.ParseFloat(y, 64)
					c = cmp.Compare(xf, yf)
				default:
					c = compareValues(x, y)
				}
				if k.desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
		if limit > 0 && len(rows) > limit {
			rows = rows[:limit]
		}
		return rows
	}, nil
}

func parseHead(args string) (func([]row) []row, error) {
	n := 10
	if args != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(args, "limit="))
		if err != nil || v < 0 {
			return nil, searchErrorf("Error in 'head' command: The argument must be a positive number.")
		}
		n = v
	}
	return func(rows []row) []row {
		if len(rows) > n {
			rows = rows[:n]
		}
		return rows
	}, nil
}

func fieldList(args string) []string {
	return strings.FieldsFunc(args, func(r rune) bool { return r == ' ' || r == ',' })
}

func parseFields(args string) (func([]row) []row, error) {
	fs := fieldList(args)
	remove := false
	if len(fs) > 0 && (fs[0] == "-" || fs[0] == "+") {
		remove, fs = fs[0] == "-", fs[1:]
	}
	if len(fs) == 0 {
		return nil, searchErrorf("Error in 'fields' command: Invalid argument")
	}
	return func(rows []row) []row {
		for i, r := range rows {
			out := row{}
			for k, v := range r {
				keep := slices.ContainsFunc(fs, func(p string) bool { ok, _ := path.Match(p, k); return ok })
				// Internal fields stay unless removed by name, as in Splunk.
				if keep != remove || (!remove && strings.HasPrefix(k, "_") && k != "_raw") {
					out[k] = v
				}
			}
			rows[i] = out
		}
		return rows
	}, nil
}

func parseTable(args string) (func([]row) []row, error) {
	fs := fieldList(args)
	if len(fs) == 0 {
		return nil, searchErrorf("Error in 'table' command: Invalid argument")
	}
	return func(rows []row) []row {
		for i, r := range rows {
			out := row{}
			for _, f := range fs {
				if v, ok := r[f]; ok {
					out[f] = v
				}
			}
			rows[i] = out
		}
		return rows
	}, nil
}
