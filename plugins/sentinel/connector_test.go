package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestTest(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 3, Seed: 21})
	readerID, readerSecret := e.fake.ReaderCredentials()
	noneID, noneSecret := e.fake.NoAccessCredentials()
	for _, tc := range []struct {
		name  string
		over  map[string]any
		check func(t *testing.T, r *sdk.TestResponse, err error)
	}{
		{"ok", nil, func(t *testing.T, r *sdk.TestResponse, err error) {
			if err != nil || !r.OK || r.Details["permission:"+permRead] != "ok" {
				t.Fatalf("Test: %+v, %v", r, err)
			}
		}},
		{"reader is enough to poll", map[string]any{"client_id": readerID, "client_secret": readerSecret},
			func(t *testing.T, r *sdk.TestResponse, err error) {
				if err != nil || !r.OK {
					t.Fatalf("Test: %+v, %v", r, err)
				}
			}},
		{"wrong secret", map[string]any{"client_secret": "not-the-secret-value-0123"}, unauthenticated("AADSTS7000215")},
		{"unknown application", map[string]any{"client_id": "00000000-0000-4000-8000-000000000000"}, unauthenticated("AADSTS700016")},
		{"unknown tenant", map[string]any{"tenant_id": "00000000-0000-4000-8000-000000000001"}, unauthenticated("AADSTS90002")},
		{"no role on the workspace", map[string]any{"client_id": noneID, "client_secret": noneSecret},
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var pd *sdk.PermissionDeniedError
				if !errors.As(err, &pd) || pd.Permission != permRead {
					t.Fatalf("Test: %v, want permission denied naming %s", err, permRead)
				}
			}},
		{"wrong workspace", map[string]any{"workspace_name": "law-other"}, invalid("workspace_name")},
		{"wrong resource group", map[string]any{"resource_group": "rg-other"}, invalid("resource_group")},
		{"wrong subscription", map[string]any{"subscription_id": "11111111-2222-4333-8444-555555555555"}, invalid("subscription_id")},
		{"slash in a name", map[string]any{"workspace_name": "law/../x"}, invalid("workspace_name")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := integration(e.fake, e.base, tc.over)
			r, err := e.conn.Test(ctx(t), sdk.TestRequest{Integration: in})
			tc.check(t, r, err)
			if err != nil && strings.Contains(err.Error(), in.Config.String("client_secret")) {
				t.Fatal("the error carries the client secret")
			}
		})
	}
}

func unauthenticated(code string) func(t *testing.T, r *sdk.TestResponse, err error) {
	return func(t *testing.T, r *sdk.TestResponse, err error) {
		var ua *sdk.UnauthenticatedError
		if !errors.As(err, &ua) || !strings.Contains(ua.Message, code) {
			t.Fatalf("Test: %v, want unauthenticated with Azure AD's %s", err, code)
		}
	}
}

func invalid(field string) func(t *testing.T, r *sdk.TestResponse, err error) {
	return func(t *testing.T, r *sdk.TestResponse, err error) {
		var ic *sdk.InvalidConfigError
		if !errors.As(err, &ic) || ic.Field != field {
			t.Fatalf("Test: %v, want an invalid config naming %s", err, field)
		}
	}
}

func TestSchemaAndManifest(t *testing.T) {
	d, err := New().Describe(context.Background(), sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Schema.Check(); err != nil {
		t.Fatal(err)
	}
	if f, _ := d.Schema.Field("client_secret"); !f.IsSecret() {
		t.Fatal("client_secret is not secret")
	}
	cfg, err := d.Schema.Validate(map[string]any{
		"tenant_id": "t", "client_id": "c", "client_secret": "s", "subscription_id": "s", "resource_group": "r", "workspace_name": "w",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.String("login_url") != "https://login.microsoftonline.com" || cfg.String("management_url") != "https://management.azure.com" || !cfg.Bool("fetch_entities") {
		t.Fatalf("defaults: %v", cfg)
	}
	if d.Category != sdk.CategoryCloud || d.Name != "sentinel" {
		t.Fatalf("manifest %+v", d)
	}
}

func TestScopeFollowsTheCloud(t *testing.T) {
	for mgmt, want := range map[string]string{
		"https://management.azure.com":              "https://management.azure.com/.default",
		"https://management.usgovcloudapi.net":      "https://management.usgovcloudapi.net/.default",
		"https://MANAGEMENT.chinacloudapi.cn":       "https://management.chinacloudapi.cn/.default",
		"http://127.0.0.1:9900/sentinel/management": "https://management.azure.com/.default",
	} {
		if got := scopeFor(mgmt); got != want {
			t.Errorf("scopeFor(%s) = %s, want %s", mgmt, got, want)
		}
	}
}
