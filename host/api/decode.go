package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/outpost-soc/outpost/host/store"
)

// MaxBodyBytes caps a request body.
const MaxBodyBytes = 1 << 20

// MaxTake caps a page.
const MaxTake = 500

// decodeJSON decodes the request body into dst strictly: one JSON value, no
// unknown fields, no wrong types, at most MaxBodyBytes. An empty body is
// allowed only when optional is set (actions without parameters).
func decodeJSON(c *gin.Context, dst any, optional bool) error {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	// Config values stay exact: an int field of 2^60 must not pass
	// through a float64.
	dec.UseNumber()
	err := dec.Decode(dst)
	if errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return badRequest("request body is empty: want a JSON object")
	}
	if err != nil {
		return badRequest("%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return badRequest("request body is larger than %d bytes", MaxBodyBytes)
		}
		return badRequest("request body must hold a single JSON value")
	}
	return nil
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends in the middle of a value"
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("request body must be %s, got a JSON %s", jsonType(typ.Type), typ.Value)
		}
		return fmt.Sprintf("field %q must be %s, got a JSON %s", typ.Field, jsonType(typ.Type), typ.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field ") {
		return msg + " in the request body"
	}
	return "malformed JSON: " + msg
}

// jsonType names a Go type the way a client writing JSON thinks of it.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a JSON value"
}

// query reads a route's query parameters, refusing unknown and repeated
// ones.
type query struct {
	c *gin.Context
}

func newQuery(c *gin.Context, allowed ...string) (query, error) {
	return newQueryMulti(c, nil, allowed...)
}

// newQueryMulti is newQuery for a route some of whose parameters are lists
// (multi): those may repeat, and each value may hold several, comma
// separated (status=NEW,OPEN or status=NEW&status=OPEN).
func newQueryMulti(c *gin.Context, multi []string, allowed ...string) (query, error) {
	for name, vals := range c.Request.URL.Query() {
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			if len(allowed) == 0 {
				return query{}, badRequest("unknown query parameter %q: this route takes none", name)
			}
			return query{}, badRequest("unknown query parameter %q: this route takes %s", name, strings.Join(allowed, ", "))
		}
		if len(vals) > 1 && !slices.Contains(multi, name) {
			return query{}, badRequest("query parameter %q is given more than once", name)
		}
	}
	return query{c: c}, nil
}

func (q query) str(name string) string { return q.c.Query(name) }

// list reads a list parameter: every value, split at commas, empty parts
// left out; nil when absent.
func (q query) list(name string) []string {
	var out []string
	for _, v := range q.c.QueryArray(name) {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// pathEscape escapes a value for one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// nonNegative reads an integer parameter, 0 when absent.
func (q query) nonNegative(name string) (int, error) {
	v, ok := q.c.GetQuery(name)
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("query parameter %q must be a non-negative integer, got %q", name, v)
	}
	return n, nil
}

// time reads an RFC 3339 parameter, zero when absent.
func (q query) time(name string) (time.Time, error) {
	v, ok := q.c.GetQuery(name)
	if !ok || v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest("query parameter %q must be an RFC 3339 time like 2024-01-01T12:00:00Z, got %q", name, v)
	}
	return t.UTC(), nil
}

// pageParams are the query parameters of every list.
var pageParams = []string{"skip", "take", "to"}

// page reads skip, take and, unless the route uses "to" for something
// else, to.
func (q query) page(withTo bool) (store.Page, error) {
	skip, err := q.nonNegative("skip")
	if err != nil {
		return store.Page{}, err
	}
	take, err := q.nonNegative("take")
	if err != nil {
		return store.Page{}, err
	}
	if take > MaxTake {
		return store.Page{}, badRequest("query parameter \"take\" must be at most %d, got %d", MaxTake, take)
	}
	p := store.Page{Skip: skip, Take: take}
	if withTo {
		p.ToID = q.str("to")
	}
	return p, nil
}

// listBody is the answer of every list: only the total without take.
type listBody[T any] struct {
	Total int  `json:"total"`
	Items *[]T `json:"items,omitempty"`
}

func list[T any](p store.Page, total int, items []T) listBody[T] {
	if p.Take <= 0 {
		return listBody[T]{Total: total}
	}
	if items == nil {
		items = []T{}
	}
	return listBody[T]{Total: total, Items: &items}
}

// plainPage reads the skip/take/to parameters of a list that takes no
// other query parameter.
func plainPage(c *gin.Context) (store.Page, error) {
	q, err := newQuery(c, pageParams...)
	if err != nil {
		return store.Page{}, err
	}
	return q.page(true)
}
