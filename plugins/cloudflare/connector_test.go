package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/plugins/cloudflare/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestDescribeClaimsNoMirror(t *testing.T) {
	c := New()
	d, err := c.Describe(context.Background(), sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "cloudflare" || d.Category != sdk.CategorySecurity {
		t.Fatalf("manifest %+v", d)
	}
	if err := d.Schema.Check(); err != nil {
		t.Fatal(err)
	}
	got := sdk.Capabilities(c)
	want := []sdk.Capability{sdk.CapabilityPoll, sdk.CapabilityLostFound, sdk.CapabilityFallback}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("capabilities %v, want %v: firewall events are read only", got, want)
	}
	cfg, err := d.Schema.Validate(map[string]any{"api_token": "x", "zone_tag": "y"})
	if err != nil || cfg.String("api_url") != "https://api.cloudflare.com" {
		t.Fatalf("api_url default: %v %v", cfg, err)
	}
}

func TestHealthCheck(t *testing.T) {
	tests := []struct {
		name   string
		config func(f *fake.Fake) map[string]any
		check  func(t *testing.T, r *sdk.TestResponse, err error)
	}{
		{"ok", func(*fake.Fake) map[string]any { return nil }, func(t *testing.T, r *sdk.TestResponse, err error) {
			if err != nil || !r.OK || r.Details["permission:zone.analytics.read"] != "ok" || !strings.Contains(r.Message, fake.ZoneName) {
				t.Fatalf("got (%+v, %v)", r, err)
			}
			if r.Details["dataset:firewallEventsAdaptive"] != "enabled, 31 days back, 3 days a query" {
				t.Fatalf("dataset details %q", r.Details["dataset:firewallEventsAdaptive"])
			}
		}},
		{"unknown token", func(*fake.Fake) map[string]any {
			return map[string]any{"api_token": "0123456789abcdefghij0123456789abcdefghij"}
		},
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var ua *sdk.UnauthenticatedError
				if !errors.As(err, &ua) || !strings.Contains(ua.Message, "Invalid API Token") {
					t.Fatalf("got (%+v, %v), want *sdk.UnauthenticatedError with Cloudflare's message", r, err)
				}
				if strings.Contains(err.Error(), "0123456789abcdefghij") {
					t.Fatal("the token leaked into the error")
				}
			}},
		{"malformed token", func(*fake.Fake) map[string]any { return map[string]any{"api_token": "not a token"} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var ua *sdk.UnauthenticatedError
				if !errors.As(err, &ua) || !strings.Contains(ua.Message, "6111") {
					t.Fatalf("got (%+v, %v), want Cloudflare's 6003/6111 as *sdk.UnauthenticatedError", r, err)
				}
			}},
		{"no analytics permission", func(f *fake.Fake) map[string]any { return map[string]any{"api_token": f.NoAnalyticsToken()} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var pd *sdk.PermissionDeniedError
				if !errors.As(err, &pd) || pd.Permission != analyticsPermission || !strings.Contains(pd.Message, "not authorized") {
					t.Fatalf("got (%+v, %v), want *sdk.PermissionDeniedError naming %s", r, err, analyticsPermission)
				}
			}},
		{"another zone", func(*fake.Fake) map[string]any { return map[string]any{"zone_tag": "0123456789abcdef0123456789abcdef"} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var pd *sdk.PermissionDeniedError
				if !errors.As(err, &pd) {
					t.Fatalf("got (%+v, %v), want *sdk.PermissionDeniedError", r, err)
				}
			}},
		{"zone tag not an id", func(*fake.Fake) map[string]any { return map[string]any{"zone_tag": "example.com"} },
			func(t *testing.T, r *sdk.TestResponse, err error) {
				var ic *sdk.InvalidConfigError
				if !errors.As(err, &ic) || ic.Field != "zone_tag" {
					t.Fatalf("got (%+v, %v), want *sdk.InvalidConfigError for zone_tag", r, err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, fakevendor.Options{Alerts: 3, Seed: 2})
			for k, v := range tc.config(e.fake) {
				e.in.Config[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r, err := e.conn.Test(ctx, sdk.TestRequest{Integration: e.in})
			tc.check(t, r, err)
		})
	}
}

func TestPollCredentialErrors(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 3, Seed: 2})
	e.in.Config["api_token"] = e.fake.NoAnalyticsToken()
	r := e.poll("", time.Time{})
	var pd *sdk.PermissionDeniedError
	if !errors.As(r.err, &pd) || pd.Permission != analyticsPermission {
		t.Fatalf("got %v, want a permission error naming %s", r.err, analyticsPermission)
	}
}

func TestDashboardLinks(t *testing.T) {
	e := newEnv(t, fakevendor.Options{Alerts: 3, Seed: 2})
	r := e.poll("", e.clock.Now().Add(-2*time.Hour))
	if r.err != nil || len(r.events()) == 0 {
		t.Fatal(r.err)
	}
	want := "https://dash.cloudflare.com/" + e.fake.AccountTag() + "/" + fake.ZoneName + "/security/events?ray-id="
	for _, ev := range r.events() {
		if !strings.HasPrefix(ev.URL, want) {
			t.Fatalf("url %s, want %s...", ev.URL, want)
		}
	}
}
