package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestTest(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 12, Seed: 3})
	base, rec := serve(t, f, nil)
	cfg := f.Config(base)

	t.Run("ok", func(t *testing.T) {
		r, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, "ok", cfg)})
		if err != nil || !r.OK {
			t.Fatalf("Test = %+v, %v", r, err)
		}
		if r.Details["scope:Alerts: Read"] != "ok" || r.Details["alerts"] != "12" {
			t.Errorf("details %v", r.Details)
		}
	})
	t.Run("member cid", func(t *testing.T) {
		r, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, "mssp", with(cfg, "member_cid", f.MemberCID()))})
		if err != nil || !r.OK || r.Details["member_cid"] != f.MemberCID() {
			t.Fatalf("Test = %+v, %v", r, err)
		}
	})

	for _, tc := range []struct {
		name, want string
		cfg        map[string]any
	}{
		{"wrong secret", "Client authentication failed", with(cfg, "client_secret", "not-the-secret-0123456789")},
		{"unknown client", "Client authentication failed", with(cfg, "client_id", "0123456789abcdef0123456789abcdef")},
		{"foreign member cid", "Not Authorized", with(cfg, "member_cid", "ffffffffffffffffffffffffffffffff")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, tc.name, tc.cfg)})
			var ua *sdk.UnauthenticatedError
			if !errors.As(err, &ua) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Test = %v, want *sdk.UnauthenticatedError with Falcon's %q", err, tc.want)
			}
			if strings.Contains(err.Error(), f.ClientSecret()) {
				t.Errorf("error %q carries the secret", err)
			}
		})
	}

	t.Run("no Alerts: Read", func(t *testing.T) {
		g := fake.New(fakevendor.Options{Alerts: 1, Seed: 4})
		g.SetScopes(fake.ScopeAlertsWrite)
		gb, _ := serve(t, g, nil)
		_, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, "noread", g.Config(gb))})
		var pd *sdk.PermissionDeniedError
		if !errors.As(err, &pd) || pd.Permission != "Alerts: Read" {
			t.Fatalf("Test = %v, want *sdk.PermissionDeniedError naming Alerts: Read", err)
		}
	})

	t.Run("one token for many calls", func(t *testing.T) {
		c := testConnector()
		in := integration(t, "reuse", cfg)
		before := rec.count("POST /oauth2/token")
		for range 3 {
			if _, err := c.Test(ctx(t), sdk.TestRequest{Integration: in}); err != nil {
				t.Fatal(err)
			}
		}
		if n := rec.count("POST /oauth2/token") - before; n != 1 {
			t.Errorf("%d token calls for three tests, want 1: the token is cached", n)
		}
	})
}

func TestDescribe(t *testing.T) {
	d, err := New().Describe(ctx(t), sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "crowdstrike" || d.Category != sdk.CategorySecurity {
		t.Errorf("manifest %+v", d)
	}
	if f, ok := d.Schema.Field("client_secret"); !ok || !f.IsSecret() {
		t.Error("client_secret is not a secret")
	}
	if f, _ := d.Schema.Field("base_url"); f.Default != "https://api.crowdstrike.com" {
		t.Errorf("base_url default %v", f.Default)
	}
}

func with(cfg map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}
