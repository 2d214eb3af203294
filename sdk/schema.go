package sdk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
)

// FieldType is the type of one config field.
type FieldType string

// The field types of the API.
const (
	FieldString FieldType = "string"
	FieldInt    FieldType = "int"
	FieldBool   FieldType = "bool"
	// FieldURL holds a root (scheme://host[:port], optionally a path prefix)
	// to which the plugin appends the vendor's paths.
	FieldURL    FieldType = "url"
	FieldEnum   FieldType = "enum"
	FieldSecret FieldType = "secret"
)

// Field describes one integration config field.
type Field struct {
	Name     string    `json:"name"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	// Secret is implied by Type FieldSecret and may be set on any string
	// field whose value must be sealed and never shown back.
	Secret  bool     `json:"secret"`
	Default any      `json:"default"`
	Help    string   `json:"help"`
	Enum    []string `json:"enum"`
}

// Schema is the config an integration of a plugin takes.
type Schema struct {
	Fields []Field `json:"fields"`
}

// IsSecret reports whether f's value is sealed and masked.
func (f Field) IsSecret() bool { return f.Secret || f.Type == FieldSecret }

// Field returns the field named name.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Check reports whether the schema itself is well formed: names unique and
// snake_case, types known, enums with values, defaults of the field's type.
func (s Schema) Check() error {
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if f.Name == "" || strings.ToLower(f.Name) != f.Name || strings.ContainsAny(f.Name, " -.") {
			return fmt.Errorf("field name %q is not snake_case", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("field %q is declared twice", f.Name)
		}
		seen[f.Name] = true
		switch f.Type {
		case FieldString, FieldInt, FieldBool, FieldURL, FieldSecret:
			if len(f.Enum) > 0 {
				return fmt.Errorf("field %q: enum values on a %s field", f.Name, f.Type)
			}
		case FieldEnum:
			if len(f.Enum) == 0 {
				return fmt.Errorf("field %q: enum field without values", f.Name)
			}
		default:
			return fmt.Errorf("field %q: unknown type %q", f.Name, f.Type)
		}
		if f.Default != nil {
			if _, err := coerce(f, f.Default); err != nil {
				return fmt.Errorf("field %q: default: %w", f.Name, err)
			}
		}
	}
	return nil
}

// Validate checks a config against the schema and returns it normalised:
// defaults filled in, ints as int64. Unknown, missing and ill-typed fields are
// an *InvalidConfigError naming the field.
func (s Schema) Validate(cfg map[string]any) (Config, error) {
	out := Config{}
	for name := range cfg {
		if _, ok := s.Field(name); !ok {
			return nil, InvalidConfig(name, "unknown field %q", name)
		}
	}
	for _, f := range s.Fields {
		v, ok := cfg[f.Name]
		if !ok || v == nil || v == "" {
			if f.Default != nil {
				d, _ := coerce(f, f.Default)
				out[f.Name] = d
				continue
			}
			if f.Required {
				return nil, InvalidConfig(f.Name, "field %q is required", f.Name)
			}
			continue
		}
		c, err := coerce(f, v)
		if err != nil {
			return nil, InvalidConfig(f.Name, "field %q: %v", f.Name, err)
		}
		out[f.Name] = c
	}
	return out, nil
}

func coerce(f Field, v any) (any, error) {
	switch f.Type {
	case FieldString, FieldSecret:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", jsonKind(v))
		}
		return s, nil
	case FieldURL:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a URL string, got %s", jsonKind(v))
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("want an http(s) URL like https://host[:port][/prefix], got %q", s)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("URL %q must not carry a query, fragment or user info", s)
		}
		return strings.TrimRight(s, "/"), nil
	case FieldBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", jsonKind(v))
		}
		return b, nil
	case FieldInt:
		switch n := v.(type) {
		case int:
			return int64(n), nil
		case int64:
			return n, nil
		case float64:
			if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
				return nil, fmt.Errorf("want an integer, got %v", n)
			}
			return int64(n), nil
		case json.Number:
			i, err := n.Int64()
			if err != nil {
				return nil, fmt.Errorf("want an integer, got %s", n)
			}
			return i, nil
		}
		return nil, fmt.Errorf("want an integer, got %s", jsonKind(v))
	case FieldEnum:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want one of %s, got %s", strings.Join(f.Enum, ", "), jsonKind(v))
		}
		for _, e := range f.Enum {
			if e == s {
				return s, nil
			}
		}
		return nil, fmt.Errorf("want one of %s, got %q", strings.Join(f.Enum, ", "), s)
	}
	return nil, fmt.Errorf("unknown field type %q", f.Type)
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64, json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// Config is an integration's validated config. Its accessors return the zero
// value for a field that is absent.
type Config map[string]any

// String returns a string, url, enum or secret field.
func (c Config) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Int returns an int field.
func (c Config) Int(name string) int64 {
	switch n := c[name].(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

// Bool returns a bool field.
func (c Config) Bool(name string) bool {
	b, _ := c[name].(bool)
	return b
}

// Hash is a stable digest of the config, secrets included; the client cache
// keys on it so a rotated credential gets a fresh client.
func (c Config) Hash() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		b, _ := json.Marshal(c[k])
		fmt.Fprintf(h, "%s=%s\n", k, b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
