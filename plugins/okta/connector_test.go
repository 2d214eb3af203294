package main

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/okta/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestConformance(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 300, Rate: 1, Seed: 1})
	conformance.Run(t, conformance.Options{Vendor: f})
}

func TestDescribeClaimsNoMirror(t *testing.T) {
	c := New()
	d, err := c.Describe(context.Background(), sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "okta" || d.Category != sdk.CategoryAuthentication {
		t.Fatalf("manifest %+v", d)
	}
	if err := d.Schema.Check(); err != nil {
		t.Fatal(err)
	}
	want := []sdk.Capability{sdk.CapabilityPoll, sdk.CapabilityLostFound, sdk.CapabilityFallback}
	if got := sdk.Capabilities(c); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("capabilities %v, want %v: the System Log is read only", got, want)
	}
}

func TestHealthCheck(t *testing.T) {
	tests := []struct {
		name   string
		config func(f *fake.Fake) map[string]any
		check  func(t *testing.T, r *sdk.TestResponse, err error)
	}{
		{"ok", func(*fake.Fake) map[string]any { return nil }, func(t *testing.T, r *sdk.TestResponse, err error) {
			if err != nil || !r.OK || r.Details["permission:okta.logs.read"] != "ok" {
				t.Fatalf("got (%+v, %v)", r, err)
			}
		}},
		{"wrong token", func(*fake.Fake) map[string]any { return map[string]any{"api_token": "00wrongwrongwrongwrongwrong"} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var ua *sdk.UnauthenticatedError
				if !errors.As(err, &ua) || !strings.Contains(ua.Message, "Invalid token provided") {
					t.Fatalf("got (%+v, %v), want Okta's E0000011 as *sdk.UnauthenticatedError", r, err)
				}
				if strings.Contains(err.Error(), "00wrongwrong") {
					t.Fatal("the token leaked into the error")
				}
			}},
		{"no permission", func(f *fake.Fake) map[string]any { return map[string]any{"api_token": f.NoLogsToken()} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var pd *sdk.PermissionDeniedError
				if !errors.As(err, &pd) || pd.Permission != "okta.logs.read" || !strings.Contains(pd.Message, "do not have permission") {
					t.Fatalf("got (%+v, %v), want *sdk.PermissionDeniedError naming okta.logs.read", r, err)
				}
			}},
		{"bad filter", func(*fake.Fake) map[string]any { return map[string]any{"filter": `eventType eqq "x"`} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var ic *sdk.InvalidConfigError
				if !errors.As(err, &ic) || ic.Field != "filter" || !strings.Contains(ic.Message, "eqq") {
					t.Fatalf("got (%+v, %v), want *sdk.InvalidConfigError for filter", r, err)
				}
			}},
		{"good filter", func(*fake.Fake) map[string]any { return map[string]any{"filter": `eventType sw "security"`} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				if err != nil || r.Details["filter"] != "accepted" {
					t.Fatalf("got (%+v, %v)", r, err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, fakevendor.Options{Alerts: 3, Seed: 2}, nil)
			for k, v := range tc.config(e.fake) {
				e.in.Config[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r, err := e.conn.Test(ctx, sdk.TestRequest{Integration: e.in})
			tc.check(t, r, err)
			if q := e.queries(); len(q) != 1 || q[0].Get("limit") != "1" {
				t.Fatalf("health check sent %v, want one GET /api/v1/logs?limit=1", q)
			}
		})
	}
}

func TestPollCredentialErrors(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 3, Seed: 2}, nil)
	e.in.Config["api_token"] = e.fake.NoLogsToken()
	r := e.poll(t, "", time.Time{})
	var pd *sdk.PermissionDeniedError
	if !errors.As(r.err, &pd) || pd.Permission != readPermission {
		t.Fatalf("got %v, want a permission error naming %s", r.err, readPermission)
	}
}
