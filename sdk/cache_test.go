package sdk

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

type closer struct{ closed atomic.Bool }

func (c *closer) Close() error { c.closed.Store(true); return nil }

func TestClientCacheKeysOnIntegrationAndConfig(t *testing.T) {
	built := 0
	cache := &ClientCache[*closer]{New: func(_ context.Context, in Integration) (*closer, error) {
		built++
		if in.Config.String("token") == "bad" {
			return nil, errors.New("refused")
		}
		return &closer{}, nil
	}}
	ctx := context.Background()
	a := Integration{ID: "a", Config: Config{"token": "t1"}}
	c1, _ := cache.Get(ctx, a)
	c2, _ := cache.Get(ctx, a)
	if c1 != c2 || built != 1 {
		t.Fatalf("same integration and config built %d clients", built)
	}
	other, _ := cache.Get(ctx, Integration{ID: "b", Config: Config{"token": "t1"}})
	if other == c1 || built != 2 {
		t.Fatal("two integrations share a client")
	}
	rotated, _ := cache.Get(ctx, Integration{ID: "a", Config: Config{"token": "t2"}})
	if rotated == c1 || !c1.closed.Load() {
		t.Fatal("a rotated secret must build a new client and close the old one")
	}
	if _, err := cache.Get(ctx, Integration{ID: "a", Config: Config{"token": "bad"}}); err == nil {
		t.Fatal("New's error not returned")
	}
	if again, _ := cache.Get(ctx, Integration{ID: "a", Config: Config{"token": "t2"}}); again != rotated {
		t.Fatal("a failed build must not evict the working client")
	}
	if cache.Len() != 2 {
		t.Fatalf("Len = %d, want 2", cache.Len())
	}
}

func TestSchemaValidate(t *testing.T) {
	s := Schema{Fields: []Field{
		{Name: "url", Type: FieldURL, Required: true},
		{Name: "api_key", Type: FieldSecret, Required: true},
		{Name: "limit", Type: FieldInt, Default: 100},
		{Name: "verify_tls", Type: FieldBool, Default: true},
		{Name: "mode", Type: FieldEnum, Enum: []string{"a", "b"}},
	}}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	ok := map[string]any{"url": "https://vendor.example/api/", "api_key": "k", "limit": float64(5)}
	cfg, err := s.Validate(ok)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.String("url") != "https://vendor.example/api" || cfg.Int("limit") != 5 || !cfg.Bool("verify_tls") {
		t.Fatalf("normalised config: %v", cfg)
	}
	for name, tc := range map[string]struct {
		cfg   map[string]any
		field string
	}{
		"unknown field":   {map[string]any{"url": "https://x", "api_key": "k", "nope": 1}, "nope"},
		"missing":         {map[string]any{"url": "https://x"}, "api_key"},
		"secret not text": {map[string]any{"url": "https://x", "api_key": 12}, "api_key"},
		"bad url":         {map[string]any{"url": "ftp://x", "api_key": "k"}, "url"},
		"fractional int":  {map[string]any{"url": "https://x", "api_key": "k", "limit": 1.5}, "limit"},
		"enum":            {map[string]any{"url": "https://x", "api_key": "k", "mode": "c"}, "mode"},
		"bool as string":  {map[string]any{"url": "https://x", "api_key": "k", "verify_tls": "yes"}, "verify_tls"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Validate(tc.cfg)
			var ic *InvalidConfigError
			if !errors.As(err, &ic) || ic.Field != tc.field {
				t.Fatalf("err = %v, want an invalid config error on %q", err, tc.field)
			}
		})
	}
	if err := (Schema{Fields: []Field{{Name: "Bad Name", Type: FieldString}}}).Check(); err == nil {
		t.Fatal("a field name that is not snake_case passed Check")
	}
}
